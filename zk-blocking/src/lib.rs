//! Drivers that give the sans-IO session (`zk-session`) a socket and a clock.
//!
//! * [`Client`]: a blocking client in the C client's single-threaded model. The
//!   caller's thread runs the session: every call writes its request and then reads
//!   and processes input until its reply arrives. There are no background threads, so
//!   **an idle client keeps its session alive only while some call is pumping** (loop
//!   in [`Client::next_event`] when there is nothing else to do). One method per
//!   ZooKeeper operation with typed results; watching variants return a
//!   [`WatchHandle`]; [`Client::submit`] / [`Client::wait`] pipeline without threads.
//! * [`ExternalDriver`]: a non-blocking handle for an event loop you own (poll, epoll,
//!   mio, tokio's `AsyncFd`): it says which fd, which readiness and which deadline it
//!   needs ([`ExternalDriver::interest`]) and does the work in
//!   [`ExternalDriver::process`], like the C client's `zookeeper_interest` /
//!   `zookeeper_process`.
//!
//! # The run loop
//!
//! Both drivers run the same loop around [`zk_session::Session`]:
//!
//! 1. feed inputs with the current time: `handle_timeout(now)` first, then
//!    `handle_connected` / `handle_disconnected` as the socket says, and reads: into
//!    `recv_buf(conn)`, reported with `handle_received(conn, n, now)`;
//! 2. drain every output: `poll_transport` (dial, close, probe) until `None`, the send
//!    buffer (write, then `advance_send`), `poll_event` until `None`;
//! 3. wait for socket readiness or `poll_timeout()`, whichever comes first, and go to 1.
//!
//! The blocking client waits in `read` with the socket's read timeout set to the
//! earliest of the session's deadline and the call's own; it writes everything queued
//! before it waits (a write blocks at most until the session's next deadline). Hosts
//! are resolved each time they are dialled (`ToSocketAddrs`), connects are bounded by
//! the session's connect timeout, and TCP_NODELAY is on.
//!
//! Reads go straight from the socket into the session's receive buffer
//! (`Session::recv_buf`), the memory frames are split from: a reply's data is a slice
//! of what the kernel wrote, and the drivers copy nothing themselves. (The session
//! zero-fills the space before each read, as safe Rust must, and moves the head of a
//! large frame, at most 16 KiB, once when its length shows it needs a bigger buffer.)
//!
//! Watch handles are keys into the session's registrations
//! (`Session::watches`, `Session::registration`): the client keeps no table of its
//! own. A watch event names at least one handle: the session drops notifications for
//! watches this client no longer holds (removed, or set by a call that timed out),
//! as Java does. Unread events are bounded by [`Options::max_queued_events`].
//!
//! # What it does not do
//!
//! No SASL or TLS. Name resolution uses the system resolver, which blocks; the external driver is fully
//! non-blocking only with IP addresses in the connect string. No background thread, so no callbacks: events are pulled with
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

mod client;
mod create;
mod error;
mod event;
#[cfg(unix)]
mod external;
mod link;
mod multi;
mod options;
mod watch;

pub use client::Client;
pub use create::CreateOptions;
pub use error::{Error, Result};
pub use event::{Completion, Event, ExternalEvent};
#[cfg(unix)]
pub use external::{ExternalDriver, Interest};
pub use multi::{OpResult, ReadBatch, ReadResult, Transaction};
pub use options::Options;
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
