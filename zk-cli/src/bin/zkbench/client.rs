//! The two blocking clients zkbench measures (`ZKB_CLIENT_KIND`), behind one enum: the
//! blocking [`Client`] (the C client's st model: the caller's thread runs the session)
//! and the [`SharedClient`] (the mt model: an IO thread runs it, callers wait on their
//! replies). Only what the workloads call is here. The tokio client has async
//! workloads of its own (`tokio_kind`) and shares only [`options`].

use std::time::Duration;

use zk_blocking::{
    Bytes, Client, CreateMode, DEFAULT_MAX_FRAME_SIZE, Error, Event, Events, Options, SharedClient,
    Stat, Version,
};

use crate::config::{Config, Kind};

/// As the C peer: 30 s sessions.
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// Room for the reply header and Stat around the large value.
const FRAME_OVERHEAD: usize = 4096;

// At most two exist and they are moved only between workloads; boxing the blocking
// client would only add a pointer chase to every call of the baseline.
#[allow(clippy::large_enum_variant)]
pub enum Zk {
    Blocking(Client),
    /// The client and the one receiver of its event channel (watch_storm's session A
    /// counts its events from it).
    Shared(SharedClient, Events),
}

/// Every kind's session options: 30 s sessions, frames large enough for large_get,
/// TLS when asked.
pub fn options(config: &Config) -> Options {
    let frame_limit = DEFAULT_MAX_FRAME_SIZE.max(config.large_size + FRAME_OVERHEAD);
    let options = Options::new()
        .session_timeout(SESSION_TIMEOUT)
        .max_frame_size(frame_limit);
    match &config.tls {
        Some(tls) => options.tls(tls.clone()),
        None => options,
    }
}

impl Zk {
    pub fn connect(config: &Config) -> Result<Zk, Error> {
        let options = options(config);
        Ok(match config.kind {
            Kind::Blocking => Zk::Blocking(Client::connect(&config.hosts, options)?),
            Kind::Shared => {
                let zk = SharedClient::connect(&config.hosts, options)?;
                let events = zk.events();
                Zk::Shared(zk, events)
            }
            Kind::Tokio => unreachable!("the tokio kind runs tokio_kind::run, not Zk"),
        })
    }

    pub fn create(&mut self, path: &str, data: Bytes, mode: CreateMode) -> Result<String, Error> {
        match self {
            Zk::Blocking(zk) => zk.create(path, data, mode),
            Zk::Shared(zk, _) => zk.create(path, data, mode),
        }
    }

    pub fn set_data(&mut self, path: &str, data: Bytes) -> Result<Stat, Error> {
        match self {
            Zk::Blocking(zk) => zk.set_data(path, data, Version::Any),
            Zk::Shared(zk, _) => zk.set_data(path, data, Version::Any),
        }
    }

    /// One synchronous read: the typed call of either client.
    pub fn get_data(&mut self, path: &str) -> Result<(Bytes, Stat), Error> {
        match self {
            Zk::Blocking(zk) => zk.get_data(path),
            Zk::Shared(zk, _) => zk.get_data(path),
        }
    }

    /// The next watch or session event, waiting at most `timeout` (the blocking client
    /// pumps its session meanwhile; the shared client's IO thread already does).
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        match self {
            Zk::Blocking(zk) => zk.next_event(timeout),
            Zk::Shared(_, events) => events.recv_timeout(timeout),
        }
    }

    pub fn close(self) {
        match self {
            Zk::Blocking(mut zk) => zk.close(),
            Zk::Shared(zk, _) => zk.close(),
        }
    }
}
