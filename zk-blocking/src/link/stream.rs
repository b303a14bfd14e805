//! A connection's byte stream: plain TCP, or TLS over TCP. Both are `Read` / `Write`
//! with the same would-block and timeout behaviour, so the transfers do not care.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use zk_session::Session;

use super::low_water;
use super::tls::TlsStream;

/// A connection that is up (its TLS handshake, if any, done).
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Stream {
    /// The socket underneath, to wait on and to set timeouts of.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.tcp,
        }
    }

    /// Whether encrypted bytes are still waiting to go out (the socket would not take
    /// them all): flush them when it is writable, even with nothing new to send.
    pub(crate) fn has_pending_output(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(tls) => tls.wants_write(),
        }
    }

    /// Sends pending encrypted bytes as far as the socket takes them now.
    pub(crate) fn flush_pending(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(_) => Ok(()),
            Stream::Tls(tls) => match tls.flush_records() {
                Err(e)
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    Err(e)
                }
                _ => Ok(()),
            },
        }
    }

    /// The bytes the server is sure to send next, for the receive low-water mark:
    /// over TLS, the rest of a record partly read, else what the session's owed
    /// replies bring once every request reached the socket (over plain TCP, with the
    /// rest of a large frame being read).
    pub(crate) fn sure_to_arrive(&self, session: &Session) -> usize {
        match self {
            Stream::Plain(_) => low_water::sure_to_arrive(session, true),
            Stream::Tls(tls) => {
                low_water::sure_over_tls(session, tls.framing(), !tls.wants_write())
            }
        }
    }

    /// Whether a read that filled less than the buffer shows the socket empty. Not
    /// over TLS: a read returns what one record held, and more may wait in the socket.
    pub(crate) fn short_read_means_empty(&self) -> bool {
        matches!(self, Stream::Plain(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}
