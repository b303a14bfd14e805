//! The chroot: prepended to every path sent, stripped from every path received, and
//! never applied to the config node; `/` maps alike alone and in a multi.

mod common;

use bytes::Bytes;
use zk_proto::{CreateMode, ErrorCode, EventType};
use zk_session::Version;
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Event, Request, RequestError, RequestId, Response, WatchKind, WatcherType};

use common::{
    HarnessExt, SID, T, connected, data_reply, data_watch_removed, reg, remove_data_watch,
    remove_watches, replies, requests, watch_events,
};

#[test]
fn chroot_everywhere() {
    let mut h = connected("a:1/app");
    let c = h.submit(Request::create(
        "/s-",
        Bytes::new(),
        CreateMode::PersistentSequential,
    ));
    let w = h.submit(Request::get_data("/", true));
    let cfg = h.submit(Request::GetConfig { watch: true });
    let f = h.flush();
    assert_eq!(f[0].request().path(), Some("/app/s-"));
    assert_eq!(f[1].request().path(), Some("/app"));
    assert_eq!(f[2].request().path(), Some("/zookeeper/config"));
    h.deliver(&FakeServer::ok(
        f[0].xid(),
        1,
        &zk_proto::WireResponse::Create(zk_proto::CreateResponse {
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
    h.notify(EventType::NodeDataChanged, "/app", 4);
    assert!(
        matches!(h.events.last(), Some(Event::Watch(we)) if we.path == "/"
        && we.registrations == vec![reg(w, WatchKind::Data, "/")])
    );
    h.notify(EventType::NodeDataChanged, "/zookeeper/config", 5);
    assert!(
        matches!(h.events.last(), Some(Event::Watch(we)) if we.path == "/zookeeper/config"
        && we.registrations == vec![reg(cfg, WatchKind::Data, "/zookeeper/config")])
    );
    // SetWatches carries server paths
    let (_, sent) = h.submit_and_flush(Request::exists("/e", true));
    h.deliver(&FakeServer::reply(sent.xid(), 6, ErrorCode::NoNode, None));
    h.server_close();
    h.establish(T, SID);
    let f = h.flush();
    let zk_proto::WireRequest::SetWatches(sw) = f[0].request() else {
        panic!()
    };
    assert_eq!(sw.exist_watches, vec!["/app/e".to_string()]);
    assert!(sw.data_watches.is_empty(), "fired one-shots are gone");
}

#[test]
fn config_watch_under_chroot_is_kept_apart_and_reregistered_unchrooted() {
    let mut h = connected("a/app");
    let cfg = h.submit(Request::GetConfig { watch: true });
    let user = h.submit(Request::get_data("/zookeeper/config", true));
    let f = requests(&h.flush());
    let paths: Vec<String> = f
        .iter()
        .map(|(_, r)| match r {
            zk_proto::WireRequest::GetData(g) => g.path.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(paths, ["/zookeeper/config", "/app/zookeeper/config"]);
    for (xid, _) in &f {
        h.deliver(&data_reply(*xid, 5));
    }
    let cfg_reg = h.session.registration(cfg).cloned().unwrap();
    let user_reg = h.session.registration(user).cloned().unwrap();
    assert_eq!(cfg_reg.path.as_ref(), "/zookeeper/config");
    assert_eq!(user_reg.path.as_ref(), "/zookeeper/config");
    // reconnect: SetWatches names each at its own server path
    h.server_close();
    h.take_events();
    h.establish(T, SID);
    let sw = requests(&h.flush());
    assert_eq!(sw.len(), 1);
    let zk_proto::WireRequest::SetWatches(s) = &sw[0].1 else {
        panic!("{sw:?}")
    };
    assert_eq!(
        s.data_watches,
        ["/app/zookeeper/config", "/zookeeper/config"]
    );
    h.deliver(&FakeServer::reply(sw[0].0, 0, ErrorCode::Ok, None));
    h.take_events();
    // each notification fires only its own registration; both report the client path
    h.notify(EventType::NodeDataChanged, "/app/zookeeper/config", 9);
    h.notify(EventType::NodeDataChanged, "/zookeeper/config", 10);
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
    let (mut h, cfg, user) = config_and_user_watches();
    h.submit(remove_watches(
        "/zookeeper/config",
        WatcherType::Data,
        None,
        true,
    ));
    h.pump();
    assert!(h.session.registration(user).is_none());
    assert!(h.session.registration(cfg).is_some());
}

#[test]
fn a_sequential_create_at_the_root_creates_a_child_of_the_chroot() {
    let mut h = connected("a/app");
    let alone = h.submit(Request::create(
        "/",
        Bytes::new(),
        CreateMode::PersistentSequential,
    ));
    let op = zk_proto::MultiOp::create(
        "/",
        Bytes::new(),
        zk_proto::Acl::open_unsafe(),
        CreateMode::EphemeralSequential,
        None,
        false,
    )
    .unwrap();
    let in_multi = h.submit(Request::Multi(vec![op]));
    let f = requests(&h.flush());
    // `/app/`, so that the server creates /app/0000000001, not the sibling /app0000000001
    assert_eq!(f[0].1.path(), Some("/app/"));
    let zk_proto::WireRequest::Multi(m) = &f[1].1 else {
        panic!("{f:?}")
    };
    assert_eq!(m.ops[0].path(), "/app/");
    h.deliver(&FakeServer::ok(
        f[0].0,
        1,
        &zk_proto::WireResponse::Create(zk_proto::CreateResponse {
            path: "/app/0000000001".into(),
        }),
    ));
    h.deliver(&FakeServer::ok(
        f[1].0,
        2,
        &zk_proto::WireResponse::Multi(zk_proto::MultiResponse {
            results: vec![zk_proto::MultiResult::Create(zk_proto::CreateResponse {
                path: "/app/0000000002".into(),
            })],
        }),
    ));
    let r = replies(&h.events);
    assert_eq!(
        r[0],
        (
            alone,
            Ok(Response::Create {
                path: "/0000000001".into(),
                stat: None
            })
        )
    );
    let (id, Ok(Response::Multi(results))) = &r[1] else {
        panic!("{r:?}")
    };
    assert_eq!(*id, in_multi);
    assert_eq!(results[0].created_path(), Some("/0000000002"));
}

#[test]
fn deleting_the_root_goes_out_unchrooted_alone_and_in_a_multi() {
    let mut h = connected("a/app");
    let alone = h.submit(Request::delete("/", Version::Any));
    let op = zk_proto::MultiOp::Delete(zk_proto::DeleteRequest {
        path: "/".into(),
        version: -1,
    });
    let in_multi = h.submit(Request::Multi(vec![op]));
    let f = requests(&h.flush());
    // `/`, which the server refuses, never `/app`, which it would delete
    assert_eq!(f[0].1.path(), Some("/"));
    let zk_proto::WireRequest::Multi(m) = &f[1].1 else {
        panic!("{f:?}")
    };
    assert_eq!(m.ops[0].path(), "/");
    h.deliver(&FakeServer::reply(f[0].0, 1, ErrorCode::BadArguments, None));
    h.deliver(&FakeServer::ok(
        f[1].0,
        2,
        &zk_proto::WireResponse::Multi(zk_proto::MultiResponse {
            results: vec![zk_proto::MultiResult::Error(ErrorCode::BadArguments)],
        }),
    ));
    assert_eq!(
        replies(&h.events),
        vec![
            (
                alone,
                Err(RequestError::Server {
                    code: ErrorCode::BadArguments,
                    path: Some("/".to_string()),
                    chroot: Some("/app".to_string())
                })
            ),
            (
                in_multi,
                Err(RequestError::TransactionFailed {
                    index: 0,
                    code: ErrorCode::BadArguments,
                    path: Some("/".to_string()),
                    chroot: Some("/app".to_string())
                })
            ),
        ]
    );
}

#[test]
fn sync_returns_the_client_path() {
    let mut h = connected("a/app");
    let (id, sent) = h.submit_and_flush(Request::Sync { path: "/x".into() });
    assert_eq!(sent.request().path(), Some("/app/x"));
    h.deliver(&FakeServer::ok(
        sent.xid(),
        1,
        &zk_proto::WireResponse::Sync(zk_proto::SyncResponse {
            path: "/app/x".into(),
        }),
    ));
    assert_eq!(
        replies(&h.events),
        vec![(id, Ok(Response::Sync { path: "/x".into() }))]
    );
}

/// Under chroot /app: getConfig's watch (keyed at the unchrooted /zookeeper/config)
/// and a user's watch on /app/zookeeper/config; both have the client path
/// /zookeeper/config.
fn config_and_user_watches() -> (Harness, RequestId, RequestId) {
    let mut h = connected("a/app");
    let cfg = h.submit(Request::GetConfig { watch: true });
    let user = h.submit(Request::get_data("/zookeeper/config", true));
    for (xid, _) in requests(&h.flush()) {
        h.deliver(&data_reply(xid, 5));
    }
    h.take_events();
    (h, cfg, user)
}

#[test]
fn the_config_watch_under_a_chroot_can_be_removed_by_id_on_the_server() {
    let (mut h, cfg, user) = config_and_user_watches();
    let (rm, sent) = remove_data_watch(&mut h, "/zookeeper/config", cfg);
    assert_eq!(
        sent.request(),
        &zk_proto::WireRequest::RemoveWatches(zk_proto::RemoveWatchesRequest {
            path: "/zookeeper/config".into(),
            watcher_type: zk_proto::WireWatcherType::Data,
        })
    );
    h.deliver(&FakeServer::reply(sent.xid(), 6, ErrorCode::Ok, None));
    let ev = h.take_events();
    assert_eq!(
        watch_events(&ev),
        data_watch_removed("/zookeeper/config", cfg)
    );
    assert_eq!(replies(&ev), vec![(rm, Ok(Response::RemoveWatches))]);
    assert!(h.session.registration(cfg).is_none());
    assert!(h.session.registration(user).is_some(), "the user's stays");
}

#[test]
fn the_config_watch_under_a_chroot_can_be_removed_by_id_locally() {
    let (mut h, cfg, user) = config_and_user_watches();
    let rm = h.submit(remove_watches(
        "/zookeeper/config",
        WatcherType::Data,
        Some(cfg),
        true,
    ));
    h.pump();
    // removed here at once; the server is told at the config watch's own key (the
    // only registration there), not at the user's
    assert_eq!(
        watch_events(&h.events),
        data_watch_removed("/zookeeper/config", cfg)
    );
    assert!(h.session.registration(cfg).is_none());
    assert!(h.session.registration(user).is_some(), "the user's stays");
    let f = h.flush();
    assert_eq!(
        requests(&f),
        vec![(
            f[0].xid(),
            zk_proto::WireRequest::RemoveWatches(zk_proto::RemoveWatchesRequest {
                path: "/zookeeper/config".into(),
                watcher_type: zk_proto::WireWatcherType::Data,
            })
        )]
    );
    h.deliver(&FakeServer::reply(f[0].xid(), 6, ErrorCode::Ok, None));
    assert_eq!(replies(&h.events), vec![(rm, Ok(Response::RemoveWatches))]);
    // the config node changes: nothing fires here any more
    h.take_events();
    h.notify(EventType::NodeDataChanged, "/zookeeper/config", 7);
    assert!(watch_events(&h.events).is_empty());
}

#[test]
fn watches_on_a_path_are_found_under_the_chroot_and_on_the_config_node() {
    let mut h = connected("a:1/app");
    let data = h.submit(Request::get_data("/n", true));
    let other = h.submit(Request::get_data("/m", true));
    let cfg = h.submit(Request::GetConfig { watch: true });
    let exist = h.submit(Request::exists("/n", true));
    let f = h.flush();
    for (zxid, frame) in (1..).zip(&f[..3]) {
        h.deliver(&data_reply(frame.xid(), zxid));
    }
    h.deliver(&FakeServer::reply(f[3].xid(), 4, ErrorCode::NoNode, None));
    let on = |h: &Harness, path: &str| {
        let mut ids: Vec<RequestId> = h.session.watches_on(path).map(|r| r.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(on(&h, "/n"), vec![data, exist]);
    assert_eq!(on(&h, "/m"), vec![other]);
    assert_eq!(on(&h, "/zookeeper/config"), vec![cfg]);
    assert!(
        on(&h, "/app/n").is_empty(),
        "client paths, not server paths"
    );
}
