//! The session state machine. The `Session` type and its public API live here; each
//! child module holds one concern of the machinery behind it.

mod connection;
mod deadlines;
mod events;
mod read_only;
mod replay;
mod replies;
mod requests;
mod terminal;

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zk_proto::{AuthPacket, ConnectRequest, FrameDecoder, OpCode, xid};

use crate::chroot::Chroot;
use crate::config::{Config, SessionCredentials};
use crate::connect_string::HostAddr;
use crate::error::{CloseReason, ConfigError, DisconnectCause, RequestError, SubmitError};
use crate::event::{Event, Transport};
use crate::event_queue::EventQueue;
use crate::hosts::HostList;
use crate::id::{ConnId, RequestId};
use crate::pending::{InFlight, InFlightKind, InFlightQueue, UserRequest};
use crate::request::{self, Expect, Prepare, Request};
use crate::rng::SplitMix64;
use crate::state::SessionState;
use crate::timer::{Timer, TimerTable};
use crate::watch::{Registration, WatchTables, WatcherType};
use crate::xid::XidGen;

use connection::{Conn, Phase, write_frame};
use deadlines::later;
use read_only::RO_PROBE_MIN;

/// Receive-buffer space [`Session::recv_buf`] hands out while the next frame's length
/// is unknown or its rest is small: enough for many small replies per read.
const RECV_CHUNK: usize = 16 * 1024;
/// Most space handed out at once inside a large frame (each call zero-fills it).
const RECV_MAX: usize = 64 * 1024;
/// Password sent with a new session.
const ZERO_PASSWORD: [u8; 16] = [0; 16];

/// The ZooKeeper session as a sans-IO state machine. See the crate docs for the run
/// loop.
///
/// Methods come in four kinds:
/// * `handle_*` feed inputs (a connection came up or went down, bytes arrived, time
///   passed). Each takes the current time.
/// * `poll_*` and [`Session::send_buf`] drain outputs: transport actions, events,
///   bytes to write, the next deadline. Call them after every input until they are empty.
/// * [`Session::submit`], [`Session::add_auth`] and [`Session::close`] are requests from
///   the application.
/// * Getters ([`Session::state`], [`Session::credentials`], ...) never change anything.
#[derive(Debug)]
pub struct Session {
    requested_timeout: Duration,
    read_only_allowed: bool,
    max_frame: usize,
    persistent_types: bool,
    request_timeout: Option<Duration>,
    client_side_expiry: bool,
    close_timeout: Duration,
    backoff: (Duration, Duration),
    chroot: Chroot,
    hosts: HostList,
    rng: SplitMix64,

    state: SessionState,
    session_id: i64,
    password: Bytes,
    seen_rw: bool,
    negotiated: Option<Duration>,
    last_zxid: i64,
    xids: XidGen,
    next_request: u64,
    next_conn: u64,

    conn: Option<Conn>,
    next_dial: Option<(HostAddr, Instant)>,
    transports: VecDeque<Transport>,
    events: EventQueue,
    queue: VecDeque<UserRequest>,
    in_flight: InFlightQueue,
    last_answered: Option<i32>,
    auths: Vec<(String, Bytes)>,
    watches: WatchTables,
    timers: TimerTable,
    last_heard: Instant,
    close_deadline: Option<Instant>,
    /// Closing, and closeSession still has to be written on a new connection.
    close_pending: bool,
    ro_probe_interval: Duration,
    ro_probe_at: Option<Instant>,
    ro_probe_next: usize,
    /// Requests whose driver gave up on them: their replies are discarded and they
    /// register no watch.
    abandoned: HashSet<RequestId>,
    /// Notifications that fired no live registration (dropped, as Java drops them).
    stray_notifications: u64,
}

impl Session {
    /// Validates `config` and starts a session. The first [`Session::poll_transport`]
    /// asks for a connection.
    pub fn new(config: Config, now: Instant) -> Result<Session, ConfigError> {
        let cs = config.validate()?;
        let mut rng = SplitMix64::new(config.seed);
        let hosts = HostList::new(cs.hosts, &mut rng);
        let (session_id, password, seen_rw) = match &config.resume {
            Some(c) => (c.session_id, Bytes::from(c.password.clone()), true),
            None => (0, Bytes::from_static(&ZERO_PASSWORD), false),
        };
        let mut s = Session {
            requested_timeout: config.session_timeout,
            read_only_allowed: config.read_only,
            max_frame: config.max_frame_size,
            persistent_types: config.persistent_watcher_types,
            request_timeout: config.request_timeout,
            client_side_expiry: config.client_side_expiry,
            close_timeout: config.close_timeout,
            backoff: (config.reconnect_backoff, config.max_reconnect_backoff),
            chroot: cs.chroot,
            hosts,
            rng,
            state: SessionState::Connecting,
            session_id,
            password,
            seen_rw,
            negotiated: None,
            last_zxid: 0,
            xids: XidGen::default(),
            next_request: 1,
            next_conn: 1,
            conn: None,
            next_dial: None,
            transports: VecDeque::new(),
            events: EventQueue::new(config.max_queued_events),
            queue: VecDeque::new(),
            in_flight: InFlightQueue::default(),
            last_answered: None,
            auths: Vec::new(),
            watches: WatchTables::default(),
            timers: TimerTable::default(),
            last_heard: now,
            close_deadline: None,
            close_pending: false,
            ro_probe_interval: RO_PROBE_MIN,
            ro_probe_at: None,
            ro_probe_next: 0,
            abandoned: HashSet::new(),
            stray_notifications: 0,
        };
        s.choose_next_host(now);
        s.update_timers();
        Ok(s)
    }

    // ----- getters -------------------------------------------------------------------
    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Session id and password, once a server has issued them (or as given to resume).
    pub fn credentials(&self) -> Option<SessionCredentials> {
        (self.session_id != 0).then(|| SessionCredentials {
            session_id: self.session_id,
            password: self.password.to_vec(),
        })
    }

    /// The timeout the server granted, once connected.
    pub fn negotiated_timeout(&self) -> Option<Duration> {
        self.negotiated
    }

    /// The highest zxid seen in a reply (0 before any).
    pub fn last_zxid(&self) -> i64 {
        self.last_zxid
    }

    /// The connection the session currently uses, if any.
    pub fn current_conn(&self) -> Option<ConnId> {
        self.conn.as_ref().map(|c| c.id)
    }

    /// Requests accepted but not yet answered (queued plus in flight).
    pub fn outstanding(&self) -> usize {
        self.queue.len()
            + self
                .in_flight
                .iter()
                .filter(|f| matches!(f.kind, InFlightKind::User(_)))
                .count()
    }

    /// Events queued for [`Session::poll_event`] (replies included).
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// The chroot in use.
    pub fn chroot(&self) -> &Chroot {
        &self.chroot
    }

    /// Every live watch registration, in no particular order. One-shot ones leave when
    /// they fire, any kind when removed, all of them when the session ends.
    pub fn watches(&self) -> impl Iterator<Item = &Registration> + '_ {
        self.watches.iter()
    }

    /// The live registration made by the request `id`, if it is still live.
    pub fn registration(&self, id: RequestId) -> Option<&Registration> {
        self.watches.get(id)
    }

    /// Notifications the server sent that fired no live registration (a watch removed
    /// or abandoned here that the server still held, or the second of the two
    /// NodeDeleted notifications a 3.8 server sends after a reconnect). They are
    /// dropped, as Java drops them; this counts them.
    pub fn stray_notifications(&self) -> u64 {
        self.stray_notifications
    }

    /// Makes the next ordinary xid `xid` (tests of the wrap-around).
    #[cfg(feature = "testing")]
    pub fn testing_set_next_xid(&mut self, xid: i32) {
        self.xids = XidGen::starting_at(xid);
    }

    // ----- outputs -------------------------------------------------------------------
    /// The next connection action, if any. Call after every input until `None`.
    #[must_use]
    pub fn poll_transport(&mut self, now: Instant) -> Option<Transport> {
        if let Some(t) = self.transports.pop_front() {
            return Some(t);
        }
        let closing = self.state == SessionState::Closing && !self.close_pending;
        if self.state.is_terminal() || closing || self.conn.is_some() {
            return None;
        }
        let (_, not_before) = self.next_dial.as_ref()?;
        if *not_before > now {
            return None;
        }
        let (host, _) = self.next_dial.take().expect("checked");
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        let timeout = self.connect_timeout();
        self.conn = Some(Conn {
            id,
            phase: Phase::Dialing,
            decoder: FrameDecoder::with_max_frame_len(self.max_frame),
            recv_mark: None,
            out: BytesMut::new(),
            queued: 0,
            written: 0,
            answered: 0,
            connect_deadline: later(now, timeout),
            last_recv: now,
            last_send: now,
            read_only: false,
            established_at: None,
        });
        self.update_timers();
        Some(Transport::Connect {
            conn: id,
            host,
            timeout,
        })
    }

    /// The next event for the application, in wire order.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Bytes to write to the current connection ([`Session::current_conn`]). Report
    /// what was written with [`Session::advance_send`].
    pub fn send_buf(&self) -> &[u8] {
        match &self.conn {
            Some(c) => &c.out,
            None => &[],
        }
    }

    /// `n` bytes of [`Session::send_buf`] were written to the socket of `conn`.
    /// Ignored when `conn` is not [`Session::current_conn`] any more (the bytes went to
    /// a connection the session has since closed), so a late report never eats into
    /// the next connection's handshake.
    pub fn advance_send(&mut self, conn: ConnId, n: usize, now: Instant) {
        let Some(c) = self.conn_mut(conn) else {
            return;
        };
        let n = n.min(c.out.len());
        if n == 0 {
            return;
        }
        let _ = c.out.split_to(n);
        c.written += n as u64;
        c.last_send = now;
        self.fill_send(now);
        self.update_timers();
    }

    /// The earliest deadline at which [`Session::handle_timeout`] has work.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    // ----- inputs --------------------------------------------------------------------
    /// The TCP connection `conn` is up: the handshake is written to the send buffer.
    pub fn handle_connected(&mut self, conn: ConnId, now: Instant) {
        let timeout = self.connect_timeout();
        let read_only = self.read_only_allowed;
        let last_zxid = self.last_zxid;
        let requested = self.requested_ms();
        let (sid, pw) = if self.seen_rw && self.session_id != 0 {
            (self.session_id, self.password.clone())
        } else {
            (0, Bytes::from_static(&ZERO_PASSWORD))
        };
        let Some(c) = self.conn_mut(conn) else {
            return;
        };
        if c.phase != Phase::Dialing {
            return;
        }
        c.phase = Phase::Handshaking;
        c.connect_deadline = later(now, timeout);
        c.last_recv = now;
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: last_zxid,
            timeout: requested,
            session_id: sid,
            passwd: pw,
            read_only,
        };
        zk_proto::encode_frame(&req, &mut c.out);
        c.queued = c.out.len() as u64;
        c.last_send = now;
        self.update_timers();
    }

    /// The connection `conn` ended (or could not be opened). Stale ids are ignored.
    ///
    /// `cause` is informational: the session treats every cause alike (written
    /// requests fail with `ConnectionLoss`, unwritten ones stay queued, the next host
    /// is dialled, counting towards the backoff until a handshake succeeds). Whether
    /// the dial failed or an established connection ended already follows from the
    /// session's own view of the connection.
    pub fn handle_disconnected(&mut self, conn: ConnId, _cause: DisconnectCause, now: Instant) {
        if self.conn_mut(conn).is_none() {
            return;
        }
        self.drop_conn(None, now);
        self.update_timers();
    }

    /// Bytes read from `conn`, copied into the session's receive buffer. Input from a
    /// stale connection is ignored. [`Session::recv_buf`] avoids the copy.
    pub fn handle_bytes(&mut self, conn: ConnId, data: &[u8], now: Instant) {
        let Some(c) = self.conn_mut(conn) else {
            return;
        };
        if let Some(mark) = c.recv_mark.take() {
            c.decoder.buffer_mut().truncate(mark);
        }
        c.decoder.extend_from_slice(data);
        self.process_received(conn, now);
    }

    /// Space at the end of `conn`'s receive buffer to read into directly: read from
    /// the socket into it, then report the count with [`Session::handle_received`].
    /// `None` for a stale connection.
    ///
    /// This is the one-copy path: the socket writes into the buffer the frames are
    /// split from, and each reply's payload (znode data...) is a slice of it, so
    /// nothing copies it again. The space is zero-filled (safe code cannot hand out
    /// uninitialised memory) and sized from the frame being assembled: 16 KiB while
    /// the next length is unknown or the frame's rest is small (many small replies per
    /// read), else the frame's rest, at most 64 KiB at a time, so a read never runs
    /// past the end of a large frame. Once a frame's length prefix is in, room for the
    /// whole frame is reserved at once; only the bytes of it that came with the
    /// prefix (at most 16 KiB) are moved, once, if the buffer had to grow.
    ///
    /// Calling it again before `handle_received` hands out the same space afresh;
    /// [`Session::handle_bytes`] in between discards it.
    pub fn recv_buf(&mut self, conn: ConnId) -> Option<&mut [u8]> {
        let c = self.conn.as_mut().filter(|c| c.id == conn)?;
        if let Some(mark) = c.recv_mark.take() {
            c.decoder.buffer_mut().truncate(mark);
        }
        let rest = c.decoder.bytes_needed();
        let in_frame = c.decoder.buffered_len() >= zk_proto::LENGTH_PREFIX_LEN && rest > 0;
        let buf = c.decoder.buffer_mut();
        let mark = buf.len();
        let want = if !in_frame {
            RECV_CHUNK
        } else if rest >= RECV_CHUNK {
            rest.min(RECV_MAX)
        } else {
            // Room for the whole frame is reserved already: use what is spare, never
            // more (growing now would move the frame).
            rest.max((buf.capacity() - mark).min(RECV_CHUNK))
        };
        buf.resize(mark + want, 0);
        c.recv_mark = Some(mark);
        Some(&mut c.decoder.buffer_mut()[mark..])
    }

    /// `n` bytes were read into the space [`Session::recv_buf`] handed out for `conn`
    /// (at its start). Processes them like [`Session::handle_bytes`]. Ignored for a
    /// stale connection, or when no space was handed out. `n == 0` does nothing (an
    /// end of stream is [`Session::handle_disconnected`]).
    pub fn handle_received(&mut self, conn: ConnId, n: usize, now: Instant) {
        let Some(c) = self.conn_mut(conn) else {
            return;
        };
        let Some(mark) = c.recv_mark.take() else {
            return;
        };
        let buf = c.decoder.buffer_mut();
        let n = n.min(buf.len() - mark);
        buf.truncate(mark + n);
        if n > 0 {
            self.process_received(conn, now);
        }
    }

    /// The driver asked `host` (see [`Transport::ProbeReadWrite`]) and it answered.
    /// When it serves read-write and the session is read-only, the session moves there.
    pub fn handle_probe_result(&mut self, host: &HostAddr, read_write: bool, now: Instant) {
        if !read_write || self.state != SessionState::ConnectedReadOnly {
            return;
        }
        // Not a failed attempt: the read-only connection served, and the session
        // leaves it by choice, so the next failure starts a fresh pass.
        self.hosts.succeeded();
        self.end_conn(Some(CloseReason::MovingToReadWrite), now, false);
        self.next_dial = Some((host.clone(), now));
        self.update_timers();
    }

    /// Runs every timer due at `now`. Early or repeated calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<Timer> = self.timers.expired(now).collect();
        for t in due {
            if self.state.is_terminal() {
                break;
            }
            match t {
                Timer::Expiry => {
                    if self.expiry_deadline().is_some_and(|d| d <= now) {
                        self.terminate(SessionState::Expired, now);
                    }
                }
                Timer::Close => {
                    if self.close_deadline.is_some_and(|d| d <= now) {
                        self.terminate(SessionState::Closed, now);
                    }
                }
                Timer::Connect => {
                    if self
                        .conn
                        .as_ref()
                        .is_some_and(|c| c.phase != Phase::Established && c.connect_deadline <= now)
                    {
                        self.drop_conn(Some(CloseReason::ConnectTimeout), now);
                    }
                }
                Timer::Read => {
                    if self.read_deadline().is_some_and(|d| d <= now) {
                        self.drop_conn(Some(CloseReason::ReadTimeout), now);
                    }
                }
                Timer::Request => self.expire_requests(now),
                Timer::Ping => {
                    if self.ping_deadline().is_some_and(|d| d <= now) {
                        self.send_ping(now);
                    }
                }
                Timer::RoProbe => self.probe(now),
                Timer::Backoff => {} // poll_transport dials
            }
        }
        self.update_timers();
    }

    // ----- application requests ------------------------------------------------------
    /// Queues a request. Validation (paths, ACLs, create modes, size) happens here;
    /// an error means nothing was queued. Otherwise exactly one
    /// [`Event::Reply`] with the returned id will follow.
    pub fn submit(&mut self, request: Request, now: Instant) -> Result<RequestId, SubmitError> {
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return Err(SubmitError::NotAccepting(self.state));
        }
        let (mut prepared, local) =
            match request::prepare(request, &self.chroot, self.persistent_types)? {
                Prepare::Send(p) => (p, false),
                Prepare::Local(p) => (p, true),
            };
        if let Expect::RemoveWatches {
            watcher_type,
            registration,
            ..
        } = prepared.expect
        {
            self.check_removal(&mut prepared, watcher_type, registration, local)?;
        }
        let size = zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(&prepared.wire);
        if !local && size > self.max_frame {
            return Err(SubmitError::TooLarge {
                size,
                max: self.max_frame,
            });
        }
        let id = self.new_request_id();
        // A locally answered request (empty multi, local watch removal) queues too,
        // writes nothing and completes when it reaches the head: replies stay in
        // submit order.
        self.queue.push_back(UserRequest {
            id,
            prepared,
            deadline: self.request_timeout.and_then(|t| now.checked_add(t)),
            local,
        });
        self.fill_send(now);
        self.update_timers();
        Ok(id)
    }

    /// Gives up on the request `id` (for example: its caller's own timeout passed).
    /// No [`Event::Reply`] will come for it, and no watch stays registered by it: a
    /// request not yet written is never sent; one in flight has its reply discarded
    /// and registers nothing; a reply already queued for [`Session::poll_event`] is
    /// taken back, with the registration it made. If the server already holds the
    /// watch, its notification fires no registration and is dropped.
    ///
    /// An abandoned request that was already written still counts in
    /// [`Session::outstanding`] until its reply (or the connection's end) comes.
    ///
    /// Returns whether `id` was outstanding (or its reply still queued).
    pub fn abandon(&mut self, id: RequestId) -> bool {
        if let Some(i) = self.queue.iter().position(|u| u.id == id) {
            self.queue.remove(i);
            self.update_timers();
            return true;
        }
        let in_flight = self
            .in_flight
            .iter()
            .any(|f| matches!(&f.kind, InFlightKind::User(u) if u.id == id));
        if in_flight {
            self.abandoned.insert(id);
            return true;
        }
        match self.events.take_reply(id) {
            Some(Event::Reply { registration, .. }) => {
                if let Some(r) = registration {
                    self.watches.unregister(&r);
                    // Nobody holds a handle to it: queued events stop naming it.
                    self.events.forget_registration(r.id);
                }
                true
            }
            _ => false,
        }
    }

    /// Checks a watch removal against the live registrations before it is queued.
    /// Removing one registration by its id targets the server path it is keyed
    /// under (getConfig's is `/zookeeper/config` whatever the chroot). A local
    /// removal takes effect now: the registration fires no more and is not
    /// re-registered on a reconnect; only its reply waits for its turn.
    fn check_removal(
        &mut self,
        prepared: &mut request::Prepared,
        watcher_type: WatcherType,
        registration: Option<RequestId>,
        local: bool,
    ) -> Result<(), SubmitError> {
        let server = match registration.and_then(|id| self.watches.server_path(id)) {
            Some(key) => key.to_string(),
            None => self.server_path(prepared),
        };
        if !self.watches.contains(&server, watcher_type, registration) {
            return Err(SubmitError::NoWatcher {
                path: prepared.client_path.clone(),
            });
        }
        if local {
            let removed = self.watches.remove(&server, watcher_type, registration);
            let path = prepared.client_path.clone();
            self.removed_events(&path, removed);
        }
        // Removing the only watch this session holds on the node: ask the server to
        // drop it too (Java only checks, and the server keeps notifying). With other
        // registrations on the node the server's watch still serves them.
        let only_one = registration.is_some()
            && self.watches.count_at(&server) == 1
            && !self.watching_request_pending(&server);
        prepared.wire = match std::mem::replace(&mut prepared.wire, zk_proto::WireRequest::Ping) {
            zk_proto::WireRequest::CheckWatches(r) if only_one => {
                zk_proto::WireRequest::RemoveWatches(zk_proto::RemoveWatchesRequest {
                    path: server,
                    watcher_type: r.watcher_type,
                })
            }
            zk_proto::WireRequest::CheckWatches(mut r) => {
                r.path = server;
                zk_proto::WireRequest::CheckWatches(r)
            }
            zk_proto::WireRequest::RemoveWatches(mut r) => {
                r.path = server;
                zk_proto::WireRequest::RemoveWatches(r)
            }
            other => other,
        };
        Ok(())
    }

    /// Whether a watching request on the server path `server` is queued or in flight:
    /// its registration will need the server's watch.
    fn watching_request_pending(&self, server: &str) -> bool {
        let in_flight = self.in_flight.iter().filter_map(|f| match &f.kind {
            InFlightKind::User(u) => Some(u),
            _ => None,
        });
        in_flight
            .chain(self.queue.iter())
            .any(|u| u.prepared.watch.is_some() && self.server_path(&u.prepared) == server)
    }

    /// Adds credentials: sent now if connected, and again (all of them, in the order
    /// added) on every reconnect. A rejection makes the session `AuthFailed`.
    ///
    /// Refused, with nothing recorded or sent, when the session is closing or over
    /// ([`SubmitError::NotAccepting`]) or when the auth packet would exceed
    /// `max_frame_size` ([`SubmitError::TooLarge`]): the server would drop every
    /// connection that carried it.
    pub fn add_auth(&mut self, scheme: &str, auth: Bytes, now: Instant) -> Result<(), SubmitError> {
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return Err(SubmitError::NotAccepting(self.state));
        }
        let req = zk_proto::WireRequest::Auth(AuthPacket::new(scheme, auth.clone()));
        let size = req.frame_len();
        if size > self.max_frame {
            return Err(SubmitError::TooLarge {
                size,
                max: self.max_frame,
            });
        }
        self.auths.push((scheme.to_string(), auth));
        if let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Established) {
            write_frame(c, &req, xid::AUTH, now);
        }
        self.update_timers();
        Ok(())
    }

    /// Closes the session: requests not yet written fail with `Closing`, closeSession
    /// is sent, and the session becomes `Closed` when its reply arrives or after the
    /// close timeout (requests still in flight then fail with `Closing`).
    ///
    /// While no connection is established, the session keeps dialling (without
    /// backoff beyond the close timeout) to deliver closeSession, so that the server
    /// removes its ephemerals (and the locks they stand for) at once. If no server
    /// answers within the close timeout the session is `Closed` anyway, and the
    /// server expires it after its timeout: its ephemerals linger until then. A
    /// session that never completed a handshake has nothing to close on a server
    /// and is `Closed` at once. A second call, or a call in a terminal state, does
    /// nothing.
    pub fn close(&mut self, now: Instant) {
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return;
        }
        let established = self
            .conn
            .as_ref()
            .is_some_and(|c| c.phase == Phase::Established);
        if !established && !self.server_may_hold_session() {
            self.terminate(SessionState::Closed, now);
            self.update_timers();
            return;
        }
        for r in std::mem::take(&mut self.queue) {
            self.reply(r.id, Err(RequestError::Closing));
        }
        self.set_state(SessionState::Closing);
        self.close_deadline = Some(later(now, self.close_timeout));
        if established {
            self.write_close(now);
        } else {
            self.close_pending = true;
            self.bring_dial_forward(now);
        }
        self.update_timers();
    }

    /// Whether the server may hold this session, so closeSession is worth sending.
    fn server_may_hold_session(&self) -> bool {
        self.session_id != 0 && self.seen_rw
    }

    /// While closing, a reconnect waits no longer than the backoff allows and never
    /// past the close deadline.
    fn bring_dial_forward(&mut self, now: Instant) {
        if let (Some((_, at)), Some(deadline)) = (self.next_dial.as_mut(), self.close_deadline) {
            *at = (*at).min(deadline).max(now);
        }
    }

    /// Writes closeSession on the established connection.
    fn write_close(&mut self, now: Instant) {
        self.close_pending = false;
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        let xid = self.xids.next_xid();
        write_frame(c, &zk_proto::WireRequest::CloseSession, xid, now);
        let end = c.queued;
        self.in_flight.push(InFlight {
            xid,
            op: OpCode::CloseSession,
            end,
            kind: InFlightKind::Close,
        });
    }
}
