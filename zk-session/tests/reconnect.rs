//! Reconnecting: auths, then SetWatches batches (each frame within 128 KiB and the
//! frame limit), then queued requests; what the server already answered is never sent
//! again.

mod common;

use bytes::Bytes;
use zk_proto::{CreateMode, ErrorCode, EventType, KeeperState};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{CloseReason, Event, Request, RequestError, Response, WatchKind};

use common::{
    HarnessExt, SID, T, add_watch, add_watch_reply, closes, config, connected, connected_with,
    data_reply, data_watch_removed, flush_with_sizes, reg, replies, reply_ids, requests, stat,
    watch_data, watch_events,
};

#[test]
fn reconnect_sends_auths_then_set_watches_then_queued_requests() {
    let mut h = connected("a,b");
    h.session
        .add_auth("digest", Bytes::from_static(b"u:p"), h.now)
        .unwrap();
    h.session
        .add_auth("ip", Bytes::from_static(b"x"), h.now)
        .unwrap();
    let f = h.flush();
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|f| f.xid() == -4));
    // a data watch and a persistent watch
    let w = h.submit(Request::get_data("/w", true));
    let p = h.submit(add_watch("/p", false));
    let f = h.flush();
    h.deliver(&data_reply(f[0].xid(), 100));
    h.deliver(&add_watch_reply(f[1].xid(), 101));
    // one written-but-unanswered, one never written
    let (lost, _) = h.submit_and_flush(Request::get_data("/lost", false));
    h.server_close();
    let kept = h.submit(Request::get_data("/kept", false));
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
        ..
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
    assert!(matches!(f[0].request(), zk_proto::WireRequest::Auth(a) if a.scheme == "digest"));
    assert!(matches!(f[1].request(), zk_proto::WireRequest::Auth(a) if a.scheme == "ip"));
    let zk_proto::WireRequest::SetWatches2(sw) = f[2].request() else {
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
        h.notify(EventType::NodeDataChanged, "/p", 103);
        assert!(matches!(h.events.last(), Some(Event::Watch(we))
            if we.registrations == vec![reg(p, WatchKind::Persistent, "/p")]));
    }
}

#[test]
fn auth_added_while_disconnected_is_sent_after_the_handshake() {
    let mut h = Harness::new(config("a"));
    h.session
        .add_auth("digest", Bytes::from_static(b"u:p"), h.now)
        .unwrap();
    let id = h.submit(Request::get_data("/x", false));
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
fn a_request_answered_before_its_write_was_reported_is_not_resent() {
    let mut h = connected("a");
    let a = h.submit(Request::get_data("/a", false));
    let b = h.submit(Request::create("/b", Bytes::new(), CreateMode::Persistent));
    // the driver wrote the bytes but reads before reporting the write
    let bytes = h.session.send_buf().to_vec();
    let f = requests(&h.server.feed(&bytes));
    h.deliver(&data_reply(f[0].0, 5));
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

#[test]
fn set_watches_frames_of_10000_long_paths_stay_within_128_kib_on_the_wire() {
    let mut h = connected("a/root");
    let n = 10_000;
    // 102-character server paths
    let path = |i: usize| format!("/{}/{i:05}", "x".repeat(90));
    for i in 0..n {
        h.submit(Request::get_data(path(i), true));
        if i % 500 == 499 {
            for f in h.flush() {
                h.deliver(&data_reply(f.xid(), 1));
            }
        }
    }
    assert_eq!(replies(&h.events).len(), n);
    h.server_close();
    h.establish(T, SID);
    let f = flush_with_sizes(&mut h);
    let mut seen = Vec::new();
    for (size, fr) in &f {
        let zk_proto::WireRequest::SetWatches(sw) = fr.request() else {
            panic!("only SetWatches expected, got {:?}", fr.request().op_code())
        };
        // Java's 128 KiB, counted over the whole frame, length prefix included
        assert!(*size <= 128 * 1024, "SetWatches frame of {size} bytes");
        seen.extend(sw.data_watches.iter().cloned());
    }
    // batches are full: 10,000 entries of 106 bytes fill 9 frames
    assert!((8..=10).contains(&f.len()), "{} batches", f.len());
    // every registration is carried, once
    seen.sort();
    let mut want: Vec<String> = (0..n).map(|i| format!("/root{}", path(i))).collect();
    want.sort();
    assert_eq!(seen, want);
}

#[test]
fn a_path_longer_than_the_set_watches_budget_goes_alone_in_a_frame_the_server_takes() {
    let mut h = connected("a");
    let long = format!("/{}", "x".repeat(130 * 1024));
    let big = watch_data(&mut h, &long);
    let small = watch_data(&mut h, "/small");
    h.server_close();
    h.take_events();
    h.establish(T, SID);
    let f = flush_with_sizes(&mut h);
    let batches: Vec<(usize, Vec<String>)> = f
        .iter()
        .map(|(size, fr)| match fr.request() {
            zk_proto::WireRequest::SetWatches(sw) => (*size, sw.data_watches.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        batches.len(),
        2,
        "{:?}",
        batches.iter().map(|b| b.0).collect::<Vec<_>>()
    );
    let alone = batches.iter().find(|b| b.1.contains(&long)).unwrap();
    assert_eq!(alone.1.len(), 1, "the long path goes alone");
    assert!(alone.0 > 128 * 1024 && alone.0 <= 4 + zk_session::DEFAULT_MAX_FRAME_SIZE);
    assert!(batches.iter().any(|b| b.1 == ["/small"]));
    // both stay registered: nothing was dropped
    assert!(h.session.registration(big).is_some());
    assert!(h.session.registration(small).is_some());
    assert!(watch_events(&h.events).is_empty());
}

#[test]
fn set_watches_batches_fit_max_frame_and_an_unfittable_path_is_dropped_with_an_event() {
    let mut c = config("a");
    c.max_frame_size = 256;
    let mut h = connected_with(c);
    let mut ids = Vec::new();
    // 20 paths of 30 characters: about 680 bytes of paths
    for i in 0..20 {
        let p = format!("/{i:029}");
        ids.push(h.submit(Request::get_data(p, true)));
    }
    // a path that fits a getData (≤ 256) but no SetWatches frame (header 36 + 4 + len)
    let long = format!("/{}", "x".repeat(229));
    let long_id = h.submit(Request::exists(long.clone(), true));
    for (xid, _) in requests(&h.flush()) {
        h.deliver(&data_reply(xid, 5));
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
        let zk_proto::WireRequest::SetWatches(s) = r else {
            panic!("{r:?}")
        };
        sent.extend(s.data_watches.iter().cloned());
        assert!(s.exist_watches.is_empty() && s.child_watches.is_empty());
    }
    assert_eq!(sent.len(), 20);
    assert!(!sent.contains(&long));
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed(&long, long_id));
    assert_eq!(h.session.watches().count(), 20);
}
