//! A new host list for a live session (`update_server_list`, Java's
//! `updateServerList`), on a 3-member ensemble: a client connected only to member A
//! is given the list [B, C]. It must end on B or C with the same session, a call in
//! flight and one made during the move both succeed, and a watch set before still
//! fires. One scenario per client (blocking, shared, tokio); the ensemble is shared.

#![cfg(unix)]

mod common;
#[allow(unused_macros)]
#[path = "common/tokio.rs"]
mod on_tokio;

use std::sync::OnceLock;
use std::time::Duration;

use common::{
    PATIENCE, connect, eventually, member_holding, next_watch, states, until_state, watch_summary,
};
use zk_blocking::{
    Client, CreateMode, Event, EventType, KeeperState, Request, SharedClient, StateReason, Version,
};
use zk_tests::{Ensemble, ServerOptions};

const TIMEOUT: Duration = Duration::from_secs(8);

/// The ensemble every scenario of this file uses (each under its own node). Statics
/// are never dropped: the members' watchdogs stop them when the process exits.
fn ensemble() -> &'static Ensemble {
    static ENSEMBLE: OnceLock<Ensemble> = OnceLock::new();
    ENSEMBLE.get_or_init(|| {
        let ensemble = Ensemble::start(
            3,
            &ServerOptions::default().tick_time(Duration::from_millis(500)),
        )
        .unwrap_or_else(|err| panic!("starting the ensemble: {err}"));
        ensemble.wait_for_leader(PATIENCE).unwrap();
        ensemble
    })
}

/// Member A's connect string, and the list of the other two, B and C.
fn a_and_the_others() -> (String, String) {
    let members = ensemble().members();
    let others: Vec<String> = members[1..].iter().map(|m| m.connect_string()).collect();
    (members[0].connect_string(), others.join(","))
}

/// The session is on B or C now, and A holds it no more.
fn assert_moved_off_a(session: i64) {
    let a = ensemble().members()[0].myid();
    eventually("the session to be on B or C only", PATIENCE, || {
        member_holding(ensemble(), session).is_some_and(|m| Some(m) != a)
    });
}

/// Changes `path`'s data from a client of B and C, firing data watches on it.
fn change_from_elsewhere(path: &str, hosts: &str) {
    let mut other = connect(hosts, common::options(TIMEOUT));
    other.set_data(path, "changed", Version::Any).unwrap();
    other.close();
}

/// The reason of the `Disconnected` event among `events` names the move.
fn disconnect_names_the_move(reason: Option<&StateReason>) {
    let said = reason.map(ToString::to_string).unwrap_or_default();
    assert!(said.ends_with("of the new host list"), "{said:?}");
}

#[test]
fn the_blocking_client_moves_off_a_member_left_out_of_the_list_with_its_session_calls_and_watch() {
    let (a, b_and_c) = a_and_the_others();
    let root = "/server-list-blocking";
    let mut zk = connect(&a, common::options(TIMEOUT));
    let session = zk.session_id();
    zk.create(root, "", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch(root).unwrap();

    let in_flight = zk.submit(Request::exists(root, false)).unwrap();
    zk.flush();
    zk.update_server_list(&b_and_c).unwrap();
    let during = zk.submit(Request::get_data(root, false)).unwrap();
    assert!(zk.wait(in_flight).is_ok(), "the call in flight is answered");
    assert!(zk.wait(during).is_ok(), "the call made during the move");
    assert!(zk.exists(root).unwrap().is_some(), "a call after the move");

    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    let Event::Session { reason, .. } = &events[0] else {
        panic!("{events:?}")
    };
    disconnect_names_the_move(reason.as_ref());
    assert_eq!(zk.session_id(), session, "the same session");
    assert_moved_off_a(session);

    change_from_elsewhere(root, &b_and_c);
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDataChanged, root, vec![watch])
    );
    zk.close();
}

#[test]
fn the_shared_client_moves_off_a_member_left_out_of_the_list_with_its_session_calls_and_watch() {
    let (a, b_and_c) = a_and_the_others();
    let root = "/server-list-shared";
    let zk = SharedClient::connect(&a, common::options(TIMEOUT)).unwrap();
    let events = zk.events();
    let session = zk.session_id();
    zk.create(root, "", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch(root).unwrap();

    let in_flight = zk.submit(Request::exists(root, false)).unwrap();
    zk.update_server_list(&b_and_c).unwrap();
    let during = zk.submit(Request::get_data(root, false)).unwrap();
    assert!(
        in_flight.wait().unwrap().result.is_ok(),
        "the call in flight"
    );
    assert!(
        during.wait().unwrap().result.is_ok(),
        "the call made during the move"
    );
    assert!(zk.exists(root).unwrap().is_some(), "a call after the move");

    let mut seen = Vec::new();
    while seen.last() != Some(&KeeperState::SyncConnected) || seen.len() < 2 {
        match events.recv_timeout(PATIENCE) {
            Ok(Some(Event::Session { state, reason })) => {
                if state == KeeperState::Disconnected {
                    disconnect_names_the_move(reason.as_ref());
                }
                seen.push(state);
            }
            Ok(Some(_)) => {}
            other => panic!("no reconnect: {other:?} after {seen:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            KeeperState::SyncConnected,
            KeeperState::Disconnected,
            KeeperState::SyncConnected
        ]
    );
    assert_eq!(zk.session_id(), session, "the same session");
    assert_moved_off_a(session);

    change_from_elsewhere(root, &b_and_c);
    match zk.wait_watch(watch, PATIENCE) {
        Ok(Some(Event::Watch(fired))) => assert_eq!(
            watch_summary(&fired),
            (EventType::NodeDataChanged, root, vec![watch])
        ),
        other => panic!("the watch did not fire: {other:?}"),
    }
    zk.close();
}

#[tokio::test(flavor = "current_thread")]
async fn the_tokio_client_moves_off_a_member_left_out_of_the_list_with_its_session_calls_and_watch()
{
    let (a, b_and_c) = a_and_the_others();
    let root = "/server-list-tokio";
    let zk = on_tokio::connect(&a, on_tokio::options(TIMEOUT)).await;
    let mut state_changes = zk.state_changes();
    let session = zk.session_id();
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let (_, _, watch) = zk.get_data_watch(root).await.unwrap();

    let in_flight = zk.submit(Request::exists(root, false)).unwrap();
    // The driver task (on this one thread) writes the request before the move starts.
    tokio::task::yield_now().await;
    zk.update_server_list(&b_and_c).unwrap();
    let during = zk.get_data(root);
    let answered = on_tokio::within("the call in flight", in_flight).await;
    assert!(answered.result.is_ok(), "the call in flight");
    assert!(during.await.is_ok(), "the call made during the move");
    assert!(
        zk.exists(root).await.unwrap().is_some(),
        "a call after the move"
    );

    assert_eq!(
        on_tokio::next_state(&mut state_changes).await,
        KeeperState::Disconnected
    );
    disconnect_names_the_move(zk.state_reason().as_ref());
    assert_eq!(
        on_tokio::next_state(&mut state_changes).await,
        KeeperState::SyncConnected
    );
    assert_eq!(zk.session_id(), session, "the same session");
    tokio::task::spawn_blocking(move || assert_moved_off_a(session))
        .await
        .unwrap();

    let other = on_tokio::connect(&b_and_c, on_tokio::options(TIMEOUT)).await;
    other.set_data(root, "changed", Version::Any).await.unwrap();
    let fired = on_tokio::fired(watch).await;
    assert_eq!(on_tokio::what(&fired), (EventType::NodeDataChanged, root));
    other.close().await;
    zk.close().await;
}

#[test]
fn a_list_that_does_not_parse_or_names_another_chroot_is_refused_and_the_session_stays() {
    let (a, _) = a_and_the_others();
    let mut zk: Client = connect(&a, common::options(TIMEOUT));
    let conn = zk.conn_id();
    let refused = [
        zk.update_server_list(""),
        zk.update_server_list(&format!("{a}/other")),
    ];
    assert!(
        matches!(&refused[0], Err(zk_blocking::Error::Config(_))),
        "{refused:?}"
    );
    assert!(
        matches!(&refused[1], Err(zk_blocking::Error::InvalidArgument(m)) if m.contains("chroot")),
        "{refused:?}"
    );
    assert!(zk.exists("/").unwrap().is_some());
    assert_eq!(zk.conn_id(), conn, "the same connection");
    zk.close();
}
