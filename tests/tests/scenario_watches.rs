//! Scenarios: watch ordering, one-shot and persistent watches, and removing watches
//! (also locally, connected or not).
//!
//! "Nothing else fired" is checked after a [`common::barrier`]: the server sends a
//! session its notifications before the reply to any later request.

mod common;

use std::time::Duration;
use zk_blocking::Version;
use zk_test_support::assert_matches;

use common::{
    barrier, connect, next_watch, options, queued_events, states, until_state, watch_summaries,
    watch_summary,
};
use zk_blocking::{
    AddWatchMode, Client, CreateMode, Event, EventType, KeeperState, Transaction, WatchHandle,
    WatchKind, WatcherType,
};
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

fn two_clients() -> (Client, Client) {
    let cs = shared_standalone().connect_string();
    (
        connect(&cs, options(TIMEOUT)),
        connect(&cs, options(TIMEOUT)),
    )
}

#[test]
fn a_watch_event_arrives_before_the_reply_of_a_later_request() {
    let (mut zk, mut other) = two_clients();
    zk.create("/before-reply", "old", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/before-reply").unwrap();
    other
        .set_data("/before-reply", "new", Version::Any)
        .unwrap();

    // The read that follows the change returns the new data, and by then the event is
    // already queued: the notification came first on the wire.
    let (data, _) = zk.get_data("/before-reply").unwrap();
    assert_eq!(data, "new");
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [(EventType::NodeDataChanged, "/before-reply", vec![watch])]
    );
    zk.close();
    other.close();
}

#[test]
fn a_one_shot_watch_fires_once() {
    let (mut zk, mut other) = two_clients();
    zk.create("/one-shot", "", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch("/one-shot").unwrap();
    assert_eq!(watch.kind(), WatchKind::Data);
    other.set_data("/one-shot", "1", Version::Any).unwrap();
    other.set_data("/one-shot", "2", Version::Any).unwrap();
    other.delete("/one-shot", Version::Any).unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [(EventType::NodeDataChanged, "/one-shot", vec![watch])],
        "exactly one event expected"
    );
    assert!(zk.check_watches("/one-shot", WatcherType::Any).is_empty());
    zk.close();
    other.close();
}

#[test]
fn waiting_on_one_watch_gets_a_copy_of_its_event_and_next_event_still_has_every_event() {
    let (mut zk, mut other) = two_clients();
    zk.create("/wait-one", "", CreateMode::Persistent).unwrap();
    zk.create("/wait-other", "", CreateMode::Persistent)
        .unwrap();
    let (_, _, mine) = zk.get_data_watch("/wait-one").unwrap();
    let (_, _, theirs) = zk.get_data_watch("/wait-other").unwrap();
    other.set_data("/wait-other", "1", Version::Any).unwrap();
    other.set_data("/wait-one", "1", Version::Any).unwrap();

    match zk.wait_watch(mine, TIMEOUT).unwrap() {
        Some(zk_blocking::Event::Watch(e)) => {
            assert_eq!(
                watch_summary(&e),
                (EventType::NodeDataChanged, "/wait-one", vec![mine])
            );
        }
        other => panic!("expected the watch's event, got {other:?}"),
    }
    // A one-shot watch whose event was taken is gone.
    assert_matches!(
        zk.wait_watch(mine, Duration::ZERO),
        Err(zk_blocking::Error::NoWatcher { .. })
    );
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::NodeDataChanged, "/wait-other", vec![theirs]),
            (EventType::NodeDataChanged, "/wait-one", vec![mine]),
        ],
        "next_event still has every event, in wire order"
    );
    zk.close();
    other.close();
}

#[test]
fn a_watch_waited_on_keeps_its_events_while_the_program_reads_next_event() {
    let (mut zk, mut other) = two_clients();
    zk.create("/wait-kept", "", CreateMode::Persistent).unwrap();
    let watch = zk
        .add_watch("/wait-kept", AddWatchMode::Persistent)
        .unwrap();
    assert_matches!(zk.wait_watch(watch, Duration::ZERO), Ok(None));
    // Between two waits, the program drains its events: the waiter's stay.
    other.set_data("/wait-kept", "1", Version::Any).unwrap();
    other.set_data("/wait-kept", "2", Version::Any).unwrap();
    barrier(&mut zk);
    assert_eq!(queued_events(&mut zk).len(), 2, "the program has both");
    for _ in 0..2 {
        assert_matches!(
            zk.wait_watch(watch, TIMEOUT),
            Ok(Some(zk_blocking::Event::Watch(e))) if e.event_type == EventType::NodeDataChanged
        );
    }
    assert_matches!(zk.wait_watch(watch, Duration::from_millis(100)), Ok(None));
    zk.close();
    other.close();
}

/// The bound of the burst scenarios' program queue.
const KEPT: usize = 4;
/// One-shot watches fired together in the burst scenarios, well past [`KEPT`].
const WATCHES: usize = 50;

/// A client keeping at most [`KEPT`] events for `next_event`, with a one-shot data
/// watch on each of [`WATCHES`] nodes under `root`, and another client that has just
/// changed them all in one transaction (so the server sends the notifications back to
/// back, none of them read yet): `(client, other, watches, node paths)`.
fn burst_of_one_shot_watches(root: &str) -> (Client, Client, Vec<WatchHandle>, Vec<String>) {
    let cs = shared_standalone().connect_string();
    let mut zk = connect(&cs, options(TIMEOUT).max_queued_events(KEPT));
    let mut other = connect(&cs, options(TIMEOUT));
    let paths: Vec<String> = (0..WATCHES).map(|i| format!("{root}/{i}")).collect();
    other.create(root, "", CreateMode::Persistent).unwrap();
    for path in &paths {
        other.create(path, "", CreateMode::Persistent).unwrap();
    }
    let watches = paths
        .iter()
        .map(|path| zk.get_data_watch(path).unwrap().2)
        .collect();
    let changes = paths.iter().fold(Transaction::new(), |tx, path| {
        tx.set_data(path.as_str(), "changed", Version::Any)
    });
    other.multi(changes).unwrap();
    (zk, other, watches, paths)
}

#[test]
fn a_watch_waited_on_gets_its_event_among_more_than_max_queued_events_fired_at_once() {
    let (mut zk, mut other, watches, paths) = burst_of_one_shot_watches("/burst-waited-on");
    // The last of the burst: whatever the program's queue keeps, the one being
    // waited on gets its own event.
    let (last, path) = (watches[WATCHES - 1], paths[WATCHES - 1].as_str());
    assert_matches!(
        zk.wait_watch(last, TIMEOUT),
        Ok(Some(Event::Watch(e)))
            if watch_summary(&e) == (EventType::NodeDataChanged, path, vec![last])
    );
    // The program's queue keeps its bound: the first KEPT events, then one Overflow
    // naming the watches of the rest.
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(events.len(), KEPT + 1, "{events:?}");
    assert_eq!(
        watch_summaries(&events[..KEPT]),
        (0..KEPT)
            .map(|i| (
                EventType::NodeDataChanged,
                paths[i].as_str(),
                vec![watches[i]]
            ))
            .collect::<Vec<_>>()
    );
    assert_matches!(
        &events[KEPT],
        Event::Overflow { dropped, watches: named }
            if *dropped == (WATCHES - KEPT) as u64 && named.len() == WATCHES - KEPT
    );
    zk.close();
    other.close();
}

#[test]
fn waiting_on_a_watch_whose_event_the_full_queue_dropped_before_the_wait_reports_the_overflow() {
    let (mut zk, mut other, watches, paths) = burst_of_one_shot_watches("/burst-not-waited-on");
    // Read before anyone waits on the watches: the program's queue keeps KEPT of the
    // events, and an Overflow for the rest (by design: it is bounded).
    barrier(&mut zk);
    assert_matches!(
        zk.wait_watch(watches[0], TIMEOUT),
        Ok(Some(Event::Watch(e)))
            if watch_summary(&e) == (EventType::NodeDataChanged, paths[0].as_str(), vec![watches[0]])
    );
    // A watch whose event was dropped is told so at once, not left to time out.
    let last = watches[WATCHES - 1];
    assert_matches!(
        zk.wait_watch(last, Duration::ZERO),
        Ok(Some(Event::Overflow { watches: named, .. })) if named == [last]
    );
    assert_matches!(
        zk.wait_watch(last, Duration::ZERO),
        Err(zk_blocking::Error::NoWatcher { .. })
    );
    zk.close();
    other.close();
}

#[test]
fn waiting_on_a_watch_that_has_not_fired_times_out_with_nothing() {
    let (mut zk, mut other) = two_clients();
    zk.create("/wait-quiet", "", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/wait-quiet").unwrap();
    assert_matches!(zk.wait_watch(watch, Duration::from_millis(100)), Ok(None));
    other.delete("/wait-quiet", Version::Any).unwrap();
    assert_matches!(
        zk.wait_watch(watch, TIMEOUT),
        Ok(Some(zk_blocking::Event::Watch(e))) if e.event_type == EventType::NodeDeleted
    );
    zk.close();
    other.close();
}

#[test]
fn an_exists_watch_on_a_missing_node_fires_when_it_is_created() {
    let (mut zk, mut other) = two_clients();
    let (stat, watch) = zk.exists_watch("/not-yet").unwrap();
    assert_eq!(stat, None);
    assert_eq!(watch.kind(), WatchKind::Exist);
    other.create("/not-yet", "", CreateMode::Ephemeral).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeCreated, "/not-yet", vec![watch])
    );
    barrier(&mut zk);
    assert!(queued_events(&mut zk).is_empty());
    zk.close();
    other.close();
}

#[test]
fn a_persistent_watch_fires_for_data_and_children_and_stays() {
    let (mut zk, mut other) = two_clients();
    zk.create("/persistent", "", CreateMode::Persistent)
        .unwrap();
    let watch = zk
        .add_watch("/persistent", AddWatchMode::Persistent)
        .unwrap();
    assert_eq!(watch.kind(), WatchKind::Persistent);
    other.set_data("/persistent", "1", Version::Any).unwrap();
    other
        .create("/persistent/kid", "", CreateMode::Persistent)
        .unwrap();
    other
        .set_data("/persistent/kid", "x", Version::Any)
        .unwrap(); // not watched
    other.set_data("/persistent", "2", Version::Any).unwrap();
    other.delete("/persistent/kid", Version::Any).unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::NodeDataChanged, "/persistent", vec![watch]),
            (EventType::NodeChildrenChanged, "/persistent", vec![watch]),
            (EventType::NodeDataChanged, "/persistent", vec![watch]),
            (EventType::NodeChildrenChanged, "/persistent", vec![watch]),
        ]
    );
    assert_eq!(zk.check_watches("/persistent", WatcherType::Any), [watch]);
    zk.close();
    other.close();
}

#[test]
fn add_watch_on_a_missing_node_succeeds_and_fires_when_it_is_created() {
    // The 3.8 server answers addWatch on a missing node with Ok (the session would
    // register on NONODE too, as Java does); the watch then sees the creation.
    let (mut zk, mut other) = two_clients();
    let watch = zk
        .add_watch("/not-yet-there", AddWatchMode::Persistent)
        .unwrap();
    assert_eq!(watch.kind(), WatchKind::Persistent);
    other
        .create("/not-yet-there", "", CreateMode::Persistent)
        .unwrap();
    other.delete("/not-yet-there", Version::Any).unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::NodeCreated, "/not-yet-there", vec![watch]),
            (EventType::NodeDeleted, "/not-yet-there", vec![watch]),
        ]
    );
    zk.close();
    other.close();
}

#[test]
fn a_recursive_watch_covers_descendants_without_child_events() {
    let (mut zk, mut other) = two_clients();
    zk.create("/recursive", "", CreateMode::Persistent).unwrap();
    let watch = zk
        .add_watch("/recursive", AddWatchMode::PersistentRecursive)
        .unwrap();
    other
        .create("/recursive/a", "", CreateMode::Persistent)
        .unwrap();
    other
        .create("/recursive/a/b", "", CreateMode::Persistent)
        .unwrap();
    other.set_data("/recursive/a/b", "x", Version::Any).unwrap();
    other.delete("/recursive/a/b", Version::Any).unwrap();
    other.set_data("/recursive", "y", Version::Any).unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::NodeCreated, "/recursive/a", vec![watch]),
            (EventType::NodeCreated, "/recursive/a/b", vec![watch]),
            (EventType::NodeDataChanged, "/recursive/a/b", vec![watch]),
            (EventType::NodeDeleted, "/recursive/a/b", vec![watch]),
            (EventType::NodeDataChanged, "/recursive", vec![watch]),
        ]
    );
    zk.close();
    other.close();
}

#[test]
fn removed_watches_report_their_removal_and_never_fire() {
    let (mut zk, mut other) = two_clients();
    zk.create("/removed", "", CreateMode::Persistent).unwrap();
    let (_, _, data) = zk.get_data_watch("/removed").unwrap();
    let (_, child) = zk.get_children_watch("/removed").unwrap();
    let (_, _, kept) = zk.get_data_watch("/removed").unwrap();

    // One watch by handle, then every child watch on the path.
    zk.remove_watch(data).unwrap();
    zk.remove_watches("/removed", WatcherType::Children)
        .unwrap();
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::DataWatchRemoved, "/removed", vec![data]),
            (EventType::ChildWatchRemoved, "/removed", vec![child]),
        ]
    );
    assert_eq!(zk.check_watches("/removed", WatcherType::Any), [kept]);

    other
        .create("/removed/kid", "", CreateMode::Persistent)
        .unwrap();
    other.set_data("/removed", "x", Version::Any).unwrap();
    barrier(&mut zk);
    let fired = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&fired),
        [(EventType::NodeDataChanged, "/removed", vec![kept])],
        "only the watch that was not removed"
    );
    zk.close();
    other.close();
}

#[test]
fn watches_removed_locally_while_disconnected_are_not_restored() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let mut other = connect(&server.connect_string(), options(TIMEOUT));
    zk.create("/local-removal", "", CreateMode::Persistent)
        .unwrap();
    let (_, _, removed) = zk.get_data_watch("/local-removal").unwrap();
    let (_, kept) = zk.get_children_watch("/local-removal").unwrap();

    // Disconnected, and kept that way until the removal is done.
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    let events = until_state(&mut zk, KeeperState::Disconnected);
    assert_eq!(states(&events), [KeeperState::Disconnected]);
    zk.remove_watches_locally("/local-removal", WatcherType::Data)
        .unwrap();
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [(EventType::DataWatchRemoved, "/local-removal", vec![removed])]
    );
    assert_eq!(zk.check_watches("/local-removal", WatcherType::Any), [kept]);

    proxy.set_on_accept(OnAccept::Forward);
    until_state(&mut zk, KeeperState::SyncConnected);
    other.set_data("/local-removal", "x", Version::Any).unwrap();
    other
        .create("/local-removal/kid", "", CreateMode::Persistent)
        .unwrap();
    barrier(&mut zk);
    assert_eq!(
        watch_summaries(&queued_events(&mut zk)),
        [(EventType::NodeChildrenChanged, "/local-removal", vec![kept])],
        "only the child watch was re-registered"
    );
    zk.close();
    other.close();
}

#[test]
fn a_watch_removed_locally_while_connected_is_removed_from_the_server_too() {
    // As Java's local removal: gone here at once, and the server is told, so that it
    // stops notifying (it used to keep the watch for the rest of the session).
    let (mut zk, mut other) = two_clients();
    let path = "/removed-locally-here-and-there";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    let watch = zk
        .add_watch(path, AddWatchMode::PersistentRecursive)
        .unwrap();
    zk.remove_watches_locally(path, WatcherType::PersistentRecursive)
        .unwrap();
    assert_eq!(
        watch_summaries(&queued_events(&mut zk)),
        [(EventType::PersistentWatchRemoved, path, vec![watch])]
    );
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::PersistentRecursive),
        Ok(false)
    );
    for _ in 0..5 {
        other.set_data(path, "x", Version::Any).unwrap();
    }
    other
        .create(&format!("{path}/kid"), "", CreateMode::Persistent)
        .unwrap();
    barrier(&mut zk);
    assert_eq!(queued_events(&mut zk), []);
    assert_eq!(
        zk.session().stray_notifications(),
        0,
        "the server sent no notification"
    );
    zk.close();
    other.close();
}

#[test]
fn a_one_shot_watch_removed_locally_beside_a_persistent_one_spares_the_persistent_watch() {
    let (mut zk, mut other) = two_clients();
    let path = "/removed-locally-beside-persistent";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    // One-shot first (see a_persistent_and_a_one_shot_watch_on_one_node_fire_together_once):
    // a 3.8 server then holds one persistent watch for both, which removing its data
    // watch would cut, so the local removal does not tell it.
    let (_, _, once) = zk.get_data_watch(path).unwrap();
    let persistent = zk.add_watch(path, AddWatchMode::Persistent).unwrap();
    zk.remove_watches_locally(path, WatcherType::Data).unwrap();
    assert_eq!(
        watch_summaries(&queued_events(&mut zk)),
        [(EventType::DataWatchRemoved, path, vec![once])]
    );
    other.set_data(path, "1", Version::Any).unwrap();
    other.set_data(path, "2", Version::Any).unwrap();
    barrier(&mut zk);
    assert_eq!(
        watch_summaries(&queued_events(&mut zk)),
        [
            (EventType::NodeDataChanged, path, vec![persistent]),
            (EventType::NodeDataChanged, path, vec![persistent]),
        ]
    );
    zk.close();
    other.close();
}

#[test]
fn children_with_their_parents_stat_and_a_child_watch_in_one_call() {
    let (mut zk, mut other) = two_clients();
    zk.create("/with-stat", "", CreateMode::Persistent).unwrap();
    zk.create("/with-stat/a", "", CreateMode::Ephemeral)
        .unwrap();
    let (children, stat, watch) = zk.get_children_with_stat_watch("/with-stat").unwrap();
    assert_eq!(children, ["a"]);
    assert_eq!((stat.num_children, stat.cversion), (1, 1));
    assert_eq!(watch.kind(), WatchKind::Child);
    other
        .create("/with-stat/b", "", CreateMode::Ephemeral)
        .unwrap();
    barrier(&mut zk);
    assert_eq!(
        watch_summaries(&queued_events(&mut zk)),
        [(EventType::NodeChildrenChanged, "/with-stat", vec![watch])]
    );
    zk.close();
    other.close();
}

#[test]
fn one_delete_fires_every_one_shot_watch_on_the_node_in_one_event() {
    let (mut zk, mut other) = two_clients();
    zk.create("/doomed", "", CreateMode::Persistent).unwrap();
    let (_, _, data) = zk.get_data_watch("/doomed").unwrap();
    let (_, exists) = zk.exists_watch("/doomed").unwrap();
    let (_, child) = zk.get_children_watch("/doomed").unwrap();
    other.delete("/doomed", Version::Any).unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [(EventType::NodeDeleted, "/doomed", vec![data, exists, child])],
        "one NodeDeleted expected"
    );
    assert!(zk.check_watches("/doomed", WatcherType::Any).is_empty());
    zk.close();
    other.close();
}

#[test]
fn reads_of_a_missing_node_leave_no_watch_except_exists() {
    let (mut zk, mut other) = two_clients();
    assert_matches!(
        zk.get_data_watch("/absent").unwrap_err(),
        zk_blocking::Error::NoNode { .. }
    );
    assert_matches!(
        zk.get_children_watch("/absent").unwrap_err(),
        zk_blocking::Error::NoNode { .. }
    );
    assert!(zk.check_watches("/absent", WatcherType::Any).is_empty());
    let (_, exists) = zk.exists_watch("/absent").unwrap();
    assert_eq!(zk.check_watches("/absent", WatcherType::Any), [exists]);
    other.create("/absent", "", CreateMode::Ephemeral).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeCreated, "/absent", vec![exists])
    );
    zk.close();
    other.close();
}

#[test]
fn a_child_event_under_a_recursive_watch_fires_only_the_child_watch() {
    let (mut zk, mut other) = two_clients();
    zk.create("/rec-child", "", CreateMode::Persistent).unwrap();
    zk.create("/rec-child/a", "", CreateMode::Persistent)
        .unwrap();
    let recursive = zk
        .add_watch("/rec-child", AddWatchMode::PersistentRecursive)
        .unwrap();
    let (_, child) = zk.get_children_watch("/rec-child/a").unwrap();
    other
        .create("/rec-child/a/x", "", CreateMode::Persistent)
        .unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::NodeCreated, "/rec-child/a/x", vec![recursive]),
            (EventType::NodeChildrenChanged, "/rec-child/a", vec![child]),
        ]
    );
    zk.close();
    other.close();
}

#[test]
fn a_persistent_and_a_one_shot_watch_on_one_node_fire_together_once() {
    let (mut zk, mut other) = two_clients();
    zk.create("/both", "", CreateMode::Persistent).unwrap();
    // One-shot first: a 3.8 server keeps a single watch mode per connection and path,
    // so a one-shot watch set *after* a persistent one would replace it on the server
    // (the client cannot see that; fixed in later servers).
    let (_, _, once) = zk.get_data_watch("/both").unwrap();
    let persistent = zk.add_watch("/both", AddWatchMode::Persistent).unwrap();
    other.set_data("/both", "1", Version::Any).unwrap();
    other.set_data("/both", "2", Version::Any).unwrap();
    barrier(&mut zk);
    let events = queued_events(&mut zk);
    assert_eq!(
        watch_summaries(&events),
        [
            (EventType::NodeDataChanged, "/both", vec![once, persistent]),
            (EventType::NodeDataChanged, "/both", vec![persistent]),
        ]
    );
    zk.close();
    other.close();
}

#[test]
fn removing_every_watch_of_a_node_also_removes_its_persistent_watch() {
    let (mut zk, mut other) = two_clients();
    zk.create("/remove-all", "", CreateMode::Persistent)
        .unwrap();
    let persistent = zk
        .add_watch("/remove-all", AddWatchMode::Persistent)
        .unwrap();
    let (_, _, data) = zk.get_data_watch("/remove-all").unwrap();
    zk.remove_watches("/remove-all", WatcherType::Any).unwrap();
    let events = queued_events(&mut zk);
    let mut removed = watch_summaries(&events);
    removed.sort_by_key(|(t, ..)| format!("{t:?}"));
    assert_eq!(
        removed,
        [
            (EventType::DataWatchRemoved, "/remove-all", vec![data]),
            (
                EventType::PersistentWatchRemoved,
                "/remove-all",
                vec![persistent]
            ),
        ]
    );
    assert!(zk.check_watches("/remove-all", WatcherType::Any).is_empty());
    // The server agrees: nothing fires any more.
    other.set_data("/remove-all", "x", Version::Any).unwrap();
    other
        .create("/remove-all/kid", "", CreateMode::Persistent)
        .unwrap();
    barrier(&mut zk);
    assert!(queued_events(&mut zk).is_empty());
    zk.close();
    other.close();
}
