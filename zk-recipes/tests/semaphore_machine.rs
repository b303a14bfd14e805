//! The semaphore machine driven by scripts: the limit agreed on, the guarding lock
//! taken (the lock machine's own requests, at `<path>-__lock__`), the leases counted
//! and this holder's lease made, each reply (or failure) scripted. No server, no
//! clock, no threads.

mod common;

use common::*;
use zk_blocking::ErrorCode;
use zk_blocking::{Bytes, CreateMode, Error, EventType, KeeperState, Request, Response, Stat};
use zk_blocking::{Version, WatchHandle};
use zk_recipes::{Recipe, SemaphoreError, SemaphoreEvent, SemaphoreMachine};
use zk_test_support::assert_matches;

/// The semaphore's path in every scenario, and its guarding lock's.
const SEM: &str = "/slots/encoder";
const GUARD: &str = "/slots/encoder-__lock__";
/// This holder's identifier (its lease node's data).
const ME: &str = "worker-1";
/// Other holders' lease nodes.
const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn two_leases() -> SemaphoreMachine {
    SemaphoreMachine::new(SEM, 2, Bytes::from_static(ME.as_bytes()))
}

fn limit(data: &str, version: i32) -> Result<Response, Error> {
    Ok(Response::GetData {
        data: Bytes::copy_from_slice(data.as_bytes()),
        stat: Stat {
            version,
            ..Stat::default()
        },
    })
}

fn node_exists() -> Result<Response, Error> {
    Err(Error::from_code(ErrorCode::NodeExists))
}

fn lease_create(m: &SemaphoreMachine) -> Request {
    Request::create(
        m.lease_path(),
        Bytes::from_static(ME.as_bytes()),
        CreateMode::Ephemeral,
    )
}

/// The lease node's create, answered: made.
fn lease_is_made(m: &mut SemaphoreMachine) {
    let (request, lease) = (lease_create(m), m.lease_path().to_string());
    expect_then(m, request, created(&lease));
}

/// The lease node's delete, answered: gone.
fn lease_is_deleted(m: &mut SemaphoreMachine) {
    let lease = m.lease_path().to_string();
    expect_then(m, delete(&lease), deleted());
}

fn look_for_lease(m: &SemaphoreMachine) -> Request {
    Request::exists(m.lease_path(), false)
}

/// Acquiring starts: the semaphore node is there already and keeps limit `stored`.
fn reads_the_limit(m: &mut SemaphoreMachine, stored: &str) {
    m.acquire();
    expect_then(m, create(SEM, b"", CreateMode::Persistent), node_exists());
    expect_then(m, Request::get_data(SEM, false), limit(stored, 1));
}

/// The semaphore node is there with limit `stored`, and this holder has no lease yet.
fn agreed_on(m: &mut SemaphoreMachine, stored: &str) {
    reads_the_limit(m, stored);
    let find = look_for_lease(m);
    expect_then(m, find, not_there());
}

/// The guarding lock taken by the lock machine with nobody ahead: its node's path.
fn takes_the_guarding_lock(m: &mut SemaphoreMachine) -> String {
    let (token, request) = sent(m);
    let Request::Create {
        path, data, mode, ..
    } = request
    else {
        panic!("expected the guarding lock's create, got {request:?}");
    };
    assert_eq!(mode, CreateMode::EphemeralSequential);
    assert!(
        path.starts_with(&format!("{GUARD}/")),
        "{path} under {GUARD}"
    );
    assert!(path.ends_with("__lock__"), "{path} is a kazoo lock node");
    assert_eq!(data, ME.as_bytes());
    let node = format!("{path}0000000001");
    m.handle_reply(token, created(&node).map(|r| (r, None)));
    let own = node.rsplit('/').next().unwrap_or_default().to_string();
    expect_then(m, children(GUARD), listing(&[&own]));
    node
}

/// The guarding lock's node made, with another contender's ahead of it: its path,
/// and the name of the one ahead.
fn behind_another_on_the_guarding_lock(m: &mut SemaphoreMachine) -> (String, String) {
    let (token, request) = sent(m);
    let Request::Create { path, .. } = request else {
        panic!("expected the guarding lock's create, got {request:?}");
    };
    let node = format!("{path}0000000002");
    m.handle_reply(token, created(&node).map(|r| (r, None)));
    let own = node.rsplit('/').next().unwrap_or_default().to_string();
    let ahead = format!("{:032x}__lock__0000000001", 7);
    expect_then(m, children(GUARD), listing(&[&ahead, &own]));
    (node, ahead)
}

/// The leases counted with a watch, answered with `held`: the watch.
fn counts(m: &mut SemaphoreMachine, watches: &mut Watches, held: &[&str]) -> WatchHandle {
    let watch = watches.exist(SEM);
    expect_then_watched(
        m,
        Request::get_children(SEM, true),
        listing(held),
        Some(watch),
    );
    watch
}

/// A two-lease semaphore whose limit is agreed on, holding its guarding lock: the
/// lock node's path.
fn holding_the_guarding_lock() -> (SemaphoreMachine, String) {
    let mut m = two_leases();
    agreed_on(&mut m, "2");
    let guard = takes_the_guarding_lock(&mut m);
    (m, guard)
}

/// The lease made, then the guarding lock released: acquired.
fn leased_then_unlocked(m: &mut SemaphoreMachine, guard: &str) {
    lease_is_made(m);
    expect_then(m, delete(guard), deleted());
    assert_eq!(done(m), SemaphoreEvent::Acquired);
}

fn done(m: &mut SemaphoreMachine) -> SemaphoreEvent {
    assert!(m.poll_submit().is_none(), "nothing more to send");
    assert!(m.watch().is_none(), "no watch waited for");
    m.poll_output().expect("an event")
}

#[test]
fn a_lease_is_taken_when_fewer_than_the_limit_are_held_and_the_lock_released() {
    let mut watches = Watches::new();
    let (mut m, guard) = holding_the_guarding_lock();
    counts(&mut m, &mut watches, &[A]);
    lease_is_made(&mut m);
    assert!(
        m.poll_output().is_none(),
        "not acquired before the lock goes"
    );
    expect_then(&mut m, delete(&guard), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::Acquired);
    assert!(m.is_held());
    let name = m.lease_path().strip_prefix(&format!("{SEM}/")).unwrap();
    assert!(name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()));

    m.release();
    lease_is_deleted(&mut m);
    assert_eq!(done(&mut m), SemaphoreEvent::Released);
    assert!(!m.is_held());
}

#[test]
fn releasing_a_lease_whose_session_ended_unheard_lets_it_go_without_an_error() {
    let (mut m, guard) = holding_the_guarding_lock();
    counts(&mut m, &mut Watches::new(), &[A]);
    leased_then_unlocked(&mut m, &guard);
    m.release();
    let lease = m.lease_path().to_string();
    expect_then(&mut m, delete(&lease), Err(Error::SessionExpired));
    assert_eq!(done(&mut m), SemaphoreEvent::Released);
    assert!(!m.is_held());
}

#[test]
fn when_every_lease_is_taken_it_waits_holding_the_lock_until_the_children_change() {
    let mut watches = Watches::new();
    let (mut m, guard) = holding_the_guarding_lock();
    let watch = counts(&mut m, &mut watches, &[A, B]);
    assert_eq!(m.watch(), Some(watch));
    assert!(m.poll_submit().is_none() && m.poll_output().is_none());

    m.handle_watch(&fired(watch, EventType::NodeChildrenChanged, SEM));
    counts(&mut m, &mut watches, &[B]);
    leased_then_unlocked(&mut m, &guard);
}

#[test]
fn a_limit_other_than_the_stored_one_fails_with_a_typed_error_that_says_what_to_do() {
    let mut m = two_leases();
    reads_the_limit(&mut m, "3");
    let SemaphoreEvent::Failed(error) = done(&mut m) else {
        panic!("expected a failure");
    };
    assert_eq!(
        error,
        SemaphoreError::MaxLeasesMismatch {
            path: SEM.to_string(),
            stored: 3,
            wanted: 2,
        }
    );
    let told = error.to_string();
    assert!(told.contains("allows 3 leases, not 2"), "{told}");
    assert!(told.contains(&format!("delete {SEM}")), "{told}");
}

#[test]
fn the_first_acquirer_writes_the_limit_into_a_node_that_keeps_none() {
    let mut watches = Watches::new();
    let mut m = two_leases();
    m.acquire();
    expect_then(
        &mut m,
        create(SEM, b"", CreateMode::Persistent),
        created(SEM),
    );
    expect_then(&mut m, Request::get_data(SEM, false), limit("", 0));
    let write = Request::set_data(SEM, "2", Version::Exact(0));
    // Someone wrote first: read it again, and agree.
    expect_then(&mut m, write, Err(Error::from_code(ErrorCode::BadVersion)));
    expect_then(&mut m, Request::get_data(SEM, false), limit("2", 1));
    let find = look_for_lease(&m);
    expect_then(&mut m, find, not_there());
    takes_the_guarding_lock(&mut m);
    counts(&mut m, &mut watches, &[]);
}

#[test]
fn a_lease_create_whose_reply_is_lost_is_found_again_not_made_twice() {
    let mut watches = Watches::new();
    let (mut m, guard) = holding_the_guarding_lock();
    counts(&mut m, &mut watches, &[A]);
    let lease = lease_create(&m);
    expect_then(&mut m, lease, Err(Error::ConnectionLoss));
    let look = look_for_lease(&m);
    expect_then(&mut m, look, there());
    expect_then(&mut m, delete(&guard), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::Acquired);
}

#[test]
fn a_lost_lease_create_that_made_nothing_counts_again_before_creating() {
    let mut watches = Watches::new();
    let (mut m, _) = holding_the_guarding_lock();
    counts(&mut m, &mut watches, &[A]);
    let lease = lease_create(&m);
    expect_then(&mut m, lease, Err(Error::ConnectionLoss));
    let look = look_for_lease(&m);
    expect_then(&mut m, look, not_there());
    // Someone took the last lease meanwhile: wait, not exceed the limit.
    let watch = counts(&mut m, &mut watches, &[A, B]);
    assert_eq!(m.watch(), Some(watch));
}

#[test]
fn a_lease_left_by_an_earlier_acquire_is_this_holders_without_taking_the_lock() {
    let mut m = two_leases();
    reads_the_limit(&mut m, "2");
    let find = look_for_lease(&m);
    expect_then(&mut m, find, there());
    assert_eq!(done(&mut m), SemaphoreEvent::Acquired);
}

#[test]
fn a_cancel_while_waiting_releases_the_guarding_lock_and_leaves_no_lease() {
    let mut watches = Watches::new();
    let (mut m, guard) = holding_the_guarding_lock();
    let watch = counts(&mut m, &mut watches, &[A, B]);
    m.cancel();
    expect_then(&mut m, delete(&guard), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::Cancelled);
    m.handle_watch(&fired(watch, EventType::NodeChildrenChanged, SEM));
    assert!(
        m.poll_submit().is_none(),
        "a cancelled wait ignores its watch"
    );
}

#[test]
fn a_cancel_while_the_lease_create_is_out_deletes_the_lease_then_the_lock() {
    let mut watches = Watches::new();
    let (mut m, guard) = holding_the_guarding_lock();
    counts(&mut m, &mut watches, &[]);
    let (token, request) = sent(&mut m);
    assert_eq!(request, lease_create(&m));
    m.cancel();
    m.handle_reply(token, created(m.lease_path()).map(|r| (r, None)));
    lease_is_deleted(&mut m);
    expect_then(&mut m, delete(&guard), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::Cancelled);
    assert!(!m.is_held());
}

#[test]
fn a_cancel_while_waiting_for_the_guarding_lock_gives_up_its_place() {
    let mut watches = Watches::new();
    let mut m = two_leases();
    agreed_on(&mut m, "2");
    let (node, ahead) = behind_another_on_the_guarding_lock(&mut m);
    let watch = watches.exist(&format!("{GUARD}/{ahead}"));
    expect_then_watched(
        &mut m,
        Request::exists(format!("{GUARD}/{ahead}"), true),
        there(),
        Some(watch),
    );
    assert_eq!(
        m.watch(),
        Some(watch),
        "the lock's watch is the semaphore's"
    );
    m.cancel();
    expect_then(&mut m, delete(&node), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::Cancelled);
}

#[test]
fn the_session_ending_loses_a_held_lease_and_fails_a_waiting_acquire() {
    let mut watches = Watches::new();
    let (mut m, guard) = holding_the_guarding_lock();
    counts(&mut m, &mut watches, &[]);
    leased_then_unlocked(&mut m, &guard);
    m.handle_session(KeeperState::Expired);
    assert_eq!(done(&mut m), SemaphoreEvent::Lost(Error::SessionExpired));
    assert!(!m.is_held());

    let mut waiting = two_leases();
    agreed_on(&mut waiting, "2");
    takes_the_guarding_lock(&mut waiting);
    counts(&mut waiting, &mut watches, &[A, B]);
    waiting.handle_session_end(Error::Closed);
    assert_matches!(
        done(&mut waiting),
        SemaphoreEvent::Failed(SemaphoreError::Client(Error::Closed))
    );
}

#[test]
fn an_invalid_path_or_no_lease_at_all_fails_at_once_sending_nothing() {
    for (path, leases) in [("/", 1), ("rel/x", 1), ("/ok", 0)] {
        let mut m = SemaphoreMachine::new(path, leases, Bytes::new());
        m.acquire();
        assert_matches!(
            done(&mut m),
            SemaphoreEvent::Failed(SemaphoreError::Client(
                Error::InvalidPath { .. } | Error::InvalidArgument(_)
            ))
        );
    }
}

/// A two-lease semaphore asked to take a lease only if one is free now, holding its
/// guarding lock: the lock node's path.
fn trying_with_the_guarding_lock() -> (SemaphoreMachine, String) {
    let mut m = trying();
    let guard = takes_the_guarding_lock(&mut m);
    (m, guard)
}

/// A two-lease semaphore asked to take a lease only if one is free now, its limit
/// agreed on, this holder with no lease yet.
fn trying() -> SemaphoreMachine {
    let mut m = two_leases();
    m.try_acquire();
    expect_then(
        &mut m,
        create(SEM, b"", CreateMode::Persistent),
        node_exists(),
    );
    expect_then(&mut m, Request::get_data(SEM, false), limit("2", 1));
    let find = look_for_lease(&m);
    expect_then(&mut m, find, not_there());
    m
}

#[test]
fn a_try_acquire_takes_a_free_lease() {
    let (mut m, guard) = trying_with_the_guarding_lock();
    expect_then(&mut m, Request::get_children(SEM, false), listing(&[A]));
    leased_then_unlocked(&mut m, &guard);
    assert!(m.is_held());
}

#[test]
fn a_try_acquire_on_a_full_semaphore_gives_up_at_once_leaving_no_watch_and_no_lock() {
    let (mut m, guard) = trying_with_the_guarding_lock();
    expect_then(&mut m, Request::get_children(SEM, false), listing(&[A, B]));
    expect_then(&mut m, delete(&guard), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::NotAcquired);
    assert!(!m.is_under_way() && !m.is_held());
}

#[test]
fn a_try_acquire_behind_another_on_the_guarding_lock_gives_up_at_once() {
    let mut m = trying();
    let (node, _) = behind_another_on_the_guarding_lock(&mut m);
    expect_then(&mut m, delete(&node), deleted());
    assert_eq!(done(&mut m), SemaphoreEvent::NotAcquired);
}
