//! Read-only servers: connecting to one, probing for a read-write server, moving
//! there.

mod common;

use std::time::Duration;
use zk_session::Version;

use bytes::Bytes;
use zk_proto::{ErrorCode, KeeperState};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{CloseReason, Request, RequestError, SessionState, Transport};

use common::{HarnessExt, SID, T, closes, config, replies, states};

#[test]
fn read_only_then_move_to_a_read_write_server() {
    let mut c = config("a,b");
    c.read_only = true;
    let mut h = Harness::new(c);
    let req = h.establish_with(FakeServer::connect_response(T, 0x77, [1; 16], Some(true)));
    assert!(req.read_only);
    assert_eq!(h.session.state(), SessionState::ConnectedReadOnly);
    assert_eq!(states(&h.events), vec![KeeperState::ConnectedReadOnly]);
    // a write is refused by the server with NotReadOnly
    let (id, sent) = h.submit_and_flush(Request::set_data("/x", Bytes::new(), Version::Any));
    h.deliver(&FakeServer::reply(
        sent.xid(),
        0,
        ErrorCode::NotReadOnly,
        None,
    ));
    assert_eq!(
        replies(&h.events),
        vec![(
            id,
            Err(RequestError::Server {
                code: ErrorCode::NotReadOnly,
                path: Some("/x".to_string()),
                chroot: None
            })
        )]
    );
    // probes at 100 ms, then 200, 400 ...
    let probes = |h: &Harness| {
        h.transports
            .iter()
            .filter(|t| matches!(t, Transport::ProbeReadWrite { .. }))
            .count()
    };
    h.advance(Duration::from_millis(100));
    assert_eq!(probes(&h), 1);
    h.advance(Duration::from_millis(199));
    assert_eq!(probes(&h), 1);
    h.advance(Duration::from_millis(1));
    assert_eq!(probes(&h), 2);
    let Some(Transport::ProbeReadWrite { host }) = h.transports.last().cloned() else {
        panic!()
    };
    h.session.handle_probe_result(&host, true, h.now);
    h.pump();
    assert_eq!(closes(&h), vec![CloseReason::MovingToReadWrite]);
    let Some(Transport::Connect { host: dial, .. }) = h.transports.last().cloned() else {
        panic!()
    };
    assert_eq!(dial, host);
    let req = h.establish(T, SID);
    assert_eq!(
        req.session_id, 0,
        "a read-only session is local: start a global one"
    );
    assert_eq!(h.session.state(), SessionState::Connected);
    assert_eq!(h.session.credentials().unwrap().session_id, SID);
}

#[test]
fn moving_to_a_read_write_server_does_not_advance_the_backoff_pass() {
    let mut h = Harness::new(config("a,b"));
    h.establish_with(FakeServer::connect_response(T, SID, [7; 16], Some(true)));
    assert_eq!(h.session.state(), SessionState::ConnectedReadOnly);
    h.advance(Duration::from_millis(100));
    let Some(Transport::ProbeReadWrite { host }) = h.transports.last().cloned() else {
        panic!("{:?}", h.transports.last())
    };
    h.session.handle_probe_result(&host, true, h.now);
    h.pump();
    assert_eq!(closes(&h), vec![CloseReason::MovingToReadWrite]);
    // the read-write host refuses: the move was not an attempt of a pass, so a full
    // pass over both hosts follows before any backoff
    h.refuse();
    assert!(h.pending_connect().is_some(), "dials again at once");
    h.refuse();
    assert!(
        h.pending_connect().is_some(),
        "second host of the pass at once"
    );
    h.refuse();
    assert!(
        h.pending_connect().is_none(),
        "a full failed pass backs off"
    );
}
