//! Test support (feature `testing`): a scripted fake server speaking zk-proto frames
//! and a harness that drives a [`Session`] on a virtual clock. Drivers and other
//! crates' tests can reuse it.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use zk_proto::{
    ConnectRequest, ConnectResponse, Decode, EventType, FrameDecoder, KeeperState, Reader,
    ReplyHeader, WatcherEvent, WireResponse,
};

use crate::{Config, ConnId, DisconnectCause, Event, Session, Transport};

pub use crate::rng::SplitMix64;

/// A frame the client sent, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// The handshake.
    Connect(ConnectRequest),
    /// A request after the handshake.
    Request {
        /// Its xid.
        xid: i32,
        /// Its body.
        request: zk_proto::WireRequest,
    },
}

impl ClientFrame {
    /// The xid of a request frame (panics on the handshake).
    pub fn xid(&self) -> i32 {
        match self {
            ClientFrame::Request { xid, .. } => *xid,
            ClientFrame::Connect(_) => panic!("handshake has no xid"),
        }
    }

    /// The request of a request frame (panics on the handshake).
    pub fn request(&self) -> &zk_proto::WireRequest {
        match self {
            ClientFrame::Request { request, .. } => request,
            ClientFrame::Connect(_) => panic!("handshake is not a request"),
        }
    }
}

/// The server side of one connection: decodes what the client writes and builds what
/// a server would answer.
#[derive(Debug, Default)]
pub struct FakeServer {
    decoder: FrameDecoder,
    handshaken: bool,
}

impl FakeServer {
    /// A fresh connection (expects a ConnectRequest first).
    pub fn new() -> FakeServer {
        FakeServer::default()
    }

    /// Decodes every complete client frame in `bytes` (which may be split anywhere).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ClientFrame> {
        self.decoder.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(frame) = self.decoder.decode().expect("client frame length") {
            if !self.handshaken {
                self.handshaken = true;
                out.push(ClientFrame::Connect(
                    ConnectRequest::decode_bytes(frame).expect("ConnectRequest"),
                ));
            } else {
                let (h, request) = zk_proto::WireRequest::decode_frame(frame).expect("request");
                out.push(ClientFrame::Request {
                    xid: h.xid,
                    request,
                });
            }
        }
        out
    }

    /// A ConnectResponse frame; `read_only: None` leaves the byte out (36 bytes).
    pub fn connect_response(
        timeout_ms: i32,
        session_id: i64,
        password: [u8; 16],
        read_only: Option<bool>,
    ) -> Vec<u8> {
        let r = ConnectResponse {
            protocol_version: 0,
            timeout: timeout_ms,
            session_id,
            passwd: bytes::Bytes::copy_from_slice(&password),
            read_only,
        };
        let mut b = BytesMut::new();
        zk_proto::encode_frame(&r, &mut b);
        b.to_vec()
    }

    /// A reply frame; the body is written only when given.
    pub fn reply(
        xid: i32,
        zxid: i64,
        err: zk_proto::ErrorCode,
        body: Option<&WireResponse>,
    ) -> Vec<u8> {
        let mut b = BytesMut::new();
        WireResponse::encode_frame(&ReplyHeader { xid, zxid, err }, body, &mut b);
        b.to_vec()
    }

    /// A successful reply.
    pub fn ok(xid: i32, zxid: i64, body: &WireResponse) -> Vec<u8> {
        Self::reply(xid, zxid, zk_proto::ErrorCode::Ok, Some(body))
    }

    /// A notification frame (xid −1).
    pub fn notification(event_type: EventType, server_path: &str, zxid: i64) -> Vec<u8> {
        let mut b = BytesMut::new();
        let ev = WatcherEvent {
            event_type,
            state: KeeperState::SyncConnected,
            path: server_path.to_string(),
        };
        zk_proto::encode_frame_with_header(
            &ReplyHeader {
                xid: -1,
                zxid,
                err: zk_proto::ErrorCode::Ok,
            },
            &ev,
            &mut b,
        );
        b.to_vec()
    }

    /// Decodes a reply frame (for tests of the helpers).
    pub fn parse_header(frame: &[u8]) -> ReplyHeader {
        let mut r = Reader::new(bytes::Bytes::copy_from_slice(&frame[4..]));
        ReplyHeader::decode(&mut r).expect("header")
    }
}

/// A [`Session`] on a virtual clock with one scripted server connection at a time.
/// Every method drains the session's outputs into `events` and `transports`.
#[derive(Debug)]
pub struct Harness {
    /// The machine under test.
    pub session: Session,
    /// Virtual now.
    pub now: Instant,
    /// The connection the harness considers open.
    pub conn: Option<ConnId>,
    /// The server side of `conn`.
    pub server: FakeServer,
    /// Every event polled so far.
    pub events: Vec<Event>,
    /// Every transport action polled so far.
    pub transports: Vec<Transport>,
    /// The last `Connect` answered (accepted or refused).
    answered: Option<ConnId>,
}

impl Harness {
    /// A session from `config` at an arbitrary virtual start time.
    pub fn new(config: Config) -> Harness {
        let now = Instant::now();
        let session = Session::new(config, now).expect("valid config");
        let mut h = Harness {
            session,
            now,
            conn: None,
            server: FakeServer::new(),
            events: Vec::new(),
            transports: Vec::new(),
            answered: None,
        };
        h.pump();
        h
    }

    /// Drains transport actions and events. A `Connect` is remembered (not yet
    /// connected); a `Close` of the current connection forgets it.
    pub fn pump(&mut self) {
        while let Some(t) = self.session.poll_transport(self.now) {
            if let Transport::Close { conn, .. } = &t {
                if Some(*conn) == self.conn {
                    self.conn = None;
                }
            }
            self.transports.push(t);
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push(e);
        }
    }

    /// The last `Connect` action, if the session asked for one and it is not answered.
    pub fn pending_connect(&self) -> Option<ConnId> {
        match self.transports.last() {
            Some(Transport::Connect { conn, .. }) if Some(*conn) != self.answered => Some(*conn),
            _ => None,
        }
    }

    /// Moves the clock by `d`, runs due timers, pumps.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.session.handle_timeout(self.now);
        self.pump();
    }

    /// Moves the clock to the session's next deadline (if any) and runs it.
    pub fn run_next_timer(&mut self) -> Option<Instant> {
        let t = self.session.poll_timeout()?;
        if t > self.now {
            self.now = t;
        }
        self.session.handle_timeout(self.now);
        self.pump();
        Some(t)
    }

    /// Answers the pending `Connect` with a TCP connection; returns its id.
    pub fn accept(&mut self) -> ConnId {
        let conn = self.pending_connect().expect("a Connect is pending");
        self.conn = Some(conn);
        self.answered = Some(conn);
        self.server = FakeServer::new();
        self.session.handle_connected(conn, self.now);
        self.pump();
        conn
    }

    /// Fails the pending `Connect`.
    pub fn refuse(&mut self) {
        let conn = self.pending_connect().expect("a Connect is pending");
        self.answered = Some(conn);
        self.session
            .handle_disconnected(conn, DisconnectCause::ConnectFailed, self.now);
        self.pump();
    }

    /// Writes everything in the send buffer to the fake server; returns the decoded
    /// frames.
    pub fn flush(&mut self) -> Vec<ClientFrame> {
        let buf = self.session.send_buf().to_vec();
        if buf.is_empty() {
            return Vec::new();
        }
        let n = buf.len();
        let conn = self
            .session
            .current_conn()
            .expect("bytes to send belong to a connection");
        self.session.advance_send(conn, n, self.now);
        let mut frames = self.server.feed(&buf);
        self.pump();
        // advancing may have moved more queued requests into the buffer
        frames.extend(self.flush());
        frames
    }

    /// Delivers server bytes on the current connection.
    pub fn deliver(&mut self, bytes: &[u8]) {
        let conn = self.conn.expect("connected");
        self.session.handle_bytes(conn, bytes, self.now);
        self.pump();
    }

    /// Delivers server bytes on the current connection the way a one-copy driver
    /// does: each "read" writes at most `max_read` bytes straight into
    /// [`Session::recv_buf`], then [`Session::handle_received`]. Returns the address
    /// range (start, length) each read wrote, to check where frames end up.
    pub fn deliver_direct(&mut self, mut bytes: &[u8], max_read: usize) -> Vec<(usize, usize)> {
        let conn = self.conn.expect("connected");
        let mut reads = Vec::new();
        while !bytes.is_empty() {
            let Some(space) = self.session.recv_buf(conn) else {
                break;
            };
            let n = space.len().min(max_read).min(bytes.len());
            space[..n].copy_from_slice(&bytes[..n]);
            reads.push((space.as_ptr() as usize, n));
            bytes = &bytes[n..];
            self.session.handle_received(conn, n, self.now);
            self.pump();
        }
        reads
    }

    /// Like [`Harness::deliver_direct`], through [`Session::recv_buffer`] (as tokio's
    /// `read_buf` reads): appends at most `max_read` bytes and at most what the
    /// session asks for per read, then [`Session::handle_appended`]. Returns the size
    /// the session asked for at each read.
    pub fn deliver_appended(&mut self, mut bytes: &[u8], max_read: usize) -> Vec<usize> {
        let conn = self.conn.expect("connected");
        let mut wants = Vec::new();
        while !bytes.is_empty() {
            let Some((buf, want)) = self.session.recv_buffer(conn) else {
                break;
            };
            assert!(buf.capacity() - buf.len() >= want, "room for the read");
            let n = want.min(max_read).min(bytes.len());
            buf.extend_from_slice(&bytes[..n]);
            wants.push(want);
            bytes = &bytes[n..];
            self.session.handle_appended(conn, self.now);
            self.pump();
        }
        wants
    }

    /// The server closes the current connection.
    pub fn server_close(&mut self) {
        let conn = self.conn.take().expect("connected");
        self.session
            .handle_disconnected(conn, DisconnectCause::Eof, self.now);
        self.pump();
    }

    /// Dials, accepts and completes the handshake with the given answer; returns the
    /// ConnectRequest the client sent.
    pub fn establish(&mut self, timeout_ms: i32, session_id: i64) -> ConnectRequest {
        self.establish_with(FakeServer::connect_response(
            timeout_ms,
            session_id,
            [7; 16],
            Some(false),
        ))
    }

    /// Like [`Harness::establish`] with a raw ConnectResponse frame.
    pub fn establish_with(&mut self, response: Vec<u8>) -> ConnectRequest {
        if self.pending_connect().is_none() {
            self.run_next_timer();
        }
        self.accept();
        let frames = self.flush();
        let req = match frames.as_slice() {
            [ClientFrame::Connect(c)] => c.clone(),
            other => panic!("expected one ConnectRequest, got {other:?}"),
        };
        self.deliver(&response);
        req
    }

    /// Takes the events collected so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}
