//! The read-write probe of a read-only session: ask a host `isro` on a connection of
//! its own; `rw` means it serves read-write, anything else (or no answer) means no.
//! A session over TLS asks over TLS too: a secure client port answers four-letter
//! words only inside TLS, and closes a plaintext connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use zk_session::HostAddr;

use super::LinkTls;
use super::connect::{Connect, Dial, dial};
use super::tls::{Handshake, TlsStream};
use super::transfer::{Transfer, classify};

/// How long a probe may take before its host counts as not read-write.
pub(super) const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// How often a non-blocking probe wants to be carried on: its socket is not among what
/// the driver's loop waits for.
const PROBE_TICK: Duration = Duration::from_millis(10);

/// Asks `host` whether it serves read-write (over TLS with `tls`), blocking at most
/// [`PROBE_TIMEOUT`]; any failure counts as "no".
pub(super) fn probe_blocking(host: &HostAddr, tls: Option<&LinkTls>) -> bool {
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let Ok(tcp) = dial(host, PROBE_TIMEOUT, 0) else {
        return false;
    };
    match tls {
        None => ask_blocking(tcp.try_clone().ok(), tcp, deadline),
        Some(tls) => {
            let Ok(mut stream) = TlsStream::start(tcp, &tls.config, host, tls.has_client_cert)
            else {
                return false;
            };
            if stream.handshake_blocking(deadline).is_err() {
                return false;
            }
            let timeouts = stream.tcp.try_clone().ok();
            ask_blocking(timeouts, stream, deadline)
        }
    }
}

/// Asks `isro` on a blocking `stream` by `deadline`; `tcp` is its socket, for the
/// timeouts.
fn ask_blocking(tcp: Option<TcpStream>, mut stream: impl Read + Write, deadline: Instant) -> bool {
    let Some(tcp) = tcp else {
        return false;
    };
    let mut isro = IsroExchange::default();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero()
            || tcp.set_read_timeout(Some(left)).is_err()
            || tcp.set_write_timeout(Some(left)).is_err()
        {
            return false;
        }
        // On this blocking socket "would block" means the timeout passed.
        if let Some(read_write) = isro.advance(&mut stream) {
            return read_write;
        }
    }
}

/// Where a non-blocking probe's connection is.
#[derive(Debug)]
enum ProbeSocket {
    /// Connecting.
    Dialing(Dial),
    /// Connected, without TLS.
    Plain(TcpStream),
    /// Connected, in the TLS handshake.
    Handshaking(Box<TlsStream>),
    /// Connected over TLS.
    Tls(Box<TlsStream>),
    /// Failed.
    Gone,
}

/// A non-blocking probe under way: connecting to the host (and the TLS handshake, with
/// TLS), then asking it `isro`.
#[derive(Debug)]
pub(super) struct Probe {
    pub(super) host: HostAddr,
    socket: ProbeSocket,
    tls: Option<LinkTls>,
    isro: IsroExchange,
    /// When the host counts as not read-write.
    give_up: Instant,
    /// When the probe should be carried on next.
    pub(super) next_check: Instant,
}

impl Probe {
    /// Starts connecting to `host`; `None` if it cannot even start (the host then
    /// counts as not read-write).
    pub(super) fn start(host: HostAddr, tls: Option<LinkTls>, now: Instant) -> Option<Probe> {
        let dial = Dial::start(&host, 0).ok()?;
        Some(Probe {
            host,
            socket: ProbeSocket::Dialing(dial),
            tls,
            isro: IsroExchange::default(),
            give_up: later(now, PROBE_TIMEOUT),
            next_check: later(now, PROBE_TICK),
        })
    }

    /// Carries the probe as far as its socket allows: `Some(read_write)` once the answer
    /// is known (a failure, or no answer by the time limit, counts as no), `None` while
    /// it goes on.
    pub(super) fn advance(&mut self, now: Instant) -> Option<bool> {
        let answer = self.step();
        match answer {
            Some(read_write) => Some(read_write),
            None if now >= self.give_up => Some(false),
            None => {
                self.next_check = later(now, PROBE_TICK).min(self.give_up);
                None
            }
        }
    }

    /// Moves the connection on as far as it goes now, then the question.
    fn step(&mut self) -> Option<bool> {
        loop {
            self.socket = match std::mem::replace(&mut self.socket, ProbeSocket::Gone) {
                ProbeSocket::Dialing(mut dial) => match dial.poll() {
                    Connect::InProgress => {
                        self.socket = ProbeSocket::Dialing(dial);
                        return None;
                    }
                    Connect::Failed(_) => return Some(false),
                    Connect::Done => match &self.tls {
                        None => ProbeSocket::Plain(dial.stream),
                        Some(tls) => match TlsStream::start(
                            dial.stream,
                            &tls.config,
                            &self.host,
                            tls.has_client_cert,
                        ) {
                            Ok(stream) => ProbeSocket::Handshaking(Box::new(stream)),
                            Err(_) => return Some(false),
                        },
                    },
                },
                ProbeSocket::Handshaking(mut stream) => match stream.handshake_step() {
                    Handshake::InProgress => {
                        self.socket = ProbeSocket::Handshaking(stream);
                        return None;
                    }
                    Handshake::Done => ProbeSocket::Tls(stream),
                    Handshake::Failed(_) => return Some(false),
                },
                ProbeSocket::Plain(mut tcp) => {
                    let answer = self.isro.advance(&mut tcp);
                    self.socket = ProbeSocket::Plain(tcp);
                    return answer;
                }
                ProbeSocket::Tls(mut stream) => {
                    let answer = self.isro.advance(&mut *stream);
                    self.socket = ProbeSocket::Tls(stream);
                    return answer;
                }
                ProbeSocket::Gone => return Some(false),
            };
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
