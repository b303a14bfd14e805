//! A local watch removal (Java's `local = true`): the registrations are removed here
//! at submit, and while the session is connected the server is told too
//! (removeWatches), so that it stops notifying; the reply is Ok whatever the server
//! answers or if the connection is lost first, in submit order. While disconnected
//! nothing is kept for later: the reconnect's SetWatches leaves the watch out. The
//! server is not told when that would strip a watch a registration here still needs.

mod common;

use zk_proto::{ErrorCode, EventType, RemoveWatchesRequest, WireRequest, WireWatcherType};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Event, Request, RequestError, RequestId, Response, WatchKind, WatcherType};

use common::{
    HarnessExt, SID, T, add_watch_reply, connected, connected_with_persistent_types, data_reply,
    data_watch_removed, reg, remove_watches, replies, requests, watch_data, watch_events,
    watch_persistent, watch_with,
};

fn remove_locally(
    h: &mut Harness,
    path: &str,
    watcher_type: WatcherType,
    registration: Option<RequestId>,
) -> RequestId {
    h.submit(remove_watches(path, watcher_type, registration, true))
}

fn remove_request(path: &str, watcher_type: WireWatcherType) -> WireRequest {
    WireRequest::RemoveWatches(RemoveWatchesRequest {
        path: path.into(),
        watcher_type,
    })
}

/// The requests written now, without their xids.
fn written(h: &mut Harness) -> Vec<WireRequest> {
    requests(&h.flush()).into_iter().map(|(_, r)| r).collect()
}

#[test]
fn a_local_removal_while_connected_tells_the_server_and_is_ok_even_on_no_watcher() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    h.take_events();
    let rm = remove_locally(&mut h, "/w", WatcherType::Data, None);
    h.pump();
    // gone here at submit, with its removal event
    assert!(h.session.registration(w).is_none(), "removed at submit");
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed("/w", w));
    assert!(replies(&ev).is_empty(), "the reply waits for the server's");
    // and the server is told, so that it stops notifying
    let f = requests(&h.flush());
    assert_eq!(
        f.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![remove_request("/w", WireWatcherType::Data)]
    );
    // the watch fired at the server before it read the removal: NoWatcher, still Ok
    h.deliver(&FakeServer::reply(f[0].0, 5, ErrorCode::NoWatcher, None));
    let ev = h.take_events();
    assert_eq!(replies(&ev), vec![(rm, Ok(Response::RemoveWatches))]);
    assert!(watch_events(&ev).is_empty(), "one removal event only");
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_local_removal_of_one_registration_tells_the_server_when_it_was_the_only_one() {
    // on a read-only server, which may refuse it: Ok all the same
    let mut h = Harness::new(common::config("a/app"));
    h.establish_with(FakeServer::connect_response(T, SID, [7; 16], Some(true)));
    h.take_events();
    let d = watch_data(&mut h, "/n");
    h.take_events();
    let rm = remove_locally(&mut h, "/n", WatcherType::Data, Some(d));
    h.pump();
    assert!(h.session.registration(d).is_none());
    assert_eq!(watch_events(&h.take_events()), data_watch_removed("/n", d));
    let f = requests(&h.flush());
    assert_eq!(
        f.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![remove_request("/app/n", WireWatcherType::Data)]
    );
    h.deliver(&FakeServer::reply(f[0].0, 5, ErrorCode::NotReadOnly, None));
    assert_eq!(
        replies(&h.take_events()),
        vec![(rm, Ok(Response::RemoveWatches))]
    );
}

#[test]
fn a_local_removal_whose_reply_the_connection_loses_is_ok_and_not_sent_again() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    watch_data(&mut h, "/k");
    let rm = remove_locally(&mut h, "/w", WatcherType::Data, None);
    assert_eq!(
        written(&mut h),
        vec![remove_request("/w", WireWatcherType::Data)]
    );
    h.take_events();
    h.server_close();
    assert_eq!(
        replies(&h.events),
        vec![(rm, Ok(Response::RemoveWatches))],
        "not ConnectionLoss"
    );
    assert!(h.session.registration(w).is_none());
    h.take_events();
    // the reconnect re-registers /k only, and sends nothing else
    h.establish(T, SID);
    let f = written(&mut h);
    assert_eq!(f.len(), 1, "{f:?}");
    let WireRequest::SetWatches(sw) = &f[0] else {
        panic!("{f:?}")
    };
    assert_eq!(sw.data_watches, ["/k"]);
}

#[test]
fn a_local_removal_not_yet_written_when_the_connection_drops_is_answered_here_only() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    let v = watch_data(&mut h, "/v");
    // a is written and lost; b and the removal of /w are never written
    let a = h.submit(Request::get_data("/a", false));
    h.flush();
    let b = h.submit(Request::get_data("/b", false));
    let rm = remove_locally(&mut h, "/w", WatcherType::Data, None);
    assert!(h.session.registration(w).is_none(), "removed at submit");
    h.take_events();
    h.server_close();
    let ev = h.take_events();
    assert_eq!(replies(&ev), vec![(a, Err(RequestError::ConnectionLoss))]);
    // the next connection re-registers /v, sends b again, and not the removal
    h.establish(T, SID);
    let f = requests(&h.flush());
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(matches!(&f[0].1, WireRequest::SetWatches(sw) if sw.data_watches == ["/v"]));
    assert!(matches!(&f[1].1, WireRequest::GetData(g) if g.path == "/b"));
    h.deliver(&FakeServer::reply(f[0].0, 0, ErrorCode::Ok, None));
    h.deliver(&data_reply(f[1].0, 5));
    let ev = h.take_events();
    assert_eq!(
        replies(&ev).into_iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![b, rm]
    );
    assert_eq!(replies(&ev)[1].1, Ok(Response::RemoveWatches));
    assert!(h.session.registration(v).is_some());
    // with nothing before it, the drop answers it at once
    let rm = remove_locally(&mut h, "/v", WatcherType::Data, None);
    h.server_close();
    assert_eq!(replies(&h.events), vec![(rm, Ok(Response::RemoveWatches))]);
    h.take_events();
    h.establish(T, SID);
    assert!(written(&mut h).is_empty(), "no watch left, nothing queued");
}

#[test]
fn a_local_removal_while_disconnected_is_answered_at_once_and_nothing_is_sent_later() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    h.server_close();
    h.take_events();
    let rm = remove_locally(&mut h, "/w", WatcherType::Data, None);
    h.pump();
    assert!(h.session.registration(w).is_none());
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed("/w", w));
    assert_eq!(replies(&ev), vec![(rm, Ok(Response::RemoveWatches))]);
    h.establish(T, SID);
    assert!(
        written(&mut h).is_empty(),
        "no SetWatches, no removeWatches"
    );
}

#[test]
fn a_local_removal_spares_the_servers_watch_while_a_watching_read_of_the_node_is_pending() {
    let mut h = connected("a");
    let first = watch_data(&mut h, "/n");
    h.take_events();
    // the server's data watch on /n serves this read too once it is answered
    let second = h.submit(Request::get_data("/n", true));
    let rm = remove_locally(&mut h, "/n", WatcherType::Data, None);
    let f = requests(&h.flush());
    assert!(
        matches!(&f[..], [(_, WireRequest::GetData(_))]),
        "removeWatches would strip the watch the read sets: {f:?}"
    );
    assert!(h.session.registration(first).is_none());
    h.deliver(&data_reply(f[0].0, 5));
    assert!(h.session.registration(second).is_some());
    assert_eq!(
        replies(&h.events)
            .into_iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        vec![second, rm]
    );
}

#[test]
fn on_the_pre_3_9_wire_a_persistent_type_goes_as_any_only_when_nothing_else_is_left() {
    let mut h = connected("a");
    let p = watch_persistent(&mut h, "/p");
    let d = watch_data(&mut h, "/p");
    h.take_events();
    // Any would strip the data watch d still needs: nothing is sent
    let rm = remove_locally(&mut h, "/p", WatcherType::Persistent, None);
    h.pump();
    assert!(h.session.registration(p).is_none());
    assert!(h.session.registration(d).is_some());
    assert!(written(&mut h).is_empty());
    assert_eq!(replies(&h.events), vec![(rm, Ok(Response::RemoveWatches))]);
    // alone on its node: sent, as Any
    let q = watch_with(&mut h, common::add_watch("/q", true), add_watch_reply);
    h.take_events();
    let rm = remove_locally(&mut h, "/q", WatcherType::PersistentRecursive, None);
    h.pump();
    assert!(h.session.registration(q).is_none());
    assert_eq!(
        watch_events(&h.events),
        vec![(
            EventType::PersistentWatchRemoved,
            "/q".to_string(),
            vec![reg(q, WatchKind::PersistentRecursive, "/q")]
        )]
    );
    let f = requests(&h.flush());
    assert_eq!(
        f.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![remove_request("/q", WireWatcherType::Any)]
    );
    h.deliver(&FakeServer::reply(f[0].0, 5, ErrorCode::Ok, None));
    assert_eq!(
        replies(&h.take_events()),
        vec![(rm, Ok(Response::RemoveWatches))]
    );
    // and one persistent registration by its handle, alone on its node: as Any too
    let r = watch_persistent(&mut h, "/r");
    remove_locally(&mut h, "/r", WatcherType::Persistent, Some(r));
    assert_eq!(
        written(&mut h),
        vec![remove_request("/r", WireWatcherType::Any)]
    );
}

#[test]
fn on_the_pre_3_9_wire_a_one_shot_type_spares_a_persistent_watch_on_the_node() {
    // such a server keeps one watch per session and node (ZOOKEEPER-4466): removing
    // its data table's entry would cut the persistent watch
    let mut h = connected("a");
    let p = watch_persistent(&mut h, "/p");
    let d = watch_data(&mut h, "/p");
    let rm = remove_locally(&mut h, "/p", WatcherType::Data, None);
    h.pump();
    assert!(h.session.registration(d).is_none());
    assert!(h.session.registration(p).is_some());
    assert!(written(&mut h).is_empty());
    assert!(
        matches!(h.events.last(), Some(Event::Reply { id, result: Ok(Response::RemoveWatches), .. }) if *id == rm)
    );
}

#[test]
fn with_persistent_watcher_types_each_type_is_sent_as_it_is() {
    let mut h = connected_with_persistent_types("a");
    let p = watch_persistent(&mut h, "/p");
    let d = watch_data(&mut h, "/p");
    remove_locally(&mut h, "/p", WatcherType::Data, None);
    let f = requests(&h.flush());
    assert_eq!(
        f.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![remove_request("/p", WireWatcherType::Data)]
    );
    h.deliver(&FakeServer::reply(f[0].0, 5, ErrorCode::Ok, None));
    assert!(h.session.registration(p).is_some());
    assert!(h.session.registration(d).is_none());
    let d = watch_data(&mut h, "/p");
    remove_locally(&mut h, "/p", WatcherType::Persistent, None);
    assert_eq!(
        written(&mut h),
        vec![remove_request("/p", WireWatcherType::Persistent)]
    );
    assert!(h.session.registration(p).is_none());
    assert!(h.session.registration(d).is_some());
}

#[test]
fn a_local_removal_given_up_before_it_went_out_still_tells_the_server() {
    let mut h = connected("a");
    watch_data(&mut h, "/w");
    h.take_events();
    // a large write ahead keeps the removal queued, not yet written
    let big = Request::set_data("/big", vec![0u8; 100 * 1024], zk_session::Version::Any);
    h.submit(big);
    let rm = remove_locally(&mut h, "/w", WatcherType::Data, None);
    assert!(h.session.abandon(rm), "it was outstanding");
    let mut sent = Vec::new();
    loop {
        let f = requests(&h.flush());
        if f.is_empty() {
            break;
        }
        sent.extend(f);
    }
    assert_eq!(
        sent.last().map(|(_, r)| r.clone()),
        Some(remove_request("/w", WireWatcherType::Data)),
        "the server is told all the same, so that it stops notifying"
    );
    assert_eq!(sent.len(), 2);
}
