//! Exact bytes of hand-computed encodings, multi semantics, create modes, and the
//! zero-copy guarantee.

use bytes::{BufMut, Bytes, BytesMut};
use zk_proto::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn connect_request_is_45_bytes_plus_prefix() {
    let req = ConnectRequest::new_session(30_000, false);
    assert_eq!(req.encoded_len(), ConnectRequest::LEN);
    let mut buf = BytesMut::new();
    encode_frame(&req, &mut buf);
    assert_eq!(
        &buf[..],
        &hex(
            "0000002D 00000000 0000000000000000 00007530 0000000000000000
             00000010 00000000000000000000000000000000 00"
        )[..]
    );
    // The 44-byte form without the readOnly byte decodes as read_only = false.
    let short = Bytes::copy_from_slice(&buf[4..48]);
    assert_eq!(ConnectRequest::decode_bytes(short).unwrap(), req);
    let resumed = ConnectRequest {
        last_zxid_seen: 0x1_0000_0005,
        session_id: 0x0100_0000_1234_0001,
        passwd: Bytes::from_static(&[9; 16]),
        read_only: true,
        ..req
    };
    let v = resumed.to_vec();
    assert_eq!(v.len(), 45);
    assert_eq!(v[44], 1);
    assert_eq!(
        ConnectRequest::decode_bytes(Bytes::from(v)).unwrap(),
        resumed
    );
}

#[test]
fn connect_response_36_and_37_bytes() {
    let body36 =
        hex("00000000 00009C40 0100000012340001 00000010 0102030405060708090A0B0C0D0E0F10");
    assert_eq!(body36.len(), 36);
    let r = ConnectResponse::decode_bytes(Bytes::from(body36.clone())).unwrap();
    assert_eq!(r.timeout, 40_000);
    assert_eq!(r.session_id, 0x0100_0000_1234_0001);
    assert_eq!(&r.passwd[..], &hex("0102030405060708090A0B0C0D0E0F10")[..]);
    assert_eq!(r.read_only, None);
    assert!(!r.is_read_only() && !r.is_expired());
    assert_eq!(r.to_vec(), body36);

    let mut body37 = body36.clone();
    body37.push(1);
    let r = ConnectResponse::decode_bytes(Bytes::from(body37.clone())).unwrap();
    assert_eq!(r.read_only, Some(true));
    assert!(r.is_read_only());
    assert_eq!(r.encoded_len(), 37);
    assert_eq!(r.to_vec(), body37);

    // Expired: timeOut 0, session 0, zero password.
    let expired =
        hex("00000000 00000000 0000000000000000 00000010 00000000000000000000000000000000 00");
    assert!(
        ConnectResponse::decode_bytes(Bytes::from(expired))
            .unwrap()
            .is_expired()
    );
}

#[test]
fn ping_and_close_frames() {
    let mut buf = BytesMut::new();
    WireRequest::Ping.encode_frame(WireRequest::Ping.fixed_xid().unwrap(), &mut buf);
    assert_eq!(&buf[..], &hex("00000008 FFFFFFFE 0000000B")[..]);

    let mut buf = BytesMut::new();
    WireRequest::CloseSession.encode_frame(5, &mut buf);
    assert_eq!(&buf[..], &hex("00000008 00000005 FFFFFFF5")[..]);

    let mut buf = BytesMut::new();
    WireRequest::WhoAmI.encode_frame(6, &mut buf);
    assert_eq!(&buf[..], &hex("00000008 00000006 0000006B")[..]);

    // The ping reply: (-2, zxid, 0), no body.
    let reply = hex("FFFFFFFE 0000000000000010 00000000");
    let (h, body) = decode_reply(Bytes::from(reply), OpCode::Ping).unwrap();
    assert_eq!((h.xid, h.zxid, h.err), (xid::PING, 16, ErrorCode::Ok));
    assert_eq!(body, Some(WireResponse::Empty));
}

#[test]
fn get_data_and_create_request_frames() {
    let mut buf = BytesMut::new();
    WireRequest::GetData(GetDataRequest {
        path: "/a".into(),
        watch: true,
    })
    .encode_frame(1, &mut buf);
    assert_eq!(
        &buf[..],
        &hex("0000000F 00000001 00000004 00000002 2F61 01")[..]
    );

    let req = WireRequest::create(
        "/a",
        "x",
        Acl::open_unsafe(),
        CreateMode::Persistent,
        None,
        false,
    )
    .unwrap();
    assert_eq!(req.op_code(), OpCode::Create);
    let body = hex(
        "00000002 2F61 00000001 78 00000001 0000001F 00000005 776F726C64 00000006 616E796F6E65 00000000",
    );
    assert_eq!(req.to_vec(), body);
    assert_eq!(req.encoded_len(), 42);
}

#[test]
fn auth_packet_and_stat_bytes() {
    let req = WireRequest::Auth(Box::new(AuthPacket::new(
        "digest",
        Bytes::from_static(b"u:p"),
    )));
    assert_eq!(req.fixed_xid(), Some(xid::AUTH));
    let mut buf = BytesMut::new();
    req.encode_frame(xid::AUTH, &mut buf);
    assert_eq!(
        &buf[..],
        &hex("0000001D FFFFFFFC 00000064 00000000 00000006 646967657374 00000003 753A70")[..]
    );
    let stat = Stat {
        czxid: 1,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: 5,
        cversion: 6,
        aversion: 7,
        ephemeral_owner: 8,
        data_length: 9,
        num_children: 10,
        pzxid: 11,
    };
    let v = stat.to_vec();
    assert_eq!(v.len(), Stat::LEN);
    assert_eq!(
        v,
        hex(
            "0000000000000001 0000000000000002 0000000000000003 0000000000000004
             00000005 00000006 00000007 0000000000000008 00000009 0000000A 000000000000000B"
        )
    );
}

#[test]
fn notification_frame() {
    let f = hex("FFFFFFFF FFFFFFFFFFFFFFFF 00000000 00000003 00000003 00000002 2F61");
    let (h, e) = decode_notification(Bytes::from(f)).unwrap();
    assert_eq!((h.xid, h.zxid), (xid::NOTIFICATION, -1));
    assert_eq!(
        e,
        WatcherEvent {
            event_type: EventType::NodeDataChanged,
            state: KeeperState::SyncConnected,
            path: "/a".into()
        }
    );
}

// ---- multi ----

fn multi_header(b: &mut BytesMut, t: i32, done: bool, err: i32) {
    b.put_i32(t);
    b.put_u8(u8::from(done));
    b.put_i32(err);
}

fn string(b: &mut BytesMut, s: &str) {
    b.put_i32(s.len() as i32);
    b.put_slice(s.as_bytes());
}

#[test]
fn empty_multi() {
    let req = MultiRequest::default();
    assert_eq!(req.to_vec(), hex("FFFFFFFF 01 FFFFFFFF"));
    let resp = MultiResponse::decode_bytes(Bytes::from(hex("FFFFFFFF 01 FFFFFFFF"))).unwrap();
    assert!(resp.results.is_empty());
    assert!(!resp.is_failed_transaction());
    assert_eq!(resp.first_error(), None);
}

#[test]
fn multi_request_bytes() {
    let req = MultiRequest {
        ops: vec![
            MultiOp::Check(CheckVersionRequest {
                path: "/a".into(),
                version: 3,
            }),
            MultiOp::Delete(DeleteRequest {
                path: "/b".into(),
                version: -1,
            }),
        ],
    };
    assert_eq!(
        req.to_vec(),
        hex("0000000D 00 FFFFFFFF 00000002 2F61 00000003
             00000002 00 FFFFFFFF 00000002 2F62 FFFFFFFF
             FFFFFFFF 01 FFFFFFFF")
    );
    assert_eq!(req.encoded_len(), req.to_vec().len());
}

#[test]
fn multi_success_response() {
    let mut b = BytesMut::new();
    multi_header(&mut b, 15, false, 0);
    string(&mut b, "/p/c0000000001");
    Stat {
        czxid: 5,
        ..Stat::default()
    }
    .encode(&mut b);
    multi_header(&mut b, 5, false, 0);
    Stat {
        version: 2,
        ..Stat::default()
    }
    .encode(&mut b);
    multi_header(&mut b, 2, false, 0);
    multi_header(&mut b, 13, false, 0);
    multi_header(&mut b, -1, true, -1);
    let resp = MultiResponse::decode_bytes(b.freeze()).unwrap();
    assert_eq!(resp.results.len(), 4);
    assert_eq!(resp.results[0].created_path(), Some("/p/c0000000001"));
    assert!(matches!(&resp.results[0], MultiResult::Create2(r) if r.stat.czxid == 5));
    assert!(matches!(&resp.results[1], MultiResult::SetData(r) if r.stat.version == 2));
    assert_eq!(resp.results[2], MultiResult::Delete);
    assert_eq!(resp.results[3], MultiResult::Check);
    assert_eq!(resp.first_error(), None);
    assert!(!resp.is_failed_transaction());
}

#[test]
fn multi_failed_transaction_gives_per_op_errors() {
    // create, delete of a missing node, create -> -1/0, -1/-101, -1/-2.
    let mut b = BytesMut::new();
    for err in [0, -101, -2] {
        multi_header(&mut b, -1, false, err);
        b.put_i32(err);
    }
    multi_header(&mut b, -1, true, -1);
    let frame = b.freeze();
    let resp = MultiResponse::decode_bytes(frame.clone()).unwrap();
    assert_eq!(
        resp.results,
        vec![
            MultiResult::Error(ErrorCode::Ok),
            MultiResult::Error(ErrorCode::NoNode),
            MultiResult::Error(ErrorCode::RuntimeInconsistency),
        ]
    );
    assert!(resp.is_failed_transaction());
    assert_eq!(resp.first_error(), Some((1, ErrorCode::NoNode)));
    assert_eq!(resp.to_vec(), frame.to_vec());
}

#[test]
fn multi_create2_answered_with_type_1_on_3_8() {
    // The request asked for create2 (15); a 3.8 server answers type 1 with the path only.
    let mut b = BytesMut::new();
    ReplyHeader {
        xid: 9,
        zxid: 100,
        err: ErrorCode::Ok,
    }
    .encode(&mut b);
    multi_header(&mut b, 1, false, 0);
    string(&mut b, "/x");
    multi_header(&mut b, -1, true, -1);
    let (h, body) = decode_reply(b.freeze(), OpCode::Multi).unwrap();
    assert_eq!(h.xid, 9);
    let Some(WireResponse::Multi(m)) = body else {
        panic!("{body:?}")
    };
    assert_eq!(
        m.results,
        vec![MultiResult::Create(CreateResponse { path: "/x".into() })]
    );
}

#[test]
fn multi_read_results_are_independent() {
    let mut b = BytesMut::new();
    multi_header(&mut b, 4, false, 0);
    b.put_i32(2);
    b.put_slice(b"hi");
    Stat::default().encode(&mut b);
    multi_header(&mut b, -1, false, -101);
    b.put_i32(-101);
    multi_header(&mut b, 8, false, 0);
    b.put_i32(1);
    string(&mut b, "c");
    multi_header(&mut b, -1, true, -1);
    let (_, body) = {
        let mut f = BytesMut::new();
        ReplyHeader {
            xid: 1,
            zxid: 1,
            err: ErrorCode::Ok,
        }
        .encode(&mut f);
        f.put_slice(&b);
        decode_reply(f.freeze(), OpCode::MultiRead).unwrap()
    };
    let Some(WireResponse::Multi(m)) = body else {
        panic!()
    };
    assert!(matches!(&m.results[0], MultiResult::GetData(r) if &r.data[..] == b"hi"));
    assert_eq!(m.results[1].error(), Some(ErrorCode::NoNode));
    assert!(matches!(&m.results[2], MultiResult::GetChildren(r) if r.children == ["c"]));
    assert!(!m.is_failed_transaction());
}

// ---- create modes ----

#[test]
fn create_modes_and_ttl_rules() {
    use CreateMode::*;
    let flags: Vec<i32> = CreateMode::KNOWN.iter().map(|m| m.to_i32()).collect();
    assert_eq!(flags, [0, 1, 2, 3, 4, 5, 6]);
    assert!(EphemeralSequential.is_sequential() && EphemeralSequential.is_ephemeral());
    assert!(PersistentSequentialWithTtl.is_sequential() && PersistentSequentialWithTtl.is_ttl());
    assert!(Container.is_container() && !Container.is_ephemeral());
    assert_eq!(Persistent.op_code(false), OpCode::Create);
    assert_eq!(Ephemeral.op_code(true), OpCode::Create2);
    assert_eq!(Container.op_code(false), OpCode::CreateContainer);
    assert_eq!(PersistentWithTtl.op_code(false), OpCode::CreateTtl);

    assert_eq!(PersistentWithTtl.validate_ttl(Some(1)), Ok(()));
    assert_eq!(PersistentWithTtl.validate_ttl(Some(MAX_TTL)), Ok(()));
    assert_eq!(
        PersistentWithTtl.validate_ttl(Some(MAX_TTL + 1)),
        Err(CreateModeError::TtlOutOfRange(MAX_TTL + 1))
    );
    assert_eq!(
        PersistentWithTtl.validate_ttl(Some(0)),
        Err(CreateModeError::TtlOutOfRange(0))
    );
    assert_eq!(
        PersistentSequentialWithTtl.validate_ttl(None),
        Err(CreateModeError::TtlRequired(PersistentSequentialWithTtl))
    );
    assert_eq!(
        Persistent.validate_ttl(Some(10)),
        Err(CreateModeError::TtlNotAllowed {
            mode: Persistent,
            ttl: 10
        })
    );
    assert_eq!(
        CreateMode::Unknown(7).validate_ttl(None),
        Err(CreateModeError::UnknownMode(7))
    );

    let r = WireRequest::create(
        "/t",
        "",
        Acl::open_unsafe(),
        PersistentWithTtl,
        Some(5000),
        false,
    )
    .unwrap();
    assert!(
        matches!(&r, WireRequest::CreateTtl(c) if c.ttl == 5000 && c.flags == PersistentWithTtl)
    );
    let r = WireRequest::create("/c", "", Acl::open_unsafe(), Container, None, false).unwrap();
    assert_eq!(r.op_code(), OpCode::CreateContainer);
    let r = WireRequest::create("/e", "", Acl::open_unsafe(), Ephemeral, None, true).unwrap();
    assert_eq!(r.op_code(), OpCode::Create2);
    assert!(WireRequest::create("/e", "", Acl::open_unsafe(), Ephemeral, Some(1), true).is_err());
    let op = MultiOp::create(
        "/m",
        "",
        Acl::open_unsafe(),
        PersistentSequential,
        None,
        true,
    )
    .unwrap();
    assert_eq!(op.op_code(), OpCode::Create2);
}

#[test]
fn perms_and_acls() {
    assert_eq!(
        Perms::ALL,
        Perms::READ | Perms::WRITE | Perms::CREATE | Perms::DELETE | Perms::ADMIN
    );
    assert_eq!(Perms::ALL.bits(), 31);
    assert!(Perms::ALL.contains(Perms::ADMIN | Perms::READ));
    assert!(!Perms::READ.contains(Perms::WRITE));
    assert_eq!(!Perms::READ, Perms(30));
    assert_eq!(Perms::ALL.to_string(), "cdrwa");
    assert_eq!(
        Acl::open_unsafe(),
        vec![Acl::new(Perms::ALL, Id::new("world", "anyone"))]
    );
    assert_eq!(
        Acl::creator_all(),
        vec![Acl::new(Perms::ALL, Id::new("auth", ""))]
    );
    assert_eq!(
        Acl::read_unsafe(),
        vec![Acl::new(Perms::READ, Id::new("world", "anyone"))]
    );
}

#[test]
fn error_codes_have_names_and_meanings() {
    assert_eq!(ErrorCode::NoNode.name(), "NONODE");
    assert_eq!(ErrorCode::NoNode.meaning(), "no node");
    assert_eq!(ErrorCode::NoNode.to_string(), "NONODE (-101): no node");
    assert_eq!(ErrorCode::from_i32(-127), ErrorCode::ThrottledOp);
    assert_eq!(ErrorCode::from_i32(-126), ErrorCode::Unknown(-126));
    for e in ErrorCode::KNOWN {
        assert!(!e.meaning().is_empty());
        assert_ne!(e.name(), "UNKNOWN");
    }
    assert_eq!(OpCode::GetChildren2.to_string(), "getChildren2");
    assert_eq!(OpCode::Unknown(77).to_string(), "UNKNOWN(77)");
}

// ---- zero copy ----

#[test]
fn one_megabyte_get_data_reply_is_not_copied() {
    let data = Bytes::from(vec![0x5A; 1_000_000]);
    let mut stream = BytesMut::new();
    WireResponse::encode_frame(
        &ReplyHeader {
            xid: 1,
            zxid: 2,
            err: ErrorCode::Ok,
        },
        Some(&WireResponse::GetData(GetDataResponse {
            data: data.clone(),
            stat: Stat::default(),
        })),
        &mut stream,
    );
    let mut d = FrameDecoder::new();
    let mut frame = None;
    for chunk in stream.chunks(64 * 1024) {
        d.extend_from_slice(chunk);
        if let Some(f) = d.decode().unwrap() {
            frame = Some(f);
        }
    }
    let frame = frame.expect("one frame");
    let range = frame.as_ptr_range();
    let reply = Reply::decode(frame.clone(), |_| OpCode::GetData).unwrap();
    let Reply::Response {
        body: Some(WireResponse::GetData(r)),
        ..
    } = reply
    else {
        panic!("unexpected reply");
    };
    assert_eq!(r.data, data);
    let p = r.data.as_ptr_range();
    assert!(
        range.start <= p.start && p.end <= range.end,
        "data was copied"
    );
    assert_eq!(p.start as usize - range.start as usize, 16 + 4);
}

#[test]
fn frames_are_split_off_the_decoder_buffer() {
    let mut d = FrameDecoder::new();
    d.extend_from_slice(&hex("00000003 414243 00000001 44"));
    let base = d.buffer_mut().as_ptr() as usize;
    let a = d.decode().unwrap().unwrap();
    let b = d.decode().unwrap().unwrap();
    assert_eq!(&a[..], b"ABC");
    assert_eq!(&b[..], b"D");
    assert_eq!(a.as_ptr() as usize, base + 4);
    assert_eq!(b.as_ptr() as usize, base + 11);
}

/// A body that claims more than a frame can hold; it is never actually written.
struct TooLong;

impl Encode for TooLong {
    fn encoded_len(&self) -> usize {
        i32::MAX as usize + 1
    }
    fn encode(&self, _buf: &mut impl bytes::BufMut) {
        panic!("encode must not be reached");
    }
}

#[test]
fn over_long_frames_panic_before_reserving_or_writing() {
    for with_header in [false, true] {
        let mut buf = BytesMut::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if with_header {
                encode_frame_with_header(
                    &RequestHeader {
                        xid: 1,
                        op: OpCode::Sync,
                    },
                    &TooLong,
                    &mut buf,
                )
            } else {
                encode_frame(&TooLong, &mut buf)
            }
        }));
        let msg = caught.unwrap_err();
        let msg = msg.downcast_ref::<String>().unwrap();
        assert!(msg.contains("exceeds i32::MAX"), "{msg}");
        assert_eq!(
            (buf.len(), buf.capacity()),
            (0, 0),
            "nothing reserved or written"
        );
    }
    // Exactly i32::MAX fits the prefix; frame_len lets a caller check first.
    let req = WireRequest::Sync(SyncRequest { path: "/a".into() });
    assert_eq!(req.frame_len(), 8 + 6);
}
