//! Why a command failed, and the exit status that tells scripts which kind it was.

use std::io;

use zk_blocking::Error;

pub const EXIT_ZOOKEEPER: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Debug)]
pub enum Failure {
    /// Bad command line: exit 2.
    Usage(String),
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
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Unreachable(_) => EXIT_UNREACHABLE,
            Failure::ZooKeeper { .. } | Failure::Io(_) => EXIT_ZOOKEEPER,
        }
    }

    /// The stderr line. ZooKeeper errors lead with the code's name (`NoNode`), which
    /// scripts can match, then the path.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(why) => format!("zkcli: {why} (zkcli --help for usage)"),
            Failure::Unreachable(why) => format!("zkcli: unreachable: {why}"),
            Failure::ZooKeeper { error, path } => {
                let name = error_name(error);
                match path {
                    Some(path) => format!("zkcli: {name}: {path}: {error}"),
                    None => format!("zkcli: {name}: {error}"),
                }
            }
            Failure::Io(e) => format!("zkcli: {e}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// The ZooKeeper name of the error (`NoNode`, `BadVersion`), or the client's.
fn error_name(error: &Error) -> String {
    match (error, error.code()) {
        (Error::Timeout(_), _) => "Timeout".to_string(),
        (Error::Closed, _) => "Closed".to_string(),
        (_, Some(code)) => format!("{code:?}"),
        (_, None) => "ClientError".to_string(),
    }
}
