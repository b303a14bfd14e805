//! Scenarios about what the blocking client's driver does around the session: calls
//! that time out, and events an application leaves unread.

mod common;

use std::time::Duration;

use common::{PATIENCE, barrier, connect, fast_server, options, queued_events};
use zk_blocking::{CreateMode, Error};

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

    zk.set_data("/gave-up", "changed", -1).unwrap();
    barrier(&mut zk);
    assert_eq!(queued_events(&mut zk), [], "the change fired nothing here");
    assert_eq!(
        zk.session().stray_notifications(),
        1,
        "the server did send its notification"
    );
}
