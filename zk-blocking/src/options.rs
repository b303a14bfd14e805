//! What a client is configured with: the session's settings plus the driver's own.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use zk_session::{Config, DEFAULT_MAX_FRAME_SIZE, SessionCredentials};

/// Settings for [`crate::Client::connect`] and [`crate::ExternalDriver::new`].
///
/// Start from [`Options::default`] and chain the setters:
/// ```
/// # use std::time::Duration;
/// let options = zk_blocking::Options::default()
///     .session_timeout(Duration::from_secs(10))
///     .auth("digest", "user:secret");
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// Requested session timeout (the server clamps it). Default 30 s.
    pub session_timeout: Duration,
    /// How long [`crate::Client::connect`] tries before it gives up with
    /// [`crate::Error::NoHosts`]. Default: the session timeout.
    pub connect_timeout: Option<Duration>,
    /// Resume this session (from [`crate::Client::credentials`]) instead of creating one.
    pub resume: Option<SessionCredentials>,
    /// Accept read-only servers. Default false.
    pub read_only: bool,
    /// Credentials sent after every handshake, in this order (`scheme`, `auth`).
    pub auth: Vec<(String, Bytes)>,
    /// Largest frame sent or accepted, in bytes. Default 0xfffff (the server's default
    /// `jute.maxbuffer`).
    pub max_frame_size: usize,
    /// The session's request timeout: a request unanswered this long after `submit`
    /// fails with [`crate::Error::RequestTimeout`] and, if it was written, the connection
    /// is reset (Java's `zookeeper.request.timeout`). Default off.
    pub request_timeout: Option<Duration>,
    /// The blocking client's per-call deadline: an operation whose reply has not come
    /// by then returns [`crate::Error::Timeout`] and the client gives up on the
    /// request: not sent if it was still queued; if sent, the server may still apply
    /// it, but its reply is discarded and any watch it asked for is not registered.
    /// [`crate::Client::wait`] is bounded by it too, but leaves the request outstanding.
    /// Default off: a call then ends with its reply, or with ConnectionLoss,
    /// SessionExpired or Closed, which the session guarantees in bounded time.
    pub call_timeout: Option<Duration>,
    /// The session declares itself expired after 4/3 of the negotiated timeout without
    /// hearing from any server (Java 3.9.3+). Default true.
    pub client_side_expiry: bool,
    /// How long `close` waits for the server's reply. Default 3 s.
    pub close_timeout: Duration,
    /// Most watch notifications and state changes kept for the application while it
    /// does not read them ([`crate::Client::next_event`],
    /// [`crate::ExternalDriver::poll_event`]); beyond it they are dropped and counted
    /// in one [`crate::Event::Overflow`]. Replies are never dropped. Default 100,000.
    /// See [`zk_session::Config::max_queued_events`].
    pub max_queued_events: usize,
    /// First delay after a full pass over the hosts fails. Default 1 s.
    pub reconnect_backoff: Duration,
    /// Cap of the reconnect delay. Default 30 s.
    pub max_reconnect_backoff: Duration,
    /// Seed for the host shuffle and backoff jitter; `None` draws one per client.
    pub seed: Option<u64>,
    /// Send the watcher types Persistent and PersistentRecursive as they are (servers
    /// 3.9+); default false sends them as Any, which every server accepts. See
    /// [`zk_session::Config::persistent_watcher_types`].
    pub persistent_watcher_types: bool,
}

impl Default for Options {
    fn default() -> Options {
        let c = Config::new("");
        Options {
            session_timeout: c.session_timeout,
            connect_timeout: None,
            resume: None,
            read_only: c.read_only,
            auth: Vec::new(),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            request_timeout: c.request_timeout,
            call_timeout: None,
            client_side_expiry: c.client_side_expiry,
            close_timeout: c.close_timeout,
            max_queued_events: c.max_queued_events,
            reconnect_backoff: c.reconnect_backoff,
            max_reconnect_backoff: c.max_reconnect_backoff,
            seed: None,
            persistent_watcher_types: c.persistent_watcher_types,
        }
    }
}

impl Options {
    /// Sets [`Options::session_timeout`].
    pub fn session_timeout(mut self, timeout: Duration) -> Options {
        self.session_timeout = timeout;
        self
    }

    /// Sets [`Options::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Options {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sets [`Options::resume`].
    pub fn resume(mut self, credentials: SessionCredentials) -> Options {
        self.resume = Some(credentials);
        self
    }

    /// Sets [`Options::read_only`].
    pub fn read_only(mut self, allowed: bool) -> Options {
        self.read_only = allowed;
        self
    }

    /// Appends one credential to [`Options::auth`].
    pub fn auth(mut self, scheme: impl Into<String>, auth: impl Into<Bytes>) -> Options {
        self.auth.push((scheme.into(), auth.into()));
        self
    }

    /// Sets [`Options::max_frame_size`].
    pub fn max_frame_size(mut self, bytes: usize) -> Options {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`Options::request_timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Options {
        self.request_timeout = Some(timeout);
        self
    }

    /// Sets [`Options::call_timeout`].
    pub fn call_timeout(mut self, timeout: Duration) -> Options {
        self.call_timeout = Some(timeout);
        self
    }

    /// Sets [`Options::client_side_expiry`].
    pub fn client_side_expiry(mut self, enabled: bool) -> Options {
        self.client_side_expiry = enabled;
        self
    }

    /// Sets [`Options::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Options {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`Options::max_queued_events`].
    pub fn max_queued_events(mut self, events: usize) -> Options {
        self.max_queued_events = events;
        self
    }

    /// Sets [`Options::reconnect_backoff`] and [`Options::max_reconnect_backoff`].
    pub fn reconnect_backoff(mut self, first: Duration, max: Duration) -> Options {
        self.reconnect_backoff = first;
        self.max_reconnect_backoff = max;
        self
    }

    /// Sets [`Options::seed`].
    pub fn seed(mut self, seed: u64) -> Options {
        self.seed = Some(seed);
        self
    }

    /// The deadline of the initial connect.
    pub(crate) fn connect_deadline(&self) -> Duration {
        self.connect_timeout.unwrap_or(self.session_timeout)
    }

    /// The session's configuration (auth is added separately).
    pub(crate) fn session_config(&self, connect_string: &str) -> Config {
        let mut c = Config::new(connect_string);
        c.session_timeout = self.session_timeout;
        c.resume = self.resume.clone();
        c.read_only = self.read_only;
        c.max_frame_size = self.max_frame_size;
        c.request_timeout = self.request_timeout;
        c.client_side_expiry = self.client_side_expiry;
        c.close_timeout = self.close_timeout;
        c.max_queued_events = self.max_queued_events;
        c.reconnect_backoff = self.reconnect_backoff;
        c.max_reconnect_backoff = self.max_reconnect_backoff;
        c.seed = self.seed.unwrap_or_else(random_seed);
        c.persistent_watcher_types = self.persistent_watcher_types;
        c
    }
}

/// A per-client seed from std's randomly keyed hasher and the wall clock.
fn random_seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.finish()
}
