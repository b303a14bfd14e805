//! The semaphore's lease limit as kazoo keeps it: the decimal number of leases as the
//! semaphore node's data, written by whoever made the node, checked by everyone after.

use std::fmt;

use zk_blocking::Error;

/// What the semaphore node's data says of the lease limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// No data yet: the node was just made (its maker writes the limit next) or made
    /// by someone else without one; the first acquirer writes it.
    Unset,
    /// The limit every user must share.
    Limit(i64),
    /// Data that is no number (kazoo checks nothing then, and neither do we).
    Other,
}

/// Reads the limit as kazoo's `int(data.decode("utf-8"))` does (spaces around, a sign).
pub(crate) fn stored(data: &[u8]) -> Stored {
    if data.is_empty() {
        return Stored::Unset;
    }
    match std::str::from_utf8(data).map(|text| text.trim().parse::<i64>()) {
        Ok(Ok(limit)) => Stored::Limit(limit),
        _ => Stored::Other,
    }
}

/// Why a semaphore cannot be acquired: the server's or the session's error, or a lease
/// limit other than the one its node keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemaphoreError {
    /// The client's error (the session ended, the server refused, an invalid path).
    Client(Error),
    /// The semaphore node at `path` keeps another lease limit than this `Semaphore`
    /// was made with (kazoo's "Inconsistent max leases"). Nothing was taken.
    MaxLeasesMismatch {
        /// The semaphore's path.
        path: String,
        /// The limit its node keeps.
        stored: i64,
        /// The limit this `Semaphore` was made with.
        wanted: usize,
    },
}

impl fmt::Display for SemaphoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemaphoreError::Client(e) => e.fmt(f),
            SemaphoreError::MaxLeasesMismatch {
                path,
                stored,
                wanted,
            } => write!(
                f,
                "the semaphore at {path} allows {stored} leases, not {wanted}: make it with \
                 {stored} leases, or, to change the limit, delete {path} (while nobody holds \
                 or waits for a lease) and acquire again"
            ),
        }
    }
}

impl std::error::Error for SemaphoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SemaphoreError::Client(e) => Some(e),
            SemaphoreError::MaxLeasesMismatch { .. } => None,
        }
    }
}

impl From<Error> for SemaphoreError {
    fn from(error: Error) -> SemaphoreError {
        SemaphoreError::Client(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_read_as_kazoo_reads_it() {
        assert_eq!(stored(b""), Stored::Unset);
        assert_eq!(stored(b"2"), Stored::Limit(2));
        assert_eq!(stored(b" 3\n"), Stored::Limit(3));
        assert_eq!(stored(b"-1"), Stored::Limit(-1));
        assert_eq!(stored(b"two"), Stored::Other);
        assert_eq!(stored(&[0xff]), Stored::Other);
    }
}
