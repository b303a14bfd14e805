//! [`Response`]: the reply body of every client op, decoded given the op of the request
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
/// [`Response::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Response {
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

impl Response {
    /// Decodes the body of a successful reply to a request with op `op`.
    ///
    /// Only call this when the [`ReplyHeader::err`] is `Ok`; error replies carry no body
    /// worth reading. Trailing bytes are ignored. Ops that are never answered with a
    /// body of their own (notification, check, createSession, deleteContainer, error,
    /// unknown) give [`DecodeErrorKind::UnsupportedOp`](crate::DecodeErrorKind::UnsupportedOp).
    pub fn decode(op: OpCode, r: &mut Reader) -> Result<Response, DecodeError> {
        Ok(match op {
            OpCode::Delete
            | OpCode::Ping
            | OpCode::CheckWatches
            | OpCode::RemoveWatches
            | OpCode::Auth
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CloseSession => Response::Empty,
            OpCode::Create => Response::Create(r.read()?),
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                Response::Create2(r.read()?)
            }
            OpCode::Exists => Response::Exists(r.read()?),
            OpCode::GetData => Response::GetData(r.read()?),
            OpCode::SetData => Response::SetData(r.read()?),
            OpCode::GetAcl => Response::GetAcl(r.read()?),
            OpCode::SetAcl => Response::SetAcl(r.read()?),
            OpCode::GetChildren => Response::GetChildren(r.read()?),
            OpCode::Sync => Response::Sync(r.read()?),
            OpCode::GetChildren2 => Response::GetChildren2(r.read()?),
            OpCode::Multi | OpCode::MultiRead => Response::Multi(r.read()?),
            OpCode::Reconfig => Response::Reconfig(r.read()?),
            OpCode::Sasl => Response::Sasl(r.read()?),
            OpCode::GetEphemerals => Response::GetEphemerals(r.read()?),
            OpCode::GetAllChildrenNumber => Response::GetAllChildrenNumber(r.read()?),
            OpCode::AddWatch => {
                if r.is_empty() {
                    Response::AddWatch(ErrorResponse { err: ErrorCode::Ok })
                } else {
                    Response::AddWatch(r.read()?)
                }
            }
            OpCode::WhoAmI => Response::WhoAmI(r.read()?),
            ops_without_record!() => return Err(unsupported_op("Response", op)),
        })
    }

    /// Decodes the body of a reply whose header is `header`, to a request with op `op`:
    /// `None` without reading anything when `header.err` is not `Ok` (an error reply's
    /// body is not worth reading), else [`Response::decode`].
    pub fn decode_reply_body(
        header: &ReplyHeader,
        op: OpCode,
        r: &mut Reader,
    ) -> Result<Option<Response>, DecodeError> {
        if header.err.is_ok() {
            Response::decode(op, r).map(Some)
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
    pub fn encode_frame(header: &ReplyHeader, body: Option<&Response>, buf: &mut BytesMut) {
        match body {
            Some(b) => crate::encode_frame_with_header(header, b, buf),
            None => crate::encode_frame(header, buf),
        }
    }
}

impl Encode for Response {
    fn encoded_len(&self) -> usize {
        match self {
            Response::Empty => 0,
            Response::Create(b) => b.encoded_len(),
            Response::Create2(b) => b.encoded_len(),
            Response::Exists(b) => b.encoded_len(),
            Response::GetData(b) | Response::Reconfig(b) => b.encoded_len(),
            Response::SetData(b) => b.encoded_len(),
            Response::GetAcl(b) => b.encoded_len(),
            Response::SetAcl(b) => b.encoded_len(),
            Response::GetChildren(b) => b.encoded_len(),
            Response::Sync(b) => b.encoded_len(),
            Response::GetChildren2(b) => b.encoded_len(),
            Response::Multi(b) => b.encoded_len(),
            Response::Sasl(b) => b.encoded_len(),
            Response::GetEphemerals(b) => b.encoded_len(),
            Response::GetAllChildrenNumber(b) => b.encoded_len(),
            Response::AddWatch(b) => b.encoded_len(),
            Response::WhoAmI(b) => b.encoded_len(),
        }
    }

    fn encode(&self, buf: &mut impl BufMut) {
        match self {
            Response::Empty => {}
            Response::Create(b) => b.encode(buf),
            Response::Create2(b) => b.encode(buf),
            Response::Exists(b) => b.encode(buf),
            Response::GetData(b) | Response::Reconfig(b) => b.encode(buf),
            Response::SetData(b) => b.encode(buf),
            Response::GetAcl(b) => b.encode(buf),
            Response::SetAcl(b) => b.encode(buf),
            Response::GetChildren(b) => b.encode(buf),
            Response::Sync(b) => b.encode(buf),
            Response::GetChildren2(b) => b.encode(buf),
            Response::Multi(b) => b.encode(buf),
            Response::Sasl(b) => b.encode(buf),
            Response::GetEphemerals(b) => b.encode(buf),
            Response::GetAllChildrenNumber(b) => b.encode(buf),
            Response::AddWatch(b) => b.encode(buf),
            Response::WhoAmI(b) => b.encode(buf),
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
        body: Option<Response>,
    },
}

impl Reply {
    /// Decodes a whole server frame (without its length prefix). `op_for_xid` is asked
    /// for the op of the request a non-notification xid answers; it is not called for
    /// xid -1. Ping (-2) and auth (-4) replies need an op too: return
    /// [`OpCode::Ping`] / [`OpCode::Auth`].
    ///
    /// A session that must look the xid up first (and may find it unknown or out of
    /// order) uses [`split_reply`] and [`Response::decode_reply_body`] instead.
    pub fn decode(
        frame: Bytes,
        op_for_xid: impl FnOnce(&ReplyHeader) -> OpCode,
    ) -> Result<Reply, DecodeError> {
        let (header, mut r) = split_reply(frame)?;
        if header.xid == xid::NOTIFICATION {
            let event = WatcherEvent::decode(&mut r)?;
            return Ok(Reply::Notification { header, event });
        }
        let body = Response::decode_reply_body(&header, op_for_xid(&header), &mut r)?;
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
/// [`Response::decode_reply_body`] (which reads it only when err is 0).
///
/// ```
/// use bytes::BytesMut;
/// use zk_proto::*;
/// let mut buf = BytesMut::new();
/// let header = ReplyHeader { xid: 3, zxid: 9, err: ErrorCode::NoNode };
/// Response::encode_frame(&header, None, &mut buf);
/// let (h, mut body) = split_reply(buf.freeze().slice(4..))?;
/// assert_eq!(h, header);
/// // Look the xid up, find the op (say exists), then:
/// assert_eq!(Response::decode_reply_body(&h, OpCode::Exists, &mut body)?, None);
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
) -> Result<(ReplyHeader, Option<Response>), DecodeError> {
    let (header, mut r) = split_reply(frame)?;
    let body = Response::decode_reply_body(&header, op, &mut r)?;
    Ok((header, body))
}

/// Decodes a whole notification frame (xid -1) into its header and event.
pub fn decode_notification(frame: Bytes) -> Result<(ReplyHeader, WatcherEvent), DecodeError> {
    let (header, mut r) = split_reply(frame)?;
    let event = WatcherEvent::decode(&mut r)?;
    Ok((header, event))
}
