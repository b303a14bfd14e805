//! Requests the session answers itself (an empty multi/multiRead, a local watch
//! removal) keep their place in submit order.

mod common;

use std::time::Duration;

use zk_proto::{ErrorCode, EventType};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Registration, Request, RequestError, Response, WatchKind, WatcherType};

use common::{SID, T, config, connected, data_reply, replies, reply_ids, requests, watch_events};

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
    h.deliver(&data_reply(f[0].0, 5));
    assert_eq!(reply_ids(&h.events), vec![a, m]);
    h.deliver(&data_reply(f[1].0, 5));
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
    h.deliver(&data_reply(f[0].0, 5));
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
    h.deliver(&data_reply(f[0].0, 5));
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
    h.deliver(&data_reply(f[0].0, 5));
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
    h.deliver(&data_reply(f[0].0, 5));
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
    h.deliver(&data_reply(f[0].0, 5));
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
