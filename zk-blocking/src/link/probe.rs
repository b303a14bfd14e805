//! The read-write probe of a read-only session: ask a host `isro` on a connection of
//! its own; `rw` means it serves read-write, anything else (or no answer) means no.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use zk_session::HostAddr;

use super::connect::{Connect, Dial, dial};
use super::transfer::{Transfer, classify};

/// How long a probe may take before its host counts as not read-write.
pub(super) const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// How often a non-blocking probe wants to be carried on: its socket is not among what
/// the driver's loop waits for.
const PROBE_TICK: Duration = Duration::from_millis(10);

/// Asks `host` whether it serves read-write, blocking at most [`PROBE_TIMEOUT`]; any
/// failure counts as "no".
pub(super) fn probe_blocking(host: &HostAddr) -> bool {
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let Ok(mut stream) = dial(host, PROBE_TIMEOUT, 0) else {
        return false;
    };
    let mut isro = IsroExchange::default();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero()
            || stream.set_read_timeout(Some(left)).is_err()
            || stream.set_write_timeout(Some(left)).is_err()
        {
            return false;
        }
        // On this blocking socket "would block" means the timeout passed.
        if let Some(read_write) = isro.advance(&mut stream) {
            return read_write;
        }
    }
}

/// A non-blocking probe under way: connecting to the host, then asking it `isro`.
#[derive(Debug)]
pub(super) struct Probe {
    pub(super) host: HostAddr,
    dial: Dial,
    connected: bool,
    isro: IsroExchange,
    /// When the host counts as not read-write.
    give_up: Instant,
    /// When the probe should be carried on next.
    pub(super) next_check: Instant,
}

impl Probe {
    /// Starts connecting to `host`; `None` if it cannot even start (the host then
    /// counts as not read-write).
    pub(super) fn start(host: HostAddr, now: Instant) -> Option<Probe> {
        let dial = Dial::start(&host, 0).ok()?;
        Some(Probe {
            host,
            dial,
            connected: false,
            isro: IsroExchange::default(),
            give_up: later(now, PROBE_TIMEOUT),
            next_check: later(now, PROBE_TICK),
        })
    }

    /// Carries the probe as far as its socket allows: `Some(read_write)` once the answer
    /// is known (a failure, or no answer by the time limit, counts as no), `None` while
    /// it goes on.
    pub(super) fn advance(&mut self, now: Instant) -> Option<bool> {
        let answer = if self.connected {
            self.isro.advance(&mut self.dial.stream)
        } else {
            match self.dial.poll() {
                Connect::Done => {
                    self.connected = true;
                    self.isro.advance(&mut self.dial.stream)
                }
                Connect::InProgress => None,
                Connect::Failed(_) => Some(false),
            }
        };
        match answer {
            Some(read_write) => Some(read_write),
            None if now >= self.give_up => Some(false),
            None => {
                self.next_check = later(now, PROBE_TICK).min(self.give_up);
                None
            }
        }
    }
}

/// `now + d`, or `now` at the end of the clock (a caller's `now` is not checked).
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or(now)
}

/// One `isro` question and its answer (`rw` or `ro`) over a connected socket, carried
/// as far as the socket allows at each call: the blocking and the non-blocking probe
/// share it.
#[derive(Debug, Default)]
struct IsroExchange {
    sent: usize,
    answer: [u8; 2],
    got: usize,
}

impl IsroExchange {
    /// Writes the question and reads the answer as far as `stream` allows:
    /// `Some(read_write)` once it is known (a failure or an early end counts as no),
    /// `None` while `stream` would block.
    fn advance(&mut self, stream: &mut (impl Read + Write)) -> Option<bool> {
        const QUESTION: &[u8] = b"isro";
        while self.sent < QUESTION.len() {
            match classify(stream.write(&QUESTION[self.sent..])) {
                Transfer::Moved(0) | Transfer::Failed(_) => return Some(false),
                Transfer::Moved(n) => self.sent += n,
                Transfer::Interrupted => {}
                Transfer::WouldBlock | Transfer::TimedOut(_) => return None,
            }
        }
        while self.got < self.answer.len() {
            match classify(stream.read(&mut self.answer[self.got..])) {
                Transfer::Moved(0) | Transfer::Failed(_) => return Some(false),
                Transfer::Moved(n) => self.got += n,
                Transfer::Interrupted => {}
                Transfer::WouldBlock | Transfer::TimedOut(_) => return None,
            }
        }
        Some(&self.answer == b"rw")
    }
}
