//! Scenarios about what the blocking client's driver does around the session: calls
//! that time out, and events an application leaves unread.

mod common;

use std::time::{Duration, Instant};
use zk_blocking::Version;

use common::{
    PATIENCE, assert_kept_then_overflow, barrier, connect, fast_server, options, queued_events,
};
use zk_blocking::{AddWatchMode, Client, CreateMode, Error};
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
fn a_call_on_a_session_no_server_ever_established_fails_with_no_hosts_after_the_connect_timeout() {
    // Nothing listens there: every dial is refused, and the session, never
    // established, cannot expire.
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let connect_timeout = Duration::from_secs(1);
    let mut zk = Client::start(
        &nowhere.to_string(),
        options(PATIENCE).connect_timeout(connect_timeout),
    )
    .unwrap();

    let started = Instant::now();
    match zk.get_children("/") {
        Err(Error::NoHosts { hosts, detail, .. }) => {
            assert_eq!(hosts, nowhere.to_string());
            assert!(!detail.is_empty(), "the error says what went wrong");
        }
        other => panic!("expected NoHosts, got {other:?}"),
    }
    let took = started.elapsed();
    assert!(
        took >= connect_timeout && took < connect_timeout * 3,
        "the call took {took:?}, the connect timeout is {connect_timeout:?}"
    );
    assert_eq!(zk.outstanding(), 0, "the call gave up its request");

    // A raw request is bounded the same way, and given up too.
    let id = zk.submit(zk_blocking::Request::exists("/", false)).unwrap();
    assert!(matches!(zk.wait(id), Err(Error::NoHosts { .. })));
    assert_eq!(zk.outstanding(), 0);
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
