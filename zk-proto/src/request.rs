//! [`WireRequest`]: one variant per client op, with its op code and body.

use bytes::{BufMut, Bytes, BytesMut};

use crate::jute::{Decode, DecodeError, DecodeErrorKind, Encode, Reader};
use crate::ops::multi::CreateBody;
use crate::{
    Acl, AddWatchRequest, AuthPacket, CheckWatchesRequest, CreateMode, CreateModeError,
    CreateRequest, CreateTtlRequest, DeleteRequest, ExistsRequest, GetAclRequest,
    GetAllChildrenNumberRequest, GetChildren2Request, GetChildrenRequest, GetDataRequest,
    GetEphemeralsRequest, GetSaslRequest, MultiRequest, OpCode, ReconfigRequest,
    RemoveWatchesRequest, RequestHeader, SetAclRequest, SetDataRequest, SetWatches, SetWatches2,
    SyncRequest, xid,
};

wire_requests! {
    /// A client request body, tagged by op. `check` (13) exists only as a
    /// [`MultiOp`](crate::MultiOp).
    ///
    /// Every body larger than a path and a few fields is boxed (the creates, setData,
    /// setACL, reconfig, auth, setWatches), so the enum, which a session keeps for every
    /// request it holds, is 40 bytes: a read in flight costs no room sized for a write.
    ///
    /// Encode writes only the body; frame it with [`WireRequest::encode_frame`] (or
    /// [`crate::encode_frame_with_header`]) under a [`RequestHeader`] whose op is
    /// [`WireRequest::op_code`].
    pub enum WireRequest {
        /// create (1): answered with [`WireResponse::Create`](crate::WireResponse::Create).
        Create(Box<CreateRequest>) = Create,
        /// create2 (15): answered with path and Stat.
        Create2(Box<CreateRequest>) = Create2,
        /// createContainer (19): answered with path and Stat.
        CreateContainer(Box<CreateRequest>) = CreateContainer,
        /// createTTL (21): answered with path and Stat.
        CreateTtl(Box<CreateTtlRequest>) = CreateTtl,
        /// delete (2).
        Delete(DeleteRequest) = Delete,
        /// exists (3).
        Exists(ExistsRequest) = Exists,
        /// getData (4).
        GetData(GetDataRequest) = GetData,
        /// setData (5).
        SetData(Box<SetDataRequest>) = SetData,
        /// getACL (6).
        GetAcl(GetAclRequest) = GetAcl,
        /// setACL (7).
        SetAcl(Box<SetAclRequest>) = SetAcl,
        /// getChildren (8).
        GetChildren(GetChildrenRequest) = GetChildren,
        /// sync (9).
        Sync(SyncRequest) = Sync,
        /// ping (11), xid [`xid::PING`]; no body.
        Ping = Ping,
        /// getChildren2 (12).
        GetChildren2(GetChildren2Request) = GetChildren2,
        /// multi (14): writes, as one transaction.
        Multi(MultiRequest) = Multi,
        /// reconfig (16).
        Reconfig(Box<ReconfigRequest>) = Reconfig,
        /// checkWatches (17).
        CheckWatches(CheckWatchesRequest) = CheckWatches,
        /// removeWatches (18).
        RemoveWatches(RemoveWatchesRequest) = RemoveWatches,
        /// multiRead (22, 3.6+): independent reads.
        MultiRead(MultiRequest) = MultiRead,
        /// auth (100), xid [`xid::AUTH`].
        Auth(Box<AuthPacket>) = Auth,
        /// setWatches (101).
        SetWatches(Box<SetWatches>) = SetWatches,
        /// sasl (102).
        Sasl(GetSaslRequest) = Sasl,
        /// getEphemerals (103, 3.6+).
        GetEphemerals(GetEphemeralsRequest) = GetEphemerals,
        /// getAllChildrenNumber (104, 3.6+).
        GetAllChildrenNumber(GetAllChildrenNumberRequest) = GetAllChildrenNumber,
        /// setWatches2 (105, 3.6+).
        SetWatches2(Box<SetWatches2>) = SetWatches2,
        /// addWatch (106, 3.6+).
        AddWatch(AddWatchRequest) = AddWatch,
        /// whoAmI (107, 3.7+); no body.
        WhoAmI = WhoAmI,
        /// closeSession (-11); no body. The server replies, then closes the socket.
        CloseSession = CloseSession,
    }
}

impl WireRequest {
    /// A create request with the op code the mode needs: createTTL (21) for TTL modes,
    /// createContainer (19) for containers, else create2 (15) if `with_stat`, else
    /// create (1). `ttl` must be `Some(1..=MAX_TTL)` for TTL modes and `None` otherwise.
    pub fn create(
        path: impl Into<String>,
        data: impl Into<Bytes>,
        acl: Vec<Acl>,
        mode: CreateMode,
        ttl: Option<i64>,
        with_stat: bool,
    ) -> Result<WireRequest, CreateModeError> {
        Ok(
            match CreateBody::new(path.into(), data.into(), acl, mode, ttl, with_stat)? {
                CreateBody::Ttl(r) => WireRequest::CreateTtl(Box::new(r)),
                CreateBody::Container(r) => WireRequest::CreateContainer(Box::new(r)),
                CreateBody::Create2(r) => WireRequest::Create2(Box::new(r)),
                CreateBody::Create(r) => WireRequest::Create(Box::new(r)),
            },
        )
    }

    /// The xid this op must be sent with, if fixed: [`xid::PING`] for ping,
    /// [`xid::AUTH`] for auth. Every other op takes an ordinary positive xid (and is
    /// answered in order).
    pub const fn fixed_xid(&self) -> Option<i32> {
        match self {
            WireRequest::Ping => Some(xid::PING),
            WireRequest::Auth(_) => Some(xid::AUTH),
            _ => None,
        }
    }

    /// The path the request names, for ops that name exactly one (not multi, setWatches,
    /// reconfig, auth, sasl, ping, whoAmI, closeSession). For getEphemerals this is the
    /// prefix.
    pub fn path(&self) -> Option<&str> {
        Some(match self {
            WireRequest::Create(r) | WireRequest::Create2(r) | WireRequest::CreateContainer(r) => {
                &r.path
            }
            WireRequest::CreateTtl(r) => &r.path,
            WireRequest::Delete(r) => &r.path,
            WireRequest::Exists(r) => &r.path,
            WireRequest::GetData(r) => &r.path,
            WireRequest::SetData(r) => &r.path,
            WireRequest::GetAcl(r) => &r.path,
            WireRequest::SetAcl(r) => &r.path,
            WireRequest::GetChildren(r) => &r.path,
            WireRequest::Sync(r) => &r.path,
            WireRequest::GetChildren2(r) => &r.path,
            WireRequest::CheckWatches(r) => &r.path,
            WireRequest::RemoveWatches(r) => &r.path,
            WireRequest::GetEphemerals(r) => &r.prefix_path,
            WireRequest::GetAllChildrenNumber(r) => &r.path,
            WireRequest::AddWatch(r) => &r.path,
            _ => return None,
        })
    }

    /// Decodes the body of a request whose header carried `op` (for fake servers and
    /// tests). Ops a client never sends alone (notification, check, createSession,
    /// deleteContainer, error, unknown) give [`DecodeErrorKind::UnsupportedOp`].
    pub fn decode(op: OpCode, r: &mut Reader) -> Result<WireRequest, DecodeError> {
        WireRequest::decode_body(op, r)
    }

    /// The length of the frame [`WireRequest::encode_frame`] writes, prefix not counted:
    /// `RequestHeader::LEN + encoded_len()`. Compare it with the maximum frame length
    /// (and `i32::MAX`) before encoding; nothing is allocated to compute it.
    pub fn frame_len(&self) -> usize {
        RequestHeader::LEN + self.encoded_len()
    }

    /// Appends a whole frame: length prefix, `RequestHeader { xid, op: self.op_code() }`
    /// and the body, reserving exactly once. Use [`WireRequest::fixed_xid`] for ping/auth.
    ///
    /// # Panics
    ///
    /// If [`WireRequest::frame_len`] exceeds `i32::MAX` (checked before anything is
    /// reserved); see [`crate::encode_frame_with_header`].
    pub fn encode_frame(&self, xid: i32, buf: &mut BytesMut) {
        let header = RequestHeader {
            xid,
            op: self.op_code(),
        };
        crate::encode_frame_with_header(&header, self, buf);
    }

    /// Decodes a whole client frame body (header and request), as a server would.
    pub fn decode_frame(frame: Bytes) -> Result<(RequestHeader, WireRequest), DecodeError> {
        let mut r = Reader::new(frame);
        let header = RequestHeader::decode(&mut r)?;
        let req = WireRequest::decode(header.op, &mut r)?;
        Ok((header, req))
    }
}

/// The error for an op that has no record of the kind being decoded (a request or a
/// response body): [`DecodeErrorKind::UnsupportedOp`], named `what.op`.
pub(crate) fn unsupported_op(what: &'static str, op: OpCode) -> DecodeError {
    DecodeError::new(what, "op", DecodeErrorKind::UnsupportedOp(op.to_i32()))
}
