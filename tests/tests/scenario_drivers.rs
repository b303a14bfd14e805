//! Scenarios about what the blocking client's driver does around the session: calls
//! that time out, and events an application leaves unread.

mod common;

use std::time::Duration;
use zk_blocking::Version;

use common::{
    PATIENCE, assert_kept_then_overflow, barrier, connect, fast_server, options, queued_events,
};
use zk_blocking::{AddWatchMode, CreateMode, Error};
use zk_tests::shared_standalone;

#[test]
fn a_watching_call_that_timed_out_leaves_no_watch() {
    let mut server = fast_server(|o| o);
    let mut zk = connect(
        &server.connect_string(),
        options(PATIENCE).call_timeout(Duration::from_millis(300)),
    );
    zk.create("/gave-up", "", CreateMode::Persistent).unwrap();

    server.pause().unwrap();
    assert!(matches!(
        zk.get_data_watch("/gave-up"),
        Err(Error::Timeout(_))
    ));
    server.resume().unwrap();
    // The server now answers the late getData (and holds its watch); the reply comes
    // before the barrier's.
    barrier(&mut zk);
    assert_eq!(zk.session().watches().count(), 0, "no watch was registered");

    zk.set_data("/gave-up", "changed", Version::Any).unwrap();
    barrier(&mut zk);
    assert_eq!(queued_events(&mut zk), [], "the change fired nothing here");
    assert_eq!(
        zk.session().stray_notifications(),
        1,
        "the server did send its notification"
    );
}

#[test]
fn events_left_unread_stop_at_max_queued_events_and_one_overflow_counts_the_rest() {
    const BOUND: usize = 50;
    const CHANGES: usize = 200;
    let connect_string = shared_standalone().connect_string();
    let mut busy = connect(&connect_string, options(PATIENCE).max_queued_events(BOUND));
    let mut writer = connect(&connect_string, options(PATIENCE));
    busy.create("/unread", "0", CreateMode::Persistent).unwrap();
    let watch = busy.add_watch("/unread", AddWatchMode::Persistent).unwrap();

    for change in 1..=CHANGES {
        let value = change.to_string();
        writer
            .set_data("/unread", value.clone(), Version::Any)
            .unwrap();
        // The busy client makes calls but never reads its events; its calls are
        // still answered, each after the notification of the change before it.
        assert_eq!(busy.get_data("/unread").unwrap().0, value);
        assert!(
            busy.queued_events() <= BOUND + 1,
            "{} events queued after {change} changes",
            busy.queued_events()
        );
    }

    assert_kept_then_overflow(&queued_events(&mut busy), watch, BOUND, CHANGES);
}
