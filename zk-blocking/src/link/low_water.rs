//! Fewer, larger reads while many replies are due. Linux's `SO_RCVLOWAT` makes the
//! kernel hold a read (or report the socket readable) until that many bytes wait, the
//! read's timeout passes, or the connection ends; so a deep pipeline's replies are read
//! in batches instead of one wake-up per TCP segment or TLS record.
//!
//! The mark never exceeds what the server is sure to send: every reply owed for a
//! request whose bytes all reached the socket is at least [`MIN_REPLY_BYTES`], and one
//! of them may be partly read already ([`sure_to_arrive`]); over TLS, the rest of a
//! record that is partly read ([`RecordFraming`]). A driver sets it only just before it
//! waits, from what it knows then, so no wait is for bytes that will not come, and the
//! session's next deadline stays the wait's limit. With one reply due or none, the
//! mark is 1, the kernel's default: a single call's latency is untouched.
//!
//! Elsewhere than Linux it does nothing.

use std::io;
#[cfg(unix)]
use std::os::fd::AsFd as AsOsSocket;
#[cfg(windows)]
use std::os::windows::io::AsSocket as AsOsSocket;

use zk_session::{MIN_REPLY_BYTES, Session};

use super::record_framing::RecordFraming;

/// The highest mark set: a fraction of a socket buffer (about 800 of the smallest
/// replies), so that a batch is never long in coming.
const MOST: usize = 16 * 1024;

/// The mark on one socket, as last set.
#[derive(Debug)]
pub struct LowWater {
    set: usize,
}

impl Default for LowWater {
    fn default() -> Self {
        LowWater::new()
    }
}

impl LowWater {
    /// A new socket's mark: the kernel's default.
    pub fn new() -> LowWater {
        LowWater { set: 1 }
    }

    /// Sets the mark of `socket` to at most `sure` bytes (see [`sure_to_arrive`]):
    /// rounded down to a power of two so that it seldom changes, and only when it
    /// changes. Fails only if the kernel refuses the option; the connection is then
    /// better dropped than left waiting on a mark that may be too high.
    pub fn settle(&mut self, socket: &impl AsOsSocket, sure: usize) -> io::Result<()> {
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

    /// The mark as last set.
    pub fn mark(&self) -> usize {
        self.set
    }
}

/// The bytes `session`'s server is sure to send on the current connection: the
/// replies it owes, less one that may be partly read already, at their smallest. Zero
/// unless `all_written` (nothing of the session's waits in the driver or its TLS
/// layer), since only requests that reached the socket are sure to be answered.
pub fn sure_to_arrive(session: &Session, all_written: bool) -> usize {
    if !all_written {
        return 0;
    }
    session
        .replies_owed(MOST / MIN_REPLY_BYTES + 2)
        .saturating_sub(1)
        .saturating_mul(MIN_REPLY_BYTES)
}

/// [`sure_to_arrive`] over TLS: while a record is partly read, the rest of it (the
/// replies inside it are already out of the socket); between records, the owed
/// replies, whose records carry at least their bytes. `all_written`: no record of
/// the session's waits to be written either.
pub fn sure_over_tls(session: &Session, framing: &RecordFraming, all_written: bool) -> usize {
    match framing.to_finish_record() {
        0 => sure_to_arrive(session, all_written),
        rest => rest,
    }
}

/// Sets `SO_RCVLOWAT` on `socket` (Linux). No crate this workspace may use wraps this
/// option (socket2 0.6, nix 0.30, rustix 1.1 do not), hence the one `unsafe` call of
/// the drivers.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_receive_low_water(socket: &impl AsOsSocket, bytes: usize) -> io::Result<()> {
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
    let fd = socket.as_fd();
    let value = c_int::try_from(bytes).unwrap_or(c_int::MAX);
    // SAFETY: `fd` is borrowed from `socket`, so it stays open for the whole call;
    // `value` is a live c_int and `len` its exact size, as setsockopt(2) requires for
    // SO_RCVLOWAT; the kernel only reads it.
    let done = unsafe {
        setsockopt(
            fd.as_raw_fd(),
            SOL_SOCKET,
            SO_RCVLOWAT,
            (&raw const value).cast(),
            std::mem::size_of::<c_int>() as u32,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn set_receive_low_water(_socket: &impl AsOsSocket, _bytes: usize) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    use super::*;

    fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn a_read_under_a_mark_waits_for_the_mark_not_the_first_byte() {
        let (mut client, mut server) = connected_pair();
        LowWater::new().settle(&client, 8).unwrap();
        let writer = std::thread::spawn(move || {
            for half in [b"four", b"more"] {
                std::thread::sleep(Duration::from_millis(100));
                server.write_all(half).unwrap();
            }
            server
        });

        let mut buf = [0; 64];
        let n = client.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"fourmore", "one read returns both halves");
        drop(writer.join());
    }

    #[test]
    fn a_read_under_a_mark_returns_what_came_when_its_timeout_passes() {
        let (mut client, mut server) = connected_pair();
        LowWater::new().settle(&client, 8).unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        server.write_all(b"four").unwrap();

        let mut buf = [0; 64];
        let n = client.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"four");
    }

    #[test]
    fn the_mark_is_a_power_of_two_no_higher_than_sure_and_at_most_16_kib() {
        let (client, _server) = connected_pair();
        let mut low_water = LowWater::new();
        low_water.settle(&client, 100).unwrap();
        assert_eq!(low_water.mark(), 64);
        low_water.settle(&client, 1 << 20).unwrap();
        assert_eq!(low_water.mark(), MOST);
        low_water.settle(&client, 0).unwrap();
        assert_eq!(low_water.mark(), 1);
    }
}
