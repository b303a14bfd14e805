//! Every state change that loses something says why: the reason on the
//! `Event::State` and from `Session::state_reason`, with a sentence naming the server.

mod common;

use std::time::Duration;

use zk_proto::KeeperState;
use zk_session::testing::FakeServer;
use zk_session::{CloseReason, DisconnectCause, Event, HostAddr, StateReason};

use common::{SID, T, config, connected};

/// The state events among `events`, with their reasons.
fn state_events(events: &[Event]) -> Vec<(KeeperState, Option<StateReason>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::State { state, reason, .. } => Some((*state, reason.clone())),
            _ => None,
        })
        .collect()
}

fn host(name: &str) -> HostAddr {
    HostAddr {
        host: name.to_string(),
        port: 2181,
    }
}

#[test]
fn a_server_closing_the_connection_is_the_disconnect_reason() {
    let mut h = connected("a");
    h.server_close();
    let lost = StateReason::Lost {
        host: host("a"),
        cause: DisconnectCause::Eof,
    };
    assert_eq!(
        state_events(&h.take_events()),
        [(KeeperState::Disconnected, Some(lost.clone()))]
    );
    assert_eq!(h.session.state_reason(), Some(&lost));
    assert_eq!(lost.to_string(), "server a:2181 closed the connection");
}

#[test]
fn a_silent_server_is_dropped_for_the_read_timeout_and_says_so() {
    let mut h = connected("a");
    h.advance(Duration::from_millis(T as u64 * 2 / 3));
    let dropped = StateReason::Dropped {
        host: host("a"),
        reason: CloseReason::ReadTimeout,
    };
    assert_eq!(
        state_events(&h.take_events()),
        [(KeeperState::Disconnected, Some(dropped.clone()))]
    );
    assert_eq!(
        dropped.to_string(),
        "no reply from a:2181 within the read timeout (ping)"
    );
}

#[test]
fn connected_states_carry_no_reason() {
    let mut h = connected("a");
    h.server_close();
    h.take_events();
    h.establish(T, SID);
    assert_eq!(
        state_events(&h.take_events()),
        [(KeeperState::SyncConnected, None)]
    );
    assert!(
        h.session.state_reason().is_some(),
        "the last disconnect's reason is kept"
    );
}

#[test]
fn client_side_expiry_says_how_long_no_server_was_heard() {
    let mut h = connected("a");
    h.server_close();
    h.take_events();
    // every dial fails until the session expires at 4/3 T
    for _ in 0..1_000 {
        if h.session.state() == zk_session::SessionState::Expired {
            break;
        }
        if h.pending_connect().is_some() {
            h.refuse();
        } else {
            h.run_next_timer().unwrap();
        }
    }
    let expired = StateReason::ExpiredUnheard {
        silent_for: Duration::from_millis(T as u64 * 4 / 3),
    };
    assert_eq!(
        state_events(&h.take_events()),
        [(KeeperState::Expired, Some(expired.clone()))]
    );
    assert_eq!(
        expired.to_string(),
        "no server heard from for 40000 ms, 4/3 of the session timeout"
    );
}

#[test]
fn a_confirmed_close_says_so() {
    let mut h = connected("a");
    h.session.close(h.now);
    let close = h.flush();
    h.deliver(&FakeServer::reply(
        close[0].xid(),
        1,
        zk_proto::ErrorCode::Ok,
        None,
    ));
    assert_eq!(
        state_events(&h.take_events()),
        [(
            KeeperState::Closed,
            Some(StateReason::ClosedByApplication { confirmed: true })
        )]
    );
}

#[test]
fn a_close_before_any_session_is_unconfirmed() {
    let mut h = zk_session::testing::Harness::new(config("a"));
    h.session.close(h.now);
    h.pump();
    assert_eq!(
        state_events(&h.take_events()),
        [(
            KeeperState::Closed,
            Some(StateReason::ClosedByApplication { confirmed: false })
        )]
    );
}
