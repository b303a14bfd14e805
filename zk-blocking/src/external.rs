//! The external-loop driver: a non-blocking handle for an event loop you own.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Instant;

use bytes::Bytes;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use zk_session::{
    ConnId, DisconnectCause, Event, HostAddr, Request, RequestId, Session, SessionCredentials,
    SessionState, Transport,
};

use crate::error::Result;
use crate::io::{resolve, write_send_buf};
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

#[derive(Debug)]
enum Phase {
    /// A non-blocking connect is in progress; the other addresses of the host follow.
    Dialing { rest: Vec<SocketAddr> },
    /// Connected: the session talks over it.
    Up,
}

#[derive(Debug)]
struct Link {
    conn: ConnId,
    stream: TcpStream,
    phase: Phase,
}

/// A ZooKeeper session for an event loop you own (poll, epoll, mio, tokio's
/// `AsyncFd`): the analogue of the C client's `zookeeper_interest` and
/// `zookeeper_process`. It never blocks (except to resolve a host name, which an IP
/// address in the connect string avoids) and owns one non-blocking socket at a time.
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
/// Read-only sessions do not look for a read-write server (the probe would need a
/// second socket); they move when their connection is next re-established.
#[derive(Debug)]
pub struct ExternalDriver {
    session: Session,
    link: Option<Link>,
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
        })
    }

    /// The current socket's fd, if there is a socket.
    pub fn as_raw_fd(&self) -> Option<RawFd> {
        self.link.as_ref().map(|l| l.stream.as_raw_fd())
    }

    /// The current socket, borrowed: `try_clone_to_owned()` gives an owned duplicate
    /// for loops whose registrations must own their fd (tokio's `AsyncFd`). A
    /// duplicate keeps the connection open until it is dropped too, so drop it as soon
    /// as [`ExternalDriver::conn_id`] changes.
    pub fn as_fd(&self) -> Option<BorrowedFd<'_>> {
        self.link.as_ref().map(|l| l.stream.as_fd())
    }

    /// The id of the current connection; it changes whenever the socket is replaced.
    pub fn conn_id(&self) -> Option<ConnId> {
        self.link.as_ref().map(|l| l.conn)
    }

    /// Which readiness of [`ExternalDriver::as_raw_fd`] the driver needs now.
    pub fn interest(&self) -> Interest {
        match &self.link {
            None => Interest::default(),
            Some(Link {
                phase: Phase::Dialing { .. },
                ..
            }) => Interest {
                readable: false,
                writable: true,
            },
            Some(_) => Interest {
                readable: true,
                writable: !self.session.send_buf().is_empty(),
            },
        }
    }

    /// When to call [`ExternalDriver::process`] even if the socket stays quiet.
    pub fn deadline(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    /// Does everything there is to do at `now`: completes a connect, reads until the
    /// socket would block, runs due timers, dials or closes as the session asks, and
    /// writes until the socket would block. `readable` / `writable` say what the loop
    /// saw; spurious calls are harmless.
    pub fn process(&mut self, readable: bool, writable: bool, now: Instant) {
        if readable || writable {
            self.finish_connect(now);
        }
        if readable {
            self.read_all(now);
        }
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
            Transport::Connect { conn, host, .. } => {
                // The session's connect timer bounds the dial; it sends Close when due.
                self.link = None;
                match resolve(&host) {
                    Ok(addrs) => self.dial(conn, addrs, now),
                    Err(_) => self.dial_failed(conn, &host, now),
                }
            }
            Transport::Close { conn, .. } => {
                if self.conn_id() == Some(conn) {
                    self.link = None;
                }
            }
            Transport::ProbeReadWrite { .. } => {}
        }
    }

    /// Starts a non-blocking connect to the first address that accepts one.
    fn dial(&mut self, conn: ConnId, mut addrs: Vec<SocketAddr>, now: Instant) {
        addrs.reverse();
        while let Some(addr) = addrs.pop() {
            let Ok((stream, done)) = start_connect(addr) else {
                continue;
            };
            if done {
                self.link = Some(Link {
                    conn,
                    stream,
                    phase: Phase::Up,
                });
                self.session.handle_connected(conn, now);
            } else {
                addrs.reverse();
                self.link = Some(Link {
                    conn,
                    stream,
                    phase: Phase::Dialing { rest: addrs },
                });
            }
            return;
        }
        self.session
            .handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
    }

    fn dial_failed(&mut self, conn: ConnId, _host: &HostAddr, now: Instant) {
        self.session
            .handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
    }

    /// Checks a connect in progress: done, failed (next address), or still going.
    fn finish_connect(&mut self, now: Instant) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let Phase::Dialing { rest } = &mut link.phase else {
            return;
        };
        let failed = match link.stream.take_error() {
            Ok(Some(_)) | Err(_) => true,
            Ok(None) => match link.stream.peer_addr() {
                Ok(_) => false,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(_) => true,
            },
        };
        let conn = link.conn;
        if failed {
            let rest = std::mem::take(rest);
            self.link = None;
            self.dial(conn, rest, now);
        } else {
            link.phase = Phase::Up;
            self.session.handle_connected(conn, now);
        }
    }

    fn read_all(&mut self, now: Instant) {
        loop {
            let Some(link) = self.link.as_mut().filter(|l| matches!(l.phase, Phase::Up)) else {
                return;
            };
            let conn = link.conn;
            // Straight into the session's receive buffer: no copy of our own.
            let Some(space) = self.session.recv_buf(conn) else {
                return;
            };
            match link.stream.read(space) {
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
        let Some(link) = self.link.as_mut().filter(|l| matches!(l.phase, Phase::Up)) else {
            return false;
        };
        match write_send_buf(&mut self.session, link.conn, &mut link.stream, |_, _| true) {
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

/// Opens a non-blocking socket with TCP_NODELAY and starts connecting; `true` when the
/// connect finished at once.
///
/// std has no non-blocking connect (only the blocking `connect` / `connect_timeout`),
/// and this workspace forbids `unsafe`, so socket2 creates the socket.
fn start_connect(addr: SocketAddr) -> io::Result<(TcpStream, bool)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    let done = match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => true,
        Err(e) if connect_in_progress(&e) => false,
        Err(e) => return Err(e),
    };
    Ok((socket.into(), done))
}

/// EINPROGRESS: a non-blocking connect has started.
fn connect_in_progress(e: &io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const EINPROGRESS: i32 = 115;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const EINPROGRESS: i32 = 36;
    e.raw_os_error() == Some(EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}
