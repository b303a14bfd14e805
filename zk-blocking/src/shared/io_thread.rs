//! The IO thread: it owns nothing but a poller. Each turn it takes the lock, moves the
//! session on (reads, writes, timers, reconnects), hands out what came, notes what to
//! wait for, lets go of the lock, and waits for the socket, the session's next
//! deadline or a wake-up from a thread that submitted something. It never runs user
//! code. While a waiting caller reads the socket instead ([`super::reader`]), the
//! socket is out of its poller, and it wakes for deadlines and wake-ups only.

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::link::SocketId;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};

use super::core::{Core, Replies, Waiting};
use super::sync::lock;
use super::{BATCH_DEPTH, Shared};

/// The session's socket.
pub(super) const SOCKET: Token = Token(0);
/// Wake-ups from other threads.
pub(super) const WAKE: Token = Token(1);
/// How long to pause when the poller itself fails (it never has in practice).
const POLL_FAILED_PAUSE: Duration = Duration::from_millis(10);

/// Runs until the last clone of the client is gone and the session is over.
pub(super) fn run(shared: Arc<Shared>, mut poll: Poll) {
    let mut ready = mio::Events::with_capacity(8);
    let (mut readable, mut writable) = (false, false);
    let mut last_state = None;
    let mut replies = Replies::default();
    loop {
        let (deadline, done, state) = {
            let mut core = lock(&shared.core);
            let now = Instant::now();
            core.process(readable, writable, now, &shared.outlets, &mut replies);
            let deadline = core.driver.deadline();
            core.waiting = Waiting {
                socket: core.driver.socket_id(),
                deadline,
            };
            watch_socket(&shared.registry, &mut core, None);
            // A caller reading the socket meanwhile looks again if this turn changed
            // what it waits for.
            shared.wake_reader_if_needed(&core);
            let state = core.driver.state();
            let done = core.stopping && state.is_terminal();
            (deadline, done, state)
        };
        replies.deliver();
        if last_state != Some(state) {
            // Callers waiting for a state (connected, closed) look again.
            last_state = Some(state);
            shared.state_changed.notify_all();
        }
        if done {
            return;
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        (readable, writable) = (false, false);
        if let Err(e) = poll.poll(&mut ready, timeout) {
            if e.kind() != ErrorKind::Interrupted {
                // A poller that fails cannot wait for the socket; the session's
                // deadlines still run it, checked at this pace until it recovers.
                std::thread::sleep(POLL_FAILED_PAUSE);
            }
            continue;
        }
        (readable, writable) = readiness(&ready);
    }
}

/// Registers the session's socket in the IO thread's poller (edge-triggered: the
/// driver reads and writes until the socket would block) unless a caller reads it
/// ([`super::reader`]): a new connection's, the one a dial moved on to at a host's
/// next address, or one a reader gave back. A closed socket left the poller when it
/// was closed. A new socket is watched in both directions (a connect completes when
/// it is writable); one given back is watched for reading only while nothing waits to
/// be written, as registering it writable would report it so at once and wake the IO
/// thread for nothing; it is watched for writing too once something waits, or once
/// the calls in flight are a pipeline's.
/// `given_back` is the socket a reader gave back, if any.
pub(super) fn watch_socket(registry: &Registry, core: &mut Core, given_back: Option<SocketId>) {
    if core.reader.is_some() {
        return;
    }
    let Some((id, fd)) = core.driver.socket_id().zip(core.driver.as_raw_fd()) else {
        core.io_registered = None;
        return;
    };
    let writable = match core.io_registered {
        Some((registered, writable)) if registered == id => {
            // Deep in a pipeline, writes wait for the socket as before a reader came.
            let wanted = core.driver.interest().writable || core.replies.expected() >= BATCH_DEPTH;
            if writable || !wanted {
                return;
            }
            true
        }
        _ if given_back == Some(id) => core.driver.interest().writable,
        _ => true,
    };
    let interest = if writable {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    let done = match registry.register(&mut SourceFd(&fd), SOCKET, interest) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            registry.reregister(&mut SourceFd(&fd), SOCKET, interest)
        }
        other => other,
    };
    // If the poller refused, the deadlines still run the session (the next connect
    // or read timeout replaces the socket).
    core.io_registered = done.ok().map(|()| (id, writable));
}

/// What the poller saw on the socket: (readable, writable). Errors and hang-ups count
/// as both, so the driver finds out what happened.
fn readiness(ready: &Events) -> (bool, bool) {
    let (mut readable, mut writable) = (false, false);
    for event in ready.iter().filter(|e| e.token() == SOCKET) {
        let broken = event.is_error() || event.is_read_closed() || event.is_write_closed();
        readable |= event.is_readable() || broken;
        writable |= event.is_writable() || broken;
    }
    (readable, writable)
}
