//! Requests submitted while no session was ever established wait for one at most
//! `Config::first_session_timeout`: such a session cannot expire, so without the
//! bound they would wait as long as no server answers.

mod common;

use std::time::Duration;

use zk_proto::OpCode;
use zk_session::testing::Harness;
use zk_session::{Config, Request, RequestError};

use common::{HarnessExt, SID, T, config, data_reply, replies, requests};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

/// A session whose requests wait at most 5 s for the first session; its first dial is
/// left unanswered (the per-dial connect timeout, 30 s, is far off).
fn waiting_for_a_server() -> Harness {
    with_first_session_timeout(config("a"), 5 * SEC)
}

fn with_first_session_timeout(mut c: Config, timeout: Duration) -> Harness {
    c.first_session_timeout = Some(timeout);
    Harness::new(c)
}

fn no_session_established(waited: Duration) -> Result<zk_session::Response, RequestError> {
    Err(RequestError::NoSessionEstablished { waited })
}

/// The ops of the requests written since the last flush.
fn written_ops(h: &mut Harness) -> Vec<OpCode> {
    requests(&h.flush())
        .iter()
        .map(|(_, request)| request.op_code())
        .collect()
}

#[test]
fn a_request_made_before_any_session_fails_when_none_came_within_the_first_session_timeout() {
    let mut h = waiting_for_a_server();
    let submitted = h.now;
    let id = h.submit(Request::get_data("/a", false));
    assert_eq!(
        h.session.poll_timeout(),
        Some(submitted + 5 * SEC),
        "the driver is woken for it"
    );

    h.advance(5 * SEC - MS);
    assert_eq!(replies(&h.events), []);
    h.run_next_timer();
    assert_eq!(replies(&h.events), [(id, no_session_established(5 * SEC))]);
    assert_eq!(h.session.outstanding(), 0);

    // It completed once: nothing more comes for it, however long the session waits.
    h.advance(20 * SEC);
    assert_eq!(replies(&h.events).len(), 1);
}

#[test]
fn a_request_that_gave_up_waiting_for_a_first_session_is_never_written() {
    let mut h = waiting_for_a_server();
    let gave_up = h.submit(Request::get_data("/early", false));
    h.advance(3 * SEC);
    let waits_on = h.submit(Request::exists("/later", false));
    h.advance(2 * SEC);
    assert_eq!(
        replies(&h.events),
        [(gave_up, no_session_established(5 * SEC))]
    );

    // A server answers 1 s later: only the request still waiting goes out.
    h.advance(SEC);
    h.establish(T, SID);
    assert_eq!(written_ops(&mut h), [OpCode::Exists]);
    assert_eq!(replies(&h.events).len(), 1, "{waits_on:?} is not failed");
}

#[test]
fn a_request_whose_session_came_in_time_waits_for_its_reply_past_the_first_session_timeout() {
    let mut h = waiting_for_a_server();
    let id = h.submit(Request::get_data("/a", false));
    // The session comes at 4 s, and its connection drops before the request went out:
    // the request waits for the next connection like any other, past 5 s.
    h.advance(4 * SEC);
    h.establish(T, SID);
    h.server_close();
    h.advance(10 * SEC);
    assert_eq!(replies(&h.events), []);

    h.establish(T, SID);
    let xid = match requests(&h.flush()).as_slice() {
        [(xid, _)] => *xid,
        other => panic!("one request written, not {other:?}"),
    };
    h.deliver(&data_reply(xid, 1));
    assert!(matches!(replies(&h.events).as_slice(), [(i, Ok(_))] if *i == id));
}

#[test]
fn requests_made_once_a_session_was_established_never_wait_for_a_first_session() {
    let mut h = with_first_session_timeout(config("a"), SEC);
    h.establish(T, SID);
    h.flush();
    let idle = h.session.poll_timeout();

    // Disconnected, the request waits for the next connection, under no first-session
    // deadline: none is set for it.
    h.server_close();
    h.take_events();
    let disconnected = h.session.poll_timeout();
    h.submit(Request::get_data("/a", false));
    assert_eq!(h.session.poll_timeout(), disconnected);
    h.advance(5 * SEC);
    assert_eq!(replies(&h.events), []);

    // Connected again, it goes out; a request made now gets no deadline either.
    h.establish(T, SID);
    assert_eq!(written_ops(&mut h), [OpCode::GetData]);
    let idle_again = h.session.poll_timeout();
    h.submit(Request::exists("/b", false));
    assert_eq!(h.session.poll_timeout(), idle_again);
    assert!(idle.is_some() && idle_again.is_some(), "the pings");
}

#[test]
fn a_request_that_completed_another_way_is_not_failed_again_at_its_first_session_deadline() {
    let mut c = config("a");
    c.request_timeout = Some(2 * SEC);
    let mut h = with_first_session_timeout(c, 5 * SEC);
    let timed_out = h.submit(Request::get_data("/a", false));
    let abandoned = h.submit(Request::get_data("/b", false));
    assert!(h.session.abandon(abandoned));

    h.advance(10 * SEC);
    assert_eq!(
        replies(&h.events),
        [(timed_out, Err(RequestError::RequestTimeout))],
        "one reply each, none for the abandoned request"
    );
}

#[test]
fn a_session_that_ends_before_any_was_established_fails_its_waiting_requests_once() {
    let mut h = waiting_for_a_server();
    let id = h.submit(Request::get_data("/a", false));
    h.session.close(h.now);
    h.pump();
    h.advance(10 * SEC);
    assert_eq!(replies(&h.events), [(id, Err(RequestError::Closing))]);
}
