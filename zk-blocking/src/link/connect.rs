//! Opening the session's TCP connections: a fresh DNS lookup at every dial, then a
//! blocking connect bounded by a timeout, or a non-blocking one carried on later.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use zk_session::HostAddr;

/// Resolves `host` now (every dial looks the name up again, so DNS changes are seen).
pub(super) fn resolve(host: &HostAddr) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (host.host.as_str(), host.port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} resolves to no address"),
        ));
    }
    Ok(addrs)
}

/// Resolves `host` and connects to its addresses in turn, all within `timeout`; the
/// stream has TCP_NODELAY set.
pub(super) fn dial(host: &HostAddr, timeout: Duration) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    for addr in resolve(host)? {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("connecting to {host} timed out"),
        )
    }))
}

/// A non-blocking connect that tries a host's addresses in turn.
#[derive(Debug)]
pub(super) struct Dial {
    /// The host being dialled, for messages.
    pub(super) host: HostAddr,
    /// The socket of the address being tried (non-blocking, TCP_NODELAY).
    pub(super) stream: TcpStream,
    /// The addresses still to try, the next one last.
    rest: Vec<SocketAddr>,
}

/// Where a [`Dial`] is.
pub(super) enum Connect {
    Done,
    InProgress,
    /// Every address failed; the last failure.
    Failed(io::Error),
}

impl Dial {
    /// Resolves `host` and starts connecting to the first of its addresses that takes a
    /// connect.
    pub(super) fn start(host: &HostAddr) -> io::Result<Dial> {
        let mut rest = resolve(host)?;
        rest.reverse();
        Dial::next(host.clone(), rest, None)
    }

    fn next(
        host: HostAddr,
        mut rest: Vec<SocketAddr>,
        mut last: Option<io::Error>,
    ) -> io::Result<Dial> {
        while let Some(addr) = rest.pop() {
            match start_connect(addr) {
                Ok(stream) => return Ok(Dial { host, stream, rest }),
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address left to try")))
    }

    /// Checks the connect; a failed address makes way for the next.
    pub(super) fn poll(&mut self) -> Connect {
        loop {
            let failure = match self.stream.take_error() {
                Ok(None) => match self.stream.peer_addr() {
                    Ok(_) => return Connect::Done,
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        return Connect::InProgress;
                    }
                    Err(e) => e,
                },
                Ok(Some(e)) | Err(e) => e,
            };
            let rest = std::mem::take(&mut self.rest);
            match Dial::next(self.host.clone(), rest, Some(failure)) {
                Ok(next) => *self = next,
                Err(e) => return Connect::Failed(e),
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
