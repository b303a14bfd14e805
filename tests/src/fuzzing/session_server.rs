//! `session_server`: a session against a scripted server that speaks well-formed frames
//! but chooses its replies arbitrarily.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use zk_proto::{
    ClientInfo, ConnectRequest, ConnectResponse, Create2Response, CreateResponse, ErrorCode,
    ErrorResponse, EventType, GetAclResponse, GetChildren2Response, GetChildrenResponse,
    GetDataResponse, KeeperState, MultiOp, MultiResponse, MultiResult, ReplyHeader, Stat,
    WatcherEvent, WireResponse, xid,
};
use zk_session::CloseReason;

use super::driver::{self, CLIENT_OPS, ClientFrame, Driver, PATHS};
use super::input::Input;

/// Server opcodes, after the client ones.
pub(crate) const OP_HANDSHAKE: u8 = CLIENT_OPS;
pub(crate) const OP_REPLY: u8 = CLIENT_OPS + 1;
pub(crate) const OP_WRONG_XID: u8 = CLIENT_OPS + 2;
pub(crate) const OP_NOTIFY: u8 = CLIENT_OPS + 3;
pub(crate) const OP_GARBAGE: u8 = CLIENT_OPS + 4;
pub(crate) const OP_BAD_LENGTH: u8 = CLIENT_OPS + 5;
pub(crate) const OP_DELIVER: u8 = CLIENT_OPS + 6;
pub(crate) const OP_SERVE: u8 = CLIENT_OPS + 7;
const OPS: u8 = CLIENT_OPS + 8;

/// Negotiated timeouts the server can grant, in ms (0 and below: expired).
pub(crate) const GRANTED: &[i32] = &[30_000, 4_000, 40_000, 1, 100, 0, -1, i32::MAX];
/// The DIGEST-MD5 challenge of a real server.
const SASL_CHALLENGE: &[u8] =
    br#"realm="zk-sasl-md5",nonce="xV3+ziv2kq4UVu67Tw9nBY+46PkS18iQiz5pvuhq",charset=utf-8,algorithm=md5-sess"#;
/// Session ids the server can hand out.
pub(crate) const SESSION_IDS: &[i64] = &[0x5e55, 0x1234, 0, -1];
/// The readOnly byte of the ConnectResponse.
pub(crate) const READ_ONLY: &[Option<bool>] = &[Some(false), None, Some(true)];
/// Error codes of error replies (ending with one no version knows).
pub(crate) const ERRORS: &[ErrorCode] = &[
    ErrorCode::NoNode,
    ErrorCode::NodeExists,
    ErrorCode::BadVersion,
    ErrorCode::NoAuth,
    ErrorCode::NotEmpty,
    ErrorCode::SessionExpired,
    ErrorCode::AuthFailed,
    ErrorCode::ConnectionLoss,
    ErrorCode::OperationTimeout,
    ErrorCode::Unimplemented,
    ErrorCode::NoWatcher,
    ErrorCode::Unknown(-999),
];

/// How an in-order reply is built (the byte after [`OP_REPLY`], modulo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyMode {
    /// What a real server answers on success.
    Ok,
    /// An error code from [`ERRORS`] (next byte), no body.
    Error,
    /// A failed transaction for a multi (else like `Error`).
    FailedMulti,
    /// Err 0 with an arbitrary body (of any op).
    Arbitrary,
    /// Err 0 with the right body cut short (next byte: bytes kept).
    Truncated,
    /// Err 0 with the body a different op would get (next byte picks the op).
    OtherOp,
    /// Err 0 with the right body and trailing bytes.
    Trailing,
}

pub(crate) const MODES: &[ReplyMode] = &[
    ReplyMode::Ok,
    ReplyMode::Ok,
    ReplyMode::Ok,
    ReplyMode::Error,
    ReplyMode::FailedMulti,
    ReplyMode::Arbitrary,
    ReplyMode::Truncated,
    ReplyMode::OtherOp,
    ReplyMode::Trailing,
];

/// Which wrong xid a reply carries (the byte after [`OP_WRONG_XID`], modulo).
pub(crate) const WRONG_XIDS: &[&str] = &[
    "next+1",
    "last answered",
    "ping",
    "auth",
    "set watches",
    "zero",
    "max",
    "min",
];

/// The server side of the current connection.
#[derive(Debug, Default)]
struct Server {
    handshake: Option<ConnectRequest>,
    pending: VecDeque<(i32, zk_proto::WireRequest)>,
    out: Vec<u8>,
    zxid: i64,
    last_xid: Option<i32>,
    /// Everything sent on this connection is what a real server could send.
    clean: bool,
    /// The ConnectResponse was sent: only then may anything else follow.
    handshaken: bool,
    /// The client's maximum frame length: a longer frame is not clean.
    max_frame: usize,
}

impl Server {
    fn new(max_frame: usize) -> Self {
        Server {
            max_frame,
            clean: true,
            zxid: 100,
            ..Server::default()
        }
    }

    /// Queues a whole frame for delivery.
    fn emit(&mut self, frame: &[u8]) {
        if frame.len() > self.max_frame + 4 {
            self.clean = false;
        }
        self.out.extend_from_slice(frame);
    }

    fn receive(&mut self, frames: Vec<ClientFrame>) {
        for f in frames {
            match f {
                ClientFrame::Connect(c) => self.handshake = Some(c),
                ClientFrame::Request { xid, request } => {
                    if self.pending.len() < 1024 {
                        self.pending.push_back((xid, request));
                    }
                }
            }
        }
    }

    fn push_reply(&mut self, xid: i32, err: ErrorCode, body: Option<&WireResponse>) {
        self.zxid += 1;
        let mut b = BytesMut::new();
        WireResponse::encode_frame(
            &ReplyHeader {
                xid,
                zxid: self.zxid,
                err,
            },
            body,
            &mut b,
        );
        self.emit(&b);
    }

    fn handshake_reply(&mut self, timeout: i32, session_id: i64, read_only: Option<bool>) {
        if self.handshake.take().is_none() {
            return;
        }
        self.handshaken = true;
        let r = ConnectResponse {
            protocol_version: 0,
            timeout,
            session_id,
            passwd: Bytes::from_static(&[7; 16]),
            read_only,
        };
        let mut b = BytesMut::new();
        zk_proto::encode_frame(&r, &mut b);
        self.emit(&b);
    }
}

fn stat(zxid: i64) -> Stat {
    Stat {
        czxid: zxid,
        mzxid: zxid,
        ctime: 1,
        mtime: 2,
        version: 1,
        cversion: 0,
        aversion: 0,
        ephemeral_owner: 0,
        data_length: 1,
        num_children: 2,
        pzxid: zxid,
    }
}

fn created_path(path: &str, mode: zk_proto::CreateMode) -> String {
    if mode.is_sequential() {
        format!("{path}0000000001")
    } else {
        path.to_string()
    }
}

// `.into()`: some result variants box their record (which ones has changed).
#[allow(clippy::useless_conversion)]
fn multi_result(op: &MultiOp, zxid: i64) -> MultiResult {
    match op {
        MultiOp::Create(r) => MultiResult::Create(
            CreateResponse {
                path: created_path(&r.path, r.flags),
            }
            .into(),
        ),
        MultiOp::Create2(r) | MultiOp::CreateContainer(r) => MultiResult::Create2(
            Create2Response {
                path: created_path(&r.path, r.flags),
                stat: stat(zxid),
            }
            .into(),
        ),
        MultiOp::CreateTtl(r) => MultiResult::Create2(
            Create2Response {
                path: created_path(&r.path, r.flags),
                stat: stat(zxid),
            }
            .into(),
        ),
        MultiOp::Delete(_) => MultiResult::Delete,
        MultiOp::SetData(_) => {
            MultiResult::SetData(zk_proto::SetDataResponse { stat: stat(zxid) }.into())
        }
        MultiOp::Check(_) => MultiResult::Check,
        MultiOp::GetData(_) => MultiResult::GetData(
            GetDataResponse {
                data: Bytes::from_static(b"d"),
                stat: stat(zxid),
            }
            .into(),
        ),
        MultiOp::GetChildren(_) => MultiResult::GetChildren(
            GetChildrenResponse {
                children: vec!["c1".into(), "c2".into()],
            }
            .into(),
        ),
    }
}

/// What a real server answers to `request` on success (`None`: a bare header).
pub(crate) fn ok_response(request: &zk_proto::WireRequest, zxid: i64) -> Option<WireResponse> {
    use zk_proto::WireRequest as Q;
    Some(match request {
        Q::Create(r) => WireResponse::Create(CreateResponse {
            path: created_path(&r.path, r.flags),
        }),
        Q::Create2(r) | Q::CreateContainer(r) => WireResponse::Create2(Create2Response {
            path: created_path(&r.path, r.flags),
            stat: stat(zxid),
        }),
        Q::CreateTtl(r) => WireResponse::Create2(Create2Response {
            path: created_path(&r.path, r.flags),
            stat: stat(zxid),
        }),
        Q::Exists(_) => WireResponse::Exists(zk_proto::ExistsResponse { stat: stat(zxid) }),
        Q::GetData(_) => WireResponse::GetData(GetDataResponse {
            data: Bytes::from_static(b"d"),
            stat: stat(zxid),
        }),
        Q::SetData(_) => WireResponse::SetData(zk_proto::SetDataResponse { stat: stat(zxid) }),
        Q::GetAcl(_) => WireResponse::GetAcl(GetAclResponse {
            acl: zk_proto::Acl::open_unsafe(),
            stat: stat(zxid),
        }),
        Q::SetAcl(_) => WireResponse::SetAcl(zk_proto::SetAclResponse { stat: stat(zxid) }),
        Q::GetChildren(_) => WireResponse::GetChildren(GetChildrenResponse {
            children: vec!["c1".into(), "c2".into()],
        }),
        Q::GetChildren2(_) => WireResponse::GetChildren2(GetChildren2Response {
            children: vec!["c1".into()],
            stat: stat(zxid),
        }),
        Q::Sync(r) => WireResponse::Sync(zk_proto::SyncResponse {
            path: r.path.clone(),
        }),
        Q::Multi(m) | Q::MultiRead(m) => WireResponse::Multi(MultiResponse {
            results: m.ops.iter().map(|op| multi_result(op, zxid)).collect(),
        }),
        Q::Reconfig(_) => WireResponse::Reconfig(GetDataResponse {
            data: Bytes::from_static(b"server.1=h1:2888:3888:participant;2181\nversion=1"),
            stat: stat(zxid),
        }),
        Q::WhoAmI => WireResponse::WhoAmI(zk_proto::WhoAmIResponse {
            client_info: vec![ClientInfo {
                auth_scheme: "ip".into(),
                user: "127.0.0.1".into(),
            }],
        }),
        Q::GetEphemerals(_) => WireResponse::GetEphemerals(zk_proto::GetEphemeralsResponse {
            ephemerals: vec!["/e1".into()],
        }),
        Q::GetAllChildrenNumber(_) => {
            WireResponse::GetAllChildrenNumber(zk_proto::GetAllChildrenNumberResponse {
                total_number: 3,
            })
        }
        Q::AddWatch(_) => WireResponse::AddWatch(ErrorResponse { err: ErrorCode::Ok }),
        // The challenge a 3.8 server's DIGEST-MD5 sends (it never sends a valid
        // rspauth here: a DIGEST-MD5 exchange fails at its second reply).
        Q::Sasl(_) => WireResponse::Sasl(zk_proto::SetSaslResponse {
            token: Bytes::from_static(SASL_CHALLENGE),
        }),
        Q::Delete(_)
        | Q::Ping
        | Q::CheckWatches(_)
        | Q::RemoveWatches(_)
        | Q::Auth(_)
        | Q::SetWatches(_)
        | Q::SetWatches2(_)
        | Q::CloseSession => return None,
    })
}

/// Input: 3 config bytes (see `driver::config`), then steps, each an opcode byte
/// (modulo 22) and its operands: 0..14 the client steps of `driver::client_step`, then
/// the server's: 14 answer the handshake (granted timeout, session id, readOnly byte:
/// one byte each, picking from tables), 15 answer the oldest request in order (a
/// [`ReplyMode`] byte, then its operand byte), 16 a reply with a wrong xid (a
/// [`WRONG_XIDS`] byte, an error byte), 17 a notification (event type, state, path
/// bytes), 18 garbage (length byte + bytes), 19 a bad length prefix (selector byte),
/// 20 deliver `n` bytes of the server's output (0 = all), 21 serve: the client writes
/// everything and the server answers all of it as a real server would, and delivers.
/// Then the session is closed and time runs until it ends.
///
/// Invariants: those of [`super::session`], plus: while the server has only sent what
/// a real server could (well-formed replies in order, error replies, notifications of
/// known types), the client never drops the connection for a bad frame, an
/// undecodable or unfitting reply or an xid out of order.
pub fn session_server(data: &[u8]) {
    run(data, false);
}

/// Runs `data` as [`session_server`] does. With `record`, returns the same run as a
/// `session` input: the config and client steps as they are, every delivery as raw
/// server bytes (how the `session` seeds are recorded).
pub(crate) fn run(data: &[u8], record: bool) -> Option<Vec<u8>> {
    let mut input = Input::new(data);
    let (config, recv_buf) = driver::config(&mut input)?;
    let mut d = Driver::new(config)?;
    d.use_recv_buf = recv_buf;
    if record {
        d.record = Some(data[..3].to_vec());
    }
    let mut server = Server::new(d.max_frame);
    loop {
        let at = data.len() - input.len();
        let Some(op) = input.u8() else { break };
        d.begin();
        let was_clean = server.clean;
        let op = op % OPS;
        if op < CLIENT_OPS {
            if let Some(rec) = &mut d.record {
                rec.push(op);
            }
        }
        if step(&mut d, &mut server, op, &mut input).is_none() {
            break;
        }
        d.trace(&format!("op {op}"));
        if op < CLIENT_OPS {
            let end = data.len() - input.len();
            if let Some(rec) = &mut d.record {
                rec.extend_from_slice(&data[at + 1..end]);
            }
        }
        check_closes(&d, was_clean && server.clean);
        if d.live.is_none() || d.new_conn {
            server = Server::new(d.max_frame);
        }
    }
    d.finish();
    d.record.take()
}

fn check_closes(d: &Driver, clean: bool) {
    if !clean {
        return;
    }
    for reason in &d.closes {
        assert!(
            !matches!(
                reason,
                CloseReason::Frame(_)
                    | CloseReason::Decode(_)
                    | CloseReason::XidOutOfOrder { .. }
                    | CloseReason::DuplicateReply(_)
                    | CloseReason::UnsolicitedReply(_)
            ),
            "the client dropped a connection with well-formed server traffic: {reason}"
        );
    }
}

fn step(d: &mut Driver, server: &mut Server, op: u8, input: &mut Input) -> Option<()> {
    if op < CLIENT_OPS {
        let frames = driver::client_step(d, op, input)?;
        if d.new_conn {
            *server = Server::new(d.max_frame);
        }
        server.receive(frames);
        return Some(());
    }
    match op {
        OP_HANDSHAKE => {
            let timeout = input.pick(GRANTED)?;
            let sid = input.pick(SESSION_IDS)?;
            let ro = input.pick(READ_ONLY)?;
            server.handshake_reply(timeout, sid, ro);
        }
        OP_REPLY => {
            let mode = input.pick(MODES)?;
            let arg = input.u8()?;
            reply(server, mode, arg, input)?;
        }
        OP_WRONG_XID => {
            let which = input.u8()?;
            let err = input.pick(ERRORS)?;
            let next = server.pending.front().map_or(1, |p| p.0);
            let xid = match usize::from(which) % WRONG_XIDS.len() {
                0 => next.wrapping_add(1),
                1 => server.last_xid.unwrap_or(next),
                2 => xid::PING,
                3 => xid::AUTH,
                4 => xid::SET_WATCHES,
                5 => 0,
                6 => i32::MAX,
                _ => i32::MIN,
            };
            // A ping or auth reply out of band is something a server does send, after
            // the handshake.
            if !matches!(xid, xid::PING | xid::AUTH) || !server.handshaken {
                server.clean = false;
            }
            let err = if which & 0x80 != 0 {
                ErrorCode::Ok
            } else {
                err
            };
            server.push_reply(xid, err, None);
        }
        OP_NOTIFY => {
            let types: Vec<EventType> = EventType::KNOWN
                .iter()
                .copied()
                .chain([EventType::Unknown(42)])
                .collect();
            let event_type = input.pick(&types)?;
            let states = [
                KeeperState::SyncConnected,
                KeeperState::Disconnected,
                KeeperState::Expired,
                KeeperState::Unknown(9),
            ];
            let state = input.pick(&states)?;
            let path = input.pick(PATHS)?;
            let prefix = input.pick(&["", "/app", "/app/x", "/other"])?;
            let path = if path == "/" && !prefix.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}{path}")
            };
            if !event_type.is_known() || !server.handshaken {
                server.clean = false;
            }
            let mut b = BytesMut::new();
            zk_proto::encode_frame_with_header(
                &ReplyHeader {
                    xid: xid::NOTIFICATION,
                    zxid: server.zxid,
                    err: ErrorCode::Ok,
                },
                &WatcherEvent {
                    event_type,
                    state,
                    path,
                },
                &mut b,
            );
            server.emit(&b);
        }
        OP_GARBAGE => {
            let b = input.short_bytes()?;
            server.clean = false;
            server.out.extend_from_slice(b);
        }
        OP_BAD_LENGTH => {
            let which = input.u8()?;
            server.clean = false;
            let len: i32 = match which % 4 {
                0 => i32::MAX,
                1 => -1,
                2 => 0x100000,
                _ => 0,
            };
            server.out.extend_from_slice(&len.to_be_bytes());
        }
        OP_DELIVER => {
            let n = input.u8()?;
            deliver(d, server, (n != 0).then_some(usize::from(n)));
        }
        _ => serve(d, server),
    }
    Some(())
}

fn deliver(d: &mut Driver, server: &mut Server, n: Option<usize>) {
    let n = n.unwrap_or(server.out.len()).min(server.out.len());
    let chunk: Vec<u8> = server.out.drain(..n).collect();
    d.deliver(&chunk, None);
}

/// The client writes everything; the server answers the handshake and every request
/// as a real server would; the answers are delivered.
fn serve(d: &mut Driver, server: &mut Server) {
    let frames = d.write(None);
    server.receive(frames);
    server.handshake_reply(30_000, 0x5e55, Some(false));
    while server.pending.front().is_some() {
        reply(server, ReplyMode::Ok, 0, &mut Input::new(&[]));
    }
    deliver(d, server, None);
}

fn reply(server: &mut Server, mode: ReplyMode, arg: u8, input: &mut Input) -> Option<()> {
    let Some((xid, request)) = server.pending.pop_front() else {
        return Some(());
    };
    server.last_xid = Some(xid);
    let zxid = server.zxid + 1;
    let ok = ok_response(&request, zxid);
    match mode {
        ReplyMode::Ok => server.push_reply(xid, ErrorCode::Ok, ok.as_ref()),
        ReplyMode::Error => {
            let err = ERRORS[usize::from(arg) % ERRORS.len()];
            server.push_reply(xid, err, None);
        }
        ReplyMode::FailedMulti => match &request {
            zk_proto::WireRequest::Multi(m) | zk_proto::WireRequest::MultiRead(m) => {
                let cause = ERRORS[usize::from(arg) % ERRORS.len()];
                let failing = usize::from(arg) % m.ops.len().max(1);
                let results = (0..m.ops.len())
                    .map(|i| {
                        MultiResult::Error(match i.cmp(&failing) {
                            std::cmp::Ordering::Less => ErrorCode::Ok,
                            std::cmp::Ordering::Equal => cause,
                            std::cmp::Ordering::Greater => ErrorCode::RuntimeInconsistency,
                        })
                    })
                    .collect();
                let body = WireResponse::Multi(MultiResponse { results });
                server.push_reply(xid, ErrorCode::Ok, Some(&body));
            }
            _ => {
                let err = ERRORS[usize::from(arg) % ERRORS.len()];
                server.push_reply(xid, err, None);
            }
        },
        ReplyMode::Arbitrary => {
            server.clean = false;
            let body: WireResponse = input.arbitrary()?;
            server.push_reply(xid, ErrorCode::Ok, Some(&body));
        }
        ReplyMode::Truncated => {
            server.clean = false;
            let mut b = BytesMut::new();
            server.zxid += 1;
            let header = ReplyHeader {
                xid,
                zxid: server.zxid,
                err: ErrorCode::Ok,
            };
            let mut body = Vec::new();
            if let Some(r) = &ok {
                body = zk_proto::Encode::to_vec(r);
            }
            body.truncate(usize::from(arg) % (body.len() + 1));
            zk_proto::encode_frame_with_header(&header, &Raw(body), &mut b);
            server.emit(&b);
        }
        ReplyMode::OtherOp => {
            server.clean = false;
            let others = [
                zk_proto::WireRequest::WhoAmI,
                zk_proto::WireRequest::GetData(zk_proto::GetDataRequest {
                    path: "/a".into(),
                    watch: false,
                }),
                zk_proto::WireRequest::Create(Box::new(zk_proto::CreateRequest {
                    path: "/elsewhere".into(),
                    data: Bytes::new(),
                    acl: Vec::new(),
                    flags: zk_proto::CreateMode::Persistent,
                })),
                zk_proto::WireRequest::Multi(zk_proto::MultiRequest {
                    ops: vec![MultiOp::Delete(zk_proto::DeleteRequest {
                        path: "/a".into(),
                        version: 0,
                    })],
                }),
                zk_proto::WireRequest::GetChildren2(zk_proto::GetChildren2Request {
                    path: "/".into(),
                    watch: false,
                }),
                zk_proto::WireRequest::Ping,
            ];
            let other = ok_response(&others[usize::from(arg) % others.len()], zxid);
            server.push_reply(xid, ErrorCode::Ok, other.as_ref());
        }
        ReplyMode::Trailing => {
            server.clean = false;
            let mut body = ok
                .as_ref()
                .map(zk_proto::Encode::to_vec)
                .unwrap_or_default();
            body.extend(std::iter::repeat_n(0xa5, usize::from(arg % 16) + 1));
            server.zxid += 1;
            let header = ReplyHeader {
                xid,
                zxid: server.zxid,
                err: ErrorCode::Ok,
            };
            let mut b = BytesMut::new();
            zk_proto::encode_frame_with_header(&header, &Raw(body), &mut b);
            server.emit(&b);
        }
    }
    Some(())
}

/// Bytes written as they are.
struct Raw(Vec<u8>);

impl zk_proto::Encode for Raw {
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
    fn encode(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(&self.0);
    }
}
