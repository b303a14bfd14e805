//! The shared client against the shared real server: calls from many threads, the
//! session kept alive with nobody calling, events off the IO thread, closing.

#![cfg(unix)]

#[path = "support/silent_server.rs"]
mod silent_server;

use std::time::Duration;

use zk_blocking::{
    CreateMode, Error, Event, EventType, KeeperState, Options, Request, Response, SharedClient,
    Version,
};

fn connect(session_timeout: Duration) -> SharedClient {
    SharedClient::connect(
        &zk_tests::shared_standalone().connect_string(),
        Options::default().session_timeout(session_timeout),
    )
    .expect("connecting to the shared server")
}

#[test]
fn a_connect_to_a_server_that_never_answers_the_handshake_fails_in_its_connect_timeout() {
    silent_server::fails_in_its_connect_timeout(|hosts, options| {
        SharedClient::connect(hosts, options).map(drop)
    });
}

#[test]
fn calls_from_several_threads_each_get_their_own_reply() {
    let zk = connect(Duration::from_secs(10));
    zk.create("/shared-threads", "", CreateMode::Persistent)
        .or_else(|e| {
            if matches!(e, Error::NodeExists { .. }) {
                Ok(String::new())
            } else {
                Err(e)
            }
        })
        .unwrap();
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let zk = zk.clone();
            std::thread::spawn(move || {
                let path = format!("/shared-threads/t{t}");
                zk.create(&path, format!("{t}-0"), CreateMode::Ephemeral)
                    .unwrap();
                for i in 1..200 {
                    let value = format!("{t}-{i}");
                    zk.set_data(&path, &value, Version::Any).unwrap();
                    let (data, _) = zk.get_data(&path).unwrap();
                    assert_eq!(data, value.as_bytes(), "thread {t} read its own write");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("no worker panicked");
    }
}

#[test]
fn pipelined_replies_come_back_to_their_request() {
    let zk = connect(Duration::from_secs(10));
    zk.create("/shared-pipe", "v", CreateMode::Ephemeral)
        .unwrap();
    let pending: Vec<_> = (0..500)
        .map(|_| zk.submit(Request::get_data("/shared-pipe", false)).unwrap())
        .collect();
    let mut last = None;
    for p in pending {
        let id = p.id();
        let done = p.wait().unwrap();
        assert_eq!(done.id, id);
        assert!(last < Some(id), "ids in submit order");
        last = Some(id);
        assert!(matches!(done.result, Ok(Response::GetData { ref data, .. }) if data == "v"));
    }
}

#[test]
fn an_idle_client_keeps_its_session_and_ephemerals() {
    let zk = connect(Duration::from_secs(2));
    let session = zk.session_id();
    zk.create("/shared-idle", "", CreateMode::Ephemeral)
        .unwrap();
    // Nobody calls for three session timeouts: only the IO thread keeps it alive.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(zk.state(), zk_blocking::SessionState::Connected);
    assert_eq!(zk.session_id(), session);
    assert!(zk.exists("/shared-idle").unwrap().is_some());
}

#[test]
fn watch_events_reach_the_channel_and_the_watch_in_wire_order() {
    let zk = connect(Duration::from_secs(10));
    zk.create("/shared-watch", "a", CreateMode::Ephemeral)
        .unwrap();
    let events = zk.events();
    let (_, _, watch) = zk.get_data_watch("/shared-watch").unwrap();
    zk.set_data("/shared-watch", "b", Version::Any).unwrap();
    // The notification came before the setData reply on the wire: it is queued
    // by the time set_data returned (after the connect's state change).
    let queued =
        std::iter::from_fn(|| events.try_recv().unwrap()).find(|e| matches!(e, Event::Watch(_)));
    assert!(
        matches!(&queued, Some(Event::Watch(w)) if w.event_type == EventType::NodeDataChanged && w.fired(watch)),
        "{queued:?}"
    );
    let own = zk.wait_watch(watch, Duration::from_secs(5)).unwrap();
    assert_eq!(own, queued);
}

#[test]
fn an_empty_transaction_is_answered_without_the_server() {
    let zk = connect(Duration::from_secs(10));
    let done = zk
        .submit(Request::Multi(Vec::new()))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(done.result, Ok(Response::Multi(Vec::new())));
}

#[test]
fn the_event_channel_ends_with_the_final_state_then_the_error() {
    let zk = connect(Duration::from_secs(10));
    let events = zk.events();
    zk.close();
    let mut last = None;
    let end = loop {
        match events.recv() {
            Ok(e) => last = Some(e),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(
            last,
            Some(Event::Session {
                state: KeeperState::Closed,
                ..
            })
        ),
        "{last:?}"
    );
    assert_eq!(end, Error::Closed);
    assert_eq!(events.try_recv(), Err(Error::Closed), "and stays ended");
}

#[test]
fn a_reply_slower_than_a_bounded_wait_is_kept_for_the_next_wait() {
    use std::time::Instant;
    use zk_tests::proxy::{Direction, Fault, FaultProxy};

    let proxy = FaultProxy::start(zk_tests::shared_standalone().address()).expect("a proxy");
    let zk = SharedClient::connect(
        &proxy.connect_string(),
        Options::default().session_timeout(Duration::from_secs(20)),
    )
    .expect("connecting through the proxy");
    proxy.set_fault(Direction::ToClient, Fault::Delay(Duration::from_secs(2)));
    let mut reply = zk.submit(Request::exists("/", false)).unwrap();

    let started = Instant::now();
    let early = reply.wait_timeout_keeping(Duration::from_millis(200));
    assert_eq!(early.map(|c| c.is_some()), Ok(false), "not in yet");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the wait kept to its timeout: {:?}",
        started.elapsed()
    );

    let late = reply
        .wait_timeout_keeping(Duration::from_secs(20))
        .unwrap()
        .expect("the request was kept, and its reply came");
    assert_eq!(late.id, reply.id());
    assert!(matches!(late.result, Ok(Response::Exists(Some(_)))));
    assert_eq!(
        reply
            .wait_timeout_keeping(Duration::ZERO)
            .map(|c| c.is_some()),
        Err(Error::UnknownRequest(reply.id())),
        "a reply is taken once"
    );
    zk.close();
}
