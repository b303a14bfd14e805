//! The session state machine. `Session` is the protocol, read top to bottom: public
//! outputs, inputs and application requests first, then the steps they share. The
//! state it keeps lives in owned values, one concern each (see the crate docs):
//! [`Connection`], [`Requests`], [`Redial`], [`ReadWriteProbe`], [`PendingMove`],
//! the watch tables and the event queue.

mod connection;
mod debug;
mod fifo;
mod first_session;
mod moving;
mod not_zookeeper;
mod probe;
mod redial;
mod requests;
mod set_watches;
mod timing;
mod undo;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zk_proto::{
    AuthPacket, ConnectRequest, ConnectResponse, Decode, ErrorCode, EventType, FrameError,
    GetSaslRequest, KeeperState, OpCode, Reader, ReplyHeader, SetSaslResponse, WatcherEvent,
    WireRequest, xid,
};

use crate::chroot::Chroot;
use crate::config::{Config, SessionCredentials};
use crate::connect_string::{ConnectString, HostAddr};
use crate::error::{
    CloseReason, ConfigError, DisconnectCause, RequestError, SubmitError, UpdateHostsError,
};
use crate::event::{Event, Transport, WatchEvent};
use crate::event_queue::EventQueue;
use crate::hosts::HostList;
use crate::id::{ConnId, HexSessionId, RequestId};
use crate::log;
use crate::request::{self, Prepared, Request, Response};
use crate::rng::SplitMix64;
use crate::sasl::{SASL_RANDOM_LEN, SaslConfig, SaslError, SaslMechanism, SaslStep};
use crate::state::SessionState;
use crate::state_reason::StateReason;
use crate::watch::{NodeEvent, Registration, WatchKind, WatchTables, WatcherType};

use connection::{Connection, Stage};
use first_session::FirstSessionWait;
use moving::PendingMove;
use probe::ReadWriteProbe;
use redial::Redial;
use requests::{Abandoned, InFlight, InFlightKind, LossOutcome, Requests, UserRequest};
use timing::{Timing, later};
use undo::{Step, Undos};

/// Password sent with a new session.
const ZERO_PASSWORD: [u8; 16] = [0; 16];
/// Length of the password every ZooKeeper server issues with a session.
const SESSION_PASSWORD_LEN: usize = 16;

/// How a connection ended: the session decided it, or the driver reported it.
enum Ending {
    /// The session drops the connection (the driver is told to close it).
    Dropped(CloseReason),
    /// The driver saw the connection end.
    Reported(DisconnectCause),
}

/// Mixed into the config's seed for the SASL nonces, so they do not repeat the host
/// shuffle's draws.
const SASL_SEED_SALT: u64 = 0x5A5C_0D16_E57A_11CE;

/// The SASL exchange running on the current connection: until it succeeds nothing
/// else is written, and the session is not yet `Connected`.
struct SaslExchange {
    mechanism: Box<dyn SaslMechanism>,
    /// The handshake's read-only flag, applied when the exchange succeeds.
    read_only: bool,
}

/// What the session was configured with and never changes.
#[derive(Debug)]
struct Settings {
    /// The session timeout asked for in every handshake.
    requested_timeout: Duration,
    /// Accept read-only servers.
    read_only_allowed: bool,
    /// Largest frame written or accepted.
    max_frame: usize,
    /// Send watcher types 4 and 5 as they are (3.9+ servers).
    persistent_types: bool,
    /// How long a request may wait for its reply.
    request_timeout: Option<Duration>,
    /// Expire the session after 4/3 of its timeout without hearing any server.
    client_side_expiry: bool,
    /// How long a close waits for the server's answer.
    close_timeout: Duration,
    /// The SASL mechanism run on every connection, if any.
    sasl: Option<SaslConfig>,
}

/// The ZooKeeper session as a sans-IO state machine. See the crate docs for the run
/// loop.
///
/// Methods come in four kinds:
/// * `handle_*` feed inputs (a connection came up or went down, bytes arrived, time
///   passed). Each takes the current time. Times need not arrive in order: one
///   earlier than a time passed before counts as that later time (the session's
///   clock never runs backwards), so a `now` read before a `submit` and passed
///   after it is harmless.
/// * `poll_*` and [`Session::send_buf`] drain outputs: transport actions, events,
///   bytes to write, the next deadline. Call them after every input until they are empty.
/// * [`Session::submit`], [`Session::add_auth`], [`Session::update_hosts`] and
///   [`Session::close`] are requests from the application.
/// * Getters ([`Session::state`], [`Session::credentials`], ...) never change anything.
///
/// `Debug` shows no secret: the session password and the credentials are redacted.
pub struct Session {
    /// Fixed configuration.
    settings: Settings,
    /// The chroot every client path lives under.
    chroot: Chroot,
    /// Where the session is in its life.
    state: SessionState,
    /// The id the servers know the session by (0 before the first handshake).
    session_id: i64,
    /// The password that goes with `session_id`.
    password: Bytes,
    /// A read-write server issued or accepted `session_id` (a read-only server's
    /// session is provisional until then): it can be resumed and must be closed.
    known_to_quorum: bool,
    /// The timeout the server granted.
    negotiated: Option<Duration>,
    /// The timers' durations, from the granted timeout (the requested one before).
    timing: Timing,
    /// The highest zxid seen in a reply.
    last_zxid: i64,
    /// When any server was last heard from.
    last_heard: Instant,
    /// The latest time any call passed in: the session's clock never runs backwards
    /// (see [`Session::clock`]).
    latest_now: Instant,
    /// The current transport connection, if any.
    conn: Option<Connection>,
    /// The number of the next connection.
    next_conn: u64,
    /// Which host to dial next, and when.
    redial: Redial,
    /// When to look for a read-write server while read-only.
    probe: ReadWriteProbe,
    /// A move to another host that a new host list decided, while the current
    /// connection drains.
    moving: Option<PendingMove>,
    /// Queued and in-flight requests.
    requests: Requests,
    /// While no session was ever established: the requests waiting for one, at most
    /// [`Config::first_session_timeout`] each. `None` once one was (or without that
    /// setting): a submit then pays nothing for it.
    first_session: Option<FirstSessionWait>,
    /// Given-up creates whose node is to be deleted, and the steps that do it.
    undos: Undos,
    /// Credentials, replayed in this order after every handshake.
    auths: Vec<(String, Bytes)>,
    /// The live watch registrations.
    watches: WatchTables,
    /// Connection actions for the driver.
    transports: VecDeque<Transport>,
    /// Replies and events for the application.
    events: EventQueue,
    /// Notifications that fired no live registration (dropped, as Java drops them).
    stray_notifications: u64,
    /// Why the session last became `Disconnected`, `Expired`, `AuthFailed` or `Closed`.
    state_reason: Option<StateReason>,
    /// While closing: when the session ends `Closed` without the server's answer.
    close_deadline: Option<Instant>,
    /// No deadline comes before this one (`None`: there is no deadline). It is the
    /// earliest as of its last computation, brought forward wherever a deadline is
    /// set that may come sooner; deadlines that only move later (every read, every
    /// write) leave it as it is, so the hot path computes nothing and a driver may
    /// wake once early, when the session computes it afresh.
    next_deadline: Option<Instant>,
    /// Closing, and closeSession still has to be written on a new connection.
    close_pending: bool,
    /// The SASL exchange in progress on the current connection.
    sasl_exchange: Option<SaslExchange>,
    /// Randomness for SASL nonces, from the config's seed.
    sasl_rng: SplitMix64,
}

impl Session {
    /// Validates `config` and starts a session. The first [`Session::poll_transport`]
    /// asks for a connection.
    pub fn new(config: Config, now: Instant) -> Result<Session, ConfigError> {
        let cs = config.validate()?;
        let mut rng = SplitMix64::new(config.seed);
        let hosts = HostList::new(cs.hosts, &mut rng);
        let (session_id, password, known_to_quorum) = match &config.resume {
            Some(c) => (c.session_id, Bytes::from(c.password.clone()), true),
            None => (0, Bytes::from_static(&ZERO_PASSWORD), false),
        };
        let watches = WatchTables::new(cs.chroot.clone());
        let mut s = Session {
            settings: Settings {
                requested_timeout: config.session_timeout,
                read_only_allowed: config.read_only,
                max_frame: config.max_frame_size,
                persistent_types: config.persistent_watcher_types,
                request_timeout: config.request_timeout,
                client_side_expiry: config.client_side_expiry,
                close_timeout: config.close_timeout,
                sasl: config.sasl.clone(),
            },
            chroot: cs.chroot,
            state: SessionState::Connecting,
            session_id,
            password,
            known_to_quorum,
            negotiated: None,
            timing: Timing::new(config.session_timeout),
            last_zxid: 0,
            last_heard: now,
            latest_now: now,
            conn: None,
            next_conn: 1,
            redial: Redial::new(
                hosts,
                rng,
                (config.reconnect_backoff, config.max_reconnect_backoff),
            ),
            probe: ReadWriteProbe::default(),
            moving: None,
            requests: Requests::default(),
            first_session: config.first_session_timeout.map(FirstSessionWait::new),
            undos: Undos::default(),
            auths: Vec::new(),
            watches,
            transports: VecDeque::new(),
            events: EventQueue::new(config.max_queued_events),
            stray_notifications: 0,
            state_reason: None,
            close_deadline: None,
            next_deadline: None,
            close_pending: false,
            sasl_exchange: None,
            sasl_rng: SplitMix64::new(config.seed ^ SASL_SEED_SALT),
        };
        s.schedule_redial(now);
        s.refresh_deadline();
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

    /// The session id (0 until a server issued one, unless given to resume): what
    /// ZooKeeper's logs and `cons` output name the session by.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// Why the session last became `Disconnected`, `Expired`, `AuthFailed` or
    /// `Closed` (the reason its latest such [`Event::State`] carried); `None` before
    /// any of them.
    pub fn state_reason(&self) -> Option<&StateReason> {
        self.state_reason.as_ref()
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
        self.conn.as_ref().map(Connection::id)
    }

    /// The server of the current connection (being dialled, handshaking or up), if
    /// any: which member of an ensemble the session is on.
    pub fn current_host(&self) -> Option<&HostAddr> {
        self.conn.as_ref().map(Connection::host)
    }

    /// Whether the current connection has sent its ConnectRequest and has no answer
    /// yet: a connection lost now was dropped by the server before it served the
    /// session (drivers say so, and what may cause it).
    pub fn awaiting_handshake(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.stage() == Stage::Handshaking)
    }

    /// Requests accepted but not yet answered (queued plus in flight), the session's
    /// own among them (see [`Session::abandon_and_delete`]).
    pub fn outstanding(&self) -> usize {
        self.requests.outstanding()
    }

    /// Whether the session holds exactly one request, queued or in flight, and no
    /// other frame waits for a reply (a ping): `outstanding() == 1` without a ping in
    /// flight, in constant time (`outstanding` walks the requests in flight). A
    /// driver asks it to tell a lone call from a busy pipeline.
    pub fn just_one_outstanding(&self) -> bool {
        self.requests.just_one()
    }

    /// How many replies the server owes on the current connection for requests
    /// whose bytes were all written (pings aside), counting at most `cap`. Every
    /// reply is at least [`MIN_REPLY_BYTES`](crate::MIN_REPLY_BYTES) on the wire, so
    /// a driver that waits for fewer bytes than `MIN_REPLY_BYTES × (owed − 1) + 1`
    /// before reading (a socket's receive low-water mark) never waits for bytes that
    /// will not come: part of one reply may already be in the receive buffer.
    pub fn replies_owed(&self, cap: usize) -> usize {
        self.conn
            .as_ref()
            .filter(|c| c.is_established())
            .map_or(0, |c| self.requests.replies_owed(c.written(), cap))
    }

    /// The bytes still to come of the frame being assembled on the current
    /// connection once it carries the session: 0 while no frame's length prefix is in
    /// (or the frame is complete). The server has started sending that frame, so all
    /// of it is sure to arrive: a driver may wait for that many bytes before reading
    /// (a socket's receive low-water mark) without waiting for bytes that will not
    /// come. Bytes a driver holds back (a TLS layer's decrypted plaintext) are not
    /// known here.
    pub fn frame_bytes_due(&self) -> usize {
        self.conn
            .as_ref()
            .filter(|c| c.is_established())
            .map_or(0, Connection::frame_bytes_due)
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

    /// The live registrations on the client path `path`, of every kind, in no
    /// particular order: a table lookup, not a scan of every watch.
    pub fn watches_on<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Registration> {
        let server = self.chroot.prepend(path);
        // getConfig's watch is keyed under the unprefixed config node.
        let unprefixed = (server != path).then_some(path);
        self.watches
            .at(&server)
            .chain(unprefixed.into_iter().flat_map(|p| self.watches.at(p)))
            .filter(move |r| *r.path == *path)
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
        self.requests.set_next_xid(xid);
    }

    // ----- outputs -------------------------------------------------------------------
    /// The next connection action, if any. Call after every input until `None`.
    #[must_use]
    pub fn poll_transport(&mut self, now: Instant) -> Option<Transport> {
        let now = self.clock(now);
        if let Some(t) = self.transports.pop_front() {
            return Some(t);
        }
        let closing = self.state == SessionState::Closing && !self.close_pending;
        if self.state.is_terminal() || closing || self.conn.is_some() {
            return None;
        }
        let host = self.redial.take_due(now)?;
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        let timeout = self.connect_timeout();
        log::info!(
            "connecting to {host} ({id} of session {}, {} ms to connect and handshake)",
            HexSessionId(self.session_id),
            timeout.as_millis()
        );
        self.conn = Some(Connection::dial(
            id,
            host.clone(),
            self.settings.max_frame,
            timeout,
            now,
        ));
        self.refresh_deadline();
        Some(Transport::Connect {
            conn: id,
            host,
            timeout,
        })
    }

    /// The next event for the application, in wire order.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Bytes to write to the current connection ([`Session::current_conn`]). Report
    /// what was written with [`Session::advance_send`].
    pub fn send_buf(&self) -> &[u8] {
        self.conn.as_ref().map_or(&[], Connection::send_buf)
    }

    /// `n` bytes of [`Session::send_buf`] were written to the socket of `conn`.
    /// Ignored when `conn` is not [`Session::current_conn`] any more (the bytes went to
    /// a connection the session has since closed), so a late report never eats into
    /// the next connection's handshake.
    pub fn advance_send(&mut self, conn: ConnId, n: usize, now: Instant) {
        let now = self.clock(now);
        if self.conn_mut(conn).is_some_and(|c| c.advance_send(n, now)) {
            self.fill_send(now);
        }
    }

    /// When to call [`Session::handle_timeout`] next, if no input comes first: no
    /// deadline of the session's comes sooner. It may come before anything is due
    /// (a deadline moved later since it was computed: every reply postpones the
    /// read timeout): `handle_timeout` then does nothing but compute it afresh.
    #[must_use]
    #[inline]
    pub fn poll_timeout(&self) -> Option<Instant> {
        debug_assert!(
            match (self.next_deadline, self.earliest_deadline()) {
                (_, None) => true,
                (Some(next), Some(earliest)) => next <= earliest,
                (None, Some(_)) => false,
            },
            "a deadline came before the session's next one"
        );
        if self.state.is_terminal() {
            return None;
        }
        self.next_deadline
    }

    /// The earliest of the deadlines each part of the session keeps, computed now.
    fn earliest_deadline(&self) -> Option<Instant> {
        if self.state.is_terminal() {
            return None;
        }
        let conn = self.conn.as_ref();
        [
            conn.and_then(Connection::connect_deadline),
            self.read_deadline(),
            self.ping_deadline(),
            self.expiry_deadline(),
            self.requests.first_deadline(),
            self.first_session_deadline(),
            self.close_deadline,
            if conn.is_none() {
                self.redial.deadline()
            } else {
                None
            },
            self.probe.deadline(),
            self.moving.as_ref().map(PendingMove::deadline),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- inputs --------------------------------------------------------------------
    /// The TCP connection `conn` is up: the handshake is written to the send buffer.
    pub fn handle_connected(&mut self, conn: ConnId, now: Instant) {
        let now = self.clock(now);
        let timeout = self.connect_timeout();
        let (session_id, passwd) = if self.known_to_quorum && self.session_id != 0 {
            (self.session_id, self.password.clone())
        } else {
            (0, Bytes::from_static(&ZERO_PASSWORD))
        };
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: self.last_zxid,
            timeout: self.requested_ms(),
            session_id,
            passwd,
            read_only: self.settings.read_only_allowed,
        };
        if let Some(c) = self.conn_mut(conn).filter(|c| c.stage() == Stage::Dialing) {
            log::debug!(
                "connected to {}, sending the handshake (session {})",
                c.host(),
                HexSessionId(session_id)
            );
            c.start_handshake(&req, timeout, now);
            self.refresh_deadline();
        }
    }

    /// The connection `conn` ended (or could not be opened). Stale ids are ignored.
    ///
    /// The session treats every cause alike (written requests fail with
    /// `ConnectionLoss`, unwritten ones stay queued, the next host is dialled,
    /// counting towards the backoff until a handshake succeeds); `cause` goes into
    /// the reason of the `Disconnected` event ([`StateReason::Lost`]) and the log.
    pub fn handle_disconnected(&mut self, conn: ConnId, cause: DisconnectCause, now: Instant) {
        let now = self.clock(now);
        if self.conn_mut(conn).is_some() {
            self.end_conn(Ending::Reported(cause), now, true);
        }
    }

    /// Bytes read from `conn`, copied into the session's receive buffer. Input from a
    /// stale connection is ignored. [`Session::recv_buf`] avoids the copy.
    pub fn handle_bytes(&mut self, conn: ConnId, data: &[u8], now: Instant) {
        let now = self.clock(now);
        if let Some(c) = self.conn_mut(conn) {
            c.received_copy(data);
            self.process_received(conn, now);
        }
    }

    /// Space at the end of `conn`'s receive buffer to read into directly: read from
    /// the socket into it, then report the count with [`Session::handle_received`].
    /// `None` for a stale connection.
    ///
    /// This is the one-copy path: the socket writes into the buffer the frames are
    /// split from, and each reply's payload (znode data...) is a slice of it, so
    /// nothing copies it again. The space is sized from the frame being assembled:
    /// 16 KiB while the next length is unknown or the frame's rest is small (many small
    /// replies per read), else the frame's rest, at most 1 MiB at a time, so a read
    /// never runs past the end of a large frame. Once a frame's length prefix is in
    /// (and passed the maximum frame size), room for the whole frame is
    /// reserved at once; only the bytes of it that came with the prefix (at most 16
    /// KiB) are moved, once, if the buffer had to grow. The space is zero-filled (safe
    /// code cannot hand out uninitialised memory), each byte once: space a read did
    /// not fill is handed out again as it is.
    ///
    /// Calling it again before `handle_received` hands out the same space afresh;
    /// [`Session::handle_bytes`] in between discards it.
    pub fn recv_buf(&mut self, conn: ConnId) -> Option<&mut [u8]> {
        Some(self.conn_mut(conn)?.recv_buf())
    }

    /// Like [`Session::recv_buf`], for a driver whose reads fill uninitialised memory
    /// (tokio's `AsyncReadExt::read_buf`, or `BufMut` writers): `conn`'s receive
    /// buffer itself, holding the bytes received and not yet processed, with room
    /// reserved for the next read, and how many bytes that read should take at most
    /// (sized as [`Session::recv_buf`] sizes its space). Nothing is zero-filled, which
    /// spares a large reply one pass over its memory. Only append to the buffer, then
    /// report with [`Session::handle_appended`]. `None` for a stale connection.
    pub fn recv_buffer(&mut self, conn: ConnId) -> Option<(&mut BytesMut, usize)> {
        Some(self.conn_mut(conn)?.recv_buffer())
    }

    /// Bytes were appended to the buffer [`Session::recv_buffer`] handed out for
    /// `conn`: processes them like [`Session::handle_bytes`]. Ignored for a stale
    /// connection.
    pub fn handle_appended(&mut self, conn: ConnId, now: Instant) {
        let now = self.clock(now);
        if self.conn_mut(conn).is_some() {
            self.process_received(conn, now);
        }
    }

    /// `n` bytes were read into the space [`Session::recv_buf`] handed out for `conn`
    /// (at its start). Processes them like [`Session::handle_bytes`]. Ignored for a
    /// stale connection, or when no space was handed out. `n == 0` does nothing (an
    /// end of stream is [`Session::handle_disconnected`]).
    pub fn handle_received(&mut self, conn: ConnId, n: usize, now: Instant) {
        let now = self.clock(now);
        if self.conn_mut(conn).is_some_and(|c| c.received(n)) {
            self.process_received(conn, now);
        }
    }

    /// The driver asked `host` (see [`Transport::ProbeReadWrite`]) and it answered.
    /// When it serves read-write and the session is read-only, the session moves there.
    pub fn handle_probe_result(&mut self, host: &HostAddr, read_write: bool, now: Instant) {
        let now = self.clock(now);
        if !read_write || self.state != SessionState::ConnectedReadOnly {
            return;
        }
        // Not a failed attempt: the read-only connection served, and the session
        // leaves it by choice, so the next failure starts a fresh pass.
        self.redial.succeeded();
        log::info!("{host} serves read-write: moving there");
        self.end_conn(Ending::Dropped(CloseReason::MovingToReadWrite), now, false);
        self.redial.dial_now(host.clone(), now);
        self.refresh_deadline();
    }

    /// Runs every deadline due at `now`. Early or repeated calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clock(now);
        let due = |d: Option<Instant>| d.is_some_and(|d| d <= now);
        // Most calls come before anything can be due.
        if !due(self.poll_timeout()) {
            return;
        }
        // What was due when called; each is checked again when its turn comes, as an
        // earlier one may have changed it (a dropped connection has no read deadline).
        let requests_due = due(self.requests.first_deadline());
        let first_session_due = due(self.first_session_deadline());
        let probe_due = due(self.probe.deadline());
        if due(self.conn.as_ref().and_then(Connection::connect_deadline)) {
            self.drop_conn(CloseReason::ConnectTimeout, now);
        }
        if due(self.read_deadline()) {
            self.drop_conn(CloseReason::ReadTimeout, now);
        }
        if let Some(to) = self
            .moving
            .as_ref()
            .filter(|m| due(Some(m.deadline())))
            .map(|m| m.to().clone())
        {
            // The drain took the read timeout: what is still in flight is lost.
            self.drop_conn(CloseReason::MovingToNewHost { to }, now);
        }
        if due(self.ping_deadline()) {
            self.send_ping(now);
        }
        if due(self.expiry_deadline()) {
            let silent_for = now.saturating_duration_since(self.last_heard);
            self.terminate(
                SessionState::Expired,
                Some(StateReason::ExpiredUnheard { silent_for }),
            );
        }
        if requests_due && !self.state.is_terminal() {
            self.expire_requests(now);
        }
        if first_session_due && !self.state.is_terminal() {
            self.end_first_session_waits(now);
        }
        if due(self.close_deadline) {
            self.terminate(
                SessionState::Closed,
                Some(StateReason::ClosedByApplication { confirmed: false }),
            );
        }
        if probe_due && !self.state.is_terminal() {
            self.probe_read_write(now);
        }
        self.submit_undos(now);
        // A due redial is the driver's next poll_transport.
        self.refresh_deadline();
    }

    // ----- application requests ------------------------------------------------------
    /// Queues a request. Validation (paths, ACLs, create modes, size) happens here;
    /// an error means nothing was queued. Otherwise exactly one
    /// [`Event::Reply`] with the returned id will follow.
    pub fn submit(&mut self, request: Request, now: Instant) -> Result<RequestId, SubmitError> {
        let now = self.clock(now);
        self.check_accepting()?;
        let cx = request::Context {
            chroot: &self.chroot,
            persistent_types: self.settings.persistent_types,
        };
        let mut prepared = request::prepare(request, &cx)?;
        let local = prepared.local;
        if let Some(removal) = prepared.removal() {
            self.check_removal(
                &mut prepared,
                removal.watcher_type,
                removal.registration,
                local,
            )?;
        }
        let size = zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(&prepared.wire);
        if !local && size > self.settings.max_frame {
            return Err(SubmitError::TooLarge {
                size,
                max: self.settings.max_frame,
            });
        }
        let id = self.requests.new_id();
        let deadline = self
            .settings
            .request_timeout
            .and_then(|t| now.checked_add(t));
        if let Some(d) = deadline {
            self.bring_deadline_forward(d);
        }
        if let Some(wait) = self.first_session.as_mut() {
            let d = wait.submitted(id, now);
            self.bring_deadline_forward(d);
        }
        // A locally answered request (empty multi, a local watch removal the server
        // is not told of) queues too, writes nothing and completes when it reaches
        // the head: replies stay in submit order.
        self.requests.enqueue(UserRequest {
            id,
            prepared,
            deadline,
        });
        self.fill_send(now);
        Ok(id)
    }

    /// Gives up on the request `id` (for example: its caller's own timeout passed).
    /// No [`Event::Reply`] will come for it, and no watch stays registered by it: a
    /// request not yet written is never sent (but a local watch removal the server
    /// is to be told of, which took effect here at submit: it still goes out, so
    /// that the server stops notifying); one in flight has its reply discarded
    /// and registers nothing; a reply already queued for [`Session::poll_event`] is
    /// taken back, with the registration it made. If the server already holds the
    /// watch, its notification fires no registration and is dropped.
    ///
    /// An abandoned request that was already written still counts in
    /// [`Session::outstanding`] until its reply (or the connection's end) comes.
    ///
    /// Returns whether `id` was outstanding (or its reply still queued).
    pub fn abandon(&mut self, id: RequestId) -> bool {
        if self.requests.abandon(id) != Abandoned::NotOutstanding {
            return true;
        }
        self.take_back_reply(id).is_some()
    }

    /// Takes `id`'s queued reply back, with the registration it made: its result.
    fn take_back_reply(&mut self, id: RequestId) -> Option<Result<Response, RequestError>> {
        let Some(Event::Reply {
            result,
            registration,
            ..
        }) = self.events.take_reply(id)
        else {
            return None;
        };
        if let Some(r) = registration {
            self.watches.unregister(&r);
            // Nobody holds a handle to it: queued events stop naming it.
            self.events.forget_registration(r.id);
        }
        Some(result)
    }

    /// Gives up on the request `id` as [`Session::abandon`] does and, when it is a
    /// sequential create, deletes the node it made: what a value that queued such a
    /// create for its own use (a lock's contender node) does when it is dropped before
    /// the answer, so that the node holds nobody up until the session ends. Returns
    /// whether `id` was outstanding, its reply still queued, or a lost create whose
    /// node is now looked for (see below); `false` for anything else, nothing done.
    ///
    /// - Not yet written: never sent, as with `abandon`.
    /// - In flight, or its reply already queued: when the reply names the node made,
    ///   the session deletes it (a request of its own, answered to nobody).
    /// - In flight when the connection dropped, or past its request timeout (it may
    ///   or may not have been applied), an ephemeral one: after a sync, every child
    ///   of its parent named like it and owned by this session is deleted (so give
    ///   it a name no other create of the session uses, as the recipes' random
    ///   prefixes do). A persistent node is left: nothing tells this session's from
    ///   another's.
    /// - Its lost answer (ConnectionLoss, RequestTimeout) already polled, taken by a
    ///   driver that holds it for a caller who then gave the create up: an ephemeral
    ///   one is looked for as above, if it is among the last 64 ephemeral sequential
    ///   creates whose answer was lost (the session remembers those; an older one's
    ///   node stays until the session ends). A driver holding an `Ok` reply calls
    ///   [`Session::delete_created`] instead.
    ///
    /// Any other request, a create of a fixed name included, is only given up: its
    /// name may be created again before the answer comes (by a retry, or another
    /// session), and a delete then would take that node; only its caller can order a
    /// delete after its create (queue one right behind it: requests are carried out
    /// in order).
    ///
    /// The session's own requests are asked again when their connection drops (or
    /// their request timeout passes; a delete a read-only server refused, on the next
    /// read-write connection), and end with the session: its ephemeral nodes go with
    /// it. They count in [`Session::outstanding`] until answered.
    pub fn abandon_and_delete(&mut self, id: RequestId, now: Instant) -> bool {
        let now = self.clock(now);
        let step = self
            .requests
            .in_flight_request(id)
            .and_then(|p| Step::for_create(p, &self.chroot));
        let outstanding = match self.requests.abandon(id) {
            Abandoned::Unsent => true,
            Abandoned::InFlight => {
                if let Some(step) = step {
                    self.undos.wait_for(id, step);
                }
                true
            }
            Abandoned::NotOutstanding => match self.take_back_reply(id) {
                Some(Ok(Response::Create { path, .. })) => {
                    self.undos.delete_created(path);
                    true
                }
                Some(Err(RequestError::ConnectionLoss | RequestError::RequestTimeout)) => {
                    self.undos.look_for_lost(id);
                    true
                }
                Some(_) => true,
                // A driver took the reply: a lost create is looked for all the same.
                None => self.undos.look_for_lost(id),
            },
        };
        self.submit_undos(now);
        outstanding
    }

    /// Deletes the node a sequential create's reply names, with a request of the
    /// session's own (answered to nobody, asked again if its connection drops): for a
    /// driver that had taken the reply of a create its caller then gave up, as
    /// [`Session::abandon_and_delete`] does with a reply still queued. Returns whether
    /// it does: only for a create's reply whose node's name ends with a sequence
    /// number (a fixed name may have been created again meanwhile, see
    /// `abandon_and_delete`).
    pub fn delete_created(&mut self, created: &Response, now: Instant) -> bool {
        let now = self.clock(now);
        let Response::Create { path, .. } = created else {
            return false;
        };
        let deleted = self.undos.delete_created(path.clone());
        self.submit_undos(now);
        deleted
    }

    /// Adds credentials: sent now if connected, and again (all of them, in the order
    /// added) on every reconnect. A rejection makes the session `AuthFailed`.
    ///
    /// Refused, with nothing recorded or sent, when the session is closing or over
    /// ([`SubmitError::NotAccepting`]) or when the auth packet would exceed
    /// `max_frame_size` ([`SubmitError::TooLarge`]): the server would drop every
    /// connection that carried it.
    pub fn add_auth(&mut self, scheme: &str, auth: Bytes, now: Instant) -> Result<(), SubmitError> {
        let now = self.clock(now);
        self.check_accepting()?;
        let req = WireRequest::Auth(Box::new(AuthPacket::new(scheme, auth.clone())));
        let size = req.frame_len();
        if size > self.settings.max_frame {
            return Err(SubmitError::TooLarge {
                size,
                max: self.settings.max_frame,
            });
        }
        log::debug!("adding credentials for scheme {scheme:?}");
        self.auths.push((scheme.to_string(), auth));
        // During a SASL exchange it waits: the replay after the exchange sends it.
        if self.sasl_exchange.is_some() {
            return Ok(());
        }
        if let Some(c) = self.conn.as_mut().filter(|c| c.is_established()) {
            c.write_frame(&req, xid::AUTH, now);
        }
        Ok(())
    }

    /// Replaces the host list with the hosts of `connect_string` (a connect string as
    /// [`Config::connect_string`] takes it; a chroot in it must be the session's, and
    /// may be left out), keeping the session, as Java's `updateServerList` does: for
    /// a growing or shrinking ensemble, or after a dynamic reconfiguration. The
    /// session moves to another host when the new list asks for it, so that clients
    /// spread evenly over it: always when its server is not in the new list, with
    /// probability `1 − old size ÷ new size` when the list grew and its server is
    /// still in it, never otherwise (Java's rule; hosts compare by name and port as
    /// written). The choice draws from the seeded generator ([`Config::seed`]).
    ///
    /// **Unlike Java**, which closes the connection at once (failing the requests in
    /// flight with `ConnectionLoss`), a move drains the connection first: nothing
    /// more is written to it but pings, the replies owed on it arrive, and then it
    /// closes ([`CloseReason::MovingToNewHost`]) and the session dials the chosen host
    /// at once with the same session id. Requests submitted meanwhile wait in the
    /// queue and go out on the new connection, after the auths and the watch
    /// re-registration, as on any reconnect. The drain lasts at most the read timeout
    /// (`2/3 T`); requests still in flight then fail with `ConnectionLoss`. The
    /// application sees `Disconnected` (reason [`StateReason::Dropped`] with that
    /// close reason) then `SyncConnected`, as on any reconnect. A connection not yet
    /// serving the session (dialling, handshaking, authenticating) is given up at
    /// once; with none, the next dial goes to the chosen host when it is due. Hosts
    /// tried after the chosen one follow the new list's shuffled order.
    ///
    /// Refused, with nothing changed: a string that does not parse or names no host
    /// ([`UpdateHostsError::Invalid`]), another chroot
    /// ([`UpdateHostsError::ChrootDiffers`]), and a session closing or over
    /// ([`UpdateHostsError::NotAccepting`]).
    pub fn update_hosts(
        &mut self,
        connect_string: &str,
        now: Instant,
    ) -> Result<(), UpdateHostsError> {
        let now = self.clock(now);
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return Err(UpdateHostsError::NotAccepting {
                state: self.state,
                reason: self.state_reason.clone(),
            });
        }
        let cs = ConnectString::parse(connect_string).map_err(UpdateHostsError::Invalid)?;
        if let Some(given) = cs.chroot.as_str().filter(|_| cs.chroot != self.chroot) {
            return Err(UpdateHostsError::ChrootDiffers {
                session: self.chroot.for_error(),
                given: given.to_string(),
            });
        }
        // Where the session is, or is heading: a move under way, the connection, or
        // the dial scheduled next.
        let current = match (&self.moving, &self.conn) {
            (Some(m), _) => Some(m.to().clone()),
            (None, Some(c)) => Some(c.host().clone()),
            (None, None) => self.redial.next_host().cloned(),
        };
        let target = self.redial.replace_hosts(cs.hosts, current.as_ref());
        log::info!(
            "host list updated to {} hosts: {}",
            self.redial.host_count(),
            match &target {
                Some(to) => format!("moving to {to}"),
                None => "staying".to_string(),
            }
        );
        let Some(to) = target else {
            return Ok(());
        };
        if let Some(m) = self.moving.as_mut() {
            m.retarget(to);
            return Ok(());
        }
        let serving = self
            .conn
            .as_ref()
            .is_some_and(|c| c.is_established() && self.sasl_exchange.is_none());
        if serving {
            let drain = PendingMove::new(to, self.timing.read, now);
            self.bring_deadline_forward(drain.deadline());
            self.moving = Some(drain);
            self.move_if_drained(now);
        } else if self.conn.is_some() {
            let reason = CloseReason::MovingToNewHost { to: to.clone() };
            self.end_conn(Ending::Dropped(reason), now, false);
            self.redial.dial_now(to, now);
            self.refresh_deadline();
        } else {
            self.redial.retarget(to, now);
            self.refresh_deadline();
        }
        Ok(())
    }

    /// Closes the session: the requests submitted before it are sent (as Java sends
    /// them), then closeSession, and the session becomes `Closed` when its reply
    /// arrives or after the close timeout (requests still in flight then fail with
    /// `Closing`). Replies keep their submit order. Requests queued while no
    /// connection is established fail with `Closing` at once.
    ///
    /// While no connection is established, the session keeps dialling (without
    /// backoff beyond the close timeout) to deliver closeSession, so that the server
    /// removes its ephemerals (and the locks they stand for) at once. If no server
    /// answers within the close timeout the session is `Closed` anyway, and the
    /// server expires it after its timeout: its ephemerals linger until then.
    ///
    /// A session that never completed a handshake has nothing to close on a server
    /// and is `Closed` at once, unless its first handshake is under way (the whole
    /// ConnectRequest went out, no answer yet): the server may be creating the
    /// session, so the close waits for the answer and sends closeSession on that
    /// connection, else the new session would stay on the server until it expired.
    /// That wait is bounded by the close timeout and by the handshake's own connect
    /// timeout; a handshake that fails or is refused ends the session `Closed`. A
    /// driver whose connect gave up on a server that did not answer in time uses
    /// [`Session::close_after_failed_connect`] instead, which does not wait.
    ///
    /// A second call, or a call in a terminal state, does nothing.
    pub fn close(&mut self, now: Instant) {
        self.close_waiting(now, true);
    }

    /// Closes the session as [`Session::close`] does, but without waiting for the
    /// answer to the first handshake under way: for a driver whose connect ran out of
    /// time (a silent or slow server), where that wait would only add to the error's
    /// delay. A session no server has confirmed yet is `Closed` at once (should the
    /// server answer the handshake after all, the session it made expires there);
    /// one a server may hold (given to resume) is closed as `close` closes it.
    pub fn close_after_failed_connect(&mut self, now: Instant) {
        self.close_waiting(now, false);
    }

    /// [`Session::close`]; `for_handshake`: wait for the answer to a first handshake
    /// under way.
    fn close_waiting(&mut self, now: Instant, for_handshake: bool) {
        let now = self.clock(now);
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return;
        }
        let established = self.conn.as_ref().is_some_and(Connection::is_established);
        let answer_owed =
            for_handshake && self.conn.as_ref().is_some_and(Connection::handshake_sent);
        if !established && !self.server_may_hold_session() && !answer_owed {
            self.terminate(
                SessionState::Closed,
                Some(StateReason::ClosedByApplication { confirmed: false }),
            );
            return;
        }
        log::info!("closing session {}", HexSessionId(self.session_id));
        // closeSession goes out on the connection there is: no move is worth its delay.
        self.moving = None;
        // The requests submitted before the close go out before closeSession (the
        // send buffer's mark held them back, or a move did), as Java sends them: the
        // server carries them out and their replies come in submit order. Without a
        // connection that can carry them, none is in flight: they fail now.
        if established && self.sasl_exchange.is_none() {
            if let Some(c) = self.conn.as_mut() {
                self.requests.write_all_queued(c, now);
            }
            self.answer_local_heads();
        }
        for id in self.requests.take_queued() {
            self.reply(id, Err(RequestError::Closing));
        }
        self.set_state(SessionState::Closing);
        let deadline = later(now, self.settings.close_timeout);
        self.close_deadline = Some(deadline);
        if established {
            self.write_close(now);
        } else {
            self.close_pending = true;
            self.redial.bring_forward(deadline, now);
        }
        self.refresh_deadline();
    }

    // ----- deadlines -----------------------------------------------------------------
    /// `now`, or the latest time an earlier call passed in if that is later: a
    /// driver's clock readings may arrive out of order (a `now` taken before a
    /// submit that read the clock itself, a loop that reuses one reading), and a
    /// time that ran backwards would move the read, ping and expiry deadlines
    /// earlier than the one [`Session::poll_timeout`] promised.
    fn clock(&mut self, now: Instant) -> Instant {
        if now > self.latest_now {
            self.latest_now = now;
        }
        self.latest_now
    }

    /// A deadline `d` was set: the next one comes no later.
    fn bring_deadline_forward(&mut self, d: Instant) {
        self.next_deadline = Some(self.next_deadline.map_or(d, |next| next.min(d)));
    }

    /// When the oldest request waiting for a first session stops waiting.
    fn first_session_deadline(&self) -> Option<Instant> {
        self.first_session.as_ref()?.deadline()
    }

    /// Computes [`Session::next_deadline`] afresh: after a deadline was set that may
    /// come sooner than it, or once it has passed.
    fn refresh_deadline(&mut self) {
        self.next_deadline = self.earliest_deadline();
    }

    fn read_deadline(&self) -> Option<Instant> {
        self.conn.as_ref()?.read_deadline(self.timing.read)
    }

    fn ping_deadline(&self) -> Option<Instant> {
        if self.state == SessionState::Closing {
            return None;
        }
        self.conn.as_ref()?.ping_deadline(self.timing.ping)
    }

    fn expiry_deadline(&self) -> Option<Instant> {
        (self.settings.client_side_expiry
            && self.server_may_hold_session()
            && !self.state.is_terminal()
            // Closing ends by the reply or the close timeout, always as Closed.
            && self.state != SessionState::Closing
            // A server that accepted a connection is about to say whether the session
            // lives (one that served none while its ensemble elected a leader answers
            // once it serves, and the new leader gave every session a fresh timeout):
            // its answer, or the connect timeout, comes first.
            && !self.awaiting_handshake())
        .then(|| later(self.last_heard, self.timing.expiry))
    }

    // ----- connections ---------------------------------------------------------------
    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Connection> {
        self.conn.as_mut().filter(|c| c.id() == id)
    }

    fn requested_ms(&self) -> i32 {
        i32::try_from(self.settings.requested_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// Dial plus handshake: the session timeout shared among the hosts.
    fn connect_timeout(&self) -> Duration {
        (self.timing.session / self.redial.host_count() as u32).max(Duration::from_millis(1))
    }

    /// Whether the server may hold this session, so closeSession is worth sending
    /// (and the session can expire there).
    fn server_may_hold_session(&self) -> bool {
        self.session_id != 0 && self.known_to_quorum
    }

    /// Picks the next host and when to dial it. While a session exists, no wait is
    /// longer than a third of its timeout, nor past the point where the server
    /// expires it: a network that comes back in time always gets the session back.
    fn schedule_redial(&mut self, now: Instant) {
        let cap = self.server_may_hold_session().then(|| {
            // A wait is at most twice the capped backoff (up to 100 % jitter).
            let cap = self.timing.session / 6;
            let lifetime = later(self.last_heard, self.timing.session);
            let left = lifetime.saturating_duration_since(now) / 2;
            if left.is_zero() { cap } else { cap.min(left) }
        });
        self.redial.schedule(now, cap);
        if let Some((host, at)) = self.redial.next() {
            let wait = at.saturating_duration_since(now);
            if !wait.is_zero() {
                log::debug!("waiting {} ms before dialling {host}", wait.as_millis());
            }
        }
    }

    /// Drops the current connection for `reason` (the driver is told to close it).
    /// Written requests fail with ConnectionLoss; unwritten ones go back to the queue.
    fn drop_conn(&mut self, reason: CloseReason, now: Instant) {
        self.end_conn(Ending::Dropped(reason), now, true);
    }

    /// Ends the current connection, as [`Session::drop_conn`] does, however it
    /// ended; `redial`: schedule the next host (counting the attempt towards the
    /// backoff), unless the caller schedules one itself.
    fn end_conn(&mut self, ending: Ending, now: Instant, redial: bool) {
        let Some(c) = self.conn.take() else {
            return;
        };
        // However the connection ends, a move under way goes on to its target.
        let moving = self.moving.take();
        // A drop for a request timeout is paced by that timeout already, and waiting
        // longer would fail the requests queued behind it too.
        let timed_out = c.stage() == Stage::Established
            && matches!(ending, Ending::Dropped(CloseReason::RequestTimeout));
        let host = c.host().clone();
        let why = match ending {
            Ending::Dropped(reason) => {
                self.transports.push_back(Transport::Close {
                    conn: c.id(),
                    reason: reason.clone(),
                });
                StateReason::Dropped { host, reason }
            }
            Ending::Reported(cause) => StateReason::Lost { host, cause },
        };
        if matches!(
            why,
            StateReason::Lost {
                cause: DisconnectCause::ConnectFailed,
                ..
            }
        ) {
            // The driver logs the dial's own error, which says more.
            log::debug!(
                "{} of session {}: {why}",
                c.id(),
                HexSessionId(self.session_id)
            );
        } else {
            log::warning!(
                "{} of session {} ended: {why}",
                c.id(),
                HexSessionId(self.session_id)
            );
        }
        if c.served_stably(now) || timed_out {
            // It carried the session: the next failure starts a fresh pass. A
            // connection dropped sooner (a server refusing SetWatches, a second process
            // resuming the same session, a broken proxy) counts as a failed attempt,
            // so flapping backs off instead of redialling at once forever.
            self.redial.succeeded();
        }
        // A request the server answered was read by it, whatever the driver reported:
        // never send it again.
        let loss = self
            .requests
            .connection_lost(c.reached_server(), &self.chroot);
        for outcome in loss.outcomes {
            match outcome {
                LossOutcome::AnswerLocal(u) => self.answer_local(u),
                LossOutcome::Lost(id, create) => {
                    if let Some(step) = create {
                        self.undos.remember_lost(id, step);
                    }
                    self.reply(id, Err(RequestError::ConnectionLoss));
                }
                LossOutcome::Dropped(id) => self.undos.unsent(id),
            }
        }
        self.submit_undos(now);
        self.probe.stop();
        // A connection still authenticating never reported `Connected`.
        let authenticating = self.sasl_exchange.take().is_some();
        if self.state == SessionState::Closing {
            if loss.close_written || !self.server_may_hold_session() {
                self.terminate(
                    SessionState::Closed,
                    Some(StateReason::ClosedByApplication { confirmed: false }),
                );
                return;
            }
            // closeSession never reached the server: try the next one until the
            // close timeout.
            self.close_pending = true;
            self.schedule_redial(now);
            if let Some(deadline) = self.close_deadline {
                self.redial.bring_forward(deadline, now);
            }
            self.refresh_deadline();
            return;
        }
        if c.is_established() && !authenticating {
            self.set_state(SessionState::Connecting);
            self.state_event(KeeperState::Disconnected, Some(why));
        }
        if redial {
            match moving {
                Some(m) => self.redial.dial_now(m.into_target(), now),
                None => self.schedule_redial(now),
            }
        }
        self.refresh_deadline();
    }

    /// Once a connection that a move drains owes no more replies, closes it and dials
    /// the move's target. Leaving by choice is not a failed attempt: the next failure
    /// starts a fresh pass.
    fn move_if_drained(&mut self, now: Instant) {
        if self.moving.is_none() || !self.requests.nothing_in_flight() {
            return;
        }
        let Some(to) = self.moving.take().map(PendingMove::into_target) else {
            return;
        };
        self.redial.succeeded();
        let reason = CloseReason::MovingToNewHost { to: to.clone() };
        self.end_conn(Ending::Dropped(reason), now, false);
        self.redial.dial_now(to, now);
        self.refresh_deadline();
    }

    fn send_ping(&mut self, now: Instant) {
        let Some(c) = self.conn.as_mut().filter(|c| c.is_established()) else {
            return;
        };
        if c.has_output() || self.sasl_exchange.is_some() {
            // Bytes are already waiting for the socket; they will count as traffic.
            // During a SASL exchange nothing else may be written; its tokens are the
            // traffic.
            c.defer_ping(now);
        } else {
            c.write_frame(&WireRequest::Ping, xid::PING, now);
        }
    }

    /// While read-only, asks the next host whether it serves read-write, when due.
    fn probe_read_write(&mut self, now: Instant) {
        if self.state != SessionState::ConnectedReadOnly {
            self.probe.stop();
            return;
        }
        if let Some(i) = self.probe.due(now, self.redial.host_count()) {
            let host = self.redial.host_at(i).clone();
            log::debug!("asking {host} whether it serves read-write");
            self.transports
                .push_back(Transport::ProbeReadWrite { host });
        }
    }

    // ----- receiving -----------------------------------------------------------------
    /// Decodes and handles every complete frame in `conn`'s receive buffer.
    fn process_received(&mut self, conn: ConnId, now: Instant) {
        if self
            .conn_mut(conn)
            .is_some_and(|c| c.stage() == Stage::Dialing)
        {
            // Bytes before `handle_connected`: treat the connection as up.
            self.handle_connected(conn, now);
        }
        while let Some(c) = self.conn_mut(conn) {
            let stage = c.stage();
            // Text where the handshake's answer belongs: not a ZooKeeper server.
            if stage == Stage::Handshaking {
                if let Some(reason) = c.answered_with_text() {
                    self.drop_conn(reason, now);
                    break;
                }
            }
            let frame = match c.next_frame(now) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    // Drops the connection, or waits for the frame's xid.
                    self.frame_error(e, now);
                    break;
                }
            };
            self.last_heard = now;
            if stage == Stage::Handshaking {
                self.on_handshake(frame, now);
            } else {
                self.on_frame(frame, now);
                self.answer_local_heads();
            }
            if self.state.is_terminal() {
                break;
            }
        }
        // Only once every complete frame received is handled: a notification that
        // came after the last reply owed still fires.
        if self.conn_mut(conn).is_some() {
            self.move_if_drained(now);
        }
        self.submit_undos(now);
    }

    /// Submits the steps that undo given-up creates, as the session's own requests
    /// (see [`Session::abandon_and_delete`]). Refused ones (the session is closing)
    /// are dropped: the session's end takes its ephemeral nodes.
    #[inline]
    fn submit_undos(&mut self, now: Instant) {
        // Every input ends here: the common case is one length check.
        if self.undos.has_ready() {
            self.submit_ready_undos(now);
        }
    }

    #[cold]
    #[inline(never)]
    fn submit_ready_undos(&mut self, now: Instant) {
        for f in self.undos.take_ready() {
            if let Ok(id) = self.submit(f.request, now) {
                self.requests.own(id);
                self.undos.wait_for(id, f.step);
            }
        }
    }

    /// The receive side hit a bad frame length. A too-long frame whose xid names the
    /// in-flight head is that request's reply: it fails with
    /// [`RequestError::ReplyTooLarge`] (the server executed it; only its answer
    /// cannot be read). Any other bad frame (a notification, an unknown xid) fails
    /// every written request with `ConnectionLoss`, as any drop does. While the xid
    /// has not arrived yet the connection stays, until it does (or the read timeout
    /// passes).
    fn frame_error(&mut self, e: FrameError, now: Instant) {
        if let FrameError::TooLong { len, max } = e {
            let head = self.requests.written_head();
            let Some(c) = self.conn.as_mut() else {
                return;
            };
            if let (true, Some((head_xid, id))) = (c.is_established(), head) {
                let Some(xid) = c.refused_frame_xid() else {
                    return;
                };
                if xid == head_xid {
                    let f = self.requests.pop_head().expect("the head exists");
                    c.answered_up_to(f.end);
                    match f.kind {
                        // A local watch removal told to the server: Ok whatever.
                        InFlightKind::User(u) if u.prepared.tells_server => self.answer_local(u),
                        _ => self.reply(id, Err(RequestError::ReplyTooLarge { len, max })),
                    }
                }
            }
        }
        self.drop_conn(CloseReason::Frame(e), now);
    }

    fn on_handshake(&mut self, frame: Bytes, now: Instant) {
        if frame.len() == ReplyHeader::LEN {
            // Too short for a ConnectResponse, the size of a reply header: a refusal
            // (a 3.8 read-only member sends NotReadOnly to a new session).
            if let Ok(header) = ReplyHeader::decode(&mut Reader::new(frame.clone())) {
                if !header.err.is_ok() {
                    let code = header.err;
                    self.drop_conn(CloseReason::HandshakeRefused { code }, now);
                    return;
                }
            }
        }
        let resp = match ConnectResponse::decode_bytes(frame) {
            Ok(r) => r,
            Err(e) => {
                self.drop_conn(CloseReason::Decode(e.to_string()), now);
                return;
            }
        };
        if resp.timeout <= 0 {
            let host = self.conn.as_ref().map(|c| c.host().clone());
            self.terminate(
                SessionState::Expired,
                host.map(|host| StateReason::ExpiredByServer { host }),
            );
            return;
        }
        // Either would start a session that cannot be resumed or expire properly.
        let invalid = if resp.session_id == 0 {
            Some("session id 0 with a positive timeout")
        } else if resp.passwd.len() != SESSION_PASSWORD_LEN {
            Some("session password is not 16 bytes")
        } else {
            None
        };
        if let Some(why) = invalid {
            self.drop_conn(CloseReason::InvalidHandshake(why), now);
            return;
        }
        let granted = Duration::from_millis(resp.timeout as u64);
        self.negotiated = Some(granted);
        // The requests that waited for a session have one now: they wait for their
        // replies like any other.
        self.first_session = None;
        self.timing = Timing::new(granted);
        self.session_id = resp.session_id;
        self.password = resp.passwd.clone();
        let read_only = resp.is_read_only();
        if !read_only {
            self.known_to_quorum = true;
        }
        if let Some(c) = self.conn.as_mut() {
            log::info!(
                "session {} established with {}: timeout {} ms, read-only {read_only}",
                HexSessionId(resp.session_id),
                c.host(),
                resp.timeout
            );
            c.establish(now);
        }
        // The connection's timers start, with the granted timeout.
        self.refresh_deadline();
        if self.state == SessionState::Closing {
            self.write_close(now);
            return;
        }
        if self.settings.sasl.is_some() {
            self.start_sasl(read_only, now);
        } else {
            self.connection_ready(read_only, now);
        }
    }

    /// The connection serves the session (after the handshake, and the SASL
    /// exchange if any): `Connected`, then the auths, the watch re-registration and
    /// the queue.
    fn connection_ready(&mut self, read_only: bool, now: Instant) {
        let (to, ks) = if read_only {
            (
                SessionState::ConnectedReadOnly,
                KeeperState::ConnectedReadOnly,
            )
        } else {
            (SessionState::Connected, KeeperState::SyncConnected)
        };
        self.set_state(to);
        self.state_event(ks, None);
        if read_only {
            self.probe.start(now);
            self.refresh_deadline();
        }
        // Auths in the order added, then the watch re-registration, then the queue.
        self.replay_auths(now);
        self.send_set_watches(now);
        if !read_only {
            self.undos.unpark();
        }
        self.fill_send(now);
        self.submit_undos(now);
    }

    fn on_frame(&mut self, frame: Bytes, now: Instant) {
        let mut r = Reader::new(frame);
        let header = match ReplyHeader::decode(&mut r) {
            Ok(h) => h,
            Err(e) => {
                self.drop_conn(CloseReason::Decode(e.to_string()), now);
                return;
            }
        };
        if header.err == ErrorCode::SessionClosedRequireSaslAuth && header.xid != xid::NOTIFICATION
        {
            // The server requires authentication this session does not do (its
            // enforce.auth.schemes), on any request, ping included, and closes the
            // connection; every member would, so redialling cannot help. The session
            // ends, its requests failing with the server's code.
            if self.sasl_exchange.is_some() && self.state != SessionState::Closing {
                // The same −124 answers wrong SASL credentials: they were refused,
                // not missing.
                self.sasl_failed(format!("the server answered {}", header.err));
                return;
            }
            let host = self.conn.as_ref().map(|c| c.host().clone());
            let (to, reason) = if self.state == SessionState::Closing {
                // closeSession is a request too: the server refused it, and the
                // session lives on there until it expires.
                (
                    SessionState::Closed,
                    Some(StateReason::ClosedByApplication { confirmed: false }),
                )
            } else {
                (
                    SessionState::AuthFailed,
                    host.map(|host| StateReason::AuthRequired { host }),
                )
            };
            self.terminate(to, reason);
            return;
        }
        match header.xid {
            xid::NOTIFICATION => self.on_notification(&header, &mut r, now),
            xid::PING => {}
            xid::AUTH => {
                if header.err == ErrorCode::AuthFailed {
                    let host = self.conn.as_ref().map(|c| c.host().clone());
                    self.terminate(
                        SessionState::AuthFailed,
                        host.map(|host| StateReason::AuthRejected { host }),
                    );
                }
            }
            x => self.on_reply(x, &header, &mut r, now),
        }
    }

    // ----- SASL ----------------------------------------------------------------------
    /// Starts the configured SASL exchange on the connection just established.
    fn start_sasl(&mut self, read_only: bool, now: Instant) {
        let (Some(sasl), Some(c)) = (&self.settings.sasl, self.conn.as_ref()) else {
            return;
        };
        let mut random = [0; SASL_RANDOM_LEN];
        for chunk in random.chunks_mut(8) {
            let bits = self.sasl_rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bits[..chunk.len()]);
        }
        log::debug!(
            "authenticating with SASL {} on {}",
            sasl.mechanism(),
            c.id()
        );
        let mut mechanism = sasl.begin(c.host(), random);
        match mechanism.start() {
            Ok(token) => {
                self.sasl_exchange = Some(SaslExchange {
                    mechanism,
                    read_only,
                });
                self.write_sasl_token(token, now);
            }
            Err(e) => self.sasl_failed(e.to_string()),
        }
    }

    /// Writes a token of the exchange as a sasl request, at once: nothing else is
    /// queued on the connection meanwhile.
    fn write_sasl_token(&mut self, token: Vec<u8>, now: Instant) {
        let req = WireRequest::Sasl(GetSaslRequest {
            token: Bytes::from(token),
        });
        let size = req.frame_len();
        if size > self.settings.max_frame {
            self.sasl_failed(format!(
                "a token of {size} bytes exceeds the largest frame ({})",
                self.settings.max_frame
            ));
            return;
        }
        if let Some(c) = self.conn.as_mut() {
            self.requests.write_own(c, &req, InFlightKind::Sasl, now);
        }
    }

    /// The server's answer to a sasl request: an error ends the session
    /// `AuthFailed`; a token goes to the mechanism, which answers or completes.
    fn on_sasl_reply(&mut self, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        // A close written meanwhile ends the session whatever the answer.
        if self.state == SessionState::Closing {
            return;
        }
        let Some(mut exchange) = self.sasl_exchange.take() else {
            return;
        };
        if !header.err.is_ok() {
            self.sasl_failed(format!("the server answered {}", header.err));
            return;
        }
        let token = match SetSaslResponse::decode(r) {
            Ok(body) => body.token,
            Err(e) => {
                self.drop_conn(CloseReason::Decode(e.to_string()), now);
                return;
            }
        };
        match exchange.mechanism.step(&token) {
            Ok(SaslStep::Respond(token)) => {
                self.sasl_exchange = Some(exchange);
                self.write_sasl_token(token, now);
            }
            Ok(SaslStep::Done) => {
                log::info!("authenticated with SASL");
                self.connection_ready(exchange.read_only, now);
            }
            Err(e) => self.sasl_failed(e.to_string()),
        }
    }

    /// The exchange failed: the session is `AuthFailed`, with `why`.
    fn sasl_failed(&mut self, why: String) {
        let mechanism = self
            .settings
            .sasl
            .as_ref()
            .map_or_else(String::new, |s| s.mechanism().to_string());
        let host = self.conn.as_ref().map(|c| c.host().clone());
        self.terminate(
            SessionState::AuthFailed,
            host.map(|host| StateReason::SaslFailed {
                host,
                mechanism,
                reason: SaslError::new(why),
            }),
        );
    }

    fn on_notification(&mut self, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        let ev = match WatcherEvent::decode(r) {
            Ok(e) => e,
            Err(e) => {
                self.drop_conn(CloseReason::Decode(e.to_string()), now);
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
        if registrations.is_empty() {
            // Nobody here watches it any more (removed or abandoned while the server
            // still held the watch, or the server's second NodeDeleted for a node
            // deleted while disconnected). Java hands such events to nobody either.
            self.stray_notifications += 1;
            return;
        }
        // A notification may overflow the event queue (Config::max_queued_events).
        self.events.push(Event::Watch(WatchEvent {
            event_type: ev.event_type,
            path: self.chroot.strip(ev.path),
            zxid: header.zxid,
            registrations,
        }));
    }

    fn on_reply(&mut self, xid: i32, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        let f = match self.requests.take_reply(xid) {
            Ok(f) => f,
            Err(reason) => {
                self.drop_conn(reason, now);
                return;
            }
        };
        if let Some(c) = self.conn.as_mut() {
            c.answered_up_to(f.end);
        }
        if header.zxid > 0 {
            self.last_zxid = header.zxid;
        }
        let u = match f.kind {
            // A local watch removal told to the server: Ok whatever it answers.
            InFlightKind::User(u) if u.prepared.tells_server => {
                self.answer_local(u);
                return;
            }
            InFlightKind::User(u) => u,
            InFlightKind::SetWatches => return,
            InFlightKind::Sasl => {
                self.on_sasl_reply(header, r, now);
                return;
            }
            InFlightKind::Close => {
                self.terminate(
                    SessionState::Closed,
                    Some(StateReason::ClosedByApplication { confirmed: true }),
                );
                return;
            }
        };
        if !header.err.is_ok() {
            self.on_error_reply(u, header.err);
            return;
        }
        let body = zk_proto::WireResponse::decode(f.op, r).map_err(|e| e.to_string());
        if let Some((index, code)) = body.as_ref().ok().and_then(|b| rolled_back(f.op, b)) {
            let error = self.transaction_failed(&u.prepared, index, code);
            self.reply(u.id, Err(error));
            return;
        }
        let body = body.and_then(|body| {
            if !answers_sub_ops(&u.prepared.wire, &body) {
                return Err("multi reply whose results do not match its sub-ops".to_string());
            }
            request::into_response(u.prepared.reply, body, &self.chroot)
                .ok_or_else(|| "reply body does not fit the request".to_string())
        });
        let response = match body {
            Ok(response) => response,
            Err(why) => {
                // The connection drops: a written request is settled by that.
                self.requests.put_back(InFlight {
                    kind: InFlightKind::User(u),
                    ..f
                });
                self.drop_conn(CloseReason::Decode(why), now);
                return;
            }
        };
        let p = &u.prepared;
        if p.watch.is_none() && p.removal().is_none() {
            // Most replies: nothing to register or remove.
            self.reply(u.id, Ok(response));
            return;
        }
        let server = p.server_path(&self.chroot);
        let registration = match p.watch {
            Some(kind) if !self.requests.is_abandoned(u.id) => {
                Some(
                    self.watches
                        .register(kind, &server, p.client_path(&self.chroot), u.id),
                )
            }
            _ => None,
        };
        if let Some(removal) = p.removal() {
            let removed = self
                .watches
                .remove(&server, removal.removes, removal.registration);
            if removed.is_empty() {
                // It fired (or was removed) after the submit-time check: Java answers
                // NoWatcher here too.
                let error = self.server_error(
                    ErrorCode::NoWatcher,
                    p.client_path(&self.chroot).to_string(),
                );
                self.reply(u.id, Err(error));
                return;
            }
            let path = p.client_path(&self.chroot).to_string();
            self.removed_events(&path, removed);
        }
        self.reply_with(u.id, Ok(response), registration);
    }

    /// A reply with an error code: the server's answer, unless the operation takes
    /// NoNode for an answer (exists, addWatch), with the watch it asked for.
    fn on_error_reply(&mut self, u: UserRequest, err: ErrorCode) {
        let p = &u.prepared;
        let answer = (err == ErrorCode::NoNode)
            .then(|| request::no_node_response(p.reply, p.watch))
            .flatten();
        let Some((watch, response)) = answer else {
            let error = self.server_error(err, u.prepared.client_path(&self.chroot).to_string());
            self.reply(u.id, Err(error));
            return;
        };
        let registration = match watch {
            Some(kind) if !self.requests.is_abandoned(u.id) => {
                let server = p.server_path(&self.chroot);
                Some(
                    self.watches
                        .register(kind, &server, p.client_path(&self.chroot), u.id),
                )
            }
            _ => None,
        };
        self.reply_with(u.id, Ok(response), registration);
    }

    /// The server's `code` for a request on `client_path` (empty: it names no node).
    fn server_error(&self, code: ErrorCode, client_path: String) -> RequestError {
        RequestError::Server {
            code,
            path: (!client_path.is_empty()).then_some(client_path),
            chroot: self.chroot.for_error(),
        }
    }

    /// A rolled-back transaction (see [`rolled_back`]), naming its failing sub-op's
    /// client path.
    fn transaction_failed(
        &self,
        prepared: &Prepared,
        index: usize,
        code: ErrorCode,
    ) -> RequestError {
        let path = match &prepared.wire {
            WireRequest::Multi(m) => m
                .ops
                .get(index)
                .map(|op| self.chroot.strip(op.path().to_string())),
            _ => None,
        };
        RequestError::TransactionFailed {
            index,
            code,
            path,
            chroot: self.chroot.for_error(),
        }
    }

    // ----- sending -------------------------------------------------------------------
    /// Moves queued requests into the send buffer (while it is below the high-water
    /// mark and the session is not closing), then answers the local requests that
    /// reached the head.
    fn fill_send(&mut self, now: Instant) {
        let draining = self.moving.is_some();
        if self.state != SessionState::Closing && self.sasl_exchange.is_none() && !draining {
            if let Some(c) = self.conn.as_mut().filter(|c| c.is_established()) {
                self.requests.write_queued(c, now);
            }
        }
        self.answer_local_heads();
    }

    /// Sends every credential again, in the order added.
    fn replay_auths(&mut self, now: Instant) {
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        for (scheme, auth) in &self.auths {
            let req = WireRequest::Auth(Box::new(AuthPacket::new(scheme.clone(), auth.clone())));
            c.write_frame(&req, xid::AUTH, now);
        }
    }

    /// Re-registers every watch after a reconnect (see [`set_watches::batches`]). A
    /// path too long for any frame cannot be re-registered: its registrations are
    /// dropped, each with its watch-removed event (zxid −1), as if removed locally.
    fn send_set_watches(&mut self, now: Instant) {
        if self.watches.len() == 0 {
            return;
        }
        let paths = self.watches.paths();
        let path_count: usize = paths.iter().map(Vec::len).sum();
        let batches = set_watches::batches(paths, self.last_zxid, self.settings.max_frame);
        log::debug!(
            "re-registering watches on {path_count} paths in {} SetWatches frames",
            batches.frames.len()
        );
        if let Some(c) = self.conn.as_mut() {
            for frame in &batches.frames {
                self.requests
                    .write_own(c, frame, InFlightKind::SetWatches, now);
            }
        }
        for (kind, server) in batches.too_long {
            log::warning!(
                "a {kind:?} watch on a path of {} bytes fits no SetWatches frame: it is dropped",
                server.len()
            );
            let removed = self.watches.take_all(kind, &server);
            if let Some(client) = removed.first().map(|r| r.path.clone()) {
                self.removed_events(&client, removed);
            }
        }
    }

    /// Writes closeSession on the established connection.
    fn write_close(&mut self, now: Instant) {
        self.close_pending = false;
        if let Some(c) = self.conn.as_mut() {
            self.requests
                .write_own(c, &WireRequest::CloseSession, InFlightKind::Close, now);
        }
    }

    // ----- requests ------------------------------------------------------------------
    /// Refuses requests and credentials once the session is closing or over, saying
    /// why it ended.
    fn check_accepting(&self) -> Result<(), SubmitError> {
        if self.state.is_terminal() || self.state == SessionState::Closing {
            return Err(SubmitError::NotAccepting {
                state: self.state,
                reason: self.state_reason.clone(),
            });
        }
        Ok(())
    }

    /// Checks a watch removal against the live registrations before it is queued.
    /// Removing one registration by its id targets the server path it is keyed
    /// under (getConfig's is `/zookeeper/config` whatever the chroot). A local
    /// removal takes effect now: the registration fires no more and is not
    /// re-registered on a reconnect; only its reply waits for its turn. While
    /// connected, the server is told too when that strips no watch this session
    /// still needs (see [`Session::local_removal_tells_server`]).
    fn check_removal(
        &mut self,
        prepared: &mut Prepared,
        watcher_type: WatcherType,
        registration: Option<RequestId>,
        local: bool,
    ) -> Result<(), SubmitError> {
        let server = match registration.and_then(|id| self.watches.server_path(id)) {
            Some(key) => key,
            None => prepared.server_path(&self.chroot),
        };
        if !self.watches.contains(&server, watcher_type, registration) {
            return Err(SubmitError::NoWatcher {
                path: prepared.client_path(&self.chroot).to_string(),
                chroot: self.chroot.for_error(),
            });
        }
        if local {
            let removed = self.watches.remove(&server, watcher_type, registration);
            let path = prepared.client_path(&self.chroot).to_string();
            self.removed_events(&path, removed);
            let tell = self.local_removal_tells_server(&server, watcher_type, registration);
            prepared.aim_removal(server, false, &self.chroot);
            let size = zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(&prepared.wire);
            if tell && size <= self.settings.max_frame {
                prepared.tell_server();
            }
            return Ok(());
        }
        // Removing the only watch this session holds on the node: ask the server to
        // drop it too (Java only checks, and the server keeps notifying). With other
        // registrations on the node the server's watch still serves them.
        let only_one = registration.is_some()
            && self.watches.count_at(&server) == 1
            && !self
                .requests
                .watching_request_pending(&server, &self.chroot);
        prepared.aim_removal(server, only_one, &self.chroot);
        Ok(())
    }

    /// Whether a local removal of `watcher_type` (only `registration`, if given) on
    /// the server path `server`, just removed here, is also sent to the server
    /// (removeWatches), so that it stops notifying for the rest of the session, as
    /// Java's local removal does. Only on a connection that serves the session: while
    /// disconnected nothing is kept for later (the reconnect's SetWatches leaves the
    /// watch out, so no server holds it). And only when what the server would drop
    /// is no watch a registration still here needs:
    ///
    /// - a watch request for the node still pending would have its watch stripped
    ///   after it is set (the non-local removal by id holds back for the same
    ///   reason): nothing is sent;
    /// - one registration: sent when it was this session's only one on the node (as
    ///   the non-local removal by id decides);
    /// - a persistent type on the pre-3.9 wire goes as Any, which drops every watch
    ///   of the session on the node: sent only when nothing is left here on it (the
    ///   non-local form removes the rest here as well; a local one leaves them be);
    /// - Data or Children on the pre-3.9 wire: such a server keeps one watch per
    ///   session and node, a persistent one included (ZOOKEEPER-4466), so a removal
    ///   of either table would cut a persistent watch still held here: sent only
    ///   when no persistent registration is left on the node;
    /// - otherwise (Any, which left nothing here, or any type with
    ///   [`Config::persistent_watcher_types`]): sent.
    fn local_removal_tells_server(
        &mut self,
        server: &str,
        watcher_type: WatcherType,
        registration: Option<RequestId>,
    ) -> bool {
        let serving =
            self.state.is_connected() && self.conn.as_ref().is_some_and(|c| c.is_established());
        if !serving || self.requests.watching_request_pending(server, &self.chroot) {
            return false;
        }
        let nothing_left = self.watches.count_at(server) == 0;
        if registration.is_some() {
            return nothing_left;
        }
        if self.settings.persistent_types {
            return true;
        }
        if watcher_type.is_persistent() {
            return nothing_left;
        }
        !self.watches.at(server).any(|r| !r.kind.is_one_shot())
    }

    fn expire_requests(&mut self, now: Instant) {
        let expired = self.requests.expire(now, &self.chroot);
        log::debug!("{} requests timed out", expired.ids.len());
        for (id, step) in expired.lost_creates {
            self.undos.remember_lost(id, step);
        }
        for id in expired.ids {
            self.reply(id, Err(RequestError::RequestTimeout));
        }
        if expired.written {
            self.drop_conn(CloseReason::RequestTimeout, now);
        }
        self.answer_local_heads();
        self.move_if_drained(now);
    }

    /// Fails the requests that waited [`Config::first_session_timeout`] for a session
    /// no server established. None of them was written: none had a connection to go on.
    fn end_first_session_waits(&mut self, now: Instant) {
        let Some(wait) = self.first_session.as_mut() else {
            return;
        };
        let due = wait.take_due(now);
        log::debug!("{} requests waited for a first session in vain", due.len());
        for (id, waited) in due {
            if self.requests.take_unsent(id) {
                self.reply(id, Err(RequestError::NoSessionEstablished { waited }));
            }
        }
        self.answer_local_heads();
    }

    /// Completes the locally answered requests at the head of the FIFO (or of the
    /// queue, when nothing is in flight): everything submitted before them is
    /// answered.
    fn answer_local_heads(&mut self) {
        while let Some(u) = self.requests.next_local_head() {
            self.answer_local(u);
        }
    }

    /// The answer of an empty multi/multiRead or a local watch removal (which took
    /// effect at submit; only the reply waited for its turn).
    fn answer_local(&mut self, u: UserRequest) {
        let result = request::local_response(u.prepared.reply);
        self.reply(u.id, Ok(result));
    }

    // ----- events --------------------------------------------------------------------
    fn reply(&mut self, id: RequestId, result: Result<Response, RequestError>) {
        self.reply_with(id, result, None);
    }

    /// Queues the one reply of `id`, unless its driver abandoned it.
    fn reply_with(
        &mut self,
        id: RequestId,
        result: Result<Response, RequestError>,
        registration: Option<Registration>,
    ) {
        if self.requests.take_abandoned(id) {
            if !self.undos.is_idle() {
                self.undos.settle(id, &result, self.session_id);
            }
            return;
        }
        self.events.push_reply(id, result, registration);
    }

    /// Queues a state change naming every registration (non-terminal ones may
    /// overflow: see [`crate::Config::max_queued_events`]), and remembers its reason.
    fn state_event(&mut self, state: KeeperState, reason: Option<StateReason>) {
        let registrations = self.watches.all();
        if reason.is_some() {
            self.state_reason.clone_from(&reason);
        }
        self.events.push(Event::State {
            state,
            registrations,
            reason,
        });
    }

    /// Queues the watch-removed events of `removed`, one per event type.
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
                self.events.push(Event::Watch(WatchEvent {
                    event_type,
                    path: path.to_string(),
                    zxid: -1,
                    registrations: regs,
                }));
            }
        }
    }

    // ----- states --------------------------------------------------------------------
    /// Moves to `to`; debug builds check that the transition is legal.
    fn set_state(&mut self, to: SessionState) {
        debug_assert!(
            self.state == to || self.state.can_transition_to(to),
            "illegal transition {:?} -> {to:?}",
            self.state
        );
        self.state = to;
    }

    /// Enters a terminal state: everything outstanding fails, every registration is
    /// told (with `reason`), the connection is closed.
    fn terminate(&mut self, to: SessionState, reason: Option<StateReason>) {
        if self.state.is_terminal() {
            return;
        }
        let id = HexSessionId(self.session_id);
        let why = log::Reason(reason.as_ref());
        if to == SessionState::Closed && !self.server_may_hold_session() {
            // No server ever held it (a connect that gave up): nothing was closed.
            log::debug!("stopped before any server established a session");
        } else if to == SessionState::Closed {
            log::info!("session {id} closed: {why}");
        } else {
            log::warning!("session {id} is {to:?}: {why}");
        }
        let (err, ks) = match (to, &reason) {
            (SessionState::Expired, _) => (RequestError::SessionExpired, KeeperState::Expired),
            // The requests fail with the server's code, which says what to configure.
            (SessionState::AuthFailed, Some(StateReason::AuthRequired { .. })) => (
                RequestError::Server {
                    code: ErrorCode::SessionClosedRequireSaslAuth,
                    path: None,
                    chroot: None,
                },
                KeeperState::AuthFailed,
            ),
            (SessionState::AuthFailed, _) => (RequestError::AuthFailed, KeeperState::AuthFailed),
            _ => (RequestError::Closing, KeeperState::Closed),
        };
        if let Some(c) = self.conn.take() {
            self.transports.push_back(Transport::Close {
                conn: c.id(),
                reason: CloseReason::SessionEnded,
            });
        }
        let ids = self.requests.take_all();
        self.first_session = None;
        self.undos.clear();
        // The state first (Java's order): a program reacting to it learns why the
        // replies that follow failed.
        self.set_state(to);
        self.state_event(ks, reason);
        for id in ids {
            self.reply(id, Err(err.clone()));
        }
        self.watches.clear();
        self.redial.stop();
        self.sasl_exchange = None;
        self.close_deadline = None;
        self.probe.stop();
        self.moving = None;
    }
}

/// Whether `body` answers the sub-ops of a multi or multiRead `request` one by one
/// (see [`zk_proto::MultiResponse::answers`]); any other reply is checked by its kind.
fn answers_sub_ops(request: &WireRequest, body: &zk_proto::WireResponse) -> bool {
    match (request, body) {
        (WireRequest::Multi(m) | WireRequest::MultiRead(m), zk_proto::WireResponse::Multi(r)) => {
            r.answers(m)
        }
        _ => true,
    }
}

/// The failing sub-op (index and code) of a rolled-back transaction, when `body`
/// answers a multi with one: every result an error, the first that is not `Ok` the
/// cause.
fn rolled_back(op: OpCode, body: &zk_proto::WireResponse) -> Option<(usize, ErrorCode)> {
    match body {
        zk_proto::WireResponse::Multi(m) if op == OpCode::Multi && m.is_failed_transaction() => {
            m.first_error()
        }
        _ => None,
    }
}
