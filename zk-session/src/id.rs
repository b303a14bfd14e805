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

    /// The id of that raw number ([`RequestId::as_u64`]'s inverse), for code that
    /// stands in for a session: tests that script replies and watch registrations
    /// (a [`crate::Registration`] has public fields, its id is this). A session takes
    /// a made-up id as the request it numbered so, if any.
    pub fn from_u64(raw: u64) -> RequestId {
        RequestId(raw)
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

/// A session id as ZooKeeper's own logs print it, in `Display` and `Debug`: `0x` and
/// lowercase hex.
pub(crate) struct HexSessionId(pub(crate) i64);

impl fmt::Display for HexSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

impl fmt::Debug for HexSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
