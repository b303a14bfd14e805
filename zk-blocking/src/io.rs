//! Socket helpers shared by the drivers: dialling with a fresh DNS lookup, writing the
//! session's send buffer and the read-write probe. (The drivers read straight into the
//! session's receive buffer, `Session::recv_buf`, so they keep no read buffer of their
//! own.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use zk_session::{ConnId, HostAddr, Session};

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

/// How long a read-write probe may take before its host counts as not read-write.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Asks `host` with the four-letter word `isro` whether it serves read-write, blocking
/// at most `timeout`; any failure counts as "no".
pub(crate) fn probe_read_write(host: &HostAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let Ok(mut stream) = dial(host, timeout) else {
        return false;
    };
    let mut isro = IsroExchange::default();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero()
            || stream.set_read_timeout(Some(left)).is_err()
            || stream.set_write_timeout(Some(left)).is_err()
        {
            return false;
        }
        // On this blocking socket "would block" means the timeout passed.
        if let Some(read_write) = isro.advance(&mut stream) {
            return read_write;
        }
    }
}

/// One `isro` question and its answer (`rw` or `ro`) over a connected socket, carried
/// as far as the socket allows at each call: the blocking client's probe and the
/// external driver's non-blocking one share it.
#[derive(Debug, Default)]
pub(crate) struct IsroExchange {
    sent: usize,
    answer: [u8; 2],
    got: usize,
}

impl IsroExchange {
    /// Writes the question and reads the answer as far as `stream` allows:
    /// `Some(read_write)` once it is known (a failure or an early end counts as no),
    /// `None` while `stream` would block.
    pub(crate) fn advance(&mut self, stream: &mut (impl Read + Write)) -> Option<bool> {
        const QUESTION: &[u8] = b"isro";
        while self.sent < QUESTION.len() {
            match stream.write(&QUESTION[self.sent..]) {
                Ok(0) => return Some(false),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if would_block(&e) => return None,
                Err(_) => return Some(false),
            }
        }
        while self.got < self.answer.len() {
            match stream.read(&mut self.answer[self.got..]) {
                Ok(0) => return Some(false),
                Ok(n) => self.got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if would_block(&e) => return None,
                Err(_) => return Some(false),
            }
        }
        Some(&self.answer == b"rw")
    }
}

/// Writes the send buffer of `session`'s connection `conn` to `out` until the buffer is
/// empty, `out` would block (or its timeout passed), or `may_write`, asked before each
/// write, says no. `Err`: the connection failed.
///
/// A write interrupted by a signal is retried at once: it wrote nothing, and taking it
/// for "would block" could leave the bytes unsent until the session's next deadline.
pub(crate) fn write_send_buf<W: Write>(
    session: &mut Session,
    conn: ConnId,
    out: &mut W,
    mut may_write: impl FnMut(&Session, &mut W) -> bool,
) -> io::Result<()> {
    // The buffer is the current connection's: bytes for another would never drain.
    while session.current_conn() == Some(conn)
        && !session.send_buf().is_empty()
        && may_write(session, out)
    {
        match out.write(session.send_buf()) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepts no more bytes",
                ));
            }
            Ok(n) => session.advance_send(conn, n, Instant::now()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if would_block(&e) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The earlier of two optional deadlines (`None`: no deadline).
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether an error only means "try again later" on a non-blocking or timed socket.
pub(crate) fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_session::{Config, Transport};

    /// A socket that a signal interrupts once, then takes at most 7 bytes per write.
    #[derive(Default)]
    struct InterruptedOnce {
        interrupted: bool,
        written: Vec<u8>,
    }

    impl Write for InterruptedOnce {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(7);
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_interrupted_by_a_signal_is_retried_until_every_byte_is_written() {
        let now = Instant::now();
        let mut session = Session::new(Config::new("127.0.0.1:2181"), now).unwrap();
        let Some(Transport::Connect { conn, .. }) = session.poll_transport(now) else {
            panic!("a new session dials first");
        };
        session.handle_connected(conn, now);
        let handshake = session.send_buf().to_vec();
        assert!(!handshake.is_empty());

        let mut socket = InterruptedOnce::default();
        write_send_buf(&mut session, conn, &mut socket, |_, _| true).unwrap();

        assert!(socket.interrupted);
        assert_eq!(socket.written, handshake);
        assert!(session.send_buf().is_empty());
    }
}
