//! Requests the session answers itself (an empty multi/multiRead, a local watch
//! removal) keep their place in submit order; a local watch removal takes effect at
//! submit, connected or not (what the server is told of it: local_removal.rs).

mod common;

use std::time::Duration;

use zk_proto::{ErrorCode, EventType};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Request, RequestError, Response, SubmitError, WatcherType};

use common::{
    HarnessExt, SID, T, config, connected, data_reply, data_watch_removed, remove_watches, replies,
    reply_ids, requests, watch_data, watch_events,
};

#[test]
fn empty_multis_wait_for_earlier_replies() {
    let mut h = connected("a");
    let a = h.submit(Request::get_data("/a", false));
    let m = h.submit(Request::Multi(vec![]));
    let b = h.submit(Request::get_data("/b", false));
    let r = h.submit(Request::MultiRead(vec![]));
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
    let now = h.submit(Request::Multi(vec![]));
    h.pump();
    assert_eq!(reply_ids(&h.events).last(), Some(&now));
}

#[test]
fn local_watch_removal_takes_effect_at_submit_and_replies_in_order() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    h.take_events();
    let a = h.submit(Request::get_data("/a", false));
    let rm = h.submit(remove_watches("/w", WatcherType::Data, None, true));
    h.pump();
    // the registration is gone and its removal event is out at once
    assert!(h.session.registration(w).is_none(), "removed at submit");
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed("/w", w));
    assert!(replies(&ev).is_empty(), "the reply waits for a's");
    // only its reply keeps submit order (the server is told too: see local_removal.rs)
    let f = requests(&h.flush());
    assert_eq!(f.len(), 2);
    assert!(matches!(f[1].1, zk_proto::WireRequest::RemoveWatches(_)));
    h.deliver(&data_reply(f[0].0, 5));
    assert_eq!(reply_ids(&h.events), vec![a]);
    h.deliver(&FakeServer::reply(f[1].0, 6, ErrorCode::Ok, None));
    let ev = h.take_events();
    assert_eq!(reply_ids(&ev), vec![a, rm]);
    assert_eq!(replies(&ev)[1].1, Ok(Response::RemoveWatches));
    assert!(watch_events(&ev).is_empty(), "one removal event only");
}

#[test]
fn a_notification_after_a_local_removal_fires_nothing() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    let a = h.submit(Request::get_data("/a", false));
    let rm = h.submit(remove_watches("/w", WatcherType::Data, Some(w), true));
    let f = requests(&h.flush());
    h.take_events();
    // the server still holds the watch and fires it before it reads the removal
    h.notify(EventType::NodeDeleted, "/w", 6);
    h.deliver(&data_reply(f[0].0, 5));
    h.deliver(&FakeServer::reply(f[1].0, 6, ErrorCode::NoWatcher, None));
    assert!(watch_events(&h.events).is_empty(), "{:?}", h.events);
    assert_eq!(h.session.stray_notifications(), 1);
    assert_eq!(reply_ids(&h.events), vec![a, rm]);
    assert_eq!(replies(&h.events)[1].1, Ok(Response::RemoveWatches));
}

#[test]
fn a_local_removal_of_a_watch_that_already_fired_is_refused_at_submit() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    h.notify(EventType::NodeDeleted, "/w", 6);
    assert!(h.session.registration(w).is_none(), "one-shot: fired");
    assert_eq!(
        h.session.submit(
            remove_watches("/w", WatcherType::Data, Some(w), true),
            h.now
        ),
        Err(SubmitError::NoWatcher {
            path: "/w".into(),
            chroot: None
        })
    );
    assert_eq!(
        h.session
            .submit(remove_watches("/w", WatcherType::Any, None, true), h.now),
        Err(SubmitError::NoWatcher {
            path: "/w".into(),
            chroot: None
        })
    );
    assert_eq!(h.session.outstanding(), 0, "nothing queued");
}

#[test]
fn a_local_removal_while_disconnected_takes_effect_at_once_and_is_not_reregistered() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    let k = watch_data(&mut h, "/k");
    h.server_close();
    h.take_events();
    // no server to ask, and a request queued ahead of the removal
    let a = h.submit(Request::get_data("/a", false));
    let rm = h.submit(remove_watches("/w", WatcherType::Data, None, true));
    h.pump();
    assert!(h.session.registration(w).is_none(), "gone at once");
    assert!(h.session.registration(k).is_some());
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed("/w", w));
    assert!(replies(&ev).is_empty(), "the reply waits for a's");
    // the reconnect re-registers /k only, then sends a
    h.establish(T, SID);
    let f = requests(&h.flush());
    assert_eq!(f.len(), 2, "{f:?}");
    let zk_proto::WireRequest::SetWatches(sw) = &f[0].1 else {
        panic!("{f:?}")
    };
    assert_eq!(sw.data_watches, ["/k"]);
    assert!(matches!(&f[1].1, zk_proto::WireRequest::GetData(g) if g.path == "/a"));
    h.deliver(&FakeServer::reply(f[0].0, 0, ErrorCode::Ok, None));
    h.deliver(&data_reply(f[1].0, 5));
    assert_eq!(reply_ids(&h.events), vec![a, rm]);
    assert_eq!(replies(&h.events)[1].1, Ok(Response::RemoveWatches));
    // the watch is gone here and from the server: nothing fires for /w
    h.take_events();
    h.notify(EventType::NodeDataChanged, "/w", 7);
    assert!(watch_events(&h.events).is_empty());
}

#[test]
fn local_answers_keep_their_place_across_a_drop() {
    let mut h = connected("a");
    // a: written and lost; m1: local; b: unwritten (requeued); m2: local behind b
    let a = h.submit(Request::get_data("/a", false));
    let m1 = h.submit(Request::Multi(vec![]));
    h.flush();
    let b = h.submit(Request::get_data("/b", false));
    let m2 = h.submit(Request::Multi(vec![]));
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
    let a = h.submit(Request::get_data("/a", false));
    let m = h.submit(Request::Multi(vec![]));
    h.pump();
    assert!(h.events.is_empty());
    h.advance(Duration::from_secs(5));
    assert_eq!(reply_ids(&h.events), vec![a, m]);
}
