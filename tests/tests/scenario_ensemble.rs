//! Scenarios on a 3-member ensemble: the member a client is on dies, and the session
//! moves to another member with its ephemerals and watches.

mod common;

use std::time::{Duration, Instant};
use zk_blocking::Version;

use common::{
    PATIENCE, barrier, connect, events_until, member_holding, next_watch, options, states,
    until_state, watch_summaries, watch_summary, watched_paths,
};
use zk_blocking::{Client, CreateMode, Event, EventType, KeeperState, Request, Response};
use zk_tests::{Ensemble, ServerOptions};

const TIMEOUT: Duration = Duration::from_secs(8);

fn ensemble() -> Ensemble {
    Ensemble::start(
        3,
        &ServerOptions::default().tick_time(Duration::from_millis(500)),
    )
    .unwrap_or_else(|err| panic!("starting the ensemble: {err}"))
}

/// A client whose connection is on a follower (so that killing its member needs no
/// leader election), and that member's id.
fn connect_on_follower(ensemble: &Ensemble) -> (Client, u32) {
    let leader = ensemble.wait_for_leader(PATIENCE).unwrap();
    for seed in 0..32 {
        let mut client = connect(&ensemble.connect_string(), options(TIMEOUT).seed(seed));
        match member_holding(ensemble, client.session_id()) {
            Some(member) if member != leader => return (client, member),
            _ => client.close(),
        }
    }
    panic!("no seed put the client on a follower");
}

/// A client on the leader, to make changes while the other one is cut off.
fn connect_on_leader(ensemble: &Ensemble) -> Client {
    let leader = ensemble.wait_for_leader(PATIENCE).unwrap();
    connect(&ensemble.member(leader).connect_string(), options(TIMEOUT))
}

#[test]
fn killing_the_member_moves_the_session_to_another_with_its_ephemerals_and_watches() {
    let mut ensemble = ensemble();
    let (mut zk, on) = connect_on_follower(&ensemble);
    let session = zk.session_id();
    zk.create("/kept", "", CreateMode::Ephemeral).unwrap();
    let (_, _, data_watch) = zk.get_data_watch("/kept").unwrap();
    let (_, child_watch) = zk.get_children_watch("/").unwrap();

    ensemble.member_mut(on).kill().unwrap();
    let killed = Instant::now();
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    let moved = killed.elapsed();
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(moved < TIMEOUT, "reconnected after {moved:?}");
    assert_eq!(zk.session_id(), session, "the same session");
    let now_on = member_holding(&ensemble, session).expect("a member holds the session");
    assert_ne!(now_on, on);
    let stat = zk.exists("/kept").unwrap().expect("the ephemeral is kept");
    assert_eq!(stat.ephemeral_owner, session);

    // Both watches were re-registered on the new member.
    let mut other = connect_on_leader(&ensemble);
    other.set_data("/kept", "changed", Version::Any).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDataChanged, "/kept", vec![data_watch])
    );
    other
        .create("/new-child", "", CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeChildrenChanged, "/", vec![child_watch])
    );
    zk.close();
    other.close();
}

#[test]
fn a_change_made_while_disconnected_fires_the_watch_after_the_reconnect() {
    let mut ensemble = ensemble();
    let (mut zk, on) = connect_on_follower(&ensemble);
    let mut other = connect_on_leader(&ensemble);
    zk.create("/while-away", "v1", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/while-away").unwrap();

    // The client does not pump meanwhile, so it learns of the change only from the
    // server's re-check of its watches (SetWatches with its last zxid).
    ensemble.member_mut(on).kill().unwrap();
    other.set_data("/while-away", "v2", Version::Any).unwrap();
    let events = events_until(&mut zk, |e| matches!(e, Event::Watch(_)));
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(
        watch_summaries(&events[2..]),
        [(EventType::NodeDataChanged, "/while-away", vec![watch])]
    );
    assert_eq!(zk.get_data("/while-away").unwrap().0, "v2");
    zk.close();
    other.close();
}

/// The path of the `i`-th watched node: 40 characters, sorting in numeric order.
fn path(i: usize) -> String {
    format!("/a-rather-long-watched-node-name-{i:06}")
}

#[test]
fn ten_thousand_watches_are_re_registered_on_the_new_member() {
    const N: usize = 10_000;
    let mut ensemble = ensemble();
    let (mut zk, on) = connect_on_follower(&ensemble);
    let session = zk.session_id();
    // Exists watches on missing nodes: cheap for the server, armed all the same. The
    // paths are long enough that re-registering them takes several SetWatches batches
    // (of at most 128 KiB of path characters each).
    let ids: Vec<_> = (0..N)
        .map(|i| zk.submit(Request::exists(path(i), true)).unwrap())
        .collect();
    for id in ids {
        assert_eq!(zk.wait(id).unwrap(), Response::Exists(None));
    }
    assert_eq!(watched_paths(ensemble.member(on), session).len(), N);

    ensemble.member_mut(on).kill().unwrap();
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    // SetWatches went out before this request, so the server has processed it.
    barrier(&mut zk);
    let now_on = member_holding(&ensemble, session).expect("a member holds the session");
    assert_ne!(now_on, on);
    let mut watched = watched_paths(ensemble.member(now_on), session);
    watched.sort();
    let expected: Vec<String> = (0..N).map(path).collect();
    assert_eq!(watched, expected);

    // And they fire.
    let mut other = connect_on_leader(&ensemble);
    other
        .create(&path(1234), "", CreateMode::Ephemeral)
        .unwrap();
    let e = next_watch(&mut zk);
    assert_eq!((e.event_type, e.path), (EventType::NodeCreated, path(1234)));
    assert_eq!(e.watches.len(), 1);
    zk.close();
    other.close();
}
