//! Scenarios: the errors a Java ZooKeeper user expects, on a real server, from every
//! client. An empty ACL is the same `InvalidAcl` the server gives an ACL it refuses
//! (Java's `InvalidACLException`, thrown before anything is sent), naming the path,
//! in a create, a setACL and a transaction. A missing watch is `NoWatcher` naming the
//! client path (Java's `NoWatcherException`), under a chroot too.

mod common;
#[allow(unused_macros)]
#[path = "common/tokio.rs"]
mod on_tokio;

use std::time::Duration;

use common::{connect, options};
use zk_blocking::zk_proto::{Acl, Id, Perms};
use zk_blocking::{
    Client, CreateMode, CreateOptions, Error, ErrorCode, SharedClient, Transaction, Version,
    WatcherType,
};
use zk_test_support::assert_matches;
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

fn client() -> Client {
    connect(&shared_standalone().connect_string(), options(TIMEOUT))
}

/// A client at the root, and one chrooted at `chroot` (created first).
fn chrooted(chroot: &str) -> (Client, Client) {
    let mut root = client();
    root.create(chroot, "", CreateMode::Persistent).unwrap();
    let cs = format!("{}{chroot}", shared_standalone().connect_string());
    (root, connect(&cs, options(TIMEOUT)))
}

fn no_acl() -> CreateOptions {
    CreateOptions::new(CreateMode::Persistent).acl(Vec::new())
}

/// `auth` ACLs name the session's own identities: a session without credentials has
/// none, so the server refuses such an ACL with INVALIDACL.
fn auth_acl() -> CreateOptions {
    CreateOptions::new(CreateMode::Persistent).acl(vec![Acl::new(Perms::ALL, Id::auth_ids())])
}

/// Asserts that `error` is the ACL error about `path`, with a message that says what
/// to pass.
fn assert_invalid_acl_on(error: &Error, path: &str) {
    assert_matches!(error, Error::InvalidAcl { .. });
    assert_eq!(
        (error.code(), error.path()),
        (Some(ErrorCode::InvalidAcl), Some(path))
    );
    let msg = error.to_string();
    assert!(
        msg.contains(path) && msg.contains("empty") && msg.contains("Acl::open_unsafe()"),
        "{msg}"
    );
}

// ----- an empty ACL ------------------------------------------------------------------

#[test]
fn an_empty_acl_fails_a_create_as_the_server_fails_an_invalid_acl() {
    let mut zk = client();
    let refused_here = zk.create_with("/ec-empty-acl", "", &no_acl()).unwrap_err();
    assert_invalid_acl_on(&refused_here, "/ec-empty-acl");
    let refused_there = zk.create_with("/ec-auth-acl", "", &auth_acl()).unwrap_err();
    assert_invalid_acl_on(&refused_there, "/ec-auth-acl");
    assert_eq!(zk.exists("/ec-empty-acl"), Ok(None), "nothing was created");
    zk.close();
}

#[test]
fn an_empty_acl_fails_a_set_acl_naming_the_node() {
    let mut zk = client();
    zk.create("/ec-set-empty-acl", "", CreateMode::Persistent)
        .unwrap();
    let refused = zk
        .set_acl("/ec-set-empty-acl", Vec::new(), Version::Any)
        .unwrap_err();
    assert_invalid_acl_on(&refused, "/ec-set-empty-acl");
    assert_eq!(
        zk.get_acl("/ec-set-empty-acl").unwrap().0,
        Acl::open_unsafe(),
        "the ACL is unchanged"
    );
    zk.close();
}

#[test]
fn an_empty_acl_fails_a_transaction_at_once_with_nothing_applied() {
    let mut zk = client();
    let tx = Transaction::new()
        .create("/ec-tx-first", "", CreateMode::Persistent)
        .create_with("/ec-tx-no-acl", "", &no_acl(), false);
    let refused = zk.multi(tx).unwrap_err();
    assert_invalid_acl_on(&refused, "/ec-tx-no-acl");
    assert_eq!(zk.exists("/ec-tx-first"), Ok(None), "nothing was applied");
    zk.close();
}

#[test]
fn an_empty_acl_under_a_chroot_names_the_client_path_and_the_chroot() {
    let (mut root, mut zk) = chrooted("/ec-acl-chroot");
    let refused = zk.create_with("/n", "", &no_acl()).unwrap_err();
    assert_invalid_acl_on(&refused, "/n");
    assert_eq!(refused.chroot(), Some("/ec-acl-chroot"));
    assert!(
        refused
            .to_string()
            .contains("/n (under chroot /ec-acl-chroot)"),
        "{refused}"
    );
    zk.close();
    root.close();
}

#[test]
fn an_empty_acl_fails_a_shared_client_create_as_invalid_acl() {
    let zk =
        SharedClient::connect(&shared_standalone().connect_string(), options(TIMEOUT)).unwrap();
    let refused = zk
        .create_with("/ec-shared-no-acl", "", &no_acl())
        .unwrap_err();
    assert_invalid_acl_on(&refused, "/ec-shared-no-acl");
    zk.close();
}

#[tokio::test]
async fn an_empty_acl_fails_a_tokio_create_and_transaction_as_invalid_acl() {
    let zk = on_tokio::connect(&shared_standalone().connect_string(), options(TIMEOUT)).await;
    let refused = zk
        .create_with("/ec-tokio-no-acl", "", &no_acl())
        .await
        .unwrap_err();
    assert_invalid_acl_on(&refused, "/ec-tokio-no-acl");
    let tx = Transaction::new().create_with("/ec-tokio-tx-no-acl", "", &no_acl(), false);
    let refused = zk.multi(tx).await.unwrap_err();
    assert_invalid_acl_on(&refused, "/ec-tokio-tx-no-acl");
    zk.close().await;
}

// ----- a missing watch ---------------------------------------------------------------

/// Asserts that `error` is NoWatcher about `path`.
fn assert_no_watcher_on(error: &Error, path: &str) {
    assert_matches!(error, Error::NoWatcher { .. });
    assert_eq!(
        (error.code(), error.path()),
        (Some(ErrorCode::NoWatcher), Some(path))
    );
    let msg = error.to_string();
    assert!(
        msg.starts_with(&format!("NoWatcher: {path}")) && msg.contains("no such watch"),
        "{msg}"
    );
}

#[test]
fn removing_watches_that_are_not_there_names_the_path() {
    let mut zk = client();
    zk.create("/ec-unwatched", "", CreateMode::Persistent)
        .unwrap();
    let refused = zk
        .remove_watches("/ec-unwatched", WatcherType::Any)
        .unwrap_err();
    assert_no_watcher_on(&refused, "/ec-unwatched");
    zk.close();
}

#[test]
fn removing_a_watch_that_fired_names_no_path_and_says_it_is_gone() {
    let mut zk = client();
    zk.create("/ec-fired", "", CreateMode::Persistent).unwrap();
    let (_, watch) = zk.exists_watch("/ec-fired").unwrap();
    zk.set_data("/ec-fired", "x", Version::Any).unwrap();
    common::next_watch(&mut zk);
    let refused = zk.remove_watch(watch).unwrap_err();
    assert_matches!(refused, Error::NoWatcher { .. });
    assert_eq!(
        (refused.code(), refused.path()),
        (Some(ErrorCode::NoWatcher), None)
    );
    let msg = refused.to_string();
    assert!(
        msg.starts_with("NoWatcher: ") && msg.contains("no such watch") && !msg.contains("req#"),
        "{msg}"
    );
    assert_eq!(zk.wait_watch(watch, Duration::ZERO), Err(refused));
    zk.close();
}

#[test]
fn removing_watches_under_a_chroot_names_the_client_path_and_the_chroot() {
    let (mut root, mut zk) = chrooted("/ec-watch-chroot");
    zk.create("/w", "", CreateMode::Persistent).unwrap();
    let refused = zk.remove_watches("/w", WatcherType::Data).unwrap_err();
    assert_no_watcher_on(&refused, "/w");
    assert_eq!(refused.chroot(), Some("/ec-watch-chroot"));
    zk.close();
    root.close();
}

#[test]
fn a_shared_client_removing_watches_that_are_not_there_names_the_path() {
    let zk =
        SharedClient::connect(&shared_standalone().connect_string(), options(TIMEOUT)).unwrap();
    zk.create("/ec-shared-unwatched", "", CreateMode::Persistent)
        .unwrap();
    let refused = zk
        .remove_watches("/ec-shared-unwatched", WatcherType::Any)
        .unwrap_err();
    assert_no_watcher_on(&refused, "/ec-shared-unwatched");
    zk.close();
}

#[tokio::test]
async fn a_tokio_client_removing_watches_that_are_not_there_names_the_path() {
    let zk = on_tokio::connect(&shared_standalone().connect_string(), options(TIMEOUT)).await;
    zk.create("/ec-tokio-unwatched", "", CreateMode::Persistent)
        .await
        .unwrap();
    let refused = zk
        .remove_watches("/ec-tokio-unwatched", WatcherType::Any)
        .await
        .unwrap_err();
    assert_no_watcher_on(&refused, "/ec-tokio-unwatched");
    zk.close().await;
}
