//! The external-loop driver: a non-blocking handle for an event loop you own.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use bytes::Bytes;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use zk_session::{
    ConnId, DisconnectCause, Event, HostAddr, Request, RequestId, Session, SessionCredentials,
    SessionState, Transport,
};

use crate::error::Result;
use crate::io::{IsroExchange, PROBE_TIMEOUT, earliest, resolve, write_send_buf};
use crate::options::Options;

/// Which readiness the driver waits for on its current socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interest {
    /// Call [`ExternalDriver::process`] when the socket is readable.
    pub readable: bool,
    /// Call [`ExternalDriver::process`] when the socket is writable (a connect in
    /// progress, or bytes waiting to be written).
    pub writable: bool,
}

/// How often [`ExternalDriver::process`] should run while a read-write probe is under
/// way: the probe's socket is not among what the loop waits for.
const PROBE_TICK: Duration = Duration::from_millis(10);

/// The session's connection: connecting, then up.
#[derive(Debug)]
struct Link {
    conn: ConnId,
    dial: Dial,
    up: bool,
}

/// A read-write probe under way: connecting to the host, then asking it `isro`.
#[derive(Debug)]
struct Probe {
    host: HostAddr,
    dial: Dial,
    connected: bool,
    isro: IsroExchange,
    /// When the host counts as not read-write.
    give_up: Instant,
    /// When `process` should run next to carry the probe on.
    next_check: Instant,
}

impl Probe {
    /// Carries the probe as far as its socket allows: `Some(read_write)` once the answer
    /// is known (a failure counts as no), `None` while it goes on.
    fn advance(&mut self) -> Option<bool> {
        if !self.connected {
            match self.dial.poll() {
                Connect::Done => self.connected = true,
                Connect::InProgress => return None,
                Connect::Failed => return Some(false),
            }
        }
        self.isro.advance(&mut self.dial.stream)
    }
}

/// A ZooKeeper session for an event loop you own (poll, epoll, mio, tokio's
/// `AsyncFd`): the analogue of the C client's `zookeeper_interest` and
/// `zookeeper_process`. It never blocks (except to resolve a host name, which an IP
/// address in the connect string avoids) and owns one non-blocking socket at a time
/// for the session (and, while read-only, briefly a second one for a probe).
///
/// The loop, for each driver:
/// 1. register [`ExternalDriver::as_raw_fd`] for [`ExternalDriver::interest`]; the
///    socket changes when the session reconnects, which [`ExternalDriver::conn_id`]
///    tells (register the new fd; the old one is already closed);
/// 2. wait for readiness or [`ExternalDriver::deadline`], whichever is first;
/// 3. call [`ExternalDriver::process`] with what the loop saw and the current time
///    (also when the deadline passed, with `false, false`), then drain
///    [`ExternalDriver::poll_event`].
///
/// `process` reads and writes until the socket would block, so edge-triggered loops
/// (mio, tokio) work. [`ExternalDriver::submit`] writes at once when it can.
///
/// A read-only session looks for a read-write server when the session asks
/// ([`Transport::ProbeReadWrite`]) and moves there once one answers. The probe never
/// blocks: it asks the host `isro` over a second non-blocking socket that `process`
/// carries on. That socket is not the one to register; instead, while a probe is under
/// way, [`ExternalDriver::deadline`] is at most 10 ms away, so that the loop calls
/// `process` often enough. A host that has not answered within 1 s counts as not
/// read-write.
#[derive(Debug)]
pub struct ExternalDriver {
    session: Session,
    link: Option<Link>,
    probe: Option<Probe>,
}

impl ExternalDriver {
    /// A driver for a new session (or one resumed with `options.resume`). Nothing
    /// happens until the first [`ExternalDriver::process`], which dials.
    pub fn new(connect_string: &str, options: &Options) -> Result<ExternalDriver> {
        let now = Instant::now();
        let mut session = Session::new(options.session_config(connect_string), now)?;
        for (scheme, auth) in &options.auth {
            session.add_auth(scheme, auth.clone(), now)?;
        }
        Ok(ExternalDriver {
            session,
            link: None,
            probe: None,
        })
    }

    /// The current socket's fd, if there is a socket.
    pub fn as_raw_fd(&self) -> Option<RawFd> {
        self.link.as_ref().map(|l| l.dial.stream.as_raw_fd())
    }

    /// The current socket, borrowed: `try_clone_to_owned()` gives an owned duplicate
    /// for loops whose registrations must own their fd (tokio's `AsyncFd`). A
    /// duplicate keeps the connection open until it is dropped too, so drop it as soon
    /// as [`ExternalDriver::conn_id`] changes.
    pub fn as_fd(&self) -> Option<BorrowedFd<'_>> {
        self.link.as_ref().map(|l| l.dial.stream.as_fd())
    }

    /// The id of the current connection; it changes whenever the socket is replaced.
    pub fn conn_id(&self) -> Option<ConnId> {
        self.link.as_ref().map(|l| l.conn)
    }

    /// Which readiness of [`ExternalDriver::as_raw_fd`] the driver needs now.
    pub fn interest(&self) -> Interest {
        match &self.link {
            None => Interest::default(),
            Some(Link { up: false, .. }) => Interest {
                readable: false,
                writable: true,
            },
            Some(Link { up: true, .. }) => Interest {
                readable: true,
                writable: !self.session.send_buf().is_empty(),
            },
        }
    }

    /// When to call [`ExternalDriver::process`] even if the socket stays quiet.
    pub fn deadline(&self) -> Option<Instant> {
        earliest(
            self.session.poll_timeout(),
            self.probe.as_ref().map(|p| p.next_check),
        )
    }

    /// Does everything there is to do at `now`: completes a connect, reads until the
    /// socket would block, carries on a read-write probe, runs due timers, dials, closes
    /// or probes as the session asks, and writes until the socket would block. `readable` / `writable` say what the loop
    /// saw; spurious calls are harmless.
    pub fn process(&mut self, readable: bool, writable: bool, now: Instant) {
        if readable || writable {
            self.finish_connect(now);
        }
        if readable {
            self.read_all(now);
        }
        self.advance_probe(now);
        self.session.handle_timeout(now);
        loop {
            let mut acted = false;
            while let Some(t) = self.session.poll_transport(now) {
                acted = true;
                self.carry_out(t, now);
            }
            acted |= self.write_all(now);
            if !acted {
                break;
            }
        }
    }

    /// Queues a request and writes it if the socket can take it. Replies come from
    /// [`ExternalDriver::poll_event`] as [`Event::Reply`] with the returned id.
    pub fn submit(&mut self, request: Request) -> Result<RequestId> {
        let now = Instant::now();
        let id = self.session.submit(request, now)?;
        self.write_all(now);
        Ok(id)
    }

    /// Adds credentials (sent now if connected, and after every reconnect). Fails when
    /// the session is closing or over, or the auth packet exceeds `max_frame_size`.
    pub fn add_auth(&mut self, scheme: &str, auth: impl Into<Bytes>) -> Result<()> {
        let now = Instant::now();
        self.session.add_auth(scheme, auth.into(), now)?;
        self.write_all(now);
        Ok(())
    }

    /// Starts closing the session; keep processing until [`ExternalDriver::state`] is
    /// `Closed` (bounded by `close_timeout`).
    pub fn close(&mut self) {
        let now = Instant::now();
        self.session.close(now);
        self.process(false, false, now);
    }

    /// The next reply, watch event or state change, in wire order.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.session.poll_event()
    }

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.session.state()
    }

    /// The session id and password, to resume it elsewhere.
    pub fn credentials(&self) -> Option<SessionCredentials> {
        self.session.credentials()
    }

    /// The session machine, read-only.
    pub fn session(&self) -> &Session {
        &self.session
    }

    // ----- internals ----------------------------------------------------------------

    fn carry_out(&mut self, transport: Transport, now: Instant) {
        match transport {
            Transport::Connect { conn, host, .. } => self.dial(conn, &host, now),
            Transport::Close { conn, .. } => {
                if self.conn_id() == Some(conn) {
                    self.link = None;
                }
            }
            Transport::ProbeReadWrite { host } => self.start_probe(host, now),
        }
    }

    /// Starts connecting, or tells the session the host cannot be reached. The
    /// session's connect timer bounds the dial; it sends Close when due.
    fn dial(&mut self, conn: ConnId, host: &HostAddr, now: Instant) {
        self.link = None;
        let Some(mut dial) = resolve(host).ok().and_then(Dial::start) else {
            return self
                .session
                .handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
        };
        match dial.poll() {
            Connect::Failed => {
                self.session
                    .handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
            }
            Connect::InProgress => {
                self.link = Some(Link {
                    conn,
                    dial,
                    up: false,
                });
            }
            Connect::Done => {
                self.link = Some(Link {
                    conn,
                    dial,
                    up: true,
                });
                self.session.handle_connected(conn, now);
            }
        }
    }

    /// Checks a connect in progress: done, failed (after every address), or still going.
    fn finish_connect(&mut self, now: Instant) {
        let Some(link) = self.link.as_mut().filter(|l| !l.up) else {
            return;
        };
        match link.dial.poll() {
            Connect::InProgress => {}
            Connect::Done => {
                link.up = true;
                let conn = link.conn;
                self.session.handle_connected(conn, now);
            }
            Connect::Failed => {
                let conn = link.conn;
                self.link = None;
                self.session
                    .handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
            }
        }
    }

    /// Starts asking `host` whether it serves read-write. A probe still under way gives
    /// way to it (its host counts as not read-write).
    fn start_probe(&mut self, host: HostAddr, now: Instant) {
        if let Some(old) = self.probe.take() {
            self.session.handle_probe_result(&old.host, false, now);
        }
        match resolve(&host).ok().and_then(Dial::start) {
            Some(dial) => {
                self.probe = Some(Probe {
                    host,
                    dial,
                    connected: false,
                    isro: IsroExchange::default(),
                    give_up: later(now, PROBE_TIMEOUT),
                    next_check: later(now, PROBE_TICK),
                });
            }
            None => self.session.handle_probe_result(&host, false, now),
        }
    }

    /// Carries the probe on, and reports its answer once there is one (or its time is
    /// up). A session no longer read-only has no use for it.
    fn advance_probe(&mut self, now: Instant) {
        if self.session.state() != SessionState::ConnectedReadOnly {
            self.probe = None;
            return;
        }
        let Some(probe) = self.probe.as_mut() else {
            return;
        };
        let read_write = match probe.advance() {
            Some(answer) => answer,
            None if now >= probe.give_up => false,
            None => {
                probe.next_check = later(now, PROBE_TICK).min(probe.give_up);
                return;
            }
        };
        let host = probe.host.clone();
        self.probe = None;
        self.session.handle_probe_result(&host, read_write, now);
    }

    fn read_all(&mut self, now: Instant) {
        loop {
            let Some(link) = self.link.as_mut().filter(|l| l.up) else {
                return;
            };
            let conn = link.conn;
            // Straight into the session's receive buffer: no copy of our own.
            let Some(space) = self.session.recv_buf(conn) else {
                return;
            };
            match link.dial.stream.read(space) {
                Ok(0) => return self.lost(DisconnectCause::Eof, now),
                Ok(n) => self.session.handle_received(conn, n, now),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return self.lost(DisconnectCause::Io, now),
            }
        }
    }

    /// Writes until the send buffer is empty or the socket would block; returns whether
    /// the connection was lost.
    fn write_all(&mut self, now: Instant) -> bool {
        let Some(link) = self.link.as_mut().filter(|l| l.up) else {
            return false;
        };
        match write_send_buf(
            &mut self.session,
            link.conn,
            &mut link.dial.stream,
            |_, _| true,
        ) {
            Ok(()) => false,
            Err(_) => {
                self.lost(DisconnectCause::Io, now);
                true
            }
        }
    }

    fn lost(&mut self, cause: DisconnectCause, now: Instant) {
        if let Some(link) = self.link.take() {
            self.session.handle_disconnected(link.conn, cause, now);
        }
    }
}

/// `now + d`, or `now` at the end of the clock (the caller's `now` is not checked).
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or(now)
}

/// A non-blocking connect that tries a host's addresses in turn.
#[derive(Debug)]
struct Dial {
    stream: TcpStream,
    /// The addresses still to try, the next one last.
    rest: Vec<SocketAddr>,
}

/// Where a [`Dial`] is.
enum Connect {
    Done,
    InProgress,
    /// Every address failed.
    Failed,
}

impl Dial {
    /// Starts connecting to the first of `addrs` that takes a connect.
    fn start(mut addrs: Vec<SocketAddr>) -> Option<Dial> {
        addrs.reverse();
        Dial::next(addrs)
    }

    fn next(mut rest: Vec<SocketAddr>) -> Option<Dial> {
        while let Some(addr) = rest.pop() {
            if let Ok(stream) = start_connect(addr) {
                return Some(Dial { stream, rest });
            }
        }
        None
    }

    /// Checks the connect; a failed address makes way for the next.
    fn poll(&mut self) -> Connect {
        loop {
            if let Ok(None) = self.stream.take_error() {
                match self.stream.peer_addr() {
                    Ok(_) => return Connect::Done,
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        return Connect::InProgress;
                    }
                    Err(_) => {}
                }
            }
            match Dial::next(std::mem::take(&mut self.rest)) {
                Some(next) => *self = next,
                None => return Connect::Failed,
            }
        }
    }
}

/// Opens a non-blocking socket with TCP_NODELAY and starts connecting.
///
/// std has no non-blocking connect (only the blocking `connect` / `connect_timeout`),
/// and this workspace forbids `unsafe`, so socket2 creates the socket.
fn start_connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if connect_in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    Ok(socket.into())
}

/// EINPROGRESS: a non-blocking connect has started.
fn connect_in_progress(e: &io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const EINPROGRESS: i32 = 115;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const EINPROGRESS: i32 = 36;
    e.raw_os_error() == Some(EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}
