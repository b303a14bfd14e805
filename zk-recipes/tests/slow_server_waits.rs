//! A leader's (or a lock holder's) wait keeps to its timeout when the server is slow
//! to answer: after a reconnect the hold is checked with the server, and a wait
//! shorter than the answer returns by its timeout, still uncertain; the check stays
//! out, so that a later wait hears the answer (asking anew at each wait would never
//! hear one). The server's replies come through a proxy that delays them.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;
#[path = "slow/mod.rs"]
mod slow;

use std::fmt::Debug;
use std::time::{Duration, Instant};

use common::{PATIENCE, blocking, cut_off, fresh_path, shared};
use slow::{
    SHORT, SLACK, assert_no_reply_left_to_the_program, leave_a_check_out, proxy, reconnect_slowly,
};
use zk_blocking::Result;
use zk_recipes::run::{Blocking, Driver};
use zk_recipes::{BlockingLockGuard, Hold, LeaderElection, Leadership, Lock};
use zk_tests::proxy::FaultProxy;

/// [`leave_a_check_out`], then calls `wait` with [`SHORT`] until it tells a change,
/// and returns that. Every call returns by its timeout.
fn through_a_slow_reconnect<S, T: PartialEq + Debug>(
    proxy: &FaultProxy,
    subject: &mut S,
    uncertain: T,
    mut wait: impl FnMut(&mut S, Duration) -> Result<Option<T>>,
    reconnected: impl FnOnce(&mut S),
) -> T {
    leave_a_check_out(proxy, subject, &uncertain, &mut wait, reconnected);
    let give_up = Instant::now() + PATIENCE;
    loop {
        let started = Instant::now();
        let now = wait(subject, SHORT).unwrap();
        let took = started.elapsed();
        assert!(took < SHORT + SLACK, "a {SHORT:?} wait took {took:?}");
        if let Some(changed) = now {
            return changed;
        }
        assert!(
            Instant::now() < give_up,
            "a later wait heard the answer within {PATIENCE:?}"
        );
    }
}

/// A lock at a fresh path held on the blocking client `zk`.
fn blocking_guard<'a>(zk: &'a mut zk_blocking::Client, what: &str) -> BlockingLockGuard<'a> {
    Lock::new(&fresh_path(what), "holder")
        .lock_blocking(zk, Some(PATIENCE))
        .unwrap()
        .expect("free")
}

/// A leader elected at a fresh path through `driver`.
fn elected<D: Driver>(driver: &mut D, what: &str) -> LeaderElection {
    let mut leader = LeaderElection::new(&fresh_path(what), "leader");
    assert!(leader.run_for_leadership(driver, Some(PATIENCE)).unwrap());
    leader
}

#[test]
fn a_leader_waiting_on_a_slow_server_after_a_reconnect_keeps_to_its_timeout_then_leads_again() {
    let proxy = proxy();
    let zk = shared(&proxy.connect_string());
    let mut driver = zk.clone();
    let leader = elected(&mut driver, "slow-leader");
    let mut subject = (leader, driver);
    let told = through_a_slow_reconnect(
        &proxy,
        &mut subject,
        Leadership::Uncertain,
        |(leader, driver), timeout| leader.wait_leadership_change(driver, Some(timeout)),
        |(leader, driver)| {
            zk.wait_until_connected(PATIENCE).unwrap();
            let started = Instant::now();
            let looked = leader.check_leadership(driver).unwrap();
            assert_eq!(looked, Leadership::Uncertain, "not answered yet");
            assert!(started.elapsed() < SLACK, "a look does not wait");
        },
    );
    assert_eq!(told, Leadership::Leading, "the session survived");
    let (mut leader, mut driver) = subject;
    leader.resign(&mut driver).unwrap();
}

#[test]
fn a_leader_on_the_blocking_client_waiting_on_a_slow_server_keeps_to_its_timeout_then_leads_again()
{
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let mut driver = Blocking::new(&mut zk);
    let leader = elected(&mut driver, "slow-blocking-leader");
    let mut subject = (leader, driver);
    let told = through_a_slow_reconnect(
        &proxy,
        &mut subject,
        Leadership::Uncertain,
        |(leader, driver), timeout| leader.wait_leadership_change(driver, Some(timeout)),
        |(_, driver)| driver.client().wait_until_connected(PATIENCE).unwrap(),
    );
    assert_eq!(told, Leadership::Leading, "the session survived");
    let (mut leader, mut driver) = subject;
    leader.resign(&mut driver).unwrap();
}

#[test]
fn a_lock_guard_waiting_on_a_slow_server_keeps_to_its_timeout_then_is_held_again() {
    let proxy = proxy();
    let zk = shared(&proxy.connect_string());
    let mut guard = Lock::new(&fresh_path("slow-guard"), "holder")
        .lock(&zk, Some(PATIENCE))
        .unwrap()
        .expect("free");
    let told = through_a_slow_reconnect(
        &proxy,
        &mut guard,
        Hold::Uncertain,
        |guard, timeout| guard.wait_hold_change(Some(timeout)),
        |_| zk.wait_until_connected(PATIENCE).unwrap(),
    );
    assert_eq!(told, Hold::Held);
    guard.release().unwrap();
}

#[test]
fn a_blocking_lock_guard_waiting_on_a_slow_server_keeps_to_its_timeout_then_is_held_again() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let mut guard = blocking_guard(&mut zk, "slow-blocking-guard");
    let told = through_a_slow_reconnect(
        &proxy,
        &mut guard,
        Hold::Uncertain,
        |guard, timeout| guard.wait_hold_change(Some(timeout)),
        |guard| guard.wait_until_connected(PATIENCE).unwrap(),
    );
    assert_eq!(told, Hold::Held);
    guard.release().unwrap();
}

#[test]
fn a_blocking_lock_guard_dropped_while_its_check_is_out_leaves_no_reply_to_the_program() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let mut guard = blocking_guard(&mut zk, "dropped-blocking-guard");
    leave_a_check_out(
        &proxy,
        &mut guard,
        &Hold::Uncertain,
        |guard, timeout| guard.wait_hold_change(Some(timeout)),
        |guard| guard.wait_until_connected(PATIENCE).unwrap(),
    );
    drop(guard);
    assert_no_reply_left_to_the_program(&mut zk);
}

#[test]
fn a_blocking_leader_that_resigns_while_its_check_is_out_leaves_no_reply_to_the_program() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let mut driver = Blocking::new(&mut zk);
    let leader = elected(&mut driver, "resigned-blocking-leader");
    let mut subject = (leader, driver);
    leave_a_check_out(
        &proxy,
        &mut subject,
        &Leadership::Uncertain,
        |(leader, driver), timeout| leader.wait_leadership_change(driver, Some(timeout)),
        |(_, driver)| driver.client().wait_until_connected(PATIENCE).unwrap(),
    );
    let (mut leader, mut driver) = subject;
    leader.resign(&mut driver).unwrap();
    assert_no_reply_left_to_the_program(&mut zk);
}

#[tokio::test]
async fn an_async_leader_whose_waits_are_cut_short_on_a_slow_server_still_hears_it_leads_again() {
    let path = fresh_path("slow-async-leader");
    let proxy = proxy();
    let zk = zk_tokio::Client::connect(&proxy.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    let mut leader = LeaderElection::new(&path, "leader");
    assert!(
        leader
            .run_for_leadership_async(&zk, Some(PATIENCE))
            .await
            .unwrap()
    );
    cut_off(&proxy);
    let told = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk)).await;
    assert_eq!(told.expect("in time").unwrap(), Leadership::Uncertain);

    reconnect_slowly(&proxy);
    zk.wait_until_connected(PATIENCE).await.unwrap();
    // Each wait is given up (its future dropped) long before the server answers.
    let give_up = Instant::now() + PATIENCE;
    let mut cut_short = 0;
    let told = loop {
        match tokio::time::timeout(SHORT, leader.leadership_changed_async(&zk)).await {
            Ok(told) => break told.unwrap(),
            Err(_) => cut_short += 1,
        }
        assert_eq!(leader.leadership(), Leadership::Uncertain);
        assert!(Instant::now() < give_up, "a later wait heard the answer");
    };
    assert_eq!(told, Leadership::Leading, "the session survived");
    assert!(
        cut_short > 0,
        "the first waits were shorter than the answer"
    );
    leader.resign_async(&zk).await.unwrap();
    zk.close().await;
}
