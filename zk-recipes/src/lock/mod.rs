//! The lock recipe: [`LockMachine`] (sans-IO) and [`Lock`], which runs it on a client.

mod contenders;
mod guard;
mod machine;
pub mod names;

use std::time::{Duration, Instant};

use zk_blocking::{IntoData, Result};

use crate::hold::{Hold, Holding};

pub use contenders::ContendersMachine;
#[cfg(feature = "tokio")]
pub use guard::AsyncLockGuard;
pub use guard::BlockingLockGuard;
#[cfg(unix)]
pub use guard::LockGuard;
pub use machine::{LockEvent, LockMachine};

use crate::run::Driver;

/// A distributed lock on a path, interoperable with kazoo's `Lock` (and, made with
/// [`Lock::read`] / [`Lock::write`], with its `ReadLock` / `WriteLock`).
///
/// [`Lock::is_held`] says what this value last heard; whether the lock is still held
/// now (the connection up, the node not deleted by someone else, the session not
/// ended) [`Lock::hold`] and [`Lock::wait_hold_change`] tell, keeping watch on the
/// node as the guards do ([`Lock::lock`], [`Lock::lock_blocking`], `Lock::lock_async`).
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
/// let mut lock = zk_recipes::Lock::new("/locks/report", "worker-1");
/// let mut driver = zk.clone();
/// if lock.acquire(&mut driver, None)? {
///     // ... the critical section ...
///     lock.release(&mut driver)?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Lock {
    machine: LockMachine,
    /// The watch on the node held, once [`Lock::hold`] asked: the node's path, and its
    /// standing.
    holding: Option<(String, Holding)>,
}

impl Lock {
    /// An exclusive lock on `path`; `identifier` is its contender node's data (what
    /// kazoo's `contenders()` shows).
    pub fn new(path: &str, identifier: impl IntoData) -> Lock {
        Lock::of(LockMachine::exclusive(path, identifier.into_data()))
    }

    /// The read side of a read-write lock on `path`: held beside other readers.
    pub fn read(path: &str, identifier: impl IntoData) -> Lock {
        Lock::of(LockMachine::read_write(path, identifier.into_data(), false))
    }

    /// The write side of a read-write lock on `path`: held alone.
    pub fn write(path: &str, identifier: impl IntoData) -> Lock {
        Lock::of(LockMachine::read_write(path, identifier.into_data(), true))
    }

    fn of(machine: LockMachine) -> Lock {
        Lock {
            machine,
            holding: None,
        }
    }

    /// Whether the lock is still held now (`None`: this value does not hold it):
    /// [`Hold::Held`], [`Hold::Uncertain`] while the connection is lost (or on a
    /// read-only server), [`Hold::Lost`] once the session ended or someone deleted the
    /// lock's node ([`LostReason::NodeDeleted`](crate::LostReason::NodeDeleted)), as a guard's `hold` says. It takes in what came
    /// since the last call without waiting; the first call, and the first after a
    /// reconnect, ask the server whether the node is still there, and a later call
    /// hears the answer (until then, after a reconnect, it is uncertain). It keeps
    /// watch on the node from then on. A lock lost stays lost: release it (or acquire
    /// again, which contends anew).
    pub fn hold<D: Driver>(&mut self, driver: &mut D) -> Result<Option<Hold>> {
        match self.watch_on_node(|mut stale| stale.give_up(driver)) {
            Some(holding) => holding.check(driver).map(Some),
            None => Ok(None),
        }
    }

    /// Waits at most `timeout` (`None`: as long as it takes) until the hold changes,
    /// and returns it then (`None`: this value does not hold the lock); see
    /// [`Lock::hold`] and [`LeaderElection::wait_leadership_change`](crate::LeaderElection::wait_leadership_change).
    pub fn wait_hold_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Hold>> {
        match self.watch_on_node(|mut stale| stale.give_up(driver)) {
            Some(holding) => holding.wait_change(driver, timeout).map(Some),
            None => Ok(None),
        }
    }

    /// Like [`Lock::hold`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn hold_async(&mut self, client: &zk_tokio::Client) -> Result<Option<Hold>> {
        // zk-tokio's client keeps no check out between calls: nothing to give up.
        match self.watch_on_node(drop) {
            Some(holding) => holding.check_async(client).await.map(Some),
            None => Ok(None),
        }
    }

    /// The watch on the node held now, made at the first ask (none while not held);
    /// one on a node no longer held goes to `retire` (which gives up a check it left
    /// out).
    fn watch_on_node(&mut self, retire: impl FnOnce(Holding)) -> Option<&mut Holding> {
        let node = self.node_path().filter(|_| self.machine.is_held());
        if self
            .holding
            .as_ref()
            .is_some_and(|(of, _)| Some(of) != node.as_ref())
        {
            if let Some((_, stale)) = self.holding.take() {
                retire(stale);
            }
        }
        let node = node?;
        let (_, holding) = self
            .holding
            .get_or_insert_with(|| (node.clone(), Holding::new(&node)));
        Some(holding)
    }

    /// Stops keeping watch on the node, giving up a check still out.
    fn stop_watching<D: Driver>(&mut self, driver: &mut D) {
        if let Some((_, mut holding)) = self.holding.take() {
            holding.give_up(driver);
        }
    }

    /// Waits until the lock is held (`Ok(true)`; if it was held already, once the
    /// server says its node is still there: a node gone with an ended session is not
    /// taken for held), or
    /// `timeout` passes (`Ok(false)`, and the contender's node is deleted again). Fails when the session ends or the
    /// server refuses (for example NoAuth on the lock's path).
    pub fn acquire<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<bool> {
        self.machine.acquire(true);
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

    /// Starts contending (unless already under way) and waits at most `timeout`:
    /// `Ok(true)` once held; `Ok(false)` while others are ahead, and the contender
    /// keeps its place in line (call again to wait more, or [`Lock::cancel`]).
    pub fn acquire_for<D: Driver>(&mut self, driver: &mut D, timeout: Duration) -> Result<bool> {
        self.machine.acquire(true);
        let deadline = Instant::now().checked_add(timeout);
        match driver.run(&mut self.machine, deadline)? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Gives up a place in line (deletes the contender's node); releases the lock if
    /// it is held.
    pub fn cancel<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        if self.machine.is_held() {
            return self.release(driver);
        }
        self.machine.cancel();
        match driver.run(&mut self.machine, None)? {
            Some(LockEvent::Failed(e) | LockEvent::Lost(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Takes the lock if nobody holds or waits for it: `Ok(false)` at once otherwise.
    /// A contender already in line (after [`Lock::acquire_for`]) looks without
    /// waiting and keeps its place.
    pub fn try_acquire<D: Driver>(&mut self, driver: &mut D) -> Result<bool> {
        let deadline = self.machine.is_contending().then(Instant::now);
        self.machine.acquire(false);
        match driver.run(&mut self.machine, deadline)? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Releases a held lock (deletes its node). Does nothing if it is not held.
    pub fn release<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.stop_watching(driver);
        if !self.machine.is_held() {
            return Ok(());
        }
        self.machine.release();
        match driver.run(&mut self.machine, None)? {
            Some(LockEvent::Failed(e) | LockEvent::Lost(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Like [`Lock::acquire`] without a timeout, on zk-tokio's client.
    ///
    /// Dropping the future before it finishes (`tokio::time::timeout`, `select!`, an
    /// aborted task) gives the acquire up: the contender's node, once made, is deleted
    /// (queued at once), so it holds nobody up, and the next call starts afresh. Only
    /// a node whose create is still unanswered then stays, until the session ends.
    #[cfg(feature = "tokio")]
    pub async fn acquire_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        self.machine.acquire(true);
        match crate::run::tokio::run_abandoning(client, &mut self.machine, None).await? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Like [`Lock::acquire_for`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn acquire_for_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Duration,
    ) -> Result<bool> {
        self.machine.acquire(true);
        let deadline = Instant::now().checked_add(timeout);
        match crate::run::tokio::run_abandoning(client, &mut self.machine, deadline).await? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Like [`Lock::try_acquire`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn try_acquire_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        let deadline = self.machine.is_contending().then(Instant::now);
        self.machine.acquire(false);
        match crate::run::tokio::run_abandoning(client, &mut self.machine, deadline).await? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Like [`Lock::cancel`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn cancel_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        if self.machine.is_held() {
            return self.release_async(client).await;
        }
        self.machine.cancel();
        match crate::run::tokio::run_abandoning(client, &mut self.machine, None).await? {
            Some(LockEvent::Failed(e) | LockEvent::Lost(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Like [`Lock::release`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn release_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        if !self.machine.is_held() {
            return Ok(());
        }
        self.machine.release();
        match crate::run::tokio::run_abandoning(client, &mut self.machine, None).await? {
            Some(LockEvent::Failed(e) | LockEvent::Lost(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// The identifiers of the contenders (holder first, then the waiting ones in
    /// order), kazoo's `contenders()`: those whose kind of node blocks this lock
    /// (writers for a read lock; every contender for a write lock).
    pub fn contenders<D: Driver>(&self, driver: &mut D) -> Result<Vec<String>> {
        let mut reading =
            ContendersMachine::of_kinds(self.machine.path(), self.machine.blocking_kinds());
        match driver.run(&mut reading, None)? {
            Some(found) => found,
            None => Ok(Vec::new()),
        }
    }

    /// Like [`Lock::contenders`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn contenders_async(&self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        let mut reading =
            ContendersMachine::of_kinds(self.machine.path(), self.machine.blocking_kinds());
        match crate::run::tokio::run_once(client, &mut reading, None).await? {
            Some(found) => found,
            None => Ok(Vec::new()),
        }
    }

    /// Whether the lock was held when this value last ran on a client. A session that
    /// ends while the lock is held takes the lock along, and someone may delete the
    /// lock's node; this value hears of neither until asked: [`Lock::hold`] (and the
    /// guards' `hold`) say so, and [`Lock::acquire`] on a held lock asks the server
    /// again (failing with the session's error, or contending anew when the node is
    /// gone).
    pub fn is_held(&self) -> bool {
        self.machine.is_held()
    }

    /// The contender node's path, while it exists.
    pub fn node_path(&self) -> Option<String> {
        self.machine.node_path()
    }
}

/// What an acquire's last event means for its caller.
fn outcome(event: LockEvent) -> Result<bool> {
    match event {
        LockEvent::Acquired => Ok(true),
        LockEvent::NotAcquired | LockEvent::Cancelled | LockEvent::Released => Ok(false),
        LockEvent::Lost(e) | LockEvent::Failed(e) => Err(e),
    }
}
