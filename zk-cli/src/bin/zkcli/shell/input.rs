//! Where the shell's lines come from: a terminal, with line editing, history and
//! completion (rustyline), or a script on stdin, read line by line.

use std::io::{self, BufRead, Read as _, Write};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor, ExternalPrinter};

use super::completion::ShellHelper;
use super::session::EventSink;

/// A longer script line is surely not a command.
const MAX_SCRIPT_LINE: u64 = 1 << 20;

/// What reading the next line gave.
pub enum Read {
    Line(String),
    /// Ctrl-C at the prompt: the line is dropped, the shell goes on.
    Interrupted,
    End,
}

pub trait LineSource {
    fn read(&mut self, prompt: &str) -> io::Result<Read>;
    /// Where the event printer writes so as not to garble the line being edited.
    fn event_sink(&mut self) -> Box<dyn EventSink>;
}

/// `~/.zkcli_history`, where a home is known.
fn history_file() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".zkcli_history"))
}

/// `addauth` lines, and ACLs with passwords to hash, carry a secret, which must not be
/// written to the history file.
pub fn holds_credentials(line: &str) -> bool {
    line.split_whitespace().next() == Some("addauth") || hashes_passwords(line)
}

/// A command given digest passwords to hash (`setAcl --hash-password ...`).
pub fn hashes_passwords(line: &str) -> bool {
    line.split_whitespace()
        .take_while(|word| *word != "--")
        .any(|word| word == HASH_PASSWORD)
}

pub const HASH_PASSWORD: &str = "--hash-password";

pub struct Terminal {
    editor: Editor<ShellHelper, DefaultHistory>,
    history_file: Option<PathBuf>,
}

impl Terminal {
    pub fn new(helper: ShellHelper) -> io::Result<Terminal> {
        // Tab completes the common prefix, a second Tab lists the candidates, as in bash.
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .build();
        let mut editor = Editor::with_config(config).map_err(io::Error::other)?;
        editor.set_helper(Some(helper));
        let history_file = history_file();
        if let Some(path) = &history_file {
            // No history yet, or an unreadable one: start afresh.
            let _ = editor.load_history(path);
        }
        Ok(Terminal {
            editor,
            history_file,
        })
    }
}

impl LineSource for Terminal {
    fn read(&mut self, prompt: &str) -> io::Result<Read> {
        match self.editor.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() && !holds_credentials(&line) {
                    let _ = self.editor.add_history_entry(line.as_str());
                    // Written line by line, so that a closed terminal loses none.
                    // History is a convenience: a read-only home must not fail the
                    // shell.
                    if let Some(path) = &self.history_file {
                        let _ = self.editor.append_history(path);
                    }
                }
                Ok(Read::Line(line))
            }
            Err(ReadlineError::Interrupted) => Ok(Read::Interrupted),
            Err(ReadlineError::Eof) => Ok(Read::End),
            Err(ReadlineError::Io(e)) => Err(e),
            Err(other) => Err(io::Error::other(other)),
        }
    }

    fn event_sink(&mut self) -> Box<dyn EventSink> {
        match self.editor.create_external_printer() {
            Ok(printer) => Box::new(PromptPrinter(printer)),
            Err(_) => Box::new(StdoutSink),
        }
    }
}

/// Prints above the line being edited, which rustyline redraws.
struct PromptPrinter<P>(P);

impl<P: ExternalPrinter + Send> EventSink for PromptPrinter<P> {
    fn print(&mut self, line: String) {
        // A terminal gone away ends the shell on its next read.
        let _ = self.0.print(line + "\n");
    }
}

/// Whole lines on stdout, between the lines of command output.
struct StdoutSink;

impl EventSink for StdoutSink {
    fn print(&mut self, line: String) {
        let mut out = io::stdout().lock();
        // A closed stdout ends the shell at its next command's output.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// Commands from stdin, one per line; no prompt.
pub struct Script {
    stdin: io::StdinLock<'static>,
}

impl Script {
    pub fn new() -> Script {
        Script {
            stdin: io::stdin().lock(),
        }
    }
}

impl LineSource for Script {
    fn read(&mut self, _prompt: &str) -> io::Result<Read> {
        let mut bytes = Vec::new();
        self.stdin
            .by_ref()
            .take(MAX_SCRIPT_LINE + 1)
            .read_until(b'\n', &mut bytes)?;
        if bytes.is_empty() {
            return Ok(Read::End);
        }
        if bytes.len() as u64 > MAX_SCRIPT_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a script line is longer than {} MiB", MAX_SCRIPT_LINE >> 20),
            ));
        }
        let line = String::from_utf8(bytes).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "a script line is not UTF-8")
        })?;
        Ok(Read::Line(line.trim_end_matches(['\n', '\r']).to_string()))
    }

    fn event_sink(&mut self) -> Box<dyn EventSink> {
        Box::new(StdoutSink)
    }
}
