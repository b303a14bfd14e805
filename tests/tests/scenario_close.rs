//! Scenarios: closing a session with requests in flight, and closing twice.

mod common;

use std::time::{Duration, Instant};

use common::{connect, only_states, options, queued_events};
use zk_blocking::{CreateMode, Error, KeeperState, Request, Response, SessionState};
use zk_tests::proxy::{Direction, Fault, FaultProxy};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn close_with_fifty_requests_in_flight_completes_each_once() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    zk.create("/closing-parent", "", CreateMode::Persistent)
        .unwrap();
    let ids: Vec<_> = (0..50)
        .map(|i| {
            zk.submit(Request::create(
                format!("/closing-parent/n{i}"),
                "",
                CreateMode::Persistent,
            ))
            .unwrap()
        })
        .collect();
    zk.flush(); // on the wire, before the closeSession
    zk.close();
    assert_eq!(zk.state(), SessionState::Closed);

    // Each request has exactly one completion; written before the close, each was
    // answered before it.
    for (i, id) in ids.iter().enumerate() {
        match zk.wait(*id) {
            Ok(Response::Create { path, .. }) => assert_eq!(path, format!("/closing-parent/n{i}")),
            other => panic!("request {i}: {other:?}"),
        }
        assert_eq!(zk.wait(*id), Err(Error::UnknownRequest(*id)));
    }
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(only_states(&queued_events(&mut zk)), [KeeperState::Closed]);
    let mut observer = connect(&server.connect_string(), options(TIMEOUT));
    assert_eq!(
        observer.get_all_children_number("/closing-parent").unwrap(),
        50
    );
    // The server got exactly 50 creates, the create of the parent and the close.
    let to_server = proxy.stats(Direction::ToServer);
    assert_eq!(to_server.frames - to_server.pings, 1 + 1 + 50 + 1);
    observer.close();
}

#[test]
fn close_sends_every_request_submitted_before_it_and_the_server_carries_them_out() {
    let server = shared_standalone();
    let mut zk = connect(&server.connect_string(), options(TIMEOUT));
    zk.create("/closing-after-many", "", CreateMode::Persistent)
        .unwrap();
    // More than the session buffers for the socket (64 KiB): the tail is still queued
    // in the session when close runs, and goes out before the closeSession (as Java
    // sends it), not failed.
    let ids: Vec<_> = (0..3000)
        .map(|i| {
            zk.submit(Request::create(
                format!("/closing-after-many/node-{i:05}"),
                "",
                CreateMode::Persistent,
            ))
            .unwrap()
        })
        .collect();
    zk.close();
    assert_eq!(zk.state(), SessionState::Closed);
    for (i, id) in ids.iter().enumerate() {
        match zk.wait(*id) {
            Ok(Response::Create { .. }) => {}
            other => panic!("request {i}: {other:?}"),
        }
        assert_eq!(zk.wait(*id), Err(Error::UnknownRequest(*id)), "only once");
    }
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(only_states(&queued_events(&mut zk)), [KeeperState::Closed]);
    let mut observer = connect(&server.connect_string(), options(TIMEOUT));
    assert_eq!(
        observer
            .get_all_children_number("/closing-after-many")
            .unwrap(),
        3000
    );
    observer.close();
}

#[test]
fn a_second_close_is_harmless() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    zk.close();
    assert_eq!(zk.state(), SessionState::Closed);
    let sent = proxy.stats(Direction::ToServer);
    zk.close();
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(proxy.stats(Direction::ToServer), sent, "nothing sent");
    assert_eq!(proxy.accepted(), 1, "nothing dialled");
    assert_eq!(only_states(&queued_events(&mut zk)), [KeeperState::Closed]);
    assert_eq!(zk.next_event(Duration::ZERO), Err(Error::Closed));
    assert_eq!(zk.exists("/"), Err(Error::Closed));
    drop(zk); // and dropping a closed client does nothing either
    assert_eq!(proxy.stats(Direction::ToServer), sent);
}

#[test]
fn close_returns_after_the_close_timeout_when_the_server_does_not_answer() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(
        &proxy.connect_string(),
        options(TIMEOUT).close_timeout(Duration::from_millis(500)),
    );
    proxy.set_faults(Fault::Blackhole);
    let ids: Vec<_> = (0..3)
        .map(|_| zk.submit(Request::exists("/", false)).unwrap())
        .collect();
    zk.flush();
    let started = Instant::now();
    zk.close();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(3),
        "close took {took:?}"
    );
    assert_eq!(zk.state(), SessionState::Closed);
    for id in ids {
        assert_eq!(zk.wait(id), Err(Error::Closed), "request {id}");
    }
    assert_eq!(only_states(&queued_events(&mut zk)), [KeeperState::Closed]);
}
