//! Waiting for one socket's readiness, with a timeout: what a blocking link needs to
//! carry a non-blocking dial (connect, TLS handshake) on inside its caller's time
//! limit. std cannot wait on a connecting socket, and the workspace forbids the
//! `unsafe` of a raw `poll(2)`; on unix mio's poller does it. Used only while
//! dialling, so the poller is made per wait rather than kept.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

/// Waits until `tcp` is readable (`readable`) or writable (`writable`), at most
/// `timeout`. Returns early, as a poll may, without saying which: the caller checks
/// the socket either way.
#[cfg(unix)]
pub(super) fn wait_ready(
    tcp: &TcpStream,
    (readable, writable): (bool, bool),
    timeout: Duration,
) -> io::Result<()> {
    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};
    use std::os::fd::AsRawFd;

    let interest = match (readable, writable) {
        (true, true) => Interest::READABLE | Interest::WRITABLE,
        (false, true) => Interest::WRITABLE,
        _ => Interest::READABLE,
    };
    let mut poll = Poll::new()?;
    let fd = tcp.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(0), interest)?;
    let mut events = Events::with_capacity(1);
    match poll.poll(&mut events, Some(timeout)) {
        Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
        _ => Ok(()),
    }
}

/// Without a poller a blocking link dials blocking (see `Link::dials_blocking`) and
/// never waits here; should it, it looks again every few milliseconds.
#[cfg(not(unix))]
pub(super) fn wait_ready(
    _tcp: &TcpStream,
    _wanted: (bool, bool),
    timeout: Duration,
) -> io::Result<()> {
    std::thread::sleep(timeout.min(Duration::from_millis(10)));
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_socket_with_nothing_to_read_is_waited_for_until_the_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let started = Instant::now();
        wait_ready(&tcp, (true, false), Duration::from_millis(100)).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn a_writable_socket_ends_the_wait_at_once() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let started = Instant::now();
        wait_ready(&tcp, (false, true), Duration::from_secs(5)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
