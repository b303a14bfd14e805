//! A distributed lock on the [`SharedClient`]: the recipe of `lock.rs` (ephemeral
//! sequential nodes, each contender watching only the node just before its own), but
//! the holder works under the lock for longer than its session timeout without any
//! ZooKeeper call: the client's IO thread answers the pings meanwhile, so the session,
//! and with it the lock node, stays. With the blocking `Client` the session would expire
//! during the work, the node would vanish, and a second contender would enter while the
//! first still thought it held the lock.
//!
//! The lock borrows the client (`&SharedClient`), so any thread of a program can take
//! it on the program's one session; the demo gives each worker its own client, as
//! separate processes would have. Under the lock the workers increment a counter node
//! with an unchecked read-modify-write, correct only because the lock excludes the
//! others; the first holder works three session timeouts long.
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

use zk_blocking::{CreateMode, Error, Event, KeeperState, Options, SharedClient, Version};

/// A lock on `dir`, held through `client`'s session (released when the session ends,
/// as the node is ephemeral).
pub struct Lock<'a> {
    client: &'a SharedClient,
    dir: String,
    node: Option<String>,
}

impl<'a> Lock<'a> {
    /// A lock on the directory `dir` (created when missing).
    pub fn new(client: &'a SharedClient, dir: &str) -> Lock<'a> {
        Lock {
            client,
            dir: dir.to_string(),
            node: None,
        }
    }

    /// Waits at most `timeout` for the lock. Waiting is a blocked
    /// [`SharedClient::wait_watch`] on the predecessor's node: no pumping.
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
            // Reads are safe to repeat after ConnectionLoss.
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
            let left = deadline.saturating_duration_since(Instant::now());
            // Fired (or dropped for the memory bound): look again either way.
            if self.client.wait_watch(watch, left)?.is_none() {
                self.release()?;
                return Err(Error::Timeout(timeout));
            }
        }
    }

    /// Whether this contender's node is still there and still owned by this session
    /// (false once the session expired).
    pub fn still_held(&self) -> Result<bool, Error> {
        let Some(node) = &self.node else {
            return Ok(false);
        };
        Ok(self
            .client
            .exists(node)?
            .is_some_and(|stat| stat.ephemeral_owner == self.client.session_id()))
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
                        if let Event::Session(KeeperState::Expired) = event {
                            flag.store(true, Ordering::SeqCst);
                        }
                    })
                    .map_err(|e| e.to_string())?;
                let mut longest = Duration::ZERO;
                for _ in 0..rounds {
                    let mut lock = Lock::new(&client, &dir);
                    lock.acquire(long_hold + Duration::from_secs(30))
                        .map_err(|e| format!("acquire: {e}"))?;
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
                    if !work(hold, &lost) || !lock.still_held().map_err(|e| e.to_string())? {
                        return Err(format!("worker {w} lost the lock during its work"));
                    }
                    client
                        .set_data(&counter, (value + 1).to_string(), Version::Any)
                        .map_err(|e| e.to_string())?;
                    longest = longest.max(held.elapsed());
                    inside.store(false, Ordering::SeqCst);
                    lock.release().map_err(|e| e.to_string())?;
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
