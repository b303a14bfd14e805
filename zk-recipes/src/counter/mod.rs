//! The counter recipe: [`CounterMachine`] (sans-IO) and [`Counter`], which runs it on a
//! client.

mod encoding;
mod machine;

use zk_blocking::{Error, Result};

pub use encoding::CounterEncoding;
pub use machine::CounterMachine;

use crate::run::Driver;

/// A shared integer counter, interoperable with kazoo's `Counter` on the same path
/// (ASCII decimal data, [`Counter::new`]) or with Curator's `SharedCount` and kazoo's
/// `Counter(support_curator=True)` (4-byte big-endian, [`Counter::curator`]).
///
/// Each add reads the value and its version and writes the sum only if the version is
/// unchanged, retrying when another client got there first; a missing node (or empty
/// data) counts as 0 and an add creates it (and its parents). An add is applied once
/// or, when a lost connection leaves that unknowable, fails with
/// [`Error::ConnectionLoss`]; it is never applied twice (see [`CounterMachine`]). An
/// `add_async` future dropped before it finishes may likewise have been applied once.
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
/// let mut hits = zk_recipes::Counter::new("/stats/hits");
/// let mut driver = zk.clone();
/// let now = hits.add(&mut driver, 1)?;
/// assert!(hits.get(&mut driver)? >= now);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Counter {
    machine: CounterMachine,
}

impl Counter {
    /// The counter at `path`, in kazoo's ASCII decimal.
    pub fn new(path: &str) -> Counter {
        Counter::with_encoding(path, CounterEncoding::Ascii)
    }

    /// The counter at `path`, in Curator's `SharedCount` encoding (values are `i32`).
    pub fn curator(path: &str) -> Counter {
        Counter::with_encoding(path, CounterEncoding::Curator)
    }

    /// The counter at `path`, stored as `encoding` says.
    pub fn with_encoding(path: &str, encoding: CounterEncoding) -> Counter {
        Counter {
            machine: CounterMachine::new(path, encoding),
        }
    }

    /// Adds `delta` (negative to subtract) and returns the value it made.
    pub fn add<D: Driver>(&mut self, driver: &mut D, delta: i64) -> Result<i64> {
        self.machine.add(delta);
        answer(driver.run(&mut self.machine, None)?)
    }

    /// The current value (0 if the node does not exist).
    pub fn get<D: Driver>(&mut self, driver: &mut D) -> Result<i64> {
        self.machine.get();
        answer(driver.run(&mut self.machine, None)?)
    }

    /// Like [`Counter::add`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn add_async(&mut self, client: &zk_tokio::Client, delta: i64) -> Result<i64> {
        self.machine.add(delta);
        answer(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }

    /// Like [`Counter::get`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn get_async(&mut self, client: &zk_tokio::Client) -> Result<i64> {
        self.machine.get();
        answer(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }

    /// The counter's path.
    pub fn path(&self) -> &str {
        self.machine.path()
    }
}

/// The machine's one output per operation; it always has one once nothing is due.
fn answer(output: Option<Result<i64>>) -> Result<i64> {
    output.unwrap_or_else(|| {
        Err(Error::InvalidArgument(
            "the counter stopped without an answer".to_string(),
        ))
    })
}
