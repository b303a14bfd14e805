//! The barrier and double barrier machines with every reply and watch event scripted.

mod common;

use common::*;
use zk_blocking::ErrorCode;
use zk_blocking::{Bytes, CreateMode, Error, EventType, KeeperState};
use zk_recipes::{BarrierEvent, BarrierMachine, DoubleBarrierEvent, DoubleBarrierMachine, Recipe};
use zk_test_support::assert_matches;

fn done<R: Recipe>(m: &mut R) -> R::Output {
    assert!(m.poll_submit().is_none(), "nothing more to send");
    assert!(m.watch().is_none(), "no watch waited for");
    m.poll_output().expect("an event")
}

// ----- Barrier ------------------------------------------------------------------------

#[test]
fn create_makes_the_node_and_its_missing_parents() {
    let mut m = BarrierMachine::new("/gates/deploy");
    m.create();
    let persistent = CreateMode::Persistent;
    expect_then(
        &mut m,
        create("/gates/deploy", b"", persistent),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut m, create("/gates", b"", persistent), created("/gates"));
    expect_then(
        &mut m,
        create("/gates/deploy", b"", persistent),
        Err(Error::from_code(ErrorCode::NodeExists)),
    );
    assert_eq!(done(&mut m), BarrierEvent::Created);
}

#[test]
fn remove_tells_whether_it_deleted_the_node() {
    let mut m = BarrierMachine::new("/b");
    m.remove();
    expect_then(&mut m, delete("/b"), deleted());
    assert_eq!(done(&mut m), BarrierEvent::Removed(true));
    m.remove();
    expect_then(&mut m, delete("/b"), Err(Error::ConnectionLoss));
    expect_then(
        &mut m,
        delete("/b"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    assert_eq!(done(&mut m), BarrierEvent::Removed(false));
}

#[test]
fn wait_passes_at_once_when_the_barrier_is_down() {
    let mut m = BarrierMachine::new("/b");
    m.wait();
    expect_then(&mut m, exists("/b"), not_there());
    assert_eq!(done(&mut m), BarrierEvent::Cleared);
}

#[test]
fn wait_watches_the_node_until_it_is_deleted() {
    let mut watches = Watches::new();
    let mut m = BarrierMachine::new("/b");
    m.wait();
    let first = watches.exist("/b");
    expect_then_watched(&mut m, exists("/b"), there(), Some(first));
    assert_eq!(m.watch(), Some(first));
    assert!(m.poll_output().is_none());

    // Another watch's event is not the barrier's.
    let other = watches.exist("/elsewhere");
    m.handle_watch(&fired(other, EventType::NodeDeleted, "/elsewhere"));
    assert!(m.poll_output().is_none());

    // Its data changed: still up, watched again.
    m.handle_watch(&fired(first, EventType::NodeDataChanged, "/b"));
    let second = watches.exist("/b");
    expect_then_watched(&mut m, exists("/b"), there(), Some(second));
    assert_eq!(m.watch(), Some(second));

    m.handle_watch(&fired(second, EventType::NodeDeleted, "/b"));
    assert_eq!(done(&mut m), BarrierEvent::Cleared);
}

#[test]
fn a_lost_check_is_made_again_and_a_cancelled_wait_ignores_its_watch() {
    let mut watches = Watches::new();
    let mut m = BarrierMachine::new("/b");
    m.wait();
    expect_then(&mut m, exists("/b"), Err(Error::ConnectionLoss));
    let watch = watches.exist("/b");
    expect_then_watched(&mut m, exists("/b"), there(), Some(watch));
    m.cancel();
    assert!(m.watch().is_none());
    m.handle_watch(&fired(watch, EventType::NodeDeleted, "/b"));
    assert!(m.poll_output().is_none(), "a timed-out wait tells nothing");
}

#[test]
fn the_session_ending_fails_a_wait() {
    let mut watches = Watches::new();
    let mut m = BarrierMachine::new("/b");
    m.wait();
    expect_then_watched(&mut m, exists("/b"), there(), Some(watches.exist("/b")));
    m.handle_session(KeeperState::Expired);
    assert_eq!(done(&mut m), BarrierEvent::Failed(Error::SessionExpired));
}

// ----- DoubleBarrier: entering --------------------------------------------------------

const ME: &str = "b0000000000000000000000000000000";

fn me(participants: usize) -> DoubleBarrierMachine {
    DoubleBarrierMachine::with_node_name("/db", participants, Bytes::from_static(b"me"), ME)
}

fn own() -> String {
    format!("/db/{ME}")
}

/// Enter up to the ready check: the path made, the own node created.
fn entered_up_to_ready_check(m: &mut DoubleBarrierMachine) {
    m.enter();
    expect_then(
        m,
        create("/db", b"", CreateMode::Persistent),
        created("/db"),
    );
    expect_then(
        m,
        create(&own(), b"me", CreateMode::Ephemeral),
        created(&own()),
    );
}

#[test]
fn the_last_to_enter_creates_ready() {
    let mut watches = Watches::new();
    let mut m = me(3);
    entered_up_to_ready_check(&mut m);
    let ready = watches.exist("/db/ready");
    expect_then_watched(&mut m, exists("/db/ready"), not_there(), Some(ready));
    expect_then(&mut m, children("/db"), listing(&["a1", ME, "c3"]));
    expect_then(
        &mut m,
        create("/db/ready", b"", CreateMode::Persistent),
        created("/db/ready"),
    );
    assert_eq!(done(&mut m), DoubleBarrierEvent::Entered);
}

#[test]
fn an_early_one_waits_for_ready_to_be_created() {
    let mut watches = Watches::new();
    let mut m = me(3);
    entered_up_to_ready_check(&mut m);
    let ready = watches.exist("/db/ready");
    expect_then_watched(&mut m, exists("/db/ready"), not_there(), Some(ready));
    expect_then(&mut m, children("/db"), listing(&[ME, "c3"]));
    assert_eq!(m.watch(), Some(ready));
    assert!(m.poll_output().is_none());
    m.handle_watch(&fired(ready, EventType::NodeCreated, "/db/ready"));
    assert_eq!(done(&mut m), DoubleBarrierEvent::Entered);
}

#[test]
fn ready_already_there_means_entered() {
    let mut watches = Watches::new();
    let mut m = me(3);
    entered_up_to_ready_check(&mut m);
    let ready = watches.exist("/db/ready");
    expect_then_watched(&mut m, exists("/db/ready"), there(), Some(ready));
    assert_eq!(done(&mut m), DoubleBarrierEvent::Entered);
}

#[test]
fn a_lost_create_of_the_own_node_finds_it_made() {
    let mut watches = Watches::new();
    let mut m = me(2);
    m.enter();
    expect_then(
        &mut m,
        create("/db", b"", CreateMode::Persistent),
        Err(Error::from_code(ErrorCode::NodeExists)),
    );
    let node = create(&own(), b"me", CreateMode::Ephemeral);
    expect_then(&mut m, node.clone(), Err(Error::ConnectionLoss));
    expect_then(&mut m, node, Err(Error::from_code(ErrorCode::NodeExists)));
    let ready = watches.exist("/db/ready");
    expect_then_watched(&mut m, exists("/db/ready"), not_there(), Some(ready));
    expect_then(&mut m, children("/db"), listing(&["a1", ME]));
    expect_then(
        &mut m,
        create("/db/ready", b"", CreateMode::Persistent),
        Err(Error::from_code(ErrorCode::NodeExists)),
    );
    assert_eq!(done(&mut m), DoubleBarrierEvent::Entered);
}

#[test]
fn a_refused_enter_deletes_the_own_node_then_fails() {
    let mut watches = Watches::new();
    let mut m = me(2);
    entered_up_to_ready_check(&mut m);
    let ready = watches.exist("/db/ready");
    expect_then_watched(&mut m, exists("/db/ready"), not_there(), Some(ready));
    expect_then(
        &mut m,
        children("/db"),
        Err(Error::from_code(ErrorCode::NoAuth)),
    );
    expect_then(&mut m, delete(&own()), deleted());
    assert_matches!(
        done(&mut m),
        DoubleBarrierEvent::Failed(Error::NoAuth { .. })
    );
}

// ----- DoubleBarrier: leaving ---------------------------------------------------------

#[test]
fn the_lowest_waits_for_the_highest_then_leaves_last() {
    let mut watches = Watches::new();
    let mut m = me(3);
    m.leave();
    expect_then(&mut m, delete("/db/ready"), deleted());
    expect_then(&mut m, children("/db"), listing(&["c3", ME, "ready", "c2"]));
    let highest = watches.exist("/db/c3");
    expect_then_watched(&mut m, exists("/db/c3"), there(), Some(highest));
    assert_eq!(m.watch(), Some(highest));
    m.handle_watch(&fired(highest, EventType::NodeDeleted, "/db/c3"));
    // c2 left already; alone, it deletes its node.
    expect_then(&mut m, children("/db"), listing(&[ME]));
    expect_then(&mut m, delete(&own()), deleted());
    assert_eq!(done(&mut m), DoubleBarrierEvent::Left);
}

#[test]
fn a_higher_one_deletes_its_node_and_waits_for_the_lowest() {
    let mut watches = Watches::new();
    let mut m = me(3);
    m.leave();
    expect_then(
        &mut m,
        delete("/db/ready"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut m, children("/db"), listing(&[ME, "a1", "c3"]));
    expect_then(&mut m, delete(&own()), deleted());
    let lowest = watches.exist("/db/a1");
    expect_then_watched(&mut m, exists("/db/a1"), there(), Some(lowest));
    m.handle_watch(&fired(lowest, EventType::NodeDeleted, "/db/a1"));
    expect_then(&mut m, children("/db"), listing(&[]));
    assert_eq!(done(&mut m), DoubleBarrierEvent::Left);
}

#[test]
fn one_waited_for_already_gone_means_listing_again() {
    let mut m = me(3);
    m.leave();
    expect_then(&mut m, delete("/db/ready"), deleted());
    expect_then(&mut m, children("/db"), listing(&["a1", ME]));
    expect_then(
        &mut m,
        delete(&own()),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut m, exists("/db/a1"), not_there());
    // Its own node is not deleted twice.
    expect_then(&mut m, children("/db"), listing(&["a2"]));
    expect_then(&mut m, exists("/db/a2"), not_there());
    expect_then(
        &mut m,
        children("/db"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    assert_eq!(done(&mut m), DoubleBarrierEvent::Left);
}

#[test]
fn the_session_ending_fails_a_leave() {
    let mut watches = Watches::new();
    let mut m = me(2);
    m.leave();
    expect_then(&mut m, delete("/db/ready"), deleted());
    expect_then(&mut m, children("/db"), listing(&[ME, "z9"]));
    let highest = watches.exist("/db/z9");
    expect_then_watched(&mut m, exists("/db/z9"), there(), Some(highest));
    m.handle_session(KeeperState::Closed);
    assert_eq!(done(&mut m), DoubleBarrierEvent::Failed(Error::Closed));
}
