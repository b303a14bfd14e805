//! A lease held as a value: released when dropped, and able to say when the session
//! (and with it the lease) is lost. The shared and the async client are cloned into
//! their guard; the blocking client is lent to its guard for the lease, and used
//! through it (the guard dereferences to the client). A constructor whose time ran
//! out gives the [`Semaphore`] back, for the next call to finish giving up.

use std::time::Duration;

use super::{Semaphore, SemaphoreError};

/// A lease held on the blocking [`Client`](zk_blocking::Client), which the guard
/// holds for the lease: use the client through it (it dereferences to the client).
/// Dropping it releases the lease.
#[derive(Debug)]
pub struct BlockingSemaphoreGuard<'a> {
    semaphore: Option<Semaphore>,
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
        Ok(Ok(BlockingSemaphoreGuard {
            semaphore: Some(self),
            client,
        }))
    }
}

impl BlockingSemaphoreGuard<'_> {
    /// Whether the lease is lost: the session ended, and with it the lease node.
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Releases the lease now, reporting an error.
    pub fn release(mut self) -> Result<(), SemaphoreError> {
        self.give_up()
    }

    fn give_up(&mut self) -> Result<(), SemaphoreError> {
        match self.semaphore.take() {
            Some(mut semaphore) => semaphore.release(&mut crate::run::Blocking::new(self.client)),
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
        Ok(Ok(SemaphoreGuard {
            semaphore: Some(self),
            client,
        }))
    }
}

#[cfg(unix)]
impl SemaphoreGuard {
    /// Whether the lease is lost: the session ended, and with it the lease node.
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Releases the lease now, reporting an error.
    pub fn release(mut self) -> Result<(), SemaphoreError> {
        match self.semaphore.take() {
            Some(mut semaphore) => semaphore.release(&mut self.client),
            None => Ok(()),
        }
    }
}

#[cfg(unix)]
impl Drop for SemaphoreGuard {
    fn drop(&mut self) {
        if let Some(mut semaphore) = self.semaphore.take() {
            let _ = semaphore.release(&mut self.client);
        }
    }
}

/// A lease held on zk-tokio's client: dropping it releases the lease (the delete is
/// queued at once and completes in the background).
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct AsyncSemaphoreGuard {
    semaphore: Option<Semaphore>,
    client: zk_tokio::Client,
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
        if !self.acquire_async(client, timeout).await? {
            return Ok(Err(self));
        }
        Ok(Ok(AsyncSemaphoreGuard {
            semaphore: Some(self),
            client: client.clone(),
        }))
    }
}

#[cfg(feature = "tokio")]
impl AsyncSemaphoreGuard {
    /// Whether the lease is lost: the session ended, and with it the lease node.
    pub fn is_lost(&self) -> bool {
        self.client.state().is_terminal()
    }

    /// Releases the lease now, reporting an error.
    pub async fn release(mut self) -> Result<(), SemaphoreError> {
        match self.semaphore.take() {
            Some(mut semaphore) => semaphore.release_async(&self.client).await,
            None => Ok(()),
        }
    }
}

#[cfg(feature = "tokio")]
impl Drop for AsyncSemaphoreGuard {
    fn drop(&mut self) {
        if let Some(semaphore) = self.semaphore.take() {
            // Queued now; it completes without anyone awaiting it.
            drop(
                self.client
                    .delete(semaphore.lease_path(), zk_blocking::Version::Any),
            );
        }
    }
}
