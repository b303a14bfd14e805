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

/// A ustring holding `bytes`, as the whole body of a CreateResponse.
fn create_response_path(bytes: &[u8]) -> String {
    let f = frame(|b| {
        b.put_i32(bytes.len() as i32);
        b.put_slice(bytes);
    });
    CreateResponse::decode_bytes(f).unwrap().path
}

#[test]
fn invalid_utf8_decodes_lossily_and_never_fails() {
    let cases: &[(&[u8], &str)] = &[
        (&[0xFF, 0xFE], "\u{FFFD}\u{FFFD}"),
        // A sequence cut short at the end of the string.
        (b"/\xC3", "/\u{FFFD}"),
        (b"/a\xE2\x82", "/a\u{FFFD}"),
        // A lone high surrogate (no low one after it), then a lone low surrogate: each
        // byte of them is a maximal invalid sequence, as in from_utf8_lossy.
        (b"\xED\xA0\xBDx", "\u{FFFD}\u{FFFD}\u{FFFD}x"),
        (b"\xED\xB8\x80", "\u{FFFD}\u{FFFD}\u{FFFD}"),
        // Two high surrogates: not a pair.
        (
            b"\xED\xA0\xBD\xED\xA0\xBD",
            "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}",
        ),
        // A stray continuation byte, an overlong NUL (Java's modified UTF-8), C0/F5.
        (b"a\x80b", "a\u{FFFD}b"),
        (b"\xC0\x80", "\u{FFFD}\u{FFFD}"),
        (b"\xF5", "\u{FFFD}"),
        // A valid 4-byte sequence next to invalid bytes stays as it is.
        (b"\xF0\x9F\x98\x80\xFF", "\u{1F600}\u{FFFD}"),
    ];
    for &(bytes, want) in cases {
        assert_eq!(create_response_path(bytes), want, "{bytes:02X?}");
        assert_eq!(
            create_response_path(bytes),
            String::from_utf8_lossy(bytes),
            "same as from_utf8_lossy when there is no surrogate pair: {bytes:02X?}"
        );
    }
}

#[test]
fn java_surrogate_pairs_decode_to_the_character() {
    // U+1F600 as Java's BinaryOutputArchive writes it: two 3-byte surrogates.
    const CESU: &[u8] = b"\xED\xA0\xBD\xED\xB8\x80";
    assert_eq!(create_response_path(CESU), "\u{1F600}");
    // Mixed with valid text and a lone surrogate.
    let mut bytes = b"/a".to_vec();
    bytes.extend_from_slice(CESU);
    bytes.extend_from_slice(b"\xED\xA0\x80b");
    bytes.extend_from_slice(CESU);
    assert_eq!(
        create_response_path(&bytes),
        "/a\u{1F600}\u{FFFD}\u{FFFD}\u{FFFD}b\u{1F600}"
    );
    // The first and last non-BMP characters.
    assert_eq!(
        create_response_path(b"\xED\xA0\x80\xED\xB0\x80"),
        "\u{10000}"
    );
    assert_eq!(
        create_response_path(b"\xED\xAF\xBF\xED\xBF\xBF"),
        "\u{10FFFF}"
    );
}

#[test]
fn whoami_reply_with_a_java_encoded_emoji_user() {
    // whoAmI after addAuth("digest", "😀:pw"): the server writes the user with
    // BinaryOutputArchive, so the emoji is two 3-byte surrogates.
    let f = frame(|b| {
        ReplyHeader {
            xid: 5,
            zxid: 0x10,
            err: ErrorCode::Ok,
        }
        .encode(b);
        b.put_i32(1);
        b.put_i32(6);
        b.put_slice(b"digest");
        b.put_i32(6);
        b.put_slice(&[0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]);
    });
    let (header, body) = decode_reply(f, OpCode::WhoAmI).unwrap();
    assert_eq!(header.xid, 5);
    let Some(WireResponse::WhoAmI(r)) = body else {
        panic!("{body:?}")
    };
    assert_eq!(
        r.client_info,
        vec![ClientInfo {
            auth_scheme: "digest".into(),
            user: "😀".into(),
        }]
    );
    // Encoding writes standard UTF-8 (4 bytes), which Java's reader decodes to the same
    // string.
    assert_eq!(&r.to_vec()[18..], "😀".as_bytes());
}

#[test]
fn valid_utf8_is_unchanged() {
    for s in [
        "",
        "/",
        "/a/b",
        "/ü/日本",
        "😀",
        "/\u{FFFD}",
        "a\u{10FFFF}\u{0}",
    ] {
        assert_eq!(create_response_path(s.as_bytes()), s);
    }
}

proptest! {
    /// Any bytes decode; valid UTF-8 unchanged, else as from_utf8_lossy once the Java
    /// surrogate pairs are joined (checked independently by re-encoding the pairs).
    #[test]
    fn strings_never_fail(bytes in proptest::collection::vec(
        prop_oneof![
            any::<u8>(),
            Just(0xED), Just(0xA0), Just(0xB0), Just(0x80), Just(0xBF),
        ],
        0..24,
    )) {
        let s = decode_java_string(&bytes);
        match std::str::from_utf8(&bytes) {
            Ok(valid) => prop_assert_eq!(&s, valid),
            Err(_) => {
                let has_pair = bytes.windows(6).any(|w| {
                    w[0] == 0xED && (0xA0..=0xAF).contains(&w[1]) && w[3] == 0xED
                        && (0xB0..=0xBF).contains(&w[4])
                });
                if !has_pair {
                    prop_assert_eq!(&s, &String::from_utf8_lossy(&bytes));
                }
                prop_assert!(s.len() <= 3 * bytes.len());
            }
        }
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
            let _ = WireResponse::decode(op, &mut Reader::new(b.clone()));
            let _ = WireRequest::decode(op, &mut Reader::new(b.clone()));
            let _ = decode_reply(b.clone(), op);
        }
        let _ = Reply::decode(b.clone(), |h| OpCode::from_i32(h.xid));
        let _ = ConnectRequest::decode_bytes(b.clone());
        let _ = ConnectResponse::decode_bytes(b.clone());
        let _ = WireRequest::decode_frame(b.clone());
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
    assert_eq!(WireWatcherType::from_i32(6), WireWatcherType::Unknown(6));
    assert_eq!(AddWatchMode::from_i32(2), AddWatchMode::Unknown(2));

    let mut req = CreateRequest {
        path: "/a".into(),
        data: Bytes::new(),
        acl: Acl::open_unsafe(),
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
    assert_eq!(body, Some(WireResponse::GetData(rec)));

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
        let err = WireResponse::decode(op, &mut empty()).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnsupportedOp(op.to_i32()));
        let err = WireRequest::decode(op, &mut empty()).unwrap_err();
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
        "MultiResponse.results[0]: MultiHeader.op_type: unknown multi op type 77"
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
        let Ok(req) = WireRequest::arbitrary(&mut Unstructured::new(&data)) else {
            return Ok(());
        };
        let mut buf = BytesMut::new();
        req.encode_frame(3, &mut buf);
        let body = buf.freeze().slice(4..);
        for n in 0..body.len() {
            prop_assert!(
                WireRequest::decode_frame(body.slice(..n)).is_err(),
                "prefix {} of {:?} decoded",
                n,
                req
            );
        }
        prop_assert_eq!(WireRequest::decode_frame(body).unwrap().1, req);
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

#[test]
fn errors_name_the_enclosing_records_and_indexes() {
    // A truncated Stat inside a GetDataResponse.
    let f = frame(|b| {
        b.put_i32(2);
        b.put_slice(b"hi");
        b.put_slice(&[0; 3]);
    });
    let err = GetDataResponse::decode_bytes(f).unwrap_err();
    assert_eq!((err.record, err.field, err.index), ("Stat", "czxid", None));
    assert_eq!(
        err.outer,
        vec![DecodeLocation {
            record: "GetDataResponse",
            field: "stat",
            index: None
        }]
    );
    assert_eq!(
        err.to_string(),
        "GetDataResponse.stat: Stat.czxid: needs 8 bytes but only 3 bytes remain"
    );

    // The third child name runs past the end.
    let f = frame(|b| {
        b.put_i32(3);
        for _ in 0..2 {
            b.put_i32(1);
            b.put_u8(b'x');
        }
        b.put_i32(50);
    });
    let err = GetChildrenResponse::decode_bytes(f).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GetChildrenResponse.children[2]: length 50 exceeds the 0 bytes remaining"
    );

    // An ACL entry's id, in a getACL reply frame.
    let f = frame(|b| {
        ReplyHeader {
            xid: 1,
            zxid: 1,
            err: ErrorCode::Ok,
        }
        .encode(b);
        b.put_i32(2);
        Acl::new(Perms::ALL, Id::anyone()).encode(b);
        b.put_i32(31);
        b.put_i32(5);
        b.put_slice(b"world");
        b.put_i32(-7);
    });
    let err = decode_reply(f, OpCode::GetAcl).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GetAclResponse.acl[1]: Acl.id: Id.id: invalid negative length -7"
    );
    let names: Vec<String> = err.locations().map(|l| l.to_string()).collect();
    assert_eq!(names, ["GetAclResponse.acl[1]", "Acl.id", "Id.id"]);

    // The third result of a multi: a create2 whose Stat is cut short.
    let f = frame(|b| {
        MultiResponse {
            results: vec![MultiResult::Delete, MultiResult::Check],
        }
        .encode(b);
        b.truncate(b.len() - MultiHeader::LEN);
        MultiHeader {
            op_type: OpCode::Create2,
            done: false,
            err: ErrorCode::Ok,
        }
        .encode(b);
        b.put_i32(2);
        b.put_slice(b"/a");
        b.put_slice(&[0; 10]);
    });
    let err = MultiResponse::decode_bytes(f).unwrap_err();
    assert_eq!(
        err.to_string(),
        "MultiResponse.results[2]: Create2Response.stat: Stat.mzxid: \
         needs 8 bytes but only 2 bytes remain"
    );
    // A multi request whose second op has a bad header.
    let f = frame(|b| {
        MultiRequest {
            ops: vec![MultiOp::Delete(DeleteRequest {
                path: "/a".into(),
                version: -1,
            })],
        }
        .encode(b);
        b.truncate(b.len() - MultiHeader::LEN);
        b.put_i32(2);
    });
    let err = MultiRequest::decode_bytes(f).unwrap_err();
    assert_eq!(
        err.to_string(),
        "MultiRequest.ops[1]: MultiHeader.done: needs 1 bytes but only 0 bytes remain"
    );
}
