//! The counter machine with every reply scripted: the request it sends next, and the
//! value (or error) it ends with.

use zk_blocking::ErrorCode;
use zk_blocking::{Bytes, CreateMode, Error, KeeperState, Request, Response, Stat, Version};
use zk_recipes::{CounterEncoding, CounterMachine, Recipe, Token};
use zk_test_support::assert_matches;

/// A counter at `/c` in kazoo's ASCII encoding.
fn ascii() -> CounterMachine {
    CounterMachine::new("/c", CounterEncoding::Ascii)
}

/// The one request the machine sends now, and its token.
fn sent(m: &mut CounterMachine) -> (Token, Request) {
    let submit = m.poll_submit().expect("a request to submit");
    assert!(m.poll_submit().is_none(), "one request at a time");
    (submit.token, submit.request)
}

/// Answers the request the machine just sent with `reply`, after checking it.
fn expect_then(m: &mut CounterMachine, request: Request, reply: Result<Response, Error>) {
    let (token, got) = sent(m);
    assert_eq!(got, request);
    assert!(m.poll_output().is_none(), "no answer before the reply");
    m.handle_reply(token, reply.map(|r| (r, None)));
}

fn read() -> Request {
    Request::get_data("/c", false)
}

fn holding(data: &'static [u8], version: i32) -> Result<Response, Error> {
    Ok(Response::GetData {
        data: Bytes::from_static(data),
        stat: Stat {
            version,
            ..Stat::default()
        },
    })
}

fn set(data: &'static [u8], version: i32) -> Request {
    Request::set_data("/c", Bytes::from_static(data), Version::Exact(version))
}

fn set_ok(version: i32) -> Result<Response, Error> {
    Ok(Response::SetData(Stat {
        version,
        ..Stat::default()
    }))
}

fn create(path: &str, data: &'static [u8]) -> Request {
    Request::create(path, Bytes::from_static(data), CreateMode::Persistent)
}

fn created(path: &str) -> Result<Response, Error> {
    Ok(Response::Create {
        path: path.to_string(),
        stat: None,
    })
}

fn done(m: &mut CounterMachine) -> Result<i64, Error> {
    assert!(m.poll_submit().is_none(), "nothing more to send");
    m.poll_output().expect("an answer")
}

#[test]
fn an_add_reads_then_writes_the_sum_at_the_version_read() {
    let mut m = ascii();
    m.add(5);
    expect_then(&mut m, read(), holding(b"42", 7));
    expect_then(&mut m, set(b"47", 7), set_ok(8));
    assert_eq!(done(&mut m), Ok(47));
    assert!(!m.awaiting_replies());
}

#[test]
fn a_get_reads_only() {
    let mut m = ascii();
    m.get();
    expect_then(&mut m, read(), holding(b"-3", 2));
    assert_eq!(done(&mut m), Ok(-3));
}

#[test]
fn empty_data_and_a_missing_node_count_as_zero() {
    let mut m = ascii();
    m.add(2);
    expect_then(&mut m, read(), holding(b"", 0));
    expect_then(&mut m, set(b"2", 0), set_ok(1));
    assert_eq!(done(&mut m), Ok(2));

    m.get();
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    assert_eq!(done(&mut m), Ok(0), "a get creates nothing");
}

#[test]
fn a_conflicting_writer_makes_it_read_again_and_add_to_the_new_value() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(
        &mut m,
        set(b"11", 3),
        Err(Error::from_code(ErrorCode::BadVersion)),
    );
    expect_then(&mut m, read(), holding(b"11", 4));
    expect_then(&mut m, set(b"12", 4), set_ok(5));
    assert_eq!(done(&mut m), Ok(12));
}

#[test]
fn a_missing_node_is_created_holding_the_delta() {
    let mut m = ascii();
    m.add(3);
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(&mut m, create("/c", b"3"), created("/c"));
    assert_eq!(done(&mut m), Ok(3));
}

#[test]
fn a_create_beaten_by_another_client_reads_again() {
    let mut m = ascii();
    m.add(3);
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(
        &mut m,
        create("/c", b"3"),
        Err(Error::from_code(ErrorCode::NodeExists)),
    );
    expect_then(&mut m, read(), holding(b"1", 0));
    expect_then(&mut m, set(b"4", 0), set_ok(1));
    assert_eq!(done(&mut m), Ok(4));
}

#[test]
fn a_node_deleted_between_read_and_write_is_created_again() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"5", 2));
    expect_then(
        &mut m,
        set(b"6", 2),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(&mut m, create("/c", b"1"), created("/c"));
    assert_eq!(done(&mut m), Ok(1));
}

#[test]
fn missing_parents_are_created_then_the_counter() {
    let mut m = CounterMachine::new("/a/b/c", CounterEncoding::Ascii);
    m.add(1);
    expect_then(
        &mut m,
        Request::get_data("/a/b/c", false),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(
        &mut m,
        create("/a/b/c", b"1"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    // The parent first, whole; its own parent missing, from the top.
    expect_then(
        &mut m,
        create("/a/b", b""),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut m, create("/a", b""), created("/a"));
    expect_then(
        &mut m,
        create("/a/b", b""),
        Err(Error::from_code(ErrorCode::NodeExists)),
    );
    expect_then(
        &mut m,
        Request::get_data("/a/b/c", false),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut m, create("/a/b/c", b"1"), created("/a/b/c"));
    assert_eq!(done(&mut m), Ok(1));
}

#[test]
fn a_lost_read_is_read_again() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), holding(b"0", 0));
    expect_then(&mut m, set(b"1", 0), set_ok(1));
    assert_eq!(done(&mut m), Ok(1));
}

// ----- a write whose reply was lost ---------------------------------------------------

#[test]
fn a_lost_write_with_the_version_unchanged_was_not_applied_and_is_retried() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), set_ok(4));
    assert_eq!(done(&mut m), Ok(11));
}

#[test]
fn a_lost_write_with_the_version_moved_fails_with_connection_loss_rather_than_add_twice() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), Err(Error::ConnectionLoss));
    // "11" at version 4: ours, or another client's +1 from the same 10. Unknowable.
    expect_then(&mut m, read(), holding(b"11", 4));
    assert_eq!(done(&mut m), Err(Error::ConnectionLoss));
}

#[test]
fn a_lost_write_whose_retry_meets_bad_version_fails_with_connection_loss() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), holding(b"10", 3));
    // The lost write may have landed late and taken version 3 itself.
    expect_then(
        &mut m,
        set(b"11", 3),
        Err(Error::from_code(ErrorCode::BadVersion)),
    );
    assert_eq!(done(&mut m), Err(Error::ConnectionLoss));
}

#[test]
fn a_lost_write_whose_check_is_lost_too_checks_again() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), set_ok(4));
    assert_eq!(done(&mut m), Ok(11));
}

#[test]
fn a_lost_create_with_the_node_still_missing_is_retried() {
    let mut m = ascii();
    m.add(2);
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(&mut m, create("/c", b"2"), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(&mut m, create("/c", b"2"), created("/c"));
    assert_eq!(done(&mut m), Ok(2));
}

#[test]
fn a_lost_create_with_the_node_there_fails_with_connection_loss() {
    let mut m = ascii();
    m.add(2);
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(&mut m, create("/c", b"2"), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), holding(b"2", 0));
    assert_eq!(done(&mut m), Err(Error::ConnectionLoss));
}

#[test]
fn a_lost_write_whose_node_was_deleted_fails_with_connection_loss() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"10", 3));
    expect_then(&mut m, set(b"11", 3), Err(Error::ConnectionLoss));
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    assert_eq!(done(&mut m), Err(Error::ConnectionLoss));
}

// ----- encodings and refusals ---------------------------------------------------------

#[test]
fn the_curator_encoding_is_four_big_endian_bytes() {
    let mut m = CounterMachine::new("/c", CounterEncoding::Curator);
    m.add(-2);
    expect_then(&mut m, read(), holding(&[0, 0, 1, 0], 1));
    expect_then(&mut m, set(&[0, 0, 0, 254], 1), set_ok(2));
    assert_eq!(done(&mut m), Ok(254));

    m.add(1);
    expect_then(&mut m, read(), Err(Error::from_code(ErrorCode::NoNode)));
    expect_then(&mut m, create("/c", &[0, 0, 0, 1]), created("/c"));
    assert_eq!(done(&mut m), Ok(1));
}

#[test]
fn a_curator_counter_refuses_values_beyond_i32() {
    let mut m = CounterMachine::new("/c", CounterEncoding::Curator);
    m.add(1);
    expect_then(&mut m, read(), holding(&[0x7f, 0xff, 0xff, 0xff], 1));
    assert!(matches!(done(&mut m), Err(Error::InvalidArgument(_))));
}

#[test]
fn data_that_is_not_a_number_is_an_error_not_a_zero() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"lots", 1));
    assert!(matches!(done(&mut m), Err(Error::InvalidArgument(_))));

    let mut m = CounterMachine::new("/c", CounterEncoding::Curator);
    m.get();
    expect_then(&mut m, read(), holding(b"42", 1));
    assert!(matches!(done(&mut m), Err(Error::InvalidArgument(_))));
}

#[test]
fn a_refusal_ends_the_add_with_it() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"1", 1));
    expect_then(
        &mut m,
        set(b"2", 1),
        Err(Error::from_code(ErrorCode::NoAuth)),
    );
    assert_matches!(done(&mut m), Err(Error::NoAuth { .. }));
}

#[test]
fn the_session_ending_mid_add_ends_it_and_the_late_reply_is_ignored() {
    let mut m = ascii();
    m.add(1);
    expect_then(&mut m, read(), holding(b"1", 1));
    let (token, _) = sent(&mut m);
    m.handle_session(KeeperState::Disconnected);
    assert!(m.poll_output().is_none(), "a disconnection is not the end");
    m.handle_session(KeeperState::Expired);
    assert_eq!(m.poll_output(), Some(Err(Error::SessionExpired)));
    m.handle_reply(token, Err(Error::SessionExpired));
    assert!(m.poll_output().is_none());
    assert!(m.watch().is_none());
}
