//! A distributed lock on the [`SharedClient`], with zk-recipes' `Lock` (ephemeral
//! sequential nodes, each contender watching only the node just before its own), but
//! the holder works under the lock for longer than its session timeout without any
//! ZooKeeper call: the client's IO thread answers the pings meanwhile, so the session,
//! and with it the lock node, stays. With the blocking `Client` the session would expire
//! during the work, the node would vanish, and a second contender would enter while the
//! first still thought it held the lock.
//!
//! Any thread of a program can take a lock on the program's one session (each with
//! a clone of the client); the demo gives each worker its own client, as
//! separate processes would have. Under the lock the workers increment a counter node
//! with an unchecked read-modify-write, correct only because the lock excludes the
//! others; the first holder works 6 s, three times the 2 s session it asks for and
//! longer than the 4 s a server grants at least (twice its tick, by default).
//!
//! ```sh
//! cargo run -p zk-blocking --example lock_shared                    # starts a local server
//! cargo run -p zk-blocking --example lock_shared -- 127.0.0.1:2181  # your server
//! ```

use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use zk_blocking::{CreateMode, Event, KeeperState, Options, SharedClient, Version};
use zk_recipes::Lock;

/// Work under the lock: `duration` of computing in slices, no ZooKeeper call; stops
/// early (false) when `lost` is set.
fn work(duration: Duration, lost: &AtomicBool) -> bool {
    let started = Instant::now();
    let mut x = 1u64;
    while started.elapsed() < duration {
        if lost.load(Ordering::SeqCst) {
            return false;
        }
        for i in 0..20_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i | 1);
        }
        std::hint::black_box(x);
        thread::sleep(Duration::from_millis(2).min(duration));
    }
    true
}

/// Whether `lock`'s node is still there and owned by `client`'s session (false once
/// the session expired).
fn still_held(client: &SharedClient, lock: &Lock) -> Result<bool, String> {
    let Some(node) = lock.node_path() else {
        return Ok(false);
    };
    let stat = client.exists(&node).map_err(|e| e.to_string())?;
    Ok(stat.is_some_and(|s| s.ephemeral_owner == client.session_id()))
}

/// What the demo saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The counter at the end (workers × rounds when the lock works).
    pub counter: u64,
    /// How long the longest hold lasted.
    pub longest_hold: Duration,
    /// The session timeout the server granted the workers.
    pub session_timeout: Duration,
}

/// `workers` threads, each with its own shared client on `session_timeout` sessions,
/// take the lock `rounds` times each and increment a counter under it. The first
/// holder works `long_hold` under the lock, the others a few milliseconds. Fails if a
/// holder's lock node was gone after its work, or two held the lock at once.
pub fn run(
    connect_string: &str,
    workers: usize,
    rounds: usize,
    session_timeout: Duration,
    long_hold: Duration,
) -> Result<Outcome, Box<dyn StdError>> {
    let base = format!("/lock-shared-demo-{}", std::process::id());
    let setup = SharedClient::connect(connect_string, Options::default())?;
    setup.create(&base, "", CreateMode::Persistent)?;
    let counter = format!("{base}/counter");
    setup.create(&counter, "0", CreateMode::Persistent)?;
    let inside = Arc::new(AtomicBool::new(false));
    let first = Arc::new(AtomicBool::new(true));
    let options = Options::default().session_timeout(session_timeout);

    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let (cs, dir, counter, inside, first, options) = (
                connect_string.to_string(),
                format!("{base}/lock"),
                counter.clone(),
                inside.clone(),
                first.clone(),
                options.clone(),
            );
            thread::spawn(move || -> Result<(Duration, Duration), String> {
                let client = SharedClient::connect(&cs, options).map_err(|e| e.to_string())?;
                // The event thread flags the end of the session: whoever holds the
                // lock then must stop, as the lock went with the session.
                let lost = Arc::new(AtomicBool::new(false));
                let flag = lost.clone();
                client
                    .on_event(move |event| {
                        if let Event::Session {
                            state: KeeperState::Expired,
                            ..
                        } = event
                        {
                            flag.store(true, Ordering::SeqCst);
                        }
                    })
                    .map_err(|e| e.to_string())?;
                let mut longest = Duration::ZERO;
                let mut lock = Lock::new(&dir, format!("worker-{w}"));
                let mut driver = client.clone();
                for _ in 0..rounds {
                    let acquired = lock
                        .acquire(&mut driver, Some(long_hold + Duration::from_secs(30)))
                        .map_err(|e| format!("acquire: {e}"))?;
                    if !acquired {
                        return Err(format!("worker {w} waited too long for the lock"));
                    }
                    if inside.swap(true, Ordering::SeqCst) {
                        return Err("two holders at once".into());
                    }
                    let held = Instant::now();
                    let (data, _) = client.get_data(&counter).map_err(|e| e.to_string())?;
                    let value: u64 = String::from_utf8_lossy(&data).parse().unwrap_or(0);
                    let hold = if first.swap(false, Ordering::SeqCst) {
                        println!("worker {w} holds the lock: working {long_hold:?}, no calls");
                        long_hold
                    } else {
                        Duration::from_millis(2) // widen the race window
                    };
                    if !work(hold, &lost) || !still_held(&client, &lock)? {
                        return Err(format!("worker {w} lost the lock during its work"));
                    }
                    client
                        .set_data(&counter, (value + 1).to_string(), Version::Any)
                        .map_err(|e| e.to_string())?;
                    longest = longest.max(held.elapsed());
                    inside.store(false, Ordering::SeqCst);
                    lock.release(&mut driver).map_err(|e| e.to_string())?;
                }
                let timeout = client.negotiated_timeout().unwrap_or_default();
                println!("worker {w}: done (session {:#x})", client.session_id());
                client.close();
                Ok((longest, timeout))
            })
        })
        .collect();
    let mut longest_hold = Duration::ZERO;
    let mut granted = Duration::ZERO;
    for h in handles {
        let (longest, timeout) = h.join().map_err(|_| "a worker panicked")??;
        longest_hold = longest_hold.max(longest);
        granted = granted.max(timeout);
    }
    let (data, _) = setup.get_data(&counter)?;
    let total = String::from_utf8_lossy(&data).parse()?;
    setup.delete(&counter, Version::Any)?;
    let _ = setup.delete(&format!("{base}/lock"), Version::Any);
    setup.delete(&base, Version::Any)?;
    setup.close();
    Ok(Outcome {
        counter: total,
        longest_hold,
        session_timeout: granted,
    })
}

#[allow(dead_code)] // The test suite includes this file and calls `run` directly.
fn main() -> Result<(), Box<dyn StdError>> {
    let (connect_string, _server) =
        zk_tests::ZkServer::given_or_started(&zk_tests::ServerOptions::short_tick())?;
    let session_timeout = Duration::from_secs(2);
    let outcome = run(&connect_string, 3, 10, session_timeout, session_timeout * 3)?;
    println!(
        "counter = {} (3 workers × 10 rounds under the lock); the longest hold lasted {:.1} s \
         on {:.1} s sessions",
        outcome.counter,
        outcome.longest_hold.as_secs_f64(),
        outcome.session_timeout.as_secs_f64()
    );
    Ok(())
}
