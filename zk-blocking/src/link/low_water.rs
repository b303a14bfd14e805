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
//! Inside a large frame (more than [`MOST`] bytes of it still to come, over plain
//! TCP), the rest of that frame is sure to arrive too, and no reply can be handed out
//! before all of it is in: the mark is then that rest (at most [`FRAME_MOST`]), set
//! exactly (half of it for a blocking read, which copies what is there before it
//! sleeps), so that a 1 MB reply wakes its
//! reader once or twice instead of once per segment (a dozen times or more), and the
//! session's receive space (the whole rest of the frame, up to 1 MiB) takes it in one
//! read or two, instead of a wait and a read per 64 KiB. The kernel
//! grows the socket's receive buffer to hold the mark (unless the buffer's size was
//! set by hand: then it caps the mark at half of it), and wakes the reader anyway if
//! its receive window closes, so the mark never stalls the transfer.
//!
//! Elsewhere than Linux it does nothing.

use std::io;
#[cfg(unix)]
use std::os::fd::AsFd as AsOsSocket;
#[cfg(windows)]
use std::os::windows::io::AsSocket as AsOsSocket;

use zk_session::{MIN_REPLY_BYTES, Session};

use super::record_framing::RecordFraming;

/// The highest mark set for a batch of replies: a fraction of a socket buffer (about
/// 800 of the smallest replies), so that a batch is never long in coming.
const MOST: usize = 16 * 1024;

/// The highest mark set inside a large frame (see the module docs): a frame of up to
/// the default maximum (`jute.maxbuffer`, 1 MB) wakes its reader once; a longer one
/// once per MiB.
const FRAME_MOST: usize = 1024 * 1024;

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
    /// up to [`MOST`] bytes (a batch of replies), rounded down to a power of two so
    /// that it seldom changes; above (inside a large frame), exactly, at most
    /// [`FRAME_MOST`]. Set only when it changes. Fails only if the kernel refuses the
    /// option; the connection is then better dropped than left waiting on a mark that
    /// may be too high.
    pub fn settle(&mut self, socket: &impl AsOsSocket, sure: usize) -> io::Result<()> {
        let mark = match sure {
            0 => 1,
            bytes if bytes > MOST => bytes.min(FRAME_MOST),
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

/// The bytes `session`'s server is sure to send on the current connection, over plain
/// TCP (the session's receive buffer holds every byte read from the socket): the
/// replies it owes, less one that may be partly read already, at their smallest
/// (zero unless `all_written`: nothing of the session's waits in the driver, since
/// only requests that reached the socket are sure to be answered); and, while more
/// than 16 KiB of the frame being read are still to come, that rest too
/// (whatever was written: the server is sending it).
pub fn sure_to_arrive(session: &Session, all_written: bool) -> usize {
    let replies = replies_sure(session, all_written);
    match session.frame_bytes_due() {
        // The partly read reply the count above left out.
        frame if frame > MOST => replies.saturating_add(frame),
        _ => replies,
    }
}

/// The owed replies' part of [`sure_to_arrive`], at most [`MOST`].
fn replies_sure(session: &Session, all_written: bool) -> usize {
    if !all_written {
        return 0;
    }
    session
        .replies_owed(MOST / MIN_REPLY_BYTES + 2)
        .saturating_sub(1)
        .saturating_mul(MIN_REPLY_BYTES)
        .min(MOST)
}

/// [`sure_to_arrive`] over TLS: while a record is partly read, the rest of it (the
/// replies inside it are already out of the socket); between records, the owed
/// replies, whose records carry at least their bytes. `all_written`: no record of
/// the session's waits to be written either. Not the rest of a large frame: the TLS
/// layer may hold some of it decrypted already, out of the socket.
pub fn sure_over_tls(session: &Session, framing: &RecordFraming, all_written: bool) -> usize {
    match framing.to_finish_record() {
        0 => replies_sure(session, all_written),
        rest => rest.min(MOST),
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
        low_water.settle(&client, MOST).unwrap();
        assert_eq!(low_water.mark(), MOST);
        low_water.settle(&client, 0).unwrap();
        assert_eq!(low_water.mark(), 1);
    }

    #[test]
    fn above_16_kib_the_mark_is_the_rest_of_a_frame_exactly_up_to_1_mib() {
        let (client, _server) = connected_pair();
        let mut low_water = LowWater::new();
        low_water.settle(&client, MOST + 1).unwrap();
        assert_eq!(low_water.mark(), MOST + 1);
        low_water.settle(&client, 983_708).unwrap();
        assert_eq!(low_water.mark(), 983_708);
        low_water.settle(&client, 10 << 20).unwrap();
        assert_eq!(low_water.mark(), FRAME_MOST);
    }

    #[test]
    fn a_socket_under_a_frame_sized_mark_turns_readable_once_the_frame_is_in() {
        use mio::unix::SourceFd;
        use mio::{Events, Interest, Poll, Token};
        use std::os::fd::AsRawFd;

        const FRAME: usize = 200 * 1024;
        let (mut client, mut server) = connected_pair();
        LowWater::new().settle(&client, FRAME).unwrap();
        let mut poll = Poll::new().unwrap();
        let fd = client.as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
            .unwrap();
        let mut events = Events::with_capacity(1);

        server.write_all(&[7; FRAME / 2]).unwrap();
        poll.poll(&mut events, Some(Duration::from_millis(200)))
            .unwrap();
        assert!(events.is_empty(), "half the frame wakes no one");

        server.write_all(&[7; FRAME / 2]).unwrap();
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert!(!events.is_empty(), "the whole frame does");
        client.set_nonblocking(true).unwrap();
        let mut buf = vec![0; FRAME + 1];
        let n = client.read(&mut buf).unwrap();
        assert_eq!(n, FRAME, "and one read takes it");
    }
}
