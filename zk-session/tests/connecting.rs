//! Connecting: the handshake of a new or resumed session, handshake answers that
//! cannot start a session, the connect timeout per host, and the backoff after a pass
//! of failed hosts.

mod common;

use std::time::Duration;

use zk_proto::KeeperState;
use zk_session::testing::{FakeServer, Harness};
use zk_session::{CloseReason, Request, RequestError, SessionState, SubmitError};

use common::{
    HarnessExt, SID, T, closes, config, connect_response_with_password, connects, replies, states,
};

#[test]
fn new_session_handshake() {
    let mut h = Harness::new(config("a:1,b:2,c:3"));
    let (_, timeout) = connects(&h)[0].clone();
    assert_eq!(timeout, Duration::from_secs(10), "T / number of hosts");
    let req = h.establish(4000, SID);
    assert_eq!(req.protocol_version, 0);
    assert_eq!(req.last_zxid_seen, 0);
    assert_eq!(req.timeout, T);
    assert_eq!(req.session_id, 0);
    assert_eq!(req.passwd.as_ref(), &[0u8; 16]);
    assert!(!req.read_only);
    assert_eq!(h.session.state(), SessionState::Connected);
    assert_eq!(states(&h.events), vec![KeeperState::SyncConnected]);
    let creds = h.session.credentials().unwrap();
    assert_eq!(creds.session_id, SID);
    assert_eq!(creds.password, vec![7; 16]);
    assert_eq!(
        h.session.negotiated_timeout(),
        Some(Duration::from_millis(4000))
    );
}

#[test]
fn handshake_reply_without_read_only_byte_is_accepted() {
    let mut h = Harness::new(config("a"));
    h.establish_with(FakeServer::connect_response(T, SID, [1; 16], None));
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn handshake_split_into_single_bytes() {
    let mut h = Harness::new(config("a"));
    h.accept();
    h.flush();
    for b in FakeServer::connect_response(T, SID, [1; 16], Some(false)) {
        h.deliver(&[b]);
    }
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn resume_sends_id_password_and_last_zxid() {
    let mut c = config("a");
    c.resume = Some(zk_session::SessionCredentials {
        session_id: 99,
        password: vec![3; 16],
    });
    let mut h = Harness::new(c);
    let req = h.establish(T, 99);
    assert_eq!(req.session_id, 99);
    assert_eq!(req.passwd.as_ref(), &[3u8; 16]);
}

#[test]
fn handshake_timeout_zero_means_expired() {
    let mut h = Harness::new(config("a"));
    let id = h.submit(Request::get_data("/x", false));
    h.establish_with(FakeServer::connect_response(0, 0, [0; 16], Some(false)));
    assert_eq!(h.session.state(), SessionState::Expired);
    assert_eq!(states(&h.events), vec![KeeperState::Expired]);
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::SessionExpired))]
    );
    assert!(matches!(
        h.session.submit(Request::get_data("/x", false), h.now),
        Err(SubmitError::NotAccepting {
            state: SessionState::Expired,
            ..
        })
    ));
    assert_eq!(closes(&h), vec![CloseReason::SessionEnded]);
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn silent_close_during_handshake_is_a_failed_host() {
    let mut h = Harness::new(config("a,b,c"));
    h.accept();
    h.flush();
    h.server_close();
    assert_eq!(h.session.state(), SessionState::Connecting);
    assert!(states(&h.events).is_empty());
    let c = connects(&h);
    assert_eq!(c.len(), 2);
    assert_ne!(c[0].0, c[1].0, "next host");
}

#[test]
fn connect_timeout_per_host_then_next_host() {
    let mut h = Harness::new(config("a,b"));
    h.accept();
    h.flush();
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.now + Duration::from_secs(15))
    );
    h.advance(Duration::from_millis(14_999));
    assert!(closes(&h).is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(closes(&h), vec![CloseReason::ConnectTimeout]);
    assert_eq!(connects(&h).len(), 2);
}

#[test]
fn backoff_with_jitter_after_a_full_failed_pass() {
    let mut h = Harness::new(config("a,b,c"));
    h.refuse();
    h.refuse();
    h.refuse();
    // the whole pass failed: the 4th dial waits at least 1 s, at most 2 s
    assert_eq!(connects(&h).len(), 3);
    let wait = h.session.poll_timeout().unwrap() - h.now;
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2),
        "{wait:?}"
    );
    h.advance(wait - Duration::from_millis(1));
    assert_eq!(connects(&h).len(), 3);
    h.advance(Duration::from_millis(1));
    assert_eq!(connects(&h).len(), 4);
    // same order on the second pass
    let c = connects(&h);
    assert_eq!(c[3].0, c[0].0);
}

/// Answers the first dial of a two-host session with `response`; returns the harness
/// and the host it dialled.
fn first_handshake_answered_with(response: Vec<u8>) -> (Harness, String) {
    let mut h = Harness::new(config("a,b"));
    let first = connects(&h)[0].0.clone();
    h.accept();
    h.flush();
    h.deliver(&response);
    (h, first)
}

/// The session refused the handshake answer as a protocol error on that connection:
/// no session started, and the next host is dialled.
fn assert_refused_then_next_host(h: &mut Harness, first: &str) {
    assert!(
        matches!(closes(h)[..], [CloseReason::InvalidHandshake(_)]),
        "{:?}",
        closes(h)
    );
    assert_eq!(h.session.state(), SessionState::Connecting);
    assert!(
        states(&h.events).is_empty(),
        "no SyncConnected: {:?}",
        h.events
    );
    assert_eq!(h.session.credentials(), None);
    let c = connects(h);
    assert_eq!(c.len(), 2);
    assert_ne!(c[1].0, first, "next host");
    // the next server's valid answer starts a fresh session
    let req = h.establish(T, SID);
    assert_eq!(req.session_id, 0);
    assert_eq!(h.session.state(), SessionState::Connected);
    assert_eq!(h.session.credentials().unwrap().session_id, SID);
}

#[test]
fn a_handshake_answer_with_session_id_zero_and_a_timeout_is_refused() {
    let (mut h, first) =
        first_handshake_answered_with(FakeServer::connect_response(T, 0, [7; 16], Some(false)));
    assert_refused_then_next_host(&mut h, &first);
}

#[test]
fn a_handshake_answer_with_a_password_not_16_bytes_long_is_refused() {
    let (mut h, first) =
        first_handshake_answered_with(connect_response_with_password(T, SID, &[7; 8]));
    assert_refused_then_next_host(&mut h, &first);
}

#[test]
fn a_handshake_answered_with_http_says_the_server_is_not_zookeeper() {
    let (mut h, first) = first_handshake_answered_with(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
    );
    let [CloseReason::NotZooKeeper { host, text, cut }] = &closes(&h)[..] else {
        panic!("{:?}", closes(&h));
    };
    assert_eq!(
        (host.to_string(), text.as_str(), *cut),
        (first.clone(), "HTTP/1.1 400 Bad Request", true)
    );
    assert_eq!(h.session.state(), SessionState::Connecting);
    let c = connects(&h);
    assert_ne!(c[1].0, first, "the next host is tried");
    h.establish(T, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn a_handshake_refused_with_an_error_reply_says_why_and_tries_the_next_host() {
    let mut h = Harness::new(config("a,b"));
    // A 3.8 read-only member asked for a new session without local sessions answers
    // with a bare reply header: NOTREADONLY.
    h.establish_with(FakeServer::reply(
        0,
        0,
        zk_proto::ErrorCode::NotReadOnly,
        None,
    ));
    let refused = CloseReason::HandshakeRefused {
        code: zk_proto::ErrorCode::NotReadOnly,
    };
    assert_eq!(closes(&h), vec![refused.clone()]);
    assert!(
        refused.to_string().contains("localSessionsEnabled"),
        "{refused}"
    );
    assert_eq!(h.session.state(), SessionState::Connecting);
    // The next host starts the session.
    h.establish(T, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
}
