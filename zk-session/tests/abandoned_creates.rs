//! Giving up a create and its node (`Session::abandon_and_delete`): a node made for a
//! value dropped before the answer (a lock's contender) is deleted by the session, so
//! it holds nobody up until the session ends; a node whose create was lost with its
//! connection is looked for, and deleted only when this session owns it.

mod common;

use bytes::Bytes;
use zk_proto::{
    CreateMode, CreateResponse, ErrorCode, ExistsResponse, GetChildrenResponse, WireRequest,
    WireResponse,
};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Request, RequestId, Response};

use common::{HarnessExt, SID, T, config, connected, data_reply, replies, requests, stat};

const CONTENDER: &str = "/locks/_c_0f3a-lock-";

fn contender_create() -> Request {
    Request::create(CONTENDER, Bytes::new(), CreateMode::EphemeralSequential)
}

fn created(xid: i32, path: &str) -> Vec<u8> {
    FakeServer::ok(
        xid,
        10,
        &WireResponse::Create(CreateResponse {
            path: path.to_string(),
        }),
    )
}

fn children(xid: i32, names: &[&str]) -> Vec<u8> {
    FakeServer::ok(
        xid,
        11,
        &WireResponse::GetChildren(GetChildrenResponse {
            children: names.iter().map(|n| n.to_string()).collect(),
        }),
    )
}

fn synced(xid: i32, path: &str) -> Vec<u8> {
    FakeServer::ok(
        xid,
        11,
        &WireResponse::Sync(zk_proto::SyncResponse {
            path: path.to_string(),
        }),
    )
}

fn exists_owned_by(xid: i32, owner: i64, version: i32) -> Vec<u8> {
    let mut s = stat(version);
    s.ephemeral_owner = owner;
    FakeServer::ok(xid, 12, &WireResponse::Exists(ExistsResponse { stat: s }))
}

/// What the session wrote, as (xid, request).
fn written(h: &mut Harness) -> Vec<(i32, WireRequest)> {
    requests(&h.flush())
}

fn is_delete_of(request: &WireRequest, path: &str, version: i32) -> bool {
    matches!(request, WireRequest::Delete(d) if d.path == path && d.version == version)
}

/// A contender's create written, then given up with its node, in flight.
fn contender_given_up(h: &mut Harness) -> (RequestId, i32) {
    let (id, frame) = h.submit_and_flush(contender_create());
    assert!(h.session.abandon_and_delete(id, h.now));
    (id, frame.xid())
}

/// The connection drops and comes back with the same session.
fn reconnect(h: &mut Harness) {
    h.server_close();
    h.establish(T, SID);
}

#[test]
fn a_node_made_by_a_given_up_create_is_deleted_when_its_answer_comes() {
    let mut h = connected("a");
    let (id, xid) = contender_given_up(&mut h);
    h.deliver(&created(xid, "/locks/_c_0f3a-lock-0000000007"));
    let f = written(&mut h);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000007", -1));
    h.deliver(&FakeServer::reply(f[0].0, 13, ErrorCode::Ok, None));
    assert!(
        replies(&h.events).is_empty(),
        "neither the create nor the delete is answered to anyone"
    );
    assert_eq!(h.session.outstanding(), 0);
    assert!(!h.session.abandon(id));
}

#[test]
fn a_given_up_create_not_yet_written_is_never_sent() {
    let mut h = Harness::new(config("a"));
    let id = h.submit(contender_create());
    assert!(h.session.abandon_and_delete(id, h.now));
    h.establish(T, SID);
    assert!(written(&mut h).is_empty());
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_created_reply_taken_back_unread_has_its_node_deleted() {
    let mut h = connected("a");
    let id = h.submit(contender_create());
    let f = common::flush_silently(&mut h);
    common::deliver_silently(
        &mut h,
        &created(f[0].xid(), "/locks/_c_0f3a-lock-0000000003"),
    );
    assert!(h.session.abandon_and_delete(id, h.now));
    let f = written(&mut h);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000003", -1));
    assert!(
        common::drain(&mut h).is_empty(),
        "the create's reply is gone"
    );
}

#[test]
fn a_create_the_server_refused_leaves_nothing_to_delete() {
    let mut h = connected("a");
    let (id, frame) = h.submit_and_flush(contender_create());
    assert!(h.session.abandon_and_delete(id, h.now));
    // The lock's parent is missing.
    h.deliver(&FakeServer::reply(frame.xid(), 10, ErrorCode::NoNode, None));
    assert!(written(&mut h).is_empty());
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_sequential_create_lost_with_its_connection_is_found_by_its_name_and_deleted() {
    let mut h = connected("a");
    let _ = contender_given_up(&mut h);
    reconnect(&mut h);
    let f = written(&mut h);
    assert_eq!(f.len(), 2, "{f:?}");
    // A sync first: this server may lag behind the one that applied the create.
    assert!(matches!(&f[0].1, WireRequest::Sync(s) if s.path == "/locks"));
    assert!(matches!(&f[1].1, WireRequest::GetChildren(g) if g.path == "/locks" && !g.watch));
    h.deliver(&synced(f[0].0, "/locks"));
    h.deliver(&children(
        f[1].0,
        &[
            "_c_77aa-lock-0000000006",
            "_c_0f3a-lock-0000000007",
            "_c_0f3a-lock-",
        ],
    ));
    let f = written(&mut h);
    assert_eq!(f.len(), 1, "only the child named like the create: {f:?}");
    assert!(
        matches!(&f[0].1, WireRequest::Exists(e) if e.path == "/locks/_c_0f3a-lock-0000000007")
    );
    h.deliver(&exists_owned_by(f[0].0, SID, 0));
    let f = written(&mut h);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000007", 0));
    h.deliver(&FakeServer::reply(f[0].0, 13, ErrorCode::Ok, None));
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_node_named_like_the_create_but_owned_by_another_session_is_left_alone() {
    let mut h = connected("a");
    let _ = contender_given_up(&mut h);
    reconnect(&mut h);
    let f = written(&mut h);
    h.deliver(&synced(f[0].0, "/locks"));
    h.deliver(&children(f[1].0, &["_c_0f3a-lock-0000000007"]));
    let f = written(&mut h);
    h.deliver(&exists_owned_by(f[0].0, SID + 1, 0));
    assert!(written(&mut h).is_empty());
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_create_of_a_fixed_name_is_only_given_up_its_node_left_to_its_caller() {
    // A retry, or another session, may create the name again before the answer: a
    // delete then would take that node.
    let mut h = connected("a");
    let (id, frame) = h.submit_and_flush(Request::create(
        "/leader",
        Bytes::new(),
        CreateMode::Ephemeral,
    ));
    assert!(h.session.abandon_and_delete(id, h.now));
    h.deliver(&created(frame.xid(), "/leader"));
    assert!(written(&mut h).is_empty());
    assert!(replies(&h.events).is_empty());
}

#[test]
fn a_persistent_create_lost_with_its_connection_is_left_alone() {
    let mut h = connected("a");
    let (id, _) = h.submit_and_flush(Request::create(
        "/queue/item-",
        Bytes::new(),
        CreateMode::PersistentSequential,
    ));
    assert!(h.session.abandon_and_delete(id, h.now));
    reconnect(&mut h);
    assert!(written(&mut h).is_empty());
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_delete_lost_with_its_connection_is_asked_again() {
    let mut h = connected("a");
    let (_, xid) = contender_given_up(&mut h);
    h.deliver(&created(xid, "/locks/_c_0f3a-lock-0000000007"));
    let f = written(&mut h);
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000007", -1));
    reconnect(&mut h);
    let f = written(&mut h);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000007", -1));
}

#[test]
fn giving_up_any_other_request_with_its_node_is_giving_it_up() {
    let mut h = connected("a");
    let (gave_up, f1) = h.submit_and_flush(Request::get_data("/x", false));
    let (kept, f2) = h.submit_and_flush(Request::get_data("/y", false));
    assert!(h.session.abandon_and_delete(gave_up, h.now));
    h.deliver(&data_reply(f1.xid(), 5));
    h.deliver(&data_reply(f2.xid(), 6));
    assert_eq!(
        replies(&h.events)
            .into_iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        vec![kept]
    );
    assert!(written(&mut h).is_empty());
}

#[test]
fn the_session_s_own_delete_answers_nobody_and_keeps_the_replies_in_step() {
    let mut h = connected("a");
    let (_, xid) = contender_given_up(&mut h);
    h.deliver(&created(xid, "/locks/_c_0f3a-lock-0000000001"));
    let read = h.submit(Request::get_data("/after", false));
    let f = written(&mut h);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000001", -1));
    h.deliver(&FakeServer::reply(f[0].0, 13, ErrorCode::Ok, None));
    h.deliver(&data_reply(f[1].0, 14));
    let got = replies(&h.events);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, read);
    assert!(got[0].1.is_ok());
}

#[test]
fn closing_drops_the_delete_still_to_do_as_the_session_s_end_takes_the_node() {
    let mut h = connected("a");
    let (_, xid) = contender_given_up(&mut h);
    h.session.close(h.now);
    h.deliver(&created(xid, "/locks/_c_0f3a-lock-0000000001"));
    let f = written(&mut h);
    assert!(
        f.iter().all(|(_, r)| !matches!(r, WireRequest::Delete(_))),
        "{f:?}"
    );
}

#[test]
fn a_lost_create_whose_connection_timed_out_is_looked_for_like_a_lost_one() {
    let mut c = config("a");
    c.request_timeout = Some(std::time::Duration::from_secs(5));
    let mut h = Harness::new(c);
    h.establish(T, SID);
    let _ = contender_given_up(&mut h);
    h.advance(std::time::Duration::from_secs(6));
    h.establish(T, SID);
    let f = written(&mut h);
    assert!(
        matches!(&f[..], [(_, WireRequest::Sync(_)), (_, WireRequest::GetChildren(g))] if g.path == "/locks"),
        "{f:?}"
    );
}

#[test]
fn a_driver_holding_a_given_up_create_s_reply_has_the_session_delete_its_node() {
    let mut h = connected("a");
    let (_, frame) = h.submit_and_flush(contender_create());
    h.deliver(&created(frame.xid(), "/locks/_c_0f3a-lock-0000000002"));
    let reply = replies(&h.events)
        .pop()
        .expect("the create's reply")
        .1
        .unwrap();
    assert!(h.session.delete_created(&reply, h.now));
    let f = written(&mut h);
    assert!(is_delete_of(&f[0].1, "/locks/_c_0f3a-lock-0000000002", -1));
    assert!(!h.session.delete_created(&Response::Delete, h.now));
}

/// The reply of `id` the program polled (the harness polls every event).
fn polled_reply(h: &Harness, id: RequestId) -> Result<Response, zk_session::RequestError> {
    replies(&h.events)
        .into_iter()
        .find(|(r, _)| *r == id)
        .expect("the reply was polled")
        .1
}

/// After the reconnect: a sync of `/locks`, its listing naming `child`, the stat of
/// `child` (owned by this session) and its delete.
fn looked_for_and_deleted(h: &mut Harness, child: &str) {
    let f = written(h);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(matches!(&f[0].1, WireRequest::Sync(s) if s.path == "/locks"));
    assert!(matches!(&f[1].1, WireRequest::GetChildren(g) if g.path == "/locks" && !g.watch));
    h.deliver(&synced(f[0].0, "/locks"));
    let name = child.rsplit('/').next().unwrap();
    h.deliver(&children(f[1].0, &["_c_77aa-lock-0000000006", name]));
    let f = written(h);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(matches!(&f[0].1, WireRequest::Exists(e) if e.path == child));
    h.deliver(&exists_owned_by(f[0].0, SID, 0));
    let f = written(h);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(is_delete_of(&f[0].1, child, 0));
    h.deliver(&FakeServer::reply(f[0].0, 13, ErrorCode::Ok, None));
    assert_eq!(h.session.outstanding(), 0);
}

#[test]
fn a_create_lost_with_its_connection_given_up_after_its_reply_was_polled_is_looked_for() {
    // A driver that drains every reply into its own queue (the blocking client)
    // holds the ConnectionLoss when its caller (a dropped lock) gives the create up.
    let mut h = connected("a");
    let (id, _) = h.submit_and_flush(contender_create());
    h.server_close();
    assert!(matches!(
        polled_reply(&h, id),
        Err(zk_session::RequestError::ConnectionLoss)
    ));
    assert!(h.session.abandon_and_delete(id, h.now), "it is looked for");
    h.establish(T, SID);
    looked_for_and_deleted(&mut h, "/locks/_c_0f3a-lock-0000000007");
    assert!(
        !h.session.abandon_and_delete(id, h.now),
        "looked for once: forgotten"
    );
    assert!(written(&mut h).is_empty());
}

#[test]
fn a_create_whose_request_timed_out_given_up_after_its_reply_was_polled_is_looked_for() {
    let mut c = config("a");
    c.request_timeout = Some(std::time::Duration::from_secs(5));
    let mut h = Harness::new(c);
    h.establish(T, SID);
    let (id, _) = h.submit_and_flush(contender_create());
    h.advance(std::time::Duration::from_secs(6));
    assert!(matches!(
        polled_reply(&h, id),
        Err(zk_session::RequestError::RequestTimeout)
    ));
    h.establish(T, SID);
    assert!(written(&mut h).is_empty(), "nothing until it is given up");
    assert!(h.session.abandon_and_delete(id, h.now));
    looked_for_and_deleted(&mut h, "/locks/_c_0f3a-lock-0000000007");
}

#[test]
fn only_the_most_recent_64_lost_creates_are_remembered() {
    let mut h = connected("a");
    let ids: Vec<RequestId> = (0..65)
        .map(|_| h.submit_and_flush(contender_create()).0)
        .collect();
    h.server_close();
    assert_eq!(replies(&h.events).len(), 65);
    assert!(
        !h.session.abandon_and_delete(ids[0], h.now),
        "the oldest is forgotten"
    );
    h.establish(T, SID);
    assert!(written(&mut h).is_empty(), "nothing is looked for");
    assert!(h.session.abandon_and_delete(ids[1], h.now));
    looked_for_and_deleted(&mut h, "/locks/_c_0f3a-lock-0000000008");
}

#[test]
fn a_lost_persistent_create_given_up_after_its_reply_was_polled_is_left_alone() {
    let mut h = connected("a");
    let (id, _) = h.submit_and_flush(Request::create(
        "/queue/item-",
        Bytes::new(),
        CreateMode::PersistentSequential,
    ));
    h.server_close();
    assert!(polled_reply(&h, id).is_err());
    assert!(!h.session.abandon_and_delete(id, h.now));
    h.establish(T, SID);
    assert!(written(&mut h).is_empty());
}

#[test]
fn lost_creates_are_forgotten_when_the_session_ends() {
    let mut h = connected("a");
    let (id, _) = h.submit_and_flush(contender_create());
    h.server_close();
    // The server expired the session meanwhile: its ephemeral nodes went with it.
    h.establish_with(FakeServer::connect_response(0, 0, [0; 16], Some(false)));
    assert_eq!(h.session.state(), zk_session::SessionState::Expired);
    assert!(!h.session.abandon_and_delete(id, h.now));
}

#[test]
fn a_lost_create_s_reply_taken_back_unread_is_looked_for() {
    let mut h = connected("a");
    let id = h.submit(contender_create());
    common::flush_silently(&mut h);
    let conn = h.conn.take().expect("connected");
    h.session
        .handle_disconnected(conn, zk_session::DisconnectCause::Eof, h.now);
    common::pump_transports(&mut h);
    // The ConnectionLoss waits in the session's queue: taken back, unread.
    assert!(h.session.abandon_and_delete(id, h.now));
    assert!(common::drain(&mut h).iter().all(|e| !matches!(
        e,
        zk_session::Event::Reply { id: r, .. } if *r == id
    )));
    h.establish(T, SID);
    looked_for_and_deleted(&mut h, "/locks/_c_0f3a-lock-0000000007");
}
