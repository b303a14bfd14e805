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
//!   (zk-recipes' `_async` calls say what a dropped future leaves: a lock's acquire
//!   leaves no node in line.) A [`Client::connect`] future dropped while the server
//!   is answering its handshake leaves no session there: the driver task waits for
//!   the answer (at most the close timeout) and closes the session the server made.
//!   A connect that fails (its connect timeout passed) does not wait for an answer
//!   still owed: it returns, and the driver task ends, at once.
//! * [`Client::close`], bounded by the close timeout; dropping the last clone closes
//!   the session in the background, so `close().await` before `main` returns (a
//!   runtime that shuts down first leaves the session to expire on the server, its
//!   ephemeral nodes with it). After `Closed`, `Expired` or `AuthFailed` every
//!   call fails at once with that state's error (`SaslRequired` when the server
//!   ended the session for want of SASL).
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
//! # Features
//! `tracing` (on by default): the session's decisions and this crate's IO errors,
//! logged through `tracing`, as zk-blocking's feature of the same name does.
//!
//! # Disconnects, expiry and calls cut short
//! * **A disconnect** is not the client's end: the session redials on its own
//!   ([`Client::state_changes`] shows `Disconnected`, then `SyncConnected`). Calls made
//!   meanwhile wait and go out once it is back; calls already on the wire fail with
//!   [`Error::ConnectionLoss`] and may or may not have been applied. One-shot watches
//!   carry over (the server fires one at once if its node changed meanwhile).
//!   Persistent watches ([`WatchStream`]) carry over too, **but the server does not
//!   replay the changes they missed while disconnected**: re-read what such a watch
//!   covers when the state stream shows `SyncConnected` again (zk-recipes'
//!   `NodeWatch` does that for you).
//! * **An expired session** is over for good: its ephemeral nodes and watches go
//!   with it, every call fails with [`Error::SessionExpired`], and every watch future
//!   and stream ends with it. Connect a new [`Client`] and set up again (ephemeral
//!   nodes, watches, locks), as below. When the client ended the session itself (no
//!   server heard from for 4/3 of the session timeout: `StateReason::ExpiredUnheard`),
//!   an ensemble back from a long leader election may keep it, and its ephemeral
//!   nodes, up to a session timeout longer: a create of the same ephemeral node on the
//!   new session may meet `NodeExists` until then.
//! * **A call cut short** (its future dropped by `tokio::time::timeout`, `select!` or
//!   a task abort) is not undone: the request was queued when the call was made and
//!   still runs on the server, unseen. A create cut short may have created its node;
//!   for a sequential one you cannot know the name: put something unique to this
//!   client in the path (zk-recipes' locks use a random prefix) and list the parent's
//!   children to find it, or let it go with the session if it is ephemeral.
//! * **A watch does not keep the session alive**: dropping the last clone of the
//!   client closes it, and its watches end with `Closed`.
//! * **On a current-thread runtime** the driver task runs only while the runtime does
//!   (inside `block_on`): a program that leaves it idle longer than the session
//!   timeout loses its session.
//!
//! ```no_run
//! use zk_tokio::{Client, CreateMode, Error, KeeperState, Options};
//!
//! /// Registers this worker and serves until the session ends.
//! async fn serve(zk: &Client) -> Result<(), Error> {
//!     let mut states = zk.state_changes();
//!     // Goes with the session: the others see this worker only while it lives.
//!     zk.create("/workers/worker-", "", CreateMode::EphemeralSequential).await?;
//!     while let Some(state) = states.next().await {
//!         match state {
//!             // Unsure whether the session still holds: pause what needs it.
//!             KeeperState::Disconnected => {}
//!             // The same session again: resume (and re-read what persistent
//!             // watches cover).
//!             KeeperState::SyncConnected => {}
//!             KeeperState::Expired => return Err(Error::SessionExpired),
//!             _ => {}
//!         }
//!     }
//!     Ok(())
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     loop {
//!         let zk = Client::connect("127.0.0.1:2181", Options::new()).await?;
//!         match serve(&zk).await {
//!             // A new session, a new client: set up again.
//!             Err(Error::SessionExpired) => continue,
//!             done => {
//!                 zk.close().await;
//!                 return done;
//!             }
//!         }
//!     }
//! }
//! ```
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
