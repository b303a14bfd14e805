//! The lock and the election on real ZooKeeper servers, through every driver: five
//! contenders increment one counter under one lock (read, sleep, write) for a bounded
//! time, and the count is exact and no two holds overlap; the same while a fault proxy
//! cuts the connections and while the ensemble member the clients are on is killed;
//! timeouts, `try_acquire`, missing parents and the election's order and hand-over.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    HOLD, Held, PATIENCE, assert_disjoint, blocking, children, contend, counter_value, create_all,
    fresh_path, parse_counter, shared,
};
use zk_blocking::{SharedClient, Version};
use zk_recipes::run::Blocking;
use zk_recipes::{LeaderElection, Lock};
use zk_tests::proxy::FaultProxy;
use zk_tests::{Ensemble, ServerOptions, shared_standalone};

/// How long the contenders of one scenario keep taking turns (the fault scenarios and
/// the other drivers; each test stays under about 8 s).
const RUN_FOR: Duration = Duration::from_secs(5);

/// How long five clients, each with its own session as separate processes would have,
/// contend in the long run (the 30 s).
const SOAK: Duration = Duration::from_secs(30);

/// How many contenders take turns.
const CONTENDERS: usize = 5;

/// A lock path and a counter node (holding "0") beside it.
fn lock_and_counter(zk: &SharedClient, what: &str) -> (String, String) {
    let base = fresh_path(what);
    let counter = format!("{base}/counter");
    create_all(zk, &counter, b"0");
    (format!("{base}/lock"), counter)
}

/// Asserts the outcome of a contention run: every hold disjoint, the counter counted
/// each one, and the lock's dir is empty again.
fn assert_exact(zk: &SharedClient, lock: &str, counter: &str, held: Vec<Held>) -> u64 {
    let holds = assert_disjoint(held);
    assert!(holds >= CONTENDERS as u64, "every contender took a turn");
    assert_eq!(counter_value(zk, counter), holds, "one increment per hold");
    assert_eq!(
        children(zk, lock),
        Vec::<String>::new(),
        "no contender left"
    );
    eprintln!("{holds} holds of {lock}");
    holds
}

#[test]
fn five_blocking_clients_take_turns_for_thirty_seconds_and_count_exactly() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let (lock, counter) = lock_and_counter(&zk, "blocking");
    let until = Instant::now() + SOAK;
    let workers: Vec<_> = (0..CONTENDERS)
        .map(|i| {
            let (server, lock, counter) = (server.clone(), lock.clone(), counter.clone());
            thread::spawn(move || {
                let mut client = blocking(&server);
                let mut driver = Blocking::new(&mut client);
                contend(
                    &mut driver,
                    &lock,
                    &counter,
                    &format!("blocking-{i}"),
                    until,
                )
            })
        })
        .collect();
    let held: Vec<Held> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a contender"))
        .collect();
    assert_exact(&zk, &lock, &counter, held);
}

#[test]
fn five_threads_on_one_shared_client_take_turns_and_count_exactly() {
    let zk = shared(&shared_standalone().connect_string());
    let (lock, counter) = lock_and_counter(&zk, "shared");
    let until = Instant::now() + RUN_FOR;
    let workers: Vec<_> = (0..CONTENDERS)
        .map(|i| {
            let (mut driver, lock, counter) = (zk.clone(), lock.clone(), counter.clone());
            thread::spawn(move || {
                contend(&mut driver, &lock, &counter, &format!("shared-{i}"), until)
            })
        })
        .collect();
    let held: Vec<Held> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a contender"))
        .collect();
    assert_exact(&zk, &lock, &counter, held);
}

/// The tokio contender's loop: acquire, read, sleep, write, release, until `until`.
async fn contend_async(
    client: zk_tokio::Client,
    lock_path: String,
    counter: String,
    identifier: String,
    until: Instant,
) -> Vec<Held> {
    let mut lock = Lock::new(&lock_path, identifier.as_str());
    let mut held = Vec::new();
    while Instant::now() < until {
        let acquired = tokio::time::timeout(PATIENCE, lock.acquire_async(&client))
            .await
            .unwrap_or_else(|_| panic!("{identifier} acquired within {PATIENCE:?}"))
            .unwrap_or_else(|e| panic!("{identifier} acquiring: {e}"));
        assert!(acquired, "{identifier} acquired");
        let start = Instant::now();
        let (data, stat) = client
            .get_data(&counter)
            .await
            .expect("reading the counter");
        tokio::time::sleep(HOLD).await;
        let next = (parse_counter(&data) + 1).to_string();
        client
            .set_data(&counter, next, Version::Exact(stat.version))
            .await
            .expect("writing the counter");
        let end = Instant::now();
        lock.release_async(&client)
            .await
            .unwrap_or_else(|e| panic!("{identifier} releasing: {e}"));
        held.push((start, end));
    }
    held
}

#[test]
fn five_tokio_tasks_take_turns_and_count_exactly() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let (lock, counter) = lock_and_counter(&zk, "tokio");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let held: Vec<Held> = runtime.block_on(async {
        let client = zk_tokio::Client::connect(&server, common::options())
            .await
            .expect("connecting zk-tokio");
        let until = Instant::now() + RUN_FOR;
        let tasks: Vec<_> = (0..CONTENDERS)
            .map(|i| {
                tokio::spawn(contend_async(
                    client.clone(),
                    lock.clone(),
                    counter.clone(),
                    format!("tokio-{i}"),
                    until,
                ))
            })
            .collect();
        let mut held = Vec::new();
        for task in tasks {
            held.extend(task.await.expect("a contender task"));
        }
        client.close().await;
        held
    });
    assert_exact(&zk, &lock, &counter, held);
}

/// A small xorshift, seeded from the clock (printed, to replay a failure's timing).
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        eprintln!("jitter seed {seed}");
        Jitter(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn the_shared_client_keeps_exclusion_while_the_proxy_cuts_its_connections() {
    let direct = shared(&shared_standalone().connect_string());
    let proxy = Arc::new(FaultProxy::start(shared_standalone().address()).expect("a proxy"));
    let zk = shared(&proxy.connect_string());
    let (lock, counter) = lock_and_counter(&direct, "faults");
    let until = Instant::now() + RUN_FOR;

    let stop = Arc::new(AtomicBool::new(false));
    let cutter = {
        let (proxy, stop) = (proxy.clone(), stop.clone());
        thread::spawn(move || {
            let mut jitter = Jitter::new();
            let mut cuts = 0u32;
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(150 + jitter.next() % 350));
                if jitter.next() % 2 == 0 {
                    proxy.close_all();
                } else {
                    proxy.reset_all();
                }
                cuts += 1;
            }
            cuts
        })
    };
    let workers: Vec<_> = (0..CONTENDERS)
        .map(|i| {
            let (mut driver, lock, counter) = (zk.clone(), lock.clone(), counter.clone());
            thread::spawn(move || contend(&mut driver, &lock, &counter, &format!("cut-{i}"), until))
        })
        .collect();
    let held: Vec<Held> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a contender"))
        .collect();
    stop.store(true, Ordering::Relaxed);
    let cuts = cutter.join().expect("the cutter");
    eprintln!("{cuts} cuts, {} connections accepted", proxy.accepted());
    assert!(cuts >= 5, "the proxy cut the connections ({cuts} times)");
    assert!(proxy.accepted() >= 3, "the client reconnected after cuts");
    assert_exact(&direct, &lock, &counter, held);
}

/// The `myid` of the running member that holds a connection of `session_id`.
fn member_holding(ensemble: &Ensemble, session_id: i64) -> Option<u32> {
    let needle = format!("sid=0x{session_id:x},");
    ensemble
        .members()
        .iter()
        .filter(|m| m.is_running())
        .find(|m| m.four_letter("cons").is_ok_and(|c| c.contains(&needle)))
        .and_then(|m| m.myid())
}

#[test]
fn the_count_stays_exact_when_the_member_the_clients_are_on_is_killed() {
    let mut ensemble = Ensemble::start(3, &ServerOptions::default()).expect("an ensemble");
    let zk = shared(&ensemble.connect_string());
    let (lock, counter) = lock_and_counter(&zk, "ensemble");
    let until = Instant::now() + RUN_FOR + Duration::from_secs(3);
    let workers: Vec<_> = (0..CONTENDERS)
        .map(|i| {
            let (mut driver, lock, counter) = (zk.clone(), lock.clone(), counter.clone());
            thread::spawn(move || {
                contend(&mut driver, &lock, &counter, &format!("member-{i}"), until)
            })
        })
        .collect();
    thread::sleep(Duration::from_secs(2));
    let on = member_holding(&ensemble, zk.session_id()).expect("the member the client is on");
    ensemble.member_mut(on).kill().expect("killing the member");
    let killed_at = Instant::now();
    eprintln!("killed server.{on} (leader: {:?})", ensemble.leader());
    let held: Vec<Held> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a contender"))
        .collect();
    assert!(
        held.iter().any(|(start, _)| *start > killed_at),
        "the lock was taken again after the member died"
    );
    assert_ne!(member_holding(&ensemble, zk.session_id()), Some(on));
    assert_exact(&zk, &lock, &counter, held);
}

#[test]
fn an_acquire_timing_out_behind_a_holder_returns_false_and_leaves_no_node() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("timeout");
    let mut holder = Lock::new(&path, "holder");
    assert!(holder.acquire(&mut zk, None).expect("the holder"));
    let holder_node = holder.node_path().expect("the holder's node");
    let only_holder = vec![holder_node.rsplit('/').next().unwrap().to_string()];

    let mut waiter = Lock::new(&path, "waiter");
    let started = Instant::now();
    assert!(
        !waiter
            .acquire(&mut zk.clone(), Some(Duration::from_millis(300)))
            .expect("a shared acquire")
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        children(&zk, &path),
        only_holder,
        "the shared waiter's node is gone"
    );

    let mut client = blocking(&server);
    let mut driver = Blocking::new(&mut client);
    assert!(
        !waiter
            .acquire(&mut driver, Some(Duration::from_millis(300)))
            .expect("a blocking acquire")
    );
    assert_eq!(
        children(&zk, &path),
        only_holder,
        "the blocking waiter's node is gone"
    );
    assert!(!waiter.is_held() && waiter.node_path().is_none());
    holder.release(&mut zk).expect("releasing");
}

#[test]
fn a_zero_timeout_on_the_blocking_client_returns_false_at_once_and_leaves_no_node() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("zero-timeout");
    let mut holder = Lock::new(&path, "holder");
    assert!(holder.acquire(&mut zk, None).expect("the holder"));

    // The create is still out when the deadline passes: its reply must still reach
    // the machine, or the cancel waits for it forever.
    let (done, outcome) = channel();
    let waiter_path = path.clone();
    thread::spawn(move || {
        let mut client = blocking(&server);
        let mut waiter = Lock::new(&waiter_path, "waiter");
        let acquired = waiter.acquire(&mut Blocking::new(&mut client), Some(Duration::ZERO));
        let _ = done.send(acquired.map(|a| (a, waiter.node_path())));
    });
    let (acquired, node) = outcome
        .recv_timeout(PATIENCE)
        .expect("the acquire returned")
        .expect("no error");
    assert!(!acquired);
    assert_eq!(node, None);
    assert_eq!(children(&zk, &path).len(), 1, "only the holder's node");
    holder.release(&mut zk).expect("releasing");
}

#[test]
fn try_acquire_returns_false_while_the_lock_is_held_and_true_once_released() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("try");
    let mut holder = Lock::new(&path, "holder");
    assert!(holder.try_acquire(&mut zk).expect("a free lock"));

    let mut other = Lock::new(&path, "other");
    assert!(!other.try_acquire(&mut zk.clone()).expect("shared try"));
    let mut client = blocking(&server);
    assert!(
        !other
            .try_acquire(&mut Blocking::new(&mut client))
            .expect("blocking try")
    );
    assert_eq!(children(&zk, &path).len(), 1, "only the holder's node");

    holder.release(&mut zk).expect("releasing");
    assert!(other.try_acquire(&mut zk).expect("free again"));
    other.release(&mut zk).expect("releasing");
}

#[test]
fn a_lock_whose_parent_path_does_not_exist_creates_it_and_works() {
    let mut zk = shared(&shared_standalone().connect_string());
    let path = format!("{}/deep/er/lock", fresh_path("parents"));
    assert!(zk.exists(&path).expect("exists").is_none());
    let mut lock = Lock::new(&path, "first");
    assert!(lock.acquire(&mut zk, Some(PATIENCE)).expect("acquiring"));
    assert_eq!(children(&zk, &path).len(), 1);
    let mut other = Lock::new(&path, "second");
    assert!(!other.try_acquire(&mut zk.clone()).expect("held"));
    lock.release(&mut zk).expect("releasing");
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn three_candidates_are_listed_leader_first_and_resigning_hands_over() {
    let zk = shared(&shared_standalone().connect_string());
    let path = fresh_path("election");
    let mut first = LeaderElection::new(&path, "candidate-1");
    assert!(
        first
            .run_for_leadership(&mut zk.clone(), Some(PATIENCE))
            .expect("the first candidate")
    );
    assert!(first.is_leader());

    let run = |name: &'static str| {
        let (mut driver, path) = (zk.clone(), path.clone());
        thread::spawn(move || {
            let mut candidate = LeaderElection::new(&path, name);
            let elected = candidate
                .run_for_leadership(&mut driver, Some(PATIENCE))
                .expect("running");
            (candidate, elected)
        })
    };
    let listed = |n: usize| {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = first.contenders(&mut zk.clone()).expect("contenders");
            if found.len() == n {
                return found;
            }
            assert!(Instant::now() < deadline, "{n} candidates, saw {found:?}");
            thread::sleep(Duration::from_millis(20));
        }
    };
    let second = run("candidate-2");
    listed(2);
    let third = run("candidate-3");
    assert_eq!(listed(3), ["candidate-1", "candidate-2", "candidate-3"]);

    first.resign(&mut zk.clone()).expect("resigning");
    assert!(!first.is_leader());
    let (mut second, elected) = second.join().expect("the second candidate");
    assert!(elected && second.is_leader(), "the next in line leads");
    assert_eq!(
        second.contenders(&mut zk.clone()).expect("contenders"),
        ["candidate-2", "candidate-3"]
    );

    second.resign(&mut zk.clone()).expect("resigning");
    let (mut third, elected) = third.join().expect("the third candidate");
    assert!(elected && third.is_leader());
    assert_eq!(
        third.contenders(&mut zk.clone()).expect("contenders"),
        ["candidate-3"]
    );
    third.resign(&mut zk.clone()).expect("resigning");
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn the_blocking_driver_takes_each_next_step_at_once_after_a_reply() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("blocking-pace");
    let mut client = blocking(&server);
    let mut driver = Blocking::new(&mut client);
    let mut lock = Lock::new(&path, "alone");
    // Three round trips a cycle (create, list, delete) on loopback: milliseconds. A
    // driver that waits out its 100 ms poll slice after each reply takes 300 ms.
    let cycles = 10;
    let started = Instant::now();
    for _ in 0..cycles {
        assert!(
            lock.acquire(&mut driver, Some(PATIENCE))
                .expect("acquiring")
        );
        lock.release(&mut driver).expect("releasing");
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "{cycles} uncontended cycles took {took:?}"
    );
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}
