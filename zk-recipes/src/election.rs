//! Leader election (kazoo's `Election`): the candidates contend for a lock on the
//! election path; the holder leads. Interoperable with kazoo's `Election` on the same
//! path: kazoo's `contenders()` lists our candidates and ours lists kazoo's.
//! ([`LeaderElection::curator`] stands in the election of Curator's `LeaderLatch`
//! instead.)
//!
//! A leader keeps watch on its own node (a [`HoldMachine`](crate::HoldMachine)): it learns that it may no
//! longer lead when the connection is lost, and that it does not when its session
//! ends or someone deletes its node.

use std::time::Duration;

use zk_blocking::{IntoData, Result};

use crate::hold::{Hold, Holding, LostReason};
use crate::lock::Lock;
use crate::run::Driver;

/// How long each of [`LeaderElection::join`]'s runs waits: the wait is for the
/// candidate's node, whose create goes out in the first.
const JOIN_SLICE: Duration = Duration::from_millis(100);

/// A candidate's standing in its election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leadership {
    /// Not elected: not running, waiting in line, or resigned.
    NotLeading,
    /// Leading: the server said the candidate's node is first, and the connection
    /// stayed up since.
    Leading,
    /// Elected, but the connection is lost: the session may live on (a reconnect
    /// makes it [`Leadership::Leading`] again) or expire meanwhile; until the client
    /// reaches a server, another candidate may already lead. Stop leading (Curator's
    /// LeaderLatch calls `notLeader` here).
    Uncertain,
    /// Leadership ended: someone deleted the candidate's node
    /// ([`LostReason::NodeDeleted`]), or the session ended ([`LostReason::Error`],
    /// the client's error for it: `SessionExpired`, `Closed`, `AuthFailed`, or
    /// `SaslRequired` when a server required SASL). Run for leadership again to
    /// stand anew.
    Lost(LostReason),
}

impl From<Hold> for Leadership {
    fn from(hold: Hold) -> Leadership {
        match hold {
            Hold::Held => Leadership::Leading,
            Hold::Uncertain => Leadership::Uncertain,
            Hold::Lost(why) => Leadership::Lost(why),
        }
    }
}

/// One candidate in an election: kazoo's `Election` (a [`Lock`](crate::Lock) whose
/// holder leads), or, made with [`LeaderElection::curator`], Curator's `LeaderLatch`
/// (see the crate's "Compatibility").
///
/// Once elected, [`LeaderElection::wait_leadership_change`] (or
/// `leadership_changed_async` on zk-tokio's client) returns when the leadership
/// becomes uncertain, comes back, or ends; [`LeaderElection::check_leadership`]
/// looks without waiting.
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
/// use std::time::Duration;
/// use zk_recipes::{LeaderElection, Leadership};
///
/// let mut candidate = LeaderElection::new("/election/report", "worker-1");
/// let mut driver = zk.clone();
/// candidate.run_for_leadership(&mut driver, None)?;
/// loop {
///     match candidate.wait_leadership_change(&mut driver, Some(Duration::from_secs(1)))? {
///         Some(Leadership::Lost(_) | Leadership::NotLeading) => break,
///         Some(changed) => println!("now {changed:?}"),
///         None => {} // no change within the second
///     }
///     if candidate.is_leader() {
///         // ... a step of the leader's work (paused while Uncertain) ...
///     }
/// }
/// # Ok(()) }
/// ```
///
/// Dropping a candidate gives up the requests its calls left out (their replies are
/// discarded, on every client: on the blocking client at its next pump or wait) and
/// leaves its node to the session's end: [`LeaderElection::resign`] to hand the
/// leadership on at once.
#[derive(Debug)]
pub struct LeaderElection {
    lock: Lock,
    /// The watch on the candidate's node, while it was elected last.
    holding: Option<Holding>,
}

impl LeaderElection {
    /// A candidate for the election at `path`, known to the others by `identifier`.
    pub fn new(path: &str, identifier: impl IntoData) -> LeaderElection {
        LeaderElection {
            lock: Lock::new(path, identifier),
            holding: None,
        }
    }

    /// A candidate in the election at `path` that Curator's `LeaderLatch` candidates on
    /// the same path take part in: its node is named as a latch names its own
    /// (`_c_<uuid>-latch-<sequence>`), and the candidate whose `latch-` sequence is
    /// lowest leads, as a latch orders them. `identifier` is the node's data, the
    /// latch's id (what `LeaderLatch.getParticipants()` and
    /// [`LeaderElection::contenders`] list). Not with kazoo's `Election`, nor with
    /// [`LeaderElection::new`] on the same path. (Curator's `LeaderSelector` is an
    /// `InterProcessMutex` whose holder leads: a [`Lock::curator`](crate::Lock::curator)
    /// takes turns with it.)
    pub fn curator(path: &str, identifier: impl IntoData) -> LeaderElection {
        LeaderElection {
            lock: Lock::curator_latch(path, identifier),
            holding: None,
        }
    }

    /// Enters the election (once) and waits at most `timeout` (`None`: until then)
    /// to lead: `Ok(true)` once elected; `Ok(false)` not yet, and the candidate keeps
    /// its place (call again, or [`LeaderElection::resign`] to withdraw). Called
    /// again by a leader, it asks the server whether the candidate's node is still
    /// there (and contends anew if it is gone).
    pub fn run_for_leadership<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<bool> {
        let elected = match timeout {
            Some(timeout) => self.lock.acquire_for(driver, timeout),
            None => self.lock.acquire(driver, None),
        };
        if let Some(mut stale) = self.elected(&elected) {
            stale.give_up(driver);
        }
        let elected = elected?;
        // The check that sets the watch on the node goes out now, while the connection is
        // surely up (its answer is heard now, or by a later call).
        if let Some(holding) = &mut self.holding {
            holding.check(driver)?;
        }
        Ok(elected)
    }

    /// Takes a place in line and returns once the candidate has one (its node made),
    /// without waiting for its turn: `Ok(true)` if it leads already. Candidates lead
    /// in the order they joined (as after Curator's `LeaderLatch::start`); then
    /// [`LeaderElection::run_for_leadership`] waits for the turn. A candidate in line
    /// already returns at once. Bounded as a call is: a lost connection is waited
    /// out, the session's end fails it.
    pub fn join<D: Driver>(&mut self, driver: &mut D) -> Result<bool> {
        loop {
            let leads = self.run_for_leadership(driver, Some(JOIN_SLICE))?;
            if leads || self.lock.node_path().is_some() {
                return Ok(leads);
            }
        }
    }

    /// Whether the candidate waits in line for its turn: not leading (nor checking a
    /// leadership), its place taken or being taken.
    fn waits_in_line(&self) -> bool {
        self.holding.as_ref().is_none_or(|h| h.now().is_lost()) && self.lock.is_in_line()
    }

    /// Keeps watch on the candidate's node once `elected`; returns the watch kept
    /// before, if this ends it (a check it left out is to be given up).
    fn elected(&mut self, elected: &Result<bool>) -> Option<Holding> {
        match (elected, self.lock.node_path()) {
            (Ok(true), Some(node)) => {
                if self.holding.as_ref().is_none_or(|h| h.now().is_lost()) {
                    return self.holding.replace(Holding::new(&node));
                }
                None
            }
            // A leader's check that ran out of time: its answer is still out, and the
            // node is the one watched; it leads as far as anyone knows.
            (Ok(false), Some(_)) if self.holding.is_some() && self.lock.is_verifying() => None,
            _ => self.holding.take(),
        }
    }

    /// Steps down as leader, or withdraws as candidate: the next candidate leads.
    pub fn resign<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        if let Some(mut holding) = self.holding.take() {
            holding.give_up(driver);
        }
        self.lock.cancel(driver)
    }

    /// The standing as last heard (it changes only in the calls on a client:
    /// [`LeaderElection::check_leadership`] and
    /// [`LeaderElection::wait_leadership_change`] keep it current).
    pub fn leadership(&self) -> Leadership {
        match &self.holding {
            Some(holding) => holding.now().clone().into(),
            None => Leadership::NotLeading,
        }
    }

    /// Whether the candidate leads, as last heard: [`LeaderElection::leadership`] is
    /// [`Leadership::Leading`] (not while [`Leadership::Uncertain`]).
    pub fn is_leader(&self) -> bool {
        self.leadership() == Leadership::Leading
    }

    /// The standing now: what came since the last call (a lost connection, the
    /// session's end, the node's deletion) is taken in without waiting. After a
    /// reconnect it stays [`Leadership::Uncertain`] until the server says whether
    /// the node is still there: its answer, asked for now, is heard by a later call
    /// (or a wait).
    pub fn check_leadership<D: Driver>(&mut self, driver: &mut D) -> Result<Leadership> {
        match &mut self.holding {
            Some(holding) => Ok(holding.check(driver)?.into()),
            None => Ok(Leadership::NotLeading),
        }
    }

    /// Waits at most `timeout` (`None`: as long as it takes) until the leadership
    /// changes, and returns it then (`None`: time ran out with no change). Each
    /// change is returned once, in order: [`Leadership::Uncertain`] when the
    /// connection is lost, [`Leadership::Leading`] again after a reconnect once the
    /// server says the node is still there, [`Leadership::Lost`] when the session ends
    /// or the node is deleted. A candidate in line (after [`LeaderElection::join`],
    /// or a [`LeaderElection::run_for_leadership`] that timed out) waits for its turn,
    /// keeping its place when time runs out: [`Leadership::Leading`] once it leads (it
    /// fails as `run_for_leadership` does). Not in the election, or lost, it returns
    /// the standing at once.
    ///
    /// It returns by `timeout` also while a question to the server is out (after a
    /// reconnect, or asked again when its answer was lost) and the server is slower
    /// than that: the question stays out, and a later call hears its answer.
    pub fn wait_leadership_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Leadership>> {
        if self.waits_in_line() {
            // Its turn is the change it waits for.
            let elected = self.run_for_leadership(driver, timeout)?;
            return Ok(elected.then_some(Leadership::Leading));
        }
        match &mut self.holding {
            Some(holding) => Ok(holding.wait_change(driver, timeout)?.map(Leadership::from)),
            None => Ok(Some(Leadership::NotLeading)),
        }
    }

    /// The candidate's node, while it is in the election.
    pub fn node_path(&self) -> Option<String> {
        self.lock.node_path()
    }

    /// The candidates' identifiers, the leader first.
    pub fn contenders<D: Driver>(&self, driver: &mut D) -> Result<Vec<String>> {
        self.lock.contenders(driver)
    }

    /// Like [`LeaderElection::run_for_leadership`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn run_for_leadership_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> Result<bool> {
        let elected = match timeout {
            Some(timeout) => self.lock.acquire_for_async(client, timeout).await,
            None => self.lock.acquire_async(client).await,
        };
        // zk-tokio's client keeps no check out between calls: nothing to give up.
        drop(self.elected(&elected));
        let elected = elected?;
        if let Some(holding) = &mut self.holding {
            holding.check_async(client).await?;
        }
        Ok(elected)
    }

    /// Like [`LeaderElection::join`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn join_async(&mut self, client: &zk_tokio::Client) -> Result<bool> {
        loop {
            let leads = self
                .run_for_leadership_async(client, Some(JOIN_SLICE))
                .await?;
            if leads || self.lock.node_path().is_some() {
                return Ok(leads);
            }
        }
    }

    /// Like [`LeaderElection::resign`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn resign_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.holding = None;
        self.lock.cancel_async(client).await
    }

    /// Like [`LeaderElection::check_leadership`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn check_leadership_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> Result<Leadership> {
        match &mut self.holding {
            Some(holding) => Ok(holding.check_async(client).await?.into()),
            None => Ok(Leadership::NotLeading),
        }
    }

    /// Resolves when the leadership changes (see
    /// [`LeaderElection::wait_leadership_change`]), on zk-tokio's client. Dropping
    /// the future (`tokio::time::timeout`, `select!`) loses no change: the next call
    /// returns it; a question to the server still out stays out, and a later call
    /// hears its answer.
    #[cfg(feature = "tokio")]
    pub async fn leadership_changed_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> Result<Leadership> {
        if self.waits_in_line() {
            let elected = self.lock.wait_turn_async(client).await;
            drop(self.elected(&elected));
            if !elected? {
                return Ok(Leadership::NotLeading);
            }
            if let Some(holding) = &mut self.holding {
                holding.check_async(client).await?;
            }
            return Ok(Leadership::Leading);
        }
        match &mut self.holding {
            Some(holding) => Ok(holding.next_change_async(client).await?.into()),
            None => Ok(Leadership::NotLeading),
        }
    }

    /// Like [`LeaderElection::contenders`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn contenders_async(&self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        self.lock.contenders_async(client).await
    }
}
