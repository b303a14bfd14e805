//! The ZooKeeper client wire protocol (ZooKeeper 3.5–3.9): framing, the jute records of
//! every client op, error codes, and client-side path validation.
//!
//! # What it does
//!
//! * [`FrameDecoder`] splits a byte stream into frames (4-byte big-endian length, checked
//!   against a maximum before anything is reserved) and hands each one out as [`Bytes`]
//!   without copying. [`encode_frame`] / [`encode_frame_with_header`] write frames in one
//!   pass.
//! * One Rust type per jute record, each implementing [`Encode`] and [`Decode`]. Decoding
//!   never trusts a length: everything is checked against the bytes left in the frame
//!   before allocation, and a failure is a [`DecodeError`] naming the record and field,
//!   and the records (and list indexes) it sits in. String bytes never fail: they are
//!   read as Java writes and reads them ([`jute::decode_java_string`]).
//!   Znode data and auth bytes are zero-copy [`Bytes`] slices of the frame.
//! * Op-level enums: [`WireRequest`] (one variant per client op, with
//!   [`WireRequest::op_code`]), [`WireResponse`] (decoded with [`WireResponse::decode`] given the op
//!   of the request answered), [`Reply`] (a whole server frame), [`WatcherEvent`]
//!   (notifications, xid [`xid::NOTIFICATION`]). A session reads the reply header
//!   first with [`split_reply`], routes it by xid, then decodes the body.
//! * Every enum that comes off the wire ([`OpCode`], [`ErrorCode`], [`EventType`],
//!   [`KeeperState`], [`WireWatcherType`], [`AddWatchMode`], [`CreateMode`]) keeps unknown
//!   values as `Unknown(i32)`, so a newer server never fails a frame.
//! * [`validate_path`] accepts and rejects exactly what Java's `PathUtils` does.
//!
//! # What it does not do
//!
//! No IO, no clock, no session state: it does not assign xids, match replies to
//! requests, track watches, apply a chroot, or decide when to ping. That is the session's
//! job (`zk-session`). Nothing here blocks.
//!
//! # Features
//!
//! `arbitrary` (off by default): `arbitrary::Arbitrary` for the records and enums, for
//! fuzzing and property tests.
//!
//! # Memory
//!
//! Memory is bounded by a small constant times the frame: decoding one frame allocates
//! at most **6 times the frame's length** (bytes asked of the allocator, at any moment
//! of the decode, result included; measured on hostile frames by `tests/memory.rs`).
//!
//! * The worst shapes are vectors of the smallest elements: an empty string is 4 bytes
//!   on the wire and a 24-byte `String` in memory (getChildren, getEphemerals), an empty
//!   [`ClientInfo`] 8 bytes and 48 (whoAmI); an empty [`Acl`] gives 4.7 times. A
//!   vector's count is checked against the bytes left, then reserved exactly once.
//! * A multi's results have no count on the wire: they are counted first (without
//!   allocating), then reserved exactly once, so nothing grows by doubling. A
//!   [`MultiResult`] is 32 bytes (results with a Stat are boxed), against at least 9 on
//!   the wire: at most 3.6 times.
//! * Strings that are not valid UTF-8 may grow up to 3 times (one 3-byte U+FFFD per
//!   bad byte); within a vector this stays under the 6 times above.
//! * Znode data, auth and SASL bytes are zero-copy slices of the frame.
//! * Decoding a *client* frame ([`WireRequest::decode_frame`], as a fake server does) is
//!   bounded by 7 times: a 14-byte getData sub-op of a multiRead is a 96-byte
//!   [`MultiOp`] (not boxed, to keep the variants constructible as they are).
//!
//! So the memory one hostile reply can cost grows linearly with the maximum frame
//! length: about 6 MiB at the default [`DEFAULT_MAX_FRAME_LEN`] (1 MiB), 12 GiB at
//! `i32::MAX`. The system allocator's own overhead per block comes on top: with glibc
//! (at least 32 bytes a block), a list of 1-byte child names costs about 11 times its
//! frame.
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use zk_proto::*;
//!
//! // Client side: frame a getData request.
//! let mut out = BytesMut::new();
//! let req = WireRequest::GetData(GetDataRequest { path: "/a".into(), watch: true });
//! req.encode_frame(1, &mut out);
//!
//! // Server side (for instance a fake server in a test): answer it.
//! let mut dec = FrameDecoder::new();
//! dec.extend_from_slice(&out);
//! let (header, decoded) = WireRequest::decode_frame(dec.decode()?.unwrap())?;
//! assert_eq!((header.xid, &decoded), (1, &req));
//! let mut reply = BytesMut::new();
//! let body = WireResponse::GetData(GetDataResponse { data: "hi".into(), stat: Stat::default() });
//! WireResponse::encode_frame(
//!     &ReplyHeader { xid: 1, zxid: 7, err: ErrorCode::Ok },
//!     Some(&body),
//!     &mut reply,
//! );
//!
//! // Client side: decode the reply, given the op of the request with that xid.
//! dec.extend_from_slice(&reply);
//! match Reply::decode(dec.decode()?.unwrap(), |_header| OpCode::GetData)? {
//!     Reply::Response { header, body: Some(WireResponse::GetData(r)) } => {
//!         assert_eq!(header.zxid, 7);
//!         assert_eq!(&r.data[..], b"hi");
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

#[macro_use]
mod macros;

#[cfg(feature = "arbitrary")]
mod arb;

mod acl;
mod connect;
mod create_mode;
mod digest;
mod error_code;
mod frame;
mod header;
mod jute;
mod opcode;
mod ops;
mod path;
pub mod redact;
mod request;
mod response;
mod stat;
mod watch;
pub mod xid;

pub use bytes::Bytes;

pub use acl::{Acl, ClientInfo, Id, Perms};
pub use connect::{ConnectRequest, ConnectResponse, PASSWORD_LEN};
pub use create_mode::{CreateMode, CreateModeError, MAX_TTL};
pub use error_code::ErrorCode;
pub use frame::{
    DEFAULT_MAX_FRAME_LEN, FrameDecoder, FrameError, LENGTH_PREFIX_LEN, encode_frame,
    encode_frame_with_header,
};
pub use header::{ReplyHeader, RequestHeader};
pub use jute::{
    Decode, DecodeError, DecodeErrorKind, DecodeLocation, Encode, Reader, decode_java_string,
};
pub use opcode::OpCode;
pub use ops::acl_ops::{GetAclRequest, GetAclResponse, SetAclRequest, SetAclResponse};
pub use ops::admin::{ReconfigRequest, SyncRequest, SyncResponse};
pub use ops::children::{
    GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetChildren2Request,
    GetChildren2Response, GetChildrenRequest, GetChildrenResponse, GetEphemeralsRequest,
    GetEphemeralsResponse,
};
pub use ops::create::{
    Create2Response, CreateRequest, CreateResponse, CreateTtlRequest, DeleteRequest,
};
pub use ops::data::{
    ExistsRequest, ExistsResponse, GetDataRequest, GetDataResponse, SetDataRequest, SetDataResponse,
};
pub use ops::multi::{
    CheckVersionRequest, MultiHeader, MultiOp, MultiRequest, MultiResponse, MultiResult,
};
pub use ops::session::{AuthPacket, GetSaslRequest, SetSaslResponse, WhoAmIResponse};
pub use ops::watches::{
    AddWatchRequest, CheckWatchesRequest, ErrorResponse, RemoveWatchesRequest, SetWatches,
    SetWatches2,
};
pub use path::{PathError, is_forbidden_char, validate_path};
pub use request::WireRequest;
pub use response::{Reply, WireResponse, decode_notification, decode_reply, split_reply};
pub use stat::Stat;
pub use watch::{AddWatchMode, EventType, KeeperState, WatcherEvent, WireWatcherType};

/// The README's examples, compiled (and run, where not `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
