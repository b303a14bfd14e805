//! The chroot: prepended to every path sent, stripped from every path received, and
//! never applied to the config node.

mod common;

use bytes::Bytes;
use zk_proto::{CreateMode, ErrorCode, EventType};
use zk_session::testing::FakeServer;
use zk_session::{Event, Request, Response, WatchKind, WatcherType};

use common::{SID, T, connected, data_reply, reg, replies, requests, watch_events};

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
        h.deliver(&data_reply(*xid, 5));
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
        h.deliver(&data_reply(xid, 5));
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
