//! Closing a shared client: every call fails at once, the event channel ends, and
//! dropping it joins its threads. Alone in its binary, so the thread count is its own.

#![cfg(unix)]

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
    let events = zk.events();
    zk.on_event(|_| {}).unwrap();
    zk.close();
    let started = Instant::now();
    assert_eq!(zk.get_data("/"), Err(Error::Closed));
    assert!(matches!(
        zk.submit(Request::exists("/", false)),
        Err(Error::Closed)
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The channel ends with the state, then the error.
    let mut last = None;
    loop {
        match events.recv() {
            Ok(e) => last = Some(e),
            Err(e) => {
                assert_eq!(e, Error::Closed);
                break;
            }
        }
    }
    assert_eq!(last, Some(Event::Session(KeeperState::Closed)));
    drop(zk);
    assert_eq!(threads(), before, "the IO and event threads were joined");
}
