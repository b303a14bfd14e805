//! Opening the session's TCP connections: a fresh DNS lookup at every dial, then a
//! blocking connect bounded by a timeout, or a non-blocking one carried on later.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use zk_session::HostAddr;

/// Resolves `host` now (every dial looks the name up again, so DNS changes are seen).
pub(super) fn resolve(host: &HostAddr) -> io::Result<Vec<SocketAddr>> {
    #[cfg(test)]
    if let Some(addrs) = fake_dns::lookup(&host.host) {
        return Ok(addrs);
    }
    let addrs: Vec<SocketAddr> = (host.host.as_str(), host.port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} resolves to no address"),
        ));
    }
    Ok(addrs)
}

/// `host`'s addresses, resolved now, in the order to try them: starting `skip` places
/// further (after dials that failed, so that an address that never answers does not
/// take every dial's whole time).
fn addresses(host: &HostAddr, skip: usize) -> io::Result<Vec<SocketAddr>> {
    let mut addrs = resolve(host)?;
    let len = addrs.len();
    addrs.rotate_left(skip % len);
    Ok(addrs)
}

/// Resolves `host` and connects to its addresses in turn (from `skip` on, see
/// [`addresses`]), all within `timeout`; the stream has TCP_NODELAY set.
pub(super) fn dial(host: &HostAddr, timeout: Duration, skip: usize) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    for addr in addresses(host, skip)? {
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
    /// How many sockets this dial opened (one per address tried): it changes when the
    /// dial moves on to a new socket, which a loop waiting on the old one must learn.
    pub(super) sockets: usize,
}

/// Where a [`Dial`] is.
pub(super) enum Connect {
    Done,
    InProgress,
    /// Every address failed; the last failure.
    Failed(io::Error),
}

impl Dial {
    /// Resolves `host` and starts connecting to the first of its addresses (from
    /// `skip` on, see [`addresses`]) that takes a connect.
    pub(super) fn start(host: &HostAddr, skip: usize) -> io::Result<Dial> {
        let mut rest = addresses(host, skip)?;
        rest.reverse();
        Dial::next(host.clone(), rest, None, 0)
    }

    fn next(
        host: HostAddr,
        mut rest: Vec<SocketAddr>,
        mut last: Option<io::Error>,
        sockets: usize,
    ) -> io::Result<Dial> {
        while let Some(addr) = rest.pop() {
            match start_connect(addr) {
                Ok(stream) => {
                    let sockets = sockets + 1;
                    return Ok(Dial {
                        host,
                        stream,
                        rest,
                        sockets,
                    });
                }
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
            match Dial::next(self.host.clone(), rest, Some(failure), self.sockets) {
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

/// Host names that resolve to several addresses, for this crate's tests: the machines
/// the tests run on resolve `localhost` to one address, and a dial that moves on to a
/// host's next address is what they need to see.
#[cfg(test)]
pub(crate) mod fake_dns {
    use std::net::SocketAddr;
    use std::sync::Mutex;

    static HOSTS: Mutex<Vec<(String, Vec<SocketAddr>)>> = Mutex::new(Vec::new());

    /// From now on `name` resolves to `addrs`, in that order (ports included).
    pub(crate) fn set(name: &str, addrs: Vec<SocketAddr>) {
        let mut hosts = HOSTS.lock().unwrap_or_else(|e| e.into_inner());
        hosts.retain(|(n, _)| n != name);
        hosts.push((name.to_string(), addrs));
    }

    pub(super) fn lookup(name: &str) -> Option<Vec<SocketAddr>> {
        let hosts = HOSTS.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
    }
}
