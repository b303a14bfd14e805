//! The session state machine.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zk_proto::{
    AuthPacket, ConnectRequest, ConnectResponse, Decode, EventType, FrameDecoder, KeeperState,
    OpCode, Reader, ReplyHeader, SetWatches, SetWatches2, xid,
};

use crate::chroot::Chroot;
use crate::config::{Config, SessionCredentials};
use crate::connect_string::HostAddr;
use crate::error::{CloseReason, ConfigError, DisconnectCause, RequestError, SubmitError};
use crate::event::{Event, Transport, WatchEvent};
use crate::hosts::HostList;
use crate::id::{ConnId, RequestId};
use crate::pending::{InFlight, InFlightKind, InFlightQueue, UserRequest};
use crate::request::{self, CONFIG_NODE, Expect, Prepare, Prepared, Request, Response};
use crate::rng::SplitMix64;
use crate::state::SessionState;
use crate::timer::{Timer, TimerTable};
use crate::watch::{NodeEvent, Registration, WatchKind, WatchTables};
use crate::xid::XidGen;

/// Output buffered beyond this is left in the request queue until the driver writes.
const SEND_HIGH_WATER: usize = 64 * 1024;
/// Java's `SET_WATCHES_MAX_LENGTH`: path characters per SetWatches batch.
const SET_WATCHES_MAX_LEN: usize = 128 * 1024;
/// A SetWatches/SetWatches2 frame without paths: request header, relativeZxid and
/// five list counts (SetWatches has three; counting five only overestimates).
const SET_WATCHES_BASE_LEN: usize = zk_proto::RequestHeader::LEN + 8 + 5 * 4;
/// The watch tables in the order of [`WatchTables::paths`] and the SetWatches lists.
const KINDS_IN_SET_WATCHES_ORDER: [WatchKind; 5] = [
    WatchKind::Data,
    WatchKind::Exist,
    WatchKind::Child,
    WatchKind::Persistent,
    WatchKind::PersistentRecursive,
];
/// First read-write probe interval while read-only.
const RO_PROBE_MIN: Duration = Duration::from_millis(100);
/// Cap of the read-write probe interval.
const RO_PROBE_MAX: Duration = Duration::from_secs(60);
/// Receive-buffer space [`Session::recv_buf`] hands out while the next frame's length
/// is unknown or its rest is small: enough for many small replies per read.
const RECV_CHUNK: usize = 16 * 1024;
/// Most space handed out at once inside a large frame (each call zero-fills it).
const RECV_MAX: usize = 64 * 1024;
/// Longest idle send time before a ping (Java's `MAX_SEND_PING_INTERVAL`).
const MAX_PING_INTERVAL: Duration = Duration::from_secs(10);
/// Margin Java subtracts from half the read timeout before pinging.
const PING_MARGIN: Duration = Duration::from_secs(1);
/// Password sent with a new session.
const ZERO_PASSWORD: [u8; 16] = [0; 16];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the driver's `handle_connected`.
    Dialing,
    /// ConnectRequest written, waiting for the ConnectResponse.
    Handshaking,
    /// Session established on this connection.
    Established,
}

#[derive(Debug)]
struct Conn {
    id: ConnId,
    phase: Phase,
    decoder: FrameDecoder,
    /// Length of the decoder's buffer before the space handed out by `recv_buf`.
    recv_mark: Option<usize>,
    out: BytesMut,
    /// Bytes appended to `out` since the connection started.
    queued: u64,
    /// Bytes the driver reported written.
    written: u64,
    /// End of the last request answered on this connection: the server read up to
    /// here, whatever the driver has reported yet.
    answered: u64,
    /// Deadline of the dial + handshake.
    connect_deadline: Instant,
    last_recv: Instant,
    last_send: Instant,
    read_only: bool,
}

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
    events: VecDeque<Event>,
    queue: VecDeque<UserRequest>,
    in_flight: InFlightQueue,
    last_answered: Option<i32>,
    auths: Vec<(String, Bytes)>,
    watches: WatchTables,
    timers: TimerTable,
    last_heard: Instant,
    close_deadline: Option<Instant>,
    ro_probe_interval: Duration,
    ro_probe_at: Option<Instant>,
    ro_probe_next: usize,
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
            events: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: InFlightQueue::default(),
            last_answered: None,
            auths: Vec::new(),
            watches: WatchTables::default(),
            timers: TimerTable::default(),
            last_heard: now,
            close_deadline: None,
            ro_probe_interval: RO_PROBE_MIN,
            ro_probe_at: None,
            ro_probe_next: 0,
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
        if self.state.is_terminal() || self.state == SessionState::Closing || self.conn.is_some() {
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
        self.events.pop_front()
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

    /// Decodes and handles every complete frame in `conn`'s receive buffer.
    fn process_received(&mut self, conn: ConnId, now: Instant) {
        if self
            .conn_mut(conn)
            .is_some_and(|c| c.phase == Phase::Dialing)
        {
            // Bytes before `handle_connected`: treat the connection as up.
            self.handle_connected(conn, now);
        }
        while let Some(c) = self.conn.as_mut().filter(|c| c.id == conn) {
            let frame = match c.decoder.decode() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    self.frame_error(e, now);
                    break;
                }
            };
            c.last_recv = now;
            self.last_heard = now;
            if c.phase == Phase::Handshaking {
                self.on_handshake(frame, now);
            } else {
                self.on_frame(frame, now);
                self.answer_local_heads();
            }
            if self.state.is_terminal() {
                break;
            }
        }
        self.update_timers();
    }

    /// The driver asked `host` (see [`Transport::ProbeReadWrite`]) and it answered.
    /// When it serves read-write and the session is read-only, the session moves there.
    pub fn handle_probe_result(&mut self, host: &HostAddr, read_write: bool, now: Instant) {
        if !read_write || self.state != SessionState::ConnectedReadOnly {
            return;
        }
        // Not a failed attempt: the host list's pass and backoff stay as they are.
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
        let (prepared, local) =
            match request::prepare(request, &self.chroot, self.persistent_types)? {
                Prepare::Send(p) => (p, false),
                Prepare::Local(p) => (p, true),
            };
        if let Expect::RemoveWatches {
            watcher_type,
            registration,
            ..
        } = &prepared.expect
        {
            let server = self.server_path(&prepared);
            if !self.watches.contains(&server, *watcher_type, *registration) {
                return Err(SubmitError::NoWatcher {
                    path: prepared.client_path,
                });
            }
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

    /// Adds credentials: sent now if connected, and again (all of them, in the order
    /// added) on every reconnect. A rejection makes the session `AuthFailed`.
    pub fn add_auth(&mut self, scheme: &str, auth: Bytes, now: Instant) {
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return;
        }
        self.auths.push((scheme.to_string(), auth.clone()));
        if let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Established) {
            let req = zk_proto::Request::Auth(AuthPacket::new(scheme, auth));
            write_frame(c, &req, xid::AUTH, now);
        }
        self.update_timers();
    }

    /// Closes the session: requests not yet written fail with `Closing`, closeSession
    /// is sent, and the session becomes `Closed` when its reply arrives or after the
    /// close timeout (requests still in flight then fail with `Closing`). If no
    /// connection is established, the session is `Closed` at once (the server expires
    /// it). A second call, or a call in a terminal state, does nothing.
    pub fn close(&mut self, now: Instant) {
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return;
        }
        let established = self
            .conn
            .as_ref()
            .is_some_and(|c| c.phase == Phase::Established);
        if !established {
            self.terminate(SessionState::Closed, now);
            self.update_timers();
            return;
        }
        for r in std::mem::take(&mut self.queue) {
            self.reply(r.id, Err(RequestError::Closing));
        }
        self.set_state(SessionState::Closing);
        let c = self.conn.as_mut().expect("established");
        let xid = self.xids.next_xid();
        write_frame(c, &zk_proto::Request::CloseSession, xid, now);
        let end = c.queued;
        self.in_flight.push(InFlight {
            xid,
            op: OpCode::CloseSession,
            end,
            kind: InFlightKind::Close,
        });
        self.close_deadline = now.checked_add(self.close_timeout);
        self.update_timers();
    }

    // ----- internals: connection lifecycle ------------------------------------------

    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conn.as_mut().filter(|c| c.id == id)
    }

    fn timeout_base(&self) -> Duration {
        self.negotiated.unwrap_or(self.requested_timeout)
    }

    fn requested_ms(&self) -> i32 {
        i32::try_from(self.requested_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    fn connect_timeout(&self) -> Duration {
        (self.timeout_base() / self.hosts.len() as u32).max(Duration::from_millis(1))
    }

    fn choose_next_host(&mut self, now: Instant) {
        let (host, delay) = self
            .hosts
            .next(&mut self.rng, self.backoff.0, self.backoff.1);
        self.next_dial = Some((host, later(now, delay)));
    }

    fn new_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    fn set_state(&mut self, to: SessionState) {
        debug_assert!(
            self.state == to || self.state.can_transition_to(to),
            "illegal transition {:?} -> {to:?}",
            self.state
        );
        self.state = to;
    }

    fn reply(&mut self, id: RequestId, result: Result<Response, RequestError>) {
        self.events.push_back(Event::Reply {
            id,
            result,
            registration: None,
        });
    }

    fn state_event(&mut self, state: KeeperState) {
        let registrations = self.watches.all();
        self.events.push_back(Event::State {
            state,
            registrations,
        });
    }

    /// Ends the current connection. `reason` is `Some` when the session decided it (the
    /// driver is told to close), `None` when the driver reported it. Written requests
    /// fail with ConnectionLoss; unwritten ones go back to the queue.
    fn drop_conn(&mut self, reason: Option<CloseReason>, now: Instant) {
        self.end_conn(reason, now, true);
    }

    /// [`Session::drop_conn`]; `choose_host`: pick the next host (counting the
    /// attempt towards the backoff), unless the caller sets `next_dial` itself.
    fn end_conn(&mut self, reason: Option<CloseReason>, now: Instant, choose_host: bool) {
        let Some(c) = self.conn.take() else {
            return;
        };
        if let Some(reason) = reason {
            self.transports
                .push_back(Transport::Close { conn: c.id, reason });
        }
        // A request the server answered was read by it, whatever the driver reported:
        // never send it again.
        let written = c.written.max(c.answered);
        let entries: Vec<InFlight> = self.in_flight.drain().collect();
        let mut requeue = Vec::new();
        for f in entries {
            let InFlightKind::User(u) = f.kind else {
                continue;
            };
            if u.local {
                // Everything before it is answered now, or it waits behind the
                // requeued requests.
                if requeue.is_empty() {
                    self.answer_local(u);
                } else {
                    requeue.push(u);
                }
            } else if f.end <= written {
                self.reply(u.id, Err(RequestError::ConnectionLoss));
            } else {
                requeue.push(u);
            }
        }
        for u in requeue.into_iter().rev() {
            self.queue.push_front(u);
        }
        self.last_answered = None;
        self.ro_probe_at = None;
        if self.state == SessionState::Closing {
            self.terminate(SessionState::Closed, now);
            return;
        }
        if c.phase == Phase::Established {
            self.set_state(SessionState::Connecting);
            self.state_event(KeeperState::Disconnected);
        }
        if choose_host {
            self.choose_next_host(now);
        }
    }

    /// The receive side hit a bad frame length. A too-long frame that is the reply to
    /// the in-flight head fails that request with [`RequestError::ReplyTooLarge`]
    /// (the server executed it; only its answer cannot be read); the connection is
    /// dropped either way.
    fn frame_error(&mut self, e: zk_proto::FrameError, now: Instant) {
        if let zk_proto::FrameError::TooLong { len, max } = e {
            let Some(c) = self.conn.as_mut() else {
                return;
            };
            // The xid follows the length prefix; when it is in, it must name the head.
            let buf = c.decoder.buffer_mut();
            let xid =
                (buf.len() >= 8).then(|| i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]));
            let established = c.phase == Phase::Established;
            let head = self.in_flight.front().and_then(|f| match &f.kind {
                InFlightKind::User(u) if !u.local && xid.is_none_or(|x| x == f.xid) => Some(u.id),
                _ => None,
            });
            if let (true, Some(id)) = (established, head) {
                let f = self.in_flight.pop().expect("head exists");
                if let Some(c) = self.conn.as_mut() {
                    c.answered = c.answered.max(f.end);
                }
                self.reply(id, Err(RequestError::ReplyTooLarge { len, max }));
            }
        }
        self.drop_conn(Some(CloseReason::Frame(e)), now);
    }

    /// Enters a terminal state: everything outstanding fails, every registration is
    /// told, the connection is closed.
    fn terminate(&mut self, to: SessionState, _now: Instant) {
        if self.state.is_terminal() {
            return;
        }
        let (err, ks) = match to {
            SessionState::Expired => (RequestError::SessionExpired, KeeperState::Expired),
            SessionState::AuthFailed => (RequestError::AuthFailed, KeeperState::AuthFailed),
            _ => (RequestError::Closing, KeeperState::Closed),
        };
        if let Some(c) = self.conn.take() {
            self.transports.push_back(Transport::Close {
                conn: c.id,
                reason: CloseReason::SessionEnded,
            });
        }
        let ids: Vec<RequestId> = self
            .in_flight
            .drain()
            .filter_map(|f| match f.kind {
                InFlightKind::User(u) => Some(u.id),
                _ => None,
            })
            .chain(self.queue.drain(..).map(|u| u.id))
            .collect();
        for id in ids {
            self.reply(id, Err(err));
        }
        self.set_state(to);
        self.state_event(ks);
        self.watches.clear();
        self.next_dial = None;
        self.close_deadline = None;
        self.ro_probe_at = None;
    }

    fn on_handshake(&mut self, frame: Bytes, now: Instant) {
        let resp = match ConnectResponse::decode_bytes(frame) {
            Ok(r) => r,
            Err(e) => {
                self.drop_conn(Some(CloseReason::Decode(e.to_string())), now);
                return;
            }
        };
        if resp.timeout <= 0 {
            self.terminate(SessionState::Expired, now);
            return;
        }
        let negotiated = Duration::from_millis(resp.timeout as u64);
        self.negotiated = Some(negotiated);
        self.session_id = resp.session_id;
        self.password = resp.passwd.clone();
        let read_only = resp.is_read_only();
        if !read_only {
            self.seen_rw = true;
        }
        self.hosts.succeeded();
        let c = self.conn.as_mut().expect("handshaking connection");
        c.phase = Phase::Established;
        c.read_only = read_only;
        let (to, ks) = if read_only {
            (
                SessionState::ConnectedReadOnly,
                KeeperState::ConnectedReadOnly,
            )
        } else {
            (SessionState::Connected, KeeperState::SyncConnected)
        };
        self.set_state(to);
        self.state_event(ks);
        if read_only {
            self.ro_probe_interval = RO_PROBE_MIN;
            self.ro_probe_at = Some(later(now, RO_PROBE_MIN));
        }
        // Auths in the order added, then the watch re-registration, then the queue.
        let c = self.conn.as_mut().expect("established");
        for (scheme, auth) in &self.auths {
            let req = zk_proto::Request::Auth(AuthPacket::new(scheme.clone(), auth.clone()));
            write_frame(c, &req, xid::AUTH, now);
        }
        self.send_set_watches(now);
        self.fill_send(now);
    }

    /// Re-registers every watch after a reconnect, in batches that each fit
    /// `max_frame` (counted as encoded) and Java's 128 Ki path characters. A path so
    /// long that a SetWatches frame holding only it exceeds `max_frame` cannot be
    /// re-registered: its registrations are dropped, each with its watch-removed
    /// event (zxid −1), as if removed locally.
    fn send_set_watches(&mut self, now: Instant) {
        if self.watches.len() == 0 {
            return;
        }
        let lists = self.watches.paths();
        let mut batch: [Vec<String>; 5] = Default::default();
        let mut frame_len = SET_WATCHES_BASE_LEN;
        let mut chars = 0usize;
        let mut in_batch = 0usize;
        let mut too_long = Vec::new();
        for (i, list) in lists.into_iter().enumerate() {
            for server in list {
                let entry = 4 + server.len();
                if SET_WATCHES_BASE_LEN + entry > self.max_frame {
                    too_long.push((KINDS_IN_SET_WATCHES_ORDER[i], server));
                    continue;
                }
                if in_batch > 0
                    && (frame_len + entry > self.max_frame
                        || chars + server.len() > SET_WATCHES_MAX_LEN)
                {
                    let full = std::mem::take(&mut batch);
                    self.write_set_watches(full, now);
                    frame_len = SET_WATCHES_BASE_LEN;
                    chars = 0;
                    in_batch = 0;
                }
                frame_len += entry;
                chars += server.len();
                in_batch += 1;
                batch[i].push(server);
            }
        }
        if in_batch > 0 {
            self.write_set_watches(batch, now);
        }
        for (kind, server) in too_long {
            let removed = self.watches.take_all(kind, &server);
            if let Some(client) = removed.first().map(|r| r.path.clone()) {
                self.removed_events(&client, removed);
            }
        }
    }

    fn write_set_watches(&mut self, batch: [Vec<String>; 5], now: Instant) {
        let [data, exist, child, persistent, recursive] = batch;
        let relative_zxid = self.last_zxid;
        let req = if persistent.is_empty() && recursive.is_empty() {
            zk_proto::Request::SetWatches(SetWatches {
                relative_zxid,
                data_watches: data,
                exist_watches: exist,
                child_watches: child,
            })
        } else {
            zk_proto::Request::SetWatches2(SetWatches2 {
                relative_zxid,
                data_watches: data,
                exist_watches: exist,
                child_watches: child,
                persistent_watches: persistent,
                persistent_recursive_watches: recursive,
            })
        };
        debug_assert!(
            zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(&req) <= self.max_frame
        );
        let xid = self.xids.next_xid();
        let c = self.conn.as_mut().expect("established");
        write_frame(c, &req, xid, now);
        let end = c.queued;
        self.in_flight.push(InFlight {
            xid,
            op: req.op_code(),
            end,
            kind: InFlightKind::SetWatches,
        });
    }

    /// Moves queued requests into the send buffer while it is below the high-water
    /// mark, then answers the local requests that reached the head.
    fn fill_send(&mut self, now: Instant) {
        self.write_queued(now);
        self.answer_local_heads();
    }

    fn write_queued(&mut self, now: Instant) {
        if self.state == SessionState::Closing {
            return;
        }
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Established) else {
            return;
        };
        while c.out.len() < SEND_HIGH_WATER {
            let Some(u) = self.queue.pop_front() else {
                break;
            };
            if u.local {
                // Nothing to write: it takes its place in the FIFO.
                self.in_flight.push(InFlight {
                    xid: 0,
                    op: u.prepared.wire.op_code(),
                    end: c.queued,
                    kind: InFlightKind::User(u),
                });
                continue;
            }
            let xid = self.xids.next_xid();
            write_frame(c, &u.prepared.wire, xid, now);
            self.in_flight.push(InFlight {
                xid,
                op: u.prepared.wire.op_code(),
                end: c.queued,
                kind: InFlightKind::User(u),
            });
        }
    }

    fn send_ping(&mut self, now: Instant) {
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Established) else {
            return;
        };
        if !c.out.is_empty() {
            // Bytes are already waiting for the socket; they will count as traffic.
            c.last_send = now;
            return;
        }
        write_frame(c, &zk_proto::Request::Ping, xid::PING, now);
    }

    fn probe(&mut self, now: Instant) {
        if self.state != SessionState::ConnectedReadOnly {
            self.ro_probe_at = None;
            return;
        }
        if self.ro_probe_at.is_none_or(|t| t > now) {
            return;
        }
        let host = self.hosts.host_at(self.ro_probe_next).clone();
        self.ro_probe_next = (self.ro_probe_next + 1) % self.hosts.len();
        self.transports
            .push_back(Transport::ProbeReadWrite { host });
        self.ro_probe_interval = (self.ro_probe_interval * 2).min(RO_PROBE_MAX);
        self.ro_probe_at = Some(later(now, self.ro_probe_interval));
    }

    fn expire_requests(&mut self, now: Instant) {
        let due = |u: &UserRequest| u.deadline.is_some_and(|d| d <= now);
        // Never-written requests just fail.
        let mut timed_out = Vec::new();
        self.queue.retain(|u| {
            if due(u) {
                timed_out.push(u.id);
                false
            } else {
                true
            }
        });
        // A written one fails and takes the connection down (Java semantics).
        let mut drop = false;
        if self
            .in_flight
            .iter()
            .any(|f| matches!(&f.kind, InFlightKind::User(u) if due(u)))
        {
            drop = self
                .in_flight
                .iter()
                .any(|f| matches!(&f.kind, InFlightKind::User(u) if due(u) && !u.local));
            let mut keep = InFlightQueue::default();
            for f in self.in_flight.drain() {
                match &f.kind {
                    InFlightKind::User(u) if due(u) => timed_out.push(u.id),
                    _ => keep.push(f),
                }
            }
            self.in_flight = keep;
        }
        timed_out.sort();
        for id in timed_out {
            self.reply(id, Err(RequestError::RequestTimeout));
        }
        if drop {
            self.drop_conn(Some(CloseReason::RequestTimeout), now);
        }
        self.answer_local_heads();
    }

    /// Completes the locally answered requests at the head of the FIFO (or of the
    /// queue, when nothing is in flight): everything submitted before them is
    /// answered.
    fn answer_local_heads(&mut self) {
        loop {
            let u = match self.in_flight.front() {
                Some(f) if matches!(&f.kind, InFlightKind::User(u) if u.local) => {
                    match self.in_flight.pop() {
                        Some(InFlight {
                            kind: InFlightKind::User(u),
                            ..
                        }) => u,
                        _ => unreachable!("checked"),
                    }
                }
                None if self.queue.front().is_some_and(|u| u.local) => {
                    self.queue.pop_front().expect("checked")
                }
                _ => return,
            };
            self.answer_local(u);
        }
    }

    /// The answer of an empty multi/multiRead or a local watch removal.
    fn answer_local(&mut self, u: UserRequest) {
        let result = match u.prepared.expect {
            Expect::Multi => Ok(Response::Multi(Vec::new())),
            Expect::MultiRead => Ok(Response::MultiRead(Vec::new())),
            Expect::RemoveWatches {
                registration,
                removes,
                ..
            } => {
                let server = self.server_path(&u.prepared);
                let removed = self.watches.remove(&server, removes, registration);
                if removed.is_empty() {
                    // Checked at submit; it fired (or was removed) since.
                    Err(RequestError::Server(zk_proto::ErrorCode::NoWatcher))
                } else {
                    self.removed_events(&u.prepared.client_path, removed);
                    Ok(Response::RemoveWatches)
                }
            }
            _ => unreachable!("only multi and watch removal are answered locally"),
        };
        self.reply(u.id, result);
    }

    /// The key of a request's watches: its server path (getConfig's is never
    /// chrooted).
    fn server_path(&self, p: &Prepared) -> String {
        if p.expect == Expect::GetConfig {
            CONFIG_NODE.to_string()
        } else {
            self.chroot.prepend(&p.client_path)
        }
    }

    fn removed_events(&mut self, path: &str, removed: Vec<Registration>) {
        let groups = [
            (
                EventType::DataWatchRemoved,
                [WatchKind::Data, WatchKind::Exist].as_slice(),
            ),
            (EventType::ChildWatchRemoved, &[WatchKind::Child]),
            (
                EventType::PersistentWatchRemoved,
                &[WatchKind::Persistent, WatchKind::PersistentRecursive],
            ),
        ];
        for (event_type, kinds) in groups {
            let regs: Vec<Registration> = removed
                .iter()
                .filter(|r| kinds.contains(&r.kind))
                .cloned()
                .collect();
            if !regs.is_empty() {
                self.events.push_back(Event::Watch(WatchEvent {
                    event_type,
                    path: path.to_string(),
                    zxid: -1,
                    registrations: regs,
                }));
            }
        }
    }

    // ----- internals: frames ----------------------------------------------------------

    fn on_frame(&mut self, frame: Bytes, now: Instant) {
        let mut r = Reader::new(frame);
        let header = match ReplyHeader::decode(&mut r) {
            Ok(h) => h,
            Err(e) => {
                self.drop_conn(Some(CloseReason::Decode(e.to_string())), now);
                return;
            }
        };
        match header.xid {
            xid::NOTIFICATION => self.on_notification(&header, &mut r, now),
            xid::PING => {}
            xid::AUTH => {
                if header.err == zk_proto::ErrorCode::AuthFailed {
                    self.terminate(SessionState::AuthFailed, now);
                }
            }
            x => self.on_reply(x, &header, &mut r, now),
        }
    }

    fn on_notification(&mut self, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        let ev = match zk_proto::WatcherEvent::decode(r) {
            Ok(e) => e,
            Err(e) => {
                self.drop_conn(Some(CloseReason::Decode(e.to_string())), now);
                return;
            }
        };
        let node_event = match ev.event_type {
            EventType::NodeCreated => Some(NodeEvent::Created),
            EventType::NodeDeleted => Some(NodeEvent::Deleted),
            EventType::NodeDataChanged => Some(NodeEvent::DataChanged),
            EventType::NodeChildrenChanged => Some(NodeEvent::ChildrenChanged),
            _ => None,
        };
        let registrations = match node_event {
            Some(e) => self.watches.route(e, &ev.path),
            None => Vec::new(),
        };
        let path = self.chroot.strip(ev.path);
        self.events.push_back(Event::Watch(WatchEvent {
            event_type: ev.event_type,
            path,
            zxid: header.zxid,
            registrations,
        }));
    }

    fn on_reply(&mut self, xid: i32, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        let Some(head) = self.in_flight.front() else {
            let reason = if self.last_answered == Some(xid) {
                CloseReason::DuplicateReply(xid)
            } else {
                CloseReason::UnsolicitedReply(xid)
            };
            self.drop_conn(Some(reason), now);
            return;
        };
        if head.xid != xid {
            let reason = if self.last_answered == Some(xid) {
                CloseReason::DuplicateReply(xid)
            } else {
                CloseReason::XidOutOfOrder {
                    expected: head.xid,
                    got: xid,
                }
            };
            self.drop_conn(Some(reason), now);
            return;
        }
        let f = self.in_flight.pop().expect("head exists");
        if let Some(c) = self.conn.as_mut() {
            c.answered = c.answered.max(f.end);
        }
        self.last_answered = Some(xid);
        if header.zxid > 0 {
            self.last_zxid = header.zxid;
        }
        let u = match f.kind {
            InFlightKind::User(u) => u,
            InFlightKind::SetWatches => return,
            InFlightKind::Close => {
                self.terminate(SessionState::Closed, now);
                return;
            }
        };
        let p = &u.prepared;
        let err = header.err;
        if !err.is_ok() {
            // exists watches a missing node; addWatch registers on NoNode too (Java's
            // AddWatchRegistration), though servers answer it Ok on missing nodes.
            let on_no_node = match p.expect {
                Expect::Exists => Some((WatchKind::Exist, Response::Exists(None))),
                Expect::AddWatch => p.watch.map(|k| (k, Response::AddWatch)),
                _ => None,
            };
            if let (Some((kind, result)), zk_proto::ErrorCode::NoNode) = (on_no_node, err) {
                let server = self.server_path(p);
                let registration = p
                    .watch
                    .map(|_| self.watches.register(kind, &server, &p.client_path, u.id));
                self.events.push_back(Event::Reply {
                    id: u.id,
                    result: Ok(result),
                    registration,
                });
            } else {
                self.reply(u.id, Err(RequestError::Server(err)));
            }
            return;
        }
        let body = match zk_proto::Response::decode(f.op, r) {
            Ok(b) => b,
            Err(e) => {
                let reason = CloseReason::Decode(e.to_string());
                self.in_flight.push_front(InFlight {
                    kind: InFlightKind::User(u),
                    ..f
                });
                self.drop_conn(Some(reason), now);
                return;
            }
        };
        let Some(response) = request::finish(&p.expect, body, &self.chroot) else {
            self.in_flight.push_front(InFlight {
                kind: InFlightKind::User(u),
                ..f
            });
            self.drop_conn(
                Some(CloseReason::Decode(
                    "reply body does not fit the request".into(),
                )),
                now,
            );
            return;
        };
        let server = self.server_path(p);
        let registration = p
            .watch
            .map(|kind| self.watches.register(kind, &server, &p.client_path, u.id));
        if let Expect::RemoveWatches {
            registration: one,
            removes,
            ..
        } = p.expect
        {
            let removed = self.watches.remove(&server, removes, one);
            let path = p.client_path.clone();
            self.removed_events(&path, removed);
        }
        self.events.push_back(Event::Reply {
            id: u.id,
            result: Ok(response),
            registration,
        });
    }

    // ----- internals: timers ----------------------------------------------------------

    fn read_deadline(&self) -> Option<Instant> {
        let c = self.conn.as_ref()?;
        (c.phase == Phase::Established).then(|| later(c.last_recv, self.timeout_base() * 2 / 3))
    }

    fn ping_deadline(&self) -> Option<Instant> {
        let c = self.conn.as_ref()?;
        (c.phase == Phase::Established && self.state != SessionState::Closing)
            .then(|| later(c.last_send, self.ping_interval()))
    }

    /// How long the send side may stay idle before a ping, like Java's
    /// `ClientCnxn`: `readTimeout/2 − 1 s` (readTimeout = 2/3 T, so `T/3 − 1 s`),
    /// capped at 10 s (`MAX_SEND_PING_INTERVAL`). For small T, where the 1 s margin
    /// would leave (almost) nothing, never less than `T/6`.
    fn ping_interval(&self) -> Duration {
        let third = self.timeout_base() / 3;
        third
            .saturating_sub(PING_MARGIN)
            .max(third / 2)
            .min(MAX_PING_INTERVAL)
    }

    fn expiry_deadline(&self) -> Option<Instant> {
        (self.client_side_expiry
            && self.session_id != 0
            && self.seen_rw
            && !self.state.is_terminal()
            // Closing ends by the reply or the close timeout, always as Closed.
            && self.state != SessionState::Closing)
            .then(|| later(self.last_heard, self.timeout_base() * 4 / 3))
    }

    fn update_timers(&mut self) {
        let t = &mut self.timers;
        t.stop_all();
        if self.state.is_terminal() {
            return;
        }
        let conn = self.conn.as_ref();
        if let Some(c) = conn.filter(|c| c.phase != Phase::Established) {
            t.set(Timer::Connect, c.connect_deadline);
        }
        if let Some(d) = self.read_deadline() {
            self.timers.set(Timer::Read, d);
        }
        if let Some(d) = self.ping_deadline() {
            self.timers.set(Timer::Ping, d);
        }
        if let Some(d) = self.expiry_deadline() {
            self.timers.set(Timer::Expiry, d);
        }
        if self.request_timeout.is_some() {
            // Deadlines grow in submit order and in-flight requests are older than
            // queued ones, so the first user request found has the earliest deadline.
            let oldest = self
                .in_flight
                .first_deadline()
                .or_else(|| self.queue.front().and_then(|u| u.deadline));
            if let Some(d) = oldest {
                self.timers.set(Timer::Request, d);
            }
        }
        if let Some(d) = self.close_deadline {
            self.timers.set(Timer::Close, d);
        }
        if self.conn.is_none() {
            if let Some((_, at)) = &self.next_dial {
                self.timers.set(Timer::Backoff, *at);
            }
        }
        if let Some(d) = self.ro_probe_at {
            self.timers.set(Timer::RoProbe, d);
        }
    }
}

/// `t + d`, or the furthest instant after `t` the platform can represent when that
/// overflows: a deadline that far out never comes, and nothing panics.
fn later(t: Instant, d: Duration) -> Instant {
    let mut d = d;
    loop {
        if let Some(at) = t.checked_add(d) {
            return at;
        }
        d /= 2;
    }
}

/// Appends one request frame to the connection's output.
fn write_frame(c: &mut Conn, req: &zk_proto::Request, xid: i32, now: Instant) {
    req.encode_frame(xid, &mut c.out);
    c.queued += (zk_proto::LENGTH_PREFIX_LEN
        + zk_proto::RequestHeader::LEN
        + zk_proto::Encode::encoded_len(req)) as u64;
    c.last_send = now;
}
