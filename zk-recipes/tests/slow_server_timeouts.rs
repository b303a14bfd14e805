//! A recipe's call with a timeout returns by it also while the server is slower than
//! that (each reply comes [`SLOW`] late through a proxy): the request it left
//! unanswered stays with the recipe's value, and the next call on that value hears the
//! answer, asking nothing twice (one contender node, not two). On the blocking client,
//! dropping a value that keeps such a request leaves no reply to the program's
//! `wait_any`.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;
#[path = "slow/mod.rs"]
mod slow;

use std::time::Duration;

use common::{PATIENCE, blocking, create_all, fresh_path, shared};
use slow::{
    SHORT, SLOW, assert_no_reply_left_to_the_program, by_its_timeout, by_its_timeout_async,
    leave_a_check_out, operator, proxy, slow_down, speed_up, tokio_client,
};
use zk_blocking::{SharedClient, Version};
use zk_recipes::run::{Blocking, Driver};
use zk_recipes::{Barrier, Hold, LeaderElection, Leadership, Lock, NodeValue, NodeWatch, Party};
use zk_tests::proxy::FaultProxy;

/// The contender nodes on the lock (or election) at `path`.
fn contenders(path: &str) -> usize {
    common::children(&operator(), path).len()
}

// ----- one scenario per method, on any blocking driver -----------------------------

/// `Lock::acquire` with a timeout gives its place up when time runs out, and returns
/// by then; the next call hears the create answered late and deletes its node before
/// it contends anew.
fn a_timed_out_acquire_on_a_slow_server<D: Driver>(proxy: &FaultProxy, driver: &mut D) {
    let path = fresh_path("slow-acquire");
    let mut lock = Lock::new(&path, "me");
    slow_down(proxy);
    let got = by_its_timeout(SHORT, || lock.acquire(driver, Some(SHORT)));
    assert!(!got.unwrap(), "the server has not answered yet");
    speed_up(proxy);
    assert!(lock.acquire(driver, Some(PATIENCE)).unwrap());
    assert_eq!(
        contenders(&path),
        1,
        "the node of the timed-out acquire is gone"
    );
    lock.release(driver).unwrap();
    assert_eq!(contenders(&path), 0);
}

/// `Lock::acquire_for` keeps its place when time runs out, and returns by then; the
/// next call hears the create answered late: one node, not two.
fn a_timed_out_acquire_for_on_a_slow_server<D: Driver>(proxy: &FaultProxy, driver: &mut D) {
    let path = fresh_path("slow-acquire-for");
    let mut lock = Lock::new(&path, "me");
    slow_down(proxy);
    let got = by_its_timeout(SHORT, || lock.acquire_for(driver, SHORT));
    assert!(!got.unwrap(), "the server has not answered yet");
    let looked = by_its_timeout(Duration::ZERO, || lock.try_acquire(driver));
    assert!(!looked.unwrap(), "a look does not wait for the server");
    speed_up(proxy);
    assert!(lock.acquire_for(driver, PATIENCE).unwrap());
    assert_eq!(contenders(&path), 1, "the create was not asked twice");
    lock.release(driver).unwrap();
}

/// `LeaderElection::run_for_leadership` with a timeout returns by then; the next call
/// hears the create answered late: one candidate node, not two.
fn a_timed_out_run_for_leadership_on_a_slow_server<D: Driver>(proxy: &FaultProxy, driver: &mut D) {
    let path = fresh_path("slow-candidate");
    let mut candidate = LeaderElection::new(&path, "me");
    slow_down(proxy);
    let elected = by_its_timeout(SHORT, || candidate.run_for_leadership(driver, Some(SHORT)));
    assert!(!elected.unwrap(), "the server has not answered yet");
    speed_up(proxy);
    assert!(
        candidate
            .run_for_leadership(driver, Some(PATIENCE))
            .unwrap()
    );
    assert!(candidate.is_leader());
    assert_eq!(contenders(&path), 1, "the create was not asked twice");
    candidate.resign(driver).unwrap();
}

/// A leader calling `run_for_leadership` again with a short timeout asks the server
/// whether its node is still there: on a slow server the call returns by its
/// timeout, and the leader still leads as far as anyone knows (it is not told it does
/// not lead while the answer is out); the next call hears the answer.
fn a_leaders_timed_out_recheck_on_a_slow_server_keeps_its_leadership<D: Driver>(
    proxy: &FaultProxy,
    driver: &mut D,
) {
    let path = fresh_path("slow-recheck");
    let mut leader = LeaderElection::new(&path, "me");
    assert!(leader.run_for_leadership(driver, Some(PATIENCE)).unwrap());
    slow_down(proxy);
    let still = by_its_timeout(SHORT, || leader.run_for_leadership(driver, Some(SHORT)));
    assert!(!still.unwrap(), "the server has not answered yet");
    assert_ne!(
        leader.leadership(),
        Leadership::NotLeading,
        "a leader whose check is out has not stopped leading"
    );
    speed_up(proxy);
    assert!(leader.run_for_leadership(driver, Some(PATIENCE)).unwrap());
    assert_eq!(leader.leadership(), Leadership::Leading);
    assert_eq!(contenders(&path), 1, "still its one node");
    leader.resign(driver).unwrap();
}

/// A holder's `Lock::acquire` whose check the server answers later than its timeout
/// returns by then and keeps the lock: the same node, never let go.
fn a_holders_timed_out_acquire_on_a_slow_server_keeps_the_lock<D: Driver>(
    proxy: &FaultProxy,
    driver: &mut D,
) {
    let path = fresh_path("slow-holder");
    let mut lock = Lock::new(&path, "me");
    assert!(lock.acquire(driver, Some(PATIENCE)).unwrap());
    let node = lock.node_path();
    slow_down(proxy);
    let checked = by_its_timeout(SHORT, || lock.acquire(driver, Some(SHORT)));
    assert!(!checked.unwrap(), "the server has not answered yet");
    assert!(lock.is_held(), "held as far as anyone knows");
    assert!(lock.hold(driver).unwrap().is_some(), "and its hold is told");
    speed_up(proxy);
    assert!(lock.acquire(driver, Some(PATIENCE)).unwrap());
    assert_eq!(lock.node_path(), node, "the lock was never let go");
    assert_eq!(contenders(&path), 1);
    lock.release(driver).unwrap();
    assert_eq!(contenders(&path), 0);
}

/// A holder whose check is still out lets the lock go when it releases it.
fn a_holder_releasing_while_its_check_is_out_lets_the_lock_go<D: Driver>(
    proxy: &FaultProxy,
    driver: &mut D,
) {
    let path = fresh_path("slow-holder-release");
    let mut lock = Lock::new(&path, "me");
    assert!(lock.acquire(driver, Some(PATIENCE)).unwrap());
    slow_down(proxy);
    assert!(!lock.acquire(driver, Some(SHORT)).unwrap());
    speed_up(proxy);
    lock.release(driver).unwrap();
    assert!(!lock.is_held());
    assert_eq!(contenders(&path), 0, "the node went with the release");
}

/// `Party::wait_members_change` returns by its timeout also when the change came and
/// the members' reading is still unanswered; the next wait hears the reading.
fn a_party_wait_whose_reading_is_slow_keeps_to_its_timeout<D: Driver>(
    proxy: &FaultProxy,
    driver: &mut D,
) {
    let path = fresh_path("slow-party");
    let mut me = Party::new(&path, "me");
    me.join(driver).unwrap();
    assert_eq!(me.members(driver).unwrap(), ["me"]);
    // The first wait sets the children watch.
    assert_eq!(me.wait_members_change(driver, Some(SHORT)).unwrap(), None);
    slow_down(proxy);
    // Another member, on a session of its own straight to the server.
    let mut elsewhere = operator();
    let mut other = Party::new(&path, "other");
    other.join(&mut elsewhere).unwrap();
    // The change is told SLOW late, the watch's own look at the children takes SLOW
    // more, and the members' reading SLOW more again: the wait ends before that.
    let wait = 2 * SLOW + SHORT;
    let changed = by_its_timeout(wait, || me.wait_members_change(driver, Some(wait)));
    assert_eq!(changed.unwrap(), None, "the members are not read yet");
    speed_up(proxy);
    let changed = me.wait_members_change(driver, Some(PATIENCE)).unwrap();
    assert_eq!(changed, Some(vec!["me".to_string(), "other".to_string()]));
    other.leave(&mut elsewhere).unwrap();
    me.leave(driver).unwrap();
}

/// `Barrier::wait` with a timeout returns by then; the next wait goes on with it and
/// hears the barrier come down.
fn a_timed_out_barrier_wait_on_a_slow_server<D: Driver>(proxy: &FaultProxy, driver: &mut D) {
    let path = fresh_path("slow-barrier");
    let mut gate = Barrier::new(&path);
    gate.create(driver).unwrap();
    slow_down(proxy);
    let passed = by_its_timeout(SHORT, || gate.wait(driver, Some(SHORT)));
    assert!(!passed.unwrap(), "the barrier is up");
    operator().delete(&path, Version::Any).unwrap();
    speed_up(proxy);
    assert!(gate.wait(driver, Some(PATIENCE)).unwrap(), "it came down");
}

/// `NodeWatch::next` with a timeout returns by then; the next call hears the value.
fn a_timed_out_node_watch_on_a_slow_server<D: Driver>(proxy: &FaultProxy, driver: &mut D) {
    let path = fresh_path("slow-node-watch");
    create_all(&operator(), &path, b"v1");
    let mut watch = NodeWatch::data(&path);
    slow_down(proxy);
    let first = by_its_timeout(SHORT, || watch.next(driver, Some(SHORT)));
    assert_eq!(first.unwrap(), None, "the server has not answered yet");
    speed_up(proxy);
    match watch.next(driver, Some(PATIENCE)).unwrap() {
        Some(NodeValue::Data(data, _)) => assert_eq!(&data[..], b"v1"),
        other => panic!("expected the node's data, got {other:?}"),
    }
}

/// Runs `scenario` on a blocking client through a fresh proxy, then checks that it
/// left no reply to the program.
fn on_the_blocking_client(scenario: impl FnOnce(&FaultProxy, &mut Blocking<'_>)) {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    scenario(&proxy, &mut Blocking::new(&mut zk));
    assert_no_reply_left_to_the_program(&mut zk);
}

/// Runs `scenario` on a shared client through a fresh proxy.
fn on_the_shared_client(scenario: fn(&FaultProxy, &mut SharedClient)) {
    let proxy = proxy();
    let mut zk = shared(&proxy.connect_string());
    scenario(&proxy, &mut zk);
    zk.close();
}

#[test]
fn a_lock_acquire_on_the_blocking_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| a_timed_out_acquire_on_a_slow_server(proxy, driver));
}

#[test]
fn a_lock_acquire_on_the_shared_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_shared_client(a_timed_out_acquire_on_a_slow_server);
}

#[test]
fn a_party_wait_on_the_blocking_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| {
        a_party_wait_whose_reading_is_slow_keeps_to_its_timeout(proxy, driver)
    });
}

#[test]
fn a_party_wait_on_the_shared_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_shared_client(a_party_wait_whose_reading_is_slow_keeps_to_its_timeout);
}

#[test]
fn a_holders_acquire_on_the_blocking_client_keeps_the_lock_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| {
        a_holders_timed_out_acquire_on_a_slow_server_keeps_the_lock(proxy, driver)
    });
}

#[test]
fn a_holders_acquire_on_the_shared_client_keeps_the_lock_on_a_slow_server() {
    on_the_shared_client(a_holders_timed_out_acquire_on_a_slow_server_keeps_the_lock);
}

#[test]
fn a_holder_releasing_on_the_blocking_client_while_its_check_is_out_lets_the_lock_go() {
    on_the_blocking_client(|proxy, driver| {
        a_holder_releasing_while_its_check_is_out_lets_the_lock_go(proxy, driver)
    });
}

#[test]
fn a_holder_releasing_on_the_shared_client_while_its_check_is_out_lets_the_lock_go() {
    on_the_shared_client(a_holder_releasing_while_its_check_is_out_lets_the_lock_go);
}

#[test]
fn a_lock_acquire_for_and_try_acquire_on_the_blocking_client_keep_to_their_time() {
    on_the_blocking_client(|proxy, driver| a_timed_out_acquire_for_on_a_slow_server(proxy, driver));
}

#[test]
fn a_lock_acquire_for_and_try_acquire_on_the_shared_client_keep_to_their_time() {
    on_the_shared_client(a_timed_out_acquire_for_on_a_slow_server);
}

#[test]
fn running_for_leadership_on_the_blocking_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| {
        a_timed_out_run_for_leadership_on_a_slow_server(proxy, driver)
    });
}

#[test]
fn running_for_leadership_on_the_shared_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_shared_client(a_timed_out_run_for_leadership_on_a_slow_server);
}

#[test]
fn a_leaders_recheck_on_the_blocking_client_keeps_its_leadership_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| {
        a_leaders_timed_out_recheck_on_a_slow_server_keeps_its_leadership(proxy, driver)
    });
}

#[test]
fn a_leaders_recheck_on_the_shared_client_keeps_its_leadership_on_a_slow_server() {
    on_the_shared_client(a_leaders_timed_out_recheck_on_a_slow_server_keeps_its_leadership);
}

#[test]
fn a_barrier_wait_on_the_blocking_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| {
        a_timed_out_barrier_wait_on_a_slow_server(proxy, driver)
    });
}

#[test]
fn a_barrier_wait_on_the_shared_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_shared_client(a_timed_out_barrier_wait_on_a_slow_server);
}

#[test]
fn a_node_watch_on_the_blocking_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| a_timed_out_node_watch_on_a_slow_server(proxy, driver));
}

#[test]
fn a_node_watch_on_the_shared_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_shared_client(a_timed_out_node_watch_on_a_slow_server);
}

// ----- zk-tokio's client ---------------------------------------------------------------

#[tokio::test]
async fn an_async_lock_acquire_for_and_try_acquire_keep_to_their_time_on_a_slow_server() {
    let proxy = proxy();
    let zk = tokio_client(&proxy).await;
    let path = fresh_path("slow-async-acquire-for");
    let mut lock = Lock::new(&path, "me");
    slow_down(&proxy);
    let got = by_its_timeout_async(SHORT, lock.acquire_for_async(&zk, SHORT)).await;
    assert!(!got.unwrap(), "the server has not answered yet");
    let looked = by_its_timeout_async(Duration::ZERO, lock.try_acquire_async(&zk)).await;
    assert!(!looked.unwrap(), "a look does not wait for the server");
    speed_up(&proxy);
    assert!(lock.acquire_for_async(&zk, PATIENCE).await.unwrap());
    assert_eq!(contenders(&path), 1, "the create was not asked twice");
    lock.release_async(&zk).await.unwrap();
    zk.close().await;
}

#[tokio::test]
async fn async_running_for_leadership_keeps_to_its_timeout_on_a_slow_server() {
    let proxy = proxy();
    let zk = tokio_client(&proxy).await;
    let path = fresh_path("slow-async-candidate");
    let mut candidate = LeaderElection::new(&path, "me");
    slow_down(&proxy);
    let elected =
        by_its_timeout_async(SHORT, candidate.run_for_leadership_async(&zk, Some(SHORT))).await;
    assert!(!elected.unwrap(), "the server has not answered yet");
    speed_up(&proxy);
    let elected = candidate
        .run_for_leadership_async(&zk, Some(PATIENCE))
        .await;
    assert!(elected.unwrap());
    assert_eq!(contenders(&path), 1, "the create was not asked twice");
    candidate.resign_async(&zk).await.unwrap();
    zk.close().await;
}

// ----- dropped with a request out, on the blocking client ------------------------------

/// Leaves a request of a recipe's value out on a blocking client whose server is
/// slow (`leave_out`), drops the value, and checks that its reply never reaches the
/// program.
fn dropped_with_a_request_out<V>(leave_out: impl FnOnce(&mut Blocking<'_>) -> V) {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    slow_down(&proxy);
    let value = leave_out(&mut Blocking::new(&mut zk));
    drop(value);
    assert_no_reply_left_to_the_program(&mut zk);
}

#[test]
fn a_lock_dropped_after_its_acquire_timed_out_leaves_no_reply_to_the_program() {
    dropped_with_a_request_out(|driver| {
        let mut lock = Lock::new(&fresh_path("dropped-acquire"), "me");
        assert!(!lock.acquire(driver, Some(SHORT)).unwrap());
        lock
    });
}

#[test]
fn a_lock_dropped_while_in_line_leaves_no_reply_to_the_program() {
    dropped_with_a_request_out(|driver| {
        let mut lock = Lock::new(&fresh_path("dropped-acquire-for"), "me");
        assert!(!lock.acquire_for(driver, SHORT).unwrap());
        lock
    });
}

#[test]
fn a_candidate_dropped_while_running_leaves_no_reply_to_the_program() {
    dropped_with_a_request_out(|driver| {
        let mut candidate = LeaderElection::new(&fresh_path("dropped-candidate"), "me");
        assert!(!candidate.run_for_leadership(driver, Some(SHORT)).unwrap());
        candidate
    });
}

#[test]
fn a_barrier_dropped_while_waiting_leaves_no_reply_to_the_program() {
    let path = fresh_path("dropped-barrier");
    create_all(&operator(), &path, b"");
    dropped_with_a_request_out(|driver| {
        let mut gate = Barrier::new(&path);
        assert!(!gate.wait(driver, Some(SHORT)).unwrap());
        gate
    });
}

#[test]
fn a_node_watch_dropped_while_reading_leaves_no_reply_to_the_program() {
    dropped_with_a_request_out(|driver| {
        let mut watch = NodeWatch::data(&fresh_path("dropped-node-watch"));
        assert_eq!(watch.next(driver, Some(SHORT)).unwrap(), None);
        watch
    });
}

#[test]
fn a_plain_lock_dropped_while_its_hold_check_is_out_leaves_no_reply_to_the_program() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let mut lock = Lock::new(&fresh_path("dropped-plain-lock"), "me");
    assert!(
        lock.acquire(&mut Blocking::new(&mut zk), Some(PATIENCE))
            .unwrap()
    );
    let mut subject = (lock, zk);
    leave_a_check_out(
        &proxy,
        &mut subject,
        &Hold::Uncertain,
        |(lock, zk), timeout| lock.wait_hold_change(&mut Blocking::new(zk), Some(timeout)),
        |(_, zk)| zk.wait_until_connected(PATIENCE).unwrap(),
    );
    let (lock, mut zk) = subject;
    drop(lock);
    assert_no_reply_left_to_the_program(&mut zk);
}

#[test]
fn a_leader_dropped_without_resigning_while_its_check_is_out_leaves_no_reply_to_the_program() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let mut leader = LeaderElection::new(&fresh_path("dropped-leader"), "me");
    let elected = leader.run_for_leadership(&mut Blocking::new(&mut zk), Some(PATIENCE));
    assert!(elected.unwrap());
    let mut subject = (leader, zk);
    leave_a_check_out(
        &proxy,
        &mut subject,
        &Leadership::Uncertain,
        |(leader, zk), timeout| {
            leader.wait_leadership_change(&mut Blocking::new(zk), Some(timeout))
        },
        |(_, zk)| zk.wait_until_connected(PATIENCE).unwrap(),
    );
    let (leader, mut zk) = subject;
    drop(leader);
    assert_no_reply_left_to_the_program(&mut zk);
}
