//! Requests and their replies: encoding, local refusal, xids, replies the session
//! cannot match or read (out of order, unsolicited, duplicate, oversize), and
//! requests the driver abandons.

mod common;

use bytes::Bytes;
use std::time::Duration;
use zk_proto::{CreateMode, ErrorCode, EventType, KeeperState};
use zk_session::Version;
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    CloseReason, Request, RequestError, RequestId, Response, SessionState, SubmitError,
};

use common::{
    HarnessExt, SID, T, closes, config, connected, connected_with, data_reply, deliver_silently,
    drain, flush_silently, replies, reply_ids, requests, stat, states, watch_events,
};

#[test]
fn request_reply_and_zxid() {
    let mut h = connected("a");
    let (id, sent) = h.submit_and_flush(Request::get_data("/x", false));
    assert_eq!(sent.xid(), 1);
    assert!(
        matches!(sent.request(), zk_proto::WireRequest::GetData(r) if r.path == "/x" && !r.watch)
    );
    h.deliver(&data_reply(1, 77));
    assert_eq!(
        replies(&h.events),
        vec![(
            id,
            Ok(Response::GetData {
                data: Bytes::from_static(b"v"),
                stat: stat(1)
            })
        )]
    );
    assert_eq!(h.session.last_zxid(), 77);
    // error replies carry no body; zxid 0 does not lower lastZxid
    let (id2, _) = h.submit_and_flush(Request::get_data("/y", false));
    h.deliver(&FakeServer::reply(2, 0, ErrorCode::NoNode, None));
    assert_eq!(
        replies(&h.events)[1],
        (
            id2,
            Err(RequestError::Server {
                code: ErrorCode::NoNode,
                path: Some("/y".to_string()),
                chroot: None
            })
        )
    );
    assert_eq!(h.session.last_zxid(), 77);
}

#[test]
fn create_uses_the_op_code_of_its_mode() {
    let mut h = connected("a");
    let mk = |mode, ttl, with_stat| Request::Create {
        path: "/n".into(),
        data: Bytes::new(),
        acl: zk_proto::Acl::open_unsafe(),
        mode,
        ttl,
        with_stat,
    };
    for (req, op) in [
        (mk(CreateMode::Persistent, None, false), 1),
        (mk(CreateMode::Ephemeral, None, true), 15),
        (mk(CreateMode::Container, None, false), 19),
        (
            mk(
                CreateMode::PersistentWithTtl,
                Some(Duration::from_secs(1)),
                false,
            ),
            21,
        ),
    ] {
        let (_, sent) = h.submit_and_flush(req);
        assert_eq!(sent.request().op_code().to_i32(), op);
    }
    assert!(matches!(
        h.session
            .submit(mk(CreateMode::PersistentWithTtl, None, false), h.now),
        Err(SubmitError::InvalidCreate(_))
    ));
    assert!(matches!(
        h.session.submit(
            mk(
                CreateMode::Persistent,
                Some(Duration::from_millis(5)),
                false
            ),
            h.now
        ),
        Err(SubmitError::InvalidCreate(_))
    ));
}

#[test]
fn invalid_paths_and_oversize_requests_are_refused_locally() {
    let mut h = connected("a");
    for bad in ["", "x", "/a/", "/a//b", "/a/.."] {
        assert!(matches!(
            h.session.submit(Request::get_data(bad, false), h.now),
            Err(SubmitError::InvalidPath { .. })
        ));
    }
    let big = Request::set_data("/x", vec![0u8; 2 << 20], Version::Any);
    assert!(matches!(
        h.session.submit(big, h.now),
        Err(SubmitError::TooLarge { max: 0xfffff, .. })
    ));
    assert!(h.flush().is_empty(), "nothing sent");
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn an_ephemerals_prefix_that_is_no_path_is_refused_locally_and_an_empty_one_lists_all() {
    let mut h = connected("a");
    for bad in ["x", "/q/", "//", "/q\0"] {
        let request = Request::GetEphemerals { prefix: bad.into() };
        assert!(
            matches!(
                h.session.submit(request, h.now),
                Err(SubmitError::InvalidPath { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(h.flush().is_empty(), "nothing sent");
    for all in ["", "/"] {
        let (_, sent) = h.submit_and_flush(Request::GetEphemerals { prefix: all.into() });
        let zk_proto::WireRequest::GetEphemerals(r) = sent.request() else {
            panic!("getEphemerals expected")
        };
        assert_eq!(r.prefix_path, all);
    }
}

#[test]
fn multi_has_typed_results_and_never_a_standalone_check() {
    let mut h = connected("a/app");
    let ops = vec![
        zk_proto::MultiOp::create(
            "/p",
            Bytes::new(),
            zk_proto::Acl::open_unsafe(),
            CreateMode::Persistent,
            None,
            false,
        )
        .unwrap(),
        zk_proto::MultiOp::Check(zk_proto::CheckVersionRequest {
            path: "/p".into(),
            version: 0,
        }),
    ];
    let (id, sent) = h.submit_and_flush(Request::Multi(ops));
    let zk_proto::WireRequest::Multi(m) = sent.request() else {
        panic!("multi expected")
    };
    assert_eq!(m.ops[0].path(), "/app/p");
    assert_eq!(m.ops[1].path(), "/app/p");
    let body = zk_proto::WireResponse::Multi(zk_proto::MultiResponse {
        results: vec![
            zk_proto::MultiResult::Create(zk_proto::CreateResponse {
                path: "/app/p".into(),
            }),
            zk_proto::MultiResult::Check,
        ],
    });
    h.deliver(&FakeServer::ok(sent.xid(), 9, &body));
    let r = replies(&h.events);
    let Ok(Response::Multi(results)) = &r[0].1 else {
        panic!("{r:?}")
    };
    assert_eq!(r[0].0, id);
    assert_eq!(
        results[0].created_path(),
        Some("/p"),
        "chroot stripped in multi"
    );
    // reads in multi are refused; empty multi is answered locally
    let read = zk_proto::MultiOp::GetData(zk_proto::GetDataRequest {
        path: "/p".into(),
        watch: false,
    });
    assert!(matches!(
        h.session.submit(Request::Multi(vec![read]), h.now),
        Err(SubmitError::MixedMulti { index: 0 })
    ));
    let id = h.submit(Request::Multi(vec![]));
    h.pump();
    assert_eq!(
        replies(&h.events).last().unwrap(),
        &(id, Ok(Response::Multi(vec![])))
    );
}

#[test]
fn xids_wrap_from_max_to_one() {
    let mut h = connected("a");
    h.session.testing_set_next_xid(i32::MAX - 1);
    for _ in 0..3 {
        h.submit(Request::get_data("/x", false));
    }
    let xids: Vec<i32> = h.flush().iter().map(ClientFrame::xid).collect();
    assert_eq!(xids, vec![i32::MAX - 1, 1, 2]);
    for x in xids {
        h.deliver(&data_reply(x, 1));
    }
    assert_eq!(replies(&h.events).len(), 3);
    assert!(replies(&h.events).iter().all(|(_, r)| r.is_ok()));
}

#[test]
fn out_of_order_reply_drops_the_connection_not_the_session() {
    let mut h = connected("a");
    let a = h.submit(Request::get_data("/a", false));
    let b = h.submit(Request::get_data("/b", false));
    h.flush();
    h.deliver(&data_reply(2, 1));
    assert_eq!(
        closes(&h),
        vec![CloseReason::XidOutOfOrder {
            expected: 1,
            got: 2
        }]
    );
    assert_eq!(replies(&h.events), connection_lost(&[a, b]));
    assert_eq!(h.session.state(), SessionState::Connecting);
    assert_eq!(states(&h.events), vec![KeeperState::Disconnected]);
    h.establish(T, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn unsolicited_and_duplicate_replies_drop_the_connection() {
    let mut h = connected("a");
    h.deliver(&data_reply(5, 1));
    assert_eq!(closes(&h), vec![CloseReason::UnsolicitedReply(5)]);
    h.establish(T, SID);
    let (_, sent) = h.submit_and_flush(Request::get_data("/a", false));
    let x = sent.xid();
    h.deliver(&data_reply(x, 1));
    h.deliver(&data_reply(x, 1));
    assert_eq!(closes(&h)[1], CloseReason::DuplicateReply(x));
}

#[test]
fn oversize_frame_from_server_drops_the_connection() {
    let mut h = connected("a");
    h.deliver(&[0x7f, 0, 0, 0]);
    assert!(matches!(closes(&h)[0], CloseReason::Frame(_)));
    assert_eq!(h.session.state(), SessionState::Connecting);
}

#[test]
fn an_oversize_reply_fails_its_request_naming_the_limit_and_the_rest_lose_the_connection() {
    let (mut h, big, next, head) = two_written_with_a_small_frame_limit();
    // the reply announces 5000 bytes; its header follows
    let mut frame = 5000i32.to_be_bytes().to_vec();
    frame.extend_from_slice(&head.to_be_bytes());
    h.deliver(&frame);
    assert_eq!(replies(&h.events), head_too_large_rest_lost(big, next));
    let msg = RequestError::ReplyTooLarge {
        len: 5000,
        max: 1024,
    }
    .to_string();
    assert!(
        msg.contains("5000") && msg.contains("1024") && msg.contains("max_frame_size"),
        "{msg}"
    );
    assert!(matches!(closes(&h)[0], CloseReason::Frame(_)));
    // the session reconnects
    h.take_events();
    h.establish(T, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
}

/// A connected session with a 1 KiB frame limit.
fn connected_with_a_small_frame_limit() -> Harness {
    let mut c = config("a");
    c.max_frame_size = 1024;
    connected_with(c)
}

/// A session with a 1 KiB frame limit and two getData requests written; the xid of
/// the first.
fn two_written_with_a_small_frame_limit() -> (Harness, RequestId, RequestId, i32) {
    let mut h = connected_with_a_small_frame_limit();
    let a = h.submit(Request::get_data("/a", false));
    let b = h.submit(Request::get_data("/b", false));
    let f = requests(&h.flush());
    (h, a, b, f[0].0)
}

#[test]
fn an_oversize_frame_for_another_xid_fails_nothing_as_too_large() {
    let (mut h, a, b, _) = two_written_with_a_small_frame_limit();
    // a notification frame (xid -1) too long to read
    let mut frame = 5000i32.to_be_bytes().to_vec();
    frame.extend_from_slice(&(-1i32).to_be_bytes());
    h.deliver(&frame);
    assert_eq!(replies(&h.events), connection_lost(&[a, b]));
    assert!(matches!(closes(&h)[..], [CloseReason::Frame(_)]));
}

/// The replies of requests that the connection took with it.
fn connection_lost(ids: &[RequestId]) -> Vec<(RequestId, Result<Response, RequestError>)> {
    ids.iter()
        .map(|&id| (id, Err(RequestError::ConnectionLoss)))
        .collect()
}

/// The replies when the 5000-byte frame answers `a` (limit 1024) and `b` was written
/// after it.
fn head_too_large_rest_lost(
    a: RequestId,
    b: RequestId,
) -> Vec<(RequestId, Result<Response, RequestError>)> {
    vec![
        (
            a,
            Err(RequestError::ReplyTooLarge {
                len: 5000,
                max: 1024,
            }),
        ),
        (b, Err(RequestError::ConnectionLoss)),
    ]
}

#[test]
fn an_oversize_frame_waits_for_its_xid_before_blaming_the_head() {
    let (mut h, a, b, head) = two_written_with_a_small_frame_limit();
    // one read brings only the length: it may be a notification, nothing fails yet
    h.deliver(&5000i32.to_be_bytes());
    assert!(replies(&h.events).is_empty(), "{:?}", h.events);
    assert!(closes(&h).is_empty());
    assert_eq!(h.session.state(), SessionState::Connected);
    // the next read names the head: that request was executed, its answer is lost
    h.deliver(&head.to_be_bytes());
    assert_eq!(replies(&h.events), head_too_large_rest_lost(a, b));
    assert!(matches!(closes(&h)[..], [CloseReason::Frame(_)]));
}

#[test]
fn an_oversize_reply_read_in_place_in_small_reads_still_names_the_head() {
    let (mut h, a, b, head) = two_written_with_a_small_frame_limit();
    let mut frame = 5000i32.to_be_bytes().to_vec();
    frame.extend_from_slice(&head.to_be_bytes());
    // a one-copy driver whose reads return 3 bytes at a time
    h.deliver_direct(&frame, 3);
    assert_eq!(replies(&h.events), head_too_large_rest_lost(a, b));
}

#[test]
fn an_oversize_notification_whose_xid_comes_in_a_later_read_loses_every_written_request() {
    let (mut h, a, b, _) = two_written_with_a_small_frame_limit();
    h.deliver(&5000i32.to_be_bytes());
    assert!(replies(&h.events).is_empty());
    // the xid arrives a byte at a time: -1, a notification
    for byte in (-1i32).to_be_bytes() {
        h.deliver(&[byte]);
    }
    assert_eq!(replies(&h.events), connection_lost(&[a, b]));
    assert!(matches!(closes(&h)[..], [CloseReason::Frame(_)]));
    assert_eq!(h.session.state(), SessionState::Connecting);
}

#[test]
fn an_auth_packet_over_the_frame_limit_is_refused_and_never_sent() {
    let mut h = connected_with_a_small_frame_limit();
    let refused = h
        .session
        .add_auth("digest", Bytes::from(vec![b'x'; 2000]), h.now);
    assert!(
        matches!(refused, Err(SubmitError::TooLarge { max: 1024, size }) if size > 2000),
        "{refused:?}"
    );
    assert!(h.flush().is_empty(), "a refused auth must not be sent");
    // Nothing was recorded either: a reconnect replays no auth.
    h.server_close();
    h.establish(T, SID);
    assert!(
        h.flush().iter().all(|f| f.xid() != -4),
        "a refused auth was replayed after reconnect"
    );
}

// ----- abandoning a request --------------------------------------------------------

#[test]
fn an_abandoned_request_not_yet_written_is_never_sent() {
    let mut h = Harness::new(config("a"));
    // no connection yet: both wait in the queue
    let gave_up = h.submit(Request::get_data("/gave-up", true));
    let kept = h.submit(Request::get_data("/kept", false));
    assert!(h.session.abandon(gave_up));
    assert_eq!(h.session.outstanding(), 1);
    h.establish(T, SID);
    let f = requests(&h.flush());
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(matches!(&f[0].1, zk_proto::WireRequest::GetData(g) if g.path == "/kept"));
    h.deliver(&data_reply(f[0].0, 5));
    assert_eq!(reply_ids(&h.events), vec![kept]);
    assert!(!h.session.abandon(gave_up), "nothing left to abandon");
}

#[test]
fn an_abandoned_request_in_flight_gets_no_reply_and_registers_no_watch() {
    let mut h = connected("a");
    let gave_up = h.submit(Request::get_data("/w", true));
    let next = h.submit(Request::get_data("/next", false));
    let f = requests(&h.flush());
    assert!(h.session.abandon(gave_up));
    h.deliver(&data_reply(f[0].0, 5));
    h.deliver(&data_reply(f[1].0, 6));
    assert_eq!(reply_ids(&h.events), vec![next], "the FIFO stays in step");
    assert_eq!(h.session.registration(gave_up), None);
    assert_eq!(h.session.watches().count(), 0);
    // the server set the watch; its notification reaches nobody
    h.notify(EventType::NodeDataChanged, "/w", 7);
    assert!(watch_events(&h.events).is_empty());
    assert_eq!(h.session.stray_notifications(), 1);
    assert!(
        !h.session.abandon(gave_up),
        "answered (and discarded) already"
    );
}

#[test]
fn abandoning_a_request_whose_reply_is_queued_takes_back_the_reply_and_its_watch() {
    let mut h = connected("a");
    let gave_up = h.submit(Request::get_data("/w", true));
    let f = flush_silently(&mut h);
    // the reply arrived and registered the watch, but nobody polled it yet
    deliver_silently(&mut h, &data_reply(f[0].xid(), 5));
    assert!(h.session.registration(gave_up).is_some());
    assert_eq!(h.session.queued_events(), 1);
    assert!(h.session.abandon(gave_up));
    assert_eq!(h.session.queued_events(), 0);
    assert_eq!(drain(&mut h), vec![]);
    assert_eq!(h.session.registration(gave_up), None);
    assert_eq!(h.session.watches().count(), 0);
    // nor does the watch fire
    h.notify(EventType::NodeDataChanged, "/w", 7);
    assert!(watch_events(&h.events).is_empty());
    assert!(!h.session.abandon(gave_up));
}

#[test]
fn an_abandoned_request_still_in_the_send_buffer_when_the_connection_drops_is_never_sent() {
    let mut h = connected("a");
    let gave_up = h.submit(Request::create(
        "/gave-up",
        Bytes::new(),
        CreateMode::Persistent,
    ));
    // the session put it in the send buffer; the driver never wrote it
    assert!(!h.session.send_buf().is_empty());
    assert!(h.session.abandon(gave_up));
    h.server_close();
    h.establish(T, SID);
    assert_eq!(requests(&h.flush()), vec![], "the create was given up");
    assert!(replies(&h.events).is_empty());
}
