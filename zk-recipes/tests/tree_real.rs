//! create_all and delete_all against a real server, on each driver.

use std::time::Duration;

use zk_blocking::{
    Client, CreateMode, Event, EventType, KeeperState, Options, SharedClient, Version,
};
use zk_recipes::run::Blocking;
use zk_recipes::tree::{create_all, delete_all};
use zk_tests::shared_standalone;

fn connect_string() -> String {
    shared_standalone().connect_string()
}

#[test]
fn create_all_makes_every_missing_parent_and_delete_all_removes_the_subtree() {
    let mut zk = Client::connect(&connect_string(), Options::new()).unwrap();
    let mut driver = Blocking::new(&mut zk);
    create_all(&mut driver, "/tree-blocking/a/b/c").unwrap();
    let zk = driver.client();
    assert!(zk.exists("/tree-blocking/a/b/c").unwrap().is_some());
    zk.create("/tree-blocking/a/x", "", CreateMode::Persistent)
        .unwrap();
    zk.create("/tree-blocking/a/b/y", "", CreateMode::Ephemeral)
        .unwrap();

    delete_all(&mut driver, "/tree-blocking").unwrap();
    assert!(driver.client().exists("/tree-blocking").unwrap().is_none());
}

#[test]
fn a_recipe_on_the_blocking_client_leaves_the_programs_watch_events_queued() {
    let mut zk = Client::connect(&connect_string(), Options::new()).unwrap();
    let other = SharedClient::connect(&connect_string(), Options::new()).unwrap();
    zk.create("/tree-events", "", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/tree-events").unwrap();
    other
        .set_data("/tree-events", "changed", Version::Any)
        .unwrap();

    create_all(&mut Blocking::new(&mut zk), "/tree-events/a/b").unwrap();
    delete_all(&mut Blocking::new(&mut zk), "/tree-events").unwrap();

    // The connect's SyncConnected comes first: it is the program's too.
    let mut events = Vec::new();
    while let Some(event) = zk.next_event(Duration::from_millis(500)).unwrap() {
        events.push(event);
    }
    assert!(
        matches!(&events[..], [
            Event::Session { state: KeeperState::SyncConnected, .. },
            Event::Watch(e),
        ] if e.fired(watch) && e.event_type == EventType::NodeDataChanged),
        "the program's events, in order: {events:?}"
    );
}

#[test]
fn create_all_of_an_existing_path_and_delete_all_of_a_missing_one_succeed() {
    let mut zk = SharedClient::connect(&connect_string(), Options::new()).unwrap();
    create_all(&mut zk, "/tree-shared/a").unwrap();
    create_all(&mut zk, "/tree-shared/a").unwrap();
    delete_all(&mut zk, "/tree-shared").unwrap();
    delete_all(&mut zk, "/tree-shared").unwrap();
    assert!(zk.exists("/tree-shared").unwrap().is_none());
}

#[test]
fn four_threads_creating_the_same_path_at_once_all_succeed() {
    let zk = SharedClient::connect(&connect_string(), Options::new()).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut zk = zk.clone();
            std::thread::spawn(move || create_all(&mut zk, "/tree-race/p/q/r"))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let mut zk = zk;
    delete_all(&mut zk, "/tree-race").unwrap();
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_async_client_runs_the_same_utilities() {
    use zk_recipes::tree::{create_all_async, delete_all_async};
    let zk = zk_tokio::Client::connect(&connect_string(), zk_tokio::Options::new())
        .await
        .unwrap();
    create_all_async(&zk, "/tree-tokio/a/b").await.unwrap();
    assert!(zk.exists("/tree-tokio/a/b").await.unwrap().is_some());
    delete_all_async(&zk, "/tree-tokio").await.unwrap();
    assert!(zk.exists("/tree-tokio").await.unwrap().is_none());
    zk.close().await;
}
