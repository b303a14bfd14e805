//! `Session::replies_owed`: what a driver may wait for before reading (a socket's
//! receive low-water mark) without waiting for bytes that will not come.

mod common;

use common::*;
use zk_session::{MultiOp, Request};

#[test]
fn only_requests_written_whole_and_unanswered_are_owed_a_reply() {
    let mut h = connected("127.0.0.1:2181");
    assert_eq!(h.session.replies_owed(usize::MAX), 0);
    h.submit(Request::get_data("/a", false));
    h.submit(Request::get_data("/b", false));
    assert_eq!(h.session.replies_owed(usize::MAX), 0, "nothing written yet");

    let conn = h.session.current_conn().unwrap();
    let out = h.session.send_buf().to_vec();
    let first = 4 + i32::from_be_bytes(out[..4].try_into().unwrap()) as usize;
    h.session.advance_send(conn, first + 1, h.now);
    assert_eq!(
        h.session.replies_owed(usize::MAX),
        1,
        "the second is part-written"
    );
    h.session.advance_send(conn, out.len() - first - 1, h.now);
    assert_eq!(h.session.replies_owed(usize::MAX), 2);
    assert_eq!(h.session.replies_owed(1), 1, "counted up to the cap");

    let xids: Vec<i32> = requests(&h.server.feed(&out)).iter().map(|r| r.0).collect();
    h.deliver(&data_reply(xids[0], 10));
    assert_eq!(
        h.session.replies_owed(usize::MAX),
        1,
        "the first is answered"
    );
}

#[test]
fn a_locally_answered_request_is_owed_nothing() {
    let mut h = connected("127.0.0.1:2181");
    h.submit(Request::get_data("/a", false));
    // An empty multi is answered here, after the read before it.
    h.submit(Request::Multi(Vec::<MultiOp>::new()));
    flush_silently(&mut h);
    assert_eq!(h.session.outstanding(), 2);
    assert_eq!(h.session.replies_owed(usize::MAX), 1);
}

#[test]
fn once_a_local_request_is_answered_the_reads_after_it_are_still_owed() {
    let mut h = connected("127.0.0.1:2181");
    h.submit(Request::get_data("/a", false));
    h.submit(Request::Multi(Vec::<MultiOp>::new()));
    h.submit(Request::get_data("/b", false));
    let frames = flush_silently(&mut h);
    assert_eq!(h.session.replies_owed(usize::MAX), 2);

    let xids: Vec<i32> = requests(&frames).iter().map(|r| r.0).collect();
    h.deliver(&data_reply(xids[0], 10));
    assert_eq!(
        h.session.outstanding(),
        1,
        "the empty multi went with the read"
    );
    assert_eq!(h.session.replies_owed(usize::MAX), 1);
}
