//! Scripting a machine's conversation: the request it sends, the reply it gets, and
//! watch handles to hand it (taken from a session that never connects).

#![allow(dead_code)]

use std::time::Instant;

use zk_blocking::zk_session::{Config, Registration, Session, WatchKind};
use zk_blocking::{
    Bytes, CreateMode, Error, EventType, Request, Response, Stat, Version, WatchHandle,
    WatchedEvent,
};
use zk_recipes::{Recipe, Token};

/// The one request the machine sends now, and its token.
pub fn sent<R: Recipe>(m: &mut R) -> (Token, Request) {
    let submit = m.poll_submit().expect("a request to submit");
    assert!(m.poll_submit().is_none(), "one request at a time");
    (submit.token, submit.request)
}

/// Checks the request the machine sends now and answers it with `reply` (no watch).
pub fn expect_then<R: Recipe>(m: &mut R, request: Request, reply: Result<Response, Error>) {
    expect_then_watched(m, request, reply, None);
}

/// Like [`expect_then`], the reply setting `watch`.
pub fn expect_then_watched<R: Recipe>(
    m: &mut R,
    request: Request,
    reply: Result<Response, Error>,
    watch: Option<WatchHandle>,
) {
    let (token, got) = sent(m);
    assert_eq!(got, request);
    m.handle_reply(token, reply.map(|r| (r, watch)));
}

/// Watch handles for scripts: each one the id of a request queued on a session that
/// never connects, so they are real and distinct.
pub struct Watches {
    session: Session,
}

impl Watches {
    pub fn new() -> Watches {
        Watches {
            session: Session::new(Config::new("127.0.0.1:1"), Instant::now()).unwrap(),
        }
    }

    /// A fresh exist watch on `path`.
    pub fn exist(&mut self, path: &str) -> WatchHandle {
        self.handle(path, WatchKind::Exist)
    }

    /// A fresh persistent watch on `path`.
    pub fn persistent(&mut self, path: &str) -> WatchHandle {
        self.handle(path, WatchKind::Persistent)
    }

    /// A fresh persistent recursive watch on `path`.
    pub fn persistent_recursive(&mut self, path: &str) -> WatchHandle {
        self.handle(path, WatchKind::PersistentRecursive)
    }

    fn handle(&mut self, path: &str, kind: WatchKind) -> WatchHandle {
        let id = self
            .session
            .submit(Request::exists(path, true), Instant::now())
            .unwrap();
        WatchHandle::from_registration(&Registration {
            id,
            kind,
            path: path.into(),
        })
    }
}

/// The event of `watch` firing.
pub fn fired(watch: WatchHandle, event_type: EventType, path: &str) -> WatchedEvent {
    WatchedEvent {
        event_type,
        path: path.to_string(),
        zxid: -1,
        watches: vec![watch],
    }
}

pub fn exists(path: &str) -> Request {
    Request::exists(path, true)
}

pub fn there() -> Result<Response, Error> {
    Ok(Response::Exists(Some(Stat::default())))
}

pub fn not_there() -> Result<Response, Error> {
    Ok(Response::Exists(None))
}

pub fn create(path: &str, data: &'static [u8], mode: CreateMode) -> Request {
    Request::create(path, Bytes::from_static(data), mode)
}

pub fn created(path: &str) -> Result<Response, Error> {
    Ok(Response::Create {
        path: path.to_string(),
        stat: None,
    })
}

pub fn delete(path: &str) -> Request {
    Request::delete(path, Version::Any)
}

pub fn deleted() -> Result<Response, Error> {
    Ok(Response::Delete)
}

pub fn children(path: &str) -> Request {
    Request::get_children(path, false)
}

pub fn listing(names: &[&str]) -> Result<Response, Error> {
    Ok(Response::GetChildren {
        children: names.iter().map(|n| n.to_string()).collect(),
        stat: None,
    })
}
