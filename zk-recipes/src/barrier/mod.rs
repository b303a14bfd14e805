//! The barrier recipes: [`Barrier`] (kazoo's `Barrier`) and [`DoubleBarrier`] (kazoo's
//! `DoubleBarrier`), each over its machine.

mod double;
mod machine;

use std::time::{Duration, Instant};

use zk_blocking::{Error, IntoData, Result};

pub use double::{DoubleBarrierEvent, DoubleBarrierMachine};
pub use machine::{BarrierEvent, BarrierMachine};

use crate::run::{Driver, InFlight};

/// A barrier, interoperable with kazoo's `Barrier` on the same path: up while its node
/// exists; waiters pass once it is removed.
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
/// let mut gate = zk_recipes::Barrier::new("/gates/deploy");
/// let mut driver = zk.clone();
/// gate.create(&mut driver)?;
/// // ... elsewhere: gate.wait(&mut driver, None)? blocks until ...
/// gate.remove(&mut driver)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Barrier {
    machine: BarrierMachine,
    /// The machine's requests a wait's deadline left unanswered, for the next call.
    in_flight: InFlight,
}

impl Barrier {
    /// The barrier at `path`.
    pub fn new(path: &str) -> Barrier {
        Barrier {
            machine: BarrierMachine::new(path),
            in_flight: InFlight::default(),
        }
    }

    /// Puts the barrier up (creates its node and missing parents; up already is fine).
    pub fn create<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.machine.cancel();
        self.machine.create();
        barrier_outcome(self.run(driver, None)?).map(|_| ())
    }

    /// Takes the barrier down; `Ok(true)` if this call deleted its node, `Ok(false)`
    /// if it was not up.
    pub fn remove<D: Driver>(&mut self, driver: &mut D) -> Result<bool> {
        self.machine.cancel();
        self.machine.remove();
        barrier_outcome(self.run(driver, None)?)
    }

    /// Waits until the barrier is down (`Ok(true)`), or `timeout` passes (`Ok(false)`).
    /// It returns by `timeout` also while the server is slower than that: the wait
    /// stays under way, and the next call goes on with it (hearing the answer it left
    /// out, and the node's watch), asking nothing twice.
    pub fn wait<D: Driver>(&mut self, driver: &mut D, timeout: Option<Duration>) -> Result<bool> {
        self.machine.wait();
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        match self.run(driver, deadline)? {
            Some(event) => barrier_outcome(Some(event)),
            None => Ok(false),
        }
    }

    /// Runs the machine on `driver` until its event or `deadline`, handing it first
    /// the replies earlier calls left out; what is unanswered then stays out.
    fn run<D: Driver>(
        &mut self,
        driver: &mut D,
        deadline: Option<Instant>,
    ) -> Result<Option<BarrierEvent>> {
        driver.run_keeping(&mut self.machine, deadline, &mut self.in_flight)
    }

    /// Like [`Barrier::create`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn create_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.machine.cancel();
        self.machine.create();
        barrier_outcome(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
            .map(|_| ())
    }

    /// Like [`Barrier::remove`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn remove_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        self.machine.cancel();
        self.machine.remove();
        barrier_outcome(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }

    /// Like [`Barrier::wait`] without a timeout, on zk-tokio's client (wrap it in
    /// `tokio::time::timeout` for one; a later call starts afresh).
    #[cfg(feature = "tokio")]
    pub async fn wait_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        self.machine.cancel();
        self.machine.wait();
        barrier_outcome(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }
}

/// What a barrier operation's event means for its caller.
fn barrier_outcome(event: Option<BarrierEvent>) -> Result<bool> {
    match event {
        Some(BarrierEvent::Created | BarrierEvent::Cleared) => Ok(true),
        Some(BarrierEvent::Removed(removed)) => Ok(removed),
        Some(BarrierEvent::Failed(e)) => Err(e),
        None => Err(stopped()),
    }
}

/// A double barrier, interoperable with kazoo's `DoubleBarrier` on the same path:
/// [`DoubleBarrier::enter`] returns once `participants` have entered,
/// [`DoubleBarrier::leave`] once all have left.
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
/// let mut stage = zk_recipes::DoubleBarrier::new("/stages/reindex", 5, "worker-1");
/// let mut driver = zk.clone();
/// stage.enter(&mut driver)?;
/// // ... all five work ...
/// stage.leave(&mut driver)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DoubleBarrier {
    machine: DoubleBarrierMachine,
    participating: bool,
}

impl DoubleBarrier {
    /// One of `participants` at the barrier at `path`, known by `identifier` (its
    /// node's data).
    pub fn new(path: &str, participants: usize, identifier: impl IntoData) -> DoubleBarrier {
        DoubleBarrier {
            machine: DoubleBarrierMachine::new(path, participants, identifier.into_data()),
            participating: false,
        }
    }

    /// Enters, and waits until every participant has.
    pub fn enter<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.machine.enter();
        let outcome = double_outcome(driver.run(&mut self.machine, None)?);
        self.participating = outcome.is_ok();
        outcome
    }

    /// Leaves, and waits until every participant has.
    pub fn leave<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.machine.leave();
        let outcome = double_outcome(driver.run(&mut self.machine, None)?);
        self.participating = false;
        outcome
    }

    /// Like [`DoubleBarrier::enter`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn enter_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.machine.enter();
        let outcome = double_outcome(
            crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?,
        );
        self.participating = outcome.is_ok();
        outcome
    }

    /// Like [`DoubleBarrier::leave`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn leave_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.machine.leave();
        // Left (or given up on, its node deleted) however it ends.
        self.participating = false;
        let outcome = double_outcome(
            crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?,
        );
        self.participating = false;
        outcome
    }

    /// Whether this participant has entered and not left (kazoo's `participating`).
    pub fn is_participating(&self) -> bool {
        self.participating
    }
}

fn double_outcome(event: Option<DoubleBarrierEvent>) -> Result<()> {
    match event {
        Some(DoubleBarrierEvent::Entered | DoubleBarrierEvent::Left) => Ok(()),
        Some(DoubleBarrierEvent::Failed(e)) => Err(e),
        None => Err(stopped()),
    }
}

fn stopped() -> Error {
    Error::InvalidArgument("the barrier stopped without an answer".to_string())
}
