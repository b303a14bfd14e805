//! Why a lock's (or a lease's) hold, or a leadership, was lost: in words that fit a
//! holder, not a caller's failed request (a node deleted under its holder is no
//! "create it first").

use std::fmt;

use zk_blocking::Error;

/// Why a hold ([`Hold::Lost`](crate::Hold::Lost)) or a leadership
/// ([`Leadership::Lost`](crate::Leadership::Lost)) was lost for good.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostReason {
    /// Someone deleted the held node: another session, an operator (`delete`), or a
    /// `deleteall` of the lock's, semaphore's or election's path. Acquire the lock
    /// or the lease, or run for leadership, again to hold it anew.
    NodeDeleted {
        /// The node (the client path).
        path: String,
    },
    /// The session ended (the client's error for it: `SessionExpired`, `Closed`,
    /// `AuthFailed`, or `SaslRequired` when a server required SASL), or the server
    /// refused to say whether the node is there.
    Error(Error),
}

impl fmt::Display for LostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LostReason::NodeDeleted { path } => write!(
                f,
                "the held node {path} was deleted by another session (an operator's delete, or a deleteall): the lock, the lease or the leadership is gone; acquire the lock or the lease, or run for leadership, again to hold it anew"
            ),
            LostReason::Error(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LostReason {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LostReason::NodeDeleted { .. } => None,
            LostReason::Error(e) => e.source(),
        }
    }
}

impl From<Error> for LostReason {
    fn from(e: Error) -> LostReason {
        LostReason::Error(e)
    }
}

/// The client's error for it, for a caller that passes errors on as the client's:
/// a deleted node is `NoNode` naming it.
impl From<LostReason> for Error {
    fn from(why: LostReason) -> Error {
        match why {
            LostReason::NodeDeleted { path } => Error::NoNode {
                path: Some(path),
                chroot: None,
            },
            LostReason::Error(e) => e,
        }
    }
}
