//! Holding a lock as a value: released when dropped, and able to say when the session
//! (and with it the lock) is lost, when the connection is lost and the hold with it
//! uncertain, and (keeping watch on the lock's node, [`crate::HoldMachine`]) when
//! someone deletes the node. The shared and the async client are cloned into their
//! guard; the blocking client is lent to its guard for the hold, and used through it
//! (the guard dereferences to the client).

use std::time::Duration;

#[cfg(feature = "tokio")]
use zk_blocking::Error;
use zk_blocking::Result;

use super::Lock;
use crate::hold::{Hold, Holding, uncertain};

/// A lock held on the blocking [`Client`](zk_blocking::Client), which the guard holds
/// for the hold: use the client through it (it dereferences to the client). Dropping
/// it releases the lock.
#[derive(Debug)]
pub struct BlockingLockGuard<'a> {
    lock: Option<Lock>,
    holding: Holding,
    client: &'a mut zk_blocking::Client,
}

impl Lock {
    /// Takes the lock on the blocking client, waiting at most `timeout` (`None`: as
    /// long as it takes): `Ok(None)` when time ran out (nothing is left behind: on a server slower than
    /// `timeout` it takes longer, to delete the contender's node before it returns).
    pub fn lock_blocking(
        mut self,
        client: &mut zk_blocking::Client,
        timeout: Option<Duration>,
    ) -> Result<Option<BlockingLockGuard<'_>>> {
        let mut driver = crate::run::Blocking::new(client);
        if !self.acquire(&mut driver, timeout)? {
            // The node of a create a slow server has not answered yet is deleted
            // before the lock goes.
            self.cancel(&mut driver)?;
            return Ok(None);
        }
        let holding = self.holding();
        let mut guard = BlockingLockGuard {
            lock: Some(self),
            holding,
            client,
        };
        // The check that sets the watch on the node goes out now, while the connection is
        // surely up (its answer is heard now, or by a later call).
        guard.hold()?;
        Ok(Some(guard))
    }
}

impl BlockingLockGuard<'_> {
    /// Whether the lock is lost: the session ended, and with it the lock's node.
    /// (A node deleted by someone else is told by [`BlockingLockGuard::hold`].)
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Whether the hold is uncertain: the connection is lost (or on a read-only
    /// server), the session not known to be over; the lock may still be held (a
    /// reconnect) or be lost (an expiry); `is_lost` stays false meanwhile.
    pub fn is_uncertain(&self) -> bool {
        uncertain(self.client.state())
    }

    /// The hold now, with what came since the last call taken in, without waiting
    /// ([`Hold::Uncertain`] after a reconnect until a later call hears the server
    /// say whether the node is still there): [`Hold::Lost`] also when someone
    /// deleted the lock's node.
    pub fn hold(&mut self) -> Result<Hold> {
        self.holding
            .check(&mut crate::run::Blocking::new(self.client))
    }

    /// Waits at most `timeout` (`None`: as long as it takes) until the hold changes,
    /// and returns it then (`None`: time ran out with no change; see
    /// [`LeaderElection::wait_leadership_change`](crate::LeaderElection::wait_leadership_change)).
    pub fn wait_hold_change(&mut self, timeout: Option<Duration>) -> Result<Option<Hold>> {
        let mut driver = crate::run::Blocking::new(self.client);
        self.holding.wait_change(&mut driver, timeout)
    }

    /// Releases the lock now, reporting an error.
    pub fn release(mut self) -> Result<()> {
        self.give_up()
    }

    /// Stops keeping watch on the node (a check still out is given up, its reply
    /// never the program's) and releases the lock, once.
    fn give_up(&mut self) -> Result<()> {
        let mut driver = crate::run::Blocking::new(self.client);
        self.holding.give_up(&mut driver);
        match self.lock.take() {
            Some(mut lock) => lock.release(&mut driver),
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for BlockingLockGuard<'_> {
    type Target = zk_blocking::Client;

    fn deref(&self) -> &zk_blocking::Client {
        self.client
    }
}

impl std::ops::DerefMut for BlockingLockGuard<'_> {
    fn deref_mut(&mut self) -> &mut zk_blocking::Client {
        self.client
    }
}

impl Drop for BlockingLockGuard<'_> {
    fn drop(&mut self) {
        let _ = self.give_up();
    }
}

/// A lock held on a [`SharedClient`](zk_blocking::SharedClient): dropping it releases
/// the lock (deletes its node; an error then is ignored: the node goes with the
/// session at the latest).
#[cfg(unix)]
#[derive(Debug)]
pub struct LockGuard {
    lock: Option<Lock>,
    holding: Holding,
    client: zk_blocking::SharedClient,
}

#[cfg(unix)]
impl Lock {
    /// Takes the lock, waiting at most `timeout` (`None`: as long as it takes):
    /// `Ok(None)` when time ran out (nothing is left behind: on a server slower than
    /// `timeout` it takes longer, to delete the contender's node before it returns).
    pub fn lock(
        mut self,
        client: &zk_blocking::SharedClient,
        timeout: Option<Duration>,
    ) -> Result<Option<LockGuard>> {
        let mut driver = client.clone();
        if !self.acquire(&mut driver, timeout)? {
            // The node of a create a slow server has not answered yet is deleted
            // before the lock goes.
            self.cancel(&mut driver)?;
            return Ok(None);
        }
        let holding = self.holding();
        let mut guard = LockGuard {
            lock: Some(self),
            holding,
            client: driver,
        };
        // The check that sets the watch on the node goes out now, while the connection is
        // surely up (its answer is heard now, or by a later call).
        guard.hold()?;
        Ok(Some(guard))
    }
}

#[cfg(unix)]
impl LockGuard {
    /// Whether the lock is lost: the session ended (expired, closed, or its
    /// credentials were refused), and with it the lock's ephemeral node. (A node
    /// deleted by someone else is told by [`LockGuard::hold`].)
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Whether the hold is uncertain: the connection is lost (or on a read-only
    /// server), the session not known to be over; the lock may still be held (a
    /// reconnect) or be lost (an expiry); `is_lost` stays false meanwhile.
    pub fn is_uncertain(&self) -> bool {
        uncertain(self.client.state())
    }

    /// The hold now, with what came since the last call taken in, without waiting
    /// ([`Hold::Uncertain`] after a reconnect until a later call hears the server
    /// say whether the node is still there): [`Hold::Lost`] also when someone
    /// deleted the lock's node.
    pub fn hold(&mut self) -> Result<Hold> {
        self.holding.check(&mut self.client)
    }

    /// Waits at most `timeout` (`None`: as long as it takes) until the hold changes,
    /// and returns it then (`None`: time ran out with no change; see
    /// [`LeaderElection::wait_leadership_change`](crate::LeaderElection::wait_leadership_change)).
    pub fn wait_hold_change(&mut self, timeout: Option<Duration>) -> Result<Option<Hold>> {
        self.holding.wait_change(&mut self.client, timeout)
    }

    /// Releases the lock now, reporting an error.
    pub fn release(mut self) -> Result<()> {
        self.give_up()
    }

    /// Stops keeping watch on the node (a check still out is given up, its reply
    /// never the program's) and releases the lock, once.
    fn give_up(&mut self) -> Result<()> {
        self.holding.give_up(&mut self.client);
        match self.lock.take() {
            Some(mut lock) => lock.release(&mut self.client),
            None => Ok(()),
        }
    }
}

#[cfg(unix)]
impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.give_up();
    }
}

/// A lock held on zk-tokio's client: dropping it releases the lock (the delete is
/// queued at once and completes in the background).
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct AsyncLockGuard {
    lock: Option<Lock>,
    holding: Holding,
    client: zk_tokio::Client,
    states: zk_tokio::StateChanges,
}

#[cfg(feature = "tokio")]
impl Lock {
    /// Takes the lock on zk-tokio's client, waiting at most `timeout` (`None`: as
    /// long as it takes): `Ok(None)` when time ran out (nothing is left behind: on a server slower than
    /// `timeout` it takes longer, to delete the contender's node before it returns).
    pub async fn lock_async(
        mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> Result<Option<AsyncLockGuard>> {
        let states = client.state_changes();
        let held = match timeout {
            None => self.acquire_async(client).await?,
            Some(timeout) => {
                if !self.acquire_for_async(client, timeout).await? {
                    self.cancel_async(client).await?;
                    return Ok(None);
                }
                true
            }
        };
        if !held {
            return Ok(None);
        }
        let holding = self.holding();
        let mut guard = AsyncLockGuard {
            lock: Some(self),
            holding,
            client: client.clone(),
            states,
        };
        // The check that sets the watch on the node goes out now, while the connection is
        // surely up (its answer is heard now, or by a later call).
        guard.hold().await?;
        Ok(Some(guard))
    }
}

#[cfg(feature = "tokio")]
impl AsyncLockGuard {
    /// Resolves when the lock is lost: the session ended (the error says how).
    pub async fn lost(&mut self) -> Error {
        crate::hold::session_lost(&self.client, &mut self.states).await
    }

    /// Whether the lock is lost (the session ended). (A node deleted by someone
    /// else is told by [`AsyncLockGuard::hold`].)
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Whether the hold is uncertain: the connection is lost (or on a read-only
    /// server), the session not known to be over; the lock may still be held (a
    /// reconnect) or be lost (an expiry); `is_lost` stays false meanwhile.
    pub fn is_uncertain(&self) -> bool {
        uncertain(self.client.state())
    }

    /// Like [`LockGuard::hold`](crate::LockGuard::hold), on zk-tokio's client.
    pub async fn hold(&mut self) -> Result<Hold> {
        self.holding.check_async(&self.client).await
    }

    /// Resolves when the hold changes, with the hold then (see
    /// [`LeaderElection::wait_leadership_change`](crate::LeaderElection::wait_leadership_change)).
    /// Dropping the future loses no change: the next call returns it (and hears the
    /// answer to a question to the server it left out).
    pub async fn hold_changed(&mut self) -> Result<Hold> {
        self.holding.next_change_async(&self.client).await
    }

    /// Releases the lock now, reporting an error.
    pub async fn release(mut self) -> Result<()> {
        // The watch and a check still out go first.
        self.holding.give_up_async();
        match self.lock.take() {
            Some(mut lock) => lock.release_async(&self.client).await,
            None => Ok(()),
        }
    }
}

#[cfg(feature = "tokio")]
impl Drop for AsyncLockGuard {
    fn drop(&mut self) {
        self.holding.give_up_async();
        if let Some(node) = self.lock.take().and_then(|lock| lock.node_path()) {
            // Queued now; it completes without anyone awaiting it.
            drop(self.client.delete(&node, zk_blocking::Version::Any));
        }
    }
}

impl Lock {
    /// The watch a guard keeps on the node of this lock, held now.
    fn holding(&self) -> Holding {
        Holding::new(&self.node_path().unwrap_or_default())
    }
}
