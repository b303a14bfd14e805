//! Scenario tests: a scripted fake server and a virtual clock drive the session
//! through every path.

use std::time::Duration;

use bytes::Bytes;
use zk_proto::{AuthPacket, CreateMode, ErrorCode, EventType, GetDataResponse, KeeperState, Stat};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    CloseReason, Config, Event, Registration, Request, RequestError, RequestId, Response,
    SessionState, SubmitError, Transport, WatchKind, WatcherType,
};

const T: i32 = 30_000;
const SID: i64 = 0x1234;

fn config(connect: &str) -> Config {
    let mut c = Config::new(connect);
    c.session_timeout = Duration::from_millis(T as u64);
    c.seed = 1;
    c
}

fn connected(connect: &str) -> Harness {
    let mut h = Harness::new(config(connect));
    h.establish(T, SID);
    h.take_events();
    h
}

fn stat(v: i32) -> Stat {
    Stat {
        czxid: 1,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: v,
        cversion: 0,
        aversion: 0,
        ephemeral_owner: 0,
        data_length: 0,
        num_children: 0,
        pzxid: 5,
    }
}

fn data_reply(xid: i32, zxid: i64) -> Vec<u8> {
    FakeServer::ok(
        xid,
        zxid,
        &zk_proto::Response::GetData(GetDataResponse {
            data: Bytes::from_static(b"v"),
            stat: stat(1),
        }),
    )
}

fn reg(id: RequestId, kind: WatchKind, path: &str) -> Registration {
    Registration {
        id,
        kind,
        path: path.into(),
    }
}

fn replies(events: &[Event]) -> Vec<(RequestId, Result<Response, RequestError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Reply { id, result, .. } => Some((*id, result.clone())),
            _ => None,
        })
        .collect()
}

fn states(events: &[Event]) -> Vec<KeeperState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::State { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

fn closes(h: &Harness) -> Vec<CloseReason> {
    h.transports
        .iter()
        .filter_map(|t| match t {
            Transport::Close { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn connects(h: &Harness) -> Vec<(String, Duration)> {
    h.transports
        .iter()
        .filter_map(|t| match t {
            Transport::Connect { host, timeout, .. } => Some((host.to_string(), *timeout)),
            _ => None,
        })
        .collect()
}

// ----- handshake ---------------------------------------------------------------------

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
    let id = h
        .session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    h.establish_with(FakeServer::connect_response(0, 0, [0; 16], Some(false)));
    assert_eq!(h.session.state(), SessionState::Expired);
    assert_eq!(states(&h.events), vec![KeeperState::Expired]);
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::SessionExpired))]
    );
    assert!(matches!(
        h.session.submit(Request::get_data("/x", false), h.now),
        Err(SubmitError::NotAccepting(SessionState::Expired))
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

// ----- requests and replies ---------------------------------------------------------

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

// ----- timers -------------------------------------------------------------------------

fn pings(frames: &[ClientFrame]) -> usize {
    frames
        .iter()
        .filter(|f| {
            matches!(
                f,
                ClientFrame::Request {
                    request: zk_proto::Request::Ping,
                    xid: -2
                }
            )
        })
        .count()
}

#[test]
fn ping_after_a_third_of_the_timeout_less_a_second_idle_and_busy() {
    // T = 30 s: Java's readTimeout/2 - 1 s = 9 s
    let mut h = connected("a");
    h.advance(Duration::from_millis(8_999));
    assert_eq!(pings(&h.flush()), 0);
    h.advance(Duration::from_millis(1));
    assert_eq!(pings(&h.flush()), 1);
    h.deliver(&FakeServer::reply(-2, 5, ErrorCode::Ok, None));
    assert_eq!(h.session.last_zxid(), 0, "pings do not move lastZxid");
    // busy: a request outstanding, nothing sent for T/3 -> ping anyway
    h.session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    h.flush();
    h.advance(Duration::from_millis(8_999));
    assert_eq!(pings(&h.flush()), 0);
    h.advance(Duration::from_millis(1));
    assert_eq!(pings(&h.flush()), 1);
    // repeated and early timeouts are harmless
    h.session.handle_timeout(h.now);
    h.session.handle_timeout(h.now - Duration::from_secs(1));
    assert_eq!(pings(&h.flush()), 0);
}

#[test]
fn read_timeout_at_two_thirds_reconnects() {
    let mut h = connected("a");
    h.session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    h.flush();
    // pings go out but nothing comes back
    for _ in 0..19 {
        h.advance(Duration::from_secs(1));
        h.flush();
    }
    assert!(closes(&h).is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(closes(&h), vec![CloseReason::ReadTimeout]);
    assert_eq!(replies(&h.events)[0].1, Err(RequestError::ConnectionLoss));
    assert_eq!(states(&h.events), vec![KeeperState::Disconnected]);
}

#[test]
fn client_side_expiry_after_four_thirds_without_a_server() {
    let mut h = connected("a");
    let heard = h.now;
    h.server_close();
    let id = h
        .session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
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
fn request_timeout_for_queued_and_written_requests() {
    let mut c = config("a");
    c.request_timeout = Some(Duration::from_secs(5));
    let mut h = Harness::new(c);
    let queued = h
        .session
        .submit(Request::get_data("/q", false), h.now)
        .unwrap();
    h.advance(Duration::from_secs(5));
    assert_eq!(
        replies(&h.events),
        vec![(queued, Err(RequestError::RequestTimeout))]
    );
    h.take_events();
    h.establish(T, SID);
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    h.advance(Duration::from_secs(1));
    let b = h
        .session
        .submit(Request::get_data("/b", false), h.now)
        .unwrap();
    h.flush();
    h.advance(Duration::from_secs(4));
    assert_eq!(
        replies(&h.events),
        vec![
            (a, Err(RequestError::RequestTimeout)),
            (b, Err(RequestError::ConnectionLoss))
        ]
    );
    assert_eq!(closes(&h), vec![CloseReason::RequestTimeout]);
}

// ----- reconnect ----------------------------------------------------------------------

#[test]
fn reconnect_sends_auths_then_set_watches_then_queued_requests() {
    let mut h = connected("a,b");
    h.session
        .add_auth("digest", Bytes::from_static(b"u:p"), h.now);
    h.session.add_auth("ip", Bytes::from_static(b"x"), h.now);
    let f = h.flush();
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.xid() == -4));
    // a data watch and a persistent watch
    let w = h
        .session
        .submit(Request::get_data("/w", true), h.now)
        .unwrap();
    let p = h
        .session
        .submit(
            Request::AddWatch {
                path: "/p".into(),
                recursive: false,
            },
            h.now,
        )
        .unwrap();
    let f = h.flush();
    h.deliver(&data_reply(f[0].xid(), 100));
    h.deliver(&FakeServer::ok(
        f[1].xid(),
        101,
        &zk_proto::Response::AddWatch(zk_proto::ErrorResponse { err: ErrorCode::Ok }),
    ));
    // one written-but-unanswered, one never written
    let lost = h
        .session
        .submit(Request::get_data("/lost", false), h.now)
        .unwrap();
    h.flush();
    h.server_close();
    let kept = h
        .session
        .submit(Request::get_data("/kept", false), h.now)
        .unwrap();
    let ev = h.take_events();
    assert_eq!(replies(&ev).iter().filter(|r| r.0 == lost).count(), 1);
    assert_eq!(
        replies(&ev).last().unwrap(),
        &(lost, Err(RequestError::ConnectionLoss))
    );
    // persistent holders hear of the disconnect
    let Some(Event::State {
        state,
        registrations,
    }) = ev.iter().find(|e| matches!(e, Event::State { .. }))
    else {
        panic!()
    };
    assert_eq!(*state, KeeperState::Disconnected);
    assert!(registrations.contains(&reg(p, WatchKind::Persistent, "/p")));
    assert!(registrations.contains(&reg(w, WatchKind::Data, "/w")));

    let req = h.establish(T, SID);
    assert_eq!(req.session_id, SID);
    assert_eq!(req.last_zxid_seen, 101);
    let f = h.flush();
    let ops: Vec<i32> = f.iter().map(|f| f.request().op_code().to_i32()).collect();
    assert_eq!(ops, vec![100, 100, 105, 4]);
    assert!(
        matches!(f[0].request(), zk_proto::Request::Auth(AuthPacket { scheme, .. }) if scheme == "digest")
    );
    assert!(
        matches!(f[1].request(), zk_proto::Request::Auth(AuthPacket { scheme, .. }) if scheme == "ip")
    );
    let zk_proto::Request::SetWatches2(sw) = f[2].request() else {
        panic!()
    };
    assert_eq!(sw.relative_zxid, 101);
    assert_eq!(sw.data_watches, vec!["/w".to_string()]);
    assert_eq!(sw.persistent_watches, vec!["/p".to_string()]);
    h.deliver(&FakeServer::reply(f[2].xid(), 101, ErrorCode::Ok, None));
    h.deliver(&data_reply(f[3].xid(), 102));
    assert_eq!(
        replies(&h.events),
        vec![(
            kept,
            Ok(Response::GetData {
                data: Bytes::from_static(b"v"),
                stat: stat(1)
            })
        )]
    );
    // the persistent watch survived the reconnect and keeps firing
    for _ in 0..2 {
        h.deliver(&FakeServer::notification(
            EventType::NodeDataChanged,
            "/p",
            103,
        ));
        assert!(matches!(h.events.last(), Some(Event::Watch(we))
            if we.registrations == vec![reg(p, WatchKind::Persistent, "/p")]));
    }
}

#[test]
fn auth_added_while_disconnected_is_sent_after_the_handshake() {
    let mut h = Harness::new(config("a"));
    h.session
        .add_auth("digest", Bytes::from_static(b"u:p"), h.now);
    let id = h
        .session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    h.establish(T, SID);
    let f = h.flush();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].xid(), -4);
    assert_eq!(f[1].xid(), 1);
    h.deliver(&FakeServer::reply(-4, 0, ErrorCode::Ok, None));
    h.deliver(&data_reply(1, 1));
    assert!(matches!(&replies(&h.events)[..], [(got, Ok(_))] if *got == id));
}

#[test]
fn set_watches_batches_10000_long_paths() {
    let mut h = connected("a/root");
    let n = 10_000;
    let path = |i: usize| format!("/{}/{i:05}", "x".repeat(90));
    for i in 0..n {
        h.session
            .submit(Request::get_data(path(i), true), h.now)
            .unwrap();
        if i % 500 == 499 {
            for f in h.flush() {
                h.deliver(&data_reply(f.xid(), 1));
            }
        }
    }
    assert_eq!(replies(&h.events).len(), n);
    h.server_close();
    h.establish(T, SID);
    let f = h.flush();
    let mut seen = Vec::new();
    for fr in &f {
        let zk_proto::Request::SetWatches(sw) = fr.request() else {
            panic!("only SetWatches expected, got {:?}", fr.request().op_code())
        };
        let chars: usize = sw.data_watches.iter().map(String::len).sum();
        assert!(chars <= 128 * 1024, "batch of {chars} path bytes");
        seen.extend(sw.data_watches.iter().cloned());
    }
    assert!(f.len() >= 8, "{} batches", f.len());
    seen.sort();
    let mut want: Vec<String> = (0..n).map(|i| format!("/root{}", path(i))).collect();
    want.sort();
    assert_eq!(seen, want);
}

// ----- auth, close ------------------------------------------------------------------

#[test]
fn auth_failure_is_terminal() {
    let mut h = connected("a");
    let id = h
        .session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    h.session
        .add_auth("digest", Bytes::from_static(b"bad"), h.now);
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
fn close_with_requests_in_flight() {
    let mut h = connected("a");
    let written = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let fa = h.flush();
    // a large write fills the send buffer past its high-water mark, so /c stays queued
    let big = h
        .session
        .submit(Request::set_data("/big", vec![0u8; 70_000], -1), h.now)
        .unwrap();
    let queued = h
        .session
        .submit(Request::get_data("/c", false), h.now)
        .unwrap();
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closing);
    assert_eq!(
        replies(&h.events),
        vec![(queued, Err(RequestError::Closing))]
    );
    h.session.close(h.now); // harmless
    assert!(matches!(
        h.session.submit(Request::get_data("/d", false), h.now),
        Err(SubmitError::NotAccepting(SessionState::Closing))
    ));
    let f = h.flush();
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].request(), &zk_proto::Request::CloseSession);
    h.deliver(&data_reply(fa[0].xid(), 1));
    h.deliver(&FakeServer::ok(
        f[0].xid(),
        2,
        &zk_proto::Response::SetData(zk_proto::SetDataResponse { stat: stat(1) }),
    ));
    assert_eq!(h.session.state(), SessionState::Closing);
    h.deliver(&FakeServer::reply(f[1].xid(), 3, ErrorCode::Ok, None));
    assert_eq!(h.session.state(), SessionState::Closed);
    let r = replies(&h.events);
    assert_eq!(r.len(), 3, "every request completed exactly once: {r:?}");
    assert!(r.iter().any(|(id, r)| *id == written && r.is_ok()));
    assert!(r.iter().any(|(id, r)| *id == big && r.is_ok()));
    assert_eq!(states(&h.events), vec![KeeperState::Closed]);
    assert_eq!(closes(&h), vec![CloseReason::SessionEnded]);
}

#[test]
fn close_timeout_then_closed() {
    let mut h = connected("a");
    let id = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    h.flush();
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
    let id = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    h.session.close(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Closed);
    assert_eq!(replies(&h.events), vec![(id, Err(RequestError::Closing))]);
}

// ----- watches ------------------------------------------------------------------------

#[test]
fn watch_event_precedes_the_reply_that_follows_it() {
    let mut h = connected("a");
    let w = h
        .session
        .submit(Request::get_data("/p", true), h.now)
        .unwrap();
    let f = h.flush();
    h.deliver(&data_reply(f[0].xid(), 1));
    let s = h
        .session
        .submit(Request::set_data("/p", &b"x"[..], -1), h.now)
        .unwrap();
    let f = h.flush();
    let mut bytes = FakeServer::notification(EventType::NodeDataChanged, "/p", 2);
    bytes.extend(FakeServer::ok(
        f[0].xid(),
        2,
        &zk_proto::Response::SetData(zk_proto::SetDataResponse { stat: stat(2) }),
    ));
    h.deliver(&bytes);
    let ev = h.take_events();
    assert!(
        matches!(&ev[1], Event::Watch(we) if we.event_type == EventType::NodeDataChanged
        && we.path == "/p" && we.registrations == vec![reg(w, WatchKind::Data, "/p")])
    );
    assert!(
        matches!(&ev[2], Event::Reply { id, result: Ok(Response::SetData(_)), registration: None } if *id == s)
    );
    // one-shot: a second change fires nothing
    h.deliver(&FakeServer::notification(
        EventType::NodeDataChanged,
        "/p",
        3,
    ));
    let ev = h.take_events();
    assert!(matches!(&ev[0], Event::Watch(we) if we.registrations.is_empty()));
}

#[test]
fn exists_on_missing_node_registers_an_exist_watch() {
    let mut h = connected("a");
    let id = h
        .session
        .submit(Request::exists("/m", true), h.now)
        .unwrap();
    let f = h.flush();
    h.deliver(&FakeServer::reply(f[0].xid(), 1, ErrorCode::NoNode, None));
    assert_eq!(replies(&h.events), vec![(id, Ok(Response::Exists(None)))]);
    h.deliver(&FakeServer::notification(EventType::NodeCreated, "/m", 2));
    assert!(matches!(h.events.last(), Some(Event::Watch(we))
        if we.registrations == vec![reg(id, WatchKind::Exist, "/m")]));
    // a failed getData registers nothing
    h.session
        .submit(Request::get_data("/gone", true), h.now)
        .unwrap();
    let f = h.flush();
    h.deliver(&FakeServer::reply(f[0].xid(), 3, ErrorCode::NoNode, None));
    h.deliver(&FakeServer::notification(
        EventType::NodeCreated,
        "/gone",
        4,
    ));
    assert!(matches!(h.events.last(), Some(Event::Watch(we)) if we.registrations.is_empty()));
}

#[test]
fn persistent_recursive_and_removal_events() {
    // a 3.9+ server: watcher type 5 goes on the wire as it is
    let mut c = config("a");
    c.persistent_watcher_types = true;
    let mut h = Harness::new(c);
    h.establish(T, SID);
    h.take_events();
    let r = h
        .session
        .submit(
            Request::AddWatch {
                path: "/t".into(),
                recursive: true,
            },
            h.now,
        )
        .unwrap();
    let f = h.flush();
    h.deliver(&FakeServer::ok(
        f[0].xid(),
        1,
        &zk_proto::Response::AddWatch(zk_proto::ErrorResponse { err: ErrorCode::Ok }),
    ));
    for _ in 0..2 {
        h.deliver(&FakeServer::notification(
            EventType::NodeCreated,
            "/t/a/b",
            2,
        ));
        assert!(matches!(h.events.last(), Some(Event::Watch(we))
            if we.registrations == vec![reg(r, WatchKind::PersistentRecursive, "/t")]));
    }
    // server-side removal of all persistent-recursive watches on /t
    let rm = h
        .session
        .submit(
            Request::RemoveWatches {
                path: "/t".into(),
                watcher_type: WatcherType::PersistentRecursive,
                registration: None,
                local: false,
            },
            h.now,
        )
        .unwrap();
    let f = h.flush();
    assert!(
        matches!(f[0].request(), zk_proto::Request::RemoveWatches(r) if r.watcher_type.to_i32() == 5)
    );
    h.deliver(&FakeServer::reply(f[0].xid(), 3, ErrorCode::Ok, None));
    let ev = h.take_events();
    let n = ev.len();
    assert!(
        matches!(&ev[n - 2], Event::Watch(we) if we.event_type == EventType::PersistentWatchRemoved)
    );
    assert_eq!(
        ev[n - 1],
        Event::Reply {
            id: rm,
            result: Ok(Response::RemoveWatches),
            registration: None,
        }
    );
    // nothing left to remove
    assert!(matches!(
        h.session.submit(
            Request::RemoveWatches {
                path: "/t".into(),
                watcher_type: WatcherType::Any,
                registration: None,
                local: true
            },
            h.now
        ),
        Err(SubmitError::NoWatcher { .. })
    ));
}

#[test]
fn local_removal_of_one_registration() {
    let mut h = connected("a");
    let a = h
        .session
        .submit(Request::get_children("/c", true), h.now)
        .unwrap();
    let b = h
        .session
        .submit(Request::get_children("/c", true), h.now)
        .unwrap();
    let f = h.flush();
    for x in &f {
        h.deliver(&FakeServer::ok(
            x.xid(),
            1,
            &zk_proto::Response::GetChildren(zk_proto::GetChildrenResponse { children: vec![] }),
        ));
    }
    h.take_events();
    h.session
        .submit(
            Request::RemoveWatches {
                path: "/c".into(),
                watcher_type: WatcherType::Children,
                registration: Some(a),
                local: true,
            },
            h.now,
        )
        .unwrap();
    h.pump();
    assert!(h.flush().is_empty(), "local removal sends nothing");
    let ev = h.take_events();
    assert!(
        matches!(&ev[0], Event::Watch(we) if we.event_type == EventType::ChildWatchRemoved
        && we.registrations == vec![reg(a, WatchKind::Child, "/c")])
    );
    h.deliver(&FakeServer::notification(
        EventType::NodeChildrenChanged,
        "/c",
        2,
    ));
    assert!(matches!(h.events.last(), Some(Event::Watch(we))
        if we.registrations == vec![reg(b, WatchKind::Child, "/c")]));
}

// ----- chroot -------------------------------------------------------------------------

#[test]
fn chroot_everywhere() {
    let mut h = connected("a:1/app");
    let c = h
        .session
        .submit(
            Request::create("/s-", Bytes::new(), CreateMode::PersistentSequential),
            h.now,
        )
        .unwrap();
    let w = h
        .session
        .submit(Request::get_data("/", true), h.now)
        .unwrap();
    let cfg = h
        .session
        .submit(Request::GetConfig { watch: true }, h.now)
        .unwrap();
    let f = h.flush();
    assert_eq!(f[0].request().path(), Some("/app/s-"));
    assert_eq!(f[1].request().path(), Some("/app"));
    assert_eq!(f[2].request().path(), Some("/zookeeper/config"));
    h.deliver(&FakeServer::ok(
        f[0].xid(),
        1,
        &zk_proto::Response::Create(zk_proto::CreateResponse {
            path: "/app/s-0000000001".into(),
        }),
    ));
    h.deliver(&data_reply(f[1].xid(), 2));
    h.deliver(&data_reply(f[2].xid(), 3));
    assert_eq!(
        replies(&h.events)[0],
        (
            c,
            Ok(Response::Create {
                path: "/s-0000000001".into(),
                stat: None
            })
        )
    );
    h.deliver(&FakeServer::notification(
        EventType::NodeDataChanged,
        "/app",
        4,
    ));
    assert!(
        matches!(h.events.last(), Some(Event::Watch(we)) if we.path == "/"
        && we.registrations == vec![reg(w, WatchKind::Data, "/")])
    );
    h.deliver(&FakeServer::notification(
        EventType::NodeDataChanged,
        "/zookeeper/config",
        5,
    ));
    assert!(
        matches!(h.events.last(), Some(Event::Watch(we)) if we.path == "/zookeeper/config"
        && we.registrations == vec![reg(cfg, WatchKind::Data, "/zookeeper/config")])
    );
    // SetWatches carries server paths
    h.session
        .submit(Request::exists("/e", true), h.now)
        .unwrap();
    let f = h.flush();
    h.deliver(&FakeServer::reply(f[0].xid(), 6, ErrorCode::NoNode, None));
    h.server_close();
    h.establish(T, SID);
    let f = h.flush();
    let zk_proto::Request::SetWatches(sw) = f[0].request() else {
        panic!()
    };
    assert_eq!(sw.exist_watches, vec!["/app/e".to_string()]);
    assert!(sw.data_watches.is_empty(), "fired one-shots are gone");
}

// ----- read-only ----------------------------------------------------------------------

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
    let id = h
        .session
        .submit(Request::set_data("/x", Bytes::new(), -1), h.now)
        .unwrap();
    let f = h.flush();
    h.deliver(&FakeServer::reply(
        f[0].xid(),
        0,
        ErrorCode::NotReadOnly,
        None,
    ));
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::Server(ErrorCode::NotReadOnly)))]
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

// ----- breadth: every op -------------------------------------------------------------

/// A request, its op code, its server path, the server's body and the typed result.
type OpCase = (
    Request,
    i32,
    Option<&'static str>,
    Option<zk_proto::Response>,
    Response,
);

#[test]
fn every_op_is_encoded_and_its_result_typed() {
    use zk_proto::Response as R;
    let mut h = connected("a/ch");
    let acl = zk_proto::open_acl_unsafe();
    let cases: Vec<OpCase> = vec![
        (
            Request::delete("/d", 3),
            2,
            Some("/ch/d"),
            None,
            Response::Delete,
        ),
        (
            Request::exists("/e", false),
            3,
            Some("/ch/e"),
            Some(R::Exists(zk_proto::ExistsResponse { stat: stat(1) })),
            Response::Exists(Some(stat(1))),
        ),
        (
            Request::GetAcl { path: "/g".into() },
            6,
            Some("/ch/g"),
            Some(R::GetAcl(zk_proto::GetAclResponse {
                acl: acl.clone(),
                stat: stat(2),
            })),
            Response::GetAcl {
                acl: acl.clone(),
                stat: stat(2),
            },
        ),
        (
            Request::SetAcl {
                path: "/s".into(),
                acl: acl.clone(),
                version: -1,
            },
            7,
            Some("/ch/s"),
            Some(R::SetAcl(zk_proto::SetAclResponse { stat: stat(3) })),
            Response::SetAcl(stat(3)),
        ),
        (
            Request::GetChildren {
                path: "/c".into(),
                watch: false,
                with_stat: true,
            },
            12,
            Some("/ch/c"),
            Some(R::GetChildren2(zk_proto::GetChildren2Response {
                children: vec!["k".into()],
                stat: stat(4),
            })),
            Response::GetChildren {
                children: vec!["k".into()],
                stat: Some(stat(4)),
            },
        ),
        (
            Request::Sync { path: "/y".into() },
            9,
            Some("/ch/y"),
            Some(R::Sync(zk_proto::SyncResponse {
                path: "/ch/y".into(),
            })),
            Response::Sync {
                path: "/ch/y".into(),
            },
        ),
        (
            Request::Reconfig {
                joining: Some("server.4=h:2888:3888".into()),
                leaving: None,
                new_members: None,
                config_id: -1,
            },
            16,
            None,
            Some(R::Reconfig(GetDataResponse {
                data: Bytes::from_static(b"cfg"),
                stat: stat(5),
            })),
            Response::Reconfig {
                data: Bytes::from_static(b"cfg"),
                stat: stat(5),
            },
        ),
        (
            Request::WhoAmI,
            107,
            None,
            Some(R::WhoAmI(zk_proto::WhoAmIResponse {
                client_info: vec![zk_proto::ClientInfo {
                    auth_scheme: "ip".into(),
                    user: "127.0.0.1".into(),
                }],
            })),
            Response::WhoAmI(vec![zk_proto::ClientInfo {
                auth_scheme: "ip".into(),
                user: "127.0.0.1".into(),
            }]),
        ),
        (
            Request::GetEphemerals { prefix: "/".into() },
            103,
            Some("/"),
            Some(R::GetEphemerals(zk_proto::GetEphemeralsResponse {
                ephemerals: vec!["/ch/e1".into()],
            })),
            Response::GetEphemerals(vec!["/ch/e1".into()]),
        ),
        (
            Request::GetAllChildrenNumber { path: "/n".into() },
            104,
            Some("/ch/n"),
            Some(R::GetAllChildrenNumber(
                zk_proto::GetAllChildrenNumberResponse { total_number: 12 },
            )),
            Response::GetAllChildrenNumber(12),
        ),
        (
            Request::Create {
                path: "/t".into(),
                data: Bytes::new(),
                acl: acl.clone(),
                mode: CreateMode::PersistentWithTtl,
                ttl: Some(60_000),
                with_stat: false,
            },
            21,
            Some("/ch/t"),
            Some(R::Create2(zk_proto::Create2Response {
                path: "/ch/t".into(),
                stat: stat(6),
            })),
            Response::Create {
                path: "/t".into(),
                stat: Some(stat(6)),
            },
        ),
    ];
    for (req, op, path, body, want) in cases {
        let id = h.session.submit(req, h.now).unwrap();
        let f = h.flush();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].request().op_code().to_i32(), op);
        if path.is_some() {
            assert_eq!(f[0].request().path(), path);
        }
        let frame = match &body {
            Some(b) => FakeServer::ok(f[0].xid(), 10, b),
            None => FakeServer::reply(f[0].xid(), 10, ErrorCode::Ok, None),
        };
        h.deliver(&frame);
        assert_eq!(replies(&h.events).last().unwrap(), &(id, Ok(want)));
    }
    // empty ACLs never leave the client
    assert_eq!(
        h.session.submit(
            Request::SetAcl {
                path: "/s".into(),
                acl: vec![],
                version: -1
            },
            h.now
        ),
        Err(SubmitError::EmptyAcl)
    );
}

#[test]
fn multi_read_has_independent_results() {
    let mut h = connected("a");
    let ops = vec![
        zk_proto::MultiOp::GetData(zk_proto::GetDataRequest {
            path: "/x".into(),
            watch: false,
        }),
        zk_proto::MultiOp::GetChildren(zk_proto::GetChildrenRequest {
            path: "/y".into(),
            watch: false,
        }),
    ];
    let id = h.session.submit(Request::MultiRead(ops), h.now).unwrap();
    let f = h.flush();
    assert_eq!(f[0].request().op_code().to_i32(), 22);
    let results = vec![
        zk_proto::MultiResult::GetData(Box::new(GetDataResponse {
            data: Bytes::from_static(b"1"),
            stat: stat(1),
        })),
        zk_proto::MultiResult::Error(ErrorCode::NoNode),
    ];
    h.deliver(&FakeServer::ok(
        f[0].xid(),
        3,
        &zk_proto::Response::Multi(zk_proto::MultiResponse {
            results: results.clone(),
        }),
    ));
    assert_eq!(
        replies(&h.events),
        vec![(id, Ok(Response::MultiRead(results)))]
    );
}

#[test]
fn stale_connection_input_is_ignored() {
    let mut h = connected("a,b");
    let old = h.conn.unwrap();
    h.server_close();
    h.establish(T, SID);
    let before = h.events.len();
    h.session.handle_bytes(old, &data_reply(1, 1), h.now);
    h.session
        .handle_disconnected(old, zk_session::DisconnectCause::Eof, h.now);
    h.pump();
    assert_eq!(h.events.len(), before);
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn session_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<zk_session::Session>();
}
