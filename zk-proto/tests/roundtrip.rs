//! Property tests: encode -> decode is the identity for every record and op, and
//! `encoded_len` is exact. Values are built with `arbitrary` from proptest-chosen bytes.

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use zk_proto::*;

fn value<T: for<'a> Arbitrary<'a>>(data: &[u8]) -> Option<T> {
    T::arbitrary(&mut Unstructured::new(data)).ok()
}

/// Encodes, checks the length, decodes, checks equality and that everything was consumed.
fn check<T>(
    v: &T,
    decode: impl FnOnce(&mut Reader) -> Result<T, DecodeError>,
) -> Result<(), TestCaseError>
where
    T: Encode + PartialEq + Debug,
{
    let bytes = v.to_vec();
    prop_assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {:?}", v);
    let mut r = Reader::new(Bytes::from(bytes));
    let back = decode(&mut r).map_err(|e| TestCaseError::fail(format!("{e} for {v:?}")))?;
    prop_assert_eq!(&back, v);
    prop_assert_eq!(r.remaining(), 0, "bytes left after {:?}", v);
    Ok(())
}

fn roundtrip<T>(data: &[u8]) -> Result<(), TestCaseError>
where
    T: for<'a> Arbitrary<'a> + Encode + Decode + PartialEq + Debug,
{
    if let Some(v) = value::<T>(data) {
        check(&v, T::decode)?;
    }
    Ok(())
}

/// An op whose response decodes to this variant.
fn op_for(resp: &WireResponse) -> OpCode {
    match resp {
        WireResponse::Empty => OpCode::Delete,
        WireResponse::Create(_) => OpCode::Create,
        WireResponse::Create2(_) => OpCode::Create2,
        WireResponse::Exists(_) => OpCode::Exists,
        WireResponse::GetData(_) => OpCode::GetData,
        WireResponse::SetData(_) => OpCode::SetData,
        WireResponse::GetAcl(_) => OpCode::GetAcl,
        WireResponse::SetAcl(_) => OpCode::SetAcl,
        WireResponse::GetChildren(_) => OpCode::GetChildren,
        WireResponse::Sync(_) => OpCode::Sync,
        WireResponse::GetChildren2(_) => OpCode::GetChildren2,
        WireResponse::Multi(_) => OpCode::Multi,
        WireResponse::Reconfig(_) => OpCode::Reconfig,
        WireResponse::Sasl(_) => OpCode::Sasl,
        WireResponse::GetEphemerals(_) => OpCode::GetEphemerals,
        WireResponse::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
        WireResponse::AddWatch(_) => OpCode::AddWatch,
        WireResponse::WhoAmI(_) => OpCode::WhoAmI,
    }
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..1024)
}

macro_rules! roundtrip_tests {
    ($($name:ident: $ty:ty,)*) => {
        proptest! {
            $(
                #[test]
                fn $name(data in bytes_strategy()) {
                    roundtrip::<$ty>(&data)?;
                }
            )*
        }
    };
}

roundtrip_tests! {
    rt_connect_request: ConnectRequest,
    rt_connect_response: ConnectResponse,
    rt_request_header: RequestHeader,
    rt_reply_header: ReplyHeader,
    rt_stat: Stat,
    rt_id: Id,
    rt_acl: Acl,
    rt_client_info: ClientInfo,
    rt_watcher_event: WatcherEvent,
    rt_create_request: CreateRequest,
    rt_create_ttl_request: CreateTtlRequest,
    rt_create_response: CreateResponse,
    rt_create2_response: Create2Response,
    rt_delete_request: DeleteRequest,
    rt_exists_request: ExistsRequest,
    rt_exists_response: ExistsResponse,
    rt_get_data_request: GetDataRequest,
    rt_get_data_response: GetDataResponse,
    rt_set_data_request: SetDataRequest,
    rt_set_data_response: SetDataResponse,
    rt_get_acl_request: GetAclRequest,
    rt_get_acl_response: GetAclResponse,
    rt_set_acl_request: SetAclRequest,
    rt_set_acl_response: SetAclResponse,
    rt_get_children_request: GetChildrenRequest,
    rt_get_children_response: GetChildrenResponse,
    rt_get_children2_request: GetChildren2Request,
    rt_get_children2_response: GetChildren2Response,
    rt_get_all_children_number_request: GetAllChildrenNumberRequest,
    rt_get_all_children_number_response: GetAllChildrenNumberResponse,
    rt_get_ephemerals_request: GetEphemeralsRequest,
    rt_get_ephemerals_response: GetEphemeralsResponse,
    rt_sync_request: SyncRequest,
    rt_sync_response: SyncResponse,
    rt_reconfig_request: ReconfigRequest,
    rt_check_version_request: CheckVersionRequest,
    rt_check_watches_request: CheckWatchesRequest,
    rt_remove_watches_request: RemoveWatchesRequest,
    rt_set_watches: SetWatches,
    rt_set_watches2: SetWatches2,
    rt_add_watch_request: AddWatchRequest,
    rt_error_response: ErrorResponse,
    rt_auth_packet: AuthPacket,
    rt_get_sasl_request: GetSaslRequest,
    rt_set_sasl_response: SetSaslResponse,
    rt_who_am_i_response: WhoAmIResponse,
    rt_multi_header: MultiHeader,
    rt_multi_request: MultiRequest,
    rt_multi_response: MultiResponse,
}

proptest! {
    #[test]
    fn rt_request(data in bytes_strategy()) {
        if let Some(req) = value::<WireRequest>(&data) {
            check(&req, |r| WireRequest::decode(req.op_code(), r))?;
            // And as a whole frame.
            let mut buf = BytesMut::new();
            req.encode_frame(7, &mut buf);
            prop_assert_eq!(buf.len(), 4 + 8 + req.encoded_len());
            let mut d = FrameDecoder::with_max_frame_len(usize::MAX >> 1);
            d.extend_from_slice(&buf);
            let frame = d.decode().unwrap().unwrap();
            let (h, back) = WireRequest::decode_frame(frame).unwrap();
            prop_assert_eq!(h, RequestHeader { xid: 7, op: req.op_code() });
            prop_assert_eq!(back, req);
        }
    }

    #[test]
    fn rt_response(data in bytes_strategy()) {
        if let Some(resp) = value::<WireResponse>(&data) {
            let op = op_for(&resp);
            check(&resp, |r| WireResponse::decode(op, r))?;
            let header = ReplyHeader { xid: 3, zxid: 99, err: ErrorCode::Ok };
            let mut buf = BytesMut::new();
            WireResponse::encode_frame(&header, Some(&resp), &mut buf);
            let (h, body) = decode_reply(buf.freeze().slice(4..), op).unwrap();
            prop_assert_eq!(h, header);
            prop_assert_eq!(body, Some(resp));
        }
    }

    #[test]
    fn rt_notification(data in bytes_strategy()) {
        if let Some(event) = value::<WatcherEvent>(&data) {
            let header = ReplyHeader { xid: xid::NOTIFICATION, zxid: -1, err: ErrorCode::Ok };
            let mut buf = BytesMut::new();
            encode_frame_with_header(&header, &event, &mut buf);
            let frame = buf.freeze().slice(4..);
            let reply = Reply::decode(frame.clone(), |_| panic!("not asked for notifications")).unwrap();
            prop_assert_eq!(reply, Reply::Notification { header, event: event.clone() });
            prop_assert_eq!(decode_notification(frame).unwrap(), (header, event));
        }
    }

    #[test]
    fn rt_multi_op_and_result(data in bytes_strategy()) {
        // Single sub-ops and results round-trip inside a one-element multi.
        let mut u = Unstructured::new(&data);
        if let (Ok(op), Ok(res)) = (MultiOp::arbitrary(&mut u), MultiResult::arbitrary(&mut u)) {
            check(&MultiRequest { ops: vec![op] }, MultiRequest::decode)?;
            check(&MultiResponse { results: vec![res] }, MultiResponse::decode)?;
        }
    }

    #[test]
    fn multi_lists_are_reserved_exactly(data in bytes_strategy()) {
        // The entries are counted before decoding, so the vector is never over-reserved
        // or grown.
        let mut u = Unstructured::new(&data);
        if let (Ok(req), Ok(resp)) = (MultiRequest::arbitrary(&mut u), MultiResponse::arbitrary(&mut u)) {
            let back = MultiRequest::decode_bytes(Bytes::from(req.to_vec())).unwrap();
            prop_assert_eq!(back.ops.capacity(), req.ops.len());
            let back = MultiResponse::decode_bytes(Bytes::from(resp.to_vec())).unwrap();
            prop_assert_eq!(back.results.capacity(), resp.results.len());
        }
    }

    #[test]
    fn frame_len_is_the_encoded_frame_length(data in bytes_strategy()) {
        if let Some(req) = value::<WireRequest>(&data) {
            let mut buf = BytesMut::new();
            req.encode_frame(1, &mut buf);
            prop_assert_eq!(buf.len(), LENGTH_PREFIX_LEN + req.frame_len());
        }
    }
}

macro_rules! enum_tests {
    ($($name:ident: $ty:ident,)*) => {
        proptest! {
            $(
                #[test]
                fn $name(x in any::<i32>()) {
                    let v = <$ty>::from_i32(x);
                    prop_assert_eq!(v.to_i32(), x);
                    prop_assert_eq!(i32::from(<$ty>::from(x)), x);
                    let known = <$ty>::KNOWN.iter().any(|k| k.to_i32() == x);
                    prop_assert_eq!(v.is_known(), known);
                    prop_assert_eq!(matches!(v, $ty::Unknown(_)), !known);
                    // Known values also round-trip from the enum side.
                    for k in <$ty>::KNOWN {
                        prop_assert_eq!(<$ty>::from_i32(k.to_i32()), *k);
                    }
                }
            )*
        }
    };
}

enum_tests! {
    enum_op_code: OpCode,
    enum_error_code: ErrorCode,
    enum_event_type: EventType,
    enum_keeper_state: KeeperState,
    enum_watcher_type: WireWatcherType,
    enum_add_watch_mode: AddWatchMode,
    enum_create_mode: CreateMode,
}

#[test]
fn enum_known_values_are_distinct_and_near_zero() {
    // Exhaustively check a window around every known code, including all of -200..=200.
    for x in -200..=200 {
        assert_eq!(OpCode::from_i32(x).to_i32(), x);
        assert_eq!(ErrorCode::from_i32(x).to_i32(), x);
        assert_eq!(EventType::from_i32(x).to_i32(), x);
        assert_eq!(KeeperState::from_i32(x).to_i32(), x);
        assert_eq!(WireWatcherType::from_i32(x).to_i32(), x);
        assert_eq!(AddWatchMode::from_i32(x).to_i32(), x);
        assert_eq!(CreateMode::from_i32(x).to_i32(), x);
    }
    assert_eq!(ErrorCode::KNOWN.len(), 36);
    assert_eq!(OpCode::KNOWN.len(), 33);
}

proptest! {
    /// Any re-chunking of a stream of frames yields the same frames as the unsplit input.
    #[test]
    fn frames_survive_any_chunking(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
        cuts in proptest::collection::vec(0usize..64, 0..40),
    ) {
        let mut stream = BytesMut::new();
        for b in &bodies {
            encode_frame(&RawBody(b), &mut stream);
        }
        let stream = stream.freeze();

        let whole = collect(&[&stream[..]]);
        prop_assert_eq!(&whole, &bodies);

        let mut chunks = Vec::new();
        let mut rest = &stream[..];
        for c in cuts {
            let c = c.min(rest.len());
            let (a, b) = rest.split_at(c);
            chunks.push(a);
            rest = b;
        }
        chunks.push(rest);
        prop_assert_eq!(collect(&chunks), bodies);
    }
}

struct RawBody<'a>(&'a [u8]);

impl Encode for RawBody<'_> {
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
    fn encode(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(self.0);
    }
}

fn collect(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut d = FrameDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        d.extend_from_slice(c);
        while let Some(f) = d.decode().unwrap() {
            out.push(f.to_vec());
        }
    }
    assert_eq!(d.buffered_len(), 0);
    out
}

#[test]
fn small_and_large_frames_encode_to_the_same_bytes_as_their_fields() {
    // Frames up to 64 KiB are written into a slice, longer ones into the growing
    // buffer: both must give the prefix, the header and the body, nothing else.
    for size in [0, 100, 64 * 1024 - 40, 64 * 1024, 64 * 1024 + 1, 1_000_000] {
        let req = WireRequest::SetData(Box::new(SetDataRequest {
            path: "/bench/node".into(),
            data: Bytes::from(vec![7u8; size]),
            version: 3,
        }));
        let mut buf = BytesMut::from(&b"already here"[..]);
        req.encode_frame(42, &mut buf);
        let header = RequestHeader {
            xid: 42,
            op: req.op_code(),
        };
        let mut expected = b"already here".to_vec();
        let len = header.encoded_len() + req.encoded_len();
        expected.extend_from_slice(&i32::try_from(len).unwrap().to_be_bytes());
        expected.extend_from_slice(&header.to_vec());
        expected.extend_from_slice(&req.to_vec());
        assert!(buf[..] == expected[..], "a setData of {size} bytes");
    }
}
