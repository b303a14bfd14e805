//! A semaphore's lease guard keeps watch on its lease node, as a lock's guard does on
//! its node, on a real server and on every client (shared, blocking, tokio): a lease
//! held reads `Held`; an operator deleting the lease node makes it `Lost` (and the
//! guard's release then deletes nothing of anyone else's); a cut connection makes it
//! `Uncertain`, then `Held` again after the reconnect; the session's end is `Lost`
//! with the session's error.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::time::Duration;

use common::{PATIENCE, blocking, children, cut_off, end_session, fresh_path, options, shared};
use zk_blocking::{Error, Event, EventType, SharedClient, Version};
use zk_recipes::{Hold, LostReason, Semaphore};
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::shared_standalone;

/// The hold of a lease whose node `node` someone deleted.
fn deleted(node: &str) -> Hold {
    Hold::Lost(LostReason::NodeDeleted {
        path: node.to_string(),
    })
}

/// The lease holders' identifiers, and that the guarding lock is free.
fn holders(zk: &SharedClient, path: &str) -> Vec<String> {
    assert_eq!(
        children(zk, &format!("{path}-__lock__")),
        Vec::<String>::new(),
        "the guarding lock is free"
    );
    Semaphore::new(path, 1, "reader")
        .lease_holders(&mut zk.clone())
        .expect("lease holders")
}

/// Takes the lease of the one-lease semaphore at `path` as `name`, on the shared
/// client, for the holder that comes after a lost one.
fn next_holder(zk: &SharedClient, path: &str, name: &str) -> Semaphore {
    let mut next = Semaphore::new(path, 1, name);
    assert_eq!(next.acquire(&mut zk.clone(), Some(PATIENCE)), Ok(true));
    next
}

/// Waits for the event of the watch on `node` firing for its deletion.
fn node_deleted_event(zk: &SharedClient, node: &str) {
    let events = zk.events();
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(Event::Watch(event))) = events.recv_timeout(Duration::from_millis(100)) {
            if event.event_type == EventType::NodeDeleted && event.path == node {
                return;
            }
        }
    }
    panic!("no watch on {node} fired for its deletion");
}

/// A zk-tokio client of `connect_string`, and the guard of the one lease of a fresh
/// semaphore (`what`) it took: the client, the semaphore's path, the guard.
async fn leased_async(
    connect_string: &str,
    what: &str,
) -> (zk_tokio::Client, String, zk_recipes::AsyncSemaphoreGuard) {
    let zk = zk_tokio::Client::connect(connect_string, options())
        .await
        .expect("connecting zk-tokio");
    let path = fresh_path(what);
    let guard = Semaphore::new(&path, 1, "holder")
        .lease_async(&zk, Some(PATIENCE))
        .await
        .expect("leasing")
        .expect("a free lease");
    (zk, path, guard)
}

#[test]
fn a_shared_lease_deleted_by_an_operator_is_lost_and_its_release_deletes_nothing_else() {
    let server = shared_standalone().connect_string();
    let (zk, operator) = (shared(&server), shared(&server));
    let path = fresh_path("sem-hold-shared");
    let mut guard = Semaphore::new(&path, 1, "holder")
        .lease(&zk, Some(PATIENCE))
        .expect("leasing")
        .expect("a free lease");
    let node = format!("{path}/{}", children(&operator, &path).remove(0));

    // The guard set its watch when it was made: the deletion fires it, with no call
    // on the guard in between (its check is answered meanwhile).
    std::thread::sleep(Duration::from_millis(200));
    operator
        .delete(&node, Version::Any)
        .expect("the operator's delete");
    node_deleted_event(&zk, &node);
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(deleted(&node))
    );
    assert_eq!(guard.hold().unwrap(), deleted(&node), "lost stays lost");
    assert!(!guard.is_lost(), "is_lost still means: the session ended");

    let mut next = next_holder(&operator, &path, "next");
    guard
        .release()
        .expect("releasing a lost lease does not fail");
    assert_eq!(holders(&operator, &path), ["next"], "the next lease stays");
    next.release(&mut operator.clone()).expect("releasing");
}

#[test]
fn a_blocking_lease_deleted_by_an_operator_is_lost_and_its_release_deletes_nothing_else() {
    let server = shared_standalone().connect_string();
    let (mut zk, operator) = (blocking(&server), shared(&server));
    let path = fresh_path("sem-hold-blocking");
    let mut guard = Semaphore::new(&path, 1, "holder")
        .lease_blocking(&mut zk, Some(PATIENCE))
        .expect("leasing")
        .expect("a free lease");
    assert_eq!(guard.hold().unwrap(), Hold::Held);
    let quiet = guard.wait_hold_change(Some(Duration::from_millis(200)));
    assert_eq!(quiet.unwrap(), None, "nothing changed: its time ran out");

    let node = format!("{path}/{}", children(&operator, &path).remove(0));
    operator
        .delete(&node, Version::Any)
        .expect("the operator's delete");
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(deleted(&node))
    );
    assert_eq!(guard.hold().unwrap(), deleted(&node));

    let mut next = next_holder(&operator, &path, "next");
    guard
        .release()
        .expect("releasing a lost lease does not fail");
    assert_eq!(holders(&operator, &path), ["next"], "the next lease stays");
    next.release(&mut operator.clone()).expect("releasing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_lease_deleted_by_an_operator_is_lost_and_its_release_deletes_nothing_else() {
    let server = shared_standalone().connect_string();
    let operator = shared(&server);
    let (zk, path, mut guard) = leased_async(&server, "sem-hold-async").await;
    assert_eq!(guard.hold().await.unwrap(), Hold::Held);
    // A wait given up (dropped) loses nothing.
    let quiet = tokio::time::timeout(Duration::from_millis(200), guard.hold_changed()).await;
    assert!(quiet.is_err(), "nothing changed: {quiet:?}");

    let node = format!("{path}/{}", children(&operator, &path).remove(0));
    operator
        .delete(&node, Version::Any)
        .expect("the operator's delete");
    let told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    assert_eq!(told.expect("in time").unwrap(), deleted(&node));
    assert_eq!(guard.hold().await.unwrap(), deleted(&node));

    let mut next = next_holder(&operator, &path, "next");
    guard
        .release()
        .await
        .expect("releasing a lost lease does not fail");
    assert_eq!(holders(&operator, &path), ["next"], "the next lease stays");
    next.release(&mut operator.clone()).expect("releasing");
    zk.close().await;
}

#[test]
fn a_shared_lease_cut_off_from_the_server_is_uncertain_then_held_after_the_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let zk = shared(&proxy.connect_string());
    let path = fresh_path("sem-cut-shared");
    let mut guard = Semaphore::new(&path, 1, "holder")
        .lease(&zk, Some(PATIENCE))
        .expect("leasing")
        .expect("a free lease");
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
        Some(Hold::Held),
        "the session and its lease survived"
    );
    assert!(!guard.is_uncertain());
    guard.release().expect("releasing");
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn a_blocking_lease_cut_off_from_the_server_is_uncertain_then_held_after_the_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let mut zk = blocking(&proxy.connect_string());
    let path = fresh_path("sem-cut-blocking");
    let mut guard = Semaphore::new(&path, 1, "holder")
        .lease_blocking(&mut zk, Some(PATIENCE))
        .expect("leasing")
        .expect("a free lease");
    assert_eq!(guard.hold().unwrap(), Hold::Held);

    cut_off(&proxy);
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(Hold::Uncertain)
    );
    assert!(guard.is_uncertain() && !guard.is_lost());

    proxy.set_on_accept(OnAccept::Forward);
    assert_eq!(
        guard.wait_hold_change(Some(PATIENCE)).unwrap(),
        Some(Hold::Held)
    );
    assert!(!guard.is_uncertain());
    guard.release().expect("releasing");
    assert_eq!(
        children(&shared(&shared_standalone().connect_string()), &path).len(),
        0
    );
}

#[tokio::test]
async fn an_async_lease_cut_off_from_the_server_is_uncertain_then_held_after_the_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).expect("a proxy");
    let (zk, path, mut guard) = leased_async(&proxy.connect_string(), "sem-cut-async").await;
    assert_eq!(guard.hold().await.unwrap(), Hold::Held);

    cut_off(&proxy);
    let told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    assert_eq!(told.expect("in time").unwrap(), Hold::Uncertain);
    assert!(guard.is_uncertain() && !guard.is_lost());

    proxy.set_on_accept(OnAccept::Forward);
    let told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    assert_eq!(told.expect("in time").unwrap(), Hold::Held);
    assert!(!guard.is_uncertain());
    guard.release().await.expect("releasing");
    assert_eq!(zk.get_children(&path).await.unwrap().len(), 0);
    zk.close().await;
}

#[tokio::test]
async fn an_async_lease_whose_session_expires_is_lost_with_the_sessions_error() {
    let (zk, _path, mut guard) =
        leased_async(&shared_standalone().connect_string(), "sem-expired-async").await;
    let credentials = zk.credentials().expect("a session");
    tokio::task::spawn_blocking(move || end_session(credentials))
        .await
        .expect("ending the session");

    let mut told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    if matches!(told, Ok(Ok(Hold::Uncertain))) {
        // The server dropped the connection first; the reconnect hears the expiry.
        told = tokio::time::timeout(PATIENCE, guard.hold_changed()).await;
    }
    assert_eq!(
        told.expect("in time").unwrap(),
        Hold::Lost(Error::SessionExpired.into())
    );
    let lost = tokio::time::timeout(PATIENCE, guard.lost()).await;
    assert_eq!(lost.expect("lost resolves"), Error::SessionExpired);
    assert!(guard.is_lost());
}
