//! [`Request`]: one variant per client op, with its op code and body.

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
/// Encode writes only the body; frame it with [`Request::encode_frame`] (or
/// [`crate::encode_frame_with_header`]) under a [`RequestHeader`] whose op is
/// [`Request::op_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Request {
    /// create (1): answered with [`Response::Create`](crate::Response::Create).
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
            Request::Create($r) | Request::Create2($r) | Request::CreateContainer($r) => $e,
            Request::CreateTtl($r) => $e,
            Request::Delete($r) => $e,
            Request::Exists($r) => $e,
            Request::GetData($r) => $e,
            Request::SetData($r) => $e,
            Request::GetAcl($r) => $e,
            Request::SetAcl($r) => $e,
            Request::GetChildren($r) => $e,
            Request::Sync($r) => $e,
            Request::GetChildren2($r) => $e,
            Request::Multi($r) | Request::MultiRead($r) => $e,
            Request::Reconfig($r) => $e,
            Request::CheckWatches($r) => $e,
            Request::RemoveWatches($r) => $e,
            Request::Auth($r) => $e,
            Request::SetWatches($r) => $e,
            Request::Sasl($r) => $e,
            Request::GetEphemerals($r) => $e,
            Request::GetAllChildrenNumber($r) => $e,
            Request::SetWatches2($r) => $e,
            Request::AddWatch($r) => $e,
            Request::Ping | Request::WhoAmI | Request::CloseSession => $none,
        }
    };
}

impl Request {
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
    ) -> Result<Request, CreateModeError> {
        Ok(
            match CreateBody::new(path.into(), data.into(), acl, mode, ttl, with_stat)? {
                CreateBody::Ttl(r) => Request::CreateTtl(r),
                CreateBody::Container(r) => Request::CreateContainer(r),
                CreateBody::Create2(r) => Request::Create2(r),
                CreateBody::Create(r) => Request::Create(r),
            },
        )
    }

    /// The op code for the [`RequestHeader`].
    pub const fn op_code(&self) -> OpCode {
        match self {
            Request::Create(_) => OpCode::Create,
            Request::Create2(_) => OpCode::Create2,
            Request::CreateContainer(_) => OpCode::CreateContainer,
            Request::CreateTtl(_) => OpCode::CreateTtl,
            Request::Delete(_) => OpCode::Delete,
            Request::Exists(_) => OpCode::Exists,
            Request::GetData(_) => OpCode::GetData,
            Request::SetData(_) => OpCode::SetData,
            Request::GetAcl(_) => OpCode::GetAcl,
            Request::SetAcl(_) => OpCode::SetAcl,
            Request::GetChildren(_) => OpCode::GetChildren,
            Request::Sync(_) => OpCode::Sync,
            Request::Ping => OpCode::Ping,
            Request::GetChildren2(_) => OpCode::GetChildren2,
            Request::Multi(_) => OpCode::Multi,
            Request::Reconfig(_) => OpCode::Reconfig,
            Request::CheckWatches(_) => OpCode::CheckWatches,
            Request::RemoveWatches(_) => OpCode::RemoveWatches,
            Request::MultiRead(_) => OpCode::MultiRead,
            Request::Auth(_) => OpCode::Auth,
            Request::SetWatches(_) => OpCode::SetWatches,
            Request::Sasl(_) => OpCode::Sasl,
            Request::GetEphemerals(_) => OpCode::GetEphemerals,
            Request::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            Request::SetWatches2(_) => OpCode::SetWatches2,
            Request::AddWatch(_) => OpCode::AddWatch,
            Request::WhoAmI => OpCode::WhoAmI,
            Request::CloseSession => OpCode::CloseSession,
        }
    }

    /// The xid this op must be sent with, if fixed: [`xid::PING`] for ping,
    /// [`xid::AUTH`] for auth. Every other op takes an ordinary positive xid (and is
    /// answered in order).
    pub const fn fixed_xid(&self) -> Option<i32> {
        match self {
            Request::Ping => Some(xid::PING),
            Request::Auth(_) => Some(xid::AUTH),
            _ => None,
        }
    }

    /// The path the request names, for ops that name exactly one (not multi, setWatches,
    /// reconfig, auth, sasl, ping, whoAmI, closeSession). For getEphemerals this is the
    /// prefix.
    pub fn path(&self) -> Option<&str> {
        Some(match self {
            Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => &r.path,
            Request::CreateTtl(r) => &r.path,
            Request::Delete(r) => &r.path,
            Request::Exists(r) => &r.path,
            Request::GetData(r) => &r.path,
            Request::SetData(r) => &r.path,
            Request::GetAcl(r) => &r.path,
            Request::SetAcl(r) => &r.path,
            Request::GetChildren(r) => &r.path,
            Request::Sync(r) => &r.path,
            Request::GetChildren2(r) => &r.path,
            Request::CheckWatches(r) => &r.path,
            Request::RemoveWatches(r) => &r.path,
            Request::GetEphemerals(r) => &r.prefix_path,
            Request::GetAllChildrenNumber(r) => &r.path,
            Request::AddWatch(r) => &r.path,
            _ => return None,
        })
    }

    /// Decodes the body of a request whose header carried `op` (for fake servers and
    /// tests). Ops a client never sends alone (notification, check, createSession,
    /// deleteContainer, error, unknown) give [`DecodeErrorKind::UnsupportedOp`].
    pub fn decode(op: OpCode, r: &mut Reader) -> Result<Request, DecodeError> {
        Ok(match op {
            OpCode::Create => Request::Create(r.read()?),
            OpCode::Create2 => Request::Create2(r.read()?),
            OpCode::CreateContainer => Request::CreateContainer(r.read()?),
            OpCode::CreateTtl => Request::CreateTtl(r.read()?),
            OpCode::Delete => Request::Delete(r.read()?),
            OpCode::Exists => Request::Exists(r.read()?),
            OpCode::GetData => Request::GetData(r.read()?),
            OpCode::SetData => Request::SetData(r.read()?),
            OpCode::GetAcl => Request::GetAcl(r.read()?),
            OpCode::SetAcl => Request::SetAcl(r.read()?),
            OpCode::GetChildren => Request::GetChildren(r.read()?),
            OpCode::Sync => Request::Sync(r.read()?),
            OpCode::Ping => Request::Ping,
            OpCode::GetChildren2 => Request::GetChildren2(r.read()?),
            OpCode::Multi => Request::Multi(r.read()?),
            OpCode::Reconfig => Request::Reconfig(r.read()?),
            OpCode::CheckWatches => Request::CheckWatches(r.read()?),
            OpCode::RemoveWatches => Request::RemoveWatches(r.read()?),
            OpCode::MultiRead => Request::MultiRead(r.read()?),
            OpCode::Auth => Request::Auth(r.read()?),
            OpCode::SetWatches => Request::SetWatches(r.read()?),
            OpCode::Sasl => Request::Sasl(r.read()?),
            OpCode::GetEphemerals => Request::GetEphemerals(r.read()?),
            OpCode::GetAllChildrenNumber => Request::GetAllChildrenNumber(r.read()?),
            OpCode::SetWatches2 => Request::SetWatches2(r.read()?),
            OpCode::AddWatch => Request::AddWatch(r.read()?),
            OpCode::WhoAmI => Request::WhoAmI,
            OpCode::CloseSession => Request::CloseSession,
            ops_without_record!() => return Err(unsupported_op("Request", op)),
        })
    }

    /// The length of the frame [`Request::encode_frame`] writes, prefix not counted:
    /// `RequestHeader::LEN + encoded_len()`. Compare it with the maximum frame length
    /// (and `i32::MAX`) before encoding; nothing is allocated to compute it.
    pub fn frame_len(&self) -> usize {
        RequestHeader::LEN + self.encoded_len()
    }

    /// Appends a whole frame: length prefix, `RequestHeader { xid, op: self.op_code() }`
    /// and the body, reserving exactly once. Use [`Request::fixed_xid`] for ping/auth.
    ///
    /// # Panics
    ///
    /// If [`Request::frame_len`] exceeds `i32::MAX` (checked before anything is
    /// reserved); see [`crate::encode_frame_with_header`].
    pub fn encode_frame(&self, xid: i32, buf: &mut BytesMut) {
        let header = RequestHeader {
            xid,
            op: self.op_code(),
        };
        crate::encode_frame_with_header(&header, self, buf);
    }

    /// Decodes a whole client frame body (header and request), as a server would.
    pub fn decode_frame(frame: Bytes) -> Result<(RequestHeader, Request), DecodeError> {
        let mut r = Reader::new(frame);
        let header = RequestHeader::decode(&mut r)?;
        let req = Request::decode(header.op, &mut r)?;
        Ok((header, req))
    }
}

impl Encode for Request {
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
