//! A recipe value (or its call's future) dropped while the create of its node is still
//! unanswered leaves no node behind: the session deletes the node once the late
//! answer names it, so a contender's node does not hold the others up until the
//! session ends. Each reply comes [`slow::SLOW`] late through a proxy.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;
#[path = "slow/mod.rs"]
mod slow;

use std::time::{Duration, Instant};

use common::{blocking, fresh_path, shared};
use slow::{SHORT, assert_no_reply_left_to_the_program, operator, proxy, slow_down};
use zk_recipes::run::Blocking;
use zk_recipes::{Lock, Party};

/// Long enough for the late create's answer and the delete's, each `slow::SLOW` late.
const CLEANED_UP_WITHIN: Duration = Duration::from_secs(12);

/// The nodes under `path`, as a client straight to the server sees them.
fn nodes_under(path: &str) -> Vec<String> {
    common::children(&operator(), path)
}

/// Waits (running `turn` between looks) until nothing is left under `path`; returns
/// what is left if time runs out first.
fn left_under(path: &str, mut turn: impl FnMut()) -> Vec<String> {
    let until = Instant::now() + CLEANED_UP_WITHIN;
    loop {
        let left = nodes_under(path);
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        turn();
    }
}

#[test]
fn a_lock_dropped_while_its_create_is_unanswered_leaves_no_node_on_the_blocking_client() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let path = fresh_path("dropped-unanswered-blocking");
    let mut lock = Lock::new(&path, "me");
    slow_down(&proxy);
    assert!(
        !lock
            .acquire(&mut Blocking::new(&mut zk), Some(SHORT))
            .unwrap()
    );
    drop(lock);
    let left = left_under(&path, || zk.pump(Duration::from_millis(100)));
    assert!(left.is_empty(), "the contender node stayed: {left:?}");
    assert_no_reply_left_to_the_program(&mut zk);
    zk.close();
}

#[test]
fn a_lock_dropped_while_its_create_is_unanswered_leaves_no_node_on_the_shared_client() {
    let proxy = proxy();
    let mut zk = shared(&proxy.connect_string());
    let path = fresh_path("dropped-unanswered-shared");
    let mut lock = Lock::new(&path, "me");
    slow_down(&proxy);
    assert!(!lock.acquire(&mut zk, Some(SHORT)).unwrap());
    drop(lock);
    let left = left_under(&path, || std::thread::sleep(Duration::from_millis(100)));
    assert!(left.is_empty(), "the contender node stayed: {left:?}");
    zk.close();
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_acquire_dropped_while_its_create_is_unanswered_leaves_no_node() {
    let proxy = proxy();
    let zk = slow::tokio_client(&proxy).await;
    let path = fresh_path("dropped-unanswered-async");
    let mut lock = Lock::new(&path, "me");
    slow_down(&proxy);
    let gave_up = tokio::time::timeout(SHORT, lock.acquire_async(&zk)).await;
    assert!(gave_up.is_err(), "the server has not answered yet");
    let left = tokio::task::spawn_blocking(move || {
        left_under(&path, || std::thread::sleep(Duration::from_millis(100)))
    })
    .await
    .unwrap();
    assert!(left.is_empty(), "the contender node stayed: {left:?}");
    // The lock value itself is still usable.
    drop(lock);
    zk.close().await;
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn a_party_join_dropped_while_its_create_is_unanswered_leaves_no_member() {
    let proxy = proxy();
    let zk = slow::tokio_client(&proxy).await;
    let path = fresh_path("dropped-join-async");
    let mut party = Party::new(&path, "me");
    // The party's node exists before the server slows down: only the member's
    // create is left unanswered.
    party.join_async(&zk).await.unwrap();
    party.leave_async(&zk).await.unwrap();
    slow_down(&proxy);
    let gave_up = tokio::time::timeout(SHORT, party.join_async(&zk)).await;
    assert!(gave_up.is_err(), "the server has not answered yet");
    let left = tokio::task::spawn_blocking(move || {
        left_under(&path, || std::thread::sleep(Duration::from_millis(100)))
    })
    .await
    .unwrap();
    assert!(left.is_empty(), "the member node stayed: {left:?}");
    zk.close().await;
}
