//! The lock and the election when things go wrong on a real server: a session that
//! expires while its lock is held (or while it leads), and a caller that asks again
//! afterwards; a try that finds itself already in line.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, children, end_session, expire, fresh_path, shared};
use zk_blocking::Error;
use zk_recipes::{LeaderElection, Lock};
use zk_tests::shared_standalone;

#[test]
fn a_leader_whose_session_expired_is_refused_when_it_runs_again_not_told_it_leads() {
    let path = fresh_path("expired-leader");
    let cs = shared_standalone().connect_string();
    let (first, second) = (shared(&cs), shared(&cs));
    let mut leader = LeaderElection::new(&path, "first");
    assert!(leader.run_for_leadership(&mut first.clone(), None).unwrap());
    let mut next = LeaderElection::new(&path, "second");
    let short = Some(Duration::from_millis(200));
    assert!(!next.run_for_leadership(&mut second.clone(), short).unwrap());

    expire(&first);
    assert!(
        next.run_for_leadership(&mut second.clone(), Some(PATIENCE))
            .unwrap()
    );

    // The first candidate's leadership went with its session: asking again says so.
    assert_eq!(
        leader.run_for_leadership(&mut first.clone(), short),
        Err(Error::SessionExpired)
    );
    assert!(!leader.is_leader());
    assert_eq!(leader.node_path(), None);
}

#[test]
fn a_lock_lost_with_its_session_is_contended_for_again_on_a_new_session() {
    let path = fresh_path("lost-then-again");
    let cs = shared_standalone().connect_string();
    let (first, other) = (shared(&cs), shared(&cs));
    let mut lock = Lock::new(&path, "first");
    assert!(lock.acquire(&mut first.clone(), None).unwrap());
    expire(&first);
    let mut taker = Lock::new(&path, "other");
    assert!(taker.acquire(&mut other.clone(), Some(PATIENCE)).unwrap());

    // The program reconnects and asks the same lock again: it is held by `other`.
    let again = shared(&cs);
    let short = Some(Duration::from_millis(300));
    assert!(
        !lock.acquire(&mut again.clone(), short).unwrap(),
        "held by another session: not ours"
    );
    assert!(!lock.try_acquire(&mut again.clone()).unwrap());
    assert_eq!(children(&other, &path).len(), 1, "only the holder's node");
    taker.release(&mut other.clone()).unwrap();
    assert!(lock.acquire(&mut again.clone(), Some(PATIENCE)).unwrap());
    lock.release(&mut again.clone()).unwrap();
}

#[test]
fn try_acquire_while_already_in_line_answers_at_once_and_keeps_the_place() {
    let path = fresh_path("try-in-line");
    let cs = shared_standalone().connect_string();
    let (holder, waiter) = (shared(&cs), shared(&cs));
    let mut held = Lock::new(&path, "holder");
    assert!(held.acquire(&mut holder.clone(), None).unwrap());
    let mut lock = Lock::new(&path, "waiter");
    let short = Duration::from_millis(200);
    assert!(!lock.acquire_for(&mut waiter.clone(), short).unwrap());
    let place = lock.node_path().expect("in line");

    let started = Instant::now();
    assert!(!lock.try_acquire(&mut waiter.clone()).unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not wait for the holder"
    );
    assert_eq!(lock.node_path(), Some(place), "still in line");

    held.release(&mut holder.clone()).unwrap();
    assert!(lock.acquire_for(&mut waiter.clone(), PATIENCE).unwrap());
    assert!(lock.try_acquire(&mut waiter.clone()).unwrap(), "held: yes");
    lock.release(&mut waiter.clone()).unwrap();
}

#[test]
fn a_shared_guard_whose_session_expired_says_lost_and_drops_without_waiting() {
    let path = fresh_path("guard-expired");
    let cs = shared_standalone().connect_string();
    let (holder, other) = (shared(&cs), shared(&cs));
    let guard = Lock::new(&path, "holder")
        .lock(&holder, None)
        .unwrap()
        .expect("free");
    expire(&holder);
    assert!(guard.is_lost());
    let started = Instant::now();
    drop(guard);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let mut next = Lock::new(&path, "other");
    assert!(next.acquire(&mut other.clone(), Some(PATIENCE)).unwrap());
    next.release(&mut other.clone()).unwrap();
}

#[test]
fn a_blocking_guard_whose_session_expired_reports_it_through_its_client_and_releases_quietly() {
    let path = fresh_path("blocking-guard-expired");
    let cs = shared_standalone().connect_string();
    let mut holder = common::blocking(&cs);
    let credentials = holder.credentials().unwrap();
    let mut guard = Lock::new(&path, "holder")
        .lock_blocking(&mut holder, None)
        .unwrap()
        .expect("free");
    end_session(credentials);
    // The blocking client hears of it when it is used: the next call says so.
    let deadline = Instant::now() + PATIENCE;
    while guard.exists("/").is_ok() {
        assert!(Instant::now() < deadline, "the expiry was heard");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(guard.exists("/"), Err(Error::SessionExpired));
    assert!(guard.is_lost());
    assert_eq!(
        guard.release(),
        Ok(()),
        "the lock went with the session: nothing is left to let go"
    );
}

#[tokio::test]
async fn an_async_guard_resolves_lost_with_session_expired_when_its_session_expires() {
    let path = fresh_path("async-guard-expired");
    let cs = shared_standalone().connect_string();
    let holder = zk_tokio::Client::connect(&cs, zk_tokio::Options::new())
        .await
        .unwrap();
    let mut guard = Lock::new(&path, "holder")
        .lock_async(&holder, None)
        .await
        .unwrap()
        .expect("free");
    let credentials = holder.credentials().unwrap();
    tokio::task::spawn_blocking(move || end_session(credentials))
        .await
        .unwrap();
    let lost = tokio::time::timeout(PATIENCE, guard.lost()).await;
    assert_eq!(lost.expect("told in time"), Error::SessionExpired);
    assert!(guard.is_lost());
}
