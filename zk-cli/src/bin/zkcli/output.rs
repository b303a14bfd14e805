//! Where results go: stdout, as zkCli.sh text or as one JSON object per line.

use std::io::{self, IsTerminal, Write};

use zk_blocking::Stat;

use crate::json::{self, JsonObject};
use crate::text_format;

pub struct Output {
    json: bool,
    stdout: io::Stdout,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output {
            json,
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
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    pub fn object(&mut self, object: JsonObject) -> io::Result<()> {
        self.line(&object.finish())
    }

    /// Znode data exactly as stored. A newline is added only on a terminal, so that
    /// piped output round-trips byte for byte.
    pub fn data(&mut self, data: &[u8]) -> io::Result<()> {
        let mut out = self.stdout.lock();
        out.write_all(data)?;
        if out.is_terminal() && !data.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Text mode: the Stat block; it starts on a fresh line even after raw data.
    pub fn stat_after(&mut self, data: &[u8], stat: &Stat) -> io::Result<()> {
        let mut out = self.stdout.lock();
        if !data.is_empty() && !data.ends_with(b"\n") && !out.is_terminal() {
            out.write_all(b"\n")?;
        }
        out.write_all(text_format::stat(stat).as_bytes())?;
        out.flush()
    }

    pub fn stat(&mut self, stat: &Stat) -> io::Result<()> {
        self.stat_after(&[], stat)
    }
}

/// `"stat": {...}` added to an object when the caller asked for it.
pub fn with_stat(object: JsonObject, stat: Option<&Stat>) -> JsonObject {
    match stat {
        Some(stat) => object.raw("stat", &json::stat(stat)),
        None => object,
    }
}
