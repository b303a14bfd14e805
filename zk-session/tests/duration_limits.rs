//! Durations at and beyond their limits: refused at configuration when too long, and
//! saturating deadlines (never a panic) at the end of the clock.

mod common;

use std::time::{Duration, Instant};

use zk_proto::ErrorCode;
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Config, ConfigError, MAX_DURATION, Request, Session, SessionState};

use common::{HarnessExt, SID, T, config, data_reply, latest_instant, reply_ids};

#[test]
fn durations_beyond_i32_max_ms_are_refused_naming_the_field_and_limit() {
    type Set = fn(&mut Config);
    let cases: [(&str, Set); 4] = [
        ("request_timeout", |c| {
            c.request_timeout = Some(Duration::MAX)
        }),
        ("close_timeout", |c| c.close_timeout = Duration::MAX),
        ("reconnect_backoff", |c| {
            c.reconnect_backoff = Duration::MAX;
            c.max_reconnect_backoff = Duration::MAX;
        }),
        ("max_reconnect_backoff", |c| {
            c.max_reconnect_backoff = MAX_DURATION + Duration::from_millis(1)
        }),
    ];
    for (field, set) in cases {
        let mut c = config("a");
        set(&mut c);
        let err = Session::new(c, Instant::now()).unwrap_err();
        assert!(
            matches!(err, ConfigError::DurationTooLong { field: f, .. } if f == field),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(field) && msg.contains("i32::MAX ms"), "{msg}");
    }
}

/// A harness whose session starts at `now` instead of the real clock.
fn harness_at(c: Config, now: Instant) -> Harness {
    let mut h = Harness::new(Config::new("unused"));
    h.transports.clear();
    h.session = Session::new(c, now).expect("valid config");
    h.now = now;
    h.pump();
    h
}

/// Every duration at its limit, on a clock that cannot add them: the deadlines
/// saturate ("never") instead of panicking, and the session still works.
fn run_with_limit_durations(start: Instant) {
    let mut c = config("a,b");
    c.request_timeout = Some(MAX_DURATION);
    c.close_timeout = MAX_DURATION;
    c.reconnect_backoff = MAX_DURATION;
    c.max_reconnect_backoff = MAX_DURATION;
    let mut h = harness_at(c, start);
    // two refused dials: a full failed pass, then the longest backoff
    h.refuse();
    h.refuse();
    assert!(h.pending_connect().is_none(), "backing off");
    assert!(h.session.poll_timeout().is_some());
    h.run_next_timer();
    h.establish(T, SID);
    let (id, sent) = h.submit_and_flush(Request::get_data("/x", false));
    h.deliver(&data_reply(sent.xid(), 5));
    assert_eq!(reply_ids(&h.events), vec![id]);
    h.session.close(h.now);
    assert_eq!(h.session.state(), SessionState::Closing);
    h.flush();
    let _ = h.session.poll_timeout();
    h.advance(Duration::from_secs(1));
    // closeSession took the next xid
    h.deliver(&FakeServer::reply(sent.xid() + 1, 0, ErrorCode::Ok, None));
    assert_eq!(h.session.state(), SessionState::Closed);
}

#[test]
fn limit_durations_never_panic_even_at_the_end_of_the_clock() {
    run_with_limit_durations(Instant::now());
    // one hour before the last representable instant: now + 24.8 days overflows
    run_with_limit_durations(latest_instant() - Duration::from_secs(3600));
}

#[test]
fn read_and_expiry_deadlines_saturate_at_the_end_of_the_clock() {
    let mut c = config("a");
    c.session_timeout = Duration::from_millis(i32::MAX as u64);
    let start = latest_instant() - Duration::from_secs(1);
    let mut h = harness_at(c, start);
    h.establish(i32::MAX, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
    assert!(h.session.poll_timeout().is_some_and(|t| t >= start));
    h.session.handle_timeout(h.now);
    h.pump();
    assert_eq!(h.session.state(), SessionState::Connected);
}
