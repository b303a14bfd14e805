//! Fixtures shared by the scenario tests: a session connected to the scripted fake
//! server, canned replies, and filters over the events, transports and frames a
//! scenario produced.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use bytes::BytesMut;
use zk_proto::{ErrorCode, EventType, GetDataResponse, KeeperState, Stat};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    CloseReason, Config, Event, Registration, Request, RequestError, RequestId, Response,
    Transport, WatchKind, WatcherType,
};

pub const T: i32 = 30_000;
pub const SID: i64 = 0x1234;

/// The latest `Instant` this platform can represent (found by doubling steps).
pub fn latest_instant() -> Instant {
    let mut t = Instant::now();
    let mut d = Duration::MAX;
    while !d.is_zero() {
        match t.checked_add(d) {
            Some(n) => t = n,
            None => d /= 2,
        }
    }
    t
}

/// The steps every scenario takes, each in one call.
pub trait HarnessExt {
    /// Submits `request` now; panics if the session refuses it. Nothing is written or
    /// polled: the request waits in the send buffer (or the queue) for the next
    /// `flush`.
    fn submit(&mut self, request: Request) -> RequestId;

    /// Submits `request` and writes it to the server; returns its id and the one frame
    /// written (panics if anything else was written with it).
    fn submit_and_flush(&mut self, request: Request) -> (RequestId, ClientFrame);

    /// The server sends a notification for `server_path`.
    fn notify(&mut self, event_type: EventType, server_path: &str, zxid: i64);
}

impl HarnessExt for Harness {
    fn submit(&mut self, request: Request) -> RequestId {
        self.session
            .submit(request, self.now)
            .unwrap_or_else(|err| panic!("refused: {err}"))
    }

    fn submit_and_flush(&mut self, request: Request) -> (RequestId, ClientFrame) {
        let id = self.submit(request);
        match <[ClientFrame; 1]>::try_from(self.flush()) {
            Ok([frame]) => (id, frame),
            Err(frames) => panic!("one frame written, not {frames:?}"),
        }
    }

    fn notify(&mut self, event_type: EventType, server_path: &str, zxid: i64) {
        self.deliver(&FakeServer::notification(event_type, server_path, zxid));
    }
}

pub fn config(connect: &str) -> Config {
    let mut c = Config::new(connect);
    c.session_timeout = Duration::from_millis(T as u64);
    c.seed = 1;
    c
}

pub fn connected_with(c: Config) -> Harness {
    let mut h = Harness::new(c);
    h.establish(T, SID);
    h.take_events();
    h
}

pub fn connected(connect: &str) -> Harness {
    connected_with(config(connect))
}

/// Connected as to a 3.9+ server: persistent watcher types go on the wire as they are.
pub fn connected_with_persistent_types(connect: &str) -> Harness {
    let mut c = config(connect);
    c.persistent_watcher_types = true;
    connected_with(c)
}

pub fn stat(v: i32) -> Stat {
    Stat {
        czxid: 1,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: v,
        cversion: 0,
        aversion: 0,
        ephemeral_owner: 0,
        data_length: 0,
        num_children: 0,
        pzxid: 5,
    }
}

pub fn data_reply(xid: i32, zxid: i64) -> Vec<u8> {
    FakeServer::ok(
        xid,
        zxid,
        &zk_proto::WireResponse::GetData(GetDataResponse {
            data: Bytes::from_static(b"v"),
            stat: stat(1),
        }),
    )
}

pub fn reg(id: RequestId, kind: WatchKind, path: &str) -> Registration {
    Registration {
        id,
        kind,
        path: path.into(),
    }
}

pub fn replies(events: &[Event]) -> Vec<(RequestId, Result<Response, RequestError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Reply { id, result, .. } => Some((*id, result.clone())),
            _ => None,
        })
        .collect()
}

pub fn reply_ids(events: &[Event]) -> Vec<RequestId> {
    replies(events).into_iter().map(|(id, _)| id).collect()
}

pub fn states(events: &[Event]) -> Vec<KeeperState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::State { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

pub fn watch_events(events: &[Event]) -> Vec<(zk_proto::EventType, String, Vec<Registration>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Watch(w) => Some((w.event_type, w.path.clone(), w.registrations.clone())),
            _ => None,
        })
        .collect()
}

pub fn closes(h: &Harness) -> Vec<CloseReason> {
    h.transports
        .iter()
        .filter_map(|t| match t {
            Transport::Close { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

pub fn connects(h: &Harness) -> Vec<(String, Duration)> {
    h.transports
        .iter()
        .filter_map(|t| match t {
            Transport::Connect { host, timeout, .. } => Some((host.to_string(), *timeout)),
            _ => None,
        })
        .collect()
}

pub fn requests(frames: &[ClientFrame]) -> Vec<(i32, zk_proto::WireRequest)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ClientFrame::Request { xid, request } => Some((*xid, request.clone())),
            _ => None,
        })
        .collect()
}

pub fn pings(frames: &[ClientFrame]) -> usize {
    frames
        .iter()
        .filter(|f| {
            matches!(
                f,
                ClientFrame::Request {
                    request: zk_proto::WireRequest::Ping,
                    xid: -2
                }
            )
        })
        .count()
}

pub fn children_reply(xid: i32, zxid: i64) -> Vec<u8> {
    FakeServer::ok(
        xid,
        zxid,
        &zk_proto::WireResponse::GetChildren(zk_proto::GetChildrenResponse { children: vec![] }),
    )
}

pub fn add_watch_reply(xid: i32, zxid: i64) -> Vec<u8> {
    FakeServer::ok(
        xid,
        zxid,
        &zk_proto::WireResponse::AddWatch(zk_proto::ErrorResponse { err: ErrorCode::Ok }),
    )
}

/// A ConnectResponse with a password of any length (servers always issue 16 bytes).
pub fn connect_response_with_password(timeout_ms: i32, session_id: i64, passwd: &[u8]) -> Vec<u8> {
    let r = zk_proto::ConnectResponse {
        protocol_version: 0,
        timeout: timeout_ms,
        session_id,
        passwd: Bytes::copy_from_slice(passwd),
        read_only: Some(false),
    };
    let mut b = BytesMut::new();
    zk_proto::encode_frame(&r, &mut b);
    b.to_vec()
}

/// Submits a watching request, writes it and answers it with `reply(xid)`; returns
/// its id (the registration's id). Events are left in `h.events`.
pub fn watch_with(h: &mut Harness, req: Request, reply: fn(i32, i64) -> Vec<u8>) -> RequestId {
    let (id, sent) = h.submit_and_flush(req);
    h.deliver(&reply(sent.xid(), 1));
    assert!(h.session.registration(id).is_some(), "{id} registered");
    id
}

/// A data watch on `path` (getData with a watch, answered).
pub fn watch_data(h: &mut Harness, path: &str) -> RequestId {
    watch_with(h, Request::get_data(path, true), data_reply)
}

/// A child watch on `path` (getChildren with a watch, answered).
pub fn watch_children(h: &mut Harness, path: &str) -> RequestId {
    watch_with(h, Request::get_children(path, true), children_reply)
}

/// A persistent (non-recursive) watch on `path` (addWatch, answered).
pub fn watch_persistent(h: &mut Harness, path: &str) -> RequestId {
    watch_with(h, add_watch(path, false), add_watch_reply)
}

/// Submits the server-side removal of the data registration `id` on `path` and
/// writes it; returns the removal's id and the frame written.
pub fn remove_data_watch(h: &mut Harness, path: &str, id: RequestId) -> (RequestId, ClientFrame) {
    h.submit_and_flush(remove_watches(path, WatcherType::Data, Some(id), false))
}

/// The watch events of one data registration `id` on `path` being removed.
pub fn data_watch_removed(
    path: &str,
    id: RequestId,
) -> Vec<(zk_proto::EventType, String, Vec<Registration>)> {
    vec![(
        zk_proto::EventType::DataWatchRemoved,
        path.to_string(),
        vec![reg(id, WatchKind::Data, path)],
    )]
}

/// addWatch on `path`: persistent, or persistent-recursive.
pub fn add_watch(path: &str, recursive: bool) -> Request {
    Request::AddWatch {
        path: path.into(),
        recursive,
    }
}

pub fn remove_watches(
    path: &str,
    watcher_type: WatcherType,
    registration: Option<RequestId>,
    local: bool,
) -> Request {
    Request::RemoveWatches {
        path: path.into(),
        watcher_type,
        registration,
        local,
    }
}

// ----- a silent application: the session is driven, its events are never polled ----

/// Drains the transport actions only (as `Harness::pump` does), leaving every event
/// queued in the session.
pub fn pump_transports(h: &mut Harness) {
    while let Some(t) = h.session.poll_transport(h.now) {
        if let Transport::Close { conn, .. } = &t {
            if Some(*conn) == h.conn {
                h.conn = None;
            }
        }
        h.transports.push(t);
    }
}

/// `Harness::flush` without polling events.
pub fn flush_silently(h: &mut Harness) -> Vec<ClientFrame> {
    let mut frames = Vec::new();
    loop {
        let buf = h.session.send_buf().to_vec();
        if buf.is_empty() {
            return frames;
        }
        let conn = h
            .session
            .current_conn()
            .expect("bytes belong to a connection");
        h.session.advance_send(conn, buf.len(), h.now);
        frames.extend(h.server.feed(&buf));
        pump_transports(h);
    }
}

/// `Harness::deliver` without polling events.
pub fn deliver_silently(h: &mut Harness, bytes: &[u8]) {
    let conn = h.conn.expect("connected");
    h.session.handle_bytes(conn, bytes, h.now);
    pump_transports(h);
}

/// Every event the session holds now, polled in order.
pub fn drain(h: &mut Harness) -> Vec<Event> {
    std::iter::from_fn(|| h.session.poll_event()).collect()
}

/// Like `Harness::flush`, returning each frame with its size on the wire (length
/// prefix included).
pub fn flush_with_sizes(h: &mut Harness) -> Vec<(usize, ClientFrame)> {
    let mut out = Vec::new();
    loop {
        let buf = h.session.send_buf().to_vec();
        if buf.is_empty() {
            return out;
        }
        let mut sizes = Vec::new();
        let mut rest = &buf[..];
        while !rest.is_empty() {
            let len = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            sizes.push(4 + len);
            rest = &rest[4 + len..];
        }
        let conn = h
            .session
            .current_conn()
            .expect("bytes belong to a connection");
        h.session.advance_send(conn, buf.len(), h.now);
        let frames = h.server.feed(&buf);
        assert_eq!(frames.len(), sizes.len(), "whole frames in the send buffer");
        out.extend(sizes.into_iter().zip(frames));
        h.pump();
    }
}
