//! Closing a shared client: every call fails at once, the event channel ends, and
//! dropping it joins its threads. Alone in its binary, so the thread count is its own.

#![cfg(unix)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zk_blocking::{Error, Event, KeeperState, Options, Request, SharedClient};

/// The number of threads of this process.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn connect() -> SharedClient {
    SharedClient::connect(
        &zk_tests::shared_standalone().connect_string(),
        Options::default().session_timeout(Duration::from_secs(10)),
    )
    .expect("connecting to the shared server")
}

#[test]
fn a_closed_client_fails_every_call_at_once_and_leaves_no_thread() {
    let before = threads();
    let zk = connect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    zk.on_event(move |e| record.lock().unwrap().push(e))
        .unwrap();
    zk.close();
    let started = Instant::now();
    assert_eq!(zk.get_data("/"), Err(Error::Closed));
    assert!(matches!(
        zk.submit(Request::exists("/", false)),
        Err(Error::Closed)
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(zk);
    // A joined thread may linger in /proc for a moment after it ended.
    let settled = Instant::now() + Duration::from_secs(5);
    while threads() != before && Instant::now() < settled {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads(), before, "the IO and event threads were joined");
    // The event thread ran to the end of the session before it was joined.
    let seen = seen.lock().unwrap();
    assert!(
        matches!(
            seen.last(),
            Some(Event::Session {
                state: KeeperState::Closed,
                ..
            })
        ),
        "{seen:?}"
    );
}
