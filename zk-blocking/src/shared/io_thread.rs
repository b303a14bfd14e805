//! The IO thread: it owns nothing but a poller. Each turn it takes the lock, moves the
//! session on (reads, writes, timers, reconnects), hands out what came, notes what to
//! wait for, lets go of the lock, and waits for the socket, the session's next
//! deadline or a wake-up from a thread that submitted something. It never runs user
//! code.

use std::io::ErrorKind;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::link::SocketId;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::Shared;
use super::core::{Replies, Waiting};
use super::sync::lock;

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
    let mut registered: Option<SocketId> = None;
    let mut last_state = None;
    let mut replies = Replies::default();
    loop {
        let (socket, deadline, done, state) = {
            let mut core = lock(&shared.core);
            let now = Instant::now();
            core.process(readable, writable, now, &shared.outlets, &mut replies);
            let socket = core.driver.socket_id().zip(core.driver.as_raw_fd());
            let deadline = core.driver.deadline();
            core.waiting = Waiting {
                socket: socket.map(|(id, _)| id),
                deadline,
            };
            let state = core.driver.state();
            let done = core.stopping && state.is_terminal();
            (socket, deadline, done, state)
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
        watch_socket(&poll, socket, &mut registered);
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

/// Registers a new socket (edge-triggered, both directions: the driver reads and
/// writes until the socket would block): a new connection's, or the one a dial moved
/// on to at a host's next address. A closed socket left the poller when it was closed.
fn watch_socket(poll: &Poll, socket: Option<(SocketId, RawFd)>, registered: &mut Option<SocketId>) {
    let Some((id, fd)) = socket else {
        *registered = None;
        return;
    };
    if *registered == Some(id) {
        return;
    }
    let both = Interest::READABLE | Interest::WRITABLE;
    let registry = poll.registry();
    let done = match registry.register(&mut SourceFd(&fd), SOCKET, both) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            registry.reregister(&mut SourceFd(&fd), SOCKET, both)
        }
        other => other,
    };
    // If the poller refused, the deadlines still run the session (the next connect
    // or read timeout replaces the socket).
    *registered = done.ok().map(|()| id);
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
