//! The socket side of a session, shared by every driver: it carries out the session's
//! transport actions (dial with a fresh DNS lookup and TCP_NODELAY, close, probe a host
//! for read-write), reads straight into the session's receive buffer, writes its send
//! buffer, and reports every lost connection with `handle_disconnected`. A driver adds
//! only how it waits and what it hands to its caller.
//!
//! How the link may wait is fixed when it is made:
//! * [`Link::blocking`]: [`Link::read_once`] waits up to a deadline, writes wait at
//!   most until the session's next deadline. Dials and probes do not block (on unix):
//!   they start in [`Link::act`], a dial goes on in [`Link::wait_for_dial`], which
//!   waits for its socket at most until the caller's deadline, and a probe in
//!   [`Link::advance_probe`]; the session's connect timer bounds a dial, however many
//!   waits it spans. Once up, the socket is blocking again. (Elsewhere, with no way
//!   to wait on a connecting socket, dials and probes finish inside [`Link::act`],
//!   bounded by the session's connect timeout and 1 s per probe.) For a driver that
//!   runs the session in its caller's thread (the blocking client).
//! * [`Link::non_blocking`]: nothing blocks (except resolving a host name). Dials and
//!   probes start in [`Link::act`] and go on in [`Link::finish_connect`] and
//!   [`Link::advance_probe`]; [`Link::read_available`] and writes stop where the
//!   socket would block. The driver waits until [`Link::stream`] is writable (while
//!   [`Link::is_connecting`]) or readable, or [`Link::deadline`] passes. For any driver
//!   that waits on readiness: the external driver, an IO thread over a poller, an
//!   async task over the socket's fd.

mod connect;
#[cfg(test)]
pub(crate) use connect::fake_dns;
pub(crate) mod low_water;
mod probe;
mod readiness;
pub(crate) mod record_framing;
mod stream;
mod timeouts;
mod tls;
mod transfer;

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use zk_session::{ConnId, DisconnectCause, HostAddr, Session, SessionState, Transport};

use crate::connect_problems::ConnectProblems;

use connect::{Connect, Dial, dial};
use low_water::LowWater;
use probe::{Probe, probe_blocking};
use stream::Stream;
use timeouts::Timeouts;
pub(crate) use tls::explain as explain_tls_failure;
use tls::{Handshake, TlsStream};
use transfer::{Received, read_into_session, write_send_buf};

/// What a connection the server closed before answering the handshake may mean: a
/// ZooKeeper server closes it without a word while it serves no sessions (its
/// ensemble has no quorum, or is electing a leader), when the port is its TLS port
/// (`secureClientPort`) and the session has no TLS, or when it is read-only and the
/// session does not accept read-only servers. `why` is what the driver saw; `None`
/// when the loss was something else (another cause, or after the handshake).
pub fn explain_handshake_loss(
    why: &str,
    cause: DisconnectCause,
    session: &Session,
    tls: bool,
) -> Option<String> {
    if cause != DisconnectCause::Eof || !session.awaiting_handshake() {
        return None;
    }
    let host = session.current_host()?;
    let tls_port = if tls {
        ""
    } else {
        "on its TLS port (secureClientPort) to a client without TLS (if this is one, connect with Options::tls), and "
    };
    Some(format!(
        "{host}: {why} before answering the handshake: a ZooKeeper server does that while it serves no sessions (its ensemble has no quorum, or is electing a leader: it answers once it serves again), {tls_port}when read-only to a client that does not accept read-only servers (Options::read_only)"
    ))
}

/// The TLS settings of a session's connections, ready to use (drivers in other crates
/// get them from `for_drivers::link_tls`).
#[derive(Debug, Clone)]
pub struct LinkTls {
    /// The rustls configuration every connection shares.
    pub config: Arc<ClientConfig>,
    /// Whether it presents a client certificate (to explain a server's refusal).
    pub has_client_cert: bool,
}

/// The session's connection and what goes on around it (see the module docs).
#[derive(Debug)]
pub(crate) struct Link {
    /// Whether reads and writes may block (and dials and probes, where nothing can
    /// wait on a connecting socket: see [`Link::dials_blocking`]).
    blocking: bool,
    /// The session's current connection, connecting or up.
    connection: Option<Connection>,
    /// A non-blocking read-write probe under way (a blocking one ends where it starts).
    probe: Option<Probe>,
    /// The dial, close and IO problems, for errors that say why no server answered.
    problems: ConnectProblems,
    /// TLS on every connection, when set.
    tls: Option<LinkTls>,
    /// How many sockets the link opened: the last one's [`SocketId`].
    sockets: u64,
    /// Per host, how many of its addresses its next dial skips: one more after each
    /// of its dials that failed, so that an address that never answers (a
    /// blackholed IPv6 route, say) does not take the whole time of every dial.
    skips: HashMap<HostAddr, usize>,
}

/// Which socket a link has: every socket it opens gets a new one, including each
/// further address a dial moves on to within one connection of the session (a host
/// name with several addresses), where the session's [`ConnId`] stays the same. A
/// loop that waits on the socket registers the new one whenever this changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(u64);

impl std::fmt::Display for SocketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "socket #{}", self.0)
    }
}

/// One connection of the session: the id the session gave it, its socket and that
/// socket's id, and the socket's receive low-water mark and (blocking link) timeouts
/// as set.
#[derive(Debug)]
struct Connection {
    conn: ConnId,
    socket_id: SocketId,
    socket: Socket,
    low_water: LowWater,
    timeouts: Timeouts,
}

impl Connection {
    fn new(conn: ConnId, socket_id: SocketId, socket: Socket) -> Connection {
        Connection {
            conn,
            socket_id,
            socket,
            low_water: LowWater::new(),
            timeouts: Timeouts::default(),
        }
    }
}

#[derive(Debug)]
enum Socket {
    /// A non-blocking connect in progress.
    Connecting(Dial),
    /// Connected; a non-blocking TLS handshake in progress.
    Handshaking(Box<TlsStream>),
    Up(Stream),
}

impl Socket {
    /// The host being dialled, while the socket is not up yet.
    fn dialling(self) -> Option<HostAddr> {
        match self {
            Socket::Connecting(dial) => Some(dial.host),
            Socket::Handshaking(tls) => Some(tls.host.clone()),
            Socket::Up(_) => None,
        }
    }

    fn stream(&self) -> &TcpStream {
        match self {
            Socket::Connecting(dial) => &dial.stream,
            Socket::Handshaking(tls) => &tls.tcp,
            Socket::Up(stream) => stream.tcp(),
        }
    }
}

impl Link {
    /// A link to the hosts of `connect_string` whose dials, probes, reads and writes
    /// may block (see the module docs).
    pub(crate) fn blocking(connect_string: &str, tls: Option<LinkTls>) -> Link {
        Link::new(connect_string, true, tls)
    }

    /// A link that never blocks (see the module docs).
    // Only the external driver, a unix one, waits on readiness so far.
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn non_blocking(connect_string: &str, tls: Option<LinkTls>) -> Link {
        Link::new(connect_string, false, tls)
    }

    fn new(connect_string: &str, blocking: bool, tls: Option<LinkTls>) -> Link {
        Link {
            blocking,
            connection: None,
            probe: None,
            problems: ConnectProblems::new(connect_string),
            tls,
            sockets: 0,
            skips: HashMap::new(),
        }
    }

    /// How many of `host`'s addresses its next dial skips.
    fn skip(&self, host: &HostAddr) -> usize {
        self.skips.get(host).copied().unwrap_or(0)
    }

    /// A dial of `host` failed: its next one starts at the following address.
    fn dial_failed(&mut self, host: &HostAddr) {
        // The hosts are the connect string's (and reconfigurations'): few. Bounded
        // anyway.
        if self.skips.len() >= MAX_HOSTS_REMEMBERED && !self.skips.contains_key(host) {
            self.skips.clear();
        }
        let skip = self.skips.entry(host.clone()).or_default();
        *skip = skip.wrapping_add(1);
    }

    /// The id of a socket just opened.
    fn new_socket_id(&mut self) -> SocketId {
        self.sockets += 1;
        SocketId(self.sockets)
    }

    /// The id of the current socket (connecting or up): it changes whenever the link
    /// opens another one, also within one connection (see [`SocketId`]).
    pub(crate) fn socket_id(&self) -> Option<SocketId> {
        self.connection.as_ref().map(|c| c.socket_id)
    }

    /// The id of the current connection (connecting or up).
    pub(crate) fn conn_id(&self) -> Option<ConnId> {
        self.connection.as_ref().map(|c| c.conn)
    }

    /// The current connection's socket, the one to wait on.
    pub(crate) fn stream(&self) -> Option<&TcpStream> {
        self.connection.as_ref().map(|c| c.socket.stream())
    }

    /// Which readiness of [`Link::stream`] a waiting driver needs: (readable,
    /// writable). While connecting, writable; while a TLS handshake goes on, what it
    /// wants next; once up, readable, and writable while there are bytes to send.
    pub(crate) fn readiness(&self, session: &Session) -> (bool, bool) {
        match self.connection.as_ref().map(|c| &c.socket) {
            None => (false, false),
            Some(Socket::Connecting(_)) => (false, true),
            Some(Socket::Handshaking(tls)) => (tls.wants_read(), tls.wants_write()),
            Some(Socket::Up(stream)) => (
                true,
                !session.send_buf().is_empty() || stream.has_pending_output(),
            ),
        }
    }

    /// When the driver should call in even if no socket stirs: the session's next
    /// deadline, or the next step of a non-blocking probe ([`Link::advance_probe`]).
    pub(crate) fn deadline(&self, session: &Session) -> Option<Instant> {
        earliest(
            session.poll_timeout(),
            self.probe.as_ref().map(|p| p.next_check),
        )
    }

    /// The problems seen while connecting, to record a new host list in.
    pub(crate) fn problems_mut(&mut self) -> &mut ConnectProblems {
        &mut self.problems
    }

    /// The problems seen while connecting, for the errors that say why no server
    /// answered.
    pub(crate) fn problems(&self) -> &ConnectProblems {
        &self.problems
    }

    /// Carries out the session's transport actions, then writes its send buffer;
    /// returns whether anything happened that can give the session more to do (an
    /// action, a lost connection). Run it until it returns false.
    pub(crate) fn act(&mut self, session: &mut Session, now: Instant) -> bool {
        let mut acted = false;
        while let Some(transport) = session.poll_transport(now) {
            acted = true;
            self.carry_out(session, transport, now);
        }
        if session.state().is_connected() {
            self.problems.session_up();
        }
        acted | self.write(session, now)
    }

    /// Drops the socket without telling the session, which is over or is being left
    /// to expire.
    pub(crate) fn release(&mut self) {
        self.connection = None;
        self.probe = None;
    }

    fn carry_out(&mut self, session: &mut Session, transport: Transport, now: Instant) {
        match transport {
            Transport::Connect {
                conn,
                host,
                timeout,
            } => {
                self.connection = None;
                self.problems.dialling(&host);
                if self.dials_blocking() {
                    self.dial_blocking(session, conn, &host, timeout);
                } else {
                    self.start_dial(session, conn, &host, now);
                }
            }
            Transport::Close { conn, reason } => {
                if self.conn_id() == Some(conn) {
                    // A dial the session gave up on (its connect timeout).
                    if let Some(host) = self.connection.take().and_then(|c| c.socket.dialling()) {
                        self.dial_failed(&host);
                    }
                }
                self.problems.record_close(&reason);
            }
            Transport::ProbeReadWrite { host } if self.dials_blocking() => {
                let read_write = probe_blocking(&host, self.tls.as_ref());
                session.handle_probe_result(&host, read_write, Instant::now());
            }
            Transport::ProbeReadWrite { host } => self.start_probe(session, host, now),
        }
    }

    /// Whether dials and probes finish where they start, blocking: only on a blocking
    /// link where nothing can wait on a connecting socket (not unix, see
    /// `readiness`). Elsewhere a blocking link dials as a non-blocking one does and
    /// waits in [`Link::wait_for_dial`], so that a dial never holds its caller past
    /// the caller's own deadline.
    fn dials_blocking(&self) -> bool {
        self.blocking && !cfg!(unix)
    }

    /// Whether a dial (connect or TLS handshake) is under way.
    pub(crate) fn is_connecting(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(|c| !matches!(c.socket, Socket::Up(_)))
    }

    /// For a blocking link: waits until the dial under way can move on (its socket is
    /// ready as [`Link::readiness`] says) or `wake` passes (not at all once it has;
    /// `now` is the caller's last clock reading), then carries it on. The dial goes on
    /// across waits until it is up, fails, or the session's connect timer ends it.
    /// Returns the clock reading taken after the wait.
    pub(crate) fn wait_for_dial(
        &mut self,
        session: &mut Session,
        wake: Option<Instant>,
        now: Instant,
    ) -> Instant {
        if let Some(connection) = self.connection.as_ref() {
            let timeout = wake.map_or(LONGEST_WAIT, |w| w.saturating_duration_since(now));
            let wanted = self.readiness(session);
            if let Err(e) = readiness::wait_ready(connection.socket.stream(), wanted, timeout) {
                // Without a poller (out of file descriptors, say) the dial cannot be
                // waited for: it fails, and the session tries again after its backoff.
                let conn = connection.conn;
                let now = Instant::now();
                let e =
                    std::io::Error::new(e.kind(), format!("cannot wait for the connection: {e}"));
                if let Some(host) = self.connection.take().and_then(|c| c.socket.dialling()) {
                    self.connect_failed(session, conn, &host, &e, now);
                }
                return now;
            }
        }
        let now = Instant::now();
        self.finish_connect(session, now);
        now
    }

    /// [`Link::up`] for a plain TCP connection just accepted.
    fn reached_up(&mut self, stream: Stream) -> std::io::Result<Socket> {
        self.problems.reached(false);
        self.up(stream)
    }

    /// A socket that finished its dial, as the link uses it: a blocking link's reads
    /// and writes block (with timeouts) again.
    fn up(&self, stream: Stream) -> std::io::Result<Socket> {
        if self.blocking {
            stream.tcp().set_nonblocking(false)?;
        }
        Ok(Socket::Up(stream))
    }

    /// Connects within `timeout` and tells the session how it went.
    fn dial_blocking(
        &mut self,
        session: &mut Session,
        conn: ConnId,
        host: &HostAddr,
        timeout: Duration,
    ) {
        let deadline = Instant::now() + timeout;
        let skip = self.skip(host);
        let problems = &mut self.problems;
        let stream = dial(host, timeout, skip).and_then(|tcp| match &self.tls {
            None => {
                problems.reached(false);
                Ok(Stream::Plain(tcp))
            }
            Some(tls) => {
                problems.reached(true);
                let mut stream = TlsStream::start(tcp, &tls.config, host, tls.has_client_cert)?;
                stream.handshake_blocking(deadline)?;
                problems.secured();
                Ok(Stream::Tls(Box::new(stream)))
            }
        });
        match stream {
            Ok(stream) => {
                let id = self.new_socket_id();
                self.connection = Some(Connection::new(conn, id, Socket::Up(stream)));
                session.handle_connected(conn, Instant::now());
            }
            Err(e) => self.connect_failed(session, conn, host, &e, Instant::now()),
        }
    }

    /// Starts connecting, or tells the session the host cannot be reached. The
    /// session's connect timer bounds the dial; it sends Close when due.
    fn start_dial(&mut self, session: &mut Session, conn: ConnId, host: &HostAddr, now: Instant) {
        match Dial::start(host, self.skip(host)) {
            Ok(dial) => {
                let id = self.new_socket_id();
                self.connection = Some(Connection::new(conn, id, Socket::Connecting(dial)));
                self.finish_connect(session, now);
            }
            Err(e) => self.connect_failed(session, conn, host, &e, now),
        }
    }

    /// Checks a non-blocking connect (and TLS handshake) in progress: done, failed
    /// (after every address), or still going.
    pub(crate) fn finish_connect(&mut self, session: &mut Session, now: Instant) {
        loop {
            let Some(Connection {
                conn,
                mut socket_id,
                socket,
                low_water,
                timeouts,
            }) = self.connection.take()
            else {
                return;
            };
            let was_up = matches!(socket, Socket::Up(_));
            let socket = match socket {
                Socket::Connecting(mut dial) => match self.poll_dial(&mut dial, &mut socket_id) {
                    Connect::InProgress => Socket::Connecting(dial),
                    Connect::Failed(e) => {
                        return self.connect_failed(session, conn, &dial.host, &e, now);
                    }
                    Connect::Done => match &self.tls {
                        None => match self.reached_up(Stream::Plain(dial.stream)) {
                            Ok(up) => up,
                            Err(e) => {
                                return self.connect_failed(session, conn, &dial.host, &e, now);
                            }
                        },
                        Some(tls) => {
                            let has_cert = tls.has_client_cert;
                            self.problems.reached(true);
                            match TlsStream::start(dial.stream, &tls.config, &dial.host, has_cert) {
                                Ok(tls) => {
                                    // Straight on with the handshake's first flight.
                                    let socket = Socket::Handshaking(Box::new(tls));
                                    let connection = Connection::new(conn, socket_id, socket);
                                    self.connection = Some(connection);
                                    continue;
                                }
                                Err(e) => {
                                    return self.connect_failed(session, conn, &dial.host, &e, now);
                                }
                            }
                        }
                    },
                },
                Socket::Handshaking(mut tls) => match tls.handshake_step() {
                    Handshake::InProgress => Socket::Handshaking(tls),
                    Handshake::Done => {
                        let host = tls.host.clone();
                        self.problems.secured();
                        match self.up(Stream::Tls(tls)) {
                            Ok(up) => up,
                            Err(e) => return self.connect_failed(session, conn, &host, &e, now),
                        }
                    }
                    Handshake::Failed(e) => {
                        let host = tls.host.clone();
                        return self.connect_failed(session, conn, &host, &e, now);
                    }
                },
                up @ Socket::Up(_) => up,
            };
            let up = matches!(socket, Socket::Up(_)) && !was_up;
            self.connection = Some(Connection {
                conn,
                socket_id,
                socket,
                low_water,
                timeouts,
            });
            if up {
                session.handle_connected(conn, now);
            }
            return;
        }
    }

    /// Checks a dial; if it moved on to the host's next address, its new socket gets
    /// a new id.
    fn poll_dial(&mut self, dial: &mut Dial, socket_id: &mut SocketId) -> Connect {
        let sockets = dial.sockets;
        let connect = dial.poll();
        if dial.sockets != sockets {
            *socket_id = self.new_socket_id();
        }
        connect
    }

    /// Tells the session a dial failed, keeping why for [`Link::connect_problem`].
    fn connect_failed(
        &mut self,
        session: &mut Session,
        conn: ConnId,
        host: &HostAddr,
        e: &std::io::Error,
        now: Instant,
    ) {
        #[cfg(feature = "tracing")]
        tracing::warn!(
            "could not connect to {host} ({conn} of session 0x{:x}): {e}",
            session.session_id()
        );
        self.problems.record(format!("{host}: {e}"));
        self.dial_failed(host);
        session.handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
    }

    /// Starts asking `host` whether it serves read-write. A probe still under way gives
    /// way to it (its host counts as not read-write).
    fn start_probe(&mut self, session: &mut Session, host: HostAddr, now: Instant) {
        if let Some(old) = self.probe.take() {
            session.handle_probe_result(&old.host, false, now);
        }
        match Probe::start(host.clone(), self.tls.clone(), now) {
            Some(probe) => self.probe = Some(probe),
            None => session.handle_probe_result(&host, false, now),
        }
    }

    /// Carries a non-blocking probe on, and reports its answer once there is one (or
    /// its time is up). A session no longer read-only has no use for it.
    #[inline]
    pub(crate) fn advance_probe(&mut self, session: &mut Session, now: Instant) {
        // Asked at every turn of the blocking client: most have no probe.
        if self.probe.is_some() {
            self.advance_probe_under_way(session, now);
        }
    }

    fn advance_probe_under_way(&mut self, session: &mut Session, now: Instant) {
        let Some(probe) = self.probe.as_mut() else {
            return;
        };
        if session.state() != SessionState::ConnectedReadOnly {
            self.probe = None;
            return;
        }
        if let Some(read_write) = probe.advance(now) {
            let host = probe.host.clone();
            self.probe = None;
            session.handle_probe_result(&host, read_write, now);
        }
    }

    /// One read, waiting until `wake` at the latest (not at all once it has passed;
    /// `now` is the caller's last clock reading), for a blocking link. Returns the
    /// clock reading taken when bytes came (the session was told with it).
    #[must_use]
    pub(crate) fn read_once(
        &mut self,
        session: &mut Session,
        wake: Option<Instant>,
        now: Instant,
    ) -> Option<Instant> {
        // Half: a blocking read copies what is there at once, then sleeps until as
        // many bytes as the mark arrive *after* that copy (the kernel's wake-up test
        // counts only uncopied bytes), so it may need up to twice the mark. Inside a
        // large frame that is half its rest: the read (of up to the whole rest) wakes
        // once or twice per frame instead of once per segment.
        if self.settle_mark(session, 2, now) {
            return None;
        }
        let Some(Connection {
            conn,
            socket: Socket::Up(stream),
            timeouts,
            ..
        }) = self.connection.as_mut()
        else {
            return None;
        };
        let conn = *conn;
        let timeout = wake.map_or(LONGEST_WAIT, |w| w.saturating_duration_since(now));
        let poll = timeout.is_zero();
        if poll {
            // Poll without blocking: the shortest timeout std allows.
            if stream.tcp().set_nonblocking(true).is_err() {
                return None;
            }
        } else if timeouts.read(stream.tcp(), timeout).is_err() {
            return None;
        }
        let mut read_at = None;
        let received = read_into_session(session, conn, stream, true, || {
            *read_at.insert(Instant::now())
        });
        if poll {
            let _ = stream.tcp().set_nonblocking(false);
        }
        // Interrupted, or nothing: the caller's loop reads again with a fresh deadline.
        if let Received::Lost(cause, why) = received {
            self.lost(session, cause, why, Instant::now());
            return None;
        }
        read_at
    }

    /// Reads until the socket is empty (it would block, or a read came back short),
    /// for a non-blocking link. `after_read` is called after each read that brought
    /// bytes, to take what they made of the session's events before the next read
    /// (see [`crate::ExternalDriver::process_handing_out`]).
    pub(crate) fn read_available(
        &mut self,
        session: &mut Session,
        now: Instant,
        mut after_read: impl FnMut(&mut Session, &ConnectProblems),
    ) {
        while let Some(Connection {
            conn,
            socket: Socket::Up(stream),
            ..
        }) = self.connection.as_mut()
        {
            let short_means_empty = stream.short_read_means_empty();
            let received = read_into_session(session, *conn, stream, false, || now);
            if let Received::Bytes { .. } = received {
                after_read(session, &self.problems);
            }
            match received {
                // A short read emptied the socket: one more read would only say so.
                Received::Bytes { drained: true } if short_means_empty => return,
                Received::Nothing => return,
                Received::Bytes { .. } | Received::Interrupted => {}
                Received::Lost(cause, why) => return self.lost(session, cause, why, now),
            }
        }
    }

    /// Before a non-blocking link's driver waits: sets the receive low-water mark to
    /// what the server is sure to send (see `low_water`), so that the socket turns
    /// readable once per batch of replies rather than per segment. Replies come only
    /// through reads, so the mark stays safe until the next one. Returns whether the
    /// connection was lost (the kernel refused the mark).
    pub(crate) fn settle_low_water(&mut self, session: &mut Session, now: Instant) -> bool {
        self.settle_mark(session, 1, now)
    }

    /// Sets the receive low-water mark to the `share`-th part of what the server is
    /// sure to send (the owed replies, and the rest of a large frame being read); true
    /// if the kernel refused it and the connection was dropped.
    fn settle_mark(&mut self, session: &mut Session, share: usize, now: Instant) -> bool {
        let Some(Connection {
            socket: Socket::Up(stream),
            low_water,
            ..
        }) = self.connection.as_mut()
        else {
            return false;
        };
        match low_water.settle(stream.tcp(), stream.sure_to_arrive(session) / share) {
            Ok(()) => false,
            Err(e) => {
                let why = format!("setting the receive low-water mark failed: {e}");
                self.lost(session, DisconnectCause::Io, why, now);
                true
            }
        }
    }

    /// Writes the session's send buffer: a blocking link waits at most until the
    /// session's next deadline, a non-blocking one stops where the socket would block.
    /// Returns whether the connection was lost.
    pub(crate) fn write(&mut self, session: &mut Session, now: Instant) -> bool {
        let Some(Connection {
            conn,
            socket: Socket::Up(stream),
            timeouts,
            ..
        }) = self.connection.as_mut()
        else {
            return false;
        };
        // A blocking write waits at most until the session's next deadline.
        let mut bounded = |session: &Session, stream: &mut Stream, now: Instant| {
            let left = session
                .poll_timeout()
                .map_or(Duration::from_secs(1), |d| d.saturating_duration_since(now));
            !left.is_zero() && timeouts.write(stream.tcp(), left).is_ok()
        };
        let written = if self.blocking {
            write_send_buf(session, *conn, stream, now, &mut bounded).and_then(|()| {
                // TLS records the socket did not take (its timeout passed) go out now.
                if stream.has_pending_output() && bounded(session, stream, Instant::now()) {
                    stream.flush_pending()?;
                }
                Ok(())
            })
        } else {
            // ... or on the socket's next writable edge.
            write_send_buf(session, *conn, stream, now, |_, _, _| true)
                .and_then(|()| stream.flush_pending())
        };
        match written {
            Ok(()) => false,
            Err(e) => {
                let now = if self.blocking { Instant::now() } else { now };
                self.lost(
                    session,
                    DisconnectCause::Io,
                    format!("write failed: {e}"),
                    now,
                );
                true
            }
        }
    }

    /// Drops the current connection and tells the session.
    fn lost(&mut self, session: &mut Session, cause: DisconnectCause, why: String, now: Instant) {
        let refused = explain_handshake_loss(&why, cause, session, self.tls.is_some());
        if let Some(connection) = self.connection.take() {
            // The session logs the loss and its host; this is the IO error behind it.
            #[cfg(feature = "tracing")]
            tracing::debug!(
                "{}: {}",
                connection.conn,
                refused.as_deref().unwrap_or(&why)
            );
            match refused {
                Some(explained) => self.problems.record_refused_handshake(explained),
                None => self.problems.record(why),
            }
            session.handle_disconnected(connection.conn, cause, now);
        }
    }
}

/// Hosts whose dial failures [`Link`] remembers (see `skips`).
const MAX_HOSTS_REMEMBERED: usize = 256;

/// The longest a blocking read waits when nothing sets a deadline (the caller's loop
/// then reads again).
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// The earlier of two optional deadlines (`None`: no deadline).
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
