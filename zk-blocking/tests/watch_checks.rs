//! checkWatches without removal, and persistent watches removed by type, against the
//! shared real server (ZooKeeper 3.8, which knows no watcher types 4 and 5).

use std::time::Duration;
use zk_blocking::Version;

use zk_blocking::{
    AddWatchMode, Client, CreateMode, Event, EventType, Options, WatchKind, WatcherType,
};

fn connect() -> Client {
    Client::connect(
        &zk_tests::shared_standalone().connect_string(),
        Options::default().session_timeout(Duration::from_secs(10)),
    )
    .expect("connecting to the shared server")
}

fn node(client: &mut Client, name: &str) -> String {
    let path = format!("/watch-checks-{name}-{}", std::process::id());
    client.create(&path, "", CreateMode::Ephemeral).unwrap();
    path
}

/// Every event already queued or arriving within 300 ms.
fn drain(client: &mut Client) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = client.next_event(Duration::from_millis(300)).unwrap() {
        out.push(e);
    }
    out
}

#[test]
fn check_watches_on_server_asks_and_removes_nothing() {
    let mut zk = connect();
    let path = node(&mut zk, "check");
    let (_, _, data) = zk.get_data_watch(&path).unwrap();
    assert_eq!(data.kind(), WatchKind::Data);
    assert!(
        zk.check_watches_on_server(&path, WatcherType::Data)
            .unwrap()
    );
    assert!(zk.check_watches_on_server(&path, WatcherType::Any).unwrap());
    assert!(
        !zk.check_watches_on_server(&path, WatcherType::Children)
            .unwrap()
    );
    // still registered here and on the server: the watch fires
    assert_eq!(zk.check_watches(&path, WatcherType::Any), [data]);
    zk.set_data(&path, "x", Version::Any).unwrap();
    let events = drain(&mut zk);
    assert!(
        events.iter().any(|e| matches!(e, Event::Watch(w)
            if w.event_type == EventType::NodeDataChanged && w.fired(data))),
        "{events:?}"
    );
    assert!(zk.check_watches(&path, WatcherType::Any).is_empty());
    assert!(
        !zk.check_watches_on_server(&path, WatcherType::Data)
            .unwrap()
    );
}

#[test]
fn persistent_watches_are_removed_by_type_on_a_3_8_server() {
    let mut zk = connect();
    let path = node(&mut zk, "persistent");
    // one persistent watch, removed by handle (checkWatches, sent as Any)
    let one = zk.add_watch(&path, AddWatchMode::Persistent).unwrap();
    assert!(
        zk.check_watches_on_server(&path, WatcherType::Persistent)
            .unwrap()
    );
    zk.remove_watch(one).unwrap();
    assert!(zk.check_watches(&path, WatcherType::Any).is_empty());
    let events = drain(&mut zk);
    assert!(
        events.iter().any(|e| matches!(e, Event::Watch(w)
            if w.event_type == EventType::PersistentWatchRemoved && w.fired(one))),
        "{events:?}"
    );
    // every persistent-recursive watch on the path, by type (removeWatches, sent as Any)
    let rec = zk
        .add_watch(&path, AddWatchMode::PersistentRecursive)
        .unwrap();
    zk.remove_watches(&path, WatcherType::PersistentRecursive)
        .unwrap();
    assert!(zk.check_watches(&path, WatcherType::Any).is_empty());
    assert!(!zk.check_watches_on_server(&path, WatcherType::Any).unwrap());
    let events = drain(&mut zk);
    assert!(
        events.iter().any(|e| matches!(e, Event::Watch(w)
            if w.event_type == EventType::PersistentWatchRemoved && w.fired(rec))),
        "{events:?}"
    );
    // the server really dropped it: a change fires nothing
    zk.set_data(&path, "y", Version::Any).unwrap();
    assert!(drain(&mut zk).is_empty());
}
