//! How a session ends: auth failure, close (with requests in flight, by timeout, while
//! connecting), and client-side expiry; the terminal state is reported before the
//! requests it fails.

mod common;

use std::time::Duration;
use zk_session::Version;

use bytes::Bytes;
use zk_proto::{ErrorCode, KeeperState};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{
    CloseReason, Event, HostAddr, Registration, Request, RequestError, RequestId, SessionState,
    StateReason, SubmitError, WatchKind,
};

use common::{
    HarnessExt, SID, T, closes, config, connected, connected_with, data_reply, reg, replies, stat,
    states, watch_data,
};

#[test]
fn auth_failure_is_terminal() {
    let mut h = connected("a");
    let id = h.submit(Request::get_data("/x", false));
    h.session
        .add_auth("digest", Bytes::from_static(b"bad"), h.now)
        .unwrap();
    h.flush();
    h.deliver(&FakeServer::reply(-4, 0, ErrorCode::AuthFailed, None));
    assert_eq!(h.session.state(), SessionState::AuthFailed);
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::AuthFailed))]
    );
    assert_eq!(states(&h.events), vec![KeeperState::AuthFailed]);
    assert!(
        h.session
            .submit(Request::get_data("/x", false), h.now)
            .is_err()
    );
}

#[test]
fn close_sends_the_requests_submitted_before_it_and_answers_them_in_submit_order() {
    let mut h = connected("a");
    let (written, sent) = h.submit_and_flush(Request::get_data("/a", false));
    // a large write fills the send buffer past its high-water mark, so /c stays queued
    let big = h.submit(Request::set_data("/big", vec![0u8; 70_000], Version::Any));
    let queued = h.submit(Request::get_data("/c", false));
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closing);
    assert!(replies(&h.events).is_empty(), "nothing fails at the close");
    h.session.close(h.now); // harmless
    assert!(matches!(
        h.session.submit(Request::get_data("/d", false), h.now),
        Err(SubmitError::NotAccepting {
            state: SessionState::Closing,
            ..
        })
    ));
    let f = h.flush();
    assert_eq!(f.len(), 3, "the big write, /c, then closeSession");
    assert_eq!(f[2].request(), &zk_proto::WireRequest::CloseSession);
    h.deliver(&data_reply(sent.xid(), 1));
    h.deliver(&FakeServer::ok(
        f[0].xid(),
        2,
        &zk_proto::WireResponse::SetData(zk_proto::SetDataResponse { stat: stat(1) }),
    ));
    h.deliver(&data_reply(f[1].xid(), 2));
    assert_eq!(h.session.state(), SessionState::Closing);
    h.deliver(&FakeServer::reply(f[2].xid(), 3, ErrorCode::Ok, None));
    assert_eq!(h.session.state(), SessionState::Closed);
    let r = replies(&h.events);
    let order: Vec<RequestId> = r.iter().map(|(id, _)| *id).collect();
    assert_eq!(order, [written, big, queued], "in submit order: {r:?}");
    assert!(r.iter().all(|(_, r)| r.is_ok()), "each carried out: {r:?}");
    assert_eq!(states(&h.events), vec![KeeperState::Closed]);
    assert_eq!(closes(&h), vec![CloseReason::SessionEnded]);
}

#[test]
fn close_timeout_then_closed() {
    let mut h = connected("a");
    let (id, _) = h.submit_and_flush(Request::get_data("/a", false));
    h.session.close(h.now);
    h.flush();
    h.advance(Duration::from_secs(3));
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(replies(&h.events), vec![(id, Err(RequestError::Closing))]);
    h.session.close(h.now);
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn close_while_connecting_is_immediate() {
    let mut h = Harness::new(config("a"));
    let id = h.submit(Request::get_data("/a", false));
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(replies(&h.events), vec![(id, Err(RequestError::Closing))]);
}

#[test]
fn a_long_close_timeout_ends_closed_not_expired() {
    let mut c = config("a");
    c.close_timeout = Duration::from_secs(120);
    let mut h = connected_with(c);
    h.session.close(h.now);
    h.flush();
    // 4/3 T = 40 s pass without a word from the server
    h.advance(Duration::from_secs(60));
    assert_ne!(h.session.state(), SessionState::Expired);
    while h.session.state() == SessionState::Closing {
        h.run_next_timer();
    }
    assert_eq!(h.session.state(), SessionState::Closed);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::State {
            state: KeeperState::Closed,
            ..
        }
    )));
}

#[test]
fn client_side_expiry_after_four_thirds_without_a_server() {
    let mut h = connected("a");
    let heard = h.now;
    h.server_close();
    let id = h.submit(Request::get_data("/x", false));
    // every reconnect fails
    while h.session.state() != SessionState::Expired {
        if h.pending_connect().is_some() {
            h.refuse();
        } else {
            h.run_next_timer().unwrap();
        }
        assert!(h.now <= heard + Duration::from_secs(40));
    }
    assert_eq!(h.now, heard + Duration::from_secs(40));
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::SessionExpired))]
    );
    assert_eq!(states(&h.events).last(), Some(&KeeperState::Expired));
    assert_eq!(h.session.poll_transport(h.now), None);
}

/// Refuses every dial until one is asked for at or after `at`; returns with that one
/// pending.
fn refuse_dials_until(h: &mut Harness, at: std::time::Instant) {
    loop {
        if h.pending_connect().is_some() {
            if h.now >= at {
                return;
            }
            h.refuse();
        } else {
            h.run_next_timer().unwrap();
        }
    }
}

#[test]
fn client_side_expiry_waits_for_the_answer_of_a_handshake_under_way() {
    let mut h = connected("a,b");
    let heard = h.now;
    h.server_close();
    // A server accepts a connection just before the expiry: its ensemble elects a
    // leader and it answers only once that is done.
    refuse_dials_until(&mut h, heard + Duration::from_secs(30));
    h.accept();
    h.flush();
    // Past the expiry (40 s after the last answer), within the connect timeout (T / 2
    // hosts = 15 s after the accept, which came at 30 s or later).
    let past_the_expiry = heard + Duration::from_secs(41) - h.now;
    h.advance(past_the_expiry);
    assert_eq!(
        h.session.state(),
        SessionState::Connecting,
        "not expired meanwhile"
    );
    h.deliver(&FakeServer::connect_response(T, SID, [7; 16], Some(false)));
    assert_eq!(h.session.state(), SessionState::Connected);
    assert_eq!(h.session.credentials().map(|c| c.session_id), Some(SID));
}

#[test]
fn client_side_expiry_comes_when_a_handshake_under_way_times_out() {
    let mut h = connected("a,b");
    let heard = h.now;
    h.server_close();
    refuse_dials_until(&mut h, heard + Duration::from_secs(30));
    let accepted = h.now;
    h.accept();
    h.flush();
    // Nothing answers: the connect timeout (T / 2 hosts) ends the attempt, and with it
    // the session, whose expiry was due.
    while h.session.state() != SessionState::Expired {
        h.run_next_timer().unwrap();
    }
    assert_eq!(h.now, accepted + Duration::from_secs(15));
}

#[test]
fn client_side_expiry_can_be_turned_off() {
    let mut c = config("a");
    c.client_side_expiry = false;
    let mut h = Harness::new(c);
    h.establish(T, SID);
    h.server_close();
    for _ in 0..200 {
        if h.pending_connect().is_some() {
            h.refuse();
        } else {
            h.run_next_timer().unwrap();
        }
    }
    assert_eq!(h.session.state(), SessionState::Connecting);
}

#[test]
fn add_auth_after_the_session_ended_is_refused() {
    let mut h = connected("a");
    h.session.close(h.now);
    h.flush();
    let refused = h
        .session
        .add_auth("digest", Bytes::from_static(b"u:p"), h.now);
    assert!(matches!(
        refused,
        Err(SubmitError::NotAccepting {
            state: SessionState::Closing,
            ..
        })
    ));
    assert!(h.flush().is_empty(), "a refused auth must not be sent");
}

/// The events of a session's end: first the terminal state (naming `registrations`,
/// with its `reason`), then every outstanding request failed with `err`, in submit
/// order.
fn ending(
    (state, reason): (KeeperState, StateReason),
    registrations: Vec<Registration>,
    failed: &[RequestId],
    err: RequestError,
) -> Vec<Event> {
    let mut events = vec![Event::State {
        state,
        registrations,
        reason: Some(reason),
    }];
    events.extend(failed.iter().map(|&id| Event::Reply {
        id,
        result: Err(err.clone()),
        registration: None,
    }));
    events
}

/// The one host of `connected("a")`.
fn host_a() -> HostAddr {
    HostAddr {
        host: "a".to_string(),
        port: 2181,
    }
}

#[test]
fn a_server_declared_expiry_reports_expired_before_the_failed_replies() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    h.server_close();
    // queued while disconnected: a request, and one the session answers itself
    let a = h.submit(Request::get_data("/a", false));
    let m = h.submit(Request::Multi(vec![]));
    h.take_events();
    h.establish_with(FakeServer::connect_response(0, 0, [0; 16], Some(false)));
    assert_eq!(
        h.take_events(),
        ending(
            (
                KeeperState::Expired,
                StateReason::ExpiredByServer { host: host_a() }
            ),
            vec![reg(w, WatchKind::Data, "/w")],
            &[a, m],
            RequestError::SessionExpired
        )
    );
}

#[test]
fn an_auth_failure_reports_auth_failed_before_the_failed_replies() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    let written = h.submit(Request::get_data("/a", false));
    h.session
        .add_auth("digest", Bytes::from_static(b"bad"), h.now)
        .unwrap();
    h.flush();
    h.take_events();
    h.deliver(&FakeServer::reply(-4, 0, ErrorCode::AuthFailed, None));
    assert_eq!(
        h.take_events(),
        ending(
            (
                KeeperState::AuthFailed,
                StateReason::AuthRejected { host: host_a() }
            ),
            vec![reg(w, WatchKind::Data, "/w")],
            &[written],
            RequestError::AuthFailed
        )
    );
}

#[test]
fn a_close_timeout_reports_closed_before_the_failed_replies() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    let (written, _) = h.submit_and_flush(Request::get_data("/a", false));
    h.session.close(h.now);
    h.flush();
    h.take_events();
    h.advance(Duration::from_secs(3));
    assert_eq!(
        h.take_events(),
        ending(
            (
                KeeperState::Closed,
                StateReason::ClosedByApplication { confirmed: false }
            ),
            vec![reg(w, WatchKind::Data, "/w")],
            &[written],
            RequestError::Closing
        )
    );
}

/// A server with `enforce.auth.enabled` answers any request of a session that has not
/// authenticated the way it requires, a ping included, with −124 and closes the
/// connection: the session ends `AuthFailed` with a reason that says to configure
/// SASL, its requests fail with the server's code, and nothing is redialled.
#[test]
fn a_server_requiring_sasl_ends_the_session_on_a_ping_without_redialling() {
    let mut h = connected("a:1,b:2");
    h.advance(Duration::from_secs(9));
    let ping = h.flush();
    assert_eq!(common::pings(&ping), 1);
    let queued = h.submit(Request::get_data("/x", false));
    h.deliver(&FakeServer::reply(
        -2,
        0,
        ErrorCode::SessionClosedRequireSaslAuth,
        None,
    ));
    assert_eq!(h.session.state(), SessionState::AuthFailed);
    assert_eq!(states(&h.events), vec![KeeperState::AuthFailed]);
    let reason = h.session.state_reason().unwrap().to_string();
    assert!(reason.contains("requires SASL"), "{reason}");
    assert_eq!(
        replies(&h.events),
        vec![(
            queued,
            Err(RequestError::Server {
                code: ErrorCode::SessionClosedRequireSaslAuth,
                path: None,
                chroot: None
            })
        )]
    );
    h.advance(Duration::from_secs(60));
    assert_eq!(h.pending_connect(), None, "no redial");
}

/// After the server required SASL, requests and credentials are refused saying why
/// the session ended, so that a client can tell its users what to configure.
#[test]
fn requests_after_the_server_required_sasl_are_refused_saying_so() {
    let mut h = connected("a");
    let (_, sent) = h.submit_and_flush(Request::get_data("/x", false));
    h.deliver(&FakeServer::reply(
        sent.xid(),
        0,
        ErrorCode::SessionClosedRequireSaslAuth,
        None,
    ));
    let required = h.session.state_reason().cloned();
    assert!(
        matches!(required, Some(StateReason::AuthRequired { .. })),
        "{required:?}"
    );
    let refused = SubmitError::NotAccepting {
        state: SessionState::AuthFailed,
        reason: required,
    };
    assert_eq!(
        h.session.submit(Request::get_data("/x", false), h.now),
        Err(refused.clone())
    );
    assert_eq!(
        h.session
            .add_auth("digest", Bytes::from_static(b"u:p"), h.now),
        Err(refused.clone())
    );
    assert!(refused.to_string().contains("requires SASL"), "{refused}");
}

/// closeSession is a request too: refused with −124, the close ends the session
/// `Closed`, unconfirmed (the server keeps it until it expires).
#[test]
fn a_close_refused_for_want_of_sasl_is_closed_unconfirmed() {
    let mut h = connected("a");
    h.session.close(h.now);
    let close = h.flush();
    h.deliver(&FakeServer::reply(
        close[0].xid(),
        0,
        ErrorCode::SessionClosedRequireSaslAuth,
        None,
    ));
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(
        h.session.state_reason(),
        Some(&StateReason::ClosedByApplication { confirmed: false })
    );
}
