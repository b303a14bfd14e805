//! Socket helpers shared by the drivers: dialling with a fresh DNS lookup and the
//! read-write probe. (The drivers read straight into the session's receive buffer,
//! `Session::recv_buf`, so they keep no read buffer of their own.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use zk_session::HostAddr;

/// Resolves `host` now (every dial looks the name up again, so DNS changes are seen).
pub(crate) fn resolve(host: &HostAddr) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (host.host.as_str(), host.port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{}:{} resolves to no address", host.host, host.port),
        ));
    }
    Ok(addrs)
}

/// Resolves `host` and connects to its addresses in turn, all within `timeout`; the
/// stream has TCP_NODELAY set.
pub(crate) fn dial(host: &HostAddr, timeout: Duration) -> io::Result<TcpStream> {
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
            format!("connecting to {}:{} timed out", host.host, host.port),
        )
    }))
}

/// Asks `host` with the four-letter word `isro` whether it serves read-write; any
/// failure counts as "no".
pub(crate) fn probe_read_write(host: &HostAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let Ok(mut stream) = dial(host, timeout) else {
        return false;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero()
        || stream.set_read_timeout(Some(left)).is_err()
        || stream.set_write_timeout(Some(left)).is_err()
        || stream.write_all(b"isro").is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.take(16).read_to_end(&mut answer);
    answer.starts_with(b"rw")
}

/// Whether an error only means "try again later" on a non-blocking or timed socket.
pub(crate) fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
