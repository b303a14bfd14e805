//! Interop with Apache Curator 5.4 (Java, Debian's `libcurator-recipes-java`; see
//! `.ci/install`): our [`Lock::curator`] and Curator's `InterProcessMutex` on one path
//! exclude each other and take turns first come first served, and our
//! [`LeaderElection::curator`] and Curator's `LeaderLatch` elect one leader, the
//! lowest sequence; contending for one counter, both count exactly. Curator's side is `tests/curator/Helper.java`, compiled with javac
//! at the first test; a missing jar or JDK fails the test saying what to install.
//!
//! The helper's client writes its id as every node's data (`defaultData`), so that
//! both sides' contender lists can be compared by identifier.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{
    Curator, Held, PATIENCE, assert_disjoint, blocking, children, contend_on, counter_value,
    create_all, fresh_path, shared,
};
use zk_blocking::SharedClient;
use zk_recipes::{LeaderElection, Lock};
use zk_tests::shared_standalone;

/// How long a side that must keep waiting is watched to see it does.
const STILL_WAITING: Duration = Duration::from_millis(500);

/// Polls the children of `path` until there are `count`; returns them.
fn children_become(zk: &SharedClient, path: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = children(zk, path);
        if found.len() == count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{path} has children {found:?}, not {count}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `name` is named as Curator's protected creates name nodes under `marker`.
fn is_curator_named(name: &str, marker: &str) -> bool {
    name.strip_prefix("_c_")
        .and_then(|rest| rest.split_at_checked(36))
        .and_then(|(uuid, rest)| {
            let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
            (groups == [8, 4, 4, 4, 12]).then_some(rest)
        })
        .and_then(|rest| rest.strip_prefix(&format!("-{marker}")))
        .is_some_and(|seq| seq.len() == 10 && seq.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn curators_mutex_holds_and_our_lock_waits_until_it_releases() {
    let hosts = shared_standalone().connect_string();
    let mut zk = shared(&hosts);
    let path = fresh_path("curator-holds");
    let mut curator = Curator::start(&[&hosts, "mutex", &path, "curator"]);
    curator.ask("acquire", "held");

    let mut ours = Lock::curator(&path, "ours");
    assert!(
        !ours.acquire(&mut zk, Some(STILL_WAITING)).expect("acquire"),
        "ours must not take the lock while Curator's InterProcessMutex holds it"
    );
    assert_eq!(children(&zk, &path).len(), 1, "ours gave its place up");

    // In line behind Curator's holder: both list the same order.
    assert!(
        !ours
            .acquire_for(&mut zk, Duration::from_millis(200))
            .unwrap()
    );
    let own = ours.node_path().expect("in line");
    let own = own.rsplit('/').next().unwrap();
    assert!(is_curator_named(own, "lock-"), "{own}");
    assert_eq!(ours.contenders(&mut zk).unwrap(), ["curator", "ours"]);
    curator.send("nodes");
    let nodes = curator.line();
    let nodes: Vec<&str> = nodes.split(',').collect();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert_eq!(nodes[1], own, "Curator puts ours second");

    curator.ask("release", "released");
    assert!(ours.acquire_for(&mut zk, PATIENCE).expect("acquire"));
    ours.release(&mut zk).unwrap();
    curator.ask("quit", "bye");
    curator.assert_exits_ok();
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn our_lock_holds_and_curators_mutex_waits_until_we_release() {
    let hosts = shared_standalone().connect_string();
    let zk = shared(&hosts);
    let mut client = blocking(&hosts);
    let path = fresh_path("ours-holds");
    let guard = Lock::curator(&path, "ours")
        .lock_blocking(&mut client, Some(PATIENCE))
        .expect("locking")
        .expect("held");

    let mut curator = Curator::start(&[&hosts, "mutex", &path, "curator"]);
    curator.ask("try 300", "busy");
    curator.send("acquire");
    curator.says_nothing_for(STILL_WAITING);
    assert_eq!(children(&zk, &path).len(), 2);

    guard.release().expect("releasing");
    curator.expect_line("held");
    curator.ask("release", "released");
    curator.ask("quit", "bye");
    curator.assert_exits_ok();
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn ours_and_curators_take_turns_in_the_order_they_queued() {
    let hosts = shared_standalone().connect_string();
    let mut zk = shared(&hosts);
    let path = fresh_path("curator-fifo");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let async_client = runtime
        .block_on(zk_tokio::Client::connect(&hosts, common::options()))
        .expect("connecting zk-tokio's client");

    // In line: ours (held), Curator's first, ours on zk-tokio's client, Curator's second.
    let mut first = Lock::curator(&path, "ours-1");
    assert!(first.acquire(&mut zk, Some(PATIENCE)).unwrap());
    let mut curator_1 = Curator::start(&[&hosts, "mutex", &path, "curator-1"]);
    curator_1.send("acquire");
    children_become(&zk, &path, 2);
    curator_1.says_nothing_for(STILL_WAITING);
    let mut second = Lock::curator(&path, "ours-2");
    assert!(
        !runtime
            .block_on(second.acquire_for_async(&async_client, Duration::from_millis(100)))
            .unwrap()
    );
    children_become(&zk, &path, 3);
    let mut curator_2 = Curator::start(&[&hosts, "mutex", &path, "curator-2"]);
    curator_2.send("acquire");
    children_become(&zk, &path, 4);
    assert_eq!(
        first.contenders(&mut zk).unwrap(),
        ["ours-1", "curator-1", "ours-2", "curator-2"]
    );
    curator_1.says_nothing_for(Duration::ZERO);
    curator_2.says_nothing_for(Duration::ZERO);

    first.release(&mut zk).unwrap();
    curator_1.expect_line("held");
    assert!(
        !runtime
            .block_on(second.acquire_for_async(&async_client, STILL_WAITING))
            .unwrap(),
        "the second of ours waits while Curator's first holds"
    );
    curator_2.says_nothing_for(Duration::ZERO);

    curator_1.ask("release", "released");
    assert!(
        runtime
            .block_on(second.acquire_for_async(&async_client, PATIENCE))
            .unwrap()
    );
    curator_2.says_nothing_for(STILL_WAITING);

    runtime
        .block_on(second.release_async(&async_client))
        .unwrap();
    curator_2.expect_line("held");
    curator_2.ask("release", "released");
    for mut curator in [curator_1, curator_2] {
        curator.ask("quit", "bye");
        curator.assert_exits_ok();
    }
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn curators_leader_latch_and_our_election_elect_the_lowest_sequence() {
    let hosts = shared_standalone().connect_string();
    let mut zk = shared(&hosts);
    let path = fresh_path("curator-latch");
    let mut latch = Curator::start(&[&hosts, "latch", &path, "curator-latch"]);
    latch.ask("start", "started");
    latch.ask("await 20000", "leading");

    let mut ours = LeaderElection::curator(&path, "ours");
    assert!(
        !ours
            .run_for_leadership(&mut zk, Some(STILL_WAITING))
            .expect("running"),
        "ours must not lead while Curator's LeaderLatch leads"
    );
    let own = ours.node_path().expect("in line");
    assert!(
        is_curator_named(own.rsplit('/').next().unwrap(), "latch-"),
        "{own}"
    );
    assert_eq!(ours.contenders(&mut zk).unwrap(), ["curator-latch", "ours"]);
    latch.ask("ids", "curator-latch,ours");

    latch.ask("close", "closed");
    assert!(ours.run_for_leadership(&mut zk, Some(PATIENCE)).unwrap());
    assert!(ours.is_leader());

    // A latch that starts now waits for ours, and leads once ours resigns.
    let mut second = Curator::start(&[&hosts, "latch", &path, "curator-2"]);
    second.ask("start", "started");
    second.ask("await 300", "waiting");
    second.ask("ids", "ours,curator-2");
    ours.resign(&mut zk).unwrap();
    second.ask("await 20000", "leading");
    second.ask("close", "closed");
    for mut curator in [latch, second] {
        curator.ask("quit", "bye");
        curator.assert_exits_ok();
    }
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn our_locks_and_curators_mutex_count_exactly_on_one_counter() {
    const CURATOR_INCREMENTS: u64 = 40;
    let hosts = shared_standalone().connect_string();
    let zk = shared(&hosts);
    let base = fresh_path("curator-count");
    let (lock, counter) = (format!("{base}/lock"), format!("{base}/counter"));
    create_all(&zk, &counter, b"0");

    let mut curator = Curator::start(&[&hosts, "mutex", &lock, "curator"]);
    curator.send(&format!("count {counter} {CURATOR_INCREMENTS}"));
    let until = Instant::now() + Duration::from_secs(3);
    let ours: Vec<_> = (0..3)
        .map(|i| {
            let (mut driver, lock, counter) = (zk.clone(), lock.clone(), counter.clone());
            thread::spawn(move || {
                let name = format!("ours-{i}");
                contend_on(
                    &mut driver,
                    Lock::curator(&lock, &*name),
                    &counter,
                    &name,
                    until,
                )
            })
        })
        .collect();
    let held: Vec<Held> = ours
        .into_iter()
        .flat_map(|w| w.join().expect("our contender"))
        .collect();
    curator.expect_line(&format!("done {CURATOR_INCREMENTS}"));
    curator.ask("quit", "bye");
    curator.assert_exits_ok();
    let our_holds = assert_disjoint(held);
    assert_eq!(
        counter_value(&zk, &counter),
        our_holds + CURATOR_INCREMENTS,
        "every increment of both sides counted"
    );
    assert_eq!(children(&zk, &lock), Vec::<String>::new());
}
