//! The external-loop examples, run against the shared real server.

#[path = "support/mio_drive.rs"]
mod mio_drive;
#[path = "../examples/mio_sessions.rs"]
mod mio_sessions;
#[path = "support/read_only.rs"]
mod read_only;

#[test]
fn several_sessions_share_one_mio_loop() {
    let ids = mio_sessions::run(&zk_tests::shared_standalone().connect_string(), 4).unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|id| *id != 0));
}

#[test]
fn the_external_driver_reconnects_after_a_server_restart() {
    use std::time::Duration;
    use zk_blocking::{Event, ExternalDriver, ExternalEvent, KeeperState, Options, Request};

    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    let options = Options::default()
        .session_timeout(Duration::from_secs(20))
        .reconnect_backoff(Duration::from_millis(100), Duration::from_millis(500));
    let mut driver = ExternalDriver::new(&server.connect_string(), options).unwrap();
    let mut connected = 0;
    mio_drive::drive(&mut driver, |_, e| {
        if let ExternalEvent::Event(Event::Session {
            state: KeeperState::SyncConnected,
            ..
        }) = e
        {
            connected += 1;
        }
        Ok(connected == 1)
    })
    .unwrap();
    let session = driver.credentials().unwrap();
    // Restart the server in another thread while the loop keeps driving.
    let restarter = std::thread::spawn(move || {
        server.stop().unwrap();
        server.restart().unwrap();
        server
    });
    let mut states = Vec::new();
    mio_drive::drive(&mut driver, |_, e| {
        if let ExternalEvent::Event(Event::Session { state, .. }) = e {
            states.push(state);
        }
        Ok(states.ends_with(&[KeeperState::Disconnected, KeeperState::SyncConnected]))
    })
    .unwrap();
    let _server = restarter.join().unwrap();
    assert_eq!(driver.credentials().unwrap(), session);
    let id = driver.submit(Request::exists("/", false)).unwrap();
    mio_drive::drive(&mut driver, |_, e| match e {
        ExternalEvent::Reply(reply) if reply.id == id => {
            reply.result.unwrap();
            Ok(true)
        }
        _ => Ok(false),
    })
    .unwrap();
}

#[test]
fn a_read_only_external_driver_moves_to_a_read_write_server_once_one_answers() {
    use std::time::Duration;
    use zk_blocking::{
        CreateMode, Event, ExternalDriver, ExternalEvent, KeeperState, Options, Request,
        SessionState,
    };
    use zk_tests::proxy::{FaultProxy, OnAccept};
    use zk_tests::{ServerOptions, ZkServer, is_read_only};

    let (_ensemble, read_only) = read_only::read_only_member();
    // The read-write server, behind a proxy that turns every connection away for now.
    let read_write = ZkServer::start_standalone(&ServerOptions::default()).unwrap();
    let proxy = FaultProxy::start(read_write.address()).unwrap();
    proxy.set_on_accept(OnAccept::Close);

    let options = Options::default()
        .session_timeout(Duration::from_secs(8))
        .read_only(true)
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(500));
    let connect_string = format!("{read_only},{}", proxy.address());
    let mut driver = ExternalDriver::new(&connect_string, options).unwrap();
    let state_events = |driver: &mut ExternalDriver, until: KeeperState| {
        let mut states = Vec::new();
        mio_drive::drive(driver, |_, e| {
            if let ExternalEvent::Event(Event::Session { state, .. }) = e {
                states.push(state);
            }
            Ok(states.last() == Some(&until))
        })
        .unwrap_or_else(|e| panic!("no {until:?}: {e}"));
        states
    };
    assert_eq!(
        state_events(&mut driver, KeeperState::ConnectedReadOnly),
        [KeeperState::ConnectedReadOnly]
    );

    // A read-write server becomes reachable; the read-only connection stays as it is.
    proxy.set_on_accept(OnAccept::Forward);
    assert_eq!(
        state_events(&mut driver, KeeperState::SyncConnected),
        [KeeperState::Disconnected, KeeperState::SyncConnected],
        "the session leaves the read-only server for the read-write one"
    );
    assert_eq!(driver.state(), SessionState::Connected);
    assert!(
        is_read_only(read_only).unwrap(),
        "the read-only server still serves: the probe moved the session"
    );
    let create = driver
        .submit(Request::create("/moved", "", CreateMode::Ephemeral))
        .unwrap();
    mio_drive::drive(&mut driver, |_, e| match e {
        ExternalEvent::Reply(reply) if reply.id == create => {
            reply.result.unwrap();
            Ok(true)
        }
        _ => Ok(false),
    })
    .unwrap();
}

#[test]
fn the_external_drivers_disconnect_event_names_the_server_that_closed_the_connection() {
    use std::time::Duration;
    use zk_blocking::{
        DisconnectCause, Event, ExternalDriver, ExternalEvent, HostAddr, KeeperState, Options,
        StateReason,
    };
    use zk_tests::proxy::FaultProxy;

    let proxy = FaultProxy::start(zk_tests::shared_standalone().address()).unwrap();
    let options = Options::default()
        .session_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(500));
    let mut driver = ExternalDriver::new(&proxy.connect_string(), options).unwrap();
    // The reasons of the state changes `poll_event` handed out until `until`.
    let changes_until = |driver: &mut ExternalDriver, until: KeeperState| {
        let mut changes = Vec::new();
        mio_drive::drive(driver, |_, e| {
            if let ExternalEvent::Event(Event::Session { state, reason }) = e {
                changes.push((state, reason));
                return Ok(state == until);
            }
            Ok(false)
        })
        .unwrap_or_else(|e| panic!("no {until:?}: {e}"));
        changes
    };
    changes_until(&mut driver, KeeperState::SyncConnected);

    proxy.close_all();
    let closed = StateReason::Lost {
        host: HostAddr {
            host: proxy.address().ip().to_string(),
            port: proxy.address().port(),
        },
        cause: DisconnectCause::Eof,
    };
    assert_eq!(
        changes_until(&mut driver, KeeperState::SyncConnected),
        [
            (KeeperState::Disconnected, Some(closed)),
            (KeeperState::SyncConnected, None)
        ]
    );
}

/// Drives `driver` until its session is connected.
fn until_connected(driver: &mut zk_blocking::ExternalDriver) {
    use zk_blocking::{Event, ExternalEvent, KeeperState};
    mio_drive::drive(driver, |_, e| {
        Ok(matches!(
            e,
            ExternalEvent::Event(Event::Session {
                state: KeeperState::SyncConnected,
                ..
            })
        ))
    })
    .unwrap();
}

/// Waits (up to `mio_drive::PATIENCE`) until the driver's socket is readable.
fn wait_readable(driver: &zk_blocking::ExternalDriver) {
    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};
    let mut poll = Poll::new().unwrap();
    let fd = driver.as_raw_fd().expect("a socket");
    poll.registry()
        .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
        .unwrap();
    let mut events = Events::with_capacity(1);
    poll.poll(&mut events, Some(mio_drive::PATIENCE)).unwrap();
    assert!(!events.is_empty(), "the socket turned readable");
}

#[test]
fn an_external_loop_may_pass_a_time_earlier_than_one_it_passed_before() {
    use std::time::{Duration, Instant};
    use zk_blocking::{Event, ExternalDriver, ExternalEvent, KeeperState, Options, Request};

    let options = Options::default().session_timeout(Duration::from_secs(6));
    let mut driver =
        ExternalDriver::new(&zk_tests::shared_standalone().connect_string(), options).unwrap();
    until_connected(&mut driver);

    // A loop that read its clock before a wait and before `submit` (which reads the
    // clock itself), and passes that reading when the reply makes the socket readable:
    // here, 5 s stale.
    let stale = Instant::now() - Duration::from_secs(5);
    let first = driver.submit(Request::exists("/", false)).unwrap();
    wait_readable(&driver);
    driver.process(true, false, stale);
    // The loop asks when to call in next (debug builds check the session's promise).
    assert!(driver.deadline().is_some());

    // The connection served on: nothing was taken as 5 s of silence.
    let mut states = Vec::new();
    let mut replied = Vec::new();
    let second = driver.submit(Request::exists("/", false)).unwrap();
    mio_drive::drive(&mut driver, |_, e| {
        match e {
            ExternalEvent::Reply(reply) => {
                reply.result.unwrap();
                replied.push(reply.id);
            }
            ExternalEvent::Event(Event::Session { state, .. }) => states.push(state),
            ExternalEvent::Event(_) => {}
        }
        Ok(replied.contains(&second))
    })
    .unwrap();
    assert_eq!(replied, [first, second]);
    assert_eq!(states, Vec::<KeeperState>::new());
}

/// Drives `driver` until the reply to `id`, which it returns; the events before it
/// go to `seen`.
fn until_reply(
    driver: &mut zk_blocking::ExternalDriver,
    id: zk_blocking::RequestId,
    seen: &mut Vec<zk_blocking::ExternalEvent>,
) -> zk_blocking::Completion {
    use zk_blocking::ExternalEvent;
    let mut reply = None;
    mio_drive::drive(driver, |_, e| match e {
        ExternalEvent::Reply(r) if r.id == id => {
            reply = Some(r);
            Ok(true)
        }
        other => {
            seen.push(other);
            Ok(false)
        }
    })
    .unwrap();
    reply.unwrap()
}

#[test]
fn an_external_loop_follows_its_session_to_another_member_with_its_watch_and_closes_it() {
    use std::time::Duration;
    use zk_blocking::{
        CreateMode, Event, EventType, ExternalDriver, ExternalEvent, KeeperState, Options, Request,
        SessionState, Version,
    };
    use zk_tests::{Ensemble, ServerOptions};

    let mut ensemble = Ensemble::start(
        3,
        &ServerOptions::default().tick_time(Duration::from_millis(500)),
    )
    .unwrap();
    let leader = ensemble.wait_for_leader(mio_drive::PATIENCE).unwrap();
    let ports: Vec<u16> = (1..=3)
        .map(|id| ensemble.member(id).address().port())
        .collect();
    let member_on = |driver: &ExternalDriver| {
        let port = driver.session().current_host().unwrap().port;
        (1..=3).find(|&id| ports[id as usize - 1] == port).unwrap()
    };
    // On a follower, so that killing its member needs no election.
    let (mut driver, on) = (0..32)
        .find_map(|seed| {
            let options = Options::default()
                .session_timeout(Duration::from_secs(8))
                .seed(seed);
            let mut driver = ExternalDriver::new(&ensemble.connect_string(), options).unwrap();
            until_connected(&mut driver);
            let on = member_on(&driver);
            (on != leader).then_some((driver, on))
        })
        .expect("a seed that puts the session on a follower");
    let session = driver.credentials().unwrap();
    let mut seen = Vec::new();
    let created = driver
        .submit(Request::create("/failover", "v1", CreateMode::Ephemeral))
        .unwrap();
    until_reply(&mut driver, created, &mut seen).result.unwrap();
    let get = driver.submit(Request::get_data("/failover", true)).unwrap();
    let watch = until_reply(&mut driver, get, &mut seen).watch.unwrap();
    let socket_before = driver.socket_id().unwrap();

    ensemble.member_mut(on).kill().unwrap();
    let mut states = Vec::new();
    mio_drive::drive(&mut driver, |_, e| {
        if let ExternalEvent::Event(Event::Session { state, .. }) = e {
            states.push(state);
        }
        Ok(states.last() == Some(&KeeperState::SyncConnected))
    })
    .unwrap();
    assert_eq!(
        states,
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(driver.credentials().unwrap(), session, "the same session");
    assert_ne!(member_on(&driver), on);
    assert_ne!(driver.socket_id().unwrap(), socket_before, "a new socket");
    assert!(driver.as_fd().is_some());

    // The watch was re-registered on the new member: the change fires it, before the
    // change's own reply.
    let mut seen = Vec::new();
    let set = driver
        .submit(Request::set_data("/failover", "v2", Version::Any))
        .unwrap();
    until_reply(&mut driver, set, &mut seen).result.unwrap();
    match seen.as_slice() {
        [ExternalEvent::Event(Event::Watch(w))] => {
            assert_eq!(
                (w.event_type, w.path.as_str()),
                (EventType::NodeDataChanged, "/failover")
            );
            assert!(w.fired(watch));
        }
        other => panic!("expected the watch to fire, saw {other:?}"),
    }

    // Closing from the loop: the loop keeps processing until Closed; then the driver
    // has no socket and no deadline, and the ephemeral is gone at once.
    driver.close();
    mio_drive::drive(&mut driver, |_, e| {
        Ok(matches!(
            e,
            ExternalEvent::Event(Event::Session {
                state: KeeperState::Closed,
                ..
            })
        ))
    })
    .unwrap();
    assert_eq!(driver.state(), SessionState::Closed);
    assert!(driver.as_fd().is_none() && driver.socket_id().is_none());
    assert_eq!(driver.deadline(), None);
    let check = Options::default().session_timeout(Duration::from_secs(8));
    let mut checker = ExternalDriver::new(&ensemble.connect_string(), check).unwrap();
    until_connected(&mut checker);
    let exists = checker.submit(Request::exists("/failover", false)).unwrap();
    let reply = until_reply(&mut checker, exists, &mut Vec::new());
    assert_eq!(reply.result.unwrap(), zk_blocking::Response::Exists(None));
}

#[test]
fn a_late_call_at_the_deadline_reads_the_reply_waiting_before_timing_the_connection_out() {
    use std::time::{Duration, Instant};
    use zk_blocking::{Event, ExternalDriver, ExternalEvent, Options, Request};

    let options = Options::default().session_timeout(Duration::from_secs(6));
    let mut driver =
        ExternalDriver::new(&zk_tests::shared_standalone().connect_string(), options).unwrap();
    until_connected(&mut driver);
    let id = driver.submit(Request::exists("/", false)).unwrap();
    wait_readable(&driver);

    // The loop is busy elsewhere for longer than the read timeout (4 s of 6), then
    // sees its deadline long past and calls in without polling the socket first.
    std::thread::sleep(Duration::from_millis(4_500));
    assert!(driver.deadline().unwrap() < Instant::now());
    driver.process(false, false, Instant::now());

    let mut events = Vec::new();
    while let Some(event) = driver.poll_event() {
        events.push(event);
    }
    match events.as_slice() {
        [ExternalEvent::Reply(reply)] => {
            assert_eq!(reply.id, id);
            reply.result.as_ref().unwrap();
        }
        other => panic!("the reply the server sent in time, not {other:?}"),
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ExternalEvent::Event(Event::Session { .. })))
    );
}

#[test]
fn an_external_loop_learns_its_session_expired_from_state_and_is_left_no_socket_or_deadline() {
    use std::time::Duration;
    use zk_blocking::{
        Event, ExternalDriver, ExternalEvent, KeeperState, Options, SessionCredentials,
        SessionState,
    };

    // Resuming a session the server does not know: its handshake answer says expired.
    let gone = SessionCredentials {
        session_id: 0x7777_0000_0000_0001,
        password: vec![0; 16],
    };
    let options = Options::default()
        .session_timeout(Duration::from_secs(6))
        .resume(gone);
    let mut driver =
        ExternalDriver::new(&zk_tests::shared_standalone().connect_string(), options).unwrap();
    mio_drive::drive(&mut driver, |_, e| {
        Ok(matches!(
            e,
            ExternalEvent::Event(Event::Session {
                state: KeeperState::Expired,
                ..
            })
        ))
    })
    .unwrap();
    // A loop that ran `while state != Closed` would now wait on nothing, for ever.
    assert_eq!(driver.state(), SessionState::Expired);
    assert!(driver.state().is_terminal());
    assert_eq!(driver.deadline(), None);
    assert!(driver.as_fd().is_none() && driver.socket_id().is_none());
    assert_eq!(driver.interest(), zk_blocking::Interest::default());
}

#[test]
fn an_external_driver_given_a_new_host_list_moves_there_with_its_session_and_its_call() {
    use std::time::Duration;
    use zk_blocking::{Event, ExternalDriver, ExternalEvent, KeeperState, Options, Request};
    use zk_tests::proxy::FaultProxy;

    // Two addresses of one server: the session can live on either.
    let server = zk_tests::shared_standalone();
    let (old, new) = (
        FaultProxy::start(server.address()).unwrap(),
        FaultProxy::start(server.address()).unwrap(),
    );
    let options = Options::default().session_timeout(Duration::from_secs(10));
    let mut driver = ExternalDriver::new(&old.connect_string(), options).unwrap();
    mio_drive::drive(&mut driver, |_, e| {
        Ok(matches!(
            e,
            ExternalEvent::Event(Event::Session {
                state: KeeperState::SyncConnected,
                ..
            })
        ))
    })
    .unwrap();
    let session = driver.credentials().unwrap();

    // A call out on the old server when the list changes is answered there.
    let in_flight = driver.submit(Request::exists("/", false)).unwrap();
    driver.update_server_list(&new.connect_string()).unwrap();
    let mut answered = false;
    let mut states = Vec::new();
    mio_drive::drive(&mut driver, |_, e| {
        match e {
            ExternalEvent::Reply(reply) if reply.id == in_flight => {
                reply.result.unwrap();
                answered = true;
            }
            ExternalEvent::Event(Event::Session { state, .. }) => states.push(state),
            _ => {}
        }
        Ok(answered && states.last() == Some(&KeeperState::SyncConnected))
    })
    .unwrap();
    assert_eq!(
        states,
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(driver.credentials().unwrap(), session, "the same session");
    assert_eq!(new.accepted(), 1, "it dialled the new list's host");
    // The proxy sees the old connection's close a moment after the driver made it.
    let left_by = std::time::Instant::now() + Duration::from_secs(5);
    while !old.connections().is_empty() && std::time::Instant::now() < left_by {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(old.connections().len(), 0, "and left the old one");
}
