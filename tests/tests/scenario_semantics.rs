//! Scenarios: the semantic gaps of issue 10, each stated as the behaviour a user
//! should see on a real 3.8 server — chroot edges (a sequential create at `/`, deleting
//! `/`, `sync`, the config watch), watch events nobody is watching (a second
//! NodeDeleted after a reconnect, a removed watch the server still holds, a watching
//! call that timed out), local watch removal while disconnected, and RemoveWatches
//! after the watch already fired.
//!
//! "Nothing else arrived" is checked after round trips ([`common::barrier`]): the
//! server sends a session its notifications before the reply to any later request.
//! Every client here has a call timeout, so a call the library never answers fails
//! the test instead of hanging it.

mod common;

use std::time::Duration;
use zk_blocking::Version;

use common::{
    PATIENCE, barrier, connect, fast_server, options, queued_events, states, until_state,
    watch_summaries, watch_summary, watched_paths,
};
use zk_blocking::{
    AddWatchMode, Client, CreateMode, Error, ErrorCode, Event, EventType, KeeperState, OpResult,
    Options, Request, Response, Transaction, WatchHandle,
};
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::{ZkServer, shared_standalone};

const TIMEOUT: Duration = Duration::from_secs(10);

// ----- helpers -------------------------------------------------------------------------

/// Scenario options with a call timeout as a safety net: no call may hang a test.
fn bounded() -> Options {
    options(TIMEOUT).call_timeout(PATIENCE)
}

/// A client at the root of `server`.
fn root_client(server: &ZkServer) -> Client {
    connect(&server.connect_string(), bounded())
}

/// A client at the root, and one chrooted at `/<chroot>` (created first, empty),
/// connected directly or through `via`.
fn chrooted(chroot: &str, via: Option<&FaultProxy>) -> (Client, Client) {
    let server = shared_standalone();
    let mut root = root_client(server);
    root.create(&format!("/{chroot}"), "", CreateMode::Persistent)
        .unwrap_or_else(|err| panic!("creating the chroot /{chroot}: {err}"));
    let address = via.map_or_else(|| server.connect_string(), FaultProxy::connect_string);
    let zk = connect(&format!("{address}/{chroot}"), bounded());
    (root, zk)
}

/// A slash and the ten digits of a sequence number: what a sequential create at the
/// client root returns.
fn is_sequence_at_root(path: &str) -> bool {
    path.strip_prefix('/')
        .is_some_and(|digits| digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The server's children of `/` that escaped the chroot `/<chroot>`: siblings named
/// `<chroot>` followed by a sequence number.
fn escaped_siblings(root: &mut Client, chroot: &str) -> Vec<String> {
    root.get_children("/")
        .unwrap()
        .into_iter()
        .filter(|name| name.len() > chroot.len() && name.starts_with(chroot))
        .collect()
}

/// Round trips on `client`, then every event queued: all that the changes made before
/// this call caused (notifications come before the reply of a later request).
fn events_after_round_trips(client: &mut Client, round_trips: usize) -> Vec<Event> {
    for _ in 0..round_trips {
        barrier(client);
    }
    queued_events(client)
}

/// The watch events among `events` that say a node changed (not the
/// `*WatchRemoved` confirmations of a removal), as [`watch_summary`] gives them.
fn node_events(events: &[Event]) -> Vec<(EventType, &str, Vec<WatchHandle>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Watch(w) if !is_removal(w.event_type) => Some(watch_summary(w)),
            _ => None,
        })
        .collect()
}

fn is_removal(event_type: EventType) -> bool {
    matches!(
        event_type,
        EventType::DataWatchRemoved
            | EventType::ChildWatchRemoved
            | EventType::PersistentWatchRemoved
    )
}

/// Whether the session still lists a registration for `handle`.
fn still_registered(client: &Client, handle: WatchHandle) -> bool {
    client.session().watches().any(|r| r.id == handle.id())
}

/// The live registrations, for failure messages.
fn registrations(client: &Client) -> Vec<String> {
    client
        .session()
        .watches()
        .map(|r| format!("{:?} {:?} on {}", r.id, r.kind, r.path))
        .collect()
}

// ----- 1. sequential create at the chroot's root ----------------------------------------

#[test]
fn a_sequential_create_at_the_chroot_root_creates_a_child_of_the_chroot() {
    let chroot = "app-seq-alone";
    let (mut root, mut zk) = chrooted(chroot, None);
    let created = zk
        .create("/", "data", CreateMode::PersistentSequential)
        .unwrap_or_else(|err| panic!("create(\"/\", Sequential) under /{chroot}: {err}"));

    let escaped = escaped_siblings(&mut root, chroot);
    assert!(
        escaped.is_empty(),
        "the create escaped the chroot: siblings of /{chroot} appeared: {escaped:?} (returned {created:?})"
    );
    assert!(
        is_sequence_at_root(&created),
        "the client path of the new node is a slash and 10 digits, got {created:?}"
    );
    let children = root.get_children(&format!("/{chroot}")).unwrap();
    assert_eq!(
        children,
        [&created[1..]],
        "the node is a child of /{chroot}"
    );
    assert_eq!(zk.get_data(&created).unwrap().0, "data");
    zk.close();
    root.close();
}

#[test]
fn a_sequential_create_at_the_chroot_root_inside_multi_creates_a_child_of_the_chroot() {
    let chroot = "app-seq-multi";
    let (mut root, mut zk) = chrooted(chroot, None);
    let results = zk
        .multi(Transaction::new().create("/", "data", CreateMode::PersistentSequential))
        .unwrap_or_else(|err| panic!("multi [create(\"/\", Sequential)] under /{chroot}: {err}"));

    let escaped = escaped_siblings(&mut root, chroot);
    assert!(
        escaped.is_empty(),
        "the create escaped the chroot: siblings of /{chroot} appeared: {escaped:?} (results {results:?})"
    );
    let created = match results.as_slice() {
        [OpResult::Created { path, .. }] => path.clone(),
        other => panic!("one Created result expected: {other:?}"),
    };
    assert!(
        is_sequence_at_root(&created),
        "the client path of the new node is a slash and 10 digits, got {created:?}"
    );
    let children = root.get_children(&format!("/{chroot}")).unwrap();
    assert_eq!(
        children,
        [&created[1..]],
        "the node is a child of /{chroot}"
    );
    zk.close();
    root.close();
}

// ----- 2. deleting the chroot's root -----------------------------------------------------

#[test]
fn deleting_the_chroot_root_is_refused_and_the_chroot_stays() {
    let chroot = "app-delete-root";
    let (mut root, mut zk) = chrooted(chroot, None);
    let result = zk.delete("/", Version::Any);
    assert!(
        result.is_err(),
        "delete(\"/\") under /{chroot} must be refused, got {result:?}"
    );
    assert!(
        root.exists(&format!("/{chroot}")).unwrap().is_some(),
        "/{chroot} was deleted by delete(\"/\") ({result:?})"
    );
    zk.close();
    root.close();
}

#[test]
fn deleting_the_chroot_root_inside_multi_is_refused_and_the_chroot_stays() {
    let chroot = "app-multi-delete-root";
    let (mut root, mut zk) = chrooted(chroot, None);
    let result = zk.multi(Transaction::new().delete("/", Version::Any));
    let still_there = root.exists(&format!("/{chroot}")).unwrap().is_some();
    assert!(
        result.is_err() && still_there,
        "multi [delete(\"/\")] under /{chroot} must be refused as a plain delete(\"/\") is: \
         got {result:?}, and /{chroot} {}",
        if still_there {
            "still exists"
        } else {
            "was deleted"
        }
    );
    zk.close();
    root.close();
}

// ----- 3. stray watch events -------------------------------------------------------------

/// What a client saw of a node deleted while it was disconnected.
struct DeletedWhileAway {
    /// The events from the cut until a few round trips after the reconnect.
    events: Vec<Event>,
    /// The node's client path.
    path: String,
    data: WatchHandle,
    child: WatchHandle,
}

/// A client (through a proxy, chrooted at `/<chroot>` if given) watches a node for data
/// and children; its connection is cut and kept down while another client deletes the
/// node; then it reconnects.
fn node_deleted_while_disconnected(chroot: Option<&str>) -> DeletedWhileAway {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let (mut other, mut zk, path, server_path) = match chroot {
        Some(chroot) => {
            let (root, zk) = chrooted(chroot, Some(&proxy));
            (root, zk, "/n".to_string(), format!("/{chroot}/n"))
        }
        None => {
            let zk = connect(&proxy.connect_string(), bounded());
            let path = "/deleted-while-away".to_string();
            (root_client(server), zk, path.clone(), path)
        }
    };
    zk.create(&path, "", CreateMode::Persistent).unwrap();
    let (_, _, data) = zk.get_data_watch(&path).unwrap();
    let (_, child) = zk.get_children_watch(&path).unwrap();

    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    let mut events = until_state(&mut zk, KeeperState::Disconnected);
    other.delete(&server_path, Version::Any).unwrap();
    proxy.set_on_accept(OnAccept::Forward);
    events.extend(until_state(&mut zk, KeeperState::SyncConnected));
    events.extend(events_after_round_trips(&mut zk, 3));
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected],
        "{events:?}"
    );
    zk.close();
    other.close();
    DeletedWhileAway {
        events,
        path,
        data,
        child,
    }
}

impl DeletedWhileAway {
    fn assert_one_node_deleted_firing_both_watches(&self) {
        let mut both = vec![self.data, self.child];
        both.sort_by_key(|h| h.id());
        assert_eq!(
            node_events(&self.events),
            [(EventType::NodeDeleted, self.path.as_str(), both)],
            "exactly one NodeDeleted, firing both watches; every event: {:?}",
            self.events
        );
    }
}

#[test]
fn a_node_deleted_while_disconnected_yields_one_node_deleted_event() {
    node_deleted_while_disconnected(None).assert_one_node_deleted_firing_both_watches();
}

#[test]
fn a_node_deleted_while_disconnected_yields_one_node_deleted_event_under_a_chroot() {
    node_deleted_while_disconnected(Some("app-deleted-while-away"))
        .assert_one_node_deleted_firing_both_watches();
}

#[test]
fn a_persistent_watch_removed_by_handle_no_longer_fires_and_leaves_the_server() {
    let server = shared_standalone();
    let (mut zk, mut other) = (root_client(server), root_client(server));
    let path = "/persistent-removed-by-handle";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    let watch = zk.add_watch(path, AddWatchMode::Persistent).unwrap();
    assert!(
        watched_paths(server, zk.session_id()).contains(&path.to_string()),
        "the server holds the watch once add_watch returns"
    );

    zk.remove_watch(watch).unwrap();
    let removal = queued_events(&mut zk);
    assert!(!still_registered(&zk, watch), "{:?}", registrations(&zk));
    let held = watched_paths(server, zk.session_id());
    assert!(
        !held.contains(&path.to_string()),
        "after remove_watch(handle) the server still holds the watch (wchc lists {held:?})"
    );

    other.set_data(path, "changed", Version::Any).unwrap();
    other
        .create(&format!("{path}/kid"), "", CreateMode::Persistent)
        .unwrap();
    let events = events_after_round_trips(&mut zk, 2);
    assert!(
        events.is_empty(),
        "no event at all for changes after the removal, got {events:?} (removal gave {removal:?})"
    );
    zk.close();
    other.close();
}

// ----- 4. a watching call that timed out -------------------------------------------------

#[test]
fn a_watching_call_that_timed_out_leaves_no_watch() {
    let timeout = Duration::from_secs(10);
    let mut server = fast_server(|o| o.max_session_timeout(Duration::from_secs(20)));
    let call_timeout = Duration::from_millis(800);
    let mut zk = connect(
        &server.connect_string(),
        options(timeout).call_timeout(call_timeout),
    );
    let path = "/timed-out-watch";
    zk.create(path, "v1", CreateMode::Persistent).unwrap();

    server.pause().unwrap();
    let result = zk.get_data_watch(path);
    server.resume().unwrap();
    assert!(
        matches!(result, Err(Error::Timeout(_))),
        "get_data_watch on a paused server fails with Timeout, got {result:?}"
    );

    // The late reply arrives before the reply of this round trip.
    barrier(&mut zk);
    assert!(
        zk.session().watches().next().is_none(),
        "the caller never got a handle, yet the session holds {:?}",
        registrations(&zk)
    );

    let mut other = root_client(&server);
    other.set_data(path, "v2", Version::Any).unwrap();
    let events = events_after_round_trips(&mut zk, 2);
    assert!(
        node_events(&events).is_empty(),
        "a change after the timed-out call fires nothing, got {events:?}"
    );
    other.close();
    zk.close();
}

// ----- 5. the config watch under a chroot ------------------------------------------------

/// Under its own chroot, sets getConfig's watch and removes it with `remove`; the
/// removal succeeds and leaves no registration.
fn config_watch_removal(
    chroot: &str,
    how: &str,
    remove: fn(&mut Client, WatchHandle) -> Result<(), Error>,
) {
    let (mut root, mut zk) = chrooted(chroot, None);
    let (_, _, watch) = zk.get_config_watch().unwrap();
    assert!(still_registered(&zk, watch), "{:?}", registrations(&zk));
    let result = remove(&mut zk, watch);
    assert!(
        result.is_ok(),
        "{how}(config watch) under a chroot: {result:?}"
    );
    assert!(
        !still_registered(&zk, watch),
        "the config watch is still registered: {:?}",
        registrations(&zk)
    );
    zk.close();
    root.close();
}

#[test]
fn a_config_watch_under_a_chroot_can_be_removed_by_handle() {
    config_watch_removal("app-config-remove", "remove_watch", Client::remove_watch);
}

#[test]
fn a_config_watch_under_a_chroot_can_be_removed_locally() {
    config_watch_removal(
        "app-config-remove-locally",
        "remove_watch_locally",
        Client::remove_watch_locally,
    );
}

// ----- 6. local removal while disconnected -----------------------------------------------

#[test]
fn a_watch_removed_locally_while_disconnected_is_gone_at_once_and_not_restored() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    // A short call timeout: the local removal may wait for the request queued ahead
    // of it, which cannot be answered while disconnected.
    let call_timeout = Duration::from_secs(2);
    let mut zk = connect(
        &proxy.connect_string(),
        options(TIMEOUT).call_timeout(call_timeout),
    );
    let mut other = root_client(server);
    let path = "/removed-locally-while-away";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch(path).unwrap();

    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);
    let ahead = zk.submit(Request::exists(path, false)).unwrap();
    let removal = zk.remove_watch_locally(watch);
    assert!(
        matches!(removal, Ok(()) | Err(Error::Timeout(_))),
        "remove_watch_locally while disconnected: {removal:?}"
    );
    assert!(
        !still_registered(&zk, watch),
        "right after remove_watch_locally ({removal:?}) the watch is still registered: {:?}",
        registrations(&zk)
    );

    proxy.set_on_accept(OnAccept::Forward);
    until_state(&mut zk, KeeperState::SyncConnected);
    let answered = zk.wait_timeout(ahead, PATIENCE);
    assert!(
        matches!(answered, Ok(Response::Exists(Some(_)))),
        "the request queued ahead is answered after the reconnect: {answered:?}"
    );
    barrier(&mut zk);
    let held = watched_paths(server, zk.session_id());
    assert!(
        !held.contains(&path.to_string()),
        "the reconnect re-armed the locally removed watch on the server (wchc lists {held:?})"
    );

    other.set_data(path, "changed", Version::Any).unwrap();
    let events = events_after_round_trips(&mut zk, 2);
    assert!(
        node_events(&events).is_empty(),
        "no event for the locally removed watch, got {events:?}"
    );
    zk.close();
    other.close();
}

// ----- 10. sync under a chroot -----------------------------------------------------------

#[test]
fn sync_under_a_chroot_returns_the_client_path() {
    let (mut root, mut zk) = chrooted("app-sync", None);
    zk.create("/x", "", CreateMode::Persistent).unwrap();
    assert_eq!(
        zk.sync("/x").unwrap(),
        "/x",
        "sync returns the path as the client named it"
    );
    zk.close();
    root.close();
}

// ----- 11. RemoveWatches after the watch fired -------------------------------------------

#[test]
fn removing_a_watch_that_already_fired_fails_with_no_watcher() {
    let server = shared_standalone();
    let (mut zk, mut other) = (root_client(server), root_client(server));
    let path = "/fired-then-removed";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch(path).unwrap();

    // The notification reaches zk's socket; the blocking client reads it only during
    // its next call, so the watch still looks registered until then.
    other.set_data(path, "changed", Version::Any).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let result = zk.remove_watch(watch);
    assert_eq!(
        result.as_ref().map_err(Error::code),
        Err(Some(ErrorCode::NoWatcher)),
        "removing a watch that already fired fails with NoWatcher (as Java), got {result:?}"
    );
    assert_eq!(
        result.unwrap_err().to_string(),
        format!(
            "NoWatcher: {path}: this client holds no such watch; it already fired or was removed"
        )
    );

    let events = events_after_round_trips(&mut zk, 1);
    assert_eq!(
        watch_summaries(&events),
        [(EventType::NodeDataChanged, path, vec![watch])],
        "the watch fired once and no removal was reported"
    );
    zk.close();
    other.close();
}

#[test]
fn removing_a_watch_that_already_fired_fails_with_no_watcher_while_the_server_holds_another() {
    // The server still holds a watch on the path (the persistent one), so it answers
    // the removal Ok; the client must still say NoWatcher: its watch fired first.
    let server = shared_standalone();
    let (mut zk, mut other) = (root_client(server), root_client(server));
    let path = "/fired-beside-persistent";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    let (_, _, once) = zk.get_data_watch(path).unwrap();
    let persistent = zk.add_watch(path, AddWatchMode::Persistent).unwrap();

    other.set_data(path, "changed", Version::Any).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let result = zk.remove_watch(once);
    assert_eq!(
        result.as_ref().map_err(Error::code),
        Err(Some(ErrorCode::NoWatcher)),
        "removing a watch that already fired fails with NoWatcher (as Java), got {result:?}"
    );

    let events = events_after_round_trips(&mut zk, 1);
    let mut both = vec![once, persistent];
    both.sort_by_key(|h| h.id());
    assert_eq!(
        node_events(&events),
        [(EventType::NodeDataChanged, path, both)],
        "the change fired both watches once; every event: {events:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| matches!(e, Event::Watch(w) if !is_removal(w.event_type))),
        "no removal was reported: {events:?}"
    );
    assert!(
        still_registered(&zk, persistent),
        "{:?}",
        registrations(&zk)
    );
    zk.close();
    other.close();
}
