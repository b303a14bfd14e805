//! The TCP socket under TLS, with the record framing of what is read from it noted on
//! the way (for the receive low-water mark: see zk-blocking's `LowWater`).
//!
//! A write the server refused by hanging up counts as written: the server usually
//! sent a TLS alert saying why before it closed (a missing client certificate, say),
//! and that alert is still in the socket for the next read, which then fails with
//! the reason instead of this write failing with "Broken pipe".

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
    /// A write found the server gone: later writes are dropped too.
    hung_up: bool,
}

impl FramedTcp {
    pub(super) fn new(tcp: TcpStream) -> FramedTcp {
        FramedTcp {
            tcp,
            framing: RecordFraming::default(),
            hung_up: false,
        }
    }

    /// A write found the server gone (and was reported written).
    pub(super) fn hung_up(&self) -> bool {
        self.hung_up
    }
}

/// The server closed the connection (EPIPE) or reset it.
fn server_hung_up(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
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
        let this = self.get_mut();
        if this.hung_up {
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut this.tcp).poll_write(cx, buf) {
            Poll::Ready(Err(e)) if server_hung_up(&e) => {
                this.hung_up = true;
                Poll::Ready(Ok(buf.len()))
            }
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.hung_up {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A fatal TLS 1.2 alert record: certificate_required (116).
    const ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 116];

    async fn server_that_alerts_and_hangs_up(reset: bool) -> FramedTcp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (mut server, _) = accepted.unwrap();
        server.write_all(&ALERT).await.unwrap();
        if reset {
            // A zero linger never blocks: the close sends a reset at once.
            #[allow(deprecated)]
            server.set_linger(Some(std::time::Duration::ZERO)).unwrap();
        }
        drop(server);
        FramedTcp::new(client.unwrap())
    }

    async fn write_until_hung_up(tcp: &mut FramedTcp) {
        for _ in 0..100 {
            tcp.write_all(&[0; 512]).await.expect("reported written");
            if tcp.hung_up() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("writes never found the server gone");
    }

    #[tokio::test]
    async fn writes_after_the_server_closed_leave_its_alert_to_read() {
        let mut tcp = server_that_alerts_and_hangs_up(false).await;
        write_until_hung_up(&mut tcp).await;
        let mut read = [0; 16];
        let n = tcp.read(&mut read).await.unwrap();
        assert_eq!(&read[..n], ALERT);
    }

    #[tokio::test]
    async fn writes_after_the_server_reset_leave_its_alert_to_read() {
        let mut tcp = server_that_alerts_and_hangs_up(true).await;
        write_until_hung_up(&mut tcp).await;
        tcp.flush().await.unwrap();
        let mut read = [0; 16];
        let n = tcp.read(&mut read).await.unwrap();
        assert_eq!(&read[..n], ALERT);
    }
}
