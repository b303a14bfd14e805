//! Requests and their replies: encoding, local refusal, xids, and replies the session
//! cannot match or read (out of order, unsolicited, duplicate, oversize).

mod common;

use bytes::Bytes;
use zk_proto::{CreateMode, ErrorCode, KeeperState};
use zk_session::testing::{ClientFrame, FakeServer};
use zk_session::{CloseReason, Request, RequestError, Response, SessionState, SubmitError};

use common::{
    SID, T, closes, config, connected, connected_with, data_reply, replies, requests, stat, states,
};

#[test]
fn request_reply_and_zxid() {
    let mut h = connected("a");
    let id = h
        .session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    let frames = h.flush();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].xid(), 1);
    assert!(
        matches!(frames[0].request(), zk_proto::Request::GetData(r) if r.path == "/x" && !r.watch)
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
    let id2 = h
        .session
        .submit(Request::get_data("/y", false), h.now)
        .unwrap();
    h.flush();
    h.deliver(&FakeServer::reply(2, 0, ErrorCode::NoNode, None));
    assert_eq!(
        replies(&h.events)[1],
        (id2, Err(RequestError::Server(ErrorCode::NoNode)))
    );
    assert_eq!(h.session.last_zxid(), 77);
}

#[test]
fn create_uses_the_op_code_of_its_mode() {
    let mut h = connected("a");
    let mk = |mode, ttl, with_stat| Request::Create {
        path: "/n".into(),
        data: Bytes::new(),
        acl: zk_proto::open_acl_unsafe(),
        mode,
        ttl,
        with_stat,
    };
    for (req, op) in [
        (mk(CreateMode::Persistent, None, false), 1),
        (mk(CreateMode::Ephemeral, None, true), 15),
        (mk(CreateMode::Container, None, false), 19),
        (mk(CreateMode::PersistentWithTtl, Some(1000), false), 21),
    ] {
        h.session.submit(req, h.now).unwrap();
        let f = h.flush();
        assert_eq!(f[0].request().op_code().to_i32(), op);
    }
    assert!(matches!(
        h.session
            .submit(mk(CreateMode::PersistentWithTtl, None, false), h.now),
        Err(SubmitError::InvalidCreate(_))
    ));
    assert!(matches!(
        h.session
            .submit(mk(CreateMode::Persistent, Some(5), false), h.now),
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
    let big = Request::set_data("/x", vec![0u8; 2 << 20], -1);
    assert!(matches!(
        h.session.submit(big, h.now),
        Err(SubmitError::TooLarge { max: 0xfffff, .. })
    ));
    assert!(h.flush().is_empty(), "nothing sent");
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn multi_has_typed_results_and_never_a_standalone_check() {
    let mut h = connected("a/app");
    let ops = vec![
        zk_proto::MultiOp::create(
            "/p",
            Bytes::new(),
            zk_proto::open_acl_unsafe(),
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
    let id = h.session.submit(Request::Multi(ops), h.now).unwrap();
    let f = h.flush();
    let zk_proto::Request::Multi(m) = f[0].request() else {
        panic!("multi expected")
    };
    assert_eq!(m.ops[0].path(), "/app/p");
    assert_eq!(m.ops[1].path(), "/app/p");
    let body = zk_proto::Response::Multi(zk_proto::MultiResponse {
        results: vec![
            zk_proto::MultiResult::Create(zk_proto::CreateResponse {
                path: "/app/p".into(),
            }),
            zk_proto::MultiResult::Check,
        ],
    });
    h.deliver(&FakeServer::ok(f[0].xid(), 9, &body));
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
    let id = h.session.submit(Request::Multi(vec![]), h.now).unwrap();
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
        h.session
            .submit(Request::get_data("/x", false), h.now)
            .unwrap();
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
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let b = h
        .session
        .submit(Request::get_data("/b", false), h.now)
        .unwrap();
    h.flush();
    h.deliver(&data_reply(2, 1));
    assert_eq!(
        closes(&h),
        vec![CloseReason::XidOutOfOrder {
            expected: 1,
            got: 2
        }]
    );
    assert_eq!(
        replies(&h.events),
        vec![
            (a, Err(RequestError::ConnectionLoss)),
            (b, Err(RequestError::ConnectionLoss))
        ]
    );
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
    h.session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let x = h.flush()[0].xid();
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
    let mut c = config("a");
    c.max_frame_size = 1024;
    let mut h = connected_with(c);
    let big = h
        .session
        .submit(Request::get_data("/big", false), h.now)
        .unwrap();
    let next = h
        .session
        .submit(Request::get_data("/next", false), h.now)
        .unwrap();
    let f = requests(&h.flush());
    // the reply announces 5000 bytes; its header follows
    let mut frame = 5000i32.to_be_bytes().to_vec();
    frame.extend_from_slice(&f[0].0.to_be_bytes());
    h.deliver(&frame);
    assert_eq!(
        replies(&h.events),
        vec![
            (
                big,
                Err(RequestError::ReplyTooLarge {
                    len: 5000,
                    max: 1024
                })
            ),
            (next, Err(RequestError::ConnectionLoss)),
        ]
    );
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

#[test]
fn an_oversize_frame_for_another_xid_fails_nothing_as_too_large() {
    let mut c = config("a");
    c.max_frame_size = 1024;
    let mut h = connected_with(c);
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    h.flush();
    // a notification frame (xid -1) too long to read
    let mut frame = 5000i32.to_be_bytes().to_vec();
    frame.extend_from_slice(&(-1i32).to_be_bytes());
    h.deliver(&frame);
    assert_eq!(
        replies(&h.events),
        vec![(a, Err(RequestError::ConnectionLoss))]
    );
    // only the length arrived so far: the head's reply is assumed
    let mut h = connected_with({
        let mut c = config("a");
        c.max_frame_size = 1024;
        c
    });
    let b = h
        .session
        .submit(Request::get_data("/b", false), h.now)
        .unwrap();
    h.flush();
    h.deliver(&5000i32.to_be_bytes());
    assert_eq!(
        replies(&h.events),
        vec![(
            b,
            Err(RequestError::ReplyTooLarge {
                len: 5000,
                max: 1024
            })
        )]
    );
}

#[test]
fn an_auth_packet_over_the_frame_limit_is_refused_and_never_sent() {
    let mut c = config("a");
    c.max_frame_size = 1024;
    let mut h = connected_with(c);
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
