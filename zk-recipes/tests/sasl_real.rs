//! A session a server ends for want of SASL (`enforce.auth`) ends the recipes running
//! on it with the error the client gives for it, `SaslRequired` (what to configure),
//! not a bare `AuthFailed`: a server restarted to require SASL refuses the first
//! request of a session made before.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::io::Write;

use common::{PATIENCE, blocking, fresh_path, shared};
use zk_blocking::Error;
use zk_recipes::{Hold, LeaderElection, Leadership, Lock, LostReason};
use zk_tests::{ServerOptions, ZkServer};

/// A server that knows a SASL user but does not require SASL yet.
fn server() -> ZkServer {
    ZkServer::start_standalone(&ServerOptions::default().sasl_digest_user("bob", "bob-secret"))
        .unwrap_or_else(|e| panic!("starting a SASL ZooKeeper: {e}"))
}

/// Restarts `server` requiring SASL of every client (`zoo.cfg`'s unknown keys are
/// `zookeeper.` system properties); the sessions made before live on.
fn require_sasl(server: &mut ZkServer) {
    let mut cfg = std::fs::OpenOptions::new()
        .append(true)
        .open(server.dir().join("zoo.cfg"))
        .expect("opening zoo.cfg");
    writeln!(cfg, "enforce.auth.enabled=true\nenforce.auth.schemes=sasl").expect("writing zoo.cfg");
    server.restart().expect("restarting the server");
}

#[test]
fn a_lock_guard_whose_server_now_requires_sasl_is_lost_with_sasl_required() {
    let mut server = server();
    let zk = shared(&server.connect_string());
    let mut guard = Lock::new(&fresh_path("sasl-guard"), "holder")
        .lock(&zk, Some(PATIENCE))
        .unwrap()
        .expect("held");
    require_sasl(&mut server);
    let lost = loop {
        match guard.wait_hold_change(Some(PATIENCE)).unwrap() {
            Some(Hold::Lost(why)) => break why,
            Some(Hold::Uncertain) | None => continue,
            Some(Hold::Held) => panic!("held after the server required SASL"),
        }
    };
    assert_eq!(lost, LostReason::Error(Error::SaslRequired));
}

#[test]
fn a_leader_on_the_blocking_client_whose_server_now_requires_sasl_is_told_sasl_required() {
    let mut server = server();
    let mut zk = blocking(&server.connect_string());
    let mut leader = LeaderElection::new(&fresh_path("sasl-leader"), "leader");
    let mut driver = zk_recipes::run::Blocking::new(&mut zk);
    assert!(
        leader
            .run_for_leadership(&mut driver, Some(PATIENCE))
            .unwrap()
    );
    require_sasl(&mut server);
    let lost = loop {
        match leader
            .wait_leadership_change(&mut driver, Some(PATIENCE))
            .unwrap()
        {
            Some(Leadership::Lost(why)) => break why,
            Some(Leadership::Uncertain) | None => continue,
            Some(other) => panic!("{other:?} after the server required SASL"),
        }
    };
    assert_eq!(lost, LostReason::Error(Error::SaslRequired));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_leader_whose_server_now_requires_sasl_is_told_sasl_required() {
    let mut server = server();
    let zk = zk_tokio::Client::connect(&server.connect_string(), common::options())
        .await
        .unwrap();
    let mut leader = LeaderElection::new(&fresh_path("sasl-async-leader"), "leader");
    assert!(
        leader
            .run_for_leadership_async(&zk, Some(PATIENCE))
            .await
            .unwrap()
    );
    tokio::task::block_in_place(|| require_sasl(&mut server));
    let lost = loop {
        let change = tokio::time::timeout(PATIENCE, leader.leadership_changed_async(&zk));
        match change.await.expect("a change").unwrap() {
            Leadership::Lost(why) => break why,
            Leadership::Uncertain => continue,
            other => panic!("{other:?} after the server required SASL"),
        }
    };
    assert_eq!(lost, LostReason::Error(Error::SaslRequired));
}
