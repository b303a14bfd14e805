//! Watches: events in wire order, registrations on missing nodes, persistent watches
//! and removal events; notifications that fire nothing are dropped; removing one
//! registration asks the server to drop its watch only when nothing else here needs it.

mod common;

use zk_proto::{ErrorCode, EventType};
use zk_session::Version;
use zk_session::testing::FakeServer;
use zk_session::{Event, Request, RequestError, Response, SubmitError, WatchKind, WatcherType};

use common::{
    HarnessExt, SID, T, add_watch, add_watch_reply, connected, connected_with_persistent_types,
    data_watch_removed, reg, remove_data_watch, remove_watches, replies, requests, stat,
    watch_children, watch_data, watch_events, watch_with,
};

#[test]
fn watch_event_precedes_the_reply_that_follows_it() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/p");
    let (s, sent) = h.submit_and_flush(Request::set_data("/p", &b"x"[..], Version::Any));
    let mut bytes = FakeServer::notification(EventType::NodeDataChanged, "/p", 2);
    bytes.extend(FakeServer::ok(
        sent.xid(),
        2,
        &zk_proto::WireResponse::SetData(zk_proto::SetDataResponse { stat: stat(2) }),
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
    // one-shot: a second change fires nothing, and nobody hears of it
    h.notify(EventType::NodeDataChanged, "/p", 3);
    assert_eq!(h.take_events(), vec![]);
    assert_eq!(h.session.stray_notifications(), 1);
}

#[test]
fn exists_on_missing_node_registers_an_exist_watch() {
    let mut h = connected("a");
    let (id, sent) = h.submit_and_flush(Request::exists("/m", true));
    h.deliver(&FakeServer::reply(sent.xid(), 1, ErrorCode::NoNode, None));
    assert_eq!(replies(&h.events), vec![(id, Ok(Response::Exists(None)))]);
    h.notify(EventType::NodeCreated, "/m", 2);
    assert!(matches!(h.events.last(), Some(Event::Watch(we))
        if we.registrations == vec![reg(id, WatchKind::Exist, "/m")]));
    // a failed getData registers nothing
    let (_, sent) = h.submit_and_flush(Request::get_data("/gone", true));
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::NoNode, None));
    h.take_events();
    h.notify(EventType::NodeCreated, "/gone", 4);
    assert_eq!(h.take_events(), vec![], "no registration: no event");
    assert_eq!(h.session.stray_notifications(), 1);
}

#[test]
fn add_watch_answered_no_node_registers_like_java() {
    let mut h = connected("a");
    let (id, sent) = h.submit_and_flush(add_watch("/missing", false));
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::NoNode, None));
    let r = reg(id, WatchKind::Persistent, "/missing");
    assert_eq!(
        h.take_events(),
        vec![Event::Reply {
            id,
            result: Ok(Response::AddWatch),
            registration: Some(r.clone()),
        }]
    );
    h.notify(EventType::NodeCreated, "/missing", 4);
    assert_eq!(watch_events(&h.events)[0].2, vec![r]);
}

#[test]
fn persistent_recursive_and_removal_events() {
    // a 3.9+ server: watcher type 5 goes on the wire as it is
    let mut h = connected_with_persistent_types("a");
    let r = watch_with(&mut h, add_watch("/t", true), add_watch_reply);
    for _ in 0..2 {
        h.notify(EventType::NodeCreated, "/t/a/b", 2);
        assert!(matches!(h.events.last(), Some(Event::Watch(we))
            if we.registrations == vec![reg(r, WatchKind::PersistentRecursive, "/t")]));
    }
    // server-side removal of all persistent-recursive watches on /t
    let (rm, sent) = h.submit_and_flush(remove_watches(
        "/t",
        WatcherType::PersistentRecursive,
        None,
        false,
    ));
    assert!(
        matches!(sent.request(), zk_proto::WireRequest::RemoveWatches(r) if r.watcher_type.to_i32() == 5)
    );
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::Ok, None));
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
        h.session
            .submit(remove_watches("/t", WatcherType::Any, None, true), h.now),
        Err(SubmitError::NoWatcher { .. })
    ));
}

#[test]
fn local_removal_of_one_registration() {
    let mut h = connected("a");
    let a = watch_children(&mut h, "/c");
    let b = watch_children(&mut h, "/c");
    h.take_events();
    h.submit(remove_watches("/c", WatcherType::Children, Some(a), true));
    h.pump();
    assert!(h.flush().is_empty(), "local removal sends nothing");
    let ev = h.take_events();
    assert!(
        matches!(&ev[0], Event::Watch(we) if we.event_type == EventType::ChildWatchRemoved
        && we.registrations == vec![reg(a, WatchKind::Child, "/c")])
    );
    h.notify(EventType::NodeChildrenChanged, "/c", 2);
    assert!(matches!(h.events.last(), Some(Event::Watch(we))
        if we.registrations == vec![reg(b, WatchKind::Child, "/c")]));
}

#[test]
fn a_notification_that_fires_no_registration_is_dropped_and_counted() {
    let mut h = connected("a");
    let d = watch_data(&mut h, "/n");
    let c = watch_children(&mut h, "/n");
    // /n is deleted while the session is away
    h.server_close();
    h.establish(T, SID);
    let sw = requests(&h.flush());
    h.deliver(&FakeServer::reply(sw[0].0, 0, ErrorCode::Ok, None));
    h.take_events();
    // a 3.8 server then sends NodeDeleted twice: for its data and its child table
    h.notify(EventType::NodeDeleted, "/n", 9);
    h.notify(EventType::NodeDeleted, "/n", 9);
    assert_eq!(
        watch_events(&h.events),
        vec![(
            EventType::NodeDeleted,
            "/n".to_string(),
            vec![
                reg(d, WatchKind::Data, "/n"),
                reg(c, WatchKind::Child, "/n")
            ]
        )],
        "the second fires nothing and is not passed on"
    );
    assert_eq!(h.session.stray_notifications(), 1);
}

#[test]
fn removing_the_only_registration_on_a_path_by_id_asks_the_server_to_remove_it() {
    let mut h = connected("a/app");
    let d = watch_data(&mut h, "/n");
    h.take_events();
    let (rm, sent) = remove_data_watch(&mut h, "/n", d);
    // removeWatches, so that the server stops notifying; not checkWatches
    assert_eq!(
        sent.request(),
        &zk_proto::WireRequest::RemoveWatches(zk_proto::RemoveWatchesRequest {
            path: "/app/n".into(),
            watcher_type: zk_proto::WireWatcherType::Data,
        })
    );
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::Ok, None));
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed("/n", d));
    assert_eq!(replies(&ev), vec![(rm, Ok(Response::RemoveWatches))]);
    assert_eq!(h.session.watches().count(), 0);
}

#[test]
fn removing_one_of_several_registrations_on_a_path_by_id_only_checks_with_the_server() {
    let mut h = connected("a/app");
    let d = watch_data(&mut h, "/n");
    let c = watch_children(&mut h, "/n");
    h.take_events();
    let (rm, sent) = remove_data_watch(&mut h, "/n", d);
    // the server's watch on /n still serves the child registration
    assert_eq!(
        sent.request(),
        &zk_proto::WireRequest::CheckWatches(zk_proto::CheckWatchesRequest {
            path: "/app/n".into(),
            watcher_type: zk_proto::WireWatcherType::Data,
        })
    );
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::Ok, None));
    let ev = h.take_events();
    assert_eq!(watch_events(&ev), data_watch_removed("/n", d));
    assert_eq!(replies(&ev), vec![(rm, Ok(Response::RemoveWatches))]);
    h.notify(EventType::NodeDeleted, "/app/n", 4);
    assert_eq!(
        watch_events(&h.events),
        vec![(
            EventType::NodeDeleted,
            "/n".to_string(),
            vec![reg(c, WatchKind::Child, "/n")]
        )]
    );
}

#[test]
fn a_server_removal_of_a_watch_that_fired_meanwhile_answers_no_watcher() {
    let mut h = connected("a");
    let w = watch_data(&mut h, "/w");
    h.take_events();
    let (rm, sent) = h.submit_and_flush(remove_watches("/w", WatcherType::Data, None, false));
    // the watch fires before the server reads the removal, which then finds nothing
    // on our side either
    h.notify(EventType::NodeDataChanged, "/w", 4);
    h.deliver(&FakeServer::reply(sent.xid(), 5, ErrorCode::Ok, None));
    let ev = h.take_events();
    assert_eq!(
        watch_events(&ev),
        vec![(
            EventType::NodeDataChanged,
            "/w".to_string(),
            vec![reg(w, WatchKind::Data, "/w")]
        )],
        "no removal event"
    );
    assert_eq!(
        replies(&ev),
        vec![(
            rm,
            Err(RequestError::Server {
                code: ErrorCode::NoWatcher,
                path: Some("/w".to_string()),
                chroot: None
            })
        )]
    );
}

#[test]
fn removing_a_registration_by_id_spares_the_servers_watch_while_another_watching_read_is_in_flight()
{
    let mut h = connected("a");
    let first = watch_data(&mut h, "/n");
    // a second watching read of /n is written, not yet answered: the server's one
    // data watch on /n serves it too
    let second = h.submit(Request::get_data("/n", true));
    h.submit(remove_watches("/n", WatcherType::Data, Some(first), false));
    let f = requests(&h.flush());
    assert!(
        matches!(f[1].1, zk_proto::WireRequest::CheckWatches(_)),
        "removeWatches would take the server's watch from {second} too: {:?}",
        f[1].1
    );
}

#[test]
fn a_watching_read_after_an_earlier_removal_still_spares_the_servers_watch() {
    let mut h = connected("a");
    let first = watch_data(&mut h, "/n");
    let (_, sent) = remove_data_watch(&mut h, "/n", first);
    assert!(matches!(
        sent.request(),
        zk_proto::WireRequest::RemoveWatches(_)
    ));
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::Ok, None));
    // The earlier removal found no watching request pending; this one must look again.
    let again = watch_data(&mut h, "/n");
    h.submit(Request::get_data("/n", true));
    h.submit(remove_watches("/n", WatcherType::Data, Some(again), false));
    let f = requests(&h.flush());
    assert!(
        matches!(f[1].1, zk_proto::WireRequest::CheckWatches(_)),
        "removeWatches would take the server's watch from the read in flight: {:?}",
        f[1].1
    );
}
