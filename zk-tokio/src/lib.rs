//! An async ZooKeeper client for tokio: a thin driver over the sans-IO session
//! ([`zk_session`]). tokio owns the socket and the clock; the session makes every
//! protocol decision (handshake, pings, reconnects with watch and credential replay,
//! read-only mode, expiry, request timeouts, close).
//!
//! # Driving model
//! [`Client::connect`] (or [`Client::start`]) spawns one **driver task** on the
//! current tokio runtime, current-thread or multi-thread; there is nothing else to
//! spawn or poll. The task owns the connection (a `tokio::net::TcpStream`), reads
//! straight into the session's receive buffer, writes its send buffer, sleeps until
//! the session's next deadline, carries out every transport action (dial with a fresh
//! name lookup, close, the read-write probe while read-only) and hands replies and
//! events to the futures and streams waiting for them. It keeps the session alive
//! (pings) whether or not anyone calls, and ends when the session does. Callers and
//! the task share the session behind one lock, held only for non-blocking turns.
//!
//! # What you get
//! * [`Client`]: `Clone + Send + Sync`; every operation of the blocking client
//!   ([`zk_blocking::Client`]) with the same typed results and [`Error`]s, as a method
//!   returning a [`Call`] future. A request is queued when its method is called, so
//!   calls reach the server in the order they were made, and requests of every clone
//!   and task are pipelined in one session (the driver writes each batch at once).
//! * Watches: `get_data_watch` and the other watching reads return a [`OneShotWatch`]
//!   (a future of the event); [`Client::add_watch`] returns a [`WatchStream`];
//!   [`Client::state_changes`] is a stream of the session's states. Dropping one
//!   removes its registration (see [`Client`], "Watches").
//! * Cancellation safety: dropping any future at any point leaves the session and the
//!   other callers untouched; the request still completes in the session, unseen.
//! * [`Client::close`], bounded by the close timeout; dropping the last clone closes
//!   the session in the background. After `Closed`, `Expired` or `AuthFailed` every
//!   call fails at once with that state's error.
//!
//! The types are the blocking crate's ([`Options`], [`Error`], [`WatchHandle`],
//! [`Transaction`], ...), re-exported here, so code moves between the two clients.
//!
//! # What it does not do
//! SASL and TLS as for the blocking clients (`Options::sasl_digest`, `Options::tls`);
//! no GSSAPI (Kerberos). No retries: a call that fails with [`Error::ConnectionLoss`] may or
//! may not have been applied. It needs a tokio runtime (with the time and IO drivers:
//! `enable_all`); if the runtime shuts down first, the session is left to expire on
//! the server.
//!
//! # Quick start
//!
//! Against a local server (`127.0.0.1:2181`, or the connect string given as the first
//! argument): create an ephemeral node, read it with a watch, change it from another
//! task, await the watch. This is the example `tokio_quick_start`, run against a real
//! server by the tests.
//!
//! ```no_run
//! use zk_tokio::{Client, CreateMode, Options, Version};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), zk_tokio::Error> {
//!     let hosts = std::env::args().nth(1);
//!     // A driver task on this runtime keeps the session; clones share it.
//!     let zk = Client::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new()).await?;
//!     let path = "/quick-start-async";
//!     zk.create(path, "hello", CreateMode::Ephemeral).await?;
//!     let (data, _stat, changed) = zk.get_data_watch(path).await?;
//!     println!("read {}", String::from_utf8_lossy(&data));
//!     let writer = zk.clone();
//!     tokio::spawn(async move { writer.set_data(path, "world", Version::Any).await });
//!     let event = changed.await?;
//!     println!("{:?} on {}", event.event_type, event.path);
//!     zk.close().await;
//!     Ok(())
//! }
//! ```

mod call;
mod client;
mod core;
mod driver;
mod ops;
mod watch;

pub use call::{Call, PendingReply};
pub use client::Client;
pub use watch::{OneShotWatch, StateChanges, WatchStream};

pub use zk_blocking::{
    Acl, AddWatchMode, Bytes, ClientInfo, Completion, CreateMode, CreateOptions, Error, ErrorCode,
    Event, EventType, Id, IntoData, KeeperState, OpResult, Options, Perms, ReadBatch, ReadResult,
    Request, RequestId, Response, Result, SaslConfig, SessionCredentials, SessionState, Stat,
    StateReason, Transaction, Version, WatchHandle, WatchKind, WatchedEvent, WatcherType,
};
pub use {zk_blocking, zk_proto, zk_session};

/// The README's examples, compiled (and run, where not `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
