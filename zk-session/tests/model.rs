//! Model-based property test: random submits, server replies, notifications, byte
//! splits (delivered with `handle_bytes`, or read into `recv_buf` for odd chunk
//! sizes), disconnects, time jumps and closes, checked against invariants:
//! every request completes exactly once, replies come in submit order, wire events
//! come in wire order, state transitions are legal, buffers stay bounded, no panic.
//! Watches: a notification surfaces exactly when it fires a live registration (else
//! it is dropped and counted by `stray_notifications`), firing exactly those; no
//! watch event comes without a registration, every registration an event names is
//! live (registered by its reply, not yet fired or removed), and every state event
//! names every live registration.
//!
//! The submits include requests the session answers itself (empty multi and
//! multiRead, local watch removal), getConfig watches beside a user watch on
//! `/zookeeper/config` under the chroot (each notification must fire only the
//! registrations made at its server path), and some runs use the longest durations
//! the config accepts, on a clock close to the end of `Instant`'s range. A second
//! property runs actions weighted towards watches (watching reads answered, then
//! notifications on the paths of live registrations).

mod common;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use zk_session::Version;

use bytes::Bytes;
use proptest::prelude::*;
use zk_proto::{ErrorCode, EventType, KeeperState};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    Config, Event, MAX_DURATION, Registration, Request, RequestError, RequestId, Session,
    SessionState, SubmitError, WatchKind, WatcherType,
};

use common::latest_instant;

const PATHS: [&str; 4] = ["/a", "/a/b", "/c", "/zookeeper/config"];
/// The unchrooted config node getConfig reads.
const CONFIG: &str = "/zookeeper/config";
const CHROOT: &str = "/r";

#[derive(Debug, Clone)]
enum Action {
    Submit { op: u8, path: usize, watch: bool },
    Flush { max: Option<usize> },
    Reply { count: usize, err: bool },
    Notify { kind: u8, path: usize },
    // a notification on the path of a live registration (picked among them)
    NotifyWatched { kind: u8, pick: usize },
    Deliver { chunk: usize },
    DeliverAll,
    Disconnect,
    Advance { ms: u64 },
    Connect { read_only: bool, expire: bool },
    Refuse,
    BadReply,
    AddAuth { ok: bool },
    ProbeResult { rw: bool },
    // a new host list (HOST_LISTS[pick]): the session may move, draining first
    UpdateHosts { pick: usize },
    Close,
}

/// New host lists for the session of `h1,h2` under the chroot: the same, grown,
/// without its hosts, with the chroot written, and refused (another chroot).
const HOST_LISTS: [&str; 5] = ["h2,h1", "h1,h2,h3,h4", "h3", "h4,h1/r", "h5/other"];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (0u8..9, 0..PATHS.len(), any::<bool>())
            .prop_map(|(op, path, watch)| Action::Submit { op, path, watch }),
        6 => proptest::option::of(1usize..200).prop_map(|max| Action::Flush { max }),
        6 => (1usize..4, proptest::bool::weighted(0.2)).prop_map(|(count, err)| Action::Reply { count, err }),
        // path == PATHS.len(): the unchrooted config node
        3 => (1u8..5, 0..=PATHS.len()).prop_map(|(kind, path)| Action::Notify { kind, path }),
        3 => (1u8..5, any::<usize>()).prop_map(|(kind, pick)| Action::NotifyWatched { kind, pick }),
        5 => (1usize..80).prop_map(|chunk| Action::Deliver { chunk }),
        4 => Just(Action::DeliverAll),
        1 => Just(Action::Disconnect),
        3 => prop_oneof![0u64..2_000, 0u64..45_000].prop_map(|ms| Action::Advance { ms }),
        4 => (proptest::bool::weighted(0.15), proptest::bool::weighted(0.03))
            .prop_map(|(read_only, expire)| Action::Connect { read_only, expire }),
        1 => Just(Action::Refuse),
        1 => Just(Action::BadReply),
        1 => proptest::bool::weighted(0.9).prop_map(|ok| Action::AddAuth { ok }),
        1 => any::<bool>().prop_map(|rw| Action::ProbeResult { rw }),
        1 => (0..HOST_LISTS.len()).prop_map(|pick| Action::UpdateHosts { pick }),
        1 => Just(Action::Close),
    ]
}

/// Actions weighted towards watches: watching reads answered and read back, then
/// notifications on their paths (and others), with fewer drops and timers.
fn watch_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        10 => (0u8..9, 0..PATHS.len(), proptest::bool::weighted(0.8))
            .prop_map(|(op, path, watch)| Action::Submit { op, path, watch }),
        6 => Just(Action::Flush { max: None }),
        6 => (1usize..4, proptest::bool::weighted(0.2)).prop_map(|(count, err)| Action::Reply { count, err }),
        3 => (1u8..5, 0..=PATHS.len()).prop_map(|(kind, path)| Action::Notify { kind, path }),
        8 => (1u8..5, any::<usize>()).prop_map(|(kind, pick)| Action::NotifyWatched { kind, pick }),
        3 => (1usize..80).prop_map(|chunk| Action::Deliver { chunk }),
        8 => Just(Action::DeliverAll),
        1 => Just(Action::Disconnect),
        1 => (0u64..2_000).prop_map(|ms| Action::Advance { ms }),
        4 => (proptest::bool::weighted(0.05), proptest::bool::weighted(0.01))
            .prop_map(|(read_only, expire)| Action::Connect { read_only, expire }),
    ]
}

/// What a server frame should turn into, once the session has read it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    /// A notification of this type on this client path (from this server path): one
    /// Watch event if it fires a live registration, else dropped (and counted).
    Notify(EventType, String, String),
    /// A reply to a user request: one Reply event (Ok or server error).
    UserReply,
    /// Ping, auth, SetWatches replies, handshake: no event of its own.
    Quiet,
    /// A frame after which the session drops the connection or ends.
    Ends,
}

struct Model {
    h: Harness,
    /// Server → client bytes not yet delivered, with frame ends and tags.
    outbox: Vec<u8>,
    tags: VecDeque<(usize, Tag)>,
    delivered: usize,
    /// Requests the server has read and not answered, in order.
    fifo: VecDeque<(i32, zk_proto::WireRequest)>,
    /// Tags the session has read, in order.
    realized: Vec<Tag>,
    accepted: Vec<RequestId>,
    /// Accepted requests the session answers itself (not wire-ordered).
    local: std::collections::HashSet<RequestId>,
    /// The server path each watching request registers at.
    watch_server_path: HashMap<RequestId, String>,
    /// The run uses the longest durations the config accepts.
    long_durations: bool,
    bad_auth: bool,
    /// Transports and events already checked for reconnect pacing.
    paced: (usize, usize),
    /// When the last established connection was lost (its Disconnected event).
    last_lost: Option<Instant>,
    /// Dials in a row at the instant of `last_lost`.
    instant_redials: usize,
    /// How many hosts the session's list has (a pass over them is dialled at once).
    hosts: usize,
}

impl Model {
    fn new(seed: u64) -> Model {
        let mut c = Config::new(format!("h1,h2{CHROOT}"));
        c.session_timeout = Duration::from_secs(6);
        c.request_timeout = if seed % 2 == 0 {
            Some(Duration::from_secs(20))
        } else {
            None
        };
        c.read_only = true;
        c.seed = seed;
        let long_durations = seed % 5 == 1;
        let mut h = if long_durations {
            c.request_timeout = Some(MAX_DURATION);
            c.close_timeout = MAX_DURATION;
            c.reconnect_backoff = MAX_DURATION;
            c.max_reconnect_backoff = MAX_DURATION;
            // a day before the end of the clock: every long deadline overflows
            let start = latest_instant() - Duration::from_secs(86_400);
            let mut h = Harness::new(Config::new("unused"));
            h.transports.clear();
            h.session = Session::new(c, start).expect("valid config");
            h.now = start;
            h
        } else {
            Harness::new(c)
        };
        h.pump();
        Model {
            h,
            outbox: Vec::new(),
            tags: VecDeque::new(),
            delivered: 0,
            fifo: VecDeque::new(),
            realized: Vec::new(),
            accepted: Vec::new(),
            local: Default::default(),
            watch_server_path: HashMap::new(),
            long_durations,
            bad_auth: false,
            paced: (0, 0),
            last_lost: None,
            instant_redials: 0,
            hosts: 2,
        }
    }

    fn reset_connection(&mut self) {
        self.outbox.clear();
        self.tags.clear();
        self.delivered = 0;
        self.fifo.clear();
    }

    /// Notices a connection the session closed by itself.
    fn sync_conn(&mut self) {
        if self.h.conn.is_none() {
            self.reset_connection();
        }
    }

    fn push(&mut self, bytes: Vec<u8>, tag: Tag) {
        self.outbox.extend(bytes);
        self.tags.push_back((self.outbox.len(), tag));
    }

    fn server_read(&mut self, frames: Vec<ClientFrame>) {
        for f in frames {
            match f {
                ClientFrame::Connect(_) => {}
                ClientFrame::Request { xid, request } => match request {
                    zk_proto::WireRequest::Ping => {
                        self.push(FakeServer::reply(-2, 1, ErrorCode::Ok, None), Tag::Quiet)
                    }
                    zk_proto::WireRequest::Auth(a) => {
                        if a.scheme == "bad" {
                            self.bad_auth = true;
                            self.push(
                                FakeServer::reply(-4, 0, ErrorCode::AuthFailed, None),
                                Tag::Ends,
                            );
                        } else {
                            self.push(FakeServer::reply(-4, 0, ErrorCode::Ok, None), Tag::Quiet);
                        }
                    }
                    other => self.fifo.push_back((xid, other)),
                },
            }
        }
    }

    fn flush(&mut self, max: Option<usize>) {
        if self.h.conn.is_none() {
            return;
        }
        let buf = self.h.session.send_buf();
        let n = max.map_or(buf.len(), |m| m.min(buf.len()));
        if n == 0 {
            return;
        }
        let bytes = buf[..n].to_vec();
        let conn = self
            .h
            .session
            .current_conn()
            .expect("bytes belong to a connection");
        self.h.session.advance_send(conn, n, self.h.now);
        let frames = self.h.server.feed(&bytes);
        self.h.pump();
        self.server_read(frames);
    }

    fn reply(&mut self, err: bool) {
        let Some((xid, req)) = self.fifo.pop_front() else {
            return;
        };
        let zxid = 10;
        let stat = zk_proto::Stat {
            czxid: 1,
            mzxid: 1,
            ctime: 0,
            mtime: 0,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 0,
            num_children: 0,
            pzxid: 1,
        };
        use zk_proto::WireResponse as R;
        let (tag, body) = match &req {
            zk_proto::WireRequest::SetWatches(_) | zk_proto::WireRequest::SetWatches2(_) => {
                (Tag::Quiet, None)
            }
            zk_proto::WireRequest::CloseSession => (Tag::Ends, None),
            zk_proto::WireRequest::GetData(_) => (
                Tag::UserReply,
                Some(R::GetData(zk_proto::GetDataResponse {
                    data: Bytes::new(),
                    stat,
                })),
            ),
            zk_proto::WireRequest::Exists(_) => (
                Tag::UserReply,
                Some(R::Exists(zk_proto::ExistsResponse { stat })),
            ),
            zk_proto::WireRequest::SetData(_) => (
                Tag::UserReply,
                Some(R::SetData(zk_proto::SetDataResponse { stat })),
            ),
            zk_proto::WireRequest::GetChildren(_) => (
                Tag::UserReply,
                Some(R::GetChildren(zk_proto::GetChildrenResponse {
                    children: vec!["x".into()],
                })),
            ),
            zk_proto::WireRequest::Create(c) => (
                Tag::UserReply,
                Some(R::Create(zk_proto::CreateResponse {
                    path: c.path.clone(),
                })),
            ),
            // A local watch removal the session told the server of: its reply event is
            // the session's own answer (Ok whatever this frame says), in its turn, so
            // the walk takes it for one that does not come from the wire.
            zk_proto::WireRequest::RemoveWatches(_) => {
                let code = if err {
                    ErrorCode::NoWatcher
                } else {
                    ErrorCode::Ok
                };
                self.push(FakeServer::reply(xid, zxid, code, None), Tag::Quiet);
                return;
            }
            other => panic!("model server got an unexpected request {other:?}"),
        };
        let frame = match (err && tag == Tag::UserReply, body) {
            (false, Some(b)) => FakeServer::ok(xid, zxid, &b),
            (true, _) => FakeServer::reply(xid, zxid, ErrorCode::NoNode, None),
            (false, None) => FakeServer::reply(xid, zxid, ErrorCode::Ok, None),
        };
        self.push(frame, tag);
    }

    fn deliver(&mut self, chunk: usize) {
        let Some(conn) = self.h.conn else {
            return;
        };
        let mut end = (self.delivered + chunk).min(self.outbox.len());
        if end == self.delivered {
            return;
        }
        let bytes = &self.outbox[self.delivered..end];
        if chunk % 2 == 1 {
            // a one-copy driver: read into the session's own buffer, as much as the
            // space it offers takes (a stale connection is offered none: ignored)
            if let Some(space) = self.h.session.recv_buf(conn) {
                let n = space.len().min(bytes.len());
                space[..n].copy_from_slice(&bytes[..n]);
                end = self.delivered + n;
                self.h.session.handle_received(conn, n, self.h.now);
            }
        } else {
            self.h.session.handle_bytes(conn, bytes, self.h.now);
        }
        self.delivered = end;
        self.h.pump();
        while let Some((e, _)) = self.tags.front() {
            if *e > self.delivered {
                break;
            }
            let (_, tag) = self.tags.pop_front().unwrap();
            let ends = tag == Tag::Ends;
            self.realized.push(tag);
            if ends {
                break;
            }
        }
        self.sync_conn();
        // Server-side: a closeSession reply or a failed auth closes the socket.
        if self.realized.last() == Some(&Tag::Ends)
            && self.h.conn.is_some()
            && self.h.session.state().is_terminal()
        {
            self.reset_connection();
        }
    }

    fn step(&mut self, a: &Action) {
        let before = self.h.session.state();
        match a {
            Action::Submit { op, path, watch } => {
                let p = PATHS[*path];
                let local = matches!(op, 5..=7);
                let watching = *watch && matches!(op, 0 | 1 | 3 | 8);
                let req = match op {
                    0 => Request::get_data(p, *watch),
                    1 => Request::exists(p, *watch),
                    2 => Request::set_data(p, &b"d"[..], Version::Any),
                    3 => Request::get_children(p, *watch),
                    4 => Request::create(p, Bytes::new(), zk_proto::CreateMode::Persistent),
                    5 => Request::Multi(vec![]),
                    6 => Request::MultiRead(vec![]),
                    7 => Request::RemoveWatches {
                        path: p.into(),
                        watcher_type: WatcherType::Any,
                        registration: None,
                        local: true,
                    },
                    _ => Request::GetConfig { watch: *watch },
                };
                match self.h.session.submit(req, self.h.now) {
                    Ok(id) => {
                        self.accepted.push(id);
                        if local {
                            self.local.insert(id);
                        }
                        if watching {
                            let server = if *op == 8 {
                                CONFIG.to_string()
                            } else {
                                format!("{CHROOT}{p}")
                            };
                            self.watch_server_path.insert(id, server);
                        }
                    }
                    Err(SubmitError::NoWatcher { .. }) if *op == 7 => {}
                    Err(e) => assert!(
                        before.is_terminal() || before == SessionState::Closing,
                        "{e}"
                    ),
                }
                self.h.pump();
            }
            Action::Flush { max } => self.flush(*max),
            Action::Reply { count, err } => {
                for _ in 0..*count {
                    self.reply(*err);
                }
            }
            Action::Notify { kind, path } => {
                if self.h.conn.is_some() && self.h.session.state().is_connected() {
                    let et = EventType::from_i32(i32::from(*kind));
                    let (client, server) = match PATHS.get(*path) {
                        Some(p) => (p.to_string(), format!("{CHROOT}{p}")),
                        None => (CONFIG.to_string(), CONFIG.to_string()),
                    };
                    self.push(
                        FakeServer::notification(et, &server, 11),
                        Tag::Notify(et, client, server),
                    );
                }
            }
            Action::NotifyWatched { kind, pick } => {
                let mut ids: Vec<RequestId> = self.h.session.watches().map(|r| r.id).collect();
                ids.sort();
                if !ids.is_empty() && self.h.conn.is_some() && self.h.session.state().is_connected()
                {
                    let server = self.watch_server_path[&ids[pick % ids.len()]].clone();
                    let client = match server.strip_prefix(CHROOT) {
                        Some(p) if p.starts_with('/') => p.to_string(),
                        _ => server.clone(),
                    };
                    let et = EventType::from_i32(i32::from(*kind));
                    self.push(
                        FakeServer::notification(et, &server, 11),
                        Tag::Notify(et, client, server),
                    );
                }
            }
            Action::Deliver { chunk } => self.deliver(*chunk),
            Action::DeliverAll => self.deliver(usize::MAX / 2),
            Action::Disconnect => {
                if self.h.conn.is_some() {
                    self.h.server_close();
                    self.reset_connection();
                }
            }
            Action::Advance { ms } => {
                self.h.advance(Duration::from_millis(*ms));
                self.sync_conn();
            }
            Action::Connect { read_only, expire } => {
                if self.h.pending_connect().is_some() {
                    self.h.accept();
                    self.reset_connection();
                    self.flush(None);
                    let resp = if *expire {
                        FakeServer::connect_response(0, 0, [0; 16], Some(false))
                    } else {
                        FakeServer::connect_response(6000, 42, [5; 16], Some(*read_only))
                    };
                    self.push(resp, if *expire { Tag::Ends } else { Tag::Quiet });
                }
            }
            Action::Refuse => {
                if self.h.pending_connect().is_some() {
                    self.h.refuse();
                }
            }
            Action::BadReply => {
                if self.h.session.state().is_connected() && self.h.conn.is_some() {
                    self.push(
                        FakeServer::reply(999_999, 1, ErrorCode::Ok, None),
                        Tag::Ends,
                    );
                }
            }
            Action::AddAuth { ok } => {
                let scheme = if *ok { "digest" } else { "bad" };
                let open = !self.h.session.state().is_terminal()
                    && self.h.session.state() != zk_session::SessionState::Closing;
                let accepted = self
                    .h
                    .session
                    .add_auth(scheme, Bytes::from_static(b"u:p"), self.h.now)
                    .is_ok();
                assert_eq!(accepted, open, "add_auth accepted iff the session is open");
                self.h.pump();
            }
            Action::ProbeResult { rw } => {
                let host = self.h.transports.iter().rev().find_map(|t| match t {
                    zk_session::Transport::ProbeReadWrite { host } => Some(host.clone()),
                    _ => None,
                });
                if let Some(host) = host {
                    self.h.session.handle_probe_result(&host, *rw, self.h.now);
                    self.h.pump();
                    self.sync_conn();
                }
            }
            Action::UpdateHosts { pick } => {
                let accepted = self.h.session.update_hosts(HOST_LISTS[*pick], self.h.now);
                assert_eq!(
                    accepted.is_ok(),
                    *pick != HOST_LISTS.len() - 1
                        && !before.is_terminal()
                        && before != SessionState::Closing,
                    "{accepted:?}"
                );
                // Dialling the host a new list chose at once is the application's
                // doing, one dial per list: it starts a new run of instant dials.
                self.last_lost = None;
                if accepted.is_ok() {
                    self.hosts = HOST_LISTS[*pick].split(',').count();
                }
                self.h.pump();
                self.sync_conn();
            }
            Action::Close => {
                self.h.session.close(self.h.now);
                self.h.pump();
                self.sync_conn();
            }
        }
        // Connection attempts the harness did not answer stay pending; flush pings and
        // handshakes that timers produced.
        if matches!(a, Action::Advance { .. }) {
            self.flush(None);
        }
        let after = self.h.session.state();
        assert!(
            before == after || before.can_transition_to(after),
            "illegal transition {before:?} -> {after:?} on {a:?}"
        );
        assert!(
            self.h.session.send_buf().len() <= 64 * 1024 + 4096,
            "send buffer unbounded: {}",
            self.h.session.send_buf().len()
        );
        self.check_reconnect_pacing();
    }

    /// No reconnect without delay after a handshake, over and over: once a pass over
    /// the hosts has each completed a handshake and dropped at once, the next dial
    /// waits. (A connection lost and redialled at the same instant counts; `n` hosts
    /// allow `n` such dials in a row, a read-write move or a new host list's one more.)
    fn check_reconnect_pacing(&mut self) {
        let (seen_events, seen_transports) = self.paced;
        for e in &self.h.events[seen_events.min(self.h.events.len())..] {
            if let Event::State {
                state: KeeperState::Disconnected,
                ..
            } = e
            {
                if self.last_lost != Some(self.h.now) {
                    // A loss at a new instant starts a new run.
                    self.instant_redials = 0;
                }
                self.last_lost = Some(self.h.now);
            }
        }
        for t in &self.h.transports[seen_transports.min(self.h.transports.len())..] {
            if let zk_session::Transport::Connect { .. } = t {
                if self.last_lost == Some(self.h.now) {
                    self.instant_redials += 1;
                } else {
                    self.instant_redials = 0;
                }
                assert!(
                    self.instant_redials <= self.hosts + 1,
                    "{} dials in a row at the instant an established connection dropped",
                    self.instant_redials
                );
            }
        }
        self.paced = (self.h.events.len(), self.h.transports.len());
    }

    fn finish(&mut self) {
        self.h.session.close(self.h.now);
        self.h.pump();
        self.h.advance(Duration::from_secs(10));
        if self.long_durations && self.h.session.state() == SessionState::Closing {
            // A close timeout of 24.8 days: the server closes the socket instead, and
            // the session dials again to deliver closeSession; a server answers it.
            if self.h.conn.is_some() {
                self.h.server_close();
            }
            self.h
                .establish_with(FakeServer::connect_response(6000, 42, [5; 16], Some(false)));
            let close = self.h.flush();
            assert!(
                matches!(&close[..], [f] if *f.request() == zk_proto::WireRequest::CloseSession),
                "{close:?}"
            );
            self.h
                .deliver(&FakeServer::reply(close[0].xid(), 0, ErrorCode::Ok, None));
        }
        assert!(
            self.h.session.state().is_terminal(),
            "{:?}",
            self.h.session.state()
        );
        assert_eq!(self.h.session.poll_timeout(), None);
        assert_eq!(self.h.session.poll_transport(self.h.now), None);

        // every accepted request completed exactly once, in submit order
        let replies: Vec<(RequestId, Result<zk_session::Response, RequestError>)> = self
            .h
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Reply { id, result, .. } => Some((*id, result.clone())),
                _ => None,
            })
            .collect();
        let mut count: HashMap<RequestId, usize> = HashMap::new();
        for (id, _) in &replies {
            *count.entry(*id).or_default() += 1;
        }
        for id in &self.accepted {
            assert_eq!(
                count.get(id),
                Some(&1),
                "request {id} completed {:?} times",
                count.get(id)
            );
        }
        assert_eq!(count.len(), self.accepted.len(), "replies for unknown ids");
        // a request the session answers itself never fails for the server's sake (a
        // local watch removal told to the server is Ok whatever comes back)
        for (id, result) in &replies {
            if self.local.contains(id) {
                assert!(
                    !matches!(
                        result,
                        Err(RequestError::ConnectionLoss | RequestError::Server { .. })
                    ),
                    "local request {id} answered {result:?}"
                );
            }
        }
        let ids: Vec<RequestId> = replies.iter().map(|r| r.0).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "replies out of submit order: {ids:?}"
        );

        // a one-shot registration fires (or is removed) at most once, and only for a
        // request that succeeded
        let ok: std::collections::HashSet<RequestId> = replies
            .iter()
            .filter(|r| r.1.is_ok())
            .map(|r| r.0)
            .collect();
        let mut fired: HashMap<RequestId, usize> = HashMap::new();
        for e in &self.h.events {
            if let Event::Watch(w) = e {
                for r in &w.registrations {
                    assert!(ok.contains(&r.id), "registration {r:?} of a failed request");
                    if r.kind.is_one_shot() {
                        *fired.entry(r.id).or_default() += 1;
                    }
                }
            }
        }
        assert!(
            fired.values().all(|n| *n == 1),
            "one-shot fired twice: {fired:?}"
        );

        // Wire-derived events come in wire order, and a notification surfaces exactly
        // when it fires a live registration. Walk the frames the session read beside
        // its events, keeping the live registrations as the events tell them: a reply
        // adds its registration; a notification removes the one-shots it fires; a
        // removal event removes what it names; the end of the session removes all.
        // Events that do not come from the wire (states, removals, local answers,
        // failed requests) are applied up to the next wire-derived event before each
        // frame is judged: none of them adds a registration, so a notification that
        // fires nothing still fires nothing after them, and one that fires something
        // surfaces before any of them that came later.
        let expected: Vec<&Tag> = self
            .realized
            .iter()
            .filter(|t| matches!(t, Tag::Notify(..) | Tag::UserReply))
            .collect();
        let mut live = Live::new(&self.watch_server_path);
        let mut events = self.h.events.iter().peekable();
        let mut strays = 0u64;
        let mut notifies = 0usize;
        for tag in &expected {
            while let Some(e) = events.next_if(|e| !self.is_from_wire(e)) {
                live.apply(e);
            }
            match tag {
                Tag::UserReply => {
                    let e = events.next();
                    assert!(
                        matches!(e, Some(Event::Reply { .. })),
                        "expected the reply read from the wire, got {e:?}"
                    );
                    live.apply(e.unwrap());
                }
                Tag::Notify(et, client, server) => {
                    notifies += 1;
                    let fires = live.fired_by(*et, server);
                    if fires.is_empty() {
                        strays += 1;
                        continue;
                    }
                    let e = events.next();
                    let Some(Event::Watch(w)) = e else {
                        panic!("{et:?} on {server} fires {fires:?}: expected its event, got {e:?}")
                    };
                    assert_eq!((w.event_type, &w.path), (*et, client));
                    let mut named: Vec<RequestId> = w.registrations.iter().map(|r| r.id).collect();
                    named.sort();
                    assert_eq!(
                        named, fires,
                        "{et:?} on {server} fired the wrong registrations"
                    );
                    // each fired registration was made at the notification's server path
                    for r in &w.registrations {
                        assert_eq!(
                            self.watch_server_path.get(&r.id),
                            Some(server),
                            "{r:?} fired by a notification on {server}"
                        );
                    }
                    live.apply(e.unwrap());
                }
                _ => unreachable!("filtered"),
            }
        }
        for e in events {
            assert!(!self.is_from_wire(e), "an event no frame explains: {e:?}");
            live.apply(e);
        }
        assert_eq!(
            self.h.session.stray_notifications(),
            strays,
            "notifications that fired nothing are dropped and counted"
        );

        if std::env::var_os("MODEL_STATS").is_some() {
            let losses = replies
                .iter()
                .filter(|r| r.1 == Err(RequestError::ConnectionLoss))
                .count();
            let states: Vec<_> = self
                .h
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::State { state, .. } => Some(state.to_i32()),
                    _ => None,
                })
                .collect();
            eprintln!(
                "accepted {} wire-replies {} notifies {} (stray {}) losses {} states {:?} end {:?}",
                self.accepted.len(),
                expected.iter().filter(|t| ***t == Tag::UserReply).count(),
                notifies,
                strays,
                losses,
                states,
                self.h.session.state()
            );
        }
    }
}

impl Model {
    /// Whether `e` stands for a frame the session read: a notification (types 1–4),
    /// or the Ok or server-error reply of a request that went to the server.
    fn is_from_wire(&self, e: &Event) -> bool {
        match e {
            Event::Watch(w) => is_notification(w.event_type),
            Event::Reply {
                id,
                result:
                    Ok(_) | Err(RequestError::Server { .. } | RequestError::TransactionFailed { .. }),
                ..
            } => !self.local.contains(id),
            _ => false,
        }
    }
}

fn is_notification(t: EventType) -> bool {
    (1..=4).contains(&t.to_i32())
}

/// Which one-shot kinds a node event fires (Java's `ZKWatchManager.materialize`; the
/// model makes no persistent watches).
fn fires(kind: WatchKind, et: EventType) -> bool {
    use EventType as E;
    match kind {
        WatchKind::Data | WatchKind::Exist => {
            matches!(et, E::NodeCreated | E::NodeDataChanged | E::NodeDeleted)
        }
        WatchKind::Child => matches!(et, E::NodeChildrenChanged | E::NodeDeleted),
        other => panic!("the model makes no {other:?} watch"),
    }
}

/// The live registrations, as the session's events tell them, checking on the way
/// that no watch event comes without a registration and that every registration an
/// event names is live (registered by its reply, not yet fired or removed).
struct Live<'a> {
    /// The server path each watching request registers at (the model's own view).
    server_path: &'a HashMap<RequestId, String>,
    regs: HashMap<RequestId, Registration>,
}

impl<'a> Live<'a> {
    fn new(server_path: &'a HashMap<RequestId, String>) -> Live<'a> {
        Live {
            server_path,
            regs: HashMap::new(),
        }
    }

    fn ids(&self) -> Vec<RequestId> {
        let mut ids: Vec<RequestId> = self.regs.keys().copied().collect();
        ids.sort();
        ids
    }

    fn apply(&mut self, e: &Event) {
        match e {
            Event::Reply {
                id,
                registration: Some(r),
                ..
            } => {
                assert_eq!(r.id, *id, "a reply carries its own registration");
                assert!(
                    self.server_path.contains_key(id),
                    "{r:?} made by a request that does not watch"
                );
                assert!(
                    self.regs.insert(r.id, r.clone()).is_none(),
                    "{r:?} registered twice"
                );
            }
            Event::Reply { .. } => {}
            Event::Watch(w) => {
                assert!(
                    !w.registrations.is_empty(),
                    "a watch event without a registration: {w:?}"
                );
                let notification = is_notification(w.event_type);
                for r in &w.registrations {
                    assert_eq!(
                        self.regs.get(&r.id),
                        Some(r),
                        "{w:?} names a registration that is not live"
                    );
                    if !notification || r.kind.is_one_shot() {
                        self.regs.remove(&r.id);
                    }
                }
            }
            Event::State {
                state,
                registrations,
                ..
            } => {
                let mut named: Vec<RequestId> = registrations.iter().map(|r| r.id).collect();
                named.sort();
                assert_eq!(named, self.ids(), "{state:?} names every live registration");
                if matches!(
                    state,
                    KeeperState::Expired | KeeperState::AuthFailed | KeeperState::Closed
                ) {
                    self.regs.clear();
                }
            }
            other => panic!("the model never fills the event queue: {other:?}"),
        }
    }

    /// The live registrations (ids, sorted) a notification `et` on the server path
    /// `server` fires.
    fn fired_by(&self, et: EventType, server: &str) -> Vec<RequestId> {
        let mut ids: Vec<RequestId> = self
            .regs
            .values()
            .filter(|r| self.server_path[&r.id] == server && fires(r.kind, et))
            .map(|r| r.id)
            .collect();
        ids.sort();
        ids
    }
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=N for a longer run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn session_invariants(seed in any::<u64>(), actions in proptest::collection::vec(action(), 1..120)) {
        let mut m = Model::new(seed);
        for a in &actions {
            m.step(a);
        }
        m.finish();
        let _ = m.bad_auth;
    }

    #[test]
    fn notifications_fire_exactly_the_live_registrations(
        seed in any::<u64>(),
        actions in proptest::collection::vec(watch_action(), 1..150),
    ) {
        let mut m = Model::new(seed);
        for a in &actions {
            m.step(a);
        }
        m.finish();
    }
}
