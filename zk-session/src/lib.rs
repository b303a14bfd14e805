//! The ZooKeeper session as a pure state machine.
//!
//! No IO, no clock reads, no threads: time is a parameter of every call that needs it.

#[allow(dead_code)]
mod chroot;
#[allow(dead_code)]
mod config;
mod connect_string;
mod error;
#[allow(dead_code)] // wired in by the session machine (next commit)
mod hosts;
mod id;
#[allow(dead_code)]
mod path;
#[allow(dead_code)]
mod rng;
mod state;
#[allow(dead_code)]
mod timer;
#[allow(dead_code)]
mod watch;
#[allow(dead_code)]
mod xid;

pub use chroot::Chroot;
pub use config::{Config, DEFAULT_MAX_FRAME_SIZE, SessionCredentials};
pub use connect_string::{ConnectString, DEFAULT_PORT, HostAddr};
pub use error::ConfigError;
pub use id::{ConnId, RequestId};
pub use state::SessionState;
pub use watch::{Registration, WatchKind, WatcherType};
