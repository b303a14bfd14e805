//! Scenarios: what a reconnect carries over — queued requests, persistent watches, exist
//! watches — and sessions that end while the client is not pumping.

mod common;

use std::sync::OnceLock;
use std::time::Duration;
use zk_blocking::Version;

use common::{
    barrier, connect, fast_server, next_watch, only_states, options, queued_events, state_of,
    states, until_state, watch_summaries, watch_summary,
};
use zk_blocking::{
    AddWatchMode, CreateMode, Error, Event, EventType, KeeperState, Request, Response, SessionState,
};
use zk_tests::proxy::{Direction, Fault, FaultProxy, OnAccept};
use zk_tests::{ZkServer, shared_standalone};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A server that allows 1 s sessions, for the expiry scenarios of this file.
fn short_session_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| fast_server(|o| o))
}

#[test]
fn a_call_after_the_server_dropped_an_idle_connection_goes_out_on_the_next_one() {
    for cut in [FaultProxy::close_all, FaultProxy::reset_all] {
        let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
        let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
        let session = zk.session_id();
        zk.create("/idle-cut", "", CreateMode::Ephemeral).unwrap();
        // The blocking client reads only while it is called: the cut waits unseen.
        cut(&proxy);
        std::thread::sleep(Duration::from_millis(200));

        // Nothing reached the server: the request waits for the next connection
        // instead of failing with ConnectionLoss.
        assert!(zk.exists("/idle-cut").unwrap().is_some());
        assert_eq!(zk.session_id(), session);
        assert_eq!(
            only_states(&queued_events(&mut zk)),
            [KeeperState::Disconnected, KeeperState::SyncConnected]
        );
        zk.close();
    }
}

#[test]
fn a_call_after_a_notification_and_then_the_servers_close_goes_out_on_the_next_one() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let mut other = connect(&shared_standalone().connect_string(), options(TIMEOUT));
    zk.create("/idle-notified", "", CreateMode::Ephemeral)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/idle-notified").unwrap();
    // While the client is idle: a notification, then the connection's close.
    other.set_data("/idle-notified", "1", Version::Any).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    proxy.close_all();
    std::thread::sleep(Duration::from_millis(200));

    assert!(zk.exists("/idle-notified").unwrap().is_some());
    let (watches, others): (Vec<_>, Vec<_>) = queued_events(&mut zk)
        .into_iter()
        .partition(|e| matches!(e, Event::Watch(_)));
    assert_eq!(
        watch_summaries(&watches),
        [(EventType::NodeDataChanged, "/idle-notified", vec![watch])]
    );
    assert_eq!(
        only_states(&others),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    zk.close();
    other.close();
}

#[test]
fn requests_queued_while_disconnected_go_out_in_order_after_the_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    zk.create("/queued", "", CreateMode::Persistent).unwrap();
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);

    let mut ids: Vec<_> = (0..3)
        .map(|_| {
            zk.submit(Request::create(
                "/queued/n-",
                "",
                CreateMode::PersistentSequential,
            ))
            .unwrap()
        })
        .collect();
    ids.push(zk.submit(Request::get_children("/queued", false)).unwrap());
    // Dials keep failing meanwhile; nothing is lost.
    zk.pump(Duration::from_millis(300));
    assert_eq!(zk.outstanding(), 4);
    assert_eq!(zk.state(), SessionState::Connecting);

    proxy.set_on_accept(OnAccept::Forward);
    for (i, id) in ids[..3].iter().enumerate() {
        match zk.wait(*id) {
            Ok(Response::Create { path, .. }) => {
                assert_eq!(path, format!("/queued/n-000000000{i}"));
            }
            other => panic!("create {i}: {other:?}"),
        }
    }
    match zk.wait(ids[3]) {
        Ok(Response::GetChildren { children, .. }) => assert_eq!(children.len(), 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        only_states(&queued_events(&mut zk)),
        [KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), session);
    zk.close();
}

#[test]
fn persistent_watches_survive_a_reconnect_without_catch_up_events() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let mut other = connect(&server.connect_string(), options(TIMEOUT));
    zk.create("/pw", "", CreateMode::Persistent).unwrap();
    let persistent = zk.add_watch("/pw", AddWatchMode::Persistent).unwrap();
    let recursive = zk
        .add_watch("/pw", AddWatchMode::PersistentRecursive)
        .unwrap();

    // A change while the client is cut off: persistent watches do not catch up.
    proxy.close_all();
    other
        .create("/pw/missed", "", CreateMode::Persistent)
        .unwrap();
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    barrier(&mut zk);
    assert!(queued_events(&mut zk).is_empty());

    // Both are registered on the new connection.
    other.set_data("/pw", "x", Version::Any).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (
            EventType::NodeDataChanged,
            "/pw",
            vec![persistent, recursive]
        )
    );
    other.set_data("/pw/missed", "y", Version::Any).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDataChanged, "/pw/missed", vec![recursive])
    );
    zk.close();
    other.close();
}

#[test]
fn an_exists_watch_fires_for_a_node_created_while_disconnected() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let mut other = connect(&server.connect_string(), options(TIMEOUT));
    let (stat, watch) = zk.exists_watch("/appeared").unwrap();
    assert_eq!(stat, None);

    proxy.close_all();
    other
        .create("/appeared", "", CreateMode::Ephemeral)
        .unwrap();
    let events = common::events_until(&mut zk, |e| matches!(e, Event::Watch(_)));
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(
        watch_summaries(&events[2..]),
        [(EventType::NodeCreated, "/appeared", vec![watch])]
    );
    zk.close();
    other.close();
}

#[test]
fn a_request_timeout_fails_the_request_and_resets_the_connection() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(
        &proxy.connect_string(),
        options(TIMEOUT).request_timeout(Duration::from_millis(800)),
    );
    let session = zk.session_id();
    // The request never reaches the server; redials are refused until the check is
    // done, so the reconnect happens on a healthy path.
    proxy.set_fault(Direction::ToServer, Fault::Blackhole);
    proxy.set_on_accept(OnAccept::Reset);
    let started = std::time::Instant::now();
    assert_eq!(zk.exists("/"), Err(Error::RequestTimeout));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(800), "{took:?}");
    proxy.set_fault(Direction::ToServer, Fault::Pass);
    proxy.set_on_accept(OnAccept::Forward);
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), session);
    assert!(zk.exists("/").unwrap().is_some());
    zk.close();
}

/// A client that stops pumping for longer than its timeout: the server expires the
/// session (its ephemeral goes), and the client's next call says so.
fn idle_past_expiry(client_side_expiry: bool) -> Vec<Event> {
    let server = short_session_server();
    let timeout = Duration::from_secs(1);
    let mut zk = connect(
        &server.connect_string(),
        options(timeout).client_side_expiry(client_side_expiry),
    );
    assert_eq!(zk.negotiated_timeout(), Some(timeout));
    let node = format!("/idle-{client_side_expiry}");
    zk.create(&node, "", CreateMode::Ephemeral).unwrap();
    let mut observer = connect(&server.connect_string(), options(Duration::from_secs(4)));
    let (_, watch) = observer.exists_watch(&node).unwrap();
    // zk is not pumping meanwhile
    assert_eq!(
        watch_summary(&next_watch(&mut observer)),
        (EventType::NodeDeleted, node.as_str(), vec![watch])
    );

    assert_eq!(zk.exists("/"), Err(Error::SessionExpired));
    assert_eq!(zk.state(), SessionState::Expired);
    observer.close();
    let mut events = Vec::new();
    while let Ok(Some(e)) = zk.next_event(Duration::ZERO) {
        events.push(e);
    }
    events
}

#[test]
fn an_unpumped_client_finds_its_session_expired_at_its_next_call() {
    let events = idle_past_expiry(true);
    // Its own clock tells it first: no reconnect is needed to know.
    assert_eq!(events.last().and_then(state_of), Some(KeeperState::Expired));
    assert_eq!(
        events
            .iter()
            .filter(|e| state_of(e) == Some(KeeperState::Expired))
            .count(),
        1
    );
    assert!(
        events.iter().all(|e| matches!(e, Event::Session { .. })),
        "{events:?}"
    );
}

#[test]
fn with_client_side_expiry_off_the_server_reports_the_expiry_at_reconnect() {
    let events = idle_past_expiry(false);
    assert_eq!(
        only_states(&events),
        [KeeperState::Disconnected, KeeperState::Expired]
    );
}

#[test]
fn requests_still_unwritten_when_the_connection_drops_are_sent_on_the_next_one() {
    // A frozen server stops reading, so the client's writes back up: part of the
    // pipeline is in the socket buffers ("written"), the rest still in the session.
    // Then the server dies and comes back with the session (it is in its log).
    let timeout = Duration::from_secs(12);
    let mut server = fast_server(|o| o.max_session_timeout(timeout));
    let mut zk = connect(&server.connect_string(), options(timeout));
    let session = zk.session_id();
    zk.create("/backed-up", "", CreateMode::Persistent).unwrap();
    server.pause().unwrap();
    let chunk = vec![7u8; 256 * 1024];
    // 80 x 256 KiB: more than loopback socket buffers hold. A wrong version makes each
    // a cheap BADVERSION for the server; the last one applies.
    let mut ids: Vec<_> = (0..79)
        .map(|_| {
            zk.submit(Request::set_data(
                "/backed-up",
                chunk.clone(),
                Version::Exact(12345),
            ))
            .unwrap()
        })
        .collect();
    ids.push(
        zk.submit(Request::set_data("/backed-up", "last", Version::Any))
            .unwrap(),
    );
    zk.flush(); // writes until the buffers are full (bounded by the ping deadline)
    server.kill().unwrap();
    server.restart().unwrap();

    let mut outcomes = Vec::new();
    for id in &ids {
        let result = zk.wait(*id);
        match &result {
            Err(Error::ConnectionLoss) => outcomes.push(false),
            Err(Error::BadVersion { .. }) | Ok(Response::SetData(_)) => outcomes.push(true),
            other => panic!("request {id}: {other:?}"),
        }
        assert_eq!(zk.wait(*id), Err(Error::UnknownRequest(*id)), "only once");
    }
    let lost = outcomes.iter().take_while(|ok| !**ok).count();
    assert!(lost > 0, "some were written before the drop: {outcomes:?}");
    assert!(
        lost < outcomes.len() && outcomes[lost..].iter().all(|ok| *ok),
        "written ones lost, then every unwritten one sent and answered: {outcomes:?}"
    );
    assert_eq!(zk.get_data("/backed-up").unwrap().0, "last");
    assert_eq!(zk.session_id(), session);
    let events = queued_events(&mut zk);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected],
        "{events:?}"
    );
    zk.close();
}
