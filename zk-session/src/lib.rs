//! The ZooKeeper session as a pure state machine.
//!
//! No IO, no clock reads, no threads: time is a parameter of every call that needs it.

mod chroot;
mod config;
mod connect_string;
mod error;
mod event;
mod hosts;
mod id;
mod pending;
mod request;
mod rng;
mod session;
mod state;
#[cfg(feature = "testing")]
pub mod testing;
mod timer;
mod watch;
mod xid;

pub use chroot::Chroot;
pub use config::{Config, DEFAULT_MAX_FRAME_SIZE, SessionCredentials};
pub use connect_string::{ConnectString, DEFAULT_PORT, HostAddr};
pub use error::{CloseReason, ConfigError, DisconnectCause, RequestError, SubmitError};
pub use event::{Event, Transport, WatchEvent};
pub use id::{ConnId, RequestId};
pub use request::{CONFIG_NODE, Request, Response};
pub use session::Session;
pub use state::SessionState;
pub use watch::{Registration, WatchKind, WatcherType};
pub use zk_proto;
