//! Scenarios: giving a create up together with its node (`abandon_and_delete`), on a
//! real server, on every client. The node a given-up create made is deleted by the
//! session whether its reply was already in, still on its way, or lost with the
//! connection (an ephemeral node this session owns is found and deleted after the
//! reconnect, also when the client already holds that lost reply); nothing of it
//! reaches the program.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{PATIENCE, barrier, connect, eventually, options};
use zk_blocking::{Client, CreateMode, Request, SessionState, SharedClient};
use zk_tests::proxy::{Direction, Fault, FaultProxy};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh parent for one scenario, made by `zk`.
fn fresh_parent(zk: &mut Client, what: &str) -> String {
    let path = format!("/abandon-and-delete-{what}-{}", std::process::id());
    zk.create(&path, "", CreateMode::Persistent)
        .unwrap_or_else(|err| panic!("creating {path}: {err}"));
    path
}

fn contender_create(parent: &str) -> Request {
    Request::create(
        format!("{parent}/_c_5e1f-lock-"),
        Bytes::new(),
        CreateMode::EphemeralSequential,
    )
}

/// The children of `parent`, seen by `observer` (a client of its own).
fn children(observer: &mut Client, parent: &str) -> Vec<String> {
    observer
        .get_children(parent)
        .unwrap_or_else(|err| panic!("listing {parent}: {err}"))
}

fn assert_emptied(observer: &mut Client, parent: &str) {
    eventually("the given-up create's node to be deleted", PATIENCE, || {
        children(observer, parent).is_empty()
    });
}

fn server() -> String {
    shared_standalone().connect_string()
}

#[test]
fn a_create_given_up_after_its_reply_came_has_its_node_deleted() {
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "reply-in");
    let mut zk = connect(&server(), options(TIMEOUT));
    let id = zk.submit(contender_create(&parent)).unwrap();
    // A later call's reply means the create's is in, untaken.
    barrier(&mut zk);
    assert_eq!(children(&mut observer, &parent).len(), 1);
    assert!(zk.abandon_and_delete(id));
    barrier(&mut zk);
    assert!(children(&mut observer, &parent).is_empty());
    assert!(zk.wait_any(Duration::ZERO).unwrap().is_none());
}

#[test]
fn a_create_given_up_under_a_chroot_has_its_node_deleted_under_that_chroot() {
    let mut observer = connect(&server(), options(TIMEOUT));
    let chroot = fresh_parent(&mut observer, "chroot");
    observer
        .create(&format!("{chroot}/locks"), "", CreateMode::Persistent)
        .unwrap();
    let mut zk = connect(&format!("{}{chroot}", server()), options(TIMEOUT));
    let id = zk.submit(contender_create("/locks")).unwrap();
    assert!(zk.abandon_and_delete(id));
    barrier(&mut zk);
    assert_emptied(&mut observer, &format!("{chroot}/locks"));
}

#[test]
fn a_create_given_up_while_its_reply_is_on_its_way_has_its_node_deleted() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "on-its-way");
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    proxy.set_fault(Direction::ToClient, Fault::Delay(Duration::from_secs(1)));
    let id = zk.submit(contender_create(&parent)).unwrap();
    zk.pump(Duration::from_millis(200));
    assert!(zk.abandon_and_delete(id));
    let mut pumped = zk;
    eventually("the node to be deleted", PATIENCE, || {
        pumped.pump(Duration::from_millis(100));
        children(&mut observer, &parent).is_empty()
    });
    assert!(pumped.wait_any(Duration::ZERO).unwrap().is_none());
}

#[test]
fn an_ephemeral_create_lost_with_its_connection_is_found_and_deleted_after_the_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "lost");
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    // The server applies the create; its answer never reaches the client.
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
    let id = zk.submit(contender_create(&parent)).unwrap();
    eventually("the create to be applied", PATIENCE, || {
        zk.pump(Duration::from_millis(50));
        children(&mut observer, &parent).len() == 1
    });
    assert!(zk.abandon_and_delete(id));
    // A node named like it that another session made must stay.
    let mut other = connect(&server(), options(TIMEOUT));
    let others = other
        .create(
            &format!("{parent}/_c_5e1f-lock-"),
            "",
            CreateMode::EphemeralSequential,
        )
        .unwrap();
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    proxy.close_all();
    eventually("only the other session's node to be left", PATIENCE, || {
        zk.pump(Duration::from_millis(100));
        children(&mut observer, &parent).len() == 1
    });
    let left = children(&mut observer, &parent);
    assert_eq!(format!("{parent}/{}", left[0]), others);
    assert!(zk.wait_any(Duration::ZERO).unwrap().is_none());
    assert_eq!(zk.session_id(), session, "the same session all along");
}

#[test]
fn an_ephemeral_create_given_up_after_the_client_pulled_its_connection_loss_is_found_and_deleted() {
    // A lock whose timed-out acquire left its create out, dropped after the
    // connection dropped: the ConnectionLoss is in the client's queue, untaken.
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "lost-pulled");
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    hold_answers(&proxy);
    let id = zk.submit(contender_create(&parent)).unwrap();
    lose_the_answer(&proxy, &mut observer, &parent, || {
        zk.pump(Duration::from_millis(50));
        zk.state() == SessionState::Connected && zk.session().outstanding() == 0
    });
    assert_eq!(zk.outstanding(), 1, "the reply is the client's, untaken");
    assert!(zk.abandon_and_delete(id));
    eventually("the node to be deleted", PATIENCE, || {
        zk.pump(Duration::from_millis(100));
        children(&mut observer, &parent).is_empty()
    });
    assert!(zk.wait_any(Duration::ZERO).unwrap().is_none());
    assert_eq!(zk.session_id(), session, "the same session all along");
}

#[cfg(unix)]
#[test]
fn the_shared_client_s_pending_reply_gives_its_create_up_with_the_node() {
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "shared");
    let zk = SharedClient::connect(&server(), options(TIMEOUT)).unwrap();
    let given_up = zk.submit(contender_create(&parent)).unwrap();
    let later = zk.submit(Request::exists("/", false)).unwrap();
    later.wait().unwrap();
    given_up.abandon_and_delete();
    assert_emptied(&mut observer, &parent);
    zk.close();
}

#[tokio::test]
async fn the_async_client_s_pending_reply_gives_its_create_up_with_the_node() {
    let parent = {
        let mut observer = connect(&server(), options(TIMEOUT));
        fresh_parent(&mut observer, "tokio")
    };
    let zk = zk_tokio::Client::connect(&server(), zk_tokio::Options::new())
        .await
        .unwrap();
    let given_up = zk.submit(contender_create(&parent)).unwrap();
    given_up.abandon_and_delete();
    zk.exists(&parent).await.unwrap();
    let left = tokio::task::spawn_blocking(move || {
        let mut observer = connect(&server(), options(TIMEOUT));
        assert_emptied(&mut observer, &parent);
        children(&mut observer, &parent)
    })
    .await
    .unwrap();
    assert!(left.is_empty());
    zk.close().await;
}

/// Loses the answer of the contender's create the client just submitted through
/// `proxy` (with answers to the client held back: [`hold_answers`]): once the server
/// applied it, the connection is cut. `settled` (asked while waiting; it may drive
/// the client) says when the client holds the ConnectionLoss and is connected again.
fn lose_the_answer(
    proxy: &FaultProxy,
    observer: &mut Client,
    parent: &str,
    mut settled: impl FnMut() -> bool,
) {
    eventually("the create to be applied", PATIENCE, || {
        settled();
        children(observer, parent).len() == 1
    });
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    proxy.close_all();
    eventually(
        "the client to hold the lost reply, reconnected",
        PATIENCE,
        &mut settled,
    );
    assert_eq!(children(observer, parent).len(), 1, "nothing looked for it");
}

/// Answers to the client through `proxy` go nowhere from now on.
fn hold_answers(proxy: &FaultProxy) {
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
}

#[cfg(unix)]
#[test]
fn the_shared_client_s_lost_reply_in_gives_its_create_up_with_the_node() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "shared-lost");
    let zk = SharedClient::connect(&proxy.connect_string(), options(TIMEOUT)).unwrap();
    hold_answers(&proxy);
    let given_up = zk.submit(contender_create(&parent)).unwrap();
    lose_the_answer(&proxy, &mut observer, &parent, || {
        zk.state() == SessionState::Connected && zk.outstanding() == 0
    });
    given_up.abandon_and_delete();
    assert_emptied(&mut observer, &parent);
    zk.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_client_s_lost_reply_in_gives_its_create_up_with_the_node() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut observer = connect(&server(), options(TIMEOUT));
    let parent = fresh_parent(&mut observer, "tokio-lost");
    let zk = zk_tokio::Client::connect(&proxy.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    hold_answers(&proxy);
    let given_up = zk.submit(contender_create(&parent)).unwrap();
    // The client's task runs on the runtime's workers while this thread blocks.
    lose_the_answer(&proxy, &mut observer, &parent, || {
        zk.state() == SessionState::Connected && zk.outstanding() == 0
    });
    given_up.abandon_and_delete();
    assert_emptied(&mut observer, &parent);
    zk.close().await;
}
