//! The session's log events, behind the `tracing` feature.
//!
//! Call sites write `log::info!("connected to {host}")` (and `log::debug!`, `log::warning!`) (format arguments only, no
//! `tracing` field syntax), so that without the feature the same call still
//! type-checks its arguments but compiles to nothing: an embedder that leaves the
//! feature off pays neither for the dependency nor for the formatting.
//!
//! Levels: `info` for the connection lifecycle (dialling, a handshake, close),
//! `warn` for what loses something (a dropped connection, expiry, an auth
//! failure), `debug` for details (backoff waits, watch re-registration). Nothing
//! logged carries a payload or a credential.

#[cfg(feature = "tracing")]
macro_rules! emit {
    ($level:ident, $($format:tt)+) => {
        ::tracing::$level!($($format)+)
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! emit {
    ($level:ident, $($format:tt)+) => {
        if false {
            let _ = ::std::format_args!($($format)+);
        }
    };
}

macro_rules! debug {
    ($($format:tt)+) => { $crate::log::emit!(debug, $($format)+) };
}

macro_rules! info {
    ($($format:tt)+) => { $crate::log::emit!(info, $($format)+) };
}

// Not `warn`: that name would clash with the built-in `#[warn]` attribute.
macro_rules! warning {
    ($($format:tt)+) => { $crate::log::emit!(warn, $($format)+) };
}

pub(crate) use {debug, emit, info, warning};

/// A state change's reason in a log line, when it has one.
pub(crate) struct Reason<'a>(pub(crate) Option<&'a crate::StateReason>);

impl std::fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(reason) => reason.fmt(f),
            None => f.write_str("no reason known"),
        }
    }
}
