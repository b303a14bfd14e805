//! Golden frames captured from a live Debian ZooKeeper 3.8.0 (see `golden/README.md`):
//! zk-proto decodes what a real server sent, and encodes requests exactly as captured.

use std::path::Path;

use bytes::{Bytes, BytesMut};
use zk_proto::*;
use zk_test_support::golden::{
    CONNECT_REPLIES, FIXTURE_DIR, REPLIES, auth_failure_request, fixture, fixture_names,
    main_session_requests,
};

/// Every fixture, in capture order. A new fixture must be added here (and checked below).
const FIXTURES: [&str; 29] = [
    "01_connect_request",
    "02_connect_reply",
    "03_create_request",
    "04_create_reply",
    "05_create2_request",
    "06_create2_reply",
    "07_get_data_request",
    "08_get_data_reply",
    "09_get_children2_request",
    "10_get_children2_reply",
    "11_set_data_request",
    "12_notification",
    "13_set_data_reply",
    "14_delete_request",
    "15_delete_reply",
    "16_exists_missing_request",
    "17_exists_missing_reply",
    "18_multi_request",
    "19_multi_reply",
    "20_multi_failing_request",
    "21_multi_failing_reply",
    "22_ping_request",
    "23_ping_reply",
    "24_close_session_request",
    "25_close_session_reply",
    "26_connect_without_read_only_request",
    "27_connect_without_read_only_reply",
    "28_auth_failed_request",
    "29_auth_failed_reply",
];

/// The payload of a fixture, after checking that its length prefix covers exactly the
/// rest of the frame.
fn payload(name: &str) -> Bytes {
    let frame = fixture(name);
    let mut decoder = FrameDecoder::new();
    decoder.extend_from_slice(&frame);
    let payload = decoder
        .decode()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: an incomplete frame"));
    assert_eq!(decoder.buffered_len(), 0, "{name}: bytes after the frame");
    payload
}

/// A reply to a request of `op`, checking that zk-proto read every byte the server sent.
fn reply(name: &str, op: OpCode) -> (ReplyHeader, Option<WireResponse>) {
    let payload = payload(name);
    let (header, body) =
        decode_reply(payload.clone(), op).unwrap_or_else(|e| panic!("{name}: {e}"));
    let body_len = body.as_ref().map_or(0, Encode::encoded_len);
    assert_eq!(
        ReplyHeader::LEN + body_len,
        payload.len(),
        "{name}: bytes left unread"
    );
    (header, body)
}

fn ok_reply(name: &str, op: OpCode, xid: i32) -> (i64, WireResponse) {
    let (header, body) = reply(name, op);
    assert_eq!((header.xid, header.err), (xid, ErrorCode::Ok), "{name}");
    (
        header.zxid,
        body.unwrap_or_else(|| panic!("{name}: no body")),
    )
}

fn connect_reply(name: &str) -> (usize, ConnectResponse) {
    let payload = payload(name);
    let response = ConnectResponse::decode_bytes(payload.clone()).unwrap();
    assert_eq!(
        response.encoded_len(),
        payload.len(),
        "{name}: bytes left unread"
    );
    (payload.len(), response)
}

#[test]
fn fixture_dir_holds_exactly_the_checked_frames_each_whole() {
    assert_eq!(fixture_names(Path::new(FIXTURE_DIR)), FIXTURES);
    for name in FIXTURES {
        payload(name);
        let text =
            std::fs::read_to_string(Path::new(FIXTURE_DIR).join(format!("{name}.hex"))).unwrap();
        let direction = text.lines().next().unwrap_or_default();
        let expected = if name.ends_with("_request") {
            "# client -> server"
        } else {
            "# server -> client"
        };
        assert_eq!(direction, expected, "{name}: first comment line");
    }
}

#[test]
fn requests_encoded_today_match_the_captured_bytes() {
    let mut connect = BytesMut::new();
    encode_frame(&ConnectRequest::new_session(30_000, false), &mut connect);
    assert_eq!(
        &connect[..],
        fixture("01_connect_request"),
        "01_connect_request"
    );

    // The old-client handshake is zk-proto's 45-byte request without its last byte.
    let mut full = BytesMut::new();
    encode_frame(&ConnectRequest::new_session(1_000, false), &mut full);
    let old = fixture("26_connect_without_read_only_request");
    assert_eq!(
        (&old[..4], &old[4..]),
        (&44i32.to_be_bytes()[..], &full[4..48])
    );
    let decoded = ConnectRequest::decode_bytes(payload("26_connect_without_read_only_request"));
    assert_eq!(decoded.unwrap(), ConnectRequest::new_session(1_000, false));

    let mut checked = vec!["01_connect_request", "26_connect_without_read_only_request"];
    for scripted in main_session_requests()
        .into_iter()
        .chain([auth_failure_request()])
    {
        let (name, xid, request) = (
            request_fixture(scripted.slug),
            scripted.xid,
            scripted.request,
        );
        let mut out = BytesMut::new();
        request.encode_frame(request.fixed_xid().unwrap_or(xid), &mut out);
        assert_eq!(&out[..], fixture(name), "{name}");
        let (header, decoded) = WireRequest::decode_frame(payload(name)).unwrap();
        assert_eq!(
            (header.xid, header.op, decoded),
            (xid, request.op_code(), request),
            "{name}"
        );
        checked.push(name);
    }
    checked.sort();
    let captured: Vec<&str> = FIXTURES
        .into_iter()
        .filter(|name| name.ends_with("_request"))
        .collect();
    assert_eq!(checked, captured, "every captured request is checked once");
}

/// The fixture of the scripted request `slug`: `NN_<slug>_request`.
fn request_fixture(slug: &str) -> &'static str {
    let stem = format!("{slug}_request");
    let mut found = FIXTURES.into_iter().filter(|name| name[3..] == stem);
    let name = found
        .next()
        .unwrap_or_else(|| panic!("no fixture for the {slug} request"));
    assert_eq!(found.next(), None, "two fixtures for the {slug} request");
    name
}

#[test]
fn connect_reply_is_37_bytes_with_the_read_only_byte_and_36_without() {
    let (len, with) = connect_reply("02_connect_reply");
    assert_eq!(len, 37);
    assert_eq!(with.protocol_version, 0);
    assert_eq!(with.timeout, 30_000, "asked 30000 ms, within [4000, 40000]");
    assert_ne!(with.session_id, 0);
    assert_eq!(with.passwd.len(), PASSWORD_LEN);
    assert_eq!(with.read_only, Some(false));
    assert!(!with.is_expired());

    let (len, without) = connect_reply("27_connect_without_read_only_reply");
    assert_eq!(len, 36);
    assert_eq!(
        without.timeout, 4_000,
        "1000 ms raised to 2 x tickTime 2000"
    );
    assert_eq!(without.read_only, None);
    assert!(!without.is_read_only());
    assert_eq!(without.passwd.len(), PASSWORD_LEN);
    assert_ne!(without.session_id, 0);
    assert_ne!(without.session_id, with.session_id);
}

#[test]
fn create_reply_names_the_created_path() {
    let (_, body) = ok_reply("04_create_reply", OpCode::Create, 1);
    assert_eq!(
        body,
        WireResponse::Create(CreateResponse {
            path: "/golden".into()
        })
    );
}

#[test]
fn create2_reply_carries_the_new_nodes_stat() {
    let (zxid, body) = ok_reply("06_create2_reply", OpCode::Create2, 2);
    let WireResponse::Create2(Create2Response { path, stat }) = body else {
        panic!("{body:?}");
    };
    assert_eq!(path, "/golden/c2");
    assert_eq!((stat.czxid, stat.mzxid, stat.pzxid), (zxid, zxid, zxid));
    assert_eq!(stat.ctime, stat.mtime);
    assert!(stat.ctime > 0);
    assert_eq!((stat.version, stat.cversion, stat.aversion), (0, 0, 0));
    assert_eq!(stat.ephemeral_owner, 0);
    assert_eq!((stat.data_length, stat.num_children), (2, 0));
}

#[test]
fn get_data_returns_the_created_data_and_a_stat_that_counts_the_child() {
    let (create_zxid, _) = ok_reply("04_create_reply", OpCode::Create, 1);
    let (create2_zxid, _) = ok_reply("06_create2_reply", OpCode::Create2, 2);
    let (zxid, body) = ok_reply("08_get_data_reply", OpCode::GetData, 3);
    assert_eq!(
        zxid, create2_zxid,
        "a read carries the last zxid and uses none"
    );
    let WireResponse::GetData(GetDataResponse { data, stat }) = body else {
        panic!("{body:?}");
    };
    assert_eq!(&data[..], b"golden");
    assert_eq!((stat.czxid, stat.mzxid), (create_zxid, create_zxid));
    assert_eq!(
        stat.pzxid, create2_zxid,
        "the child's create changed the child list"
    );
    assert_eq!((stat.version, stat.cversion, stat.aversion), (0, 1, 0));
    assert_eq!(
        (stat.data_length, stat.num_children, stat.ephemeral_owner),
        (6, 1, 0)
    );
}

#[test]
fn get_children2_lists_the_child_and_the_parents_stat() {
    let (_, data) = ok_reply("08_get_data_reply", OpCode::GetData, 3);
    let (_, body) = ok_reply("10_get_children2_reply", OpCode::GetChildren2, 4);
    let WireResponse::GetChildren2(GetChildren2Response { children, stat }) = body else {
        panic!("{body:?}");
    };
    assert_eq!(children, ["c2"], "names are relative");
    let WireResponse::GetData(data) = data else {
        unreachable!()
    };
    assert_eq!(stat, data.stat, "nothing changed /golden in between");
}

#[test]
fn set_data_notification_arrives_before_its_reply() {
    // Capture order is the arrival order: 12 came off the socket before 13.
    let (header, event) = decode_notification(payload("12_notification")).unwrap();
    assert_eq!(
        header,
        ReplyHeader {
            xid: xid::NOTIFICATION,
            zxid: -1,
            err: ErrorCode::Ok
        },
        "before 3.9 a notification's zxid is -1"
    );
    assert_eq!(
        event,
        WatcherEvent {
            event_type: EventType::NodeDataChanged,
            state: KeeperState::SyncConnected,
            path: "/golden".into(),
        }
    );
    let notification = payload("12_notification");
    assert_eq!(notification.len(), ReplyHeader::LEN + event.encoded_len());
    match Reply::decode(notification, |h| panic!("op asked for xid {}", h.xid)).unwrap() {
        Reply::Notification { event: routed, .. } => assert_eq!(routed, event),
        other => panic!("{other:?}"),
    }

    let (create_zxid, _) = ok_reply("04_create_reply", OpCode::Create, 1);
    let (create2_zxid, _) = ok_reply("06_create2_reply", OpCode::Create2, 2);
    let (zxid, body) = ok_reply("13_set_data_reply", OpCode::SetData, 5);
    assert!(zxid > create2_zxid);
    let WireResponse::SetData(SetDataResponse { stat }) = body else {
        panic!("{body:?}");
    };
    assert_eq!(
        (stat.czxid, stat.mzxid, stat.pzxid),
        (create_zxid, zxid, create2_zxid)
    );
    assert!(stat.mtime >= stat.ctime);
    assert_eq!(
        (
            stat.version,
            stat.cversion,
            stat.data_length,
            stat.num_children
        ),
        (1, 1, 9, 1)
    );
}

#[test]
fn delete_reply_is_a_bare_header() {
    let (set_data_zxid, _) = ok_reply("13_set_data_reply", OpCode::SetData, 5);
    let (zxid, body) = ok_reply("15_delete_reply", OpCode::Delete, 6);
    assert_eq!(body, WireResponse::Empty);
    assert!(zxid > set_data_zxid);
    assert_eq!(payload("15_delete_reply").len(), ReplyHeader::LEN);
}

#[test]
fn exists_on_a_missing_node_is_nonode_with_no_body() {
    let (delete_zxid, _) = ok_reply("15_delete_reply", OpCode::Delete, 6);
    let (header, body) = reply("17_exists_missing_reply", OpCode::Exists);
    assert_eq!(
        header,
        ReplyHeader {
            xid: 7,
            zxid: delete_zxid,
            err: ErrorCode::NoNode
        }
    );
    assert_eq!(body, None);
    assert_eq!(payload("17_exists_missing_reply").len(), ReplyHeader::LEN);
}

#[test]
fn successful_multi_answers_each_op_by_its_own_type() {
    let (delete_zxid, _) = ok_reply("15_delete_reply", OpCode::Delete, 6);
    let (zxid, body) = ok_reply("19_multi_reply", OpCode::Multi, 8);
    assert_eq!(zxid, delete_zxid + 1, "the whole transaction is one zxid");
    let WireResponse::Multi(multi) = body else {
        panic!("{body:?}");
    };
    let [create, set_data, check] = &multi.results[..] else {
        panic!("{multi:?}");
    };
    // The sub-op was a create2 (15); servers before 3.9 answer it as a plain create
    // (type 1, path only: ZOOKEEPER-4026), so results must be read by their own type.
    assert_eq!(
        create,
        &MultiResult::Create(CreateResponse {
            path: "/golden/m1".into()
        })
    );
    let MultiResult::SetData(set_data) = set_data else {
        panic!("{set_data:?}");
    };
    let SetDataResponse { stat } = &**set_data;
    assert_eq!((stat.czxid, stat.mzxid, stat.pzxid), (zxid, zxid, zxid));
    assert_eq!(
        (stat.version, stat.data_length, stat.num_children),
        (1, 5, 0)
    );
    assert_eq!(check, &MultiResult::Check);
    assert_eq!(multi.first_error(), None);
    assert!(!multi.is_failed_transaction());
}

#[test]
fn failed_multi_reports_ok_then_the_cause_then_runtime_inconsistency() {
    let (multi_zxid, _) = ok_reply("19_multi_reply", OpCode::Multi, 8);
    let (zxid, body) = ok_reply("21_multi_failing_reply", OpCode::Multi, 9);
    assert_eq!(
        zxid,
        multi_zxid + 1,
        "a failed transaction still uses a zxid"
    );
    let WireResponse::Multi(multi) = body else {
        panic!("{body:?}");
    };
    assert_eq!(
        multi.results,
        [
            MultiResult::Error(ErrorCode::Ok),
            MultiResult::Error(ErrorCode::NoNode),
            MultiResult::Error(ErrorCode::RuntimeInconsistency),
        ]
    );
    assert!(multi.is_failed_transaction());
    assert_eq!(multi.first_error(), Some((1, ErrorCode::NoNode)));
}

#[test]
fn ping_reply_is_xid_minus_2_with_the_last_zxid_and_no_body() {
    let (failed_multi_zxid, _) = ok_reply("21_multi_failing_reply", OpCode::Multi, 9);
    let (zxid, body) = ok_reply("23_ping_reply", OpCode::Ping, xid::PING);
    assert_eq!(zxid, failed_multi_zxid);
    assert_eq!(body, WireResponse::Empty);
    assert_eq!(payload("23_ping_reply").len(), ReplyHeader::LEN);
}

#[test]
fn close_session_reply_is_a_bare_header_with_a_new_zxid() {
    let (ping_zxid, _) = ok_reply("23_ping_reply", OpCode::Ping, xid::PING);
    let (zxid, body) = ok_reply("25_close_session_reply", OpCode::CloseSession, 10);
    assert_eq!(zxid, ping_zxid + 1, "closing the session is a transaction");
    assert_eq!(body, WireResponse::Empty);
}

#[test]
fn auth_failure_reply_is_xid_minus_4_authfailed_with_zxid_0() {
    let (header, body) = reply("29_auth_failed_reply", OpCode::Auth);
    assert_eq!(
        header,
        ReplyHeader {
            xid: xid::AUTH,
            zxid: 0,
            err: ErrorCode::AuthFailed
        }
    );
    assert_eq!(body, None);
    assert_eq!(payload("29_auth_failed_reply").len(), ReplyHeader::LEN);
}

#[test]
fn zk_proto_re_encodes_every_server_frame_to_the_captured_bytes() {
    // What a fake server built on zk-proto sends is byte for byte what the real one did.
    for name in CONNECT_REPLIES {
        let (_, response) = connect_reply(name);
        let mut out = BytesMut::new();
        encode_frame(&response, &mut out);
        assert_eq!(&out[..], fixture(name), "{name}");
    }
    let (header, event) = decode_notification(payload("12_notification")).unwrap();
    let mut out = BytesMut::new();
    encode_frame_with_header(&header, &event, &mut out);
    assert_eq!(&out[..], fixture("12_notification"));

    // every other server frame answers a request
    for (name, op) in REPLIES
        .into_iter()
        .filter(|&(_, op)| op != OpCode::Notification)
    {
        let (header, body) = reply(name, op);
        let mut out = BytesMut::new();
        WireResponse::encode_frame(&header, body.as_ref(), &mut out);
        assert_eq!(&out[..], fixture(name), "{name}");
    }
}
