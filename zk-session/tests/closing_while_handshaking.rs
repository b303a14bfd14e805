//! `close()` while the first handshake is under way: the server may be creating the
//! session, so the close waits for its answer (bounded by the close timeout and the
//! handshake's connect timeout) and closes the session it made; a driver whose
//! connect gave up closes at once instead (`close_after_failed_connect`).

mod common;

use std::time::Duration;

use common::*;
use zk_proto::{ErrorCode, KeeperState, WireRequest};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{CloseReason, Request, RequestError, SessionState};

/// A fresh session whose first ConnectRequest was written to the server (`sent`) or
/// is still in the send buffer, with a request queued behind it.
fn handshaking(sent: bool) -> (Harness, zk_session::RequestId) {
    let mut h = Harness::new(config("a:2181,b:2181"));
    if h.pending_connect().is_none() {
        h.run_next_timer();
    }
    h.accept();
    let id = h.submit(Request::get_data("/a", false));
    if sent {
        let frames = h.flush();
        assert!(
            matches!(frames.as_slice(), [ClientFrame::Connect(c)] if c.session_id == 0),
            "{frames:?}"
        );
    }
    (h, id)
}

#[test]
fn close_while_the_first_handshake_is_answered_closes_the_session_the_server_made() {
    let (mut h, id) = handshaking(true);
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closing);
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::Closing))],
        "the request queued behind the handshake fails once, at the close"
    );
    assert!(closes(&h).is_empty(), "the connection stays for the answer");

    h.deliver(&FakeServer::connect_response(T, SID, [7; 16], Some(false)));
    let frames = h.flush();
    assert!(
        matches!(frames.as_slice(), [f] if *f.request() == WireRequest::CloseSession),
        "closeSession right after the answer: {frames:?}"
    );
    h.deliver(&FakeServer::reply(frames[0].xid(), 1, ErrorCode::Ok, None));
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(
        states(&h.events),
        vec![KeeperState::Closed],
        "no SyncConnected while closing"
    );
    assert_eq!(replies(&h.events).len(), 1, "no reply twice");
    assert_eq!(closes(&h), vec![CloseReason::SessionEnded]);
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn close_while_the_first_handshake_is_unanswered_ends_at_its_connect_timeout() {
    let (mut h, _) = handshaking(true);
    let started = h.now;
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closing);
    while h.session.state() == SessionState::Closing {
        h.run_next_timer().expect("a deadline ends the wait");
        assert!(
            h.pending_connect().is_none(),
            "no new dial for a session no server confirmed"
        );
    }
    assert_eq!(h.session.state(), SessionState::Closed);
    // Two hosts: 15 s to connect and handshake each; the close timeout (3 s) is
    // shorter.
    assert_eq!(h.now.duration_since(started), Duration::from_secs(3));
    assert_eq!(states(&h.events), vec![KeeperState::Closed]);
}

#[test]
fn close_waits_no_longer_than_the_handshakes_connect_timeout() {
    let mut c = config("a:2181,b:2181");
    c.close_timeout = Duration::from_secs(120);
    let mut h = Harness::new(c);
    if h.pending_connect().is_none() {
        h.run_next_timer();
    }
    h.accept();
    h.flush();
    let started = h.now;
    h.session.close(h.now);
    h.pump();
    while h.session.state() == SessionState::Closing {
        h.run_next_timer().expect("a deadline ends the wait");
    }
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(
        h.now.duration_since(started),
        Duration::from_millis(T as u64 / 2),
        "the handshake's connect timeout (T over two hosts)"
    );
    assert_eq!(closes(&h), vec![CloseReason::ConnectTimeout]);
}

#[test]
fn a_handshake_refused_or_lost_while_closing_ends_the_session_closed() {
    let (mut h, _) = handshaking(true);
    h.session.close(h.now);
    h.pump();
    // A 3.8 read-only member's refusal of a new session: a bare error reply.
    h.deliver(&FakeServer::reply(0, 0, ErrorCode::NotReadOnly, None));
    assert_eq!(h.session.state(), SessionState::Closed);
    assert!(
        matches!(
            closes(&h).as_slice(),
            [CloseReason::HandshakeRefused { .. }]
        ),
        "{:?}",
        closes(&h)
    );

    let (mut h, _) = handshaking(true);
    h.session.close(h.now);
    h.pump();
    h.server_close();
    assert_eq!(h.session.state(), SessionState::Closed);
    assert!(h.pending_connect().is_none(), "no new dial");
}

#[test]
fn close_before_the_handshake_went_out_is_immediate() {
    let (mut h, id) = handshaking(false);
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(replies(&h.events), vec![(id, Err(RequestError::Closing))]);
    assert_eq!(closes(&h), vec![CloseReason::SessionEnded]);
}

#[test]
fn close_after_a_failed_connect_does_not_wait_for_the_handshake() {
    let (mut h, id) = handshaking(true);
    h.session.close_after_failed_connect(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(replies(&h.events), vec![(id, Err(RequestError::Closing))]);
    assert_eq!(states(&h.events), vec![KeeperState::Closed]);
    assert_eq!(closes(&h), vec![CloseReason::SessionEnded]);
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn close_after_a_failed_connect_of_an_established_session_closes_it_as_close_does() {
    let mut h = connected("a:2181");
    h.session.close_after_failed_connect(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closing);
    let frames = h.flush();
    assert!(
        matches!(frames.as_slice(), [f] if *f.request() == WireRequest::CloseSession),
        "{frames:?}"
    );
}
