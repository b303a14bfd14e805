//! Reconnect pacing: a connection that completes the handshake and drops at once is
//! not redialled at once forever, and no backoff wait outlives the session.

mod common;

use std::time::{Duration, Instant};

use common::*;
use zk_session::testing::Harness;
use zk_session::{Config, SessionState};

/// Dials until connected, `flaps` times dropping each connection right after its
/// handshake; returns the virtual time each dial was asked for.
fn flap(h: &mut Harness, flaps: usize) -> Vec<Instant> {
    let mut dials = Vec::new();
    for _ in 0..flaps {
        if h.pending_connect().is_none() {
            h.run_next_timer();
        }
        dials.push(h.now);
        h.establish(T, SID);
        h.server_close();
    }
    dials
}

#[test]
fn a_connection_dropped_right_after_its_handshake_backs_off_before_the_next_dial() {
    let mut h = connected("a:2181,b:2181,c:2181");
    h.server_close();
    let start = h.now;
    let dials = flap(&mut h, 50);
    let waited = dials.last().unwrap().duration_since(start);
    // Without pacing all 50 came at the same instant; with it, after each pass over
    // the three hosts the wait grows from 1 s (up to a third of T).
    assert!(
        waited >= Duration::from_secs(50 / 3),
        "50 handshake-then-drop cycles took only {waited:?}"
    );
    assert_eq!(h.session.state(), SessionState::Connecting);
}

#[test]
fn a_connection_that_served_a_while_is_redialled_at_once() {
    let mut h = connected("a:2181");
    h.advance(Duration::from_secs(5));
    h.server_close();
    assert!(h.pending_connect().is_some(), "a failover is not delayed");
}

#[test]
fn every_seed_dials_again_before_the_server_expires_the_session() {
    // T = 10 s, default backoff (1 s doubling to 30 s, 100 % jitter): the network
    // refuses connections for 5 s after the drop, then heals.
    const T10: i32 = 10_000;
    for seed in 0..500 {
        let mut c = Config::new("a:2181");
        c.session_timeout = Duration::from_millis(T10 as u64);
        c.seed = seed;
        let mut h = Harness::new(c);
        h.establish(T10, SID);
        h.advance(Duration::from_secs(2));
        let heard = h.now;
        h.server_close();
        let heals = heard + Duration::from_secs(5);
        loop {
            if h.pending_connect().is_none() {
                h.run_next_timer().expect("a dial is always scheduled");
            }
            if h.now >= heals {
                break;
            }
            h.refuse();
        }
        let late = h.now.duration_since(heard);
        assert!(
            late < Duration::from_millis(T10 as u64),
            "seed {seed}: first dial after the network healed came {late:?} after the \
             server last heard of the session; it expired at 10 s"
        );
        h.establish(T10, SID);
        assert_eq!(h.session.state(), SessionState::Connected, "seed {seed}");
    }
}

#[test]
fn backoff_waits_stay_within_a_third_of_the_session_timeout() {
    let mut c = config("a:2181");
    c.reconnect_backoff = Duration::from_secs(20);
    c.max_reconnect_backoff = Duration::from_secs(60);
    let mut h = Harness::new(c);
    h.establish(T, SID);
    h.advance(Duration::from_secs(2));
    h.server_close();
    for _ in 0..20 {
        let before = h.now;
        if h.pending_connect().is_none() {
            h.run_next_timer();
        }
        let waited = h.now.duration_since(before);
        assert!(
            waited <= Duration::from_millis(T as u64 / 3),
            "waited {waited:?} with T = 30 s"
        );
        h.refuse();
        if h.session.state() != SessionState::Connecting {
            break;
        }
    }
}
