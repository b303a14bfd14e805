//! Test support: real Apache ZooKeeper servers on loopback and a fault proxy.
//!
//! - [`ZkServer::start_standalone`] and [`Ensemble::start`] run real servers, each
//!   member in its own temp dir on ports picked at run time, configured through
//!   [`ServerOptions`]; [`shared_standalone`] is one server for every test in the
//!   process that just needs "a server".
//! - [`four_letter()`] and its typed helpers talk to a server's client port.
//! - [`proxy::FaultProxy`] sits between a client and a server and delays, drops, cuts,
//!   slices or resets the traffic on command.
//! - [`chaos`] draws seeded fault schedules and runs them against an ensemble behind
//!   one proxy per member.
//!
//! Cleanup: dropping a server kills its process and removes its dir, also while a test
//! panics. Each java runs under a small `sh` watchdog fed by a pipe from this process;
//! when this process exits in any way (even `std::process::exit`, an abort or SIGKILL,
//! which run no destructors) the pipe closes and the watchdog kills java and removes the
//! dir.
//!
//! ZooKeeper comes from `ZOOKEEPER_HOME/lib` or Debian's `zookeeper` package (see
//! [`ZkInstall`]).

pub mod chaos;
mod ensemble;
mod error;
mod four_letter;
pub mod fuzzing;
mod install;
mod options;
mod ports;
mod process;
pub mod proxy;
mod server;
mod shared;
mod tempdir;
mod tls;
mod watchdog;

pub use ensemble::Ensemble;
pub use error::HarnessError;
pub use four_letter::{
    FOUR_LETTER_TIMEOUT, ServerMode, four_letter, four_letter_with_timeout, is_ok, is_read_only,
    mntr, parse_mntr, server_mode,
};
pub use install::ZkInstall;
pub use options::ServerOptions;
pub use ports::{free_port, require_ipv6_loopback};
pub use process::is_alive;
pub use server::ZkServer;
pub use shared::shared_standalone;
pub use tls::{ClientAuth, ServerCert, TestPki, TlsServer};

/// The workspace README's examples, compiled as doc tests (the quick starts are also
/// run against a real server: tests/front_door.rs).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
