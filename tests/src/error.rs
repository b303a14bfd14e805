//! The one error type of the harness.

use std::fmt;
use std::io;
use std::time::Duration;

use zk_session::Rounded;

/// Why a server or an ensemble could not be set up.
///
/// `Debug` prints the same text as `Display`, so that `unwrap()` in a test shows the
/// install hint or the server log tail readably.
#[derive(Clone)]
pub enum HarnessError {
    /// No ZooKeeper or no java; the text says how to install them.
    NotInstalled(String),
    /// A file, socket or process operation failed.
    Io(String),
    /// A member did not start serving in time, or its process exited while starting.
    NotServing {
        /// The member, e.g. `server.2 (127.0.0.1:40123)`.
        member: String,
        /// What was seen last (no answer, the `srvr` output, or the exit).
        detail: String,
        /// How long the harness waited.
        waited: Duration,
        /// The last lines of the member's log.
        log_tail: String,
        /// Whether the log shows that one of the member's ports was taken by another
        /// process between the harness picking it and the server binding it.
        port_taken: bool,
    },
}

impl HarnessError {
    pub(crate) fn io(context: impl fmt::Display, err: io::Error) -> HarnessError {
        HarnessError::Io(format!("{context}: {err}"))
    }

    /// Whether the server failed because one of its ports was taken by someone else,
    /// which a fresh set of ports cures.
    pub(crate) fn is_port_clash(&self) -> bool {
        matches!(
            self,
            HarnessError::NotServing {
                port_taken: true,
                ..
            }
        )
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::NotInstalled(message) => write!(f, "{message}"),
            HarnessError::Io(message) => write!(f, "{message}"),
            HarnessError::NotServing {
                member,
                detail,
                waited,
                log_tail,
                ..
            } => write!(
                f,
                "{member} did not start serving within {}: {detail}\n\
                 --- last lines of its log ---\n{log_tail}",
                Rounded(*waited)
            ),
        }
    }
}

impl fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for HarnessError {}
