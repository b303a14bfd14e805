//! A blocking socket's read and write timeouts, changed only when they must. The wait
//! a blocking link wants is "until the session's next deadline", which moves with
//! every request; setting it before every read and write was two `setsockopt` calls
//! per round trip. A timeout already set is kept while it is close to the one wanted:
//! up to half of it (the read then ends early, the caller's loop reads again with a
//! fresh deadline) or 1/32 more (the caller wakes that much late, under a second on the
//! longest waits).

use std::io;
use std::net::TcpStream;
use std::time::Duration;

/// The timeouts set on one socket (`None`: not set by this type yet).
#[derive(Debug, Default)]
pub(super) struct Timeouts {
    read: Option<Duration>,
    write: Option<Duration>,
}

impl Timeouts {
    /// Makes the socket's read timeout about `wanted` (not zero).
    pub(super) fn read(&mut self, tcp: &TcpStream, wanted: Duration) -> io::Result<()> {
        if !close_enough(self.read, wanted) {
            tcp.set_read_timeout(Some(wanted))?;
            self.read = Some(wanted);
        }
        Ok(())
    }

    /// Makes the socket's write timeout about `wanted` (not zero).
    pub(super) fn write(&mut self, tcp: &TcpStream, wanted: Duration) -> io::Result<()> {
        if !close_enough(self.write, wanted) {
            tcp.set_write_timeout(Some(wanted))?;
            self.write = Some(wanted);
        }
        Ok(())
    }
}

/// Whether the timeout `set` may stand in for `wanted` (see the module docs).
fn close_enough(set: Option<Duration>, wanted: Duration) -> bool {
    set.is_some_and(|set| set >= wanted / 2 && set <= wanted + wanted / 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn nothing_set_yet_is_never_close_enough() {
        assert!(!close_enough(None, SECOND));
    }

    #[test]
    fn a_timeout_somewhat_shorter_or_a_little_longer_is_kept() {
        assert!(close_enough(Some(SECOND), SECOND));
        assert!(close_enough(Some(SECOND / 2), SECOND));
        assert!(close_enough(Some(SECOND + SECOND / 32), SECOND));
    }

    #[test]
    fn a_timeout_far_shorter_or_noticeably_longer_is_replaced() {
        assert!(!close_enough(Some(SECOND / 3), SECOND));
        assert!(!close_enough(Some(SECOND + SECOND / 16), SECOND));
        assert!(!close_enough(Some(SECOND), Duration::from_millis(10)));
    }

    #[test]
    fn the_socket_gets_the_timeout_only_when_it_changes_enough() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut timeouts = Timeouts::default();

        timeouts.read(&tcp, SECOND).unwrap();
        assert_eq!(tcp.read_timeout().unwrap(), Some(SECOND));
        timeouts
            .read(&tcp, SECOND - Duration::from_millis(1))
            .unwrap();
        assert_eq!(tcp.read_timeout().unwrap(), Some(SECOND), "kept");
        timeouts.read(&tcp, Duration::from_millis(100)).unwrap();
        assert_eq!(
            tcp.read_timeout().unwrap(),
            Some(Duration::from_millis(100))
        );

        timeouts.write(&tcp, SECOND).unwrap();
        assert_eq!(tcp.write_timeout().unwrap(), Some(SECOND));
    }
}
