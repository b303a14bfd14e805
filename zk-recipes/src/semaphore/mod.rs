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

use crate::lock::{ContendersMachine, GIVING_UP};
use crate::run::{Driver, InFlight};

/// A semaphore of `max_leases` leases on a path, interoperable with kazoo's
/// `Semaphore` on the same path and with the same limit: kazoo's holders and ours
/// together never hold more than `max_leases` leases. Not Curator's
/// `InterProcessSemaphoreV2`, which keeps its nodes otherwise (see the crate's
/// "Compatibility").
///
/// The limit is kept as the semaphore node's data (written by the first acquirer);
/// an acquire with another limit fails with [`SemaphoreError::MaxLeasesMismatch`].
/// While every lease is taken, the first waiter holds the guarding lock
/// (`<path>-__lock__`) and watches the leases; the others wait for that lock in line.
///
/// Every call with a timeout returns by it (giving up takes at most 200 ms more),
/// also while the server is slower than the timeout: a request still unanswered then
/// stays out, and the next call on the same value hears its answer first, finishing
/// the giving up before anything else (a lease or lock node a late answer made is
/// deleted; nothing is asked twice, nor lost). Dropping the value gives such requests
/// up (their replies are discarded, on every client); a node whose create was still
/// unanswered (a lease, or the guarding lock's node) is deleted by the session once
/// the late answer names it, so no lease is held by nobody and nobody is held up.
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
    /// The machine's requests a call's deadline left unanswered, for the next call.
    in_flight: InFlight,
    /// The same on zk-tokio's client.
    #[cfg(feature = "tokio")]
    held: crate::run::tokio::Held,
}

impl Semaphore {
    /// One holder of the semaphore at `path` with `max_leases` leases; `identifier` is
    /// its lease node's data (what [`Semaphore::lease_holders`] lists).
    pub fn new(path: &str, max_leases: usize, identifier: impl IntoData) -> Semaphore {
        Semaphore {
            machine: SemaphoreMachine::new(path, max_leases, identifier.into_data()),
            in_flight: InFlight::default(),
            #[cfg(feature = "tokio")]
            held: crate::run::tokio::Held::keeping(),
        }
    }

    /// Waits until a lease is held (`Ok(true)`; at once if this holder's lease node
    /// is there already), or `timeout` passes (`Ok(false)`). Fails with
    /// [`SemaphoreError::MaxLeasesMismatch`] when the semaphore keeps another limit,
    /// and with the client's error when the session ends or the server refuses.
    ///
    /// When time runs out it gives the acquire up: the guarding lock is released and
    /// no lease node is left, within at most 200 ms more. It returns then also while
    /// the server is slower than that: the requests still unanswered stay out (a
    /// create's node is deleted once its answer comes), and the next call on this
    /// value finishes giving up before anything else (within that call's own
    /// timeout), so no lease is ever held unknown to this value.
    pub fn acquire<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> std::result::Result<bool, SemaphoreError> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if !self.settle(driver, deadline)? {
            return Ok(false);
        }
        self.machine.acquire();
        if let Some(event) = self.run(driver, deadline)? {
            return outcome(event);
        }
        self.machine.cancel();
        // A server that answers in time cleans up now; a slower one by the next call.
        self.settle(driver, Instant::now().checked_add(GIVING_UP))?;
        Ok(false)
    }

    /// Takes a lease if one is free now, kazoo's `acquire(blocking=False)`:
    /// `Ok(false)` at once when every lease is taken, or someone holds or waits for
    /// the guarding lock (nothing is left behind then). It waits only for the
    /// server's answers. A giving up that an earlier call left under way it looks at
    /// without waiting (`Ok(false)` while that is not finished).
    pub fn try_acquire<D: Driver>(
        &mut self,
        driver: &mut D,
    ) -> std::result::Result<bool, SemaphoreError> {
        let deadline = self.machine.is_under_way().then(Instant::now);
        if !self.settle(driver, deadline)? {
            return Ok(false);
        }
        self.machine.try_acquire();
        match self.run(driver, None)? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Gives an acquire up, waiting as long as the server takes: finishes what a
    /// timed-out one left under way (a lease or lock node a late answer made is
    /// deleted). Releases the lease if it is held.
    pub fn cancel<D: Driver>(&mut self, driver: &mut D) -> std::result::Result<(), SemaphoreError> {
        if self.machine.is_held() {
            return self.release(driver);
        }
        self.settle(driver, None).map(drop)
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
        self.settle(driver, None).map(drop)
    }

    /// Runs the machine on `driver` until its next event or `deadline`, handing it
    /// first the replies earlier calls left out; what is unanswered then stays out.
    fn run<D: Driver>(
        &mut self,
        driver: &mut D,
        deadline: Option<Instant>,
    ) -> Result<Option<SemaphoreEvent>> {
        driver.run_keeping(&mut self.machine, deadline, &mut self.in_flight)
    }

    /// Finishes by `deadline` what an earlier call left under way (a timed-out
    /// acquire's giving up, or a release): whether it has. Fails with the error it
    /// ended with.
    fn settle<D: Driver>(
        &mut self,
        driver: &mut D,
        deadline: Option<Instant>,
    ) -> std::result::Result<bool, SemaphoreError> {
        while self.machine.is_under_way() {
            // An acquire left under way is one whose time ran out: it is given up.
            self.machine.cancel();
            if !settled(self.run(driver, deadline)?)? {
                return Ok(false);
            }
        }
        Ok(true)
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

    /// Like [`Semaphore::acquire`], on zk-tokio's client.
    ///
    /// Dropping the future before it finishes (`tokio::time::timeout`, `select!`, an
    /// aborted task) gives the acquire up: the deletes of the guarding lock's node,
    /// once made, and of the lease node the acquire may have made are queued at
    /// once (a delete queued after a create still out deletes what it makes), and the
    /// next call starts afresh. A guarding lock node whose create is still
    /// unanswered is deleted by the session once the answer names it.
    #[cfg(feature = "tokio")]
    pub async fn acquire_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> std::result::Result<bool, SemaphoreError> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if !self.settle_async(client, deadline).await? {
            return Ok(false);
        }
        self.machine.acquire();
        if let Some(event) = self.run_async(client, deadline).await? {
            return outcome(event);
        }
        self.machine.cancel();
        // A server that answers in time cleans up now; a slower one by the next call.
        self.settle_async(client, Instant::now().checked_add(GIVING_UP))
            .await?;
        Ok(false)
    }

    /// Like [`Semaphore::try_acquire`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn try_acquire_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> std::result::Result<bool, SemaphoreError> {
        let deadline = self.machine.is_under_way().then(Instant::now);
        if !self.settle_async(client, deadline).await? {
            return Ok(false);
        }
        self.machine.try_acquire();
        match self.run_async(client, None).await? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Like [`Semaphore::cancel`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn cancel_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> std::result::Result<(), SemaphoreError> {
        if self.machine.is_held() {
            return self.release_async(client).await;
        }
        self.settle_async(client, None).await.map(drop)
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
        self.settle_async(client, None).await.map(drop)
    }

    /// Like [`Semaphore::run`], on zk-tokio's client: dropping the future gives the
    /// operation under way up (see [`Semaphore::acquire_async`]).
    #[cfg(feature = "tokio")]
    async fn run_async(
        &mut self,
        client: &zk_tokio::Client,
        deadline: Option<Instant>,
    ) -> Result<Option<SemaphoreEvent>> {
        crate::run::tokio::run_abandoning_in(client, &mut self.machine, deadline, &mut self.held)
            .await
    }

    /// Like [`Semaphore::settle`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    async fn settle_async(
        &mut self,
        client: &zk_tokio::Client,
        deadline: Option<Instant>,
    ) -> std::result::Result<bool, SemaphoreError> {
        while self.machine.is_under_way() {
            self.machine.cancel();
            if !settled(self.run_async(client, deadline).await?)? {
                return Ok(false);
            }
        }
        Ok(true)
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
        SemaphoreEvent::NotAcquired | SemaphoreEvent::Cancelled | SemaphoreEvent::Released => {
            Ok(false)
        }
        SemaphoreEvent::Lost(e) => Err(e.into()),
        SemaphoreEvent::Failed(e) => Err(e),
    }
}

/// Whether what an earlier call left under way ended with `event` (`Ok(false)`: time
/// ran out first), or the error it ended with.
fn settled(event: Option<SemaphoreEvent>) -> std::result::Result<bool, SemaphoreError> {
    match event {
        None => Ok(false),
        Some(SemaphoreEvent::Failed(e)) => Err(e),
        Some(SemaphoreEvent::Lost(e)) => Err(e.into()),
        Some(_) => Ok(true),
    }
}
