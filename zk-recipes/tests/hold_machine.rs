//! The watch a held lock (or a leader) keeps on its node, scripted: what it says when
//! the node is deleted, the connection is lost and comes back, or the session ends.

mod common;

use common::{Watches, exists, expect_then, expect_then_watched, fired, not_there, there};
use zk_blocking::{Error, EventType, KeeperState, Request, WatchHandle};
use zk_recipes::{Hold, HoldMachine, LostReason, Recipe};

const NODE: &str = "/election/_c_0123__lock__0000000003";

/// A machine that set its watch on the node: held.
fn watching(watches: &mut Watches) -> (HoldMachine, WatchHandle) {
    let mut m = HoldMachine::new(NODE);
    let watch = watches.exist(NODE);
    expect_then_watched(&mut m, exists(NODE), there(), Some(watch));
    assert_eq!(
        m.poll_output(),
        None,
        "held from the start: no change to tell"
    );
    assert_eq!(m.watch(), Some(watch));
    (m, watch)
}

fn deleted() -> LostReason {
    LostReason::NodeDeleted {
        path: NODE.to_string(),
    }
}

fn check_without_watch() -> Request {
    Request::exists(NODE, false)
}

#[test]
fn a_holder_whose_node_is_deleted_learns_it_lost_the_hold() {
    let mut watches = Watches::new();
    let (mut m, watch) = watching(&mut watches);
    m.handle_watch(&fired(watch, EventType::NodeDeleted, NODE));
    assert_eq!(m.poll_output(), Some(Hold::Lost(deleted())));
    assert_eq!(m.watch(), None);
    assert!(m.poll_submit().is_none(), "nothing more to ask");
}

#[test]
fn a_holder_whose_node_is_gone_before_the_watch_is_set_learns_it_lost_the_hold() {
    let mut m = HoldMachine::new(NODE);
    expect_then(&mut m, exists(NODE), not_there());
    assert_eq!(m.poll_output(), Some(Hold::Lost(deleted())));
}

#[test]
fn a_lost_connection_makes_the_hold_uncertain_and_the_reconnect_asks_the_server_again() {
    let mut watches = Watches::new();
    let (mut m, watch) = watching(&mut watches);
    m.handle_session(KeeperState::Disconnected);
    assert_eq!(m.poll_output(), Some(Hold::Uncertain));
    assert_eq!(m.watch(), Some(watch), "the watch outlives the connection");
    assert!(
        m.poll_submit().is_none(),
        "nothing is asked while disconnected"
    );

    m.handle_session(KeeperState::SyncConnected);
    assert_eq!(
        m.poll_output(),
        None,
        "not held again before the server says so"
    );
    expect_then(&mut m, check_without_watch(), there());
    assert_eq!(m.poll_output(), Some(Hold::Held));
}

#[test]
fn a_node_deleted_while_disconnected_is_lost_at_the_reconnect() {
    let mut watches = Watches::new();
    let (mut m, _) = watching(&mut watches);
    m.handle_session(KeeperState::Disconnected);
    assert_eq!(m.poll_output(), Some(Hold::Uncertain));
    m.handle_session(KeeperState::SyncConnected);
    expect_then(&mut m, check_without_watch(), not_there());
    assert_eq!(m.poll_output(), Some(Hold::Lost(deleted())));
}

#[test]
fn an_expired_session_loses_the_hold_even_while_uncertain() {
    let mut watches = Watches::new();
    let (mut m, _) = watching(&mut watches);
    m.handle_session(KeeperState::Disconnected);
    assert_eq!(m.poll_output(), Some(Hold::Uncertain));
    m.handle_session(KeeperState::Expired);
    assert_eq!(
        m.poll_output(),
        Some(Hold::Lost(Error::SessionExpired.into()))
    );
    m.handle_session(KeeperState::SyncConnected);
    assert_eq!(m.poll_output(), None, "lost stays lost");
    assert!(m.poll_submit().is_none());
}

#[test]
fn a_read_only_server_leaves_the_hold_uncertain() {
    let mut watches = Watches::new();
    let (mut m, _) = watching(&mut watches);
    m.handle_session(KeeperState::ConnectedReadOnly);
    assert_eq!(m.poll_output(), Some(Hold::Uncertain));
    assert!(m.poll_submit().is_none());
}

#[test]
fn a_check_whose_reply_is_lost_is_asked_again_and_answered_after_the_reconnect() {
    let mut m = HoldMachine::new(NODE);
    expect_then(&mut m, exists(NODE), Err(Error::ConnectionLoss));
    assert_eq!(m.poll_output(), Some(Hold::Uncertain));
    // No watch is set yet: the question goes out again, for the session to send
    // once it is connected.
    let mut watches = Watches::new();
    let watch = watches.exist(NODE);
    expect_then_watched(&mut m, exists(NODE), there(), Some(watch));
    assert_eq!(m.poll_output(), None, "the connection is not back yet");
    m.handle_session(KeeperState::SyncConnected);
    expect_then(&mut m, check_without_watch(), there());
    assert_eq!(m.poll_output(), Some(Hold::Held));
}

#[test]
fn a_data_change_on_the_node_sets_the_watch_again_and_stays_held() {
    let mut watches = Watches::new();
    let (mut m, watch) = watching(&mut watches);
    m.handle_watch(&fired(watch, EventType::NodeDataChanged, NODE));
    let again = watches.exist(NODE);
    expect_then_watched(&mut m, exists(NODE), there(), Some(again));
    assert_eq!(m.poll_output(), None);
    assert_eq!(m.watch(), Some(again));
}

#[test]
fn another_watch_firing_changes_nothing() {
    let mut watches = Watches::new();
    let (mut m, _) = watching(&mut watches);
    let other = watches.exist("/elsewhere");
    m.handle_watch(&fired(other, EventType::NodeDeleted, "/elsewhere"));
    assert_eq!(m.poll_output(), None);
    assert!(m.poll_submit().is_none());
}

#[test]
fn a_refused_check_loses_the_hold_with_the_servers_error() {
    let mut m = HoldMachine::new(NODE);
    let refused = Error::NoAuth {
        path: Some(NODE.to_string()),
        chroot: None,
    };
    expect_then(&mut m, exists(NODE), Err(refused.clone()));
    assert_eq!(m.poll_output(), Some(Hold::Lost(refused.into())));
}

#[test]
fn a_check_whose_reply_the_program_took_is_asked_again_not_lost() {
    let mut m = HoldMachine::new(NODE);
    // On the blocking client a check can be out between two waits, and the
    // program's `wait_any` may take its reply meanwhile.
    let taken = Error::UnknownRequest(zk_blocking::RequestId::from_u64(7));
    expect_then(&mut m, exists(NODE), Err(taken));
    assert_eq!(m.poll_output(), None, "still held, as far as anyone knows");
    let mut watches = Watches::new();
    let watch = watches.exist(NODE);
    expect_then_watched(&mut m, exists(NODE), there(), Some(watch));
    assert_eq!(m.poll_output(), None);
    assert_eq!(m.watch(), Some(watch), "and watched");
}
