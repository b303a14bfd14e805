//! [`WireResponse`]: the reply body of every client op, decoded given the op of the request
//! it answers.

use bytes::{BufMut, Bytes, BytesMut};

use crate::jute::{Decode, DecodeError, Encode, Reader};
use crate::request::unsupported_op;
use crate::{
    Create2Response, CreateResponse, ErrorCode, ErrorResponse, ExistsResponse, GetAclResponse,
    GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse, GetDataResponse,
    GetEphemeralsResponse, MultiResponse, OpCode, ReplyHeader, SetAclResponse, SetDataResponse,
    SetSaslResponse, SyncResponse, WatcherEvent, WhoAmIResponse, xid,
};

/// A successful reply body (the reply header's err was 0).
///
/// Which variant comes back depends only on the op of the request answered; see
/// [`WireResponse::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum WireResponse {
    /// No body: delete (2), ping (11), checkWatches (17), removeWatches (18), auth (100),
    /// setWatches (101), setWatches2 (105), closeSession (-11).
    Empty,
    /// create (1).
    Create(CreateResponse),
    /// create2 (15), createContainer (19), createTTL (21).
    Create2(Create2Response),
    /// exists (3).
    Exists(ExistsResponse),
    /// getData (4).
    GetData(GetDataResponse),
    /// setData (5).
    SetData(SetDataResponse),
    /// getACL (6).
    GetAcl(GetAclResponse),
    /// setACL (7).
    SetAcl(SetAclResponse),
    /// getChildren (8).
    GetChildren(GetChildrenResponse),
    /// sync (9).
    Sync(SyncResponse),
    /// getChildren2 (12).
    GetChildren2(GetChildren2Response),
    /// multi (14) and multiRead (22).
    Multi(MultiResponse),
    /// reconfig (16): the new config and its Stat.
    Reconfig(GetDataResponse),
    /// sasl (102).
    Sasl(SetSaslResponse),
    /// getEphemerals (103).
    GetEphemerals(GetEphemeralsResponse),
    /// getAllChildrenNumber (104).
    GetAllChildrenNumber(GetAllChildrenNumberResponse),
    /// addWatch (106): a 4-byte ErrorResponse (0). An empty body also decodes, as `Ok`.
    AddWatch(ErrorResponse),
    /// whoAmI (107).
    WhoAmI(WhoAmIResponse),
}

impl WireResponse {
    /// Decodes the body of a successful reply to a request with op `op`.
    ///
    /// Only call this when the [`ReplyHeader::err`] is `Ok`; error replies carry no body
    /// worth reading. Trailing bytes are ignored. Ops that are never answered with a
    /// body of their own (notification, check, createSession, deleteContainer, error,
    /// unknown) give [`DecodeErrorKind::UnsupportedOp`](crate::DecodeErrorKind::UnsupportedOp).
    pub fn decode(op: OpCode, r: &mut Reader) -> Result<WireResponse, DecodeError> {
        Ok(match op {
            OpCode::Delete
            | OpCode::Ping
            | OpCode::CheckWatches
            | OpCode::RemoveWatches
            | OpCode::Auth
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CloseSession => WireResponse::Empty,
            OpCode::Create => WireResponse::Create(r.read()?),
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                WireResponse::Create2(r.read()?)
            }
            OpCode::Exists => WireResponse::Exists(r.read()?),
            OpCode::GetData => WireResponse::GetData(r.read()?),
            OpCode::SetData => WireResponse::SetData(r.read()?),
            OpCode::GetAcl => WireResponse::GetAcl(r.read()?),
            OpCode::SetAcl => WireResponse::SetAcl(r.read()?),
            OpCode::GetChildren => WireResponse::GetChildren(r.read()?),
            OpCode::Sync => WireResponse::Sync(r.read()?),
            OpCode::GetChildren2 => WireResponse::GetChildren2(r.read()?),
            OpCode::Multi | OpCode::MultiRead => WireResponse::Multi(r.read()?),
            OpCode::Reconfig => WireResponse::Reconfig(r.read()?),
            OpCode::Sasl => WireResponse::Sasl(r.read()?),
            OpCode::GetEphemerals => WireResponse::GetEphemerals(r.read()?),
            OpCode::GetAllChildrenNumber => WireResponse::GetAllChildrenNumber(r.read()?),
            OpCode::AddWatch => {
                if r.is_empty() {
                    WireResponse::AddWatch(ErrorResponse { err: ErrorCode::Ok })
                } else {
                    WireResponse::AddWatch(r.read()?)
                }
            }
            OpCode::WhoAmI => WireResponse::WhoAmI(r.read()?),
            ops_without_record!() => return Err(unsupported_op("WireResponse", op)),
        })
    }

    /// Decodes the body of a reply whose header is `header`, to a request with op `op`:
    /// `None` without reading anything when `header.err` is not `Ok` (an error reply's
    /// body is not worth reading), else [`WireResponse::decode`].
    pub fn decode_reply_body(
        header: &ReplyHeader,
        op: OpCode,
        r: &mut Reader,
    ) -> Result<Option<WireResponse>, DecodeError> {
        if header.err.is_ok() {
            WireResponse::decode(op, r).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Appends a whole reply frame (length prefix, header, body), as a server would.
    /// `body` is written only when given; pass `None` for error replies.
    ///
    /// # Panics
    ///
    /// If the frame would exceed `i32::MAX` bytes; see [`crate::encode_frame`].
    pub fn encode_frame(header: &ReplyHeader, body: Option<&WireResponse>, buf: &mut BytesMut) {
        match body {
            Some(b) => crate::encode_frame_with_header(header, b, buf),
            None => crate::encode_frame(header, buf),
        }
    }
}

impl Encode for WireResponse {
    fn encoded_len(&self) -> usize {
        match self {
            WireResponse::Empty => 0,
            WireResponse::Create(b) => b.encoded_len(),
            WireResponse::Create2(b) => b.encoded_len(),
            WireResponse::Exists(b) => b.encoded_len(),
            WireResponse::GetData(b) | WireResponse::Reconfig(b) => b.encoded_len(),
            WireResponse::SetData(b) => b.encoded_len(),
            WireResponse::GetAcl(b) => b.encoded_len(),
            WireResponse::SetAcl(b) => b.encoded_len(),
            WireResponse::GetChildren(b) => b.encoded_len(),
            WireResponse::Sync(b) => b.encoded_len(),
            WireResponse::GetChildren2(b) => b.encoded_len(),
            WireResponse::Multi(b) => b.encoded_len(),
            WireResponse::Sasl(b) => b.encoded_len(),
            WireResponse::GetEphemerals(b) => b.encoded_len(),
            WireResponse::GetAllChildrenNumber(b) => b.encoded_len(),
            WireResponse::AddWatch(b) => b.encoded_len(),
            WireResponse::WhoAmI(b) => b.encoded_len(),
        }
    }

    fn encode(&self, buf: &mut impl BufMut) {
        match self {
            WireResponse::Empty => {}
            WireResponse::Create(b) => b.encode(buf),
            WireResponse::Create2(b) => b.encode(buf),
            WireResponse::Exists(b) => b.encode(buf),
            WireResponse::GetData(b) | WireResponse::Reconfig(b) => b.encode(buf),
            WireResponse::SetData(b) => b.encode(buf),
            WireResponse::GetAcl(b) => b.encode(buf),
            WireResponse::SetAcl(b) => b.encode(buf),
            WireResponse::GetChildren(b) => b.encode(buf),
            WireResponse::Sync(b) => b.encode(buf),
            WireResponse::GetChildren2(b) => b.encode(buf),
            WireResponse::Multi(b) => b.encode(buf),
            WireResponse::Sasl(b) => b.encode(buf),
            WireResponse::GetEphemerals(b) => b.encode(buf),
            WireResponse::GetAllChildrenNumber(b) => b.encode(buf),
            WireResponse::AddWatch(b) => b.encode(buf),
            WireResponse::WhoAmI(b) => b.encode(buf),
        }
    }
}

/// A server frame after the handshake, decoded as far as the header allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// xid -1: a watch notification.
    Notification {
        /// The header (zxid -1 before 3.9).
        header: ReplyHeader,
        /// The event.
        event: WatcherEvent,
    },
    /// Any other xid: the answer to a request. `body` is `None` when `header.err` is not
    /// `Ok` (the body of an error reply is not read).
    Response {
        /// The header.
        header: ReplyHeader,
        /// The decoded body, when err is 0.
        body: Option<WireResponse>,
    },
}

impl Reply {
    /// Decodes a whole server frame (without its length prefix). `op_for_xid` is asked
    /// for the op of the request a non-notification xid answers; it is not called for
    /// xid -1. Ping (-2) and auth (-4) replies need an op too: return
    /// [`OpCode::Ping`] / [`OpCode::Auth`].
    ///
    /// A session that must look the xid up first (and may find it unknown or out of
    /// order) uses [`split_reply`] and [`WireResponse::decode_reply_body`] instead.
    pub fn decode(
        frame: Bytes,
        op_for_xid: impl FnOnce(&ReplyHeader) -> OpCode,
    ) -> Result<Reply, DecodeError> {
        let (header, mut r) = split_reply(frame)?;
        if header.xid == xid::NOTIFICATION {
            let event = WatcherEvent::decode(&mut r)?;
            return Ok(Reply::Notification { header, event });
        }
        let body = WireResponse::decode_reply_body(&header, op_for_xid(&header), &mut r)?;
        Ok(Reply::Response { header, body })
    }

    /// The reply header.
    pub fn header(&self) -> &ReplyHeader {
        match self {
            Reply::Notification { header, .. } | Reply::Response { header, .. } => header,
        }
    }
}

/// Splits a server frame after the handshake (without its length prefix) into its
/// [`ReplyHeader`] and a [`Reader`] positioned at the body, which is not looked at.
///
/// This is the lower-level entry point for a session: read the header, route it by
/// xid (notification, ping, auth, or the oldest pending request, which gives the op),
/// then decode the body with [`WatcherEvent::decode`] or
/// [`WireResponse::decode_reply_body`] (which reads it only when err is 0).
///
/// ```
/// use bytes::BytesMut;
/// use zk_proto::*;
/// let mut buf = BytesMut::new();
/// let header = ReplyHeader { xid: 3, zxid: 9, err: ErrorCode::NoNode };
/// WireResponse::encode_frame(&header, None, &mut buf);
/// let (h, mut body) = split_reply(buf.freeze().slice(4..))?;
/// assert_eq!(h, header);
/// // Look the xid up, find the op (say exists), then:
/// assert_eq!(WireResponse::decode_reply_body(&h, OpCode::Exists, &mut body)?, None);
/// # Ok::<(), DecodeError>(())
/// ```
pub fn split_reply(frame: Bytes) -> Result<(ReplyHeader, Reader), DecodeError> {
    let mut r = Reader::new(frame);
    let header = ReplyHeader::decode(&mut r)?;
    Ok((header, r))
}

/// Decodes a whole server reply frame (without its length prefix) to a request of op
/// `op`: the header, then the body only if err is 0. Convenient for tests and golden
/// frames; a session that must look at the xid first uses [`split_reply`].
pub fn decode_reply(
    frame: Bytes,
    op: OpCode,
) -> Result<(ReplyHeader, Option<WireResponse>), DecodeError> {
    let (header, mut r) = split_reply(frame)?;
    let body = WireResponse::decode_reply_body(&header, op, &mut r)?;
    Ok((header, body))
}

/// Decodes a whole notification frame (xid -1) into its header and event.
pub fn decode_notification(frame: Bytes) -> Result<(ReplyHeader, WatcherEvent), DecodeError> {
    let (header, mut r) = split_reply(frame)?;
    let event = WatcherEvent::decode(&mut r)?;
    Ok((header, event))
}
