//! Scenarios: network faults between the client and a real server, injected by the
//! fault proxy (cuts, FIN mid-frame, 1-byte slicing, blackholes).

mod common;

use std::time::Duration;
use zk_blocking::Version;

use common::{
    PATIENCE, connect, eventually, fast_server, only_states, options, queued_events, states,
    until_state, watch_summaries,
};
use zk_blocking::{
    CreateMode, Error, EventType, KeeperState, Request, Response, SessionState, Transaction,
};
use zk_tests::proxy::{Direction, Fault, FaultProxy};
use zk_tests::shared_standalone;

/// Long enough that no read timeout fires while a test holds replies back briefly.
const LONG: Duration = Duration::from_secs(10);

/// Frames one way through the proxy, pings left out.
fn frames(proxy: &FaultProxy, direction: Direction) -> u64 {
    let stats = proxy.stats(direction);
    stats.frames - stats.pings
}

#[test]
fn a_cut_connection_fails_exactly_the_requests_in_flight_with_connection_loss() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    let session = zk.session_id();
    zk.create("/cut-in-flight", "x", CreateMode::Ephemeral)
        .unwrap();
    let answered = zk
        .submit(Request::get_data("/cut-in-flight", false))
        .unwrap();
    assert!(matches!(zk.wait(answered), Ok(Response::GetData { .. })));

    // Five requests reach the server, whose replies the proxy swallows.
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
    let (sent, replied) = (
        frames(&proxy, Direction::ToServer),
        frames(&proxy, Direction::ToClient),
    );
    let in_flight: Vec<_> = (0..5)
        .map(|_| {
            zk.submit(Request::get_data("/cut-in-flight", false))
                .unwrap()
        })
        .collect();
    zk.flush();
    eventually("the five requests answered (and dropped)", PATIENCE, || {
        frames(&proxy, Direction::ToServer) >= sent + 5
            && frames(&proxy, Direction::ToClient) >= replied + 5
    });
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    proxy.close_all();

    for id in &in_flight {
        assert_eq!(zk.wait(*id), Err(Error::ConnectionLoss), "request {id}");
        assert_eq!(zk.wait(*id), Err(Error::UnknownRequest(*id)), "only once");
    }
    assert_eq!(zk.outstanding(), 0);
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(zk.session_id(), session);
    // A request made after the cut goes through on the new connection.
    assert_eq!(zk.get_data("/cut-in-flight").unwrap().0, "x");
    assert!(queued_events(&mut zk).is_empty());
    zk.close();
}

#[test]
fn a_cut_right_after_a_reply_delivers_that_reply_once() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    let session = zk.session_id();
    let path = "/cut-after-reply";
    // The create reply: length prefix, reply header (16), then the path as a string.
    let reply_len = 4 + 16 + 4 + path.len() as u64;
    proxy.set_fault(Direction::ToClient, Fault::CutAfter(reply_len));
    let sent = frames(&proxy, Direction::ToServer);
    assert_eq!(zk.create(path, "", CreateMode::Ephemeral).unwrap(), path);
    proxy.set_fault(Direction::ToClient, Fault::Pass);

    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(zk.session_id(), session);
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(zk.wait_any(Duration::ZERO).unwrap(), None);
    // Sent once: the create, then only the new handshake (and this check).
    assert_eq!(zk.get_ephemerals("/").unwrap(), [path]);
    assert_eq!(frames(&proxy, Direction::ToServer), sent + 3);
    zk.close();
}

#[test]
fn a_fin_in_the_middle_of_a_reply_frame_loses_only_that_request() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    let session = zk.session_id();
    let data = vec![b'd'; 100];
    zk.create("/fin-mid-frame", data.clone(), CreateMode::Ephemeral)
        .unwrap();
    // The getData reply is 4 + 16 + 4 + 100 + 68 bytes; let half of it through.
    proxy.set_fault(Direction::ToClient, Fault::CutAfter(90));
    assert_eq!(zk.get_data("/fin-mid-frame"), Err(Error::ConnectionLoss));
    proxy.set_fault(Direction::ToClient, Fault::Pass);

    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(zk.session_id(), session);
    assert_eq!(zk.get_data("/fin-mid-frame").unwrap().0, data);
    assert_eq!(zk.outstanding(), 0);
    zk.close();
}

#[test]
fn one_byte_slices_both_ways_change_nothing() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    proxy.set_faults(Fault::Slice);
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    let mut other = connect(&server.connect_string(), options(LONG));

    assert_eq!(
        zk.create("/sliced", "first", CreateMode::Persistent)
            .unwrap(),
        "/sliced"
    );
    let (data, stat, watch) = zk.get_data_watch("/sliced").unwrap();
    assert_eq!((&data[..], stat.version), (&b"first"[..], 0));
    other
        .set_data("/sliced", "second", Version::Exact(0))
        .unwrap();
    let (data, stat) = zk.get_data("/sliced").unwrap();
    assert_eq!((&data[..], stat.version), (&b"second"[..], 1));
    let results = zk
        .multi(
            Transaction::new()
                .create("/sliced/a", "", CreateMode::Persistent)
                .create("/sliced/b", "", CreateMode::Persistent),
        )
        .unwrap();
    assert_eq!(results.len(), 2);
    let mut children = zk.get_children("/sliced").unwrap();
    children.sort();
    assert_eq!(children, ["a", "b"]);

    let events = queued_events(&mut zk);
    assert_eq!(events.len(), 1, "only the watch event: {events:?}");
    assert_eq!(
        watch_summaries(&events),
        [(EventType::NodeDataChanged, "/sliced", vec![watch])]
    );
    assert_eq!(proxy.accepted(), 1, "no reconnect");
    assert!(proxy.stats(Direction::ToClient).frames >= 7);
    zk.close();
    other.close();
}

#[test]
fn a_blackhole_longer_than_the_timeout_expires_the_session_once() {
    let server = fast_server(|o| o);
    let proxy = FaultProxy::start(server.address()).unwrap();
    let timeout = Duration::from_secs(2);
    let mut zk = connect(&proxy.connect_string(), options(timeout));
    assert_eq!(zk.negotiated_timeout(), Some(timeout));
    let session = zk.session_id();

    proxy.set_faults(Fault::Blackhole);
    // Written before the silence is noticed: lost with the connection.
    let written = zk.submit(Request::exists("/", false)).unwrap();
    zk.flush();
    assert_eq!(zk.wait(written), Err(Error::ConnectionLoss));
    // Queued while no server answers: failed when the session expires.
    let queued = [
        zk.submit(Request::get_data("/", false)).unwrap(),
        zk.submit(Request::create("/never", "", CreateMode::Ephemeral))
            .unwrap(),
    ];
    for id in queued {
        assert_eq!(zk.wait(id), Err(Error::SessionExpired), "request {id}");
    }
    assert_eq!(zk.state(), SessionState::Expired);
    let mut events = Vec::new();
    loop {
        match zk.next_event(Duration::ZERO) {
            Ok(Some(e)) => events.push(e),
            Ok(None) => panic!("a live session? {events:?}"),
            Err(e) => {
                assert_eq!(e, Error::SessionExpired);
                break;
            }
        }
    }
    assert_eq!(
        only_states(&events),
        [KeeperState::Disconnected, KeeperState::Expired]
    );

    // The network heals: nothing dials, nothing is accepted, no new session appears.
    proxy.set_faults(Fault::Pass);
    let accepted = proxy.accepted();
    assert_eq!(zk.exists("/"), Err(Error::SessionExpired));
    assert_eq!(
        zk.submit(Request::exists("/", false)),
        Err(Error::SessionExpired)
    );
    zk.pump(Duration::from_millis(100));
    assert_eq!(proxy.accepted(), accepted);
    assert_eq!(zk.session_id(), session);
    assert_eq!(zk.state(), SessionState::Expired);
}

#[test]
fn a_reset_connection_fails_the_requests_in_flight_with_connection_loss() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    let session = zk.session_id();
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
    let (sent, replied) = (
        frames(&proxy, Direction::ToServer),
        frames(&proxy, Direction::ToClient),
    );
    let in_flight: Vec<_> = (0..3)
        .map(|_| zk.submit(Request::exists("/", false)).unwrap())
        .collect();
    zk.flush();
    eventually("the requests answered (and dropped)", PATIENCE, || {
        frames(&proxy, Direction::ToServer) >= sent + 3
            && frames(&proxy, Direction::ToClient) >= replied + 3
    });
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    proxy.reset_all();
    for id in &in_flight {
        assert_eq!(zk.wait(*id), Err(Error::ConnectionLoss), "request {id}");
    }
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(zk.session_id(), session);
    assert!(zk.exists("/").unwrap().is_some());
    zk.close();
}

#[test]
fn a_delay_well_below_the_read_timeout_changes_nothing() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    proxy.set_faults(Fault::Delay(Duration::from_millis(300)));
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    let mut other = connect(&server.connect_string(), options(LONG));
    zk.create("/delayed", "1", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch("/delayed").unwrap();
    // Pipelined through the delay: replies in order, the watch event before the reply
    // that followed it.
    other.set_data("/delayed", "2", Version::Any).unwrap();
    let ids: Vec<_> = (0..20)
        .map(|_| zk.submit(Request::get_data("/delayed", false)).unwrap())
        .collect();
    for id in ids {
        match zk.wait(id) {
            Ok(Response::GetData { data, .. }) => assert_eq!(data, "2"),
            other => panic!("{other:?}"),
        }
    }
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [(EventType::NodeDataChanged, "/delayed", vec![watch])]
    );
    assert_eq!(proxy.accepted(), 1, "no reconnect");
    zk.close();
    other.close();
}
