//! `SharedClient::state_changes` against the shared real server (and the fault proxy
//! to cut connections): every subscriber gets every change from the moment it
//! subscribed, and the session's end, then its error.

#![cfg(unix)]

use std::time::Duration;

use zk_blocking::{Error, KeeperState, Options, SharedClient, StateChanges};
use zk_tests::proxy::{FaultProxy, OnAccept};

/// Longer than any wait here should take, even on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(20);

fn connect(connect_string: &str) -> SharedClient {
    SharedClient::connect(
        connect_string,
        Options::default().session_timeout(Duration::from_secs(20)),
    )
    .unwrap_or_else(|err| panic!("connecting to {connect_string}: {err}"))
}

/// The next state of `changes`, checking that a reason comes with it exactly when the
/// state is not a connected one.
fn next_state(changes: &StateChanges) -> KeeperState {
    let (state, reason) = changes
        .recv_timeout(PATIENCE)
        .expect("the session goes on")
        .expect("a state change in time");
    let connected = matches!(
        state,
        KeeperState::SyncConnected | KeeperState::ConnectedReadOnly
    );
    assert_eq!(reason.is_none(), connected, "{state:?} with {reason:?}");
    state
}

#[test]
fn two_subscribers_both_see_a_disconnect_and_the_reconnect_and_a_later_one_only_what_follows() {
    let proxy = FaultProxy::start(zk_tests::shared_standalone().address()).expect("a proxy");
    let zk = connect(&proxy.connect_string());
    let (first, second) = (zk.state_changes(), zk.state_changes());
    // The channel, read by someone else, takes nothing from the subscribers.
    let events = zk.events();
    while events.try_recv().unwrap().is_some() {}

    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    assert_eq!(next_state(&first), KeeperState::Disconnected);
    assert_eq!(next_state(&second), KeeperState::Disconnected);
    let later = zk.state_changes();
    proxy.set_on_accept(OnAccept::Forward);

    for changes in [&first, &second, &later] {
        assert_eq!(next_state(changes), KeeperState::SyncConnected);
    }
    zk.exists("/").expect("a round trip on the new connection");
    for changes in [&first, &second, &later] {
        assert_eq!(
            changes.try_recv(),
            Ok(None),
            "nothing else, nothing replayed"
        );
    }
    assert!(
        events.len() >= 2,
        "the channel has the changes too: {events:?}"
    );
}

#[test]
fn close_is_seen_by_every_subscriber_then_each_receive_fails_with_closed() {
    let zk = connect(&zk_tests::shared_standalone().connect_string());
    let polled = zk.state_changes();
    let blocked = zk.state_changes();
    let waiter = std::thread::spawn(move || {
        let mut states = Vec::new();
        loop {
            match blocked.recv() {
                Ok((state, _)) => states.push(state),
                Err(err) => return (states, err),
            }
        }
    });

    zk.close();
    assert_eq!(next_state(&polled), KeeperState::Closed);
    assert_eq!(polled.recv(), Err(Error::Closed));
    assert_eq!(polled.recv_timeout(PATIENCE), Err(Error::Closed));
    assert_eq!(polled.try_recv(), Err(Error::Closed));
    let (states, err) = waiter.join().expect("the waiting thread");
    assert_eq!((states, err), (vec![KeeperState::Closed], Error::Closed));

    let after = zk.state_changes();
    assert_eq!(after.try_recv(), Err(Error::Closed), "nothing replayed");
    assert_eq!(after.recv(), Err(Error::Closed));
}

#[test]
fn a_subscriber_that_outlives_the_client_sees_it_closed() {
    let zk = connect(&zk_tests::shared_standalone().connect_string());
    let changes = zk.state_changes();
    drop(zk);
    assert_eq!(next_state(&changes), KeeperState::Closed);
    assert_eq!(changes.recv(), Err(Error::Closed));
}
