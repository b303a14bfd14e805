//! The TCP socket under TLS, with the record framing of what is read from it noted on
//! the way (for the receive low-water mark: see zk-blocking's `LowWater`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use zk_blocking::for_drivers::RecordFraming;

/// A socket that TLS reads and writes through.
#[derive(Debug)]
pub(super) struct FramedTcp {
    pub(super) tcp: TcpStream,
    pub(super) framing: RecordFraming,
}

impl FramedTcp {
    pub(super) fn new(tcp: TcpStream) -> FramedTcp {
        FramedTcp {
            tcp,
            framing: RecordFraming::default(),
        }
    }
}

impl AsyncRead for FramedTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.tcp).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            this.framing.observe(&buf.filled()[before..]);
        }
        read
    }
}

impl AsyncWrite for FramedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
