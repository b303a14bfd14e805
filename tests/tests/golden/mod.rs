//! The golden exchange: the scripted requests (`zk_test_support::golden`) sent over raw
//! sockets to a real server, the fixture file format, and a masked rendering of each
//! frame for comparison.
//!
//! Every frame is kept whole, as it crossed the wire: the 4-byte big-endian length
//! prefix, then the payload.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use zk_proto::{
    ConnectRequest, ConnectResponse, Decode, Encode, OpCode, WireRequest, decode_notification,
    decode_reply, encode_frame, xid,
};
use zk_test_support::golden::{ScriptedRequest, auth_failure_request, main_session_requests};

/// Bounds every read and write, so a server that stays silent fails the test instead of
/// hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// How to decode a frame's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ConnectRequest,
    ConnectResponse,
    Request,
    /// A reply to a request of this op (or an xid -1 notification, which needs no op).
    Reply(OpCode),
}

/// One recorded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// File stem: a two-digit sequence number in capture order, then a slug.
    pub name: String,
    pub direction: Direction,
    pub kind: Kind,
    /// One line for the fixture's comment header.
    pub what: String,
    /// The whole frame, length prefix included.
    pub bytes: Vec<u8>,
}

/// The frames of one capture, in order.
#[derive(Default)]
struct Recorder {
    frames: Vec<Frame>,
}

impl Recorder {
    fn record(&mut self, slug: &str, direction: Direction, kind: Kind, what: &str, bytes: Vec<u8>) {
        let name = format!("{:02}_{slug}", self.frames.len() + 1);
        self.frames.push(Frame {
            name,
            direction,
            kind,
            what: what.to_owned(),
            bytes,
        });
    }

    fn send(&mut self, stream: &mut TcpStream, slug: &str, kind: Kind, what: &str, frame: &[u8]) {
        stream
            .write_all(frame)
            .unwrap_or_else(|err| panic!("sending {slug}: {err}"));
        self.record(slug, Direction::ClientToServer, kind, what, frame.to_vec());
    }

    fn receive(&mut self, stream: &mut TcpStream, slug: &str, kind: Kind, what: &str) {
        let frame = read_frame(stream).unwrap_or_else(|err| panic!("reading {slug}: {err}"));
        self.record(slug, Direction::ServerToClient, kind, what, frame);
    }

    /// Sends the scripted request and records every frame up to its reply, in arrival
    /// order; xid -1 frames on the way are recorded as notifications.
    fn call(&mut self, stream: &mut TcpStream, scripted: &ScriptedRequest) {
        let ScriptedRequest {
            slug,
            xid,
            ref request,
            what,
        } = *scripted;
        let mut out = BytesMut::new();
        request.encode_frame(xid, &mut out);
        let request_what = format!("{what}: request, xid {xid}");
        self.send(
            stream,
            &format!("{slug}_request"),
            Kind::Request,
            &request_what,
            &out,
        );
        let op = request.op_code();
        loop {
            let frame = read_frame(stream).unwrap_or_else(|err| panic!("reading {slug}: {err}"));
            let reply_xid = frame_xid(&frame)
                .unwrap_or_else(|| panic!("{slug}: a {}-byte frame has no xid", frame.len()));
            if reply_xid == xid::NOTIFICATION {
                let what =
                    format!("notification (xid -1), arrived while waiting for the {slug} reply");
                self.record(
                    "notification",
                    Direction::ServerToClient,
                    Kind::Reply(op),
                    &what,
                    frame,
                );
                continue;
            }
            assert_eq!(reply_xid, xid, "{slug}: reply to another xid");
            let what = format!("{what}: reply, xid {xid}");
            self.record(
                &format!("{slug}_reply"),
                Direction::ServerToClient,
                Kind::Reply(op),
                &what,
                frame,
            );
            return;
        }
    }
}

/// The xid of a whole server frame (after the handshake), if it is long enough to have one.
fn frame_xid(frame: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(frame.get(4..8)?.try_into().ok()?))
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect to the server");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Reads one whole frame, prefix included, exactly as it arrived.
fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix)?;
    let len = i32::from_be_bytes(prefix);
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len <= zk_proto::DEFAULT_MAX_FRAME_LEN)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("length {len}")))?;
    let mut frame = vec![0u8; 4 + len];
    frame[..4].copy_from_slice(&prefix);
    stream.read_exact(&mut frame[4..])?;
    Ok(frame)
}

/// Waits for the server to close the connection: EOF or a reset.
fn expect_closed(stream: &mut TcpStream, after: &str) {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => {}
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        Ok(_) => panic!("the server sent more after {after}"),
        Err(err) => panic!("the server did not close the connection after {after}: {err}"),
    }
}

/// Runs the scripted exchange against the server at `addr`, which must be fresh (no
/// `/golden`), and returns every frame in capture order.
///
/// Three connections: the main session (everything but the two below), a handshake
/// without the readOnly byte, and an auth failure. The auth connection's own handshake
/// is the same as the main one and is not recorded.
pub fn capture(addr: SocketAddr) -> Vec<Frame> {
    let mut rec = Recorder::default();
    let mut main = connect(addr);

    let mut out = BytesMut::new();
    encode_frame(&ConnectRequest::new_session(30_000, false), &mut out);
    rec.send(
        &mut main,
        "connect_request",
        Kind::ConnectRequest,
        "ConnectRequest: new session, timeout 30000 ms, with the readOnly byte (false)",
        &out,
    );
    rec.receive(
        &mut main,
        "connect_reply",
        Kind::ConnectResponse,
        "ConnectResponse to a client that sent the readOnly byte",
    );

    for scripted in main_session_requests() {
        rec.call(&mut main, &scripted);
    }
    expect_closed(&mut main, "closeSession");

    // A client that leaves the readOnly byte out gets a reply without it.
    let mut old = connect(addr);
    let mut out = BytesMut::new();
    encode_frame(&ConnectRequest::new_session(1_000, false), &mut out);
    let mut short = 44i32.to_be_bytes().to_vec();
    short.extend_from_slice(&out[4..48]);
    rec.send(
        &mut old,
        "connect_without_read_only_request",
        Kind::ConnectRequest,
        "ConnectRequest without the readOnly byte (44 bytes), timeout 1000 ms (below the minimum)",
        &short,
    );
    rec.receive(
        &mut old,
        "connect_without_read_only_reply",
        Kind::ConnectResponse,
        "ConnectResponse to a client that left the readOnly byte out",
    );
    drop(old);

    let mut auth = connect(addr);
    let mut out = BytesMut::new();
    encode_frame(&ConnectRequest::new_session(30_000, false), &mut out);
    auth.write_all(&out).unwrap();
    let handshake = read_frame(&mut auth).expect("auth connection handshake");
    let reply = ConnectResponse::decode_bytes(Bytes::copy_from_slice(&handshake[4..])).unwrap();
    assert!(!reply.is_expired(), "auth connection handshake: {reply:?}");
    rec.call(&mut auth, &auth_failure_request());
    expect_closed(&mut auth, "the auth failure");

    rec.frames
}

/// The fixture text: comment header, then the frame as hex, 16 bytes a line.
pub fn to_fixture(frame: &Frame) -> String {
    let direction = match frame.direction {
        Direction::ClientToServer => "client -> server",
        Direction::ServerToClient => "server -> client",
    };
    let mut text = format!(
        "# {direction}\n# {}\n# Whole frame: 4-byte big-endian length prefix, then the payload.\n\
         # Captured from a live server by tests/tests/golden_capture.rs; see README.md.\n",
        frame.what
    );
    for line in frame.bytes.chunks(16) {
        let groups: Vec<String> = line
            .chunks(4)
            .map(|group| group.iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        text.push_str(&groups.join(" "));
        text.push('\n');
    }
    text
}

/// Fields whose positive values change from run to run: zxids, times, session owners
/// and ids. Zero and negative values (a persistent node's owner, the -1 zxid of a
/// notification, the 0 zxid of an auth reply, a refused session) are kept.
const VARYING_FIELDS: [&str; 8] = [
    "zxid",
    "czxid",
    "mzxid",
    "pzxid",
    "ctime",
    "mtime",
    "ephemeral_owner",
    "session_id",
];

/// Replaces the positive values of [`VARYING_FIELDS`] in pretty `Debug` output with
/// `<varies>`.
fn mask_varying(pretty: &str) -> String {
    let mut out = String::new();
    for line in pretty.lines() {
        let masked = line
            .trim_start()
            .split_once(": ")
            .and_then(|(field, value)| {
                let number: i64 = value.strip_suffix(',')?.parse().ok()?;
                (VARYING_FIELDS.contains(&field) && number > 0).then(|| {
                    format!(
                        "{}{field}: <varies>,",
                        &line[..line.len() - line.trim_start().len()]
                    )
                })
            });
        out.push_str(masked.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The frame decoded by zk-proto and pretty-printed, with the fields that vary from run
/// to run masked: positive zxids, times, ephemeral owners and session ids (see
/// [`mask_varying`]), and the session password's bytes (its length is kept). Payload
/// length and any bytes zk-proto left unread are included, so a 36/37-byte handshake or
/// an unexpected error body shows up.
pub fn describe(kind: Kind, frame: &[u8]) -> Result<String, String> {
    if frame.len() < 4 {
        return Err(format!(
            "{} bytes, shorter than a length prefix",
            frame.len()
        ));
    }
    let declared = i32::from_be_bytes(frame[..4].try_into().unwrap());
    let payload = Bytes::copy_from_slice(&frame[4..]);
    if usize::try_from(declared).ok() != Some(payload.len()) {
        return Err(format!(
            "length prefix {declared} but {} payload bytes",
            payload.len()
        ));
    }
    let mut text = format!("payload: {} bytes\n", payload.len());
    let err = |e: zk_proto::DecodeError| e.to_string();
    let (decoded, used) = match kind {
        Kind::ConnectRequest => {
            let req = ConnectRequest::decode_bytes(payload.clone()).map_err(err)?;
            // The readOnly byte is optional on the wire; count it only if it was there.
            let used = req.encoded_len().min(payload.len());
            (format!("{req:#?}"), used)
        }
        Kind::ConnectResponse => {
            let mut resp = ConnectResponse::decode_bytes(payload.clone()).map_err(err)?;
            let used = resp.encoded_len();
            resp.passwd = Bytes::from(vec![0; resp.passwd.len()]);
            (format!("{resp:#?}"), used)
        }
        Kind::Request => {
            let (header, req) = WireRequest::decode_frame(payload.clone()).map_err(err)?;
            let used = header.encoded_len() + req.encoded_len();
            (format!("{header:#?}\n{req:#?}"), used)
        }
        Kind::Reply(op) => {
            if frame_xid(frame) == Some(xid::NOTIFICATION) {
                let (header, event) = decode_notification(payload.clone()).map_err(err)?;
                let used = header.encoded_len() + event.encoded_len();
                (format!("{header:#?}\n{event:#?}"), used)
            } else {
                let (header, body) = decode_reply(payload.clone(), op).map_err(err)?;
                let used = header.encoded_len() + body.as_ref().map_or(0, Encode::encoded_len);
                (format!("{header:#?}\n{body:#?}"), used)
            }
        }
    };
    text.push_str(&mask_varying(&decoded));
    let _ = write!(text, "unread: {} bytes", payload.len().saturating_sub(used));
    Ok(text)
}

/// A line-by-line comparison: `-` lines are only in `expected`, `+` only in `actual`.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence, so an inserted or removed field shows as one line.
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            let _ = writeln!(out, "  {}", e[i]);
            i += 1;
            j += 1;
        } else if j < a.len() && (i == e.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "+ {}", a[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "- {}", e[i]);
            i += 1;
        }
    }
    out
}
