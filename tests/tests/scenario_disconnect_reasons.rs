//! Scenarios: when the connection to a real server is cut, the application learns
//! why from the state change itself, without logs: the `reason` of the blocking
//! clients' `Event::Session` (the client's `next_event`, the shared client's event
//! channel), `state_reason()` for the latest, and the async client's
//! `StateChanges::next_with_reason`.

mod common;
#[macro_use]
#[path = "common/tokio.rs"]
mod on_tokio;

use std::time::Duration;

use common::{PATIENCE, connect, options, retrying, until_state};
use zk_blocking::{
    CloseReason, DisconnectCause, Event, Events, HostAddr, KeeperState, SharedClient, StateReason,
};
use zk_tests::proxy::{Fault, FaultProxy};
use zk_tests::shared_standalone;

/// Long enough that no read timeout fires unless a scenario silences the server.
const LONG: Duration = Duration::from_secs(10);
/// The shortest session timeout the shared server grants (2 × its 2 s tick): its read
/// timeout, 2/3 of it, passes in under 3 s.
const SHORT: Duration = Duration::from_secs(4);

/// The proxy's address as the session names the host it dialled.
fn host_of(proxy: &FaultProxy) -> HostAddr {
    let address = proxy.address();
    HostAddr {
        host: address.ip().to_string(),
        port: address.port(),
    }
}

/// What a cut made by `proxy.close_all()` looks like from the client: the server's
/// side of the connection closed it.
fn closed_by(proxy: &FaultProxy) -> StateReason {
    StateReason::Lost {
        host: host_of(proxy),
        cause: DisconnectCause::Eof,
    }
}

/// The last of `events`, which must be a state change to `state`: its reason.
fn reason_of_last(events: &[Event], state: KeeperState) -> Option<StateReason> {
    match events.last() {
        Some(Event::Session { state: s, reason }) if *s == state => reason.clone(),
        other => panic!("expected a change to {state:?}, got {other:?}"),
    }
}

#[test]
fn the_disconnect_event_names_the_server_that_closed_the_connection() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    proxy.close_all();
    let events = until_state(&mut zk, KeeperState::Disconnected);
    let reason = reason_of_last(&events, KeeperState::Disconnected);
    assert_eq!(reason, Some(closed_by(&proxy)));
    assert_eq!(
        reason.unwrap().to_string(),
        format!("server {} closed the connection", proxy.address())
    );
}

#[test]
fn the_reconnect_event_has_no_reason() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(reason_of_last(&events, KeeperState::SyncConnected), None);
}

#[test]
fn the_disconnect_event_of_a_silent_server_says_read_timeout() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(SHORT));
    proxy.set_faults(Fault::Blackhole);
    let events = until_state(&mut zk, KeeperState::Disconnected);
    // The network comes back. The redial begun in the silence may have had its
    // handshake swallowed, and would wait out its connect timeout (the whole 4 s
    // session timeout) past the session's expiry: it is cut, as a router coming back
    // would, and the next one gets through.
    proxy.set_faults(Fault::Pass);
    proxy.close_all();
    let reason = reason_of_last(&events, KeeperState::Disconnected);
    assert_eq!(
        reason,
        Some(StateReason::Dropped {
            host: host_of(&proxy),
            reason: CloseReason::ReadTimeout,
        })
    );
    assert_eq!(
        reason.unwrap().to_string(),
        format!(
            "no reply from {} within the read timeout (ping)",
            proxy.address()
        )
    );
    until_state(&mut zk, KeeperState::SyncConnected);
}

#[test]
fn state_reason_tells_why_without_reading_events() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    assert_eq!(zk.state_reason(), None, "nothing dropped yet");
    proxy.close_all();
    // Calls alone carry the session through the cut; no event is read.
    retrying(&mut zk, |zk| zk.exists("/"));
    let reason = zk.state_reason().expect("the cut has a reason");
    assert!(
        matches!(&reason, StateReason::Lost { host, .. } if *host == host_of(&proxy)),
        "{reason:?}"
    );
}

/// Events of the shared client's channel until the state change to `state`.
fn shared_until_state(events: &Events, state: KeeperState) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        match events.recv_timeout(PATIENCE) {
            Ok(Some(event)) => {
                let done = matches!(&event, Event::Session { state: s, .. } if *s == state);
                seen.push(event);
                if done {
                    return seen;
                }
            }
            Ok(None) => panic!("no change to {state:?} within {PATIENCE:?}; saw {seen:?}"),
            Err(err) => panic!("the session ended ({err}); saw {seen:?}"),
        }
    }
}

#[test]
fn the_shared_clients_disconnect_event_names_the_server_that_closed_the_connection() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let zk = SharedClient::connect(&proxy.connect_string(), options(LONG)).unwrap();
    let events = zk.events();
    shared_until_state(&events, KeeperState::SyncConnected);
    proxy.close_all();
    let seen = shared_until_state(&events, KeeperState::Disconnected);
    assert_eq!(
        reason_of_last(&seen, KeeperState::Disconnected),
        Some(closed_by(&proxy))
    );
    let seen = shared_until_state(&events, KeeperState::SyncConnected);
    assert_eq!(reason_of_last(&seen, KeeperState::SyncConnected), None);
}

async fn the_async_client_hears_why_it_was_disconnected(_root: &str) {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let zk = on_tokio::connect(&proxy.connect_string(), on_tokio::options(LONG)).await;
    let mut changes = zk.state_changes();
    proxy.close_all();
    let change = on_tokio::within("the disconnect", changes.next_with_reason()).await;
    assert_eq!(
        change,
        Some((KeeperState::Disconnected, Some(closed_by(&proxy))))
    );
    let change = on_tokio::within("the reconnect", changes.next_with_reason()).await;
    assert_eq!(change, Some((KeeperState::SyncConnected, None)));
}

on_both_runtimes!(the_async_client_hears_why_it_was_disconnected);
