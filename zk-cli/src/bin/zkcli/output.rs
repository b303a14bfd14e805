//! Where results go: stdout, as zkCli.sh text or as one JSON object per line.

use std::io::{self, IsTerminal, Write};

use serde_json::{Map, Value};
use zk_blocking::Stat;

use crate::text_format;

/// When znode data gets a newline after it (if it does not end with one already).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DataNewline {
    /// Only when stdout is a terminal: piped data round-trips byte for byte.
    OnTerminal,
    /// Always: the shell prints line by line, whatever stdout is.
    Always,
}

pub struct Output {
    json: bool,
    data_newline: DataNewline,
    /// Raw data without a newline was the last thing written: whatever follows
    /// (a Stat, a watch event) starts with one, so as not to be glued to the data.
    line_open: bool,
    stdout: io::Stdout,
}

impl Output {
    pub fn new(json: bool, data_newline: DataNewline) -> Output {
        Output {
            json,
            data_newline,
            line_open: false,
            stdout: io::stdout(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Writes `text` and a newline, flushed at once so that streamed events reach a
    /// pipe as they happen.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        let mut out = self.stdout.lock();
        if std::mem::take(&mut self.line_open) {
            out.write_all(b"\n")?;
        }
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    pub fn object(&mut self, object: Map<String, Value>) -> io::Result<()> {
        self.line(&Value::Object(object).to_string())
    }

    fn newline_after_data(&self, out: &io::StdoutLock) -> bool {
        match self.data_newline {
            DataNewline::OnTerminal => out.is_terminal(),
            DataNewline::Always => true,
        }
    }

    /// Znode data exactly as stored, then a newline where `DataNewline` says.
    pub fn data(&mut self, data: &[u8]) -> io::Result<()> {
        let mut out = self.stdout.lock();
        out.write_all(data)?;
        let ends_line = data.is_empty() || data.ends_with(b"\n");
        self.line_open = false;
        if !ends_line {
            if self.newline_after_data(&out) {
                out.write_all(b"\n")?;
            } else {
                self.line_open = true;
            }
        }
        out.flush()
    }

    /// Text mode: the Stat block; it starts on a fresh line even after raw data.
    pub fn stat(&mut self, stat: &Stat) -> io::Result<()> {
        let block = text_format::stat(stat);
        self.line(block.strip_suffix('\n').unwrap_or(&block))
    }
}
