//! The session's connection: plain TCP, or TLS over TCP (tokio-rustls over the same
//! rustls configuration the blocking drivers use). One `AsyncRead` / `AsyncWrite` for
//! the driver either way.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use zk_blocking::for_drivers::{sure_over_tls, sure_to_arrive};
use zk_session::Session;

use super::framed::FramedTcp;

/// A connection that is up (its TLS handshake, if any, done).
pub(super) enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<FramedTcp>>),
}

impl Connection {
    /// The socket underneath (for its receive low-water mark).
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Connection::Plain(tcp) => tcp,
            Connection::Tls(tls) => &tls.get_ref().0.tcp,
        }
    }

    /// A second handle on a plain socket, for a caller that writes a lone request
    /// itself (see `Core::submit`); none over TLS (its records are the driver's), or
    /// if the handle cannot be made.
    pub(super) fn direct_writer(&self) -> Option<std::net::TcpStream> {
        match self {
            #[cfg(unix)]
            Connection::Plain(tcp) => {
                use std::os::fd::AsFd;
                let fd = tcp.as_fd().try_clone_to_owned().ok()?;
                Some(std::net::TcpStream::from(fd))
            }
            _ => None,
        }
    }

    /// The bytes the server is sure to send next, for the receive low-water mark:
    /// over TLS, the rest of a record partly read, else what the session's owed
    /// replies bring once every request reached the socket. Asked after a read that
    /// found the socket empty, when TLS holds no plaintext back.
    pub(super) fn sure_to_arrive(&self, session: &Session) -> usize {
        let all_written = session.send_buf().is_empty();
        match self {
            Connection::Plain(_) => sure_to_arrive(session, all_written),
            Connection::Tls(tls) => sure_over_tls(
                session,
                &tls.get_ref().0.framing,
                all_written && !self.has_pending_output(),
            ),
        }
    }

    /// Ready when a read may bring something: over plain TCP, when the socket is
    /// readable (a read that found it empty, or came back short, made it wait for
    /// the next bytes); over TLS always (the session may hold decrypted bytes).
    /// The driver asks before it reserves room for a read: the room of the last
    /// read is often still shared with a reply its caller has not taken yet, so
    /// reserving room for a read that finds nothing would allocate a new buffer.
    pub(super) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Connection::Plain(tcp) => tcp.poll_read_ready(cx),
            Connection::Tls(_) => Poll::Ready(Ok(())),
        }
    }

    /// Whether encrypted bytes wait to go out after the plaintext was taken: the
    /// driver flushes them even with nothing new to send.
    pub(super) fn has_pending_output(&self) -> bool {
        match self {
            Connection::Plain(_) => false,
            Connection::Tls(tls) => tls.get_ref().1.wants_write(),
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Connection::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Connection::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Connection::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Connection::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
