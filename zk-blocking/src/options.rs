//! What a driver is configured with: the session's settings plus the driver's own.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use zk_proto::redact::RedactedAuth;
use zk_session::{
    Config, ConfigError, IntoData, MAX_DURATION, SaslConfig, Session, SessionCredentials,
};

use crate::error::Result;
use crate::link::LinkTls;
use crate::tls::TlsConfig;

/// Settings for every driver: [`crate::Client`], [`crate::SharedClient`] and
/// [`crate::ExternalDriver`] take them by value when they are made (`connect`, `start`,
/// `new`), and so does zk-tokio's `Client`. Unusable settings (a zero duration, a
/// first backoff above its cap...) fail there with [`crate::Error::Config`].
///
/// Start from [`Options::new`] (every default) and chain the setters; each setter
/// says its default:
/// ```
/// # use std::time::Duration;
/// let options = zk_blocking::Options::new()
///     .session_timeout(Duration::from_secs(10))
///     .auth("digest", "user:secret");
/// ```
///
/// `Debug` shows each credential's scheme (and a digest user), never its secret.
#[derive(Clone)]
pub struct Options {
    /// The session's settings; the connect string and the seed are filled in for each
    /// session.
    pub(crate) session: Config,
    /// `None`: a seed drawn for each session.
    seed: Option<u64>,
    /// `None`: the session timeout.
    connect_timeout: Option<Duration>,
    pub(crate) call_timeout: Option<Duration>,
    /// Sent after every handshake, in this order.
    auth: Vec<(String, Bytes)>,
    /// TLS on every connection, when set.
    tls: Option<TlsConfig>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            session: Config::new(""),
            seed: None,
            connect_timeout: None,
            call_timeout: None,
            auth: Vec::new(),
            tls: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth: Vec<RedactedAuth<'_>> = self
            .auth
            .iter()
            .map(|(scheme, auth)| RedactedAuth::new(scheme, auth))
            .collect();
        f.debug_struct("Options")
            .field("session", &self.session)
            .field("seed", &self.seed)
            .field("connect_timeout", &self.connect_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("auth", &auth)
            .field("tls", &self.tls)
            .finish()
    }
}

impl Options {
    /// Every setting at its default.
    pub fn new() -> Options {
        Options::default()
    }

    /// Requested session timeout (the server clamps it). Default 30 s.
    pub fn session_timeout(mut self, timeout: Duration) -> Options {
        self.session.session_timeout = timeout;
        self
    }

    /// How long [`crate::Client::connect`] tries before it gives up with
    /// [`crate::Error::NoHosts`]; also how long a request of [`crate::Client`] or
    /// [`crate::SharedClient`] submitted while no session was ever established (a
    /// client made with `start` while no server answers: such a session cannot
    /// expire) waits for one after its submit before it fails with `NoHosts` (the
    /// session then gives it up, unsent). zk-tokio's `Client::connect` and its
    /// requests use it the same way ([`zk_session::Config::first_session_timeout`]
    /// is this bound). Not [`crate::ExternalDriver`]'s requests: its loop waits as it
    /// likes. Default: the session timeout; zero is refused ([`crate::Error::Config`]).
    ///
    /// Not to be confused with the session's own per-dial bound (dial and handshake
    /// of one host: the session timeout ÷ the number of hosts, as in Java), which
    /// this does not change.
    pub fn connect_timeout(mut self, timeout: Duration) -> Options {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Resume this session (from [`crate::Client::credentials`]) instead of creating
    /// one. Default `None`: a new session.
    pub fn resume(mut self, credentials: impl Into<Option<SessionCredentials>>) -> Options {
        self.session.resume = credentials.into();
        self
    }

    /// Accept read-only servers. Default false.
    pub fn read_only(mut self, allowed: bool) -> Options {
        self.session.read_only = allowed;
        self
    }

    /// Appends one credential (`scheme`, `auth`), sent after every handshake in the
    /// order given. Default none.
    pub fn auth(mut self, scheme: impl Into<String>, auth: impl IntoData) -> Options {
        self.auth.push((scheme.into(), auth.into_data()));
        self
    }

    /// Authenticates with SASL DIGEST-MD5 as `user` (a `user_<name>` of the server's
    /// `DigestLoginModule`) on every connection, before anything else is sent; the
    /// server then knows the session as `sasl:<user>` (whoAmI, ACLs). A wrong
    /// password ends the session [`crate::Error::AuthFailed`]. `Debug` redacts the
    /// password. Default none.
    pub fn sasl_digest(self, user: impl Into<String>, password: impl Into<String>) -> Options {
        self.sasl(SaslConfig::digest_md5(user, password))
    }

    /// Authenticates with SASL `mechanism` on every connection (see
    /// [`zk_session::SaslConfig`], which also takes custom mechanisms). Default none.
    pub fn sasl(mut self, mechanism: SaslConfig) -> Options {
        self.session.sasl = Some(mechanism);
        self
    }

    /// Largest frame sent or accepted, in bytes. Default 0xfffff (the server's default
    /// `jute.maxbuffer`). See [`zk_session::Config::max_frame_size`] for what it costs.
    pub fn max_frame_size(mut self, bytes: usize) -> Options {
        self.session.max_frame_size = bytes;
        self
    }

    /// The session's request timeout: a request unanswered this long after `submit`
    /// fails with [`crate::Error::RequestTimeout`] and, if it was written, the
    /// connection is reset (Java's `zookeeper.request.timeout`). Default `None` (off).
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Options {
        self.session.request_timeout = timeout.into();
        self
    }

    /// The per-call deadline of [`crate::Client`] and [`crate::SharedClient`]: an
    /// operation whose reply has not come by then returns [`crate::Error::Timeout`]
    /// and the client gives up on the request: not sent if it was still queued; if
    /// sent, the server may still apply it, but its reply is discarded and any watch
    /// it asked for is not registered. [`crate::Client::wait`] is bounded by it too,
    /// but leaves the request outstanding; [`crate::PendingReply::wait`] gives up.
    ///
    /// **A watching call that timed out** (`get_data_watch`, `exists_watch`,
    /// `get_children_watch`, `add_watch`...) leaves you no handle, and you never see
    /// an event of its watch: no event in [`crate::Client::next_event`] or
    /// [`crate::SharedClient::events`] names it. The server, though, may have set the
    /// watch when it answered late, and keeps it until it fires (a one-shot watch) or
    /// until the session's next connection, which re-registers only the watches the
    /// client holds (a persistent one, whose every notification crosses the wire until
    /// then). The client drops those notifications ([`Session::stray_notifications`]
    /// counts them); a watch of yours on the same path still gets its events. Read
    /// the node again, with a watch, to learn its state: the abandoned call may have
    /// been applied.
    ///
    /// Default `None` (off): a call then ends with its reply, or with ConnectionLoss,
    /// SessionExpired or Closed, which the session guarantees in bounded time. Zero
    /// is refused ([`crate::Error::Config`]): `None` turns it off. zk-tokio's `Client`
    /// applies it to its typed calls too (not to `submit`).
    ///
    /// **While no server is reachable**, a call whose request was not yet written
    /// waits for the next connection (its request goes out then), up to the
    /// session's end: 4/3 of the session timeout after the last server reply, when
    /// the session expires. Java's client fails it with ConnectionLoss once a
    /// reconnect attempt fails. Set a call timeout (a few seconds, say) for a program
    /// that would rather back off or try something else sooner.
    ///
    /// [`Session::stray_notifications`]: zk_session::Session::stray_notifications
    pub fn call_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Options {
        self.call_timeout = timeout.into();
        self
    }

    /// Whether the session declares itself expired after 4/3 of the negotiated timeout
    /// without hearing from any server (Java 3.9.3+). Default true.
    pub fn client_side_expiry(mut self, enabled: bool) -> Options {
        self.session.client_side_expiry = enabled;
        self
    }

    /// How long `close` waits for the server's reply, on every driver; it also bounds
    /// the close that dropping a [`crate::Client`] (or the last clone of a
    /// [`crate::SharedClient`]) makes, plus half a second. Default 3 s; zero is refused
    /// ([`crate::Error::Config`]).
    pub fn close_timeout(mut self, timeout: Duration) -> Options {
        self.session.close_timeout = timeout;
        self
    }

    /// Most watch notifications and state changes kept for the application while it
    /// does not read them ([`crate::Client::next_event`],
    /// [`crate::SharedClient::events`], [`crate::ExternalDriver::poll_event`], and each
    /// of zk-tokio's watch streams); beyond it they are dropped and counted in one
    /// [`crate::Event::Overflow`]. Replies are never dropped. Default 100,000.
    /// See [`zk_session::Config::max_queued_events`].
    pub fn max_queued_events(mut self, events: usize) -> Options {
        self.session.max_queued_events = events;
        self
    }

    /// The reconnect delay: `first` after a full pass over the hosts fails, doubling
    /// after each further failed pass up to `max`, plus a random jitter of up to the
    /// same amount. Within a pass hosts are dialled without a wait. Default 1 s and
    /// 30 s.
    pub fn reconnect_backoff(mut self, first: Duration, max: Duration) -> Options {
        self.session.reconnect_backoff = first;
        self.session.max_reconnect_backoff = max;
        self
    }

    /// Seed for the host shuffle and backoff jitter. Default: one drawn for each
    /// session.
    pub fn seed(mut self, seed: u64) -> Options {
        self.seed = Some(seed);
        self
    }

    /// Send the watcher types Persistent and PersistentRecursive as they are (only
    /// servers 3.9+ know them). Default false: they are sent as Any, which every server
    /// accepts; removing watches of a persistent type by path then removes every watch
    /// of the session on that path. See
    /// [`zk_session::Config::persistent_watcher_types`].
    pub fn persistent_watcher_types(mut self, as_they_are: bool) -> Options {
        self.session.persistent_watcher_types = as_they_are;
        self
    }

    /// These options for a driver that empties the session's event queue after every
    /// read into bounded queues of its own (`max_queued_events` each): the session's
    /// queue is left unbounded and so holds one read's worth. Bounded too, it would
    /// drop events that came together before they were sorted out, however promptly
    /// their holders read (many one-shot watches fired at once). 0 is kept, for the
    /// session to refuse.
    pub(crate) fn events_handed_out_per_read(self) -> Options {
        match self.session.max_queued_events {
            0 => self,
            _ => self.max_queued_events(usize::MAX),
        }
    }

    /// These options for a client whose calls wait for a session never established
    /// at most the connect timeout (see [`Options::connect_timeout`]): the session
    /// then fails such a request unsent, and the client reports
    /// [`crate::Error::NoHosts`] with the problems it saw.
    pub(crate) fn first_session_bounded(mut self) -> Options {
        // Longer than the session accepts is as good as no bound at all.
        self.session.first_session_timeout = Some(self.connect_deadline().min(MAX_DURATION));
        self
    }

    /// How long the initial connect may take.
    pub(crate) fn connect_deadline(&self) -> Duration {
        self.connect_timeout.unwrap_or(self.session.session_timeout)
    }

    /// Whether credentials are sent after the handshake.
    pub(crate) fn has_auth(&self) -> bool {
        !self.auth.is_empty()
    }

    /// Speaks TLS on every connection, trusting and presenting what `tls` says; the
    /// servers must be given by the names (or addresses) their certificates carry,
    /// and the ports must be their `secureClientPort`s. A handshake that fails moves
    /// on to the next host like any failed dial; when no host will do, the error
    /// names the TLS problem (unknown CA, name mismatch, expired certificate, a
    /// client certificate required, a plaintext port).
    pub fn tls(mut self, tls: TlsConfig) -> Options {
        self.tls = Some(tls);
        self
    }

    /// The TLS settings, when set.
    pub fn tls_config(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    /// The link's TLS settings, built once per client.
    pub(crate) fn link_tls(&self) -> Result<Option<LinkTls>> {
        self.tls
            .as_ref()
            .map(|tls| {
                Ok(LinkTls {
                    config: tls.client_config()?,
                    has_client_cert: tls.has_client_cert(),
                })
            })
            .transpose()
    }

    /// A new session on `connect_string` with these settings and credentials. Fails
    /// on unusable settings.
    pub(crate) fn start_session(&self, connect_string: &str, now: Instant) -> Result<Session> {
        // The driver's own durations, refused at zero as the session's are.
        for (field, value) in [
            ("call_timeout", self.call_timeout),
            ("connect_timeout", self.connect_timeout),
        ] {
            if value == Some(Duration::ZERO) {
                return Err(ConfigError::ZeroDuration(field).into());
            }
        }
        let mut session = Session::new(self.session_config(connect_string), now)?;
        for (scheme, auth) in &self.auth {
            session.add_auth(scheme, auth.clone(), now)?;
        }
        Ok(session)
    }

    /// The session's config: the template with `connect_string` and a seed.
    fn session_config(&self, connect_string: &str) -> Config {
        let mut config = self.session.clone();
        config.connect_string = connect_string.to_string();
        config.seed = self.seed.unwrap_or_else(random_seed);
        config
    }
}

/// A per-session seed from std's randomly keyed hasher and the wall clock.
fn random_seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_session_setting_reaches_the_session_config() {
        let credentials = SessionCredentials {
            session_id: 7,
            password: vec![1; 16],
        };
        let c = Options::new()
            .session_timeout(Duration::from_secs(5))
            .resume(credentials.clone())
            .read_only(true)
            .max_frame_size(4096)
            .request_timeout(Duration::from_secs(2))
            .client_side_expiry(false)
            .close_timeout(Duration::from_secs(1))
            .max_queued_events(9)
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(20))
            .seed(42)
            .persistent_watcher_types(true)
            .sasl_digest("bob", "pw")
            .session_config("zk1:2181/app");
        assert_eq!(c.connect_string, "zk1:2181/app");
        assert_eq!(c.session_timeout, Duration::from_secs(5));
        assert_eq!(c.resume, Some(credentials));
        assert!(c.read_only);
        assert_eq!(c.max_frame_size, 4096);
        assert_eq!(c.request_timeout, Some(Duration::from_secs(2)));
        assert!(!c.client_side_expiry);
        assert_eq!(c.close_timeout, Duration::from_secs(1));
        assert_eq!(c.max_queued_events, 9);
        assert_eq!(
            (c.reconnect_backoff, c.max_reconnect_backoff),
            (Duration::from_millis(10), Duration::from_millis(20))
        );
        assert_eq!(c.seed, 42);
        assert!(c.persistent_watcher_types);
        assert_eq!(
            c.sasl.map(|s| s.mechanism().to_string()).as_deref(),
            Some("DIGEST-MD5")
        );
    }

    #[test]
    fn defaults_are_the_sessions_and_optional_settings_switch_off_again() {
        let defaults = Config::new("");
        let c = Options::new()
            .request_timeout(Duration::from_secs(2))
            .request_timeout(None)
            .resume(None)
            .session_config("zk1:2181");
        assert_eq!(c.request_timeout, None);
        assert_eq!(c.resume, None);
        assert_eq!(c.session_timeout, defaults.session_timeout);
        assert_eq!(c.max_frame_size, defaults.max_frame_size);
        assert_eq!(
            c.persistent_watcher_types,
            defaults.persistent_watcher_types
        );
        let call = Options::new()
            .call_timeout(Duration::from_secs(1))
            .call_timeout(None);
        assert_eq!(call.call_timeout, None);
        assert_eq!(Options::new().connect_deadline(), defaults.session_timeout);
    }

    #[test]
    fn a_zero_call_or_connect_timeout_is_refused_like_the_other_zero_durations() {
        // A zero call timeout failed every call at once with Timeout(0 ns); a zero
        // connect timeout gave up on every connect before its first dial.
        for (field, options) in [
            ("call_timeout", Options::new().call_timeout(Duration::ZERO)),
            (
                "connect_timeout",
                Options::new().connect_timeout(Duration::ZERO),
            ),
        ] {
            let refused = crate::Client::start("127.0.0.1:2181", options).err();
            assert_eq!(
                refused,
                Some(crate::Error::Config(zk_session::ConfigError::ZeroDuration(
                    field
                ))),
                "{field}"
            );
        }
        let off = Options::new().call_timeout(None);
        assert!(crate::Client::start("127.0.0.1:2181", off).is_ok());
    }

    #[test]
    fn each_session_draws_its_own_seed_unless_one_is_set() {
        let options = Options::new();
        let seeds: Vec<u64> = (0..3).map(|_| options.session_config("h").seed).collect();
        assert!(seeds[0] != seeds[1] || seeds[1] != seeds[2], "{seeds:?}");
        let fixed = Options::new().seed(5);
        assert_eq!(fixed.session_config("h").seed, 5);
    }
}
