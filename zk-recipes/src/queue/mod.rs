//! The queue recipe: [`QueueMachine`] (sans-IO) and [`Queue`], which runs it on a
//! client.

mod machine;

use zk_blocking::{Bytes, Error, IntoData, Result};

pub use machine::{QueueEvent, QueueMachine};

use crate::run::Driver;

/// A distributed queue with priorities, interoperable with kazoo's `Queue` on the
/// same path. Each item is taken by exactly one consumer, however many there are;
/// as with kazoo, an item is removed when taken, so a consumer that fails while
/// processing it must put it back. Two cases cannot be decided after a lost reply
/// and are reported instead of guessed: a `put` failing with ConnectionLoss may have
/// added the item; a `get` whose delete's reply was lost hands the item out (it was
/// taken either by this consumer or, rarely, also by another one). On zk-tokio's
/// client, a `get_async` future dropped while its delete is out may take an item
/// nobody is handed (as kazoo's `get` interrupted there does), and a dropped
/// `put_async` may still add its item.
#[derive(Debug)]
pub struct Queue {
    machine: QueueMachine,
}

impl Queue {
    /// The priority of [`Queue::put`] (kazoo's default): between 0, taken first, and
    /// 999, taken last.
    pub const DEFAULT_PRIORITY: u16 = 100;

    /// The queue at `path` (created on the first `put`).
    pub fn new(path: &str) -> Queue {
        Queue {
            machine: QueueMachine::new(path),
        }
    }

    /// Adds `data` with kazoo's default priority ([`Queue::DEFAULT_PRIORITY`]).
    pub fn put<D: Driver>(&mut self, driver: &mut D, data: impl IntoData) -> Result<()> {
        self.put_with_priority(driver, data, Queue::DEFAULT_PRIORITY)
    }

    /// Adds `data` with `priority` (0 is taken first, 999 last).
    pub fn put_with_priority<D: Driver>(
        &mut self,
        driver: &mut D,
        data: impl IntoData,
        priority: u16,
    ) -> Result<()> {
        self.machine.put(data.into_data(), priority);
        put_outcome(driver.run(&mut self.machine, None)?)
    }

    /// Takes the first item; `None` when the queue is empty.
    pub fn get<D: Driver>(&mut self, driver: &mut D) -> Result<Option<Bytes>> {
        self.machine.get();
        get_outcome(driver.run(&mut self.machine, None)?)
    }

    /// Like [`Queue::put`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn put_async(
        &mut self,
        client: &zk_tokio::Client,
        data: impl IntoData,
    ) -> Result<()> {
        self.put_with_priority_async(client, data, Queue::DEFAULT_PRIORITY)
            .await
    }

    /// Like [`Queue::put_with_priority`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn put_with_priority_async(
        &mut self,
        client: &zk_tokio::Client,
        data: impl IntoData,
        priority: u16,
    ) -> Result<()> {
        self.machine.put(data.into_data(), priority);
        put_outcome(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }

    /// Like [`Queue::get`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn get_async(&mut self, client: &zk_tokio::Client) -> Result<Option<Bytes>> {
        self.machine.get();
        get_outcome(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }
}

fn put_outcome(event: Option<QueueEvent>) -> Result<()> {
    match event {
        Some(QueueEvent::Put(_)) => Ok(()),
        Some(QueueEvent::Failed(e)) => Err(e),
        other => Err(Error::InvalidArgument(format!("put ended with {other:?}"))),
    }
}

fn get_outcome(event: Option<QueueEvent>) -> Result<Option<Bytes>> {
    match event {
        Some(QueueEvent::Got(item)) => Ok(item),
        Some(QueueEvent::Failed(e)) => Err(e),
        other => Err(Error::InvalidArgument(format!("get ended with {other:?}"))),
    }
}
