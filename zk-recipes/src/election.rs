//! Leader election (kazoo's `Election`): the candidates contend for a lock on the
//! election path; the holder leads. Interoperable with kazoo's `Election` on the same
//! path: kazoo's `contenders()` lists our candidates and ours lists kazoo's.

use std::time::Duration;

use zk_blocking::{IntoData, Result};

use crate::lock::Lock;
use crate::run::Driver;

/// One candidate in an election.
#[derive(Debug)]
pub struct LeaderElection {
    lock: Lock,
}

impl LeaderElection {
    /// A candidate for the election at `path`, known to the others by `identifier`.
    pub fn new(path: &str, identifier: impl IntoData) -> LeaderElection {
        LeaderElection {
            lock: Lock::new(path, identifier),
        }
    }

    /// Enters the election (once) and waits at most `timeout` (`None`: until then)
    /// to lead: `Ok(true)` once elected; `Ok(false)` not yet, and the candidate keeps
    /// its place (call again, or [`LeaderElection::resign`] to withdraw).
    pub fn run_for_leadership<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<bool> {
        match timeout {
            Some(timeout) => self.lock.acquire_for(driver, timeout),
            None => self.lock.acquire(driver, None),
        }
    }

    /// Steps down as leader, or withdraws as candidate: the next candidate leads.
    pub fn resign<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.lock.cancel(driver)
    }

    /// Whether this candidate led when it last ran on a client. Leadership ends with
    /// the session, which this value hears of only at its next call: watch the
    /// client's state while leading, and call [`LeaderElection::run_for_leadership`]
    /// again to ask the server (it fails with the session's error once the session is
    /// over, and contends anew on a new session).
    pub fn is_leader(&self) -> bool {
        self.lock.is_held()
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
        match timeout {
            Some(timeout) => self.lock.acquire_for_async(client, timeout).await,
            None => self.lock.acquire_async(client).await,
        }
    }

    /// Like [`LeaderElection::resign`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn resign_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.lock.cancel_async(client).await
    }

    /// Like [`LeaderElection::contenders`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn contenders_async(&self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        self.lock.contenders_async(client).await
    }
}
