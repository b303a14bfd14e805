//! Every error type of the crate, and what each means.

use std::time::Duration;

/// The configuration cannot be used. The message says which field is wrong and how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The connect string names no host.
    #[error("connect string has no host: write `host:port[,host:port...][/chroot]`")]
    NoHosts,
    /// One host entry of the connect string is malformed.
    #[error("connect string host entry {entry:?} is invalid: {why}")]
    BadHost {
        /// The offending entry.
        entry: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The chroot suffix is not a valid path.
    #[error(
        "connect string chroot {chroot:?} is invalid: {why} (write it like `/app`, or leave it out)"
    )]
    BadChroot {
        /// The offending chroot.
        chroot: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The session timeout is zero or does not fit the wire's i32 milliseconds.
    #[error(
        "session_timeout {0:?} is invalid: use 1 ms ..= i32::MAX ms (servers clamp it, typically to 4 s ..= 40 s)"
    )]
    BadSessionTimeout(Duration),
    /// The credentials to resume are unusable.
    #[error("resume credentials are invalid: {0}")]
    BadResume(&'static str),
    /// The frame limit is out of range.
    #[error(
        "max_frame_size {0} is invalid: use 64 ..= i32::MAX bytes (servers default to 1048575)"
    )]
    BadMaxFrameSize(usize),
    /// A duration that must be positive is zero.
    #[error("{0} must not be zero: use None to turn it off where allowed, or a positive duration")]
    ZeroDuration(&'static str),
    /// The backoff bounds are inverted.
    #[error(
        "reconnect_backoff is larger than max_reconnect_backoff: make the first no larger than the cap"
    )]
    BadBackoff,
}
