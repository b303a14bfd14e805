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

/// A client request body, tagged by op. `check` (13) exists only as a
/// [`MultiOp`](crate::MultiOp).
///
/// Encode writes only the body; frame it with [`WireRequest::encode_frame`] (or
/// [`crate::encode_frame_with_header`]) under a [`RequestHeader`] whose op is
/// [`WireRequest::op_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum WireRequest {
    /// create (1): answered with [`WireResponse::Create`](crate::WireResponse::Create).
    Create(CreateRequest),
    /// create2 (15): answered with path and Stat.
    Create2(CreateRequest),
    /// createContainer (19): answered with path and Stat.
    CreateContainer(CreateRequest),
    /// createTTL (21): answered with path and Stat.
    CreateTtl(CreateTtlRequest),
    /// delete (2).
    Delete(DeleteRequest),
    /// exists (3).
    Exists(ExistsRequest),
    /// getData (4).
    GetData(GetDataRequest),
    /// setData (5).
    SetData(SetDataRequest),
    /// getACL (6).
    GetAcl(GetAclRequest),
    /// setACL (7).
    SetAcl(SetAclRequest),
    /// getChildren (8).
    GetChildren(GetChildrenRequest),
    /// sync (9).
    Sync(SyncRequest),
    /// ping (11), xid [`xid::PING`]; no body.
    Ping,
    /// getChildren2 (12).
    GetChildren2(GetChildren2Request),
    /// multi (14): writes, as one transaction.
    Multi(MultiRequest),
    /// reconfig (16).
    Reconfig(ReconfigRequest),
    /// checkWatches (17).
    CheckWatches(CheckWatchesRequest),
    /// removeWatches (18).
    RemoveWatches(RemoveWatchesRequest),
    /// multiRead (22, 3.6+): independent reads.
    MultiRead(MultiRequest),
    /// auth (100), xid [`xid::AUTH`].
    Auth(AuthPacket),
    /// setWatches (101).
    SetWatches(SetWatches),
    /// sasl (102).
    Sasl(GetSaslRequest),
    /// getEphemerals (103, 3.6+).
    GetEphemerals(GetEphemeralsRequest),
    /// getAllChildrenNumber (104, 3.6+).
    GetAllChildrenNumber(GetAllChildrenNumberRequest),
    /// setWatches2 (105, 3.6+).
    SetWatches2(SetWatches2),
    /// addWatch (106, 3.6+).
    AddWatch(AddWatchRequest),
    /// whoAmI (107, 3.7+); no body.
    WhoAmI,
    /// closeSession (-11); no body. The server replies, then closes the socket.
    CloseSession,
}

macro_rules! each_body {
    ($self:expr, $r:ident => $e:expr, $none:expr) => {
        match $self {
            WireRequest::Create($r)
            | WireRequest::Create2($r)
            | WireRequest::CreateContainer($r) => $e,
            WireRequest::CreateTtl($r) => $e,
            WireRequest::Delete($r) => $e,
            WireRequest::Exists($r) => $e,
            WireRequest::GetData($r) => $e,
            WireRequest::SetData($r) => $e,
            WireRequest::GetAcl($r) => $e,
            WireRequest::SetAcl($r) => $e,
            WireRequest::GetChildren($r) => $e,
            WireRequest::Sync($r) => $e,
            WireRequest::GetChildren2($r) => $e,
            WireRequest::Multi($r) | WireRequest::MultiRead($r) => $e,
            WireRequest::Reconfig($r) => $e,
            WireRequest::CheckWatches($r) => $e,
            WireRequest::RemoveWatches($r) => $e,
            WireRequest::Auth($r) => $e,
            WireRequest::SetWatches($r) => $e,
            WireRequest::Sasl($r) => $e,
            WireRequest::GetEphemerals($r) => $e,
            WireRequest::GetAllChildrenNumber($r) => $e,
            WireRequest::SetWatches2($r) => $e,
            WireRequest::AddWatch($r) => $e,
            WireRequest::Ping | WireRequest::WhoAmI | WireRequest::CloseSession => $none,
        }
    };
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
                CreateBody::Ttl(r) => WireRequest::CreateTtl(r),
                CreateBody::Container(r) => WireRequest::CreateContainer(r),
                CreateBody::Create2(r) => WireRequest::Create2(r),
                CreateBody::Create(r) => WireRequest::Create(r),
            },
        )
    }

    /// The op code for the [`RequestHeader`].
    pub const fn op_code(&self) -> OpCode {
        match self {
            WireRequest::Create(_) => OpCode::Create,
            WireRequest::Create2(_) => OpCode::Create2,
            WireRequest::CreateContainer(_) => OpCode::CreateContainer,
            WireRequest::CreateTtl(_) => OpCode::CreateTtl,
            WireRequest::Delete(_) => OpCode::Delete,
            WireRequest::Exists(_) => OpCode::Exists,
            WireRequest::GetData(_) => OpCode::GetData,
            WireRequest::SetData(_) => OpCode::SetData,
            WireRequest::GetAcl(_) => OpCode::GetAcl,
            WireRequest::SetAcl(_) => OpCode::SetAcl,
            WireRequest::GetChildren(_) => OpCode::GetChildren,
            WireRequest::Sync(_) => OpCode::Sync,
            WireRequest::Ping => OpCode::Ping,
            WireRequest::GetChildren2(_) => OpCode::GetChildren2,
            WireRequest::Multi(_) => OpCode::Multi,
            WireRequest::Reconfig(_) => OpCode::Reconfig,
            WireRequest::CheckWatches(_) => OpCode::CheckWatches,
            WireRequest::RemoveWatches(_) => OpCode::RemoveWatches,
            WireRequest::MultiRead(_) => OpCode::MultiRead,
            WireRequest::Auth(_) => OpCode::Auth,
            WireRequest::SetWatches(_) => OpCode::SetWatches,
            WireRequest::Sasl(_) => OpCode::Sasl,
            WireRequest::GetEphemerals(_) => OpCode::GetEphemerals,
            WireRequest::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            WireRequest::SetWatches2(_) => OpCode::SetWatches2,
            WireRequest::AddWatch(_) => OpCode::AddWatch,
            WireRequest::WhoAmI => OpCode::WhoAmI,
            WireRequest::CloseSession => OpCode::CloseSession,
        }
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
        Ok(match op {
            OpCode::Create => WireRequest::Create(r.read()?),
            OpCode::Create2 => WireRequest::Create2(r.read()?),
            OpCode::CreateContainer => WireRequest::CreateContainer(r.read()?),
            OpCode::CreateTtl => WireRequest::CreateTtl(r.read()?),
            OpCode::Delete => WireRequest::Delete(r.read()?),
            OpCode::Exists => WireRequest::Exists(r.read()?),
            OpCode::GetData => WireRequest::GetData(r.read()?),
            OpCode::SetData => WireRequest::SetData(r.read()?),
            OpCode::GetAcl => WireRequest::GetAcl(r.read()?),
            OpCode::SetAcl => WireRequest::SetAcl(r.read()?),
            OpCode::GetChildren => WireRequest::GetChildren(r.read()?),
            OpCode::Sync => WireRequest::Sync(r.read()?),
            OpCode::Ping => WireRequest::Ping,
            OpCode::GetChildren2 => WireRequest::GetChildren2(r.read()?),
            OpCode::Multi => WireRequest::Multi(r.read()?),
            OpCode::Reconfig => WireRequest::Reconfig(r.read()?),
            OpCode::CheckWatches => WireRequest::CheckWatches(r.read()?),
            OpCode::RemoveWatches => WireRequest::RemoveWatches(r.read()?),
            OpCode::MultiRead => WireRequest::MultiRead(r.read()?),
            OpCode::Auth => WireRequest::Auth(r.read()?),
            OpCode::SetWatches => WireRequest::SetWatches(r.read()?),
            OpCode::Sasl => WireRequest::Sasl(r.read()?),
            OpCode::GetEphemerals => WireRequest::GetEphemerals(r.read()?),
            OpCode::GetAllChildrenNumber => WireRequest::GetAllChildrenNumber(r.read()?),
            OpCode::SetWatches2 => WireRequest::SetWatches2(r.read()?),
            OpCode::AddWatch => WireRequest::AddWatch(r.read()?),
            OpCode::WhoAmI => WireRequest::WhoAmI,
            OpCode::CloseSession => WireRequest::CloseSession,
            ops_without_record!() => return Err(unsupported_op("WireRequest", op)),
        })
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

impl Encode for WireRequest {
    fn encoded_len(&self) -> usize {
        each_body!(self, r => r.encoded_len(), 0)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        each_body!(self, r => r.encode(buf), ())
    }
}

/// The error for an op that has no record of the kind being decoded (a request or a
/// response body): [`DecodeErrorKind::UnsupportedOp`], named `what.op`.
pub(crate) fn unsupported_op(what: &'static str, op: OpCode) -> DecodeError {
    DecodeError::new(what, "op", DecodeErrorKind::UnsupportedOp(op.to_i32()))
}
