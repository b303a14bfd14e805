//! Hostile input: every malformed length, count, string or frame gives its documented
//! error (never a panic, never a large allocation); unknown enum values decode.

use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use zk_proto::*;

fn frame(build: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut b = BytesMut::new();
    build(&mut b);
    b.freeze()
}

fn kind<T: std::fmt::Debug>(r: Result<T, DecodeError>) -> DecodeErrorKind {
    r.unwrap_err().kind
}

#[test]
fn buffer_length_past_end_names_record_and_field() {
    let f = frame(|b| {
        b.put_i32(5000);
        b.put_slice(&[0; 12]);
    });
    let err = GetDataResponse::decode_bytes(f).unwrap_err();
    assert_eq!(err.record, "GetDataResponse");
    assert_eq!(err.field, "data");
    assert_eq!(
        err.kind,
        DecodeErrorKind::LengthPastEnd {
            len: 5000,
            remaining: 12
        }
    );
    assert_eq!(
        err.to_string(),
        "GetDataResponse.data: length 5000 exceeds the 12 bytes remaining"
    );
}

#[test]
fn negative_buffer_length_is_an_error_but_minus_one_is_null() {
    let f = frame(|b| b.put_i32(-2));
    assert_eq!(
        kind(GetDataResponse::decode_bytes(f)),
        DecodeErrorKind::NegativeLength(-2)
    );
    let f = frame(|b| b.put_i32(i32::MIN));
    assert_eq!(
        kind(GetSaslRequest::decode_bytes(f)),
        DecodeErrorKind::NegativeLength(i32::MIN)
    );
    // -1 is a null buffer: empty data.
    let f = frame(|b| {
        b.put_i32(-1);
        Stat::default().encode(b);
    });
    let r = GetDataResponse::decode_bytes(f).unwrap();
    assert!(r.data.is_empty());
}

#[test]
fn negative_string_length_and_null_strings() {
    let f = frame(|b| b.put_i32(-5));
    let err = CreateResponse::decode_bytes(f).unwrap_err();
    assert_eq!((err.record, err.field), ("CreateResponse", "path"));
    assert_eq!(err.kind, DecodeErrorKind::NegativeLength(-5));
    // Null string where the record has a plain String: empty.
    let f = frame(|b| b.put_i32(-1));
    assert_eq!(CreateResponse::decode_bytes(f).unwrap().path, "");
    // Null string in a nullable field: None.
    let f = frame(|b| {
        b.put_i32(-1);
        b.put_i32(1);
        b.put_u8(b'3');
        b.put_i32(-1);
        b.put_i64(-1);
    });
    let r = ReconfigRequest::decode_bytes(f).unwrap();
    assert_eq!(r.joining_servers, None);
    assert_eq!(r.leaving_servers.as_deref(), Some("3"));
    assert_eq!(r.new_members, None);
    assert_eq!(r.encoded_len(), 4 + 5 + 4 + 8);
}

#[test]
fn huge_vector_count_fails_at_once_without_allocating() {
    let f = frame(|b| {
        b.put_i32(i32::MAX);
        b.put_slice(&[0; 10]);
    });
    let start = Instant::now();
    let err = GetChildrenResponse::decode_bytes(f).unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(50));
    assert_eq!((err.record, err.field), ("GetChildrenResponse", "children"));
    assert_eq!(
        err.kind,
        DecodeErrorKind::CountPastEnd {
            count: i32::MAX as usize,
            min_element_len: 4,
            remaining: 10
        }
    );
    // The bound uses the element's minimum size: two ACLs need at least 24 bytes.
    let f = frame(|b| {
        b.put_i32(2);
        b.put_slice(&[0; 20]);
    });
    assert_eq!(
        kind(GetAclResponse::decode_bytes(f)),
        DecodeErrorKind::CountPastEnd {
            count: 2,
            min_element_len: 12,
            remaining: 20
        }
    );
    // A negative count other than -1 is an error; -1 is an empty list.
    let f = frame(|b| b.put_i32(-7));
    assert_eq!(
        kind(GetEphemeralsResponse::decode_bytes(f)),
        DecodeErrorKind::NegativeLength(-7)
    );
    let f = frame(|b| b.put_i32(-1));
    assert!(
        GetEphemeralsResponse::decode_bytes(f)
            .unwrap()
            .ephemerals
            .is_empty()
    );
}

#[test]
fn huge_counts_in_every_vector_field_fail_fast() {
    // Nested: a WhoAmIResponse whose count claims 2^31-1 entries.
    let f = frame(|b| {
        b.put_i32(i32::MAX);
        b.put_i32(0);
    });
    assert!(matches!(
        kind(WhoAmIResponse::decode_bytes(f)),
        DecodeErrorKind::CountPastEnd { .. }
    ));
    // SetWatches: the third list lies.
    let f = frame(|b| {
        b.put_i64(1);
        b.put_i32(0);
        b.put_i32(0);
        b.put_i32(1 << 30);
    });
    let err = SetWatches::decode_bytes(f).unwrap_err();
    assert_eq!(err.field, "child_watches");
}

#[test]
fn invalid_utf8_is_an_error() {
    for bad in [&[0xFF, 0xFE][..], &[b'/', 0xC3], &[0xED, 0xA0, 0x80]] {
        let f = frame(|b| {
            b.put_i32(bad.len() as i32);
            b.put_slice(bad);
        });
        let err = CreateResponse::decode_bytes(f).unwrap_err();
        assert_eq!((err.record, err.field), ("CreateResponse", "path"));
        assert!(
            matches!(err.kind, DecodeErrorKind::InvalidUtf8 { .. }),
            "{err}"
        );
    }
}

#[test]
fn fixed_fields_past_the_end() {
    let err = Stat::decode_bytes(Bytes::from_static(&[0; 67])).unwrap_err();
    assert_eq!((err.record, err.field), ("Stat", "pzxid"));
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedEof {
            needed: 8,
            remaining: 7
        }
    );
    let err = ReplyHeader::decode_bytes(Bytes::from_static(&[0; 2])).unwrap_err();
    assert_eq!((err.record, err.field), ("ReplyHeader", "xid"));
}

#[test]
fn frame_negative_length_rejected_before_buffering() {
    let mut d = FrameDecoder::new();
    d.extend_from_slice(&(-2i32).to_be_bytes());
    assert_eq!(d.decode(), Err(FrameError::NegativeLength(-2)));
    // Sticky.
    d.extend_from_slice(&[0; 100]);
    assert_eq!(d.decode(), Err(FrameError::NegativeLength(-2)));

    let mut d = FrameDecoder::new();
    d.extend_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(d.decode(), Err(FrameError::NegativeLength(-1)));
}

#[test]
fn frame_too_long_rejected_before_reserving() {
    let mut d = FrameDecoder::new();
    d.extend_from_slice(&((DEFAULT_MAX_FRAME_LEN + 1) as u32).to_be_bytes());
    let cap_before = d.buffer_mut().capacity();
    assert_eq!(
        d.decode(),
        Err(FrameError::TooLong {
            len: DEFAULT_MAX_FRAME_LEN + 1,
            max: DEFAULT_MAX_FRAME_LEN
        })
    );
    assert_eq!(d.buffer_mut().capacity(), cap_before);
    assert!(cap_before < 1024);

    let mut d = FrameDecoder::new();
    d.extend_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(d.decode(), Err(FrameError::TooLong { .. })));
    assert!(d.buffer_mut().capacity() < 1024);

    // A configured maximum.
    let mut d = FrameDecoder::with_max_frame_len(10);
    d.extend_from_slice(&[0, 0, 0, 11]);
    assert_eq!(d.decode(), Err(FrameError::TooLong { len: 11, max: 10 }));
    let mut d = FrameDecoder::with_max_frame_len(10);
    d.extend_from_slice(&[0, 0, 0, 10]);
    assert_eq!(d.decode(), Ok(None));
    assert_eq!(d.bytes_needed(), 10);
}

#[test]
fn frame_at_max_reserves_only_that_frame() {
    let mut d = FrameDecoder::new();
    d.extend_from_slice(&(DEFAULT_MAX_FRAME_LEN as u32).to_be_bytes());
    assert_eq!(d.decode(), Ok(None));
    let cap = d.buffer_mut().capacity();
    assert!(cap >= DEFAULT_MAX_FRAME_LEN + 4);
    assert!(cap <= 2 * (DEFAULT_MAX_FRAME_LEN + 4), "reserved {cap}");
    // A small frame reserves little.
    let mut d = FrameDecoder::new();
    d.extend_from_slice(&[0, 0, 0, 16]);
    assert_eq!(d.decode(), Ok(None));
    assert!(d.buffer_mut().capacity() < 1024);
}

#[test]
fn frame_decoder_empty_frame_and_hint() {
    let mut d = FrameDecoder::default();
    assert_eq!(d.bytes_needed(), 4);
    d.extend_from_slice(&[0, 0]);
    assert_eq!(d.bytes_needed(), 2);
    d.extend_from_slice(&[0, 0]);
    assert_eq!(d.decode().unwrap().unwrap().len(), 0);
    assert_eq!(d.decode(), Ok(None));
}

fn all_prefixes_fail<T>(data: &[u8], keep_last: usize) -> Result<(), TestCaseError>
where
    T: for<'a> Arbitrary<'a> + Encode + Decode + std::fmt::Debug,
{
    let Ok(v) = T::arbitrary(&mut Unstructured::new(data)) else {
        return Ok(());
    };
    let full = Bytes::from(v.to_vec());
    for n in 0..full.len().saturating_sub(keep_last) {
        prop_assert!(
            T::decode_bytes(full.slice(..n)).is_err(),
            "prefix {} of {} decoded for {:?}",
            n,
            full.len(),
            v
        );
    }
    Ok(())
}

proptest! {
    /// Every proper prefix of a valid encoding is an error, never a panic.
    #[test]
    fn truncated_records_fail(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        all_prefixes_fail::<Stat>(&data, 0)?;
        all_prefixes_fail::<ReplyHeader>(&data, 0)?;
        all_prefixes_fail::<WatcherEvent>(&data, 0)?;
        all_prefixes_fail::<CreateRequest>(&data, 0)?;
        all_prefixes_fail::<CreateTtlRequest>(&data, 0)?;
        all_prefixes_fail::<Create2Response>(&data, 0)?;
        all_prefixes_fail::<GetDataResponse>(&data, 0)?;
        all_prefixes_fail::<SetDataRequest>(&data, 0)?;
        all_prefixes_fail::<GetAclResponse>(&data, 0)?;
        all_prefixes_fail::<SetAclRequest>(&data, 0)?;
        all_prefixes_fail::<GetChildren2Response>(&data, 0)?;
        all_prefixes_fail::<ReconfigRequest>(&data, 0)?;
        all_prefixes_fail::<SetWatches2>(&data, 0)?;
        all_prefixes_fail::<AuthPacket>(&data, 0)?;
        all_prefixes_fail::<WhoAmIResponse>(&data, 0)?;
        all_prefixes_fail::<MultiRequest>(&data, 0)?;
        all_prefixes_fail::<MultiResponse>(&data, 0)?;
        // The readOnly byte is optional: only prefixes without it are short.
        all_prefixes_fail::<ConnectRequest>(&data, 1)?;
        all_prefixes_fail::<ConnectResponse>(&data, 1)?;
    }

    /// Arbitrary bytes never panic any decoder.
    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let b = Bytes::from(data);
        for op in OpCode::KNOWN.iter().copied().chain([OpCode::Unknown(77)]) {
            let _ = Response::decode(op, &mut Reader::new(b.clone()));
            let _ = Request::decode(op, &mut Reader::new(b.clone()));
            let _ = decode_reply(b.clone(), op);
        }
        let _ = Reply::decode(b.clone(), |h| OpCode::from_i32(h.xid));
        let _ = ConnectRequest::decode_bytes(b.clone());
        let _ = ConnectResponse::decode_bytes(b.clone());
        let _ = Request::decode_frame(b.clone());
        let mut d = FrameDecoder::with_max_frame_len(200);
        d.extend_from_slice(&b);
        while let Ok(Some(_)) = d.decode() {}
    }
}

#[test]
fn unknown_enum_values_decode_to_unknown() {
    let f = frame(|b| {
        b.put_i32(5);
        b.put_i64(1);
        b.put_i32(-999);
    });
    let h = ReplyHeader::decode_bytes(f).unwrap();
    assert_eq!(h.err, ErrorCode::Unknown(-999));
    assert_eq!(h.err.to_string(), "UNKNOWN (-999): unknown error code");

    let f = frame(|b| {
        b.put_i32(1);
        b.put_i32(77);
    });
    assert_eq!(
        RequestHeader::decode_bytes(f).unwrap().op,
        OpCode::Unknown(77)
    );

    let f = frame(|b| {
        b.put_i32(42);
        b.put_i32(99);
        b.put_i32(2);
        b.put_slice(b"/x");
    });
    let e = WatcherEvent::decode_bytes(f).unwrap();
    assert_eq!(e.event_type, EventType::Unknown(42));
    assert_eq!(e.state, KeeperState::Unknown(99));
    assert_eq!(e.path, "/x");

    assert_eq!(KeeperState::from_i32(-1), KeeperState::DeprecatedUnknown);
    assert_eq!(KeeperState::from_i32(1), KeeperState::NoSyncConnected);
    assert_eq!(WatcherType::from_i32(6), WatcherType::Unknown(6));
    assert_eq!(AddWatchMode::from_i32(2), AddWatchMode::Unknown(2));

    let mut req = CreateRequest {
        path: "/a".into(),
        data: Bytes::new(),
        acl: open_acl_unsafe(),
        flags: CreateMode::Persistent,
    }
    .to_vec();
    let n = req.len();
    req[n - 4..].copy_from_slice(&9i32.to_be_bytes());
    let r = CreateRequest::decode_bytes(Bytes::from(req)).unwrap();
    assert_eq!(r.flags, CreateMode::Unknown(9));

    // A full notification frame with unknown values still decodes.
    let f = frame(|b| {
        b.put_i32(-1);
        b.put_i64(-1);
        b.put_i32(0);
        b.put_i32(8);
        b.put_i32(3);
        b.put_i32(1);
        b.put_slice(b"/");
    });
    match Reply::decode(f, |_| unreachable!()).unwrap() {
        Reply::Notification { event, .. } => assert_eq!(event.event_type, EventType::Unknown(8)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn trailing_bytes_are_tolerated() {
    let rec = GetDataResponse {
        data: Bytes::from_static(b"abc"),
        stat: Stat::default(),
    };
    let mut v = rec.to_vec();
    v.extend_from_slice(b"trailing junk");
    assert_eq!(GetDataResponse::decode_bytes(Bytes::from(v)).unwrap(), rec);

    // A whole reply frame with junk after the body.
    let f = frame(|b| {
        ReplyHeader {
            xid: 1,
            zxid: 2,
            err: ErrorCode::Ok,
        }
        .encode(b);
        rec.encode(b);
        b.put_slice(&[1, 2, 3]);
    });
    let (_, body) = decode_reply(f, OpCode::GetData).unwrap();
    assert_eq!(body, Some(Response::GetData(rec)));

    // ConnectResponse with bytes after the readOnly byte.
    let f = frame(|b| {
        b.put_i32(0);
        b.put_i32(4000);
        b.put_i64(9);
        b.put_i32(16);
        b.put_slice(&[7; 16]);
        b.put_u8(1);
        b.put_slice(&[0xEE; 5]);
    });
    assert_eq!(
        ConnectResponse::decode_bytes(f).unwrap().read_only,
        Some(true)
    );
}

#[test]
fn error_reply_bodies_are_not_read() {
    let f = frame(|b| {
        ReplyHeader {
            xid: 4,
            zxid: 10,
            err: ErrorCode::NoNode,
        }
        .encode(b);
        b.put_slice(&[0xFF; 7]);
    });
    let (h, body) = decode_reply(f.clone(), OpCode::GetData).unwrap();
    assert_eq!(h.err, ErrorCode::NoNode);
    assert_eq!(body, None);
    assert_eq!(
        Reply::decode(f, |_| OpCode::GetData).unwrap(),
        Reply::Response {
            header: h,
            body: None
        }
    );
}

#[test]
fn booleans_accept_any_non_zero_byte() {
    let f = frame(|b| {
        b.put_i32(1);
        b.put_u8(b'/');
        b.put_u8(0x7F);
    });
    assert!(GetDataRequest::decode_bytes(f).unwrap().watch);
}

#[test]
fn unsupported_ops_and_multi_types_are_typed_errors() {
    let empty = || Reader::new(Bytes::new());
    for op in [
        OpCode::Check,
        OpCode::Notification,
        OpCode::Error,
        OpCode::CreateSession,
        OpCode::DeleteContainer,
        OpCode::Unknown(77),
    ] {
        let err = Response::decode(op, &mut empty()).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnsupportedOp(op.to_i32()));
        let err = Request::decode(op, &mut empty()).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnsupportedOp(op.to_i32()));
    }
    // A multi result of a type with no known body.
    let f = frame(|b| {
        b.put_i32(77);
        b.put_u8(0);
        b.put_i32(0);
    });
    let err = MultiResponse::decode_bytes(f).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::UnknownMultiType(77));
    assert_eq!(
        err.to_string(),
        "MultiHeader.op_type: unknown multi op type 77"
    );
    // A multi request sub-op that is not allowed (getACL).
    let f = frame(|b| {
        b.put_i32(6);
        b.put_u8(0);
        b.put_i32(-1);
    });
    assert_eq!(
        kind(MultiRequest::decode_bytes(f)),
        DecodeErrorKind::UnknownMultiType(6)
    );
    // A multi without its terminator.
    let f = frame(|b| {
        b.put_i32(2);
        b.put_u8(0);
        b.put_i32(0);
    });
    assert!(MultiResponse::decode_bytes(f).is_err());
}

proptest! {
    /// Every proper prefix of a request frame body (header + request) fails.
    #[test]
    fn truncated_request_frames_fail(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let Ok(req) = Request::arbitrary(&mut Unstructured::new(&data)) else {
            return Ok(());
        };
        let mut buf = BytesMut::new();
        req.encode_frame(3, &mut buf);
        let body = buf.freeze().slice(4..);
        for n in 0..body.len() {
            prop_assert!(
                Request::decode_frame(body.slice(..n)).is_err(),
                "prefix {} of {:?} decoded",
                n,
                req
            );
        }
        prop_assert_eq!(Request::decode_frame(body).unwrap().1, req);
    }
}

#[test]
fn auth_failure_reply_has_no_body() {
    let f = frame(|b| {
        b.put_i32(xid::AUTH);
        b.put_i64(0);
        b.put_i32(-115);
    });
    let reply = Reply::decode(f, |h| {
        assert_eq!(h.xid, xid::AUTH);
        OpCode::Auth
    })
    .unwrap();
    assert_eq!(reply.header().err, ErrorCode::AuthFailed);
    assert!(matches!(reply, Reply::Response { body: None, .. }));
}
