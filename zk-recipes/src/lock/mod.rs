//! The lock recipe: [`LockMachine`] (sans-IO) and [`Lock`], which runs it on a client.

mod contenders;
mod guard;
mod machine;
pub mod names;

use std::time::{Duration, Instant};

use zk_blocking::{IntoData, Result};

use crate::hold::{Hold, Holding};
use crate::run::InFlight;

pub use contenders::ContendersMachine;
#[cfg(feature = "tokio")]
pub use guard::AsyncLockGuard;
pub use guard::BlockingLockGuard;
#[cfg(unix)]
pub use guard::LockGuard;
pub use machine::{LockEvent, LockMachine};

use crate::run::Driver;

/// How long an acquire whose time ran out waits beyond it to give its place up (a
/// create to hear the answer of, and its node to delete), before it leaves that to
/// the next call.
pub(crate) const GIVING_UP: Duration = Duration::from_millis(200);

/// A distributed lock on a path, interoperable with kazoo's `Lock` (and, made with
/// [`Lock::read`] / [`Lock::write`], with its `ReadLock` / `WriteLock`), or, made with
/// [`Lock::curator`], with Curator's `InterProcessMutex` (see the crate's
/// "Compatibility"); one path is kazoo's or Curator's, not both.
///
/// [`Lock::is_held`] says what this value last heard; whether the lock is still held
/// now (the connection up, the node not deleted by someone else, the session not
/// ended) [`Lock::hold`] and [`Lock::wait_hold_change`] tell, keeping watch on the
/// node as the guards do ([`Lock::lock`], [`Lock::lock_blocking`], `Lock::lock_async`).
///
/// Every call with a timeout returns by it, also while the server is slower than the
/// timeout: a request still unanswered then stays out, and the next call on the same
/// value hears its answer first (nothing is asked twice, nor lost). Dropping the value
/// gives such requests up (their replies are discarded, on every client); a contender
/// node whose create was still unanswered is deleted by the session once the late
/// answer names it (or, if the answer is lost with its connection, once the session
/// finds it), so it holds nobody up.
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
    /// The machine's requests a call's deadline left unanswered, for the next call.
    in_flight: InFlight,
    /// The same on zk-tokio's client.
    #[cfg(feature = "tokio")]
    held: crate::run::tokio::Held,
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

    /// An exclusive lock on `path` that takes turns with Curator's `InterProcessMutex`
    /// (and its `LeaderSelector`) on the same path, first come first served: its node is
    /// named as Curator names its own (`_c_<uuid>-lock-<sequence>`), and the contenders
    /// are the children with `lock-` in their names, ordered by what follows its last
    /// occurrence, as Curator orders them. Not with kazoo's locks, nor with
    /// [`Lock::new`] on the same path. `identifier` is the node's data, which
    /// [`Lock::contenders`] lists (a `LeaderSelector` keeps its id there; an
    /// `InterProcessMutex` its host's address, unless its client was built with other
    /// `defaultData`).
    ///
    /// ```no_run
    /// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
    /// // The Java side: new InterProcessMutex(client, "/locks/report")
    /// let mut lock = zk_recipes::Lock::curator("/locks/report", "10.0.0.7");
    /// let mut driver = zk.clone();
    /// if lock.acquire(&mut driver, None)? {
    ///     // ... the critical section, while no InterProcessMutex holds ...
    ///     lock.release(&mut driver)?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn curator(path: &str, identifier: impl IntoData) -> Lock {
        Lock::of(LockMachine::curator(path, identifier.into_data()))
    }

    /// A candidate in Curator's `LeaderLatch` election at `path`, as a lock whose
    /// holder leads (see [`LeaderElection::curator`](crate::LeaderElection::curator)).
    pub(crate) fn curator_latch(path: &str, identifier: impl IntoData) -> Lock {
        Lock::of(LockMachine::curator_latch(path, identifier.into_data()))
    }

    fn of(machine: LockMachine) -> Lock {
        Lock {
            machine,
            holding: None,
            in_flight: InFlight::default(),
            #[cfg(feature = "tokio")]
            held: crate::run::tokio::Held::keeping(),
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
    /// and returns it then (`None`: time ran out with no change); see [`Lock::hold`]
    /// and [`LeaderElection::wait_leadership_change`](crate::LeaderElection::wait_leadership_change).
    /// A lock this value does not hold has no hold to change: it fails at once with
    /// [`Error::InvalidArgument`](zk_blocking::Error::InvalidArgument) (acquire it
    /// first).
    pub fn wait_hold_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Hold>> {
        match self.watch_on_node(|mut stale| stale.give_up(driver)) {
            Some(holding) => holding.wait_change(driver, timeout),
            None => Err(zk_blocking::Error::InvalidArgument(format!(
                "wait_hold_change on the lock {}, which this value does not hold: acquire it first",
                self.machine.path()
            ))),
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
        // Held, or a holder's check still out: held as far as anyone knows.
        let node = self.node_path().filter(|_| self.is_held());
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
    /// taken for held), or `timeout` passes (`Ok(false)`). Fails when the session
    /// ends or the server refuses (for example NoAuth on the lock's path).
    ///
    /// When time runs out it gives its place in line up, as Curator's
    /// `InterProcessMutex.acquire(time)` does: the contender's node is deleted, within
    /// at most 200 ms more. It returns then also while the server is slower than
    /// that: the delete (or,
    /// while its create is unanswered, the create, whose node is deleted once its
    /// answer comes) then stays out, and the next call on this value finishes giving
    /// the place up before anything else (within that call's own timeout), so the lock
    /// is never held unknown to this value. A holder's call whose check the server
    /// does not answer in time returns `Ok(false)` and keeps the lock: the next
    /// acquire hears the answer, and meanwhile [`Lock::is_held`] and [`Lock::hold`]
    /// tell the lock as held (a slow server is no reason to let a held lock go).
    pub fn acquire<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<bool> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if !self.settle(driver, deadline)? {
            return Ok(false);
        }
        self.machine.acquire(true);
        if let Some(event) = self.run(driver, deadline)? {
            return outcome(event);
        }
        if self.machine.is_verifying() {
            // A holder's check the server has not answered: the lock stays held as far
            // as anyone knows, and a slow answer is no reason to let it go.
            return Ok(false);
        }
        self.machine.cancel();
        // A server that answers in time deletes the node now; a slower one by the next
        // call.
        self.settle(driver, Instant::now().checked_add(GIVING_UP))?;
        Ok(false)
    }

    /// Starts contending (unless already under way) and waits at most `timeout`:
    /// `Ok(true)` once held; `Ok(false)` while others are ahead, and the contender
    /// keeps its place in line (call again to wait more, or [`Lock::cancel`]). It
    /// returns by `timeout` also while the server is slower than that: a request still
    /// unanswered stays out, and the next call hears its answer.
    pub fn acquire_for<D: Driver>(&mut self, driver: &mut D, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now().checked_add(timeout);
        if !self.settle(driver, deadline)? {
            return Ok(false);
        }
        self.machine.acquire(true);
        match self.run(driver, deadline)? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Gives up a place in line (deletes the contender's node, waiting for the answer
    /// to its create if it is still out); releases the lock if it is held.
    pub fn cancel<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        if self.machine.is_held() {
            return self.release(driver);
        }
        self.machine.cancel();
        self.settle(driver, None).map(drop)
    }

    /// Takes the lock if nobody holds or waits for it: `Ok(false)` at once otherwise.
    /// A contender already in line (after [`Lock::acquire_for`]), or still giving its
    /// place up (after [`Lock::acquire`] timed out), looks without waiting and keeps
    /// its place (or goes on giving it up).
    pub fn try_acquire<D: Driver>(&mut self, driver: &mut D) -> Result<bool> {
        let busy = self.machine.is_contending() || self.machine.is_leaving();
        let deadline = busy.then(Instant::now);
        if !self.settle(driver, deadline)? {
            return Ok(false);
        }
        self.machine.acquire(false);
        match self.run(driver, deadline)? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Releases a held lock (deletes its node). Does nothing if it is not held. A lock
    /// whose session ended went with it: releasing it then succeeds (as Curator's
    /// release ignores a node already gone), so cleanup code need not tell the cases
    /// apart.
    pub fn release<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.stop_watching(driver);
        if !self.let_go() {
            return Ok(());
        }
        self.settle(driver, None).map(drop)
    }

    /// Starts letting a held lock go: whether it was held. A holder whose check is
    /// still out leaves the line, its node deleted once the check is answered.
    fn let_go(&mut self) -> bool {
        if self.machine.is_verifying() {
            self.machine.cancel();
        } else if self.machine.is_held() {
            self.machine.release();
        } else {
            return false;
        }
        true
    }

    /// Runs the machine on `driver` until its next event or `deadline`, handing it
    /// first the replies earlier calls left out; what is unanswered then stays out.
    fn run<D: Driver>(
        &mut self,
        driver: &mut D,
        deadline: Option<Instant>,
    ) -> Result<Option<LockEvent>> {
        driver.run_keeping(&mut self.machine, deadline, &mut self.in_flight)
    }

    /// Finishes leaving the line (a cancel, a release, or a failure an earlier call
    /// left under way) by `deadline`: whether it has. Fails with the error it ended
    /// with (its node stays until the session ends).
    fn settle<D: Driver>(&mut self, driver: &mut D, deadline: Option<Instant>) -> Result<bool> {
        while self.machine.is_leaving() {
            if !left(self.run(driver, deadline)?)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Like [`Lock::acquire`] without a timeout, on zk-tokio's client.
    ///
    /// Dropping the future before it finishes (`tokio::time::timeout`, `select!`, an
    /// aborted task) gives the acquire up: the contender's node, once made, is deleted
    /// (queued at once), so it holds nobody up, and the next call starts afresh. A
    /// node whose create is still unanswered is deleted by the session once the
    /// answer names it.
    #[cfg(feature = "tokio")]
    pub async fn acquire_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        self.settle_async(client, None).await?;
        self.machine.acquire(true);
        match self.run_async(client, None).await? {
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
        let deadline = Instant::now().checked_add(timeout);
        if !self.settle_async(client, deadline).await? {
            return Ok(false);
        }
        self.machine.acquire(true);
        match self.run_async(client, deadline).await? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// Like [`Lock::try_acquire`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn try_acquire_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        let busy = self.machine.is_contending() || self.machine.is_leaving();
        let deadline = busy.then(Instant::now);
        if !self.settle_async(client, deadline).await? {
            return Ok(false);
        }
        self.machine.acquire(false);
        match self.run_async(client, deadline).await? {
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
        self.settle_async(client, None).await.map(drop)
    }

    /// Like [`Lock::release`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn release_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        if !self.let_go() {
            return Ok(());
        }
        self.settle_async(client, None).await.map(drop)
    }

    /// Like [`Lock::run`], on zk-tokio's client: dropping the future gives the
    /// operation under way up (see [`Lock::acquire_async`]).
    #[cfg(feature = "tokio")]
    async fn run_async(
        &mut self,
        client: &zk_tokio::Client,
        deadline: Option<Instant>,
    ) -> Result<Option<LockEvent>> {
        crate::run::tokio::run_abandoning_in(client, &mut self.machine, deadline, &mut self.held)
            .await
    }

    /// Like [`Lock::settle`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    async fn settle_async(
        &mut self,
        client: &zk_tokio::Client,
        deadline: Option<Instant>,
    ) -> Result<bool> {
        while self.machine.is_leaving() {
            if !left(self.run_async(client, deadline).await?)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The identifiers of the contenders (holders first, then the waiting ones in
    /// order), kazoo's `contenders()`: those whose kind of node blocks this lock, and
    /// those of its own kind (readers and writers for either side of a read-write
    /// lock; only exclusive ones, which are also the write lock's, for [`Lock::new`];
    /// Curator's `lock-` nodes for [`Lock::curator`]).
    pub fn contenders<D: Driver>(&self, driver: &mut D) -> Result<Vec<String>> {
        let mut reading =
            ContendersMachine::of_kinds(self.machine.path(), &self.machine.contender_kinds());
        match driver.run(&mut reading, None)? {
            Some(found) => found,
            None => Ok(Vec::new()),
        }
    }

    /// Like [`Lock::contenders`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn contenders_async(&self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        let mut reading =
            ContendersMachine::of_kinds(self.machine.path(), &self.machine.contender_kinds());
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
    /// gone). While such a check is out (a holder's acquire that returned by its
    /// timeout before the server answered), the lock is held as far as anyone knows:
    /// `true`.
    pub fn is_held(&self) -> bool {
        self.machine.is_held() || self.machine.is_verifying()
    }

    /// Whether a holder's acquire is still asking the server whether its node is
    /// there (it timed out before the answer): held as far as anyone knows.
    pub(crate) fn is_verifying(&self) -> bool {
        self.machine.is_verifying()
    }

    /// Whether a contender waits for its turn (in line, or getting there), not a
    /// holder checking its hold nor a contender leaving.
    pub(crate) fn is_in_line(&self) -> bool {
        self.machine.is_contending() && !self.machine.is_verifying() && !self.machine.is_leaving()
    }

    /// Waits for the turn of a contender in line, as long as it takes. Dropping the
    /// future keeps the place (unlike [`Lock::acquire_async`]): a reply still out is
    /// heard by the next call.
    #[cfg(feature = "tokio")]
    pub(crate) async fn wait_turn_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        self.machine.acquire(true);
        match crate::run::tokio::run(client, &mut self.machine, None, &mut self.held).await? {
            Some(event) => outcome(event),
            None => Ok(false),
        }
    }

    /// The contender node's path, while it exists.
    pub fn node_path(&self) -> Option<String> {
        self.machine.node_path()
    }
}

/// Whether leaving the line ended with `event` (`Ok(false)`: time ran out first), or
/// the error it ended with.
fn left(event: Option<LockEvent>) -> Result<bool> {
    match event {
        None => Ok(false),
        Some(LockEvent::Failed(e) | LockEvent::Lost(e)) => Err(e),
        Some(_) => Ok(true),
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
