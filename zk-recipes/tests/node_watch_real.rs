//! Re-arming node watches against a real server: the first value, every change, a
//! deletion and a re-creation, children, and the last change after a connection cut.

use std::time::Duration;

use zk_blocking::{Client, CreateMode, Options, SharedClient, Version};
use zk_recipes::run::{Blocking, Driver};
use zk_recipes::{NodeValue, NodeWatch};
use zk_tests::proxy::{Direction, Fault, FaultProxy};
use zk_tests::shared_standalone;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(20));

fn data_of(value: Option<NodeValue>) -> String {
    match value {
        Some(NodeValue::Data(data, _)) => String::from_utf8_lossy(&data).into_owned(),
        Some(NodeValue::Missing) => "<missing>".to_string(),
        other => panic!("expected data, got {other:?}"),
    }
}

/// An async client of the shared server.
#[cfg(feature = "tokio")]
async fn async_client() -> zk_tokio::Client {
    zk_tokio::Client::connect(
        &shared_standalone().connect_string(),
        zk_tokio::Options::new(),
    )
    .await
    .unwrap()
}

#[test]
fn a_data_watch_tells_the_value_then_each_change_a_deletion_and_a_recreation() {
    let zk = SharedClient::connect(&shared_standalone().connect_string(), Options::new()).unwrap();
    let path = "/node-watch-data";
    let _ = zk.delete(path, Version::Any);
    zk.create(path, "v1", CreateMode::Persistent).unwrap();
    let mut driver = zk.clone();
    let mut watch = NodeWatch::data(path);
    assert_eq!(data_of(watch.next(&mut driver, PATIENCE).unwrap()), "v1");

    zk.set_data(path, "v2", Version::Any).unwrap();
    assert_eq!(data_of(watch.next(&mut driver, PATIENCE).unwrap()), "v2");
    zk.delete(path, Version::Any).unwrap();
    assert_eq!(
        data_of(watch.next(&mut driver, PATIENCE).unwrap()),
        "<missing>"
    );
    zk.create(path, "v3", CreateMode::Persistent).unwrap();
    assert_eq!(data_of(watch.next(&mut driver, PATIENCE).unwrap()), "v3");
    assert_eq!(
        watch
            .next(&mut driver, Some(Duration::from_millis(200)))
            .unwrap(),
        None,
        "nothing changed: nothing told"
    );
    zk.delete(path, Version::Any).unwrap();
}

/// Two changes before the watcher looks: the second comes while the read for the
/// first is out, so that read's answer leaves another read due.
fn two_quick_changes_then_each_change_is_told(
    driver: &mut impl Driver,
    writer: &SharedClient,
    path: &str,
) {
    let _ = writer.delete(path, Version::Any);
    writer.create(path, "v0", CreateMode::Persistent).unwrap();
    let mut watch = NodeWatch::data(path);
    assert_eq!(data_of(watch.next(driver, PATIENCE).unwrap()), "v0");
    writer.set_data(path, "v1", Version::Any).unwrap();
    writer.set_data(path, "v2", Version::Any).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(data_of(watch.next(driver, PATIENCE).unwrap()), "v2");
    for value in ["v3", "v4"] {
        writer.set_data(path, value, Version::Any).unwrap();
        assert_eq!(data_of(watch.next(driver, PATIENCE).unwrap()), value);
    }
    writer.delete(path, Version::Any).unwrap();
    assert_eq!(data_of(watch.next(driver, PATIENCE).unwrap()), "<missing>");
}

#[test]
fn a_data_watch_on_the_shared_client_keeps_telling_changes_after_two_quick_ones() {
    let zk = SharedClient::connect(&shared_standalone().connect_string(), Options::new()).unwrap();
    two_quick_changes_then_each_change_is_told(&mut zk.clone(), &zk, "/node-watch-quick-shared");
}

#[test]
fn a_data_watch_on_the_blocking_client_keeps_telling_changes_after_two_quick_ones() {
    let connect = shared_standalone().connect_string();
    let writer = SharedClient::connect(&connect, Options::new()).unwrap();
    let mut zk = Client::connect(&connect, Options::new()).unwrap();
    let path = "/node-watch-quick-blocking";
    two_quick_changes_then_each_change_is_told(&mut Blocking::new(&mut zk), &writer, path);
}

#[test]
fn a_data_watch_on_the_blocking_client_tells_each_change_though_the_program_reads_its_events() {
    let connect = shared_standalone().connect_string();
    let writer = SharedClient::connect(&connect, Options::new()).unwrap();
    let mut zk = Client::connect(&connect, Options::new()).unwrap();
    let path = "/node-watch-events-read";
    let _ = writer.delete(path, Version::Any);
    writer.create(path, "v0", CreateMode::Persistent).unwrap();
    let mut watch = NodeWatch::data(path);
    assert_eq!(
        data_of(watch.next(&mut Blocking::new(&mut zk), PATIENCE).unwrap()),
        "v0"
    );
    for value in ["v1", "v2"] {
        writer.set_data(path, value, Version::Any).unwrap();
        // The program reads its events between two calls, the watch's among them.
        let mut read = 0;
        while read == 0 {
            while zk.next_event(Duration::from_millis(200)).unwrap().is_some() {
                read += 1;
            }
        }
        assert_eq!(
            data_of(watch.next(&mut Blocking::new(&mut zk), PATIENCE).unwrap()),
            value
        );
    }
    writer.delete(path, Version::Any).unwrap();
}

/// Once the session is closed, every call fails with it (the watch has nothing left
/// to wait for), instead of waiting out its timeout.
fn every_later_call_fails_with_closed(watch: &mut NodeWatch, driver: &mut impl Driver) {
    for _ in 0..2 {
        let after = watch.next(driver, Some(Duration::from_secs(2)));
        assert!(
            matches!(after, Err(zk_blocking::Error::Closed)),
            "{after:?}"
        );
    }
}

#[test]
fn a_data_watch_on_the_blocking_client_fails_every_call_once_the_session_is_closed() {
    let mut zk = Client::connect(&shared_standalone().connect_string(), Options::new()).unwrap();
    let path = "/node-watch-closed-blocking";
    let _ = zk.create(path, "v", CreateMode::Ephemeral);
    let mut watch = NodeWatch::data(path);
    let mut driver = Blocking::new(&mut zk);
    assert_eq!(data_of(watch.next(&mut driver, PATIENCE).unwrap()), "v");
    driver.client().close();
    every_later_call_fails_with_closed(&mut watch, &mut driver);
}

#[test]
fn a_data_watch_on_the_shared_client_fails_every_call_once_the_session_is_closed() {
    let zk = SharedClient::connect(&shared_standalone().connect_string(), Options::new()).unwrap();
    let path = "/node-watch-closed-shared";
    let _ = zk.create(path, "v", CreateMode::Ephemeral);
    let mut watch = NodeWatch::data(path);
    let mut driver = zk.clone();
    assert_eq!(data_of(watch.next(&mut driver, PATIENCE).unwrap()), "v");
    zk.close();
    every_later_call_fails_with_closed(&mut watch, &mut driver);
}

#[test]
fn a_children_watch_on_the_blocking_client_tells_each_new_list() {
    let mut zk = Client::connect(&shared_standalone().connect_string(), Options::new()).unwrap();
    let path = "/node-watch-children";
    let _ = zk.create(path, "", CreateMode::Persistent);
    let mut watch = NodeWatch::children(path);
    let mut driver = Blocking::new(&mut zk);
    assert!(matches!(
        watch.next(&mut driver, PATIENCE).unwrap(),
        Some(NodeValue::Children(c, _)) if c.is_empty()
    ));
    driver
        .client()
        .create(&format!("{path}/a"), "", CreateMode::Ephemeral)
        .unwrap();
    match watch.next(&mut driver, PATIENCE).unwrap() {
        Some(NodeValue::Children(children, _)) => assert_eq!(children, ["a"]),
        other => panic!("expected the new list, got {other:?}"),
    }
    driver
        .client()
        .delete(&format!("{path}/a"), Version::Any)
        .unwrap();
    match watch.next(&mut driver, PATIENCE).unwrap() {
        Some(NodeValue::Children(children, _)) => assert!(children.is_empty()),
        other => panic!("expected the empty list, got {other:?}"),
    }
}

#[test]
fn a_data_watch_sees_the_last_change_made_while_its_connection_was_cut() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let options = Options::new()
        .session_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200));
    let watcher = SharedClient::connect(&proxy.connect_string(), options).unwrap();
    let writer = SharedClient::connect(&server.connect_string(), Options::new()).unwrap();
    let path = "/node-watch-cut";
    let _ = writer.delete(path, Version::Any);
    writer
        .create(path, "before", CreateMode::Persistent)
        .unwrap();
    let mut driver = watcher.clone();
    let mut watch = NodeWatch::data(path);
    assert_eq!(
        data_of(watch.next(&mut driver, PATIENCE).unwrap()),
        "before"
    );
    let kinds: Vec<_> = watcher
        .check_watches(path, zk_blocking::WatcherType::Any)
        .iter()
        .map(|w| w.kind())
        .collect();
    assert_eq!(
        kinds,
        [zk_blocking::WatchKind::Persistent],
        "the shared client watches with one persistent watch"
    );

    proxy.close_all();
    writer.set_data(path, "during", Version::Any).unwrap();
    writer.set_data(path, "last", Version::Any).unwrap();
    let mut seen = data_of(watch.next(&mut driver, PATIENCE).unwrap());
    if seen == "during" {
        seen = data_of(watch.next(&mut driver, PATIENCE).unwrap());
    }
    assert_eq!(seen, "last");
    writer.delete(path, Version::Any).unwrap();
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_async_client_runs_the_same_watch() {
    let zk = async_client().await;
    let path = "/node-watch-tokio";
    let _ = zk.delete(path, Version::Any).await;
    let mut watch = NodeWatch::data(path);
    assert_eq!(data_of(watch.next_async(&zk).await.unwrap()), "<missing>");
    zk.create(path, "born", CreateMode::Ephemeral)
        .await
        .unwrap();
    assert_eq!(data_of(watch.next_async(&zk).await.unwrap()), "born");
    zk.close().await;
}

#[test]
fn a_data_watch_sees_the_last_change_after_the_member_it_was_on_is_killed() {
    let options = zk_tests::ServerOptions::default().tick_time(Duration::from_millis(500));
    let mut ensemble = zk_tests::Ensemble::start(3, &options).unwrap();
    let cs = ensemble.connect_string();
    let client_options = Options::new()
        .session_timeout(Duration::from_secs(8))
        .reconnect_backoff(Duration::from_millis(100), Duration::from_secs(1));
    let watcher = SharedClient::connect(&cs, client_options.clone()).unwrap();
    let writer = SharedClient::connect(&cs, client_options).unwrap();
    let path = "/node-watch-member-kill";
    writer
        .create(path, "before", CreateMode::Persistent)
        .unwrap();
    let mut driver = watcher.clone();
    let mut watch = NodeWatch::data(path);
    assert_eq!(
        data_of(watch.next(&mut driver, PATIENCE).unwrap()),
        "before"
    );

    let sid = format!("sid=0x{:x}", watcher.session_id());
    let serving = ensemble
        .members()
        .iter()
        .find(|m| m.four_letter("cons").is_ok_and(|c| c.contains(&sid)))
        .and_then(|m| m.myid())
        .expect("a member lists the watcher's session");
    ensemble.member_mut(serving).kill().unwrap();
    for value in ["during", "last"] {
        loop {
            match writer.set_data(path, value, Version::Any) {
                Err(zk_blocking::Error::ConnectionLoss) => continue,
                other => break other.map(drop).unwrap(),
            }
        }
    }
    let mut seen = data_of(watch.next(&mut driver, PATIENCE).unwrap());
    if seen == "during" {
        seen = data_of(watch.next(&mut driver, PATIENCE).unwrap());
    }
    assert_eq!(seen, "last");
}

/// A persistent data watch on the blocking client; its connection is cut (and the
/// new connection's handshake answer held back `slow_handshake`, so that the adapter
/// sees the connection before it is up) and the node changes twice meanwhile: the
/// last change is told.
fn a_blocking_watch_catches_up_after_a_cut(path: &str, slow_handshake: Option<Duration>) {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let options = Options::new()
        .session_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200));
    let mut watcher = Client::connect(&proxy.connect_string(), options).unwrap();
    let writer = SharedClient::connect(&server.connect_string(), Options::new()).unwrap();
    let _ = writer.delete(path, Version::Any);
    writer
        .create(path, "before", CreateMode::Persistent)
        .unwrap();
    let mut watch = NodeWatch::data(path);
    let mut driver = Blocking::new(&mut watcher);
    assert_eq!(
        data_of(watch.next(&mut driver, PATIENCE).unwrap()),
        "before"
    );
    assert_eq!(
        driver
            .client()
            .check_watches(path, zk_blocking::WatcherType::Any)
            .iter()
            .map(|w| w.kind())
            .collect::<Vec<_>>(),
        [zk_blocking::WatchKind::Persistent],
        "the blocking client watches with one persistent watch"
    );

    if let Some(delay) = slow_handshake {
        proxy.set_fault(Direction::ToClient, Fault::Delay(delay));
    }
    proxy.close_all();
    writer.set_data(path, "during", Version::Any).unwrap();
    writer.set_data(path, "last", Version::Any).unwrap();
    let mut seen = data_of(watch.next(&mut driver, PATIENCE).unwrap());
    if seen == "during" {
        seen = data_of(watch.next(&mut driver, PATIENCE).unwrap());
    }
    assert_eq!(seen, "last");
    writer.delete(path, Version::Any).unwrap();
}

#[test]
fn a_persistent_data_watch_on_the_blocking_client_catches_up_after_a_cut() {
    a_blocking_watch_catches_up_after_a_cut("/node-watch-blocking-cut", None);
}

#[test]
fn a_persistent_data_watch_catches_up_after_a_cut_whose_reconnect_is_slow() {
    // Several of the adapter's looks see the new connection before it is up.
    let slow = Some(Duration::from_millis(600));
    a_blocking_watch_catches_up_after_a_cut("/node-watch-slow-reconnect", slow);
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_data_watch_keeps_telling_changes_after_two_quick_ones() {
    let zk = async_client().await;
    let path = "/node-watch-quick-tokio";
    let _ = zk.delete(path, Version::Any).await;
    zk.create(path, "v0", CreateMode::Persistent).await.unwrap();
    let mut watch = NodeWatch::data(path);
    let next = async |watch: &mut NodeWatch| {
        let told = tokio::time::timeout(PATIENCE.unwrap(), watch.next_async(&zk)).await;
        data_of(told.expect("a value within the patience").unwrap())
    };
    assert_eq!(next(&mut watch).await, "v0");
    zk.set_data(path, "v1", Version::Any).await.unwrap();
    zk.set_data(path, "v2", Version::Any).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(next(&mut watch).await, "v2");
    for value in ["v3", "v4"] {
        zk.set_data(path, value, Version::Any).await.unwrap();
        assert_eq!(next(&mut watch).await, value);
    }
    zk.delete(path, Version::Any).await.unwrap();
    assert_eq!(next(&mut watch).await, "<missing>");
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_persistent_data_watch_catches_up_after_a_cut() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let options = zk_tokio::Options::new()
        .session_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200));
    let watcher = zk_tokio::Client::connect(&proxy.connect_string(), options)
        .await
        .unwrap();
    let writer = zk_tokio::Client::connect(&server.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    let path = "/node-watch-tokio-cut";
    let _ = writer.delete(path, Version::Any).await;
    writer
        .create(path, "before", CreateMode::Persistent)
        .await
        .unwrap();
    let mut watch = NodeWatch::data(path);
    assert_eq!(data_of(watch.next_async(&watcher).await.unwrap()), "before");
    let kinds: Vec<_> = watcher
        .check_watches(path, zk_blocking::WatcherType::Any)
        .iter()
        .map(|w| w.kind())
        .collect();
    assert_eq!(kinds, [zk_blocking::WatchKind::Persistent]);

    proxy.close_all();
    writer.set_data(path, "during", Version::Any).await.unwrap();
    writer.set_data(path, "last", Version::Any).await.unwrap();
    let patience = Duration::from_secs(20);
    let value = tokio::time::timeout(patience, watch.next_async(&watcher)).await;
    let mut seen = data_of(value.expect("a change in time").unwrap());
    if seen == "during" {
        let value = tokio::time::timeout(patience, watch.next_async(&watcher)).await;
        seen = data_of(value.expect("a change in time").unwrap());
    }
    assert_eq!(seen, "last");
    drop(watch);
    writer.delete(path, Version::Any).await.unwrap();
    watcher.close().await;
    writer.close().await;
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_watch_call_cut_short_by_a_timeout_keeps_watching() {
    let zk = async_client().await;
    let path = "/node-watch-tokio-timeout";
    let _ = zk.delete(path, Version::Any).await;
    zk.create(path, "v1", CreateMode::Ephemeral).await.unwrap();
    let mut watch = NodeWatch::data(path);
    assert_eq!(data_of(watch.next_async(&zk).await.unwrap()), "v1");
    let quiet = tokio::time::timeout(Duration::from_millis(200), watch.next_async(&zk)).await;
    assert!(quiet.is_err(), "nothing changed");

    zk.set_data(path, "v2", Version::Any).await.unwrap();
    let changed = tokio::time::timeout(Duration::from_secs(20), watch.next_async(&zk)).await;
    assert_eq!(
        data_of(changed.expect("the change, in time").unwrap()),
        "v2"
    );
    zk.close().await;
}

#[test]
fn a_children_watch_sees_the_last_list_after_its_connection_was_cut() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let options = Options::new()
        .session_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200));
    let watcher = SharedClient::connect(&proxy.connect_string(), options).unwrap();
    let writer = SharedClient::connect(&server.connect_string(), Options::new()).unwrap();
    let path = "/node-watch-children-cut";
    let _ = writer.create(path, "", CreateMode::Persistent);
    let mut driver = watcher.clone();
    let mut watch = NodeWatch::children(path);
    let list = |value: Option<NodeValue>| match value {
        Some(NodeValue::Children(children, _)) => children,
        other => panic!("expected a list, got {other:?}"),
    };
    assert!(list(watch.next(&mut driver, PATIENCE).unwrap()).is_empty());

    proxy.close_all();
    writer
        .create(&format!("{path}/a"), "", CreateMode::Ephemeral)
        .unwrap();
    writer
        .create(&format!("{path}/b"), "", CreateMode::Ephemeral)
        .unwrap();
    let mut seen = list(watch.next(&mut driver, PATIENCE).unwrap());
    if seen.len() < 2 {
        seen = list(watch.next(&mut driver, PATIENCE).unwrap());
    }
    assert_eq!(seen, ["a", "b"]);
}
