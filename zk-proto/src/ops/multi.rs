//! multi (14) and multiRead (22).
//!
//! WireRequest: for each op, `MultiHeader(type, done=false, err=-1)` + its record; then the
//! terminator `MultiHeader(-1, true, -1)`. WireResponse: for each result,
//! `MultiHeader(type, false, err)` + a body chosen by **the result's own type**; then the
//! same terminator.

use bytes::BufMut;

use crate::jute::{Decode, DecodeError, DecodeErrorKind, Encode, Field, Reader};
use crate::{
    Acl, Create2Response, CreateMode, CreateModeError, CreateRequest, CreateResponse,
    CreateTtlRequest, DeleteRequest, ErrorCode, ErrorResponse, GetChildrenRequest,
    GetChildrenResponse, GetDataRequest, GetDataResponse, OpCode, SetDataRequest, SetDataResponse,
};

record! {
    /// The header before every multi sub-op and result: `type:int, done:boolean, err:int`.
    #[derive(Copy)]
    pub struct MultiHeader {
        /// The sub-op's op code, or [`OpCode::Error`] (-1) for an error result or the
        /// terminator.
        pub op_type: OpCode,
        /// True only on the terminator.
        pub done: bool,
        /// -1 on requests; the result code on responses.
        pub err: ErrorCode,
    }
}

impl MultiHeader {
    /// The terminator `(-1, true, -1)`.
    pub const TERMINATOR: MultiHeader = MultiHeader {
        op_type: OpCode::Error,
        done: true,
        err: ErrorCode::SystemError,
    };
    /// Encoded length: 9 bytes.
    pub const LEN: usize = 9;
}

record! {
    /// check (13) as a multi sub-op: `path, version:int`. Never send it alone.
    pub struct CheckVersionRequest {
        /// The path.
        pub path: String,
        /// The expected data version.
        pub version: i32,
    }
}

/// The body of a create request, with the op it goes under: built once for both
/// [`MultiOp::create`] and [`WireRequest::create`](crate::WireRequest::create).
pub(crate) enum CreateBody {
    /// create (1).
    Create(CreateRequest),
    /// create2 (15).
    Create2(CreateRequest),
    /// createContainer (19).
    Container(CreateRequest),
    /// createTTL (21).
    Ttl(CreateTtlRequest),
}

impl CreateBody {
    /// Validates `ttl` against `mode` and picks the op: createTTL (21) for TTL modes,
    /// createContainer (19) for containers, else create2 (15) if `with_stat`, else
    /// create (1).
    pub(crate) fn new(
        path: String,
        data: bytes::Bytes,
        acl: Vec<Acl>,
        mode: CreateMode,
        ttl: Option<i64>,
        with_stat: bool,
    ) -> Result<CreateBody, CreateModeError> {
        mode.validate_ttl(ttl)?;
        if let (OpCode::CreateTtl, Some(ttl)) = (mode.op_code(with_stat), ttl) {
            return Ok(CreateBody::Ttl(CreateTtlRequest {
                path,
                data,
                acl,
                flags: mode,
                ttl,
            }));
        }
        let req = CreateRequest {
            path,
            data,
            acl,
            flags: mode,
        };
        Ok(match mode.op_code(with_stat) {
            OpCode::CreateContainer => CreateBody::Container(req),
            OpCode::Create2 => CreateBody::Create2(req),
            _ => CreateBody::Create(req),
        })
    }
}

/// One sub-op of a multi (writes) or multiRead (reads).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MultiOp {
    /// create (1): answered with a path.
    Create(CreateRequest),
    /// create2 (15): answered with path and Stat (servers before 3.9 answer type 1).
    Create2(CreateRequest),
    /// createContainer (19).
    CreateContainer(CreateRequest),
    /// createTTL (21).
    CreateTtl(CreateTtlRequest),
    /// delete (2).
    Delete(DeleteRequest),
    /// setData (5).
    SetData(SetDataRequest),
    /// check (13).
    Check(CheckVersionRequest),
    /// getData (4), multiRead only.
    GetData(GetDataRequest),
    /// getChildren (8), multiRead only.
    GetChildren(GetChildrenRequest),
}

impl MultiOp {
    /// A create sub-op with the op code the mode needs (1/15, 19 or 21); `ttl` is
    /// validated against the mode.
    pub fn create(
        path: impl Into<String>,
        data: impl Into<bytes::Bytes>,
        acl: Vec<Acl>,
        mode: CreateMode,
        ttl: Option<i64>,
        with_stat: bool,
    ) -> Result<MultiOp, CreateModeError> {
        Ok(
            match CreateBody::new(path.into(), data.into(), acl, mode, ttl, with_stat)? {
                CreateBody::Ttl(r) => MultiOp::CreateTtl(r),
                CreateBody::Container(r) => MultiOp::CreateContainer(r),
                CreateBody::Create2(r) => MultiOp::Create2(r),
                CreateBody::Create(r) => MultiOp::Create(r),
            },
        )
    }

    /// The op code written in this sub-op's header.
    pub const fn op_code(&self) -> OpCode {
        match self {
            MultiOp::Create(_) => OpCode::Create,
            MultiOp::Create2(_) => OpCode::Create2,
            MultiOp::CreateContainer(_) => OpCode::CreateContainer,
            MultiOp::CreateTtl(_) => OpCode::CreateTtl,
            MultiOp::Delete(_) => OpCode::Delete,
            MultiOp::SetData(_) => OpCode::SetData,
            MultiOp::Check(_) => OpCode::Check,
            MultiOp::GetData(_) => OpCode::GetData,
            MultiOp::GetChildren(_) => OpCode::GetChildren,
        }
    }

    /// The path the sub-op acts on.
    pub fn path(&self) -> &str {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => &r.path,
            MultiOp::CreateTtl(r) => &r.path,
            MultiOp::Delete(r) => &r.path,
            MultiOp::SetData(r) => &r.path,
            MultiOp::Check(r) => &r.path,
            MultiOp::GetData(r) => &r.path,
            MultiOp::GetChildren(r) => &r.path,
        }
    }

    /// Whether this is a read (allowed only in multiRead).
    pub const fn is_read(&self) -> bool {
        matches!(self, MultiOp::GetData(_) | MultiOp::GetChildren(_))
    }
}

impl Entry for MultiOp {
    const LIST: &'static str = "MultiRequest";
    const FIELD: &'static str = "ops";

    fn header(&self) -> MultiHeader {
        MultiHeader {
            op_type: self.op_code(),
            done: false,
            err: ErrorCode::SystemError,
        }
    }

    fn body_len(&self) -> usize {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
                r.encoded_len()
            }
            MultiOp::CreateTtl(r) => r.encoded_len(),
            MultiOp::Delete(r) => r.encoded_len(),
            MultiOp::SetData(r) => r.encoded_len(),
            MultiOp::Check(r) => r.encoded_len(),
            MultiOp::GetData(r) => r.encoded_len(),
            MultiOp::GetChildren(r) => r.encoded_len(),
        }
    }

    fn encode_body(&self, buf: &mut impl BufMut) {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => r.encode(buf),
            MultiOp::CreateTtl(r) => r.encode(buf),
            MultiOp::Delete(r) => r.encode(buf),
            MultiOp::SetData(r) => r.encode(buf),
            MultiOp::Check(r) => r.encode(buf),
            MultiOp::GetData(r) => r.encode(buf),
            MultiOp::GetChildren(r) => r.encode(buf),
        }
    }

    fn decode_body(op_type: OpCode, r: &mut Reader) -> Result<Self, DecodeError> {
        Ok(match op_type {
            OpCode::Create => MultiOp::Create(r.read()?),
            OpCode::Create2 => MultiOp::Create2(r.read()?),
            OpCode::CreateContainer => MultiOp::CreateContainer(r.read()?),
            OpCode::CreateTtl => MultiOp::CreateTtl(r.read()?),
            OpCode::Delete => MultiOp::Delete(r.read()?),
            OpCode::SetData => MultiOp::SetData(r.read()?),
            OpCode::Check => MultiOp::Check(r.read()?),
            OpCode::GetData => MultiOp::GetData(r.read()?),
            OpCode::GetChildren => MultiOp::GetChildren(r.read()?),
            _ => unknown_type(op_type)?,
        })
    }

    fn skip_body(op_type: OpCode, r: &mut Reader) -> Option<()> {
        match op_type {
            OpCode::Create | OpCode::Create2 | OpCode::CreateContainer => CreateRequest::skip(r),
            OpCode::CreateTtl => CreateTtlRequest::skip(r),
            OpCode::Delete => DeleteRequest::skip(r),
            OpCode::SetData => SetDataRequest::skip(r),
            OpCode::Check => CheckVersionRequest::skip(r),
            OpCode::GetData => GetDataRequest::skip(r),
            OpCode::GetChildren => GetChildrenRequest::skip(r),
            _ => None,
        }
    }
}

/// The request of multi (14) and multiRead (22): `MultiOperationRecord`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MultiRequest {
    /// The sub-ops, in order. Java sends nothing at all for an empty list.
    pub ops: Vec<MultiOp>,
}

impl Encode for MultiRequest {
    fn encoded_len(&self) -> usize {
        entries_len(&self.ops)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        encode_entries(&self.ops, buf);
    }
}

impl Decode for MultiRequest {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        Ok(MultiRequest {
            ops: decode_entries(r)?,
        })
    }
}

/// One result of a multi or multiRead, chosen by the result's own type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MultiResult {
    /// Type 1: a create answered with the path only (also create2 sub-ops on servers
    /// before 3.9).
    Create(CreateResponse),
    /// Type 15: a create answered with path and Stat (create2, container and TTL).
    /// Boxed, like the other results with a Stat, to keep `MultiResult` small.
    Create2(Box<Create2Response>),
    /// Type 2: a delete; no body.
    Delete,
    /// Type 5: a setData, with the new Stat.
    SetData(Box<SetDataResponse>),
    /// Type 13: a check; no body.
    Check,
    /// Type 4: a getData (multiRead).
    GetData(Box<GetDataResponse>),
    /// Type 8: a getChildren (multiRead).
    GetChildren(GetChildrenResponse),
    /// Type -1: this sub-op failed with the code (or, in a failed transaction, `Ok`
    /// before the failing op and `RuntimeInconsistency` after it).
    Error(ErrorCode),
}

impl MultiResult {
    /// The type written in this result's header.
    pub const fn op_code(&self) -> OpCode {
        match self {
            MultiResult::Create(_) => OpCode::Create,
            MultiResult::Create2(_) => OpCode::Create2,
            MultiResult::Delete => OpCode::Delete,
            MultiResult::SetData(_) => OpCode::SetData,
            MultiResult::Check => OpCode::Check,
            MultiResult::GetData(_) => OpCode::GetData,
            MultiResult::GetChildren(_) => OpCode::GetChildren,
            MultiResult::Error(_) => OpCode::Error,
        }
    }

    /// The error code of an error result, else `None`.
    pub const fn error(&self) -> Option<ErrorCode> {
        match self {
            MultiResult::Error(e) => Some(*e),
            _ => None,
        }
    }

    /// The created path of a create result.
    pub fn created_path(&self) -> Option<&str> {
        match self {
            MultiResult::Create(r) => Some(&r.path),
            MultiResult::Create2(r) => Some(&r.path),
            _ => None,
        }
    }
}

/// The response of multi (14) and multiRead (22).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MultiResponse {
    /// One result per sub-op, in order.
    pub results: Vec<MultiResult>,
}

impl MultiResponse {
    /// The first error result with a code other than `Ok`, with its index: the cause of
    /// a failed transaction (Java reports this one).
    pub fn first_error(&self) -> Option<(usize, ErrorCode)> {
        self.results
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.error().filter(|e| !e.is_ok()).map(|e| (i, e)))
    }

    /// Whether this is a failed (rolled back) transaction: non-empty and every result an
    /// error. For multiRead, failures are per op; use [`MultiResult::error`] instead.
    pub fn is_failed_transaction(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(|r| r.error().is_some())
    }

    /// Whether this answers the sub-ops of `request` that succeeded or were read: one
    /// result per op, each of its op's kind (any create's either create result, which
    /// servers before 3.9 give create2 too), and an error only for a read, which
    /// fails on its own. A failed transaction ([`Self::is_failed_transaction`]) is
    /// answered in errors instead.
    pub fn answers(&self, request: &MultiRequest) -> bool {
        self.results.len() == request.ops.len()
            && request
                .ops
                .iter()
                .zip(&self.results)
                .all(|(op, result)| result_fits(op, result))
    }
}

/// Whether `result` is of `op`'s kind (an error: only for a read).
fn result_fits(op: &MultiOp, result: &MultiResult) -> bool {
    use MultiResult as R;
    match op {
        MultiOp::Create(_)
        | MultiOp::Create2(_)
        | MultiOp::CreateContainer(_)
        | MultiOp::CreateTtl(_) => matches!(result, R::Create(_) | R::Create2(_)),
        MultiOp::Delete(_) => matches!(result, R::Delete),
        MultiOp::SetData(_) => matches!(result, R::SetData(_)),
        MultiOp::Check(_) => matches!(result, R::Check),
        MultiOp::GetData(_) => matches!(result, R::GetData(_) | R::Error(_)),
        MultiOp::GetChildren(_) => matches!(result, R::GetChildren(_) | R::Error(_)),
    }
}

impl Entry for MultiResult {
    const LIST: &'static str = "MultiResponse";
    const FIELD: &'static str = "results";

    fn header(&self) -> MultiHeader {
        MultiHeader {
            op_type: self.op_code(),
            done: false,
            err: self.error().unwrap_or(ErrorCode::Ok),
        }
    }

    fn body_len(&self) -> usize {
        match self {
            MultiResult::Create(b) => b.encoded_len(),
            MultiResult::Create2(b) => b.encoded_len(),
            MultiResult::Delete | MultiResult::Check => 0,
            MultiResult::SetData(b) => b.encoded_len(),
            MultiResult::GetData(b) => b.encoded_len(),
            MultiResult::GetChildren(b) => b.encoded_len(),
            MultiResult::Error(_) => 4,
        }
    }

    fn encode_body(&self, buf: &mut impl BufMut) {
        match self {
            MultiResult::Create(b) => b.encode(buf),
            MultiResult::Create2(b) => b.encode(buf),
            MultiResult::Delete | MultiResult::Check => {}
            MultiResult::SetData(b) => b.encode(buf),
            MultiResult::GetData(b) => b.encode(buf),
            MultiResult::GetChildren(b) => b.encode(buf),
            MultiResult::Error(e) => ErrorResponse { err: *e }.encode(buf),
        }
    }

    fn decode_body(op_type: OpCode, r: &mut Reader) -> Result<Self, DecodeError> {
        Ok(match op_type {
            OpCode::Create => MultiResult::Create(r.read()?),
            OpCode::Create2 => MultiResult::Create2(Box::new(r.read()?)),
            OpCode::Delete => MultiResult::Delete,
            OpCode::SetData => MultiResult::SetData(Box::new(r.read()?)),
            OpCode::Check => MultiResult::Check,
            OpCode::GetData => MultiResult::GetData(Box::new(r.read()?)),
            OpCode::GetChildren => MultiResult::GetChildren(r.read()?),
            OpCode::Error => MultiResult::Error(r.read::<ErrorResponse>()?.err),
            _ => unknown_type(op_type)?,
        })
    }

    fn skip_body(op_type: OpCode, r: &mut Reader) -> Option<()> {
        match op_type {
            OpCode::Create => CreateResponse::skip(r),
            OpCode::Create2 => Create2Response::skip(r),
            OpCode::Delete | OpCode::Check => Some(()),
            OpCode::SetData => SetDataResponse::skip(r),
            OpCode::GetData => GetDataResponse::skip(r),
            OpCode::GetChildren => GetChildrenResponse::skip(r),
            OpCode::Error => ErrorResponse::skip(r),
            _ => None,
        }
    }
}

impl Encode for MultiResponse {
    fn encoded_len(&self) -> usize {
        entries_len(&self.results)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        encode_entries(&self.results, buf);
    }
}

impl Decode for MultiResponse {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        Ok(MultiResponse {
            results: decode_entries(r)?,
        })
    }
}

/// A sub-op or a result: what follows one [`MultiHeader`] in a multi's list.
trait Entry: Sized {
    /// The record and field naming the list in errors.
    const LIST: &'static str;
    const FIELD: &'static str;
    /// The header written before this entry.
    fn header(&self) -> MultiHeader;
    /// The encoded length of the body after the header.
    fn body_len(&self) -> usize;
    /// Writes the body after the header.
    fn encode_body(&self, buf: &mut impl BufMut);
    /// Decodes the body announced by a header of type `op_type`.
    fn decode_body(op_type: OpCode, r: &mut Reader) -> Result<Self, DecodeError>;
    /// Steps over that body without allocating; `None` where decoding would fail.
    fn skip_body(op_type: OpCode, r: &mut Reader) -> Option<()>;
}

/// The error for a header type that has no body decoder.
fn unknown_type<T>(op_type: OpCode) -> Result<T, DecodeError> {
    Err(DecodeError::new(
        "MultiHeader",
        "op_type",
        DecodeErrorKind::UnknownMultiType(op_type.to_i32()),
    ))
}

fn entries_len<T: Entry>(entries: &[T]) -> usize {
    entries
        .iter()
        .map(|e| MultiHeader::LEN + e.body_len())
        .sum::<usize>()
        + MultiHeader::LEN
}

fn encode_entries<T: Entry>(entries: &[T], buf: &mut impl BufMut) {
    for e in entries {
        e.header().encode(buf);
        e.encode_body(buf);
    }
    MultiHeader::TERMINATOR.encode(buf);
}

/// How many entries come before the terminator (counting a last one that does not
/// decode), found by stepping over them without allocating. The list has no count on
/// the wire; this lets [`decode_entries`] reserve it exactly, instead of growing a
/// vector by doubling (which briefly holds up to 3 times the entries).
fn count_entries<T: Entry>(mut r: Reader) -> usize {
    let mut n = 0;
    while let Ok(h) = MultiHeader::decode(&mut r) {
        if h.done {
            break;
        }
        n += 1;
        if T::skip_body(h.op_type, &mut r).is_none() {
            break;
        }
    }
    n
}

/// Decodes entries up to the terminator. The loop ends on the first header with
/// `done` set, whatever its type or err, as Java's does. Each entry takes at least 9
/// bytes, so hostile input cannot make it loop for long. Errors name the entry's index.
fn decode_entries<T: Entry>(r: &mut Reader) -> Result<Vec<T>, DecodeError> {
    let mut entries = Vec::with_capacity(count_entries::<T>(r.clone()));
    loop {
        let index = entries.len();
        let entry = (|| {
            let h = MultiHeader::decode(r)?;
            if h.done {
                return Ok(None);
            }
            T::decode_body(h.op_type, r).map(Some)
        })()
        .map_err(|e| e.within(T::LIST, T::FIELD, Some(index)))?;
        match entry {
            Some(e) => entries.push(e),
            None => return Ok(entries),
        }
    }
}
