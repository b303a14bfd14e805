//! A distributed lock on the blocking client, with zk-recipes' `Lock` (the recipe,
//! kazoo-compatible: each contender creates an ephemeral sequential node under the
//! lock's path; the lowest holds the lock, every other watches only the node just
//! before its own, so a release wakes one waiter).
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
use std::time::Duration;

use zk_blocking::{Client, CreateMode, Error, Options, Version};
use zk_recipes::Lock;
use zk_recipes::run::Blocking;

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
                let mut lock = Lock::new(&dir, format!("worker-{w}"));
                let mut driver = Blocking::new(&mut client);
                for _ in 0..rounds {
                    if !lock.acquire(&mut driver, Some(Duration::from_secs(20)))? {
                        return Err(Error::Timeout(Duration::from_secs(20)));
                    }
                    assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                    let zk = driver.client();
                    let (data, _) = zk.get_data(&counter)?;
                    let value: u64 = String::from_utf8_lossy(&data).parse().unwrap_or(0);
                    thread::sleep(Duration::from_millis(2)); // widen the race window
                    zk.set_data(&counter, (value + 1).to_string(), Version::Any)?;
                    inside.store(false, Ordering::SeqCst);
                    lock.release(&mut driver)?;
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
