//! Drivers that give the sans-IO session ([`zk_session`]) a socket and a clock. The
//! session makes every protocol decision; this crate owns the sockets, name
//! resolution, the clock and the waiting, in three pieces:
//!
//! * the link (the private `link` module), shared by every driver: it carries out the
//!   session's transport actions (dial, resolving the host afresh each time, bounded
//!   by the session's connect timeout, TCP_NODELAY on; close; ask a host whether it
//!   serves read-write), reads straight into the session's receive buffer, writes its
//!   send buffer, and reports every lost connection. A driver adds only how it waits
//!   and what it hands out; the next ones (a thread-backed client, an async one) are
//!   meant to reuse it.
//! * [`Client`]: a blocking client in the C client's single-threaded model. The
//!   caller's thread runs the session: every call writes its request and then reads
//!   and processes input until its reply arrives, waiting in a socket read bounded by
//!   the earlier of the session's deadline and the call's own. There are no
//!   background threads, so **an idle client keeps its session alive only while some
//!   call is pumping** (loop in [`Client::next_event`] when there is nothing else to
//!   do). One method per ZooKeeper operation with typed results; watching variants
//!   return a [`WatchHandle`]; [`Client::submit`] / [`Client::wait`] pipeline without
//!   threads. Events come from [`Client::next_event`] as [`Event`]s.
//! * [`ExternalDriver`]: a non-blocking handle for an event loop you own (poll, epoll,
//!   mio, tokio's `AsyncFd`): it says which fd, which readiness and which deadline it
//!   needs ([`ExternalDriver::interest`]) and does the work in
//!   [`ExternalDriver::process`], like the C client's `zookeeper_interest` /
//!   `zookeeper_process`. Replies and events come from [`ExternalDriver::poll_event`]
//!   as [`ExternalEvent`]s: a [`Completion`] or an [`Event`].
//!
//! Both run the session's run loop, which is written once, in the "The run loop"
//! section of [`zk_session`'s crate docs](zk_session#the-run-loop). Both take
//! [`Options`] by value; node data is anything [`IntoData`] (borrowed `&str`, `&[u8]`,
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
//! # What it does not do
//!
//! No SASL or TLS. Name resolution uses the system resolver, which blocks; the
//! external driver is fully non-blocking only with IP addresses in the connect string.
//! No background thread, so no callbacks: events are pulled with
//! [`Client::next_event`] or [`ExternalDriver::poll_event`]. No retries: a call that
//! fails with [`Error::ConnectionLoss`] may or may not have been applied, and
//! deciding whether to retry is the program's business.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_blocking::{Client, CreateMode, Event, Options};
//!
//! let mut zk = Client::connect("127.0.0.1:2181/app", Options::new())?;
//! zk.create("/config", "v1", CreateMode::Persistent)?;
//! let (data, _stat, watch) = zk.get_data_watch("/config")?;
//! println!("config: {}", String::from_utf8_lossy(&data));
//! loop {
//!     match zk.next_event(Duration::from_secs(1))? {
//!         Some(Event::Watch(e)) if e.fired(watch) => break,
//!         _ => {} // session events, or nothing yet: the loop keeps the session alive
//!     }
//! }
//! zk.close();
//! # Ok::<(), zk_blocking::Error>(())
//! ```

#[macro_use]
mod typed_ops;
mod client;
mod create;
mod error;
mod event;
#[cfg(unix)]
mod external;
mod link;
mod multi;
mod options;
#[cfg(unix)]
mod shared;
mod watch;

pub use client::Client;
pub use create::CreateOptions;
pub use error::{Error, Result};
pub use event::{Completion, Event, ExternalEvent};
#[cfg(unix)]
pub use external::{ExternalDriver, Interest};
pub use multi::{OpResult, ReadBatch, ReadResult, Transaction};
pub use options::Options;
#[cfg(unix)]
pub use shared::{Events, PendingReply, SharedClient};
pub use watch::{WatchHandle, WatchedEvent};

pub use bytes::Bytes;
pub use zk_proto::{
    Acl, AddWatchMode, ClientInfo, CreateMode, ErrorCode, EventType, Id, KeeperState, Perms, Stat,
};
pub use zk_session::{
    ConfigError, ConnId, DEFAULT_MAX_FRAME_SIZE, IntoData, MultiOp, MultiResult, Request,
    RequestError, RequestId, Response, Session, SessionCredentials, SessionState, Version,
    WatchKind, WatcherType,
};
pub use {zk_proto, zk_session};
