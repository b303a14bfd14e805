//! Fixtures shared by the scenario tests: a session connected to the scripted fake
//! server, canned replies, and filters over the events, transports and frames a
//! scenario produced.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use zk_proto::{GetDataResponse, KeeperState, Stat};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    CloseReason, Config, Event, Registration, RequestError, RequestId, Response, Transport,
    WatchKind,
};

pub const T: i32 = 30_000;
pub const SID: i64 = 0x1234;

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
        &zk_proto::Response::GetData(GetDataResponse {
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

pub fn requests(frames: &[ClientFrame]) -> Vec<(i32, zk_proto::Request)> {
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
                    request: zk_proto::Request::Ping,
                    xid: -2
                }
            )
        })
        .count()
}
