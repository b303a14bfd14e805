//! Fewer, larger reads while many replies are due. Linux's `SO_RCVLOWAT` makes the
//! kernel report the socket readable only once that many bytes wait (or the
//! connection ends), so a deep pipeline's replies are read in batches instead of one
//! wake-up per TCP segment. The mark never exceeds what the replies the server owes
//! are sure to bring ([`Session::replies_owed`] × [`MIN_REPLY_BYTES`]), so the driver
//! never waits for bytes that will not come; with one reply or none due it is 1, the
//! default, and a single call's latency is untouched.
//!
//! Elsewhere than Linux it does nothing.

use tokio::net::TcpStream;
use zk_session::{MIN_REPLY_BYTES, Session};

/// The highest mark set: about 90 small replies, a fraction of a socket buffer.
const MOST: usize = 16 * 1024;

/// The mark on the current socket.
#[derive(Debug)]
pub(super) struct LowWater {
    set: usize,
}

impl LowWater {
    /// A new socket's mark: the kernel's default.
    pub(super) fn new() -> LowWater {
        LowWater { set: 1 }
    }

    /// Sets the mark to what `session` is sure to receive (rounded down to a power of
    /// two, so that it seldom changes). `all_written`: the send buffer is empty, so
    /// every request it counts has reached the socket; otherwise the mark goes back
    /// to 1. Fails only if the kernel refuses the option (the connection is then
    /// better dropped than left waiting for a mark that may be too high).
    pub(super) fn adjust(
        &mut self,
        socket: &TcpStream,
        session: &Session,
        all_written: bool,
    ) -> std::io::Result<()> {
        let owed = if all_written {
            session.replies_owed(MOST / MIN_REPLY_BYTES + 2)
        } else {
            0
        };
        let sure = owed.saturating_sub(1).saturating_mul(MIN_REPLY_BYTES);
        let mark = match sure.min(MOST) {
            0 => 1,
            bytes => 1 << bytes.ilog2(),
        };
        if mark != self.set {
            set_receive_low_water(socket, mark)?;
            self.set = mark;
        }
        Ok(())
    }
}

/// Sets `SO_RCVLOWAT` on `socket` (Linux). No crate this workspace may use wraps this
/// option (socket2 0.6, nix 0.30, rustix 1.1 do not), hence the one `unsafe` call.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_receive_low_water(socket: &TcpStream, bytes: usize) -> std::io::Result<()> {
    use std::ffi::{c_int, c_void};
    use std::os::fd::AsRawFd;

    const SOL_SOCKET: c_int = 1;
    const SO_RCVLOWAT: c_int = 18;
    unsafe extern "C" {
        fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_void,
            len: u32,
        ) -> c_int;
    }
    let value = c_int::try_from(bytes).unwrap_or(c_int::MAX);
    // SAFETY: the fd is `socket`'s, open for the whole call (borrowed from it);
    // `value` is a live c_int and `len` its exact size, as setsockopt(2) requires for
    // SO_RCVLOWAT; the kernel only reads it.
    let done = unsafe {
        setsockopt(
            socket.as_raw_fd(),
            SOL_SOCKET,
            SO_RCVLOWAT,
            (&raw const value).cast(),
            std::mem::size_of::<c_int>() as u32,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn set_receive_low_water(_socket: &TcpStream, _bytes: usize) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The mark's effect: a socket with a mark of 8 bytes is not readable with 4
    /// waiting, and is with 8.
    #[tokio::test]
    async fn a_socket_with_a_mark_is_not_readable_below_it_and_is_at_it() {
        use std::time::Duration;
        use tokio::io::AsyncWriteExt;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        set_receive_low_water(&client, 8).unwrap();

        server.write_all(b"four").await.unwrap();
        let early = tokio::time::timeout(Duration::from_millis(200), client.readable()).await;
        assert!(
            early.is_err(),
            "readable with 4 bytes waiting under a mark of 8"
        );

        server.write_all(b"more").await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), client.readable())
            .await
            .expect("readable once 8 bytes wait")
            .unwrap();
    }
}
