//! A counter shared through a lock: N times take the lock, read the counter (ASCII
//! decimal; a missing node counts as 0), sleep 5 ms, write the value + 1, release.
//! Run several at once (or beside kazoo's `Lock` on the same path) and the counter
//! ends at the sum of their N: the lock lets one writer in at a time.
//!
//! ```sh
//! cargo run -p zk-recipes --example lock_counter -- 127.0.0.1:2181 /demo/lock /demo/counter 100
//! ```
//!
//! The counter's parent must exist; the lock's parents are created.

use std::process::ExitCode;
use std::time::Duration;

use zk_blocking::{CreateMode, Error, Options, Result, SharedClient, Version};
use zk_recipes::Lock;

/// How long the holder sleeps between reading and writing the counter.
const HOLD: Duration = Duration::from_millis(5);

/// Connects to `hosts` and increments `counter_path` under the lock at `lock_path`,
/// `n` times.
pub fn run(hosts: &str, lock_path: &str, counter_path: &str, n: u64) -> Result<()> {
    let zk = SharedClient::connect(hosts, Options::new())?;
    let identifier = format!("lock_counter-{}", std::process::id());
    let mut lock = Lock::new(lock_path, identifier);
    let mut driver = zk.clone();
    for _ in 0..n {
        if !lock.acquire(&mut driver, None)? {
            return Err(Error::InvalidArgument("the lock was not acquired".into()));
        }
        let written = increment(&zk, counter_path);
        lock.release(&mut driver)?;
        written?;
    }
    zk.close();
    Ok(())
}

/// Read, sleep, write value + 1 (creating the node at 1 when it is missing).
fn increment(zk: &SharedClient, counter_path: &str) -> Result<()> {
    let (value, version) = match zk.get_data(counter_path) {
        Ok((data, stat)) => (parse(&data)?, Some(stat.version)),
        Err(Error::NoNode { .. }) => (0, None),
        Err(e) => return Err(e),
    };
    std::thread::sleep(HOLD);
    let next = (value + 1).to_string();
    match version {
        Some(version) => zk
            .set_data(counter_path, next, Version::Exact(version))
            .map(drop),
        None => zk
            .create(counter_path, next, CreateMode::Persistent)
            .map(drop),
    }
}

fn parse(data: &[u8]) -> Result<u64> {
    std::str::from_utf8(data)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| Error::InvalidArgument(format!("the counter holds {data:?}")))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [hosts, lock_path, counter_path, n] = args.as_slice() else {
        eprintln!("usage: lock_counter HOSTS LOCK_PATH COUNTER_PATH N");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<u64>() else {
        eprintln!("lock_counter: N must be a whole number, not {n:?}");
        return ExitCode::from(2);
    };
    match run(hosts, lock_path, counter_path, n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lock_counter: {e}");
            ExitCode::FAILURE
        }
    }
}
