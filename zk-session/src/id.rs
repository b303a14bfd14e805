//! Opaque identifiers handed out by the session.

use std::fmt;

/// Identifies one submitted request; its reply event carries the same id. A watch
/// registration made by a request is identified by that request's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub(crate) u64);

/// Identifies one transport connection requested by [`crate::Transport::Connect`].
/// Input tagged with a stale id is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub(crate) u64);

impl RequestId {
    /// The raw number, for logging and maps; ids are unique within one session.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl ConnId {
    /// The raw number, for logging and maps; ids are unique within one session.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req#{}", self.0)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}
