//! A distributed lock (the ZooKeeper recipe): each contender creates an ephemeral
//! sequential node under the lock's directory; the lowest holds the lock, every other
//! watches only the node just before its own, so a release wakes one waiter.
//!
//! The demo runs three workers in threads, each with its own session; under the lock
//! they increment a counter node with an unchecked read-modify-write, which is only
//! correct because the lock excludes the others.
//!
//! ```sh
//! cargo run -p zk-blocking --example lock -- 127.0.0.1:2181   # your server
//! cargo run -p zk-blocking --example lock                     # starts one
//! ```

use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use zk_blocking::Version;

use zk_blocking::{Client, CreateMode, Error, Event, Options};

/// A lock on `dir`, held through `client`'s session (it is released when the session
/// ends, as the node is ephemeral).
pub struct Lock<'a> {
    client: &'a mut Client,
    dir: String,
    node: Option<String>,
}

impl<'a> Lock<'a> {
    /// A lock on the directory `dir` (created when missing).
    pub fn new(client: &'a mut Client, dir: &str) -> Lock<'a> {
        Lock {
            client,
            dir: dir.to_string(),
            node: None,
        }
    }

    /// Waits at most `timeout` for the lock.
    pub fn acquire(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        match self.client.create(&self.dir, "", CreateMode::Persistent) {
            Ok(_) | Err(Error::NodeExists) => {}
            Err(e) => return Err(e),
        }
        let node = self.client.create(
            &format!("{}/lock-", self.dir),
            "",
            CreateMode::EphemeralSequential,
        )?;
        let mine = node.rsplit('/').next().unwrap_or_default().to_string();
        self.node = Some(node);
        loop {
            // Reads are safe to repeat after ConnectionLoss (the session reconnects).
            let mut children = match self.client.get_children(&self.dir) {
                Err(Error::ConnectionLoss) => continue,
                other => other?,
            };
            children.sort(); // same prefix, so the sequence numbers sort as text
            let index = children
                .iter()
                .position(|c| *c == mine)
                .ok_or(Error::NoNode)?;
            if index == 0 {
                return Ok(());
            }
            let predecessor = format!("{}/{}", self.dir, children[index - 1]);
            let (stat, watch) = match self.client.exists_watch(&predecessor) {
                Err(Error::ConnectionLoss) => continue,
                other => other?,
            };
            if stat.is_none() {
                continue; // gone between the listing and the watch
            }
            // Wait for the predecessor to go; other events are not ours.
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    self.release()?;
                    return Err(Error::Timeout(timeout));
                }
                match self.client.next_event(left)? {
                    Some(Event::Watch(e)) if e.fired(watch) => break,
                    // Events went unread past the bound: the predecessor may be gone.
                    Some(Event::Overflow { watches, .. }) if watches.contains(&watch) => break,
                    _ => {}
                }
            }
        }
    }

    /// Releases the lock (deletes this contender's node).
    pub fn release(&mut self) -> Result<(), Error> {
        if let Some(node) = self.node.take() {
            match self.client.delete(&node, Version::Any) {
                Ok(()) | Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// `workers` threads each take the lock `rounds` times and increment a counter under
/// it; returns the final counter (workers × rounds when the lock works).
pub fn run(connect_string: &str, workers: usize, rounds: usize) -> Result<u64, Box<dyn StdError>> {
    let base = format!("/lock-demo-{}", std::process::id());
    let mut setup = Client::connect(connect_string, Options::default())?;
    setup.create(&base, "", CreateMode::Persistent)?;
    let counter = format!("{base}/counter");
    setup.create(&counter, "0", CreateMode::Persistent)?;
    let inside = Arc::new(AtomicBool::new(false));

    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let (cs, dir, counter, inside) = (
                connect_string.to_string(),
                format!("{base}/lock"),
                counter.clone(),
                inside.clone(),
            );
            thread::spawn(move || -> Result<(), Error> {
                let mut client = Client::connect(&cs, Options::default())?;
                for _ in 0..rounds {
                    let mut lock = Lock::new(&mut client, &dir);
                    lock.acquire(Duration::from_secs(20))?;
                    assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                    let (data, _) = lock.client.get_data(&counter)?;
                    let value: u64 = String::from_utf8_lossy(&data).parse().unwrap_or(0);
                    thread::sleep(Duration::from_millis(2)); // widen the race window
                    lock.client
                        .set_data(&counter, (value + 1).to_string(), Version::Any)?;
                    inside.store(false, Ordering::SeqCst);
                    lock.release()?;
                }
                println!("worker {w}: done");
                client.close();
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "a worker panicked")??;
    }
    let (data, _) = setup.get_data(&counter)?;
    let total = String::from_utf8_lossy(&data).parse()?;
    setup.close();
    Ok(total)
}

#[allow(dead_code)] // The test suite includes this file and calls `run` directly.
fn main() -> Result<(), Box<dyn StdError>> {
    let (connect_string, _server) = zk_tests::ZkServer::given_or_started(&Default::default())?;
    let total = run(&connect_string, 3, 10)?;
    println!("counter = {total} (3 workers × 10 rounds under the lock)");
    Ok(())
}
