//! Scenario tests for reading straight into the session's receive buffer, the
//! registration reported on replies, checkWatches, and persistent watcher types on
//! servers older than 3.9.

mod common;

use bytes::Bytes;
use zk_proto::{ErrorCode, EventType, GetDataResponse, Stat};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{
    Event, Registration, Request, RequestError, RequestId, Response, SubmitError, WatchKind,
    WatcherType,
};

use common::{
    HarnessExt, add_watch, add_watch_reply, children_reply, connected,
    connected_with_persistent_types, reg, remove_watches,
};

/// A getData reply carrying `data`.
fn reply_with_data(xid: i32, data: Bytes) -> Vec<u8> {
    FakeServer::ok(
        xid,
        1,
        &zk_proto::WireResponse::GetData(GetDataResponse {
            data,
            stat: Stat::default(),
        }),
    )
}

/// The single reply among `events`: (id, result, registration).
fn reply(
    events: &[Event],
) -> (
    RequestId,
    Result<Response, RequestError>,
    Option<Registration>,
) {
    let mut found = events.iter().filter_map(|e| match e {
        Event::Reply {
            id,
            result,
            registration,
        } => Some((*id, result.clone(), registration.clone())),
        _ => None,
    });
    let one = found.next().expect("a reply");
    assert!(found.next().is_none(), "one reply: {events:?}");
    one
}

// ----- one copy per read -------------------------------------------------------------

#[test]
fn a_large_reply_is_read_in_place() {
    let mut h = connected("a");
    let (id, sent) = h.submit_and_flush(Request::get_data("/big", false));
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let wire = reply_with_data(sent.xid(), Bytes::from(payload.clone()));
    // a socket that hands out up to 64 KiB per read
    let reads = h.deliver_direct(&wire, 64 * 1024);
    let (got, result, registration) = reply(&h.take_events());
    assert_eq!(got, id);
    assert_eq!(registration, None);
    let Ok(Response::GetData { data, .. }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(data, payload);
    // Where did each byte of the payload get written? Every read after the first wrote
    // straight into the frame the payload is a slice of; only what came with the length
    // prefix (the first read, at most 16 KiB) was moved once when room for the whole
    // frame was reserved.
    let start = data.as_ptr() as usize;
    let end = start + data.len();
    let in_place: usize = reads
        .iter()
        .map(|&(at, n)| (at + n).min(end).saturating_sub(at.max(start)))
        .sum();
    let moved = data.len() - in_place;
    assert!(moved <= 16 * 1024, "moved {moved} bytes");
    assert_eq!(reads[0].1, 16 * 1024, "first read: the 16 KiB chunk");
    // (the frame ends with the node's Stat, 68 bytes after the payload)
    assert!(
        reads[1..]
            .iter()
            .all(|&(at, n)| at >= start && at + n <= end + 68),
        "every later read lands in the frame, right where the payload is"
    );
    // the reads stop at the frame's end: nothing of a next frame is read with it
    assert_eq!(reads.iter().map(|r| r.1).sum::<usize>(), wire.len());
}

#[test]
fn small_replies_share_reads_and_handle_bytes_still_works() {
    let mut h = connected("a");
    let ids: Vec<RequestId> = (0..50)
        .map(|_| h.submit(Request::get_data("/s", false)))
        .collect();
    let f = h.flush();
    let mut wire = Vec::new();
    for frame in &f {
        wire.extend(reply_with_data(frame.xid(), Bytes::from_static(&[7; 100])));
    }
    // 50 replies of 100 bytes (192 on the wire): one 16 KiB read takes them all
    let conn = h.conn.unwrap();
    let reads = h.deliver_direct(&wire, usize::MAX);
    assert_eq!(reads.len(), 1);
    let done: Vec<RequestId> = h
        .take_events()
        .iter()
        .filter_map(|e| match e {
            Event::Reply {
                id, result: Ok(_), ..
            } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(done, ids);
    // space handed out but never filled is discarded by handle_bytes
    let (id, sent) = h.submit_and_flush(Request::get_data("/s", false));
    assert!(h.session.recv_buf(conn).is_some());
    h.deliver(&reply_with_data(sent.xid(), Bytes::from_static(b"ok")));
    let (got, result, _) = reply(&h.take_events());
    assert_eq!(got, id);
    assert!(matches!(result, Ok(Response::GetData { data, .. }) if data == "ok"));
    // a stale connection gets no space; a report without space is ignored
    h.server_close();
    assert!(h.session.recv_buf(conn).is_none());
    h.session.handle_received(conn, 10, h.now);
}

#[test]
fn split_reads_of_a_frame_and_a_repeated_recv_buf() {
    let mut h = connected("a");
    let (id, sent) = h.submit_and_flush(Request::get_data("/x", false));
    let conn = h.conn.unwrap();
    // recv_buf twice without a read in between hands out the same space
    let first = h.session.recv_buf(conn).unwrap().as_ptr();
    let again = h.session.recv_buf(conn).unwrap().as_ptr();
    assert_eq!(first, again);
    let wire = reply_with_data(sent.xid(), Bytes::from(vec![3u8; 40_000]));
    // one byte at a time for the prefix, then the rest
    let reads = h.deliver_direct(&wire[..3], 1);
    assert_eq!(reads.len(), 3);
    h.deliver_direct(&wire[3..], 5000);
    let (got, result, _) = reply(&h.take_events());
    assert_eq!(got, id);
    assert!(matches!(result, Ok(Response::GetData { data, .. }) if data.len() == 40_000));
}

#[test]
fn the_rest_of_a_large_reply_is_handed_out_whole_for_one_read() {
    let mut h = connected("a");
    let (id, sent) = h.submit_and_flush(Request::get_data("/big", false));
    let wire = reply_with_data(sent.xid(), Bytes::from(vec![9u8; 1_000_000]));
    // A socket holding the whole reply (as a driver's receive low-water mark has it
    // wait for): the first read takes 16 KiB with the length, the second the rest.
    let reads = h.deliver_direct(&wire, usize::MAX);
    assert_eq!(reads.len(), 2, "{reads:?}");
    let (got, result, _) = reply(&h.take_events());
    assert_eq!(got, id);
    assert!(matches!(result, Ok(Response::GetData { data, .. }) if data.len() == 1_000_000));
}

#[test]
fn replies_appended_to_the_receive_buffer_are_processed_as_read() {
    let mut h = connected("a");
    let conn = h.conn.unwrap();
    let (small, sent_small) = h.submit_and_flush(Request::get_data("/s", false));
    let (large, sent_large) = h.submit_and_flush(Request::get_data("/l", false));
    let mut wire = reply_with_data(sent_small.xid(), Bytes::from_static(b"ok"));
    wire.extend(reply_with_data(
        sent_large.xid(),
        Bytes::from(vec![5u8; 1_000_000]),
    ));
    // Odd read sizes: a frame's prefix and body split anywhere.
    let wants = h.deliver_appended(&wire, 7_777);
    assert!(
        wants.iter().all(|&w| w > 0 && w <= 1024 * 1024),
        "{wants:?}"
    );
    let events = h.take_events();
    let replies: Vec<(RequestId, usize)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Reply {
                id,
                result: Ok(Response::GetData { data, .. }),
                ..
            } => Some((*id, data.len())),
            _ => None,
        })
        .collect();
    assert_eq!(replies, [(small, 2), (large, 1_000_000)]);
    // Mixed with the zero-filled space of recv_buf, and refused once stale.
    let (id, sent) = h.submit_and_flush(Request::get_data("/m", false));
    let wire = reply_with_data(sent.xid(), Bytes::from_static(b"mixed"));
    h.deliver_direct(&wire[..10], usize::MAX);
    h.deliver_appended(&wire[10..], usize::MAX);
    let (got, result, _) = reply(&h.take_events());
    assert_eq!(got, id);
    assert!(matches!(result, Ok(Response::GetData { data, .. }) if data == "mixed"));
    h.server_close();
    assert!(h.session.recv_buffer(conn).is_none());
    h.session.handle_appended(conn, h.now);
}

// ----- registrations on replies ------------------------------------------------------

#[test]
fn watching_replies_carry_their_registration() {
    let mut h = connected("a");
    // getData with a watch
    let (d, sent) = h.submit_and_flush(Request::get_data("/d", true));
    h.deliver(&reply_with_data(sent.xid(), Bytes::new()));
    let (_, _, r) = reply(&h.take_events());
    assert_eq!(r, Some(reg(d, WatchKind::Data, "/d")));
    assert_eq!(h.session.registration(d), r.as_ref());
    // exists on a missing node: an exist watch
    let (e, sent) = h.submit_and_flush(Request::exists("/e", true));
    h.deliver(&FakeServer::reply(sent.xid(), 2, ErrorCode::NoNode, None));
    let (_, result, r) = reply(&h.take_events());
    assert_eq!(result, Ok(Response::Exists(None)));
    assert_eq!(r, Some(reg(e, WatchKind::Exist, "/e")));
    // getChildren, addWatch
    let c = h.submit(Request::get_children("/c", true));
    let p = h.submit(add_watch("/p", true));
    let f = h.flush();
    let mut wire = children_reply(f[0].xid(), 3);
    wire.extend(add_watch_reply(f[1].xid(), 4));
    h.deliver(&wire);
    let regs: Vec<Option<Registration>> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Reply { registration, .. } => Some(registration),
            _ => None,
        })
        .collect();
    assert_eq!(
        regs,
        [
            Some(reg(c, WatchKind::Child, "/c")),
            Some(reg(p, WatchKind::PersistentRecursive, "/p"))
        ]
    );
    let mut live: Vec<Registration> = h.session.watches().cloned().collect();
    live.sort_by_key(|r| r.id);
    assert_eq!(live.len(), 4);
    assert_eq!(live[3], reg(p, WatchKind::PersistentRecursive, "/p"));
    // a failed watching request and a plain one register nothing
    let (bad, sent) = h.submit_and_flush(Request::get_data("/gone", true));
    h.deliver(&FakeServer::reply(sent.xid(), 5, ErrorCode::NoNode, None));
    let (got, _, r) = reply(&h.take_events());
    assert_eq!((got, r), (bad, None));
    assert_eq!(h.session.registration(bad), None);
    // a one-shot that fired is gone; its event names it with its path
    h.notify(EventType::NodeDataChanged, "/d", 6);
    assert!(matches!(h.events.last(), Some(Event::Watch(w))
        if w.registrations == [reg(d, WatchKind::Data, "/d")]));
    assert_eq!(h.session.registration(d), None);
    assert_eq!(h.session.watches().count(), 3);
}

// ----- checkWatches ------------------------------------------------------------------

#[test]
fn check_watches_asks_the_server_and_keeps_the_registration() {
    let mut h = connected("a");
    let (d, sent) = h.submit_and_flush(Request::get_data("/w", true));
    h.deliver(&reply_with_data(sent.xid(), Bytes::new()));
    h.take_events();
    let check = |h: &mut Harness, t: WatcherType, answer: ErrorCode| {
        let (id, sent) = h.submit_and_flush(Request::CheckWatches {
            path: "/w".into(),
            watcher_type: t,
        });
        let wire_type = match sent.request() {
            zk_proto::WireRequest::CheckWatches(c) => {
                assert_eq!(c.path, "/w");
                c.watcher_type.to_i32()
            }
            other => panic!("{other:?}"),
        };
        h.deliver(&FakeServer::reply(sent.xid(), 0, answer, None));
        let events = h.take_events();
        assert_eq!(events.len(), 1, "no removal event: {events:?}");
        let (got, result, _) = reply(&events);
        assert_eq!(got, id);
        (wire_type, result)
    };
    assert_eq!(
        check(&mut h, WatcherType::Data, ErrorCode::Ok),
        (2, Ok(Response::CheckWatches))
    );
    assert_eq!(
        check(&mut h, WatcherType::Children, ErrorCode::NoWatcher),
        (
            1,
            Err(RequestError::Server {
                code: ErrorCode::NoWatcher,
                path: Some("/w".to_string()),
                chroot: None
            })
        )
    );
    // a persistent type goes out as Any by default
    assert_eq!(
        check(&mut h, WatcherType::Persistent, ErrorCode::NoWatcher).0,
        3
    );
    // nothing was removed here
    assert_eq!(
        h.session.registration(d),
        Some(&reg(d, WatchKind::Data, "/w"))
    );
    // with persistent types on (3.9+ servers) the type goes out as it is
    let mut h = connected_with_persistent_types("a");
    assert_eq!(
        check(
            &mut h,
            WatcherType::PersistentRecursive,
            ErrorCode::NoWatcher
        )
        .0,
        5
    );
}

// ----- persistent watcher types and pre-3.9 servers ------------------------------------

/// A data watch and a persistent watch on /n.
fn with_watches(mut h: Harness) -> (Harness, RequestId, RequestId) {
    let d = h.submit(Request::get_data("/n", true));
    let p = h.submit(add_watch("/n", false));
    let f = h.flush();
    let mut wire = reply_with_data(f[0].xid(), Bytes::new());
    wire.extend(add_watch_reply(f[1].xid(), 2));
    h.deliver(&wire);
    h.take_events();
    (h, d, p)
}

fn remove(
    h: &mut Harness,
    t: WatcherType,
    one: Option<RequestId>,
) -> (zk_proto::WireRequest, Vec<Event>) {
    let (_, sent) = h.submit_and_flush(remove_watches("/n", t, one, false));
    h.deliver(&FakeServer::reply(sent.xid(), 3, ErrorCode::Ok, None));
    (sent.request().clone(), h.take_events())
}

fn removed(events: &[Event]) -> Vec<(EventType, Vec<Registration>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Watch(w) => Some((w.event_type, w.registrations.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn removing_all_persistent_watches_on_an_old_server_sends_any_and_drops_the_path() {
    let (mut h, d, p) = with_watches(connected("a"));
    let (sent, events) = remove(&mut h, WatcherType::Persistent, None);
    assert!(
        matches!(&sent, zk_proto::WireRequest::RemoveWatches(r) if r.watcher_type.to_i32() == 3),
        "{sent:?}"
    );
    // the server dropped every watch of the session on /n; so does the session
    assert_eq!(
        removed(&events),
        [
            (
                EventType::DataWatchRemoved,
                vec![reg(d, WatchKind::Data, "/n")]
            ),
            (
                EventType::PersistentWatchRemoved,
                vec![reg(p, WatchKind::Persistent, "/n")]
            ),
        ]
    );
    assert_eq!(h.session.watches().count(), 0);
}

#[test]
fn removing_one_persistent_watch_on_an_old_server_checks_with_any() {
    let (mut h, d, p) = with_watches(connected("a"));
    let (sent, events) = remove(&mut h, WatcherType::Persistent, Some(p));
    assert!(
        matches!(&sent, zk_proto::WireRequest::CheckWatches(r) if r.watcher_type.to_i32() == 3),
        "{sent:?}"
    );
    assert_eq!(
        removed(&events),
        [(
            EventType::PersistentWatchRemoved,
            vec![reg(p, WatchKind::Persistent, "/n")]
        )]
    );
    assert_eq!(
        h.session.watches().cloned().collect::<Vec<_>>(),
        [reg(d, WatchKind::Data, "/n")]
    );
    // the local check still uses the type asked for
    assert!(matches!(
        h.session.submit(
            remove_watches("/n", WatcherType::PersistentRecursive, None, false),
            h.now
        ),
        Err(SubmitError::NoWatcher { .. })
    ));
}

#[test]
fn with_persistent_types_only_that_kind_is_removed() {
    let (mut h, d, p) = with_watches(connected_with_persistent_types("a"));
    let (sent, events) = remove(&mut h, WatcherType::Persistent, None);
    assert!(
        matches!(&sent, zk_proto::WireRequest::RemoveWatches(r) if r.watcher_type.to_i32() == 4),
        "{sent:?}"
    );
    assert_eq!(
        removed(&events),
        [(
            EventType::PersistentWatchRemoved,
            vec![reg(p, WatchKind::Persistent, "/n")]
        )]
    );
    assert_eq!(
        h.session.watches().cloned().collect::<Vec<_>>(),
        [reg(d, WatchKind::Data, "/n")]
    );
}
