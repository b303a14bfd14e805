//! `close()` while no connection is up: the session still tries to deliver
//! closeSession within the close timeout, so the server removes its ephemerals now.

mod common;

use std::time::Duration;

use common::*;
use zk_proto::KeeperState;
use zk_session::testing::{ClientFrame, FakeServer};
use zk_session::{Event, SessionState};

fn close_frames(frames: &[ClientFrame]) -> usize {
    frames
        .iter()
        .filter(|f| {
            matches!(
                f,
                ClientFrame::Request {
                    request: zk_proto::WireRequest::CloseSession,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn close_while_disconnected_reconnects_and_sends_close_session() {
    let mut h = connected("a:2181,b:2181");
    h.server_close();
    h.take_events();
    h.session.close(h.now);
    assert_eq!(h.session.state(), SessionState::Closing);
    if h.pending_connect().is_none() {
        h.run_next_timer();
    }
    h.accept();
    let frames = h.flush();
    assert!(matches!(frames.as_slice(), [ClientFrame::Connect(c)] if c.session_id == SID));
    h.deliver(&FakeServer::connect_response(T, SID, [7; 16], Some(false)));
    let frames = h.flush();
    assert_eq!(
        close_frames(&frames),
        1,
        "closeSession right after the handshake: {frames:?}"
    );
    let xid = frames[0].xid();
    h.deliver(&FakeServer::reply(xid, 9, zk_proto::ErrorCode::Ok, None));
    assert_eq!(h.session.state(), SessionState::Closed);
    let states: Vec<_> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::State { state, .. } => Some(state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        vec![KeeperState::Closed],
        "no SyncConnected while closing"
    );
}

#[test]
fn close_while_no_server_answers_ends_closed_at_the_close_timeout() {
    let mut h = connected("a:2181");
    h.server_close();
    h.session.close(h.now);
    let started = h.now;
    while h.session.state() == SessionState::Closing {
        if h.pending_connect().is_some() {
            h.refuse();
        } else {
            h.run_next_timer().expect("the close timeout is armed");
        }
    }
    assert_eq!(h.session.state(), SessionState::Closed);
    assert!(
        h.now.duration_since(started) <= Duration::from_secs(3),
        "default close timeout"
    );
}

#[test]
fn close_before_any_handshake_ends_closed_at_once() {
    let mut h = zk_session::testing::Harness::new(config("a:2181"));
    h.session.close(h.now);
    assert_eq!(h.session.state(), SessionState::Closed);
}
