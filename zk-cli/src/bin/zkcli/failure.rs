//! Why a command failed, the exit status that tells scripts which kind it was, and
//! how it is reported: one stderr line, or one JSON object with `--json`.

use std::io;

use serde_json::json;

/// clap's report of a bad command line, without its `error: ` lead, which zkcli's
/// own prefix replaces.
impl From<clap::Error> for Failure {
    fn from(error: clap::Error) -> Failure {
        let text = error.render().to_string();
        Failure::CommandLine(text.trim_start_matches("error: ").trim_end().to_string())
    }
}
use zk_blocking::Error;

pub const EXIT_ZOOKEEPER: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Debug)]
pub enum Failure {
    /// Bad command line: exit 2.
    Usage(String),
    /// The command line parser's own report (with its suggestions): exit 2.
    CommandLine(String),
    /// ZooKeeper refused or failed the operation on `path`: exit 1.
    ZooKeeper { error: Error, path: Option<String> },
    /// No server answered: exit 3.
    Unreachable(String),
    /// Reading stdin or writing stdout failed: exit 1.
    Io(io::Error),
}

impl Failure {
    pub fn at(path: &str) -> impl FnOnce(Error) -> Failure + '_ {
        move |error| Failure::from_error(error, Some(path.to_string()))
    }

    pub fn from_error(error: Error, path: Option<String>) -> Failure {
        match error {
            Error::NoHosts { .. } => Failure::Unreachable(error.to_string()),
            // Rejected before anything was sent: the arguments are at fault.
            Error::InvalidPath { .. } | Error::InvalidArgument(_) | Error::Config(_) => {
                Failure::Usage(error.to_string())
            }
            error => Failure::ZooKeeper { error, path },
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::CommandLine(_) => EXIT_USAGE,
            Failure::Unreachable(_) => EXIT_UNREACHABLE,
            Failure::ZooKeeper { .. } | Failure::Io(_) => EXIT_ZOOKEEPER,
        }
    }

    /// A closed pipe (`zkcli ls -R / | head`) is not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Failure::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The kind of failure: ZooKeeper's name for the code (`NoNode`, `BadVersion`),
    /// the client's (`Timeout`, `Closed`), or zkcli's (`Usage`, `Unreachable`, `Io`).
    pub fn name(&self) -> String {
        match self {
            Failure::Usage(_) | Failure::CommandLine(_) => "Usage".into(),
            Failure::Unreachable(_) => "Unreachable".into(),
            Failure::Io(_) => "Io".into(),
            Failure::ZooKeeper { error, .. } => match (error, error.code()) {
                (Error::Timeout(_), _) => "Timeout".into(),
                (Error::Closed, _) => "Closed".into(),
                (_, Some(code)) => format!("{code:?}"),
                (_, None) => "ClientError".into(),
            },
        }
    }

    fn path(&self) -> Option<&str> {
        match self {
            Failure::ZooKeeper { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    fn detail(&self) -> String {
        match self {
            Failure::Usage(why) | Failure::CommandLine(why) | Failure::Unreachable(why) => {
                why.clone()
            }
            Failure::ZooKeeper { error, .. } => error.to_string(),
            Failure::Io(e) => e.to_string(),
        }
    }

    /// The stderr line. ZooKeeper errors lead with the code's name (`NoNode`), which
    /// scripts can match, then the path.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(why) => format!("zkcli: {why} (--help for usage)"),
            Failure::CommandLine(text) => format!("zkcli: {text}"),
            Failure::Unreachable(why) => format!("zkcli: unreachable: {why}"),
            Failure::ZooKeeper { error, path } => {
                let name = self.name();
                match path {
                    Some(path) => format!("zkcli: {name}: {path}: {error}"),
                    None => format!("zkcli: {name}: {error}"),
                }
            }
            Failure::Io(e) => format!("zkcli: {e}"),
        }
    }

    /// `--json`'s error object: `{"error": name, "path": path or null, "message": ...}`.
    pub fn json(&self) -> String {
        json!({
            "error": self.name(),
            "path": self.path(),
            "message": self.detail(),
            "exit_code": self.exit_code(),
        })
        .to_string()
    }

    /// Writes the failure to stderr the way the user asked for.
    pub fn report(&self, json: bool) {
        if self.is_broken_pipe() {
            return;
        }
        if json {
            eprintln!("{}", self.json());
        } else {
            eprintln!("{}", self.message());
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}
