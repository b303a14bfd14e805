//! Keeping the connection alive and noticing when it is not: Java's ping interval,
//! the read timeout, and request timeouts.

mod common;

use std::time::Duration;

use zk_proto::{ErrorCode, KeeperState};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{CloseReason, Request, RequestError};

use common::{HarnessExt, SID, T, closes, config, connected, pings, replies, states};

#[test]
fn ping_after_a_third_of_the_timeout_less_a_second_idle_and_busy() {
    // T = 30 s: Java's readTimeout/2 - 1 s = 9 s
    let mut h = connected("a");
    h.advance(Duration::from_millis(8_999));
    assert_eq!(pings(&h.flush()), 0);
    h.advance(Duration::from_millis(1));
    assert_eq!(pings(&h.flush()), 1);
    h.deliver(&FakeServer::reply(-2, 5, ErrorCode::Ok, None));
    assert_eq!(h.session.last_zxid(), 0, "pings do not move lastZxid");
    // busy: a request outstanding, nothing sent for T/3 -> ping anyway
    h.submit_and_flush(Request::get_data("/x", false));
    h.advance(Duration::from_millis(8_999));
    assert_eq!(pings(&h.flush()), 0);
    h.advance(Duration::from_millis(1));
    assert_eq!(pings(&h.flush()), 1);
    // repeated and early timeouts are harmless
    h.session.handle_timeout(h.now);
    h.session.handle_timeout(h.now - Duration::from_secs(1));
    assert_eq!(pings(&h.flush()), 0);
}

/// How long an idle connection with the negotiated timeout `timeout_ms` stays silent
/// before its first ping.
fn first_ping_after(timeout_ms: i32) -> Duration {
    let mut c = config("a");
    c.session_timeout = Duration::from_millis(timeout_ms as u64);
    let mut h = Harness::new(c);
    h.establish(timeout_ms, SID);
    h.flush();
    let start = h.now;
    loop {
        h.run_next_timer().expect("a ping is due some time");
        if pings(&h.flush()) > 0 {
            return h.now - start;
        }
    }
}

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

#[test]
fn ping_interval_is_a_third_of_the_timeout_up_to_one_second() {
    // Java pings once idle for half the read timeout (2/3 T), i.e. T/3
    assert_eq!(first_ping_after(600), 200 * MS);
    assert_eq!(first_ping_after(2_000), Duration::from_secs(2) / 3);
    assert_eq!(first_ping_after(3_000), Duration::from_secs(1));
}

#[test]
fn ping_interval_is_just_over_a_second_while_a_third_is_up_to_two_seconds() {
    // idle over 1 s and at least T/3 - 1 s: Java's first such idle time, 1001 ms
    assert_eq!(first_ping_after(4_500), 1_001 * MS);
    assert_eq!(first_ping_after(6_000), 1_001 * MS);
}

#[test]
fn ping_interval_is_javas_third_less_a_second_capped_at_ten_seconds() {
    assert_eq!(first_ping_after(60_000), Duration::from_secs(10), "cap");
    assert_eq!(first_ping_after(40_000), Duration::from_secs(10), "cap");
    assert_eq!(
        first_ping_after(30_000),
        Duration::from_secs(9),
        "T/3 - 1 s"
    );
    assert_eq!(
        first_ping_after(12_000),
        Duration::from_secs(3),
        "T/3 - 1 s"
    );
    assert_eq!(first_ping_after(7_500), 1_500 * MS, "T/3 - 1 s");
}

#[test]
fn read_timeout_at_two_thirds_reconnects() {
    let mut h = connected("a");
    h.submit_and_flush(Request::get_data("/x", false));
    // pings go out but nothing comes back
    for _ in 0..19 {
        h.advance(Duration::from_secs(1));
        h.flush();
    }
    assert!(closes(&h).is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(closes(&h), vec![CloseReason::ReadTimeout]);
    assert_eq!(replies(&h.events)[0].1, Err(RequestError::ConnectionLoss));
    assert_eq!(states(&h.events), vec![KeeperState::Disconnected]);
}

#[test]
fn request_timeout_for_queued_and_written_requests() {
    let mut c = config("a");
    c.request_timeout = Some(Duration::from_secs(5));
    let mut h = Harness::new(c);
    let queued = h.submit(Request::get_data("/q", false));
    h.advance(Duration::from_secs(5));
    assert_eq!(
        replies(&h.events),
        vec![(queued, Err(RequestError::RequestTimeout))]
    );
    h.take_events();
    h.establish(T, SID);
    let a = h.submit(Request::get_data("/a", false));
    h.advance(Duration::from_secs(1));
    let b = h.submit(Request::get_data("/b", false));
    h.flush();
    h.advance(Duration::from_secs(4));
    assert_eq!(
        replies(&h.events),
        vec![
            (a, Err(RequestError::RequestTimeout)),
            (b, Err(RequestError::ConnectionLoss))
        ]
    );
    assert_eq!(closes(&h), vec![CloseReason::RequestTimeout]);
}

#[test]
fn a_deadline_that_moved_later_wakes_the_driver_once_early_for_nothing() {
    // T = 30 s: an idle connection pings after 9 s.
    let mut h = connected("a");
    let start = h.now;
    assert_eq!(h.session.poll_timeout(), Some(start + 9 * SEC));
    // A request written after 5 s postpones the ping; the wake-up is not recomputed.
    h.advance(5 * SEC);
    h.submit_and_flush(Request::get_data("/x", false));
    assert_eq!(h.session.poll_timeout(), Some(start + 9 * SEC));
    // At the old deadline nothing is due: no ping, and the next wake-up is the ping's.
    h.advance(4 * SEC);
    assert_eq!(pings(&h.flush()), 0);
    assert_eq!(h.session.poll_timeout(), Some(start + 14 * SEC));
}

#[test]
fn a_request_timeout_brings_the_next_deadline_forward() {
    let mut c = config("a");
    c.request_timeout = Some(SEC);
    let mut h = Harness::new(c);
    h.establish(T, SID);
    h.flush();
    let idle = h.session.poll_timeout();
    assert_eq!(idle, Some(h.now + 9 * SEC), "the ping");
    h.submit_and_flush(Request::get_data("/x", false));
    assert_eq!(h.session.poll_timeout(), Some(h.now + SEC));
}

#[test]
fn a_time_earlier_than_one_passed_before_counts_as_the_later_one() {
    // A driver that reads the clock at the top of its loop and passes that reading
    // after a submit that read the clock itself hands the session times out of order.
    let mut h = connected("a");
    h.flush();
    let latest = h.now + Duration::from_secs(5);
    h.advance(Duration::from_secs(5));
    h.now = latest - Duration::from_secs(10);
    let (_, frame) = h.submit_and_flush(Request::get_data("/a", false));
    h.deliver(&common::data_reply(frame.xid(), 1));
    // The write counts as made at `latest`: the ping comes 9 s (T/3 − 1 s) after it,
    // when poll_timeout says (debug builds check on every call that no deadline
    // comes before it), and the connection is not read-timed-out meanwhile.
    loop {
        let at = h.run_next_timer().expect("a ping is due some time");
        if pings(&h.flush()) > 0 {
            assert_eq!(at, latest + Duration::from_secs(9));
            break;
        }
    }
    assert_eq!(closes(&h), []);
}
