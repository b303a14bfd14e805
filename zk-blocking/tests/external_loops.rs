//! The external-loop examples, run against the shared real server.

#[path = "../examples/mio_sessions.rs"]
mod mio_sessions;
#[path = "../examples/tokio_asyncfd.rs"]
mod tokio_asyncfd;

#[test]
fn several_sessions_share_one_mio_loop() {
    let ids = mio_sessions::run(&zk_tests::shared_standalone().connect_string(), 4).unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|id| *id != 0));
}

#[test]
fn sessions_run_under_tokio_with_async_fd() {
    let (a, b) = tokio_asyncfd::run(&zk_tests::shared_standalone().connect_string()).unwrap();
    assert!(a != 0 && b != 0 && a != b);
}

#[test]
fn the_external_driver_reconnects_after_a_server_restart() {
    use std::time::Duration;
    use zk_blocking::zk_session::Event;
    use zk_blocking::{ExternalDriver, KeeperState, Options, Request};

    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    let options = Options::default()
        .session_timeout(Duration::from_secs(20))
        .reconnect_backoff(Duration::from_millis(100), Duration::from_millis(500));
    let mut driver = ExternalDriver::new(&server.connect_string(), &options).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut connected = 0;
        tokio_asyncfd::drive(&mut driver, |_, e| {
            if let Event::State {
                state: KeeperState::SyncConnected,
                ..
            } = e
            {
                connected += 1;
            }
            Ok(connected == 1)
        })
        .await
        .unwrap();
    });
    let session = driver.credentials().unwrap();
    // Restart the server in another thread while the loop keeps driving.
    let restarter = std::thread::spawn(move || {
        server.stop().unwrap();
        server.restart().unwrap();
        server
    });
    let mut states = Vec::new();
    runtime.block_on(async {
        tokio_asyncfd::drive(&mut driver, |_, e| {
            if let Event::State { state, .. } = e {
                states.push(state);
            }
            Ok(states.ends_with(&[KeeperState::Disconnected, KeeperState::SyncConnected]))
        })
        .await
        .unwrap();
    });
    let _server = restarter.join().unwrap();
    assert_eq!(driver.credentials().unwrap(), session);
    let id = driver.submit(Request::exists("/", false)).unwrap();
    runtime.block_on(async {
        tokio_asyncfd::drive(&mut driver, |_, e| match e {
            Event::Reply {
                id: got, result, ..
            } if got == id => {
                result.unwrap();
                Ok(true)
            }
            _ => Ok(false),
        })
        .await
        .unwrap();
    });
}
