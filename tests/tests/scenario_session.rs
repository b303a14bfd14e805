//! Scenarios: the session's timeout, keep-alive and survival of a frozen server.

mod common;

use std::time::{Duration, Instant};

use common::{connect, fast_server, options, states, until_state};
use zk_blocking::{KeeperState, SessionState};
use zk_tests::proxy::{Direction, FaultProxy};

#[test]
fn the_server_clamps_the_requested_session_timeout_to_its_bounds() {
    let server = fast_server(|o| {
        o.min_session_timeout(Duration::from_millis(1000))
            .max_session_timeout(Duration::from_millis(3000))
    });
    for (asked, granted) in [(100, 1000), (60_000, 3000), (2000, 2000)] {
        let mut client = connect(
            &server.connect_string(),
            options(Duration::from_millis(asked)),
        );
        assert_eq!(
            client.negotiated_timeout(),
            Some(Duration::from_millis(granted)),
            "asked for {asked} ms"
        );
        client.close();
    }
}

#[test]
fn an_idle_session_pumped_for_ten_timeouts_is_kept_alive_by_pings() {
    let server = fast_server(|o| o);
    let proxy = FaultProxy::start(server.address()).unwrap();
    let timeout = Duration::from_secs(2);
    let mut client = connect(&proxy.connect_string(), options(timeout));
    assert_eq!(client.negotiated_timeout(), Some(timeout));
    let session = client.session_id();
    let before = (
        proxy.stats(Direction::ToServer).pings,
        proxy.stats(Direction::ToClient).pings,
    );
    let idle = timeout * 10;
    let started = Instant::now();
    while started.elapsed() < idle {
        let left = idle.saturating_sub(started.elapsed());
        let event = client.next_event(left).expect("the session lives");
        assert_eq!(event, None, "nothing happens to an idle session");
    }
    let idled = started.elapsed();
    let pings = proxy.stats(Direction::ToServer).pings - before.0;
    let answers = proxy.stats(Direction::ToClient).pings - before.1;
    // A ping whenever nothing was sent for the ping interval, by Java's rule: T/3
    // while that is at most 1 s (as for T = 2 s), just over 1 s up to T = 6 s, then
    // T/3 - 1 s, at most 10 s.
    let t = timeout.as_secs_f64();
    let interval = if t / 3.0 <= 1.0 {
        t / 3.0
    } else {
        (t / 3.0 - 1.0).clamp(1.001, 10.0)
    };
    let expected = idled.as_secs_f64() / interval;
    assert!(
        (pings as f64) >= expected * 0.75 && (pings as f64) <= expected * 1.25 + 2.0,
        "{pings} pings in {idled:?}, expected about {expected:.0}"
    );
    assert!(
        answers + 1 >= pings && answers <= pings,
        "{answers} answers to {pings} pings"
    );
    assert_eq!(client.state(), SessionState::Connected);
    assert_eq!(client.session_id(), session);
    assert!(client.exists("/").unwrap().is_some());
    assert_eq!(proxy.accepted(), 1, "never reconnected");
    client.close();
}

#[test]
fn a_frozen_server_gives_disconnected_then_the_same_session_after_it_resumes() {
    // 6 s: the client notices after 4 s of silence, well before the server (whose clock
    // jumps when it resumes) or the client would expire the session.
    let mut server = fast_server(|o| o.max_session_timeout(Duration::from_secs(6)));
    let mut client = connect(&server.connect_string(), options(Duration::from_secs(6)));
    client
        .create("/frozen", "", zk_blocking::CreateMode::Ephemeral)
        .unwrap();
    let session = client.session_id();

    server.pause().unwrap();
    let frozen = Instant::now();
    let before = until_state(&mut client, KeeperState::Disconnected);
    let noticed = frozen.elapsed();
    server.resume().unwrap();
    let after = until_state(&mut client, KeeperState::SyncConnected);

    assert_eq!(states(&before), [KeeperState::Disconnected]);
    assert_eq!(states(&after), [KeeperState::SyncConnected]);
    assert_eq!(before.len() + after.len(), 2, "{before:?} {after:?}");
    assert!(
        noticed < Duration::from_secs(6),
        "noticed after {noticed:?}, the read timeout is 4 s"
    );
    assert_eq!(client.session_id(), session, "the same session");
    assert_eq!(client.state(), SessionState::Connected);
    let stat = client
        .exists("/frozen")
        .unwrap()
        .expect("the ephemeral survived");
    assert_eq!(stat.ephemeral_owner, session);
    client.close();
}
