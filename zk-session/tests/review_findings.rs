//! Tests for the findings of the zk-session review: extreme durations (B1), the config
//! watch under a chroot (B2), local answers in submit order (B3), Java's ping timing
//! (D1), addWatch on NoNode (D2), answered requests never re-sent (R1), stale
//! `advance_send` (R2), SetWatches within the frame limit (R3), no expiry while
//! closing (R4), read-write probe and backoff (R5), and an oversize reply failing its
//! request (ReplyTooLarge).

use std::time::{Duration, Instant};

use bytes::Bytes;
use zk_proto::{CreateMode, ErrorCode, EventType, GetDataResponse, KeeperState, Stat};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    CloseReason, Config, ConfigError, Event, MAX_DURATION, Registration, Request, RequestError,
    RequestId, Response, Session, SessionState, Transport, WatchKind, WatcherType,
};

const T: i32 = 30_000;
const SID: i64 = 0x77;

fn config(connect: &str) -> Config {
    let mut c = Config::new(connect);
    c.session_timeout = Duration::from_millis(T as u64);
    c.seed = 1;
    c
}

fn connected_with(c: Config) -> Harness {
    let mut h = Harness::new(c);
    h.establish(T, SID);
    h.take_events();
    h
}

fn connected(connect: &str) -> Harness {
    connected_with(config(connect))
}

fn data_reply(xid: i32) -> Vec<u8> {
    FakeServer::ok(
        xid,
        5,
        &zk_proto::Response::GetData(GetDataResponse {
            data: Bytes::from_static(b"d"),
            stat: Stat::default(),
        }),
    )
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

fn reply_ids(events: &[Event]) -> Vec<RequestId> {
    replies(events).into_iter().map(|(id, _)| id).collect()
}

fn watch_events(events: &[Event]) -> Vec<(EventType, String, Vec<Registration>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Watch(w) => Some((w.event_type, w.path.clone(), w.registrations.clone())),
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

fn requests(frames: &[ClientFrame]) -> Vec<(i32, zk_proto::Request)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ClientFrame::Request { xid, request } => Some((*xid, request.clone())),
            _ => None,
        })
        .collect()
}

/// The latest `Instant` this platform can represent (found by doubling steps).
fn latest_instant() -> Instant {
    let mut t = Instant::now();
    let mut d = Duration::MAX;
    while !d.is_zero() {
        match t.checked_add(d) {
            Some(n) => t = n,
            None => d /= 2,
        }
    }
    t
}

/// A harness whose session starts at `now` instead of the real clock.
fn harness_at(c: Config, now: Instant) -> Harness {
    let mut h = Harness::new(Config::new("unused"));
    h.transports.clear();
    h.session = Session::new(c, now).expect("valid config");
    h.now = now;
    h.pump();
    h
}

// ----- B1: extreme durations -----------------------------------------------------------

#[test]
fn durations_beyond_i32_max_ms_are_refused_naming_the_field_and_limit() {
    type Set = fn(&mut Config);
    let cases: [(&str, Set); 4] = [
        ("request_timeout", |c| {
            c.request_timeout = Some(Duration::MAX)
        }),
        ("close_timeout", |c| c.close_timeout = Duration::MAX),
        ("reconnect_backoff", |c| {
            c.reconnect_backoff = Duration::MAX;
            c.max_reconnect_backoff = Duration::MAX;
        }),
        ("max_reconnect_backoff", |c| {
            c.max_reconnect_backoff = MAX_DURATION + Duration::from_millis(1)
        }),
    ];
    for (field, set) in cases {
        let mut c = config("a");
        set(&mut c);
        let err = Session::new(c, Instant::now()).unwrap_err();
        assert!(
            matches!(err, ConfigError::DurationTooLong { field: f, .. } if f == field),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(field) && msg.contains("i32::MAX ms"), "{msg}");
    }
}

/// Every duration at its limit, on a clock that cannot add them: the deadlines
/// saturate ("never") instead of panicking, and the session still works.
fn run_with_limit_durations(start: Instant) {
    let mut c = config("a,b");
    c.request_timeout = Some(MAX_DURATION);
    c.close_timeout = MAX_DURATION;
    c.reconnect_backoff = MAX_DURATION;
    c.max_reconnect_backoff = MAX_DURATION;
    let mut h = harness_at(c, start);
    // two refused dials: a full failed pass, then the longest backoff
    h.refuse();
    h.refuse();
    assert!(h.pending_connect().is_none(), "backing off");
    assert!(h.session.poll_timeout().is_some());
    h.run_next_timer();
    h.establish(T, SID);
    let id = h
        .session
        .submit(Request::get_data("/x", false), h.now)
        .unwrap();
    let f = h.flush();
    h.deliver(&data_reply(f[0].xid()));
    assert_eq!(reply_ids(&h.events), vec![id]);
    h.session.close(h.now);
    assert_eq!(h.session.state(), SessionState::Closing);
    h.flush();
    let _ = h.session.poll_timeout();
    h.advance(Duration::from_secs(1));
    h.deliver(&FakeServer::reply(
        requests(&f).len() as i32 + 1,
        0,
        ErrorCode::Ok,
        None,
    ));
    assert_eq!(h.session.state(), SessionState::Closed);
}

#[test]
fn limit_durations_never_panic_even_at_the_end_of_the_clock() {
    run_with_limit_durations(Instant::now());
    // one hour before the last representable instant: now + 24.8 days overflows
    run_with_limit_durations(latest_instant() - Duration::from_secs(3600));
}

#[test]
fn read_and_expiry_deadlines_saturate_at_the_end_of_the_clock() {
    let mut c = config("a");
    c.session_timeout = Duration::from_millis(i32::MAX as u64);
    let start = latest_instant() - Duration::from_secs(1);
    let mut h = harness_at(c, start);
    h.establish(i32::MAX, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
    assert!(h.session.poll_timeout().is_some_and(|t| t >= start));
    h.session.handle_timeout(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Connected);
}

// ----- B2: getConfig watch under a chroot ------------------------------------------------

#[test]
fn config_watch_under_chroot_is_kept_apart_and_reregistered_unchrooted() {
    let mut h = connected("a/app");
    let cfg = h
        .session
        .submit(Request::GetConfig { watch: true }, h.now)
        .unwrap();
    let user = h
        .session
        .submit(Request::get_data("/zookeeper/config", true), h.now)
        .unwrap();
    let f = requests(&h.flush());
    let paths: Vec<String> = f
        .iter()
        .map(|(_, r)| match r {
            zk_proto::Request::GetData(g) => g.path.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(paths, ["/zookeeper/config", "/app/zookeeper/config"]);
    for (xid, _) in &f {
        h.deliver(&data_reply(*xid));
    }
    let cfg_reg = h.session.registration(cfg).cloned().unwrap();
    let user_reg = h.session.registration(user).cloned().unwrap();
    assert_eq!(cfg_reg.path, "/zookeeper/config");
    assert_eq!(user_reg.path, "/zookeeper/config");
    // reconnect: SetWatches names each at its own server path
    h.server_close();
    h.take_events();
    h.establish(T, SID);
    let sw = requests(&h.flush());
    assert_eq!(sw.len(), 1);
    let zk_proto::Request::SetWatches(s) = &sw[0].1 else {
        panic!("{sw:?}")
    };
    assert_eq!(
        s.data_watches,
        ["/app/zookeeper/config", "/zookeeper/config"]
    );
    h.deliver(&FakeServer::reply(sw[0].0, 0, ErrorCode::Ok, None));
    h.take_events();
    // each notification fires only its own registration; both report the client path
    h.deliver(&FakeServer::notification(
        EventType::NodeDataChanged,
        "/app/zookeeper/config",
        9,
    ));
    h.deliver(&FakeServer::notification(
        EventType::NodeDataChanged,
        "/zookeeper/config",
        10,
    ));
    assert_eq!(
        watch_events(&h.take_events()),
        vec![
            (
                EventType::NodeDataChanged,
                "/zookeeper/config".to_string(),
                vec![user_reg]
            ),
            (
                EventType::NodeDataChanged,
                "/zookeeper/config".to_string(),
                vec![cfg_reg]
            ),
        ]
    );
}

#[test]
fn removing_the_users_watch_under_chroot_leaves_the_config_watch() {
    let mut h = connected("a/app");
    let cfg = h
        .session
        .submit(Request::GetConfig { watch: true }, h.now)
        .unwrap();
    let user = h
        .session
        .submit(Request::get_data("/zookeeper/config", true), h.now)
        .unwrap();
    for (xid, _) in requests(&h.flush()) {
        h.deliver(&data_reply(xid));
    }
    h.session
        .submit(
            Request::RemoveWatches {
                path: "/zookeeper/config".into(),
                watcher_type: WatcherType::Data,
                registration: None,
                local: true,
            },
            h.now,
        )
        .unwrap();
    h.pump();
    assert!(h.session.registration(user).is_none());
    assert!(h.session.registration(cfg).is_some());
}

// ----- B3: local answers keep submit order -----------------------------------------------

#[test]
fn empty_multis_wait_for_earlier_replies() {
    let mut h = connected("a");
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let m = h.session.submit(Request::Multi(vec![]), h.now).unwrap();
    let b = h
        .session
        .submit(Request::get_data("/b", false), h.now)
        .unwrap();
    let r = h.session.submit(Request::MultiRead(vec![]), h.now).unwrap();
    h.pump();
    assert!(replies(&h.events).is_empty(), "nothing answered before a");
    let f = requests(&h.flush());
    assert_eq!(f.len(), 2, "local requests write nothing");
    assert_eq!(h.session.outstanding(), 4);
    h.deliver(&data_reply(f[0].0));
    assert_eq!(reply_ids(&h.events), vec![a, m]);
    h.deliver(&data_reply(f[1].0));
    assert_eq!(
        replies(&h.events),
        vec![
            (a, replies(&h.events)[0].1.clone()),
            (m, Ok(Response::Multi(vec![]))),
            (b, replies(&h.events)[2].1.clone()),
            (r, Ok(Response::MultiRead(vec![]))),
        ]
    );
    assert_eq!(h.session.outstanding(), 0);
    // nothing outstanding: answered at once
    let now = h.session.submit(Request::Multi(vec![]), h.now).unwrap();
    h.pump();
    assert_eq!(reply_ids(&h.events).last(), Some(&now));
}

#[test]
fn local_watch_removal_waits_for_earlier_replies_and_removes_then() {
    let mut h = connected("a");
    let w = h
        .session
        .submit(Request::get_data("/w", true), h.now)
        .unwrap();
    let f = requests(&h.flush());
    h.deliver(&data_reply(f[0].0));
    h.take_events();
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let rm = h
        .session
        .submit(
            Request::RemoveWatches {
                path: "/w".into(),
                watcher_type: WatcherType::Data,
                registration: None,
                local: true,
            },
            h.now,
        )
        .unwrap();
    h.pump();
    assert!(h.take_events().is_empty());
    assert!(h.session.registration(w).is_some(), "removed in order");
    let f = requests(&h.flush());
    assert_eq!(f.len(), 1);
    h.deliver(&data_reply(f[0].0));
    let ev = h.take_events();
    assert_eq!(reply_ids(&ev), vec![a, rm]);
    assert_eq!(
        watch_events(&ev),
        vec![(
            EventType::DataWatchRemoved,
            "/w".to_string(),
            vec![Registration {
                id: w,
                kind: WatchKind::Data,
                path: "/w".into()
            }]
        )]
    );
    assert!(h.session.registration(w).is_none());
}

#[test]
fn local_removal_of_a_watch_that_fired_meanwhile_fails_with_no_watcher() {
    let mut h = connected("a");
    let w = h
        .session
        .submit(Request::get_data("/w", true), h.now)
        .unwrap();
    let f = requests(&h.flush());
    h.deliver(&data_reply(f[0].0));
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let rm = h
        .session
        .submit(
            Request::RemoveWatches {
                path: "/w".into(),
                watcher_type: WatcherType::Data,
                registration: Some(w),
                local: true,
            },
            h.now,
        )
        .unwrap();
    let f = requests(&h.flush());
    h.take_events();
    h.deliver(&FakeServer::notification(EventType::NodeDeleted, "/w", 6));
    h.deliver(&data_reply(f[0].0));
    assert_eq!(
        replies(&h.events)[1],
        (rm, Err(RequestError::Server(ErrorCode::NoWatcher)))
    );
    assert_eq!(reply_ids(&h.events), vec![a, rm]);
}

#[test]
fn local_answers_keep_their_place_across_a_drop() {
    let mut h = connected("a");
    // a: written and lost; m1: local; b: unwritten (requeued); m2: local behind b
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let m1 = h.session.submit(Request::Multi(vec![]), h.now).unwrap();
    h.flush();
    let b = h
        .session
        .submit(Request::get_data("/b", false), h.now)
        .unwrap();
    let m2 = h.session.submit(Request::Multi(vec![]), h.now).unwrap();
    // b is in the send buffer but never written
    h.server_close();
    assert_eq!(reply_ids(&h.events), vec![a, m1]);
    assert_eq!(replies(&h.events)[0].1, Err(RequestError::ConnectionLoss));
    h.take_events();
    h.establish(T, SID);
    let f = requests(&h.flush());
    assert_eq!(f.len(), 1, "b is sent again, the multi is not written");
    h.deliver(&data_reply(f[0].0));
    assert_eq!(reply_ids(&h.events), vec![b, m2]);
}

#[test]
fn a_queued_local_answer_times_out_in_order_with_the_requests_before_it() {
    let mut c = config("a");
    c.request_timeout = Some(Duration::from_secs(5));
    let mut h = Harness::new(c);
    // not connected: everything queues
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let m = h.session.submit(Request::Multi(vec![]), h.now).unwrap();
    h.pump();
    assert!(h.events.is_empty());
    h.advance(Duration::from_secs(5));
    assert_eq!(reply_ids(&h.events), vec![a, m]);
}

// ----- D1: ping timing -------------------------------------------------------------------

fn pings(frames: &[ClientFrame]) -> usize {
    requests(frames)
        .iter()
        .filter(|(xid, r)| *xid == -2 && *r == zk_proto::Request::Ping)
        .count()
}

fn first_ping_after(timeout_ms: i32) -> Duration {
    let mut c = config("a");
    c.session_timeout = Duration::from_millis(timeout_ms as u64);
    let mut h = Harness::new(c);
    h.establish(timeout_ms, SID);
    h.flush();
    let start = h.now;
    loop {
        h.advance(Duration::from_millis(1));
        if pings(&h.flush()) > 0 {
            return h.now - start;
        }
    }
}

#[test]
fn ping_interval_is_javas_third_less_a_second_capped_at_ten_seconds() {
    assert_eq!(first_ping_after(60_000), Duration::from_secs(10), "cap");
    assert_eq!(first_ping_after(40_000), Duration::from_secs(10), "cap");
    assert_eq!(
        first_ping_after(30_000),
        Duration::from_secs(9),
        "T/3 - 1 s"
    );
    assert_eq!(
        first_ping_after(12_000),
        Duration::from_secs(3),
        "T/3 - 1 s"
    );
    // small T: never below T/6
    assert_eq!(first_ping_after(6_000), Duration::from_secs(1));
    assert_eq!(first_ping_after(3_000), Duration::from_millis(500));
    assert_eq!(first_ping_after(600), Duration::from_millis(100));
}

// ----- D2: addWatch on NoNode --------------------------------------------------------------

#[test]
fn add_watch_answered_no_node_registers_like_java() {
    let mut h = connected("a");
    let id = h
        .session
        .submit(
            Request::AddWatch {
                path: "/missing".into(),
                recursive: false,
            },
            h.now,
        )
        .unwrap();
    let f = requests(&h.flush());
    h.deliver(&FakeServer::reply(f[0].0, 3, ErrorCode::NoNode, None));
    let r = Registration {
        id,
        kind: WatchKind::Persistent,
        path: "/missing".into(),
    };
    assert_eq!(
        h.take_events(),
        vec![Event::Reply {
            id,
            result: Ok(Response::AddWatch),
            registration: Some(r.clone()),
        }]
    );
    h.deliver(&FakeServer::notification(
        EventType::NodeCreated,
        "/missing",
        4,
    ));
    assert_eq!(watch_events(&h.events)[0].2, vec![r]);
}

// ----- R1: an answered request is never sent again -----------------------------------------

#[test]
fn a_request_answered_before_its_write_was_reported_is_not_resent() {
    let mut h = connected("a");
    let a = h
        .session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let b = h
        .session
        .submit(
            Request::create("/b", Bytes::new(), CreateMode::Persistent),
            h.now,
        )
        .unwrap();
    // the driver wrote the bytes but reads before reporting the write
    let bytes = h.session.send_buf().to_vec();
    let f = requests(&h.server.feed(&bytes));
    h.deliver(&data_reply(f[0].0));
    // b's reply arrives, but its body does not decode: the connection drops
    h.deliver(&FakeServer::reply(f[1].0, 9, ErrorCode::Ok, None));
    assert!(matches!(closes(&h)[0], CloseReason::Decode(_)));
    assert_eq!(reply_ids(&h.events), vec![a, b]);
    assert_eq!(replies(&h.events)[1].1, Err(RequestError::ConnectionLoss));
    assert_eq!(h.session.outstanding(), 0);
    h.establish(T, SID);
    assert!(
        requests(&h.flush()).is_empty(),
        "the create is not sent twice"
    );
}

// ----- R2: advance_send takes the connection ---------------------------------------------

#[test]
fn a_late_advance_send_for_an_old_connection_is_ignored() {
    let mut h = connected("a");
    h.session
        .submit(Request::get_data("/a", false), h.now)
        .unwrap();
    let old = h.conn.unwrap();
    let unsent = h.session.send_buf().len();
    assert!(unsent > 0);
    h.server_close();
    if h.pending_connect().is_none() {
        h.run_next_timer();
    }
    h.accept();
    let handshake = h.session.send_buf().to_vec();
    h.session.advance_send(old, unsent, h.now);
    assert_eq!(h.session.send_buf(), &handshake[..], "new handshake intact");
    let f = h.flush();
    assert!(matches!(f[0], ClientFrame::Connect(_)));
}

// ----- R3: SetWatches within max_frame ---------------------------------------------------

#[test]
fn set_watches_batches_fit_max_frame_and_an_unfittable_path_is_dropped_with_an_event() {
    let mut c = config("a");
    c.max_frame_size = 256;
    let mut h = connected_with(c);
    let mut ids = Vec::new();
    // 20 paths of 30 characters: about 680 bytes of paths
    for i in 0..20 {
        let p = format!("/{i:029}");
        ids.push(h.session.submit(Request::get_data(p, true), h.now).unwrap());
    }
    // a path that fits a getData (≤ 256) but no SetWatches frame (header 36 + 4 + len)
    let long = format!("/{}", "x".repeat(229));
    let long_id = h
        .session
        .submit(Request::exists(long.clone(), true), h.now)
        .unwrap();
    for (xid, _) in requests(&h.flush()) {
        h.deliver(&data_reply(xid));
    }
    assert_eq!(h.session.watches().count(), 21);
    h.server_close();
    h.take_events();
    h.establish(T, SID);
    let sw = requests(&h.flush());
    assert!(sw.len() >= 3, "several batches: {}", sw.len());
    let mut sent = Vec::new();
    for (_, r) in &sw {
        let size = zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(r);
        assert!(size <= 256, "frame of {size} bytes");
        let zk_proto::Request::SetWatches(s) = r else {
            panic!("{r:?}")
        };
        sent.extend(s.data_watches.iter().cloned());
        assert!(s.exist_watches.is_empty() && s.child_watches.is_empty());
    }
    assert_eq!(sent.len(), 20);
    assert!(!sent.contains(&long));
    let ev = h.take_events();
    assert_eq!(
        watch_events(&ev),
        vec![(
            EventType::DataWatchRemoved,
            long.clone(),
            vec![Registration {
                id: long_id,
                kind: WatchKind::Data,
                path: long
            }]
        )]
    );
    assert_eq!(h.session.watches().count(), 20);
}

// ----- R4: no client-side expiry while closing ------------------------------------------

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

// ----- R5: a probe result does not count as a failed attempt -------------------------------

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

// ----- ReplyTooLarge -------------------------------------------------------------------

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
