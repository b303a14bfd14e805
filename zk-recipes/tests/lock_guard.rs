//! Lock guards: released on drop, and told when the session (and the lock) is lost.

use std::time::Duration;

use zk_blocking::{Options, SharedClient};
use zk_recipes::Lock;
use zk_tests::shared_standalone;

fn shared() -> SharedClient {
    SharedClient::connect(&shared_standalone().connect_string(), Options::new()).unwrap()
}

async fn async_client() -> zk_tokio::Client {
    zk_tokio::Client::connect(
        &shared_standalone().connect_string(),
        zk_tokio::Options::new(),
    )
    .await
    .unwrap()
}

#[test]
fn dropping_a_guard_releases_the_lock_for_the_next_contender() {
    let (holder, other) = (shared(), shared());
    let path = "/guard-drop";
    let guard = Lock::new(path, "holder").lock(&holder, None).unwrap();
    let guard = guard.expect("a free lock is taken");
    let mut waiting = Lock::new(path, "other");
    assert!(
        !waiting.try_acquire(&mut other.clone()).unwrap(),
        "held by the guard"
    );
    drop(guard);
    assert!(
        waiting
            .acquire(&mut other.clone(), Some(Duration::from_secs(20)))
            .unwrap()
    );
    waiting.release(&mut other.clone()).unwrap();
}

#[test]
fn a_guard_whose_session_ended_says_the_lock_is_lost() {
    let holder = shared();
    let guard = Lock::new("/guard-lost", "holder")
        .lock(&holder, None)
        .unwrap()
        .expect("a free lock is taken");
    assert!(!guard.is_lost());
    holder.close();
    assert!(guard.is_lost());
}

#[tokio::test]
async fn an_async_guard_releases_on_drop_and_resolves_lost_when_the_session_ends() {
    let (holder, other) = (async_client().await, async_client().await);
    let path = "/guard-async";
    let guard = Lock::new(path, "holder")
        .lock_async(&holder, None)
        .await
        .unwrap()
        .expect("a free lock is taken");
    let behind = Lock::new(path, "other")
        .lock_async(&other, Some(Duration::from_millis(300)))
        .await
        .unwrap();
    assert!(behind.is_none(), "held by the guard");
    drop(guard);
    let mut guard = Lock::new(path, "other")
        .lock_async(&other, Some(Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("free again once the guard is dropped");
    other.close().await;
    let lost = tokio::time::timeout(Duration::from_secs(20), guard.lost()).await;
    assert_eq!(lost.expect("lost resolves"), zk_blocking::Error::Closed);
    holder.close().await;
}

#[tokio::test]
async fn an_async_acquire_that_times_out_behind_a_holder_leaves_no_node_and_no_place() {
    let (holder, other) = (async_client().await, async_client().await);
    let path = "/guard-async-timeout";
    let mut held = Lock::new(path, "holder");
    assert!(held.acquire_async(&holder).await.unwrap());

    let mut waiting = Lock::new(path, "other");
    let started = std::time::Instant::now();
    assert!(
        !waiting
            .acquire_for_async(&other, Duration::from_millis(300))
            .await
            .unwrap()
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(waiting.node_path().is_some(), "acquire_for keeps its place");
    waiting.cancel_async(&other).await.unwrap();
    assert_eq!(waiting.node_path(), None);
    assert_eq!(
        other.get_children(path).await.unwrap().len(),
        1,
        "only the holder's node is left"
    );
    held.release_async(&holder).await.unwrap();
    holder.close().await;
    other.close().await;
}

#[test]
fn a_blocking_guard_lends_its_client_for_the_hold_and_releases_on_drop() {
    let cs = shared_standalone().connect_string();
    let mut holder = zk_blocking::Client::connect(&cs, Options::new()).unwrap();
    let other = shared();
    let path = "/guard-blocking";
    {
        let mut guard = Lock::new(path, "holder")
            .lock_blocking(&mut holder, None)
            .unwrap()
            .expect("a free lock is taken");
        // The client, through the guard, inside the critical section.
        assert!(guard.exists(path).unwrap().is_some());
        assert!(!guard.is_lost());
        let mut behind = Lock::new(path, "other");
        assert!(!behind.try_acquire(&mut other.clone()).unwrap());
    }
    let mut after = Lock::new(path, "other");
    assert!(
        after.try_acquire(&mut other.clone()).unwrap(),
        "released on drop"
    );
    after.release(&mut other.clone()).unwrap();
}

#[tokio::test]
async fn try_acquire_on_the_tokio_client_takes_a_free_lock_and_leaves_no_node_behind_a_holder() {
    let (holder, other) = (async_client().await, async_client().await);
    let path = "/guard-async-try";
    let mut held = Lock::new(path, "holder");
    assert!(held.try_acquire_async(&holder).await.unwrap(), "free");
    let mut behind = Lock::new(path, "other");
    assert!(!behind.try_acquire_async(&other).await.unwrap(), "held");
    assert_eq!(behind.node_path(), None);
    assert_eq!(other.get_children(path).await.unwrap().len(), 1);
    held.release_async(&holder).await.unwrap();
    assert!(
        behind.try_acquire_async(&other).await.unwrap(),
        "free again"
    );
    behind.release_async(&other).await.unwrap();
    holder.close().await;
    other.close().await;
}
