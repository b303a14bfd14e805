//! A leader (and a lock's holder) learns on a real server, on every client, that it
//! may no longer lead: its node deleted by someone else, its session expired, its
//! connection cut (uncertain, then leading again after the reconnect).

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, blocking, cut_off, end_session, expire, fresh_path, shared};
use zk_blocking::{Error, SharedClient, Version};
use zk_recipes::run::Blocking;
use zk_recipes::{Hold, LeaderElection, Leadership, Lock, LostReason, tree};
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::shared_standalone;

/// The reason a leader's [`Leadership::Lost`] carries when `node` was deleted.
fn deleted(node: &str) -> LostReason {
    LostReason::NodeDeleted {
        path: node.to_string(),
    }
}

/// Elects `name` at `path` on `zk`.
fn elected(zk: &SharedClient, path: &str, name: &str) -> LeaderElection {
    let mut candidate = LeaderElection::new(path, name);
    assert!(
        candidate
            .run_for_leadership(&mut zk.clone(), Some(PATIENCE))
            .unwrap()
    );
    assert_eq!(candidate.leadership(), Leadership::Leading);
    candidate
}

#[test]
fn a_leader_whose_node_is_deleted_learns_it_lost_leadership() {
    let path = fresh_path("deleted-leader");
    let cs = shared_standalone().connect_string();
    let (zk, operator) = (shared(&cs), shared(&cs));
    let mut leader = elected(&zk, &path, "leader");
    let mut driver = zk.clone();
    let quiet = leader.wait_leadership_change(&mut driver, Some(Duration::from_millis(200)));
    assert_eq!(quiet.unwrap(), None, "nothing changed: its time ran out");

    let node = leader.node_path().expect("in the election");
    operator.delete(&node, Version::Any).unwrap();
    let told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    assert_eq!(told.unwrap(), Some(Leadership::Lost(deleted(&node))));
    assert!(!leader.is_leader());

    // Running again stands anew, with a new node.
    assert!(
        leader
            .run_for_leadership(&mut driver, Some(PATIENCE))
            .unwrap()
    );
    assert_ne!(leader.node_path(), Some(node));
    assert_eq!(leader.leadership(), Leadership::Leading);
    leader.resign(&mut driver).unwrap();
    assert_eq!(leader.leadership(), Leadership::NotLeading);
}

#[test]
fn a_leader_whose_node_is_deleted_is_told_so_and_to_run_again_not_to_create_the_node() {
    let path = fresh_path("deleted-leader-words");
    let cs = shared_standalone().connect_string();
    let (zk, operator) = (shared(&cs), shared(&cs));
    let mut leader = elected(&zk, &path, "leader");
    let node = leader.node_path().expect("in the election");
    operator.delete(&node, Version::Any).unwrap();
    let told = leader.wait_leadership_change(&mut zk.clone(), Some(PATIENCE));
    let Some(Leadership::Lost(why)) = told.unwrap() else {
        panic!("the leader lost its leadership");
    };
    let printed = format!("no longer leading: {why}");
    println!("{printed}");
    assert!(printed.contains(&node), "names the node: {printed}");
    assert!(
        printed.contains("deleted by another session"),
        "says what happened: {printed}"
    );
    assert!(
        printed.contains("run for leadership, again"),
        "says the way back: {printed}"
    );
    assert!(
        !printed.contains("create it"),
        "no advice for a caller's missing node: {printed}"
    );
}

#[test]
fn a_leader_whose_election_is_deleted_with_delete_all_learns_it_without_waiting() {
    let path = fresh_path("deleteall-leader");
    let cs = shared_standalone().connect_string();
    let (zk, operator) = (shared(&cs), shared(&cs));
    let mut leader = elected(&zk, &path, "leader");
    let mut driver = zk.clone();
    assert_eq!(
        leader.check_leadership(&mut driver).unwrap(),
        Leadership::Leading
    );
    tree::delete_all(&mut operator.clone(), &path).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match leader.check_leadership(&mut driver).unwrap() {
            Leadership::Lost(LostReason::NodeDeleted { .. }) => break,
            Leadership::Leading => {}
            other => panic!("the leader is told its node is gone, not {other:?}"),
        }
        assert!(Instant::now() < deadline, "told within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_leader_whose_session_expires_learns_it_lost_leadership() {
    let path = fresh_path("expired-leader");
    let cs = shared_standalone().connect_string();
    let zk = shared(&cs);
    let mut leader = elected(&zk, &path, "leader");
    let mut driver = zk.clone();
    assert_eq!(
        leader.check_leadership(&mut driver).unwrap(),
        Leadership::Leading
    );
    expire(&zk);
    let mut told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    if told == Ok(Some(Leadership::Uncertain)) {
        // The server dropped the connection first; the reconnect hears the expiry.
        told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    }
    assert_eq!(
        told.unwrap(),
        Some(Leadership::Lost(Error::SessionExpired.into()))
    );
    assert!(!leader.is_leader());
}

#[test]
fn a_leader_cut_off_from_the_server_is_uncertain_then_leads_again_after_reconnecting() {
    let path = fresh_path("cut-off-leader");
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let zk = shared(&proxy.connect_string());
    let mut leader = elected(&zk, &path, "leader");
    let mut driver = zk.clone();
    assert_eq!(
        leader.check_leadership(&mut driver).unwrap(),
        Leadership::Leading
    );

    cut_off(&proxy);
    let told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    assert_eq!(told.unwrap(), Some(Leadership::Uncertain));
    assert!(!leader.is_leader(), "uncertain is not leading");

    proxy.set_on_accept(OnAccept::Forward);
    let told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    assert_eq!(
        told.unwrap(),
        Some(Leadership::Leading),
        "the session survived"
    );
    leader.resign(&mut driver).unwrap();
}

#[test]
fn a_leader_on_the_blocking_client_learns_its_node_was_deleted_and_its_connection_cut() {
    let path = fresh_path("blocking-leader");
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let operator = shared(&shared_standalone().connect_string());
    let mut zk = blocking(&proxy.connect_string());
    let mut leader = LeaderElection::new(&path, "leader");
    let mut driver = Blocking::new(&mut zk);
    assert!(
        leader
            .run_for_leadership(&mut driver, Some(PATIENCE))
            .unwrap()
    );

    cut_off(&proxy);
    let told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    assert_eq!(told.unwrap(), Some(Leadership::Uncertain));
    proxy.set_on_accept(OnAccept::Forward);
    let told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    assert_eq!(told.unwrap(), Some(Leadership::Leading));

    let node = leader.node_path().expect("in the election");
    operator.delete(&node, Version::Any).unwrap();
    let told = leader.wait_leadership_change(&mut driver, Some(PATIENCE));
    assert_eq!(told.unwrap(), Some(Leadership::Lost(deleted(&node))));
}

#[tokio::test]
async fn an_async_leader_learns_of_a_cut_connection_a_reconnect_and_its_deleted_node() {
    let path = fresh_path("async-leader");
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let zk = zk_tokio::Client::connect(&proxy.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    let operator = zk_tokio::Client::connect(
        &shared_standalone().connect_string(),
        zk_tokio::Options::new(),
    )
    .await
    .unwrap();
    let mut leader = LeaderElection::new(&path, "leader");
    assert!(
        leader
            .run_for_leadership_async(&zk, Some(PATIENCE))
            .await
            .unwrap()
    );
    assert_eq!(
        leader.check_leadership_async(&zk).await.unwrap(),
        Leadership::Leading
    );
    // A wait given up (dropped) loses nothing.
    let quiet = tokio::time::timeout(
        Duration::from_millis(200),
        leader.leadership_changed_async(&zk),
    )
    .await;
    assert!(quiet.is_err(), "nothing changed: {quiet:?}");

    cut_off(&proxy);
    let told = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk)).await;
    assert_eq!(told.expect("in time").unwrap(), Leadership::Uncertain);
    proxy.set_on_accept(OnAccept::Forward);
    let told = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk)).await;
    assert_eq!(told.expect("in time").unwrap(), Leadership::Leading);

    let node = leader.node_path().expect("in the election");
    operator.delete(&node, Version::Any).await.unwrap();
    let told = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk)).await;
    assert_eq!(
        told.expect("in time").unwrap(),
        Leadership::Lost(deleted(&node))
    );
    zk.close().await;
    operator.close().await;
}

#[tokio::test]
async fn an_async_leader_whose_session_expires_learns_it_lost_leadership() {
    let path = fresh_path("async-expired-leader");
    let cs = shared_standalone().connect_string();
    let zk = zk_tokio::Client::connect(&cs, zk_tokio::Options::new())
        .await
        .unwrap();
    let mut leader = LeaderElection::new(&path, "leader");
    assert!(leader.run_for_leadership_async(&zk, None).await.unwrap());
    let credentials = zk.credentials().unwrap();
    tokio::task::spawn_blocking(move || end_session(credentials))
        .await
        .unwrap();
    let mut told = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk)).await;
    if matches!(told, Ok(Ok(Leadership::Uncertain))) {
        // The server dropped the connection first; the reconnect hears the expiry.
        told = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk)).await;
    }
    assert_eq!(
        told.expect("in time").unwrap(),
        Leadership::Lost(Error::SessionExpired.into())
    );
}

#[test]
fn a_lock_guard_cut_off_from_the_server_is_uncertain_not_lost_and_held_again_after() {
    let path = fresh_path("cut-off-guard");
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let zk = shared(&proxy.connect_string());
    let mut guard = Lock::new(&path, "holder")
        .lock(&zk, None)
        .unwrap()
        .expect("free");
    assert_eq!(guard.hold().unwrap(), Hold::Held);
    assert!(!guard.is_uncertain());

    cut_off(&proxy);
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(Hold::Uncertain)
    );
    assert!(guard.is_uncertain());
    assert!(!guard.is_lost(), "the session may live on");

    proxy.set_on_accept(OnAccept::Forward);
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(Hold::Held)
    );
    assert!(!guard.is_uncertain());
    guard.release().unwrap();
}

#[test]
fn a_plain_lock_whose_node_is_deleted_says_the_hold_is_lost_as_a_guard_does() {
    let path = fresh_path("deleted-plain-lock");
    let cs = shared_standalone().connect_string();
    let (zk, operator) = (shared(&cs), shared(&cs));
    let mut driver = zk.clone();
    let mut lock = Lock::new(&path, "holder");
    assert_eq!(lock.hold(&mut driver).unwrap(), None, "not held yet");
    assert!(lock.acquire(&mut driver, None).unwrap());
    assert_eq!(lock.hold(&mut driver).unwrap(), Some(Hold::Held));
    let quiet = lock.wait_hold_change(&mut driver, Some(Duration::from_millis(200)));
    assert_eq!(quiet.unwrap(), None, "nothing changed: its time ran out");

    let node = lock.node_path().expect("held");
    operator.delete(&node, Version::Any).unwrap();
    assert_eq!(
        lock.wait_hold_change(&mut driver, Some(PATIENCE)).unwrap(),
        Some(Hold::Lost(deleted(&node)))
    );
    assert_eq!(
        lock.hold(&mut driver).unwrap(),
        Some(Hold::Lost(deleted(&node)))
    );
    // Acquiring again contends anew, and the hold is watched afresh.
    assert!(lock.acquire(&mut driver, Some(PATIENCE)).unwrap());
    assert_ne!(lock.node_path(), Some(node));
    assert_eq!(lock.hold(&mut driver).unwrap(), Some(Hold::Held));
    lock.release(&mut driver).unwrap();
    assert_eq!(lock.hold(&mut driver).unwrap(), None, "released");
}

#[test]
fn a_lock_guard_whose_node_is_deleted_says_the_hold_is_lost() {
    let path = fresh_path("deleted-guard");
    let cs = shared_standalone().connect_string();
    let (zk, operator) = (shared(&cs), shared(&cs));
    let mut guard = Lock::new(&path, "holder")
        .lock(&zk, None)
        .unwrap()
        .expect("free");
    assert_eq!(guard.hold().unwrap(), Hold::Held);
    let node = common::children(&operator, &path).remove(0);
    let node = format!("{path}/{node}");
    operator.delete(&node, Version::Any).unwrap();
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(Hold::Lost(deleted(&node)))
    );
    assert!(!guard.is_lost(), "is_lost still means: the session ended");
    // Another contender takes the lock meanwhile; dropping the guard harms nobody.
    let mut next = Lock::new(&path, "next");
    assert!(next.acquire(&mut operator.clone(), Some(PATIENCE)).unwrap());
    drop(guard);
    assert!(
        next.try_acquire(&mut operator.clone()).unwrap(),
        "still held"
    );
    next.release(&mut operator.clone()).unwrap();
}

#[test]
fn a_blocking_lock_guard_learns_its_session_expired_through_its_hold() {
    let path = fresh_path("blocking-guard-hold");
    let cs = shared_standalone().connect_string();
    let mut zk = blocking(&cs);
    let credentials = zk.credentials().unwrap();
    let mut guard = Lock::new(&path, "holder")
        .lock_blocking(&mut zk, None)
        .unwrap()
        .expect("free");
    assert_eq!(guard.hold().unwrap(), Hold::Held);
    end_session(credentials);
    let mut told = guard.wait_hold_change(Some(PATIENCE));
    if told == Ok(Some(Hold::Uncertain)) {
        // The server dropped the connection first; the reconnect hears the expiry.
        told = guard.wait_hold_change(Some(PATIENCE));
    }
    assert_eq!(
        told.unwrap(),
        Some(Hold::Lost(Error::SessionExpired.into()))
    );
    assert!(guard.is_lost());
}

#[tokio::test]
async fn an_async_lock_guard_is_uncertain_while_cut_off_and_held_after_the_reconnect() {
    let path = fresh_path("async-guard-hold");
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let zk = zk_tokio::Client::connect(&proxy.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    let mut guard = Lock::new(&path, "holder")
        .lock_async(&zk, None)
        .await
        .unwrap()
        .expect("free");
    assert_eq!(guard.hold().await.unwrap(), Hold::Held);
    cut_off(&proxy);
    let told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    assert_eq!(told.expect("in time").unwrap(), Hold::Uncertain);
    assert!(guard.is_uncertain() && !guard.is_lost());
    proxy.set_on_accept(OnAccept::Forward);
    let told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    assert_eq!(told.expect("in time").unwrap(), Hold::Held);
    guard.release().await.unwrap();
    zk.close().await;
}
