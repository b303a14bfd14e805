//! Drivers that give the sans-IO session ([`zk_session`]) a socket and a clock. The
//! session makes every protocol decision; this crate owns the sockets, name
//! resolution, the clock and the waiting, in four pieces (see [Which driver to
//! pick](#which-driver-to-pick)):
//!
//! * the link (the private `link` module), shared by every driver: it carries out the
//!   session's transport actions (dial, resolving the host afresh each time, bounded
//!   by the session's connect timeout, TCP_NODELAY on; close; ask a host whether it
//!   serves read-write), reads straight into the session's receive buffer, writes its
//!   send buffer, and reports every lost connection. A driver adds only how it waits
//!   and what it hands out. (The async client, crate `zk-tokio`, does the same over
//!   tokio's sockets; it shares this crate's types and typed operations.)
//! * [`Client`]: a blocking client in the C client's single-threaded model. The
//!   caller's thread runs the session: every call writes its request and then reads
//!   and processes input until its reply arrives, waiting in a socket read (or, while
//!   it dials, for the connecting socket) bounded by the earlier of the session's
//!   deadline and the call's own. There are no
//!   background threads, so **an idle client keeps its session alive only while some
//!   call is pumping** (loop in [`Client::next_event`] when there is nothing else to
//!   do). One method per ZooKeeper operation with typed results; watching variants
//!   return a [`WatchHandle`]; [`Client::submit`] / [`Client::wait`] pipeline without
//!   threads. Events come from [`Client::next_event`] as [`Event`]s.
//! * [`SharedClient`]: the C client's multi-threaded model (Unix only). A background IO
//!   thread owns the socket and keeps the session alive whether or not anyone calls;
//!   the client is `Clone + Send + Sync`, every operation of [`Client`] takes `&self`,
//!   requests of all threads go out pipelined in the one session, and each caller
//!   blocks only on its own reply ([`SharedClient::submit`] / [`PendingReply::wait`] to
//!   pipeline). Events come from a channel ([`SharedClient::events`]), per watch
//!   ([`SharedClient::wait_watch`]) or as callbacks on one event thread
//!   ([`SharedClient::on_event`]); each subscriber of
//!   [`SharedClient::state_changes`] gets every state change.
//! * [`ExternalDriver`]: a non-blocking handle for an event loop you own (poll, epoll,
//!   mio): it says which fd, which readiness and which deadline it
//!   needs ([`ExternalDriver::interest`]) and does the work in
//!   [`ExternalDriver::process`], like the C client's `zookeeper_interest` /
//!   `zookeeper_process`. Replies and events come from [`ExternalDriver::poll_event`]
//!   as [`ExternalEvent`]s: a [`Completion`] or an [`Event`].
//!
//! [`Client`] and [`ExternalDriver`] run the session's run loop, which is written once,
//! in the "The run loop" section of [`zk_session`'s crate docs](zk_session#the-run-loop);
//! [`SharedClient`]'s IO thread runs an [`ExternalDriver`]. All take [`Options`] by
//! value; node data is anything [`IntoData`] (borrowed `&str`, `&[u8]`,
//! `&String`, `&Vec<u8>`, or owned `String`, `Vec<u8>`, [`Bytes`]), conditional writes
//! take a [`Version`], and a TTL is a `Duration` ([`CreateOptions::ttl`]).
//!
//! Reads copy nothing in this crate: a reply's data is a slice of the buffer the
//! kernel wrote into (the session zero-fills the space before each read, as safe Rust
//! must, and moves the head of a large frame, at most 16 KiB, once when its length
//! shows it needs a bigger buffer).
//!
//! Watch handles are keys into the session's registrations
//! ([`Session::watches`], [`Session::registration`]): the drivers keep no table of
//! their own. A watch event names at least one handle: the session drops
//! notifications for watches this client no longer holds (removed, or set by a call
//! that timed out), as Java does. Unread events are bounded by
//! [`Options::max_queued_events`].
//!
//! # Which driver to pick
//!
//! | driver | runs the session | idle session kept alive | pick it when |
//! |---|---|---|---|
//! | [`Client`] (st model) | the calling thread, in each call | only while a call pumps ([`Client::next_event`]) | one thread calls ZooKeeper all the time (scripts, tools); no threads of its own |
//! | [`SharedClient`] (mt model) | a background IO thread; calls from any thread (`&self`) | yes, without calls | many threads share a session, or locks, leadership or ephemerals are held while the program does other work |
//! | [`ExternalDriver`] | your event loop (poll, epoll, mio) | while your loop serves its fd and deadline | you own an event loop and want no extra threads |
//! | `zk_tokio::Client` (crate `zk-tokio`) | a task on your tokio runtime; calls are futures from any task | yes, without calls | your program is async on tokio |
//!
//! # What it does not do
//!
//! SASL is DIGEST-MD5 ([`Options::sasl_digest`]) or a mechanism of your own
//! ([`Options::sasl`]); GSSAPI (Kerberos) is not built in (zk-session's `SaslConfig`
//! docs say what it would take). Name resolution uses the system resolver, which
//! blocks; the external driver is fully non-blocking only with IP addresses in the
//! connect string.
//! Only [`SharedClient`] has threads (and so callbacks, [`SharedClient::on_event`]); the
//! others hand out events when pulled ([`Client::next_event`],
//! [`ExternalDriver::poll_event`]). No retries: a call that
//! fails with [`Error::ConnectionLoss`] may or may not have been applied, and
//! deciding whether to retry is the program's business.
//!
//! # When the session expires
//!
//! A lost connection is the client's to mend: it reconnects with the same session
//! (its ephemeral nodes and watches live on), and calls cut off meanwhile fail with
//! [`Error::ConnectionLoss`]. An expired session is over for good: every call fails
//! with [`Error::SessionExpired`], and its ephemeral nodes and watches go with it.
//! Connect a new client and set up again (ephemeral nodes, watches, locks), as Java's
//! and kazoo's programs do:
//!
//! ```no_run
//! use zk_blocking::{CreateMode, Error, Options, SharedClient};
//!
//! /// Registers this worker and serves until the session ends.
//! fn serve(zk: &SharedClient) -> Result<(), Error> {
//!     zk.create("/workers/worker-1", "", CreateMode::Ephemeral)?;
//!     loop {
//!         // ... the work; every call fails with SessionExpired once it is over ...
//!         zk.exists("/workers/worker-1")?;
//!         std::thread::sleep(std::time::Duration::from_secs(1));
//!     }
//! }
//!
//! fn main() -> Result<(), Error> {
//!     loop {
//!         let zk = SharedClient::connect("127.0.0.1:2181", Options::new())?;
//!         match serve(&zk) {
//!             // A new session, a new client: set up again.
//!             Err(Error::SessionExpired) => continue,
//!             done => {
//!                 zk.close();
//!                 return done;
//!             }
//!         }
//!     }
//! }
//! ```
//!
//! When the client ended the session itself (no server heard from for 4/3 of the
//! session timeout: [`StateReason::ExpiredUnheard`]), an ensemble back from a long
//! leader election may keep the old session, and its ephemeral nodes, up to a session
//! timeout longer: a create of the same ephemeral node may meet [`Error::NodeExists`]
//! until then (its Stat's `ephemeral_owner` names the old session).
//!
//! # Features
//!
//! `tracing` (on by default): connects, handshakes, dropped connections and their
//! reasons, backoff waits, expiry and close, logged through `tracing` (zk-session's
//! feature of the same name, plus this crate's dial and IO errors). Without a
//! subscriber installed it costs next to nothing; `default-features = false` leaves it
//! out.
//!
//! # Quick start
//!
//! Against a local server (`127.0.0.1:2181`, or the connect string given as the first
//! argument): create an ephemeral node, read it with a watch, change it, see the watch
//! fire. This is the example `quick_start`, run against a real server by the tests.
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_blocking::{Client, CreateMode, Event, Options, Version};
//!
//! fn main() -> Result<(), zk_blocking::Error> {
//!     let hosts = std::env::args().nth(1);
//!     let mut zk = Client::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
//!     // An ephemeral node lives as long as the session that created it.
//!     zk.create("/quick-start", "hello", CreateMode::Ephemeral)?;
//!     let (data, _stat, watch) = zk.get_data_watch("/quick-start")?;
//!     println!("read {}", String::from_utf8_lossy(&data));
//!     zk.set_data("/quick-start", "world", Version::Any)?;
//!     // This client runs in the caller's thread: events arrive while it is called.
//!     while let Some(event) = zk.next_event(Duration::from_secs(10))? {
//!         if let Event::Watch(e) = event {
//!             println!("{:?} on {}", e.event_type, e.path);
//!             if e.fired(watch) {
//!                 break;
//!             }
//!         }
//!     }
//!     zk.close();
//!     Ok(())
//! }
//! ```
//!
//! The same on a [`SharedClient`], with the change made in another thread: no loop is
//! needed to keep the session alive (the example `quick_start_shared`).
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_blocking::{CreateMode, Event, Options, SharedClient, Version};
//!
//! fn main() -> Result<(), zk_blocking::Error> {
//!     let hosts = std::env::args().nth(1);
//!     // A background thread keeps the session; clones share it across threads.
//!     let zk = SharedClient::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
//!     zk.create("/quick-start-shared", "hello", CreateMode::Ephemeral)?;
//!     let (data, _stat, watch) = zk.get_data_watch("/quick-start-shared")?;
//!     println!("read {}", String::from_utf8_lossy(&data));
//!     let writer = zk.clone();
//!     let worker =
//!         std::thread::spawn(move || writer.set_data("/quick-start-shared", "world", Version::Any));
//!     match zk.wait_watch(watch, Duration::from_secs(10))? {
//!         Some(Event::Watch(e)) => println!("{:?} on {}", e.event_type, e.path),
//!         other => println!("no change within 10 s: {other:?}"),
//!     }
//!     worker.join().expect("the writer thread panicked")?;
//!     zk.close();
//!     Ok(())
//! }
//! ```
//!
//! And the [`ExternalDriver`] in an event loop of your own, here mio's (the example
//! `quick_start_external`):
//!
//! ```no_run
//! use mio::{Events, Interest, Poll, Token, unix::SourceFd};
//! use std::time::Instant;
//! use zk_blocking::{ExternalDriver, ExternalEvent, Options, Request};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let hosts = std::env::args().nth(1);
//!     let mut zk = ExternalDriver::new(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
//!     let (mut poll, mut events, mut registered) = (Poll::new()?, Events::with_capacity(8), None);
//!     zk.submit(Request::get_children("/", false))?; // written once connected
//!     zk.process(false, false, Instant::now()); // dials
//!     while !zk.state().is_terminal() {
//!         // Each (re)connect, or a dial's next address, brings a new socket: register it.
//!         if zk.socket_id() != registered {
//!             registered = zk.socket_id();
//!             if let Some(fd) = zk.as_raw_fd() {
//!                 let both = Interest::READABLE | Interest::WRITABLE;
//!                 poll.registry()
//!                     .register(&mut SourceFd(&fd), Token(0), both)?;
//!             }
//!         }
//!         let timeout = zk
//!             .deadline()
//!             .map(|at| at.saturating_duration_since(Instant::now()));
//!         poll.poll(&mut events, timeout)?;
//!         zk.process(!events.is_empty(), !events.is_empty(), Instant::now());
//!         while let Some(event) = zk.poll_event() {
//!             if let ExternalEvent::Reply(reply) = event {
//!                 println!("{:?}", reply.result?);
//!                 zk.close(); // the loop runs on until the session is over
//!             }
//!         }
//!     }
//!     Ok(())
//! }
//! ```

mod client;
mod connect_problems;
mod create;
mod error;
mod event;
#[cfg(unix)]
mod external;
mod link;
mod multi;
mod options;
#[cfg(all(test, unix))]
mod several_addresses;
#[cfg(unix)]
mod shared;
mod tls;
mod typed_ops;
mod watch;

pub use client::{Abandoner, Client};
pub use create::CreateOptions;
pub use error::{Error, Result};
pub use event::{Completion, Event, ExternalEvent};
#[cfg(unix)]
pub use external::{ExternalDriver, Interest};
pub use link::SocketId;
pub use multi::{OpResult, ReadBatch, ReadResult, Transaction};
pub use options::Options;
#[cfg(unix)]
pub use shared::{Events, PendingReply, SharedClient, StateChanges};
pub use tls::TlsConfig;
pub use watch::{WatchHandle, WatchedEvent};

pub use bytes::Bytes;
/// The TLS library, for [`TlsConfig::from_rustls`].
pub use rustls;
pub use zk_proto::{
    Acl, AddWatchMode, ClientInfo, CreateMode, ErrorCode, EventType, Id, KeeperState, Perms, Stat,
};
pub use zk_session::{
    CloseReason, ConfigError, ConnId, DEFAULT_MAX_FRAME_SIZE, DisconnectCause, HostAddr, IntoData,
    MultiOp, MultiResult, Request, RequestError, RequestId, Response, SaslConfig, Session,
    SessionCredentials, SessionState, StateReason, Version, WatchKind, WatcherType,
};
pub use {zk_proto, zk_session};

/// Building blocks for the drivers in other crates of this workspace (zk-tokio expands
/// the same typed operations and hands out the same types). Not for applications, and
/// not a stable API.
#[doc(hidden)]
pub mod for_drivers {
    use std::time::{Duration, Instant};

    use zk_session::{Registration, Session, SessionState, StateReason};

    use crate::{Error, ExternalEvent, Options, Result, WatchHandle};

    pub use crate::connect_problems::ConnectProblems;
    pub use crate::link::low_water::{LowWater, sure_over_tls, sure_to_arrive};
    pub use crate::link::record_framing::RecordFraming;
    pub use crate::link::{LinkTls, explain_handshake_loss};
    pub use crate::multi::{read_results, transaction_results};
    pub use crate::typed_ops::{add_watch_request, auth_confirmed, create_request, wrong_reply};

    /// The handle of a session's watch registration.
    pub fn watch_handle(registration: &Registration) -> WatchHandle {
        WatchHandle::from_registration(registration)
    }

    /// Gives `session` the host list `hosts` (see
    /// [`Session::update_hosts`]), and `problems` with it, so that errors name it.
    pub fn update_hosts(
        session: &mut Session,
        problems: &mut ConnectProblems,
        hosts: &str,
        now: Instant,
    ) -> Result<()> {
        session.update_hosts(hosts, now)?;
        problems.hosts_changed(hosts);
        Ok(())
    }

    /// A session event as the drivers hand it out.
    pub fn event(event: zk_session::Event) -> ExternalEvent {
        ExternalEvent::from_session(event)
    }

    /// The error every call gets from a session in `state` (terminal or closing),
    /// which ended for `reason` (its `state_reason`).
    pub fn error_for_state(state: SessionState, reason: Option<&StateReason>) -> Error {
        Error::for_ending(state, reason)
    }

    /// A new session for `options` (see `Options::start_session`).
    pub fn start_session(options: &Options, connect_string: &str, now: Instant) -> Result<Session> {
        options.start_session(connect_string, now)
    }

    /// `options` for a driver that hands the session's events out after every read
    /// (see `Options::events_handed_out_per_read`).
    pub fn events_handed_out_per_read(options: Options) -> Options {
        options.events_handed_out_per_read()
    }

    /// `options` for a driver whose calls wait for a first session at most the connect
    /// timeout (see `Options::first_session_bounded`).
    pub fn first_session_bounded(options: Options) -> Options {
        options.first_session_bounded()
    }

    /// The TLS settings of `options`, built for the session's connections.
    pub fn link_tls(options: &Options) -> Result<Option<LinkTls>> {
        options.link_tls()
    }

    /// A failed TLS handshake or read, explained in TLS terms (see the blocking link).
    pub fn explain_tls_failure(
        e: std::io::Error,
        host: &zk_session::HostAddr,
        has_client_cert: bool,
    ) -> std::io::Error {
        crate::link::explain_tls_failure(e, host, has_client_cert)
    }

    /// How long a connect may wait for the first session.
    pub fn connect_deadline(options: &Options) -> Duration {
        options.connect_deadline()
    }

    /// Whether credentials go out after the handshake (and need confirming).
    pub fn has_auth(options: &Options) -> bool {
        options.has_auth()
    }

    /// The per-call deadline.
    pub fn call_timeout(options: &Options) -> Option<Duration> {
        options.call_timeout
    }

    /// How long closing may wait for the server.
    pub fn close_timeout(options: &Options) -> Duration {
        options.session.close_timeout
    }

    /// The most unread events kept.
    pub fn max_queued_events(options: &Options) -> usize {
        options.session.max_queued_events
    }
}

/// The README's examples, compiled (and run, where not `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
