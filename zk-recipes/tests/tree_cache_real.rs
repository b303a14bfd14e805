//! The tree cache against a real server, on the blocking, shared and async clients:
//! the first load and Initialized, the program's own creates, sets and deletes
//! (a `deleteall` of a branch among them) told as events with the cache agreeing with
//! the server after each, and changes made by another client while the connection was
//! down told after the reconnect.

mod servers;

use std::collections::BTreeSet;
use std::time::Duration;

use servers::{PATIENCE, create_all, fresh_path};
use zk_blocking::{Client, CreateMode, Options, SharedClient, Version};
use zk_recipes::run::{Blocking, Driver};
use zk_recipes::{TreeCache, TreeEvent, tree};
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::shared_standalone;

/// An event as the assertions read it: `added <path>=<data>`, `updated ...`,
/// `removed <path>`, `initialized`.
fn describe(event: TreeEvent) -> String {
    let data = |node: &zk_recipes::CachedNode| String::from_utf8_lossy(&node.data).into_owned();
    match event {
        TreeEvent::NodeAdded(path, node) => format!("added {path}={}", data(&node)),
        TreeEvent::NodeUpdated(path, node) => format!("updated {path}={}", data(&node)),
        TreeEvent::NodeRemoved(path, _) => format!("removed {path}"),
        TreeEvent::Initialized => "initialized".into(),
    }
}

/// The next `n` events (each within the patience), in the order told.
fn next_events(cache: &mut TreeCache, driver: &mut impl Driver, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let event = cache.next_event(driver, Some(PATIENCE)).unwrap();
            describe(event.expect("an event within the patience"))
        })
        .collect()
}

/// The next event on zk-tokio's client (within the patience), as the assertions
/// read it.
#[cfg(feature = "tokio")]
async fn next_event_async(cache: &mut TreeCache, zk: &zk_tokio::Client) -> String {
    let told = tokio::time::timeout(PATIENCE, cache.next_event_async(zk)).await;
    describe(
        told.expect("an event within the patience")
            .unwrap()
            .unwrap(),
    )
}

/// Events until `Initialized` (included), as a set: the load's order is the reads'.
fn until_initialized(cache: &mut TreeCache, driver: &mut impl Driver) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    while !seen.contains("initialized") {
        seen.extend(next_events(cache, driver, 1));
    }
    seen
}

/// Asserts that the cache holds what the server has under its root: the same nodes,
/// each with the same data, creation, modification and children.
fn agrees(cache: &TreeCache, zk: &SharedClient) {
    let mut there = Vec::new();
    let mut stack = vec![cache.path().to_string()];
    while let Some(path) = stack.pop() {
        let Ok((data, stat)) = zk.get_data(&path) else {
            continue;
        };
        let mut children = zk.get_children(&path).unwrap_or_default();
        children.sort();
        stack.extend(children.iter().map(|c| format!("{path}/{c}")));
        there.push((path, data, stat.czxid, stat.mzxid, children));
    }
    there.sort();
    let cached: Vec<_> = cache
        .iter()
        .map(|(path, node)| {
            let children = cache.children(path).unwrap();
            let children = children.into_iter().map(String::from).collect();
            let (data, stat) = (node.data.clone(), node.stat);
            (path.to_string(), data, stat.czxid, stat.mzxid, children)
        })
        .collect();
    assert_eq!(cached, there);
}

/// The program's own changes under a cached root, each told and the cache agreeing
/// with the server after it. `zk` reads and writes on the same session as `driver`
/// runs the cache on (or, for the blocking client, on another).
fn own_changes_are_told(driver: &mut impl Driver, zk: &SharedClient, root: &str) {
    create_all(zk, &format!("{root}/a"), b"a1");
    create_all(zk, &format!("{root}/b/x"), b"x1");
    let mut cache = TreeCache::new(root);
    let loaded = until_initialized(&mut cache, driver);
    let expected: BTreeSet<String> = [
        format!("added {root}="),
        format!("added {root}/a=a1"),
        format!("added {root}/b="),
        format!("added {root}/b/x=x1"),
        "initialized".to_string(),
    ]
    .into();
    assert_eq!(loaded, expected);
    agrees(&cache, zk);

    let c = format!("{root}/c");
    zk.create(&c, "c1", CreateMode::Persistent).unwrap();
    assert_eq!(
        next_events(&mut cache, driver, 1),
        [format!("added {c}=c1")]
    );
    agrees(&cache, zk);
    zk.set_data(&format!("{root}/a"), "a2", Version::Any)
        .unwrap();
    assert_eq!(
        next_events(&mut cache, driver, 1),
        [format!("updated {root}/a=a2")]
    );
    agrees(&cache, zk);
    let y = format!("{root}/b/y");
    zk.create(&y, "y1", CreateMode::Persistent).unwrap();
    assert_eq!(
        next_events(&mut cache, driver, 1),
        [format!("added {y}=y1")]
    );
    agrees(&cache, zk);

    tree::delete_all(&mut zk.clone(), &format!("{root}/b")).unwrap();
    let mut removed = next_events(&mut cache, driver, 3);
    assert_eq!(
        removed.pop(),
        Some(format!("removed {root}/b")),
        "the branch last"
    );
    removed.sort();
    assert_eq!(
        removed,
        [format!("removed {root}/b/x"), format!("removed {root}/b/y")]
    );
    agrees(&cache, zk);
    zk.delete(&c, Version::Any).unwrap();
    assert_eq!(next_events(&mut cache, driver, 1), [format!("removed {c}")]);
    agrees(&cache, zk);
    let quiet = cache.next_event(driver, Some(Duration::from_millis(200)));
    assert_eq!(quiet.unwrap(), None, "nothing else changed");
    tree::delete_all(&mut zk.clone(), root).unwrap();
}

fn options() -> Options {
    Options::new()
        .session_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200))
}

#[test]
fn a_tree_cache_on_the_shared_client_tells_the_programs_own_changes() {
    let zk = SharedClient::connect(&shared_standalone().connect_string(), options()).unwrap();
    own_changes_are_told(&mut zk.clone(), &zk, &fresh_path("tree-cache-shared"));
}

#[test]
fn a_tree_cache_on_the_blocking_client_tells_the_changes_it_sees() {
    let connect = shared_standalone().connect_string();
    let writer = SharedClient::connect(&connect, options()).unwrap();
    let mut zk = Client::connect(&connect, options()).unwrap();
    let root = fresh_path("tree-cache-blocking");
    own_changes_are_told(&mut Blocking::new(&mut zk), &writer, &root);
}

#[test]
fn a_tree_cache_on_the_blocking_client_tells_its_own_sessions_changes() {
    let connect = shared_standalone().connect_string();
    let reader = SharedClient::connect(&connect, options()).unwrap();
    let mut zk = Client::connect(&connect, options()).unwrap();
    let root = fresh_path("tree-cache-own-blocking");
    tree::create_all(&mut Blocking::new(&mut zk), &root).unwrap();
    let mut cache = TreeCache::new(&root);
    let loaded = until_initialized(&mut cache, &mut Blocking::new(&mut zk));
    assert_eq!(
        loaded,
        [format!("added {root}="), "initialized".into()].into()
    );

    let kid = format!("{root}/kid");
    zk.create(&kid, "k1", CreateMode::Persistent).unwrap();
    let told = next_events(&mut cache, &mut Blocking::new(&mut zk), 1);
    assert_eq!(told, [format!("added {kid}=k1")]);
    agrees(&cache, &reader);
    zk.set_data(&kid, "k2", Version::Any).unwrap();
    let told = next_events(&mut cache, &mut Blocking::new(&mut zk), 1);
    assert_eq!(told, [format!("updated {kid}=k2")]);
    agrees(&cache, &reader);
    tree::delete_all(&mut Blocking::new(&mut zk), &root).unwrap();
    let told = next_events(&mut cache, &mut Blocking::new(&mut zk), 2);
    assert_eq!(told, [format!("removed {kid}"), format!("removed {root}")]);
    assert!(cache.is_empty());
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn a_tree_cache_on_the_async_client_tells_its_own_changes() {
    let zk = zk_tokio::Client::connect(
        &shared_standalone().connect_string(),
        zk_tokio::Options::new(),
    )
    .await
    .unwrap();
    let reader = SharedClient::connect(&shared_standalone().connect_string(), options()).unwrap();
    let root = fresh_path("tree-cache-tokio");
    create_all(&reader, &format!("{root}/a"), b"a1");
    let mut cache = TreeCache::new(&root);
    let next = async |cache: &mut TreeCache| next_event_async(cache, &zk).await;
    let mut loaded = BTreeSet::new();
    while !loaded.contains("initialized") {
        loaded.insert(next(&mut cache).await);
    }
    assert!(loaded.contains(&format!("added {root}/a=a1")), "{loaded:?}");
    agrees(&cache, &reader);

    let b = format!("{root}/b");
    zk.create(&b, "b1", CreateMode::Persistent).await.unwrap();
    assert_eq!(next(&mut cache).await, format!("added {b}=b1"));
    zk.set_data(&b, "b2", Version::Any).await.unwrap();
    assert_eq!(next(&mut cache).await, format!("updated {b}=b2"));
    agrees(&cache, &reader);
    zk.delete(&b, Version::Any).await.unwrap();
    assert_eq!(next(&mut cache).await, format!("removed {b}"));
    agrees(&cache, &reader);
    drop(cache);
    tree::delete_all(&mut reader.clone(), &root).unwrap();
    zk.close().await;
}

/// The subtree a disconnect scenario starts from: `root/a` and `root/b/x`.
fn make_tree_to_cut_off(writer: &SharedClient, root: &str) {
    create_all(writer, &format!("{root}/a"), b"a1");
    create_all(writer, &format!("{root}/b/x"), b"x1");
}

/// With the proxy refusing the cache's connection, another client adds `root/new`,
/// changes `root/a` and deletes `root/b`; then the proxy forwards again.
fn change_while_cut_off(proxy: &FaultProxy, writer: &SharedClient, root: &str) {
    proxy.set_on_accept(OnAccept::Close);
    proxy.close_all();
    writer
        .create(&format!("{root}/new"), "n1", CreateMode::Persistent)
        .unwrap();
    writer
        .set_data(&format!("{root}/a"), "a2", Version::Any)
        .unwrap();
    tree::delete_all(&mut writer.clone(), &format!("{root}/b")).unwrap();
    proxy.set_on_accept(OnAccept::Forward);
}

/// What the reload after the reconnect tells of [`change_while_cut_off`]'s changes,
/// sorted.
fn told_after_the_cut(root: &str) -> [String; 4] {
    [
        format!("added {root}/new=n1"),
        format!("removed {root}/b"),
        format!("removed {root}/b/x"),
        format!("updated {root}/a=a2"),
    ]
}

/// Another client changes the subtree while the cache's connection is down (the
/// proxy refusing it): the reload after the reconnect tells each change.
fn changes_while_disconnected_are_told(
    driver: &mut impl Driver,
    proxy: &FaultProxy,
    writer: &SharedClient,
    root: &str,
) {
    make_tree_to_cut_off(writer, root);
    let mut cache = TreeCache::new(root);
    until_initialized(&mut cache, driver);
    change_while_cut_off(proxy, writer, root);
    let mut told = next_events(&mut cache, driver, 4);
    told.sort();
    assert_eq!(told, told_after_the_cut(root));
    agrees(&cache, writer);
    tree::delete_all(&mut writer.clone(), root).unwrap();
}

#[test]
fn a_tree_cache_on_the_shared_client_tells_what_changed_while_it_was_disconnected() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let watcher = SharedClient::connect(&proxy.connect_string(), options()).unwrap();
    let writer = SharedClient::connect(&server.connect_string(), options()).unwrap();
    let root = fresh_path("tree-cache-cut-shared");
    changes_while_disconnected_are_told(&mut watcher.clone(), &proxy, &writer, &root);
}

#[test]
fn a_tree_cache_on_the_blocking_client_tells_what_changed_while_it_was_disconnected() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut watcher = Client::connect(&proxy.connect_string(), options()).unwrap();
    let writer = SharedClient::connect(&server.connect_string(), options()).unwrap();
    let root = fresh_path("tree-cache-cut-blocking");
    let mut driver = Blocking::new(&mut watcher);
    changes_while_disconnected_are_told(&mut driver, &proxy, &writer, &root);
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread")]
async fn a_tree_cache_on_the_async_client_tells_what_changed_while_it_was_disconnected() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let zk = zk_tokio::Client::connect(&proxy.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    let writer = SharedClient::connect(&server.connect_string(), options()).unwrap();
    let root = fresh_path("tree-cache-cut-tokio");
    make_tree_to_cut_off(&writer, &root);
    let mut cache = TreeCache::new(&root);
    let next = async |cache: &mut TreeCache| next_event_async(cache, &zk).await;
    while next(&mut cache).await != "initialized" {}
    change_while_cut_off(&proxy, &writer, &root);
    let mut told = Vec::new();
    for _ in 0..4 {
        told.push(next(&mut cache).await);
    }
    told.sort();
    assert_eq!(told, told_after_the_cut(&root));
    agrees(&cache, &writer);
    drop(cache);
    tree::delete_all(&mut writer.clone(), &root).unwrap();
    zk.close().await;
}
