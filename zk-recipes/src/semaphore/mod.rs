//! The semaphore recipe: [`SemaphoreMachine`] (sans-IO) and [`Semaphore`], which runs
//! it on a client.

mod guard;
mod limit;
mod machine;

use std::time::{Duration, Instant};

use zk_blocking::{IntoData, Result};

#[cfg(feature = "tokio")]
pub use guard::AsyncSemaphoreGuard;
pub use guard::BlockingSemaphoreGuard;
#[cfg(unix)]
pub use guard::SemaphoreGuard;
pub use limit::SemaphoreError;
pub use machine::{SemaphoreEvent, SemaphoreMachine};

use crate::lock::ContendersMachine;
use crate::run::Driver;

/// A semaphore of `max_leases` leases on a path, interoperable with kazoo's
/// `Semaphore` on the same path and with the same limit: kazoo's holders and ours
/// together never hold more than `max_leases` leases.
///
/// The limit is kept as the semaphore node's data (written by the first acquirer);
/// an acquire with another limit fails with [`SemaphoreError::MaxLeasesMismatch`].
/// While every lease is taken, the first waiter holds the guarding lock
/// (`<path>-__lock__`) and watches the leases; the others wait for that lock in line.
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> Result<(), zk_recipes::SemaphoreError> {
/// let mut slots = zk_recipes::Semaphore::new("/slots/encoder", 2, "worker-1");
/// let mut driver = zk.clone();
/// if slots.acquire(&mut driver, None)? {
///     // ... at most two workers here at a time ...
///     slots.release(&mut driver)?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Semaphore {
    machine: SemaphoreMachine,
}

impl Semaphore {
    /// One holder of the semaphore at `path` with `max_leases` leases; `identifier` is
    /// its lease node's data (what [`Semaphore::lease_holders`] lists).
    pub fn new(path: &str, max_leases: usize, identifier: impl IntoData) -> Semaphore {
        Semaphore {
            machine: SemaphoreMachine::new(path, max_leases, identifier.into_data()),
        }
    }

    /// Waits until a lease is held (`Ok(true)`; at once if this holder's lease node
    /// is there already), or `timeout` passes (`Ok(false)`: the guarding lock is
    /// released and no lease node is left; that cleanup takes a round trip past the
    /// timeout). Fails with [`SemaphoreError::MaxLeasesMismatch`] when the semaphore
    /// keeps another limit, and with the client's error when the session ends or the
    /// server refuses.
    pub fn acquire<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> std::result::Result<bool, SemaphoreError> {
        self.machine.acquire();
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        match driver.run(&mut self.machine, deadline)? {
            Some(event) => outcome(event),
            None => {
                self.machine.cancel();
                match driver.run(&mut self.machine, None)? {
                    Some(event) => outcome(event),
                    None => Ok(false),
                }
            }
        }
    }

    /// Releases a held lease (deletes its node). Does nothing if none is held.
    pub fn release<D: Driver>(
        &mut self,
        driver: &mut D,
    ) -> std::result::Result<(), SemaphoreError> {
        if !self.machine.is_held() {
            return Ok(());
        }
        self.machine.release();
        released(driver.run(&mut self.machine, None)?)
    }

    /// The identifiers of the lease holders (their lease nodes' data, in node name
    /// order), kazoo's `lease_holders()`: empty when the semaphore does not exist.
    pub fn lease_holders<D: Driver>(&self, driver: &mut D) -> Result<Vec<String>> {
        let mut reading = ContendersMachine::every_child(self.machine.path());
        match driver.run(&mut reading, None)? {
            Some(found) => found,
            None => Ok(Vec::new()),
        }
    }

    /// Like [`Semaphore::acquire`], on zk-tokio's client. Dropping the future before
    /// it finishes gives the acquire up: the guarding lock's node, once made, is
    /// deleted (queued at once); a lease node whose create was out stays until the
    /// session ends, and the next acquire takes it as this holder's lease.
    #[cfg(feature = "tokio")]
    pub async fn acquire_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> std::result::Result<bool, SemaphoreError> {
        use crate::run::tokio::run_abandoning;
        self.machine.acquire();
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        match run_abandoning(client, &mut self.machine, deadline).await? {
            Some(event) => outcome(event),
            None => {
                self.machine.cancel();
                match run_abandoning(client, &mut self.machine, None).await? {
                    Some(event) => outcome(event),
                    None => Ok(false),
                }
            }
        }
    }

    /// Like [`Semaphore::release`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn release_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> std::result::Result<(), SemaphoreError> {
        if !self.machine.is_held() {
            return Ok(());
        }
        self.machine.release();
        released(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }

    /// Like [`Semaphore::lease_holders`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn lease_holders_async(&self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        let mut reading = ContendersMachine::every_child(self.machine.path());
        match crate::run::tokio::run_once(client, &mut reading, None).await? {
            Some(found) => found,
            None => Ok(Vec::new()),
        }
    }

    /// Whether a lease was held when this value last ran on a client (a session that
    /// ended since took it along; [`Semaphore::acquire`] asks the server again).
    pub fn is_held(&self) -> bool {
        self.machine.is_held()
    }

    /// This holder's lease node's path (it exists while the lease is held).
    pub fn lease_path(&self) -> &str {
        self.machine.lease_path()
    }
}

/// What an acquire's last event means for its caller.
fn outcome(event: SemaphoreEvent) -> std::result::Result<bool, SemaphoreError> {
    match event {
        SemaphoreEvent::Acquired => Ok(true),
        SemaphoreEvent::Cancelled | SemaphoreEvent::Released => Ok(false),
        SemaphoreEvent::Lost(e) => Err(e.into()),
        SemaphoreEvent::Failed(e) => Err(e),
    }
}

/// What a release's last event means for its caller.
fn released(event: Option<SemaphoreEvent>) -> std::result::Result<(), SemaphoreError> {
    match event {
        Some(SemaphoreEvent::Failed(e)) => Err(e),
        Some(SemaphoreEvent::Lost(e)) => Err(e.into()),
        _ => Ok(()),
    }
}
