//! Session configuration and its validation.

use std::fmt;
use std::time::Duration;

use zk_proto::redact::Redacted;

use crate::connect_string::ConnectString;
use crate::error::ConfigError;
use crate::id::HexSessionId;
use crate::sasl::SaslConfig;

/// The largest frame ZooKeeper accepts by default (`jute.maxbuffer`, 0xfffff bytes).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 0xfffff;

/// The longest duration any [`Config`] field accepts: i32::MAX ms (about 24.8 days),
/// the limit `session_timeout` has on the wire. It keeps every deadline the session
/// computes far inside what `Instant` can represent.
pub const MAX_DURATION: Duration = Duration::from_millis(i32::MAX as u64);

/// A session id and password from a ConnectResponse: enough to resume the session on
/// another connection, in this process or another. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionCredentials {
    /// The server-assigned session id (never 0 for a real session).
    pub session_id: i64,
    /// The session password, opaque (16 bytes from real servers).
    pub password: Vec<u8>,
}

impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("session_id", &HexSessionId(self.session_id))
            .field("password", &Redacted)
            .finish()
    }
}

/// Everything the session needs to know up front. Build with [`Config::new`] and adjust
/// the public fields; [`crate::Session::new`] validates it and says what to fix.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `host:port,host:port/chroot`; see [`ConnectString::parse`].
    pub connect_string: String,
    /// Requested session timeout; the server clamps it (by default to
    /// [2, 20] × tickTime). Default 30 s.
    pub session_timeout: Duration,
    /// Resume this session instead of creating one.
    pub resume: Option<SessionCredentials>,
    /// Accept a read-only server (sends the readOnly byte as true). Default false.
    pub read_only: bool,
    /// Largest frame accepted or sent, prefix excluded. Default 0xfffff.
    ///
    /// This is also the memory bound per reply: besides the frame itself (held in
    /// the receive buffer while it arrives), decoding one reply asks the allocator
    /// for up to about **6 times the frame's length** (zk-proto's crate docs, "Memory",
    /// give the factor and the worst shapes, such as long lists of short child names).
    /// So raising the limit raises the worst case a hostile or buggy server can cost
    /// accordingly: about 6 MiB per reply at the default, 60 MiB at 10 MiB.
    pub max_frame_size: usize,
    /// Fail a request with `RequestTimeout` if it is not answered within this time after
    /// `submit`; the connection is then dropped, as in Java. Default `None` (off).
    pub request_timeout: Option<Duration>,
    /// Fail a request submitted before any session was established with
    /// [`crate::RequestError::NoSessionEstablished`] if none is established within this
    /// time after its `submit`; it is taken out of the queue, never written. A new
    /// session no server ever accepted cannot expire, so without it such a request
    /// waits as long as no server answers. A session resumed with
    /// [`Config::resume`] counts as not established until a server accepts it in this
    /// process, and its early requests get the bound too. Requests whose session came
    /// in time lose it, and those submitted once a session was established never get
    /// it. Default `None` (off).
    pub first_session_timeout: Option<Duration>,
    /// Report `Expired` after 4/3 of the negotiated timeout without hearing from any
    /// server (Java 3.9.3+ behaviour), so that a program cut off from every server
    /// learns that its session is over instead of waiting for a server forever.
    /// **Better than Java**: a handshake under way at that moment (a server accepted
    /// the connection and owes its answer) is waited for, at most the connect
    /// timeout: the server's answer says whether the session lives (an ensemble that
    /// spent long electing a leader gives every session a fresh timeout, and answers
    /// once it serves). It is the client's judgement, not the server's: an ensemble
    /// that comes back after a long election may keep the session, and its ephemeral
    /// nodes, up to the session timeout longer (see
    /// [`crate::StateReason::ExpiredUnheard`]). Default true.
    pub client_side_expiry: bool,
    /// How long `close` waits for the closeSession reply. Default 3 s.
    pub close_timeout: Duration,
    /// First delay after a full pass over the hosts without success; doubled after each
    /// further failed pass up to `max_reconnect_backoff`, plus up to 100% jitter.
    /// Default 1 s.
    pub reconnect_backoff: Duration,
    /// Cap of the reconnect backoff (before jitter). Default 30 s.
    pub max_reconnect_backoff: Duration,
    /// Send the watcher types Persistent (4) and PersistentRecursive (5) as they are.
    /// Default false: they are sent as Any (3).
    ///
    /// Only servers 3.9+ know types 4 and 5; 3.6–3.8 servers answer them with
    /// MarshallingError, and have no way to name one persistent kind: Any is what
    /// removes persistent watches there (the Java 3.8 client's semantics). The session
    /// cannot tell the server's version, so the default is the form every server
    /// accepts:
    /// * removing one registration ([`crate::Request::RemoveWatches`] with
    ///   `registration`) sends Any: removeWatches when it is the session's only
    ///   registration on the node (nothing else there to lose), else checkWatches,
    ///   which only checks that the server holds some watch on the path; the local
    ///   check is still exact, and only the named registration is removed here.
    ///   [`crate::Request::CheckWatches`] sends checkWatches with Any;
    /// * removing every registration of a persistent type on a path sends
    ///   removeWatches with Any, which removes **every** watch of this session on that
    ///   path from the server; on success the session removes every local
    ///   registration on the path too (each gets its watch-removed event), so none is
    ///   left that the server no longer backs;
    /// * a local removal removes here only what it names, so it tells the server
    ///   (with Any) only when no registration is left on the node, and removes Data
    ///   or Children there only when no persistent one is left (these servers keep
    ///   one watch per session and node, ZOOKEEPER-4466); else the server keeps
    ///   notifying, and those notifications fire only what is still registered.
    ///
    /// Set it for 3.9+ servers to remove only the persistent kind asked for.
    pub persistent_watcher_types: bool,
    /// Most watch notifications and connection-state events the session keeps queued
    /// for [`crate::Session::poll_event`] while the application does not drain them.
    /// Beyond it, further notifications and non-terminal state changes are dropped
    /// and summed up in one [`crate::Event::Overflow`] (queued where the first was
    /// dropped) that names every registration affected, so no watch holder waits
    /// for an event that will never come. Replies are never dropped: they are bounded
    /// by the requests the application submitted. Default 100,000.
    pub max_queued_events: usize,
    /// Authenticate with SASL on every connection, right after the handshake and
    /// before anything else is written (see [`SaslConfig`]). The session reports
    /// `Connected` once the exchange succeeds; a failure makes it `AuthFailed`.
    /// Default `None`.
    pub sasl: Option<SaslConfig>,
    /// Seed for the host shuffle, the backoff jitter and SASL nonces. Drivers should draw it from OS
    /// entropy; tests fix it. Default 0.
    pub seed: u64,
}

impl Config {
    /// A config with the defaults listed on each field.
    pub fn new(connect_string: impl Into<String>) -> Config {
        Config {
            connect_string: connect_string.into(),
            session_timeout: Duration::from_secs(30),
            resume: None,
            read_only: false,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            request_timeout: None,
            first_session_timeout: None,
            client_side_expiry: true,
            close_timeout: Duration::from_secs(3),
            max_queued_events: 100_000,
            reconnect_backoff: Duration::from_secs(1),
            max_reconnect_backoff: Duration::from_secs(30),
            persistent_watcher_types: false,
            sasl: None,
            seed: 0,
        }
    }

    /// Checks every field; on success returns the parsed connect string.
    pub(crate) fn validate(&self) -> Result<ConnectString, ConfigError> {
        let cs = ConnectString::parse(&self.connect_string)?;
        let ms = self.session_timeout.as_millis();
        if ms == 0 || ms > i32::MAX as u128 {
            return Err(ConfigError::BadSessionTimeout(self.session_timeout));
        }
        if let Some(c) = &self.resume {
            if c.session_id == 0 {
                return Err(ConfigError::BadResume(
                    "session id 0 means `new session`; set `resume` to None instead",
                ));
            }
            if c.password.len() > 64 {
                return Err(ConfigError::BadResume(
                    "password is longer than 64 bytes; real servers issue 16",
                ));
            }
        }
        if !(64..=i32::MAX as usize).contains(&self.max_frame_size) {
            return Err(ConfigError::BadMaxFrameSize(self.max_frame_size));
        }
        if self.max_queued_events == 0 {
            return Err(ConfigError::ZeroQueuedEvents);
        }
        for (field, value) in [
            ("request_timeout", self.request_timeout),
            ("first_session_timeout", self.first_session_timeout),
        ] {
            if value == Some(Duration::ZERO) {
                return Err(ConfigError::ZeroDuration(field));
            }
        }
        if self.close_timeout.is_zero() {
            return Err(ConfigError::ZeroDuration("close_timeout"));
        }
        let durations = [
            ("request_timeout", self.request_timeout),
            ("first_session_timeout", self.first_session_timeout),
            ("close_timeout", Some(self.close_timeout)),
            ("reconnect_backoff", Some(self.reconnect_backoff)),
            ("max_reconnect_backoff", Some(self.max_reconnect_backoff)),
        ];
        for (field, value) in durations {
            if let Some(value) = value.filter(|d| *d > MAX_DURATION) {
                return Err(ConfigError::DurationTooLong { field, value });
            }
        }
        if self.reconnect_backoff > self.max_reconnect_backoff {
            return Err(ConfigError::BadBackoff);
        }
        Ok(cs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Config::new("localhost");
        let cs = c.validate().unwrap();
        assert_eq!(cs.hosts.len(), 1);
        assert_eq!(c.max_frame_size, 0xfffff);
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut Config);
        let cases: [(&str, Spoil); 6] = [
            ("session_timeout", |c| c.session_timeout = Duration::ZERO),
            ("max_frame_size", |c| c.max_frame_size = 10),
            ("resume", |c| {
                c.resume = Some(SessionCredentials {
                    session_id: 0,
                    password: vec![0; 16],
                })
            }),
            ("request_timeout", |c| {
                c.request_timeout = Some(Duration::ZERO)
            }),
            ("first_session_timeout", |c| {
                c.first_session_timeout = Some(Duration::ZERO)
            }),
            ("backoff", |c| {
                c.reconnect_backoff = Duration::from_secs(100)
            }),
        ];
        for (name, spoil) in cases {
            let mut c = Config::new("h");
            spoil(&mut c);
            let msg = c.validate().unwrap_err().to_string();
            assert!(msg.contains(name), "{name}: {msg}");
        }
    }

    #[test]
    fn durations_beyond_the_limit_are_named() {
        let set: [fn(&mut Config, Duration); 5] = [
            |c, d| c.request_timeout = Some(d),
            |c, d| c.first_session_timeout = Some(d),
            |c, d| c.close_timeout = d,
            |c, d| c.reconnect_backoff = d,
            |c, d| {
                c.max_reconnect_backoff = d;
            },
        ];
        let names = [
            "request_timeout",
            "first_session_timeout",
            "close_timeout",
            "reconnect_backoff",
            "max_reconnect_backoff",
        ];
        for (f, name) in set.iter().zip(names) {
            let mut c = Config::new("h");
            f(&mut c, MAX_DURATION);
            if name == "reconnect_backoff" {
                c.max_reconnect_backoff = MAX_DURATION;
            }
            assert!(c.validate().is_ok(), "{name} at the limit");
            for d in [MAX_DURATION + Duration::from_millis(1), Duration::MAX] {
                let mut c = Config::new("h");
                f(&mut c, d);
                let msg = c.validate().unwrap_err().to_string();
                assert!(msg.starts_with(name), "{msg}");
                assert!(msg.contains("i32::MAX ms"), "{msg}");
            }
        }
    }
}
