//! How the client behaves: event ordering, pipelining, close/drop/forget, errors and
//! connect failures, against real servers.

use std::time::{Duration, Instant};
use zk_blocking::Version;

#[path = "support/silent_server.rs"]
mod silent_server;
use zk_test_support::assert_matches;

use zk_blocking::{
    Client, CreateMode, Error, Event, EventType, KeeperState, Options, Request, Response,
    SessionState, StateReason,
};

fn connect_string() -> String {
    zk_tests::shared_standalone().connect_string()
}

fn connect() -> Client {
    Client::connect(&connect_string(), Options::default()).expect("connecting")
}

#[test]
fn a_watch_event_comes_before_the_reply_of_the_write_that_fired_it() {
    let mut zk = connect();
    let _ = zk.next_event(Duration::ZERO); // SyncConnected
    zk.create("/order", "0", CreateMode::Ephemeral).unwrap();
    let (_, _, watch) = zk.get_data_watch("/order").unwrap();
    assert_eq!(zk.queued_events(), 0);
    zk.set_data("/order", "1", Version::Any).unwrap();
    // The notification was read (and queued) before the setData reply.
    assert_eq!(zk.queued_events(), 1);
    match zk.next_event(Duration::ZERO).unwrap() {
        Some(Event::Watch(e)) => {
            assert_eq!(e.event_type, EventType::NodeDataChanged);
            assert!(e.fired(watch));
        }
        other => panic!("expected the watch event, got {other:?}"),
    }
    zk.close();
}

#[test]
fn a_thousand_pipelined_requests_complete_in_order() {
    let mut zk = connect();
    zk.create("/pipeline", "", CreateMode::Persistent).unwrap();
    let ids: Vec<_> = (0..1000)
        .map(|i| {
            zk.submit(Request::create(
                "/pipeline/n-",
                format!("{i}"),
                CreateMode::PersistentSequential,
            ))
            .unwrap()
        })
        .collect();
    assert_eq!(zk.outstanding(), 1000);
    let mut last = String::new();
    for (i, id) in ids.iter().enumerate() {
        match zk.wait(*id).unwrap() {
            Response::Create { path, .. } => {
                assert!(path > last, "reply {i}: {path} after {last}");
                last = path;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(zk.get_all_children_number("/pipeline").unwrap(), 1000);

    // Replies for other ids are kept while waiting for a later one; wait_any hands
    // them out in arrival order.
    let a = zk.submit(Request::exists("/pipeline", false)).unwrap();
    let b = zk
        .submit(Request::get_children("/pipeline", false))
        .unwrap();
    let c = zk
        .submit(Request::get_data("/pipeline/none", false))
        .unwrap();
    assert!(matches!(zk.wait(c), Err(Error::NoNode { .. })));
    let first = zk.wait_any(Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!(first.id, a);
    assert!(
        matches!(zk.wait(b).unwrap(), Response::GetChildren { children, .. } if children.len() == 1000)
    );
    assert_eq!(zk.wait_any(Duration::from_millis(10)).unwrap(), None);
    assert_eq!(zk.wait(a), Err(Error::UnknownRequest(a)));
    zk.close();
}

#[test]
fn close_ends_the_session_and_deletes_its_ephemerals() {
    let mut observer = connect();
    let mut zk = connect();
    zk.create("/closing", "", CreateMode::Ephemeral).unwrap();
    let started = Instant::now();
    zk.close();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(observer.exists("/closing").unwrap(), None);
    assert_eq!(zk.get_data("/closing"), Err(Error::Closed));
    zk.close(); // a second close does nothing

    let mut dropped = connect();
    dropped
        .create("/dropping", "", CreateMode::Ephemeral)
        .unwrap();
    drop(dropped);
    assert_eq!(observer.exists("/dropping").unwrap(), None, "drop closes");
    observer.close();
}

#[test]
fn a_forgotten_session_lives_on_and_can_be_resumed() {
    let mut observer = connect();
    let mut zk = connect();
    zk.create("/forgotten", "", CreateMode::Ephemeral).unwrap();
    let credentials = zk.credentials().unwrap();
    let session_id = zk.session_id();
    zk.forget();
    assert!(observer.exists("/forgotten").unwrap().is_some());

    let mut resumed = Client::connect(
        &connect_string(),
        Options::default().resume(credentials.clone()),
    )
    .unwrap();
    assert_eq!(resumed.session_id(), session_id);
    assert_eq!(resumed.get_ephemerals("/").unwrap(), ["/forgotten"]);
    resumed.close();
    assert_eq!(observer.exists("/forgotten").unwrap(), None);

    // The server no longer knows it.
    let again = Client::connect(&connect_string(), Options::default().resume(credentials));
    assert_eq!(again.unwrap_err(), Error::SessionExpired);
    observer.close();
}

#[test]
fn server_errors_have_their_own_variants() {
    let mut zk = connect();
    assert_matches!(zk.get_data("/errors-none"), Err(Error::NoNode { .. }));
    zk.create("/errors", "", CreateMode::Ephemeral).unwrap();
    assert_matches!(
        zk.create("/errors", "", CreateMode::Ephemeral),
        Err(Error::NodeExists { .. })
    );
    assert_matches!(
        zk.set_data("/errors", "x", Version::Exact(7)),
        Err(Error::BadVersion { .. })
    );
    assert_matches!(
        zk.create("/errors/child", "", CreateMode::Persistent),
        Err(Error::NoChildrenForEphemerals { .. })
    );
    assert_matches!(
        zk.delete("/errors", Version::Exact(3)),
        Err(Error::BadVersion { .. })
    );
    let e = zk.get_data("/errors-none").unwrap_err();
    assert_eq!(e.code(), Some(zk_blocking::ErrorCode::NoNode));
    assert_eq!(
        e.to_string(),
        "NoNode: /errors-none: the node does not exist; create it, or its parent, first"
    );
    zk.close();
}

#[test]
fn invalid_paths_and_oversized_requests_fail_before_sending() {
    let mut zk = connect();
    let sent_before = zk.session().last_zxid();
    for bad in [
        "", "no-slash", "/a/", "/a//b", "/a/./b", "/a/../b", "/a\u{0}b",
    ] {
        match zk.exists(bad) {
            Err(Error::InvalidPath { path, .. }) => assert_eq!(path, bad),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let big = vec![0u8; 2 * 1024 * 1024];
    match zk.create("/too-large", big.clone(), CreateMode::Ephemeral) {
        Err(Error::TooLarge { size, max }) => assert!(size > max),
        other => panic!("{other:?}"),
    }
    // Credentials too large for a frame would break every connection they were
    // replayed on: refused before anything is recorded or sent.
    match zk.add_auth("digest", big) {
        Err(Error::TooLarge { size, max }) => assert!(size > max),
        other => panic!("{other:?}"),
    }
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(zk.session().last_zxid(), sent_before);
    // The connection is still fine.
    assert!(zk.exists("/").unwrap().is_some());
    // A request that fits is accepted, right under the limit.
    let fits = vec![7u8; 1000 * 1000];
    zk.create("/large", fits.clone(), CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(zk.get_data("/large").unwrap().0.len(), fits.len());
    zk.close();
}

#[test]
fn connect_fails_clearly_when_no_server_answers() {
    let port = zk_tests::free_port().unwrap();
    let started = Instant::now();
    let err = Client::connect(
        &format!("127.0.0.1:{port}"),
        Options::default().connect_timeout(Duration::from_millis(700)),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NoHosts { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[test]
fn a_connect_to_a_server_that_never_answers_the_handshake_fails_in_its_connect_timeout() {
    silent_server::fails_in_its_connect_timeout(|hosts, options| {
        Client::connect(hosts, options).map(drop)
    });
}

#[test]
fn a_connect_to_an_ensemble_that_never_answers_says_what_each_member_did() {
    let refusing = zk_tests::free_port().unwrap();
    // Accepts connections and never answers the session handshake.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let err = Client::connect(
        &format!("127.0.0.1:{refusing},127.0.0.1:{silent_port}"),
        Options::default()
            .session_timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(3)),
    )
    .unwrap_err();
    let Error::NoHosts { detail, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        detail.contains(&format!("127.0.0.1:{refusing}: ")),
        "names the refusing member: {detail}"
    );
    // Its last dial was given up at the connect timeout, or still under way when the
    // connect's time ran out: silent either way.
    let silent = format!("127.0.0.1:{silent_port}: no answer within ");
    assert!(
        detail.contains(&silent)
            && detail
                .contains("it accepted the connection but did not answer the session handshake"),
        "names the silent member: {detail}"
    );
}

#[test]
fn connect_reports_bad_options_and_failed_auth() {
    let err = Client::connect("", Options::default()).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    let err = Client::connect(
        &connect_string(),
        Options::default().auth("no-such-scheme", "x"),
    )
    .unwrap_err();
    assert_eq!(err, Error::AuthFailed);

    let mut zk = connect();
    assert_eq!(zk.add_auth("no-such-scheme", "x"), Err(Error::AuthFailed));
    assert_eq!(zk.state(), SessionState::AuthFailed);
    assert_eq!(zk.exists("/"), Err(Error::AuthFailed));
    let mut events = Vec::new();
    while let Ok(Some(e)) = zk.next_event(Duration::ZERO) {
        events.push(e);
    }
    assert!(
        matches!(
            events.last(),
            Some(Event::Session {
                state: KeeperState::AuthFailed,
                reason: Some(StateReason::AuthRejected { .. })
            })
        ),
        "{events:?}"
    );
}

#[test]
fn a_call_timeout_leaves_the_session_usable() {
    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    let mut zk = Client::connect(
        &server.connect_string(),
        Options::default()
            .session_timeout(Duration::from_secs(20))
            .call_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    server.pause().unwrap();
    let started = Instant::now();
    assert!(matches!(zk.exists("/"), Err(Error::Timeout(_))));
    assert!(started.elapsed() < Duration::from_secs(2));
    server.resume().unwrap();
    assert!(zk.exists("/").unwrap().is_some());
    zk.close();

    // The session's own request timeout fails the request and resets the connection.
    let mut zk = Client::connect(
        &server.connect_string(),
        Options::default()
            .session_timeout(Duration::from_secs(20))
            .request_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    server.pause().unwrap();
    assert_eq!(zk.exists("/"), Err(Error::RequestTimeout));
    server.resume().unwrap();
    assert!(zk.exists("/").unwrap().is_some());
    zk.close();
}

#[test]
fn a_chroot_in_the_connect_string_is_applied_both_ways() {
    let mut root = connect();
    root.create("/chrooted", "", CreateMode::Persistent)
        .unwrap();
    let mut zk = Client::connect(
        &format!("{}/chrooted", connect_string()),
        Options::default(),
    )
    .unwrap();
    assert_eq!(zk.create("/x", "", CreateMode::Ephemeral).unwrap(), "/x");
    assert!(root.exists("/chrooted/x").unwrap().is_some());
    let (_, _, watch) = zk.get_data_watch("/x").unwrap();
    root.set_data("/chrooted/x", "1", Version::Any).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no event");
        if let Some(Event::Watch(e)) = zk.next_event(Duration::from_millis(100)).unwrap() {
            assert_eq!(e.path, "/x");
            assert!(e.fired(watch));
            break;
        }
    }
    zk.close();
    root.close();
}

#[test]
fn waiting_in_next_event_keeps_an_idle_session_alive() {
    // The shared server grants at least 4 s; idle for longer, pumping in next_event.
    let mut zk = Client::connect(
        &connect_string(),
        Options::default().session_timeout(Duration::from_secs(4)),
    )
    .unwrap();
    let granted = zk.negotiated_timeout().unwrap();
    let id = zk.session_id();
    let _ = zk.next_event(Duration::ZERO); // SyncConnected
    let until = Instant::now() + granted + granted / 2;
    while Instant::now() < until {
        assert_eq!(zk.next_event(Duration::from_millis(500)).unwrap(), None);
    }
    assert_eq!(zk.state(), SessionState::Connected);
    assert!(zk.exists("/").unwrap().is_some());
    assert_eq!(zk.session_id(), id);
    zk.close();
}

#[test]
fn the_session_survives_a_server_restart() {
    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    let mut zk = Client::connect(
        &server.connect_string(),
        Options::default()
            .session_timeout(Duration::from_secs(20))
            .reconnect_backoff(Duration::from_millis(100), Duration::from_millis(500)),
    )
    .unwrap();
    zk.create("/restart", "", CreateMode::Ephemeral).unwrap();
    let (_, watch) = zk.exists_watch("/restart").unwrap();
    let id = zk.session_id();
    server.stop().unwrap();
    let restarter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        server.restart().unwrap();
        server
    });
    // A call while the server is down: the client sees the close before it writes,
    // and the request waits for the reconnect.
    let during = zk.get_data("/restart");
    let _running = restarter.join().unwrap(); // stopped when dropped, at the end
    assert!(during.is_ok(), "{during:?}");
    let mut states = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !states.contains(&KeeperState::SyncConnected) {
        assert!(Instant::now() < deadline, "no reconnect: {states:?}");
        if let Some(Event::Session { state: s, .. }) =
            zk.next_event(Duration::from_millis(200)).unwrap()
        {
            if s != KeeperState::SyncConnected || states.contains(&KeeperState::Disconnected) {
                states.push(s);
            }
        }
    }
    assert_eq!(
        states,
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), id);
    assert!(
        zk.exists("/restart").unwrap().is_some(),
        "the ephemeral survived"
    );
    // The watch was re-registered on the new connection.
    assert_eq!(
        zk.check_watches("/restart", zk_blocking::WatcherType::Any),
        [watch]
    );
    zk.delete("/restart", Version::Any).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no NodeDeleted");
        if let Some(Event::Watch(e)) = zk.next_event(Duration::from_millis(100)).unwrap() {
            assert_eq!(e.event_type, EventType::NodeDeleted);
            assert!(e.fired(watch));
            break;
        }
    }
    zk.close();
}

#[test]
fn drop_is_bounded_when_the_server_does_not_answer() {
    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    let mut zk = Client::connect(
        &server.connect_string(),
        Options::default().close_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    zk.pump(Duration::from_millis(50));
    server.pause().unwrap();
    let started = Instant::now();
    drop(zk);
    let took = started.elapsed();
    server.resume().unwrap();
    assert!(took < Duration::from_millis(1500), "drop took {took:?}");
}

#[test]
fn a_started_client_queues_requests_until_a_server_comes_up() {
    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    server.stop().unwrap();
    let port = server.address().port();
    // A request made before the first session waits for one at most the connect
    // timeout (by default the session timeout, 30 s) from its submit.
    let options =
        Options::default().reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200));
    let mut zk = Client::start(&server.connect_string(), options).unwrap();
    assert_eq!(zk.state(), SessionState::Connecting);
    let id = zk.submit(Request::exists("/", false)).unwrap();
    let err = zk
        .wait_until_connected(Duration::from_millis(300))
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoHosts { detail, .. } if detail.contains(&port.to_string())),
        "{err}"
    );
    // The server comes up: the queued request goes out once the session connects.
    server.restart().unwrap();
    zk.wait_until_connected(Duration::from_secs(10)).unwrap();
    assert!(matches!(zk.wait(id).unwrap(), Response::Exists(Some(_))));
    zk.close();
}
