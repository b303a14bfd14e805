//! A lease held as a value: released when dropped, and able to say when the session
//! (and with it the lease) is lost, when the connection is lost and the hold with it
//! uncertain, and (keeping watch on the lease node, [`crate::HoldMachine`]) when
//! someone deletes the node. The shared and the async client are cloned into their
//! guard; the blocking client is lent to its guard for the lease, and used through it
//! (the guard dereferences to the client). A constructor whose time ran out gives the
//! [`Semaphore`] back, for the next call to finish giving up.

use std::time::Duration;

#[cfg(feature = "tokio")]
use zk_blocking::Error;
use zk_blocking::Result;

use super::{Semaphore, SemaphoreError};
use crate::hold::{Hold, Holding, uncertain};

/// A lease held on the blocking [`Client`](zk_blocking::Client), which the guard
/// holds for the lease: use the client through it (it dereferences to the client).
/// Dropping it releases the lease.
#[derive(Debug)]
pub struct BlockingSemaphoreGuard<'a> {
    semaphore: Option<Semaphore>,
    holding: Holding,
    client: &'a mut zk_blocking::Client,
}

impl Semaphore {
    /// Takes a lease on the blocking client, waiting at most `timeout` (`None`: as
    /// long as it takes): `Ok(Err(self))` when time ran out, returning by then as
    /// [`Semaphore::acquire`] does (on a server slower than `timeout` it may still be
    /// giving up: acquire again, or [`Semaphore::cancel`] it before dropping it).
    pub fn lease_blocking(
        mut self,
        client: &mut zk_blocking::Client,
        timeout: Option<Duration>,
    ) -> Result<Result<BlockingSemaphoreGuard<'_>, Semaphore>, SemaphoreError> {
        if !self.acquire(&mut crate::run::Blocking::new(client), timeout)? {
            return Ok(Err(self));
        }
        let holding = self.holding();
        let mut guard = BlockingSemaphoreGuard {
            semaphore: Some(self),
            holding,
            client,
        };
        // The check that sets the watch on the lease node goes out now, while the
        // connection is surely up (its answer is heard now, or by a later call).
        guard.hold()?;
        Ok(Ok(guard))
    }
}

impl BlockingSemaphoreGuard<'_> {
    /// Whether the lease is lost: the session ended, and with it the lease node. (A
    /// lease node deleted by someone else is told by
    /// [`BlockingSemaphoreGuard::hold`].)
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Whether the hold is uncertain: the connection is lost (or on a read-only
    /// server), the session not known to be over; the lease may still be held (a
    /// reconnect) or be lost (an expiry); `is_lost` stays false meanwhile.
    pub fn is_uncertain(&self) -> bool {
        uncertain(self.client.state())
    }

    /// The hold now, with what came since the last call taken in, without waiting
    /// ([`Hold::Uncertain`] after a reconnect until a later call hears the server
    /// say whether the lease node is still there): [`Hold::Lost`] with
    /// [`LostReason::NodeDeleted`](crate::LostReason::NodeDeleted) also when someone
    /// (an operator) deleted the lease node, with the session's error when the
    /// session ended. A lease lost stays lost: lease again to hold one anew (the
    /// guard's release then deletes no other holder's lease: its delete of its own
    /// node, gone already, finds nothing).
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

    /// Releases the lease now, reporting an error.
    pub fn release(mut self) -> Result<(), SemaphoreError> {
        self.give_up()
    }

    /// Stops keeping watch on the lease node (a check still out is given up, its
    /// reply never the program's) and releases the lease, once.
    fn give_up(&mut self) -> Result<(), SemaphoreError> {
        let mut driver = crate::run::Blocking::new(self.client);
        self.holding.give_up(&mut driver);
        match self.semaphore.take() {
            Some(mut semaphore) => semaphore.release(&mut driver),
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for BlockingSemaphoreGuard<'_> {
    type Target = zk_blocking::Client;

    fn deref(&self) -> &zk_blocking::Client {
        self.client
    }
}

impl std::ops::DerefMut for BlockingSemaphoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut zk_blocking::Client {
        self.client
    }
}

impl Drop for BlockingSemaphoreGuard<'_> {
    fn drop(&mut self) {
        let _ = self.give_up();
    }
}

/// A lease held on a [`SharedClient`](zk_blocking::SharedClient): dropping it
/// releases the lease (deletes its node; an error then is ignored: the node goes
/// with the session at the latest).
#[cfg(unix)]
#[derive(Debug)]
pub struct SemaphoreGuard {
    semaphore: Option<Semaphore>,
    holding: Holding,
    client: zk_blocking::SharedClient,
}

#[cfg(unix)]
impl Semaphore {
    /// Takes a lease, waiting at most `timeout` (`None`: as long as it takes):
    /// `Ok(Err(self))` when time ran out, returning by then as
    /// [`Semaphore::acquire`] does (on a server slower than `timeout` it may still be
    /// giving up: acquire again, or [`Semaphore::cancel`] it before dropping it).
    pub fn lease(
        mut self,
        client: &zk_blocking::SharedClient,
        timeout: Option<Duration>,
    ) -> Result<Result<SemaphoreGuard, Semaphore>, SemaphoreError> {
        let mut client = client.clone();
        if !self.acquire(&mut client, timeout)? {
            return Ok(Err(self));
        }
        let holding = self.holding();
        let mut guard = SemaphoreGuard {
            semaphore: Some(self),
            holding,
            client,
        };
        // The check that sets the watch on the lease node goes out now, while the
        // connection is surely up (its answer is heard now, or by a later call).
        guard.hold()?;
        Ok(Ok(guard))
    }
}

#[cfg(unix)]
impl SemaphoreGuard {
    /// Whether the lease is lost: the session ended (expired, closed, or its
    /// credentials were refused), and with it the lease node. (A lease node deleted
    /// by someone else is told by [`SemaphoreGuard::hold`].)
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Whether the hold is uncertain: the connection is lost (or on a read-only
    /// server), the session not known to be over; the lease may still be held (a
    /// reconnect) or be lost (an expiry); `is_lost` stays false meanwhile.
    pub fn is_uncertain(&self) -> bool {
        uncertain(self.client.state())
    }

    /// The hold now, with what came since the last call taken in, without waiting
    /// ([`Hold::Uncertain`] after a reconnect until a later call hears the server
    /// say whether the lease node is still there): [`Hold::Lost`] with
    /// [`LostReason::NodeDeleted`](crate::LostReason::NodeDeleted) also when someone
    /// (an operator) deleted the lease node, with the session's error when the
    /// session ended. A lease lost stays lost: lease again to hold one anew (the
    /// guard's release then deletes no other holder's lease: its delete of its own
    /// node, gone already, finds nothing).
    pub fn hold(&mut self) -> Result<Hold> {
        self.holding.check(&mut self.client)
    }

    /// Waits at most `timeout` (`None`: as long as it takes) until the hold changes,
    /// and returns it then (`None`: time ran out with no change; see
    /// [`LeaderElection::wait_leadership_change`](crate::LeaderElection::wait_leadership_change)).
    pub fn wait_hold_change(&mut self, timeout: Option<Duration>) -> Result<Option<Hold>> {
        self.holding.wait_change(&mut self.client, timeout)
    }

    /// Releases the lease now, reporting an error.
    pub fn release(mut self) -> Result<(), SemaphoreError> {
        self.give_up()
    }

    /// Stops keeping watch on the lease node (a check still out is given up) and
    /// releases the lease, once.
    fn give_up(&mut self) -> Result<(), SemaphoreError> {
        self.holding.give_up(&mut self.client);
        match self.semaphore.take() {
            Some(mut semaphore) => semaphore.release(&mut self.client),
            None => Ok(()),
        }
    }
}

#[cfg(unix)]
impl Drop for SemaphoreGuard {
    fn drop(&mut self) {
        let _ = self.give_up();
    }
}

/// A lease held on zk-tokio's client: dropping it releases the lease (the delete is
/// queued at once and completes in the background).
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct AsyncSemaphoreGuard {
    semaphore: Option<Semaphore>,
    holding: Holding,
    client: zk_tokio::Client,
    states: zk_tokio::StateChanges,
}

#[cfg(feature = "tokio")]
impl Semaphore {
    /// Takes a lease on zk-tokio's client, waiting at most `timeout` (`None`: as long
    /// as it takes): `Ok(Err(self))` when time ran out, returning by then as
    /// [`Semaphore::acquire_async`] does (on a server slower than `timeout` it may
    /// still be giving up: acquire again, or [`Semaphore::cancel_async`] it before
    /// dropping it).
    pub async fn lease_async(
        mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> Result<Result<AsyncSemaphoreGuard, Semaphore>, SemaphoreError> {
        let states = client.state_changes();
        if !self.acquire_async(client, timeout).await? {
            return Ok(Err(self));
        }
        let holding = self.holding();
        let mut guard = AsyncSemaphoreGuard {
            semaphore: Some(self),
            holding,
            client: client.clone(),
            states,
        };
        // The check that sets the watch on the lease node goes out now, while the
        // connection is surely up (its answer is heard now, or by a later call).
        guard.hold().await?;
        Ok(Ok(guard))
    }
}

#[cfg(feature = "tokio")]
impl AsyncSemaphoreGuard {
    /// Resolves when the lease is lost: the session ended (the error says how). (A
    /// lease node deleted by someone else is told by
    /// [`AsyncSemaphoreGuard::hold_changed`].)
    pub async fn lost(&mut self) -> Error {
        crate::hold::session_lost(&self.client, &mut self.states).await
    }

    /// Whether the lease is lost: the session ended, and with it the lease node. (A
    /// lease node deleted by someone else is told by [`AsyncSemaphoreGuard::hold`].)
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Whether the hold is uncertain: the connection is lost (or on a read-only
    /// server), the session not known to be over; the lease may still be held (a
    /// reconnect) or be lost (an expiry); `is_lost` stays false meanwhile.
    pub fn is_uncertain(&self) -> bool {
        uncertain(self.client.state())
    }

    /// Like [`SemaphoreGuard::hold`](crate::SemaphoreGuard::hold), on zk-tokio's
    /// client.
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

    /// Releases the lease now, reporting an error.
    pub async fn release(mut self) -> Result<(), SemaphoreError> {
        // The watch and a check still out go first.
        self.holding.give_up_async();
        match self.semaphore.take() {
            Some(mut semaphore) => semaphore.release_async(&self.client).await,
            None => Ok(()),
        }
    }
}

#[cfg(feature = "tokio")]
impl Drop for AsyncSemaphoreGuard {
    fn drop(&mut self) {
        self.holding.give_up_async();
        if let Some(semaphore) = self.semaphore.take() {
            // Queued now; it completes without anyone awaiting it.
            drop(
                self.client
                    .delete(semaphore.lease_path(), zk_blocking::Version::Any),
            );
        }
    }
}

impl Semaphore {
    /// The watch a guard keeps on this holder's lease node, held now.
    fn holding(&self) -> Holding {
        Holding::new(self.lease_path())
    }
}
