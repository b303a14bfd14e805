//! Moving bytes between a socket and the session: reads go straight into the session's
//! receive buffer ([`Session::recv_buf`], so drivers keep no read buffer of their own),
//! writes come straight from its send buffer. Generic over `Read` / `Write`, so any
//! socket type that can say "would block" fits.

use std::io::{self, Read, Write};
use std::time::Instant;

use zk_session::{ConnId, DisconnectCause, Session};

/// What one read or write call did.
pub(super) enum Transfer {
    /// It moved this many bytes (0: the peer closed, or accepts no more).
    Moved(usize),
    /// A signal interrupted it before it moved anything: try again at once.
    Interrupted,
    /// Nothing to move now: the socket would block.
    WouldBlock,
    /// The socket's timeout passed (some platforms say WouldBlock instead); on a
    /// socket without a timeout, the connection failed.
    TimedOut(io::Error),
    /// The connection failed.
    Failed(io::Error),
}

/// Sorts the result of one read or write call.
pub(super) fn classify(result: io::Result<usize>) -> Transfer {
    match result {
        Ok(n) => Transfer::Moved(n),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Transfer::Interrupted,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Transfer::WouldBlock,
        Err(e) if e.kind() == io::ErrorKind::TimedOut => Transfer::TimedOut(e),
        Err(e) => Transfer::Failed(e),
    }
}

/// What [`read_into_session`] did.
pub(super) enum Received {
    /// Bytes went to the session; `drained`: fewer than there was room for, so the
    /// socket had no more at that moment (new bytes bring a new readiness edge).
    Bytes { drained: bool },
    /// A signal interrupted the read before it read anything.
    Interrupted,
    /// Nothing to read now (or the session has no buffer for `conn` any more).
    Nothing,
    /// The connection ended: report it with `handle_disconnected`.
    Lost(DisconnectCause, String),
}

/// One read from `stream` into the session's receive buffer for `conn`, reported with
/// `handle_received` at the time `clock` gives after the read (the read may have
/// blocked). `timed`: `stream` has a read timeout, so TimedOut only means it passed.
pub(super) fn read_into_session(
    session: &mut Session,
    conn: ConnId,
    stream: &mut impl Read,
    timed: bool,
    clock: impl FnOnce() -> Instant,
) -> Received {
    let Some(space) = session.recv_buf(conn) else {
        return Received::Nothing;
    };
    let room = space.len();
    match classify(stream.read(space)) {
        Transfer::Moved(0) => Received::Lost(
            DisconnectCause::Eof,
            "the server closed the connection".to_string(),
        ),
        Transfer::Moved(n) => {
            session.handle_received(conn, n, clock());
            Received::Bytes { drained: n < room }
        }
        Transfer::Interrupted => Received::Interrupted,
        Transfer::WouldBlock => Received::Nothing,
        Transfer::TimedOut(_) if timed => Received::Nothing,
        Transfer::TimedOut(e) | Transfer::Failed(e) => {
            Received::Lost(DisconnectCause::Io, format!("read failed: {e}"))
        }
    }
}

/// Writes the send buffer of `session`'s connection `conn` to `out` until the buffer is
/// empty, `out` would block (or its timeout passed), or `may_write`, asked before each
/// write with the time (`now`, then the time after the write before), says no.
/// `Err`: the connection failed.
///
/// A write interrupted by a signal is retried at once: it wrote nothing, and taking it
/// for "would block" could leave the bytes unsent until the session's next deadline.
pub(super) fn write_send_buf<W: Write>(
    session: &mut Session,
    conn: ConnId,
    out: &mut W,
    now: Instant,
    mut may_write: impl FnMut(&Session, &mut W, Instant) -> bool,
) -> io::Result<()> {
    let mut now = now;
    // The buffer is the current connection's: bytes for another would never drain.
    while session.current_conn() == Some(conn)
        && !session.send_buf().is_empty()
        && may_write(session, out, now)
    {
        match classify(out.write(session.send_buf())) {
            Transfer::Moved(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepts no more bytes",
                ));
            }
            Transfer::Moved(n) => {
                // The write may have blocked.
                now = Instant::now();
                session.advance_send(conn, n, now);
            }
            Transfer::Interrupted => {}
            // A blocked write waits for the next deadline or readiness either way.
            Transfer::WouldBlock | Transfer::TimedOut(_) => return Ok(()),
            Transfer::Failed(e) => return Err(e),
        }
    }
    Ok(())
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
        write_send_buf(&mut session, conn, &mut socket, now, |_, _, _| true).unwrap();

        assert!(socket.interrupted);
        assert_eq!(socket.written, handshake);
        assert!(session.send_buf().is_empty());
    }
}
