//! A caller that reads the socket itself while it waits for its reply (the
//! leader/follower hand-off of some multi-threaded clients). Left to the IO thread, a
//! synchronous call costs two sleeps and two wake-ups: the IO thread's, woken by the
//! reply, and the caller's, woken by the IO thread. When no one else reads, the
//! caller takes the socket out of the IO thread's poller, waits on it itself, moves
//! the session on exactly as the IO thread's turn does (replies to the other callers,
//! events to the outlets, timers), and gives the socket back once its reply is in or
//! its wait ends: one sleep per call, as in the blocking client.
//!
//! At most one caller reads at a time ([`Core::reader`]); the others wait as before,
//! woken by whoever reads. A reader gives the role back (the socket returns to the IO
//! thread's poller, and the IO thread is woken only if what it waits for changed)
//! whatever way its wait ends: a guard does it, on every return and on a panic. While
//! a reader reads, every other thread that moves the session on wakes it when it
//! must look again ([`reader_must_wake`]): its reply came another way, the socket
//! changed, a deadline came closer, or the socket must be watched for writing (which
//! only the IO thread does).

use std::io::ErrorKind;
use std::sync::MutexGuard;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use zk_session::{RequestId, SessionState};

use super::core::{Core, Replies};
use super::io_thread;
use super::sync::lock;
use super::{BATCH_DEPTH, Shared};
use crate::event::Completion;
use crate::external;
use crate::link::SocketId;

/// The socket, in the reader's poller.
const SOCKET: Token = Token(0);
/// Wake-ups for the reader from other threads.
const WAKE: Token = Token(1);

/// The poller a reading caller waits on: the socket stays registered in it (readable
/// only) between readers, so taking the role costs one change of registration, the
/// IO thread's.
#[derive(Debug)]
pub(super) struct ReaderPoll {
    poll: Poll,
    events: Events,
    /// The socket registered in `poll`.
    registered: Option<SocketId>,
}

impl ReaderPoll {
    /// A poller for readers, with the waker that interrupts a reader's wait.
    pub(super) fn new() -> std::io::Result<(ReaderPoll, Waker)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKE)?;
        let reader = ReaderPoll {
            poll,
            events: Events::with_capacity(4),
            registered: None,
        };
        Ok((reader, waker))
    }
}

/// The caller reading the socket, and what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reader {
    /// The request it waits for.
    id: RequestId,
    /// The socket it reads.
    socket: SocketId,
    /// The session's deadline it wakes at, at the latest.
    deadline: Option<Instant>,
}

/// Whether a waiting caller may read the socket itself: no one else does, fewer
/// than [`BATCH_DEPTH`] replies are expected, the session is up, and the socket
/// needs watching for reading only (a connect, a TLS handshake or a full send
/// buffer are the IO thread's).
pub(super) fn may_read(core: &Core) -> bool {
    // Deep in a pipeline the IO thread reads batches of replies for many waiting
    // callers at once, and writes the requests queued meanwhile: a caller reading
    // for its own reply only would add hand-overs, not save wake-ups.
    core.reader.is_none()
        && core.replies.expected() < BATCH_DEPTH
        && matches!(
            core.driver.state(),
            SessionState::Connected | SessionState::ConnectedReadOnly
        )
        && core.driver.socket_id().is_some()
        && core.driver.interest()
            == (external::Interest {
                readable: true,
                writable: false,
            })
}

/// Whether the reader (if any) must look again now: its reply came another way, the
/// socket changed, a deadline came closer than the one it waits until, or the socket
/// must be watched for writing.
pub(super) fn reader_must_wake(core: &Core) -> bool {
    let Some(reader) = core.reader else {
        return false;
    };
    let deadline_closer = match (core.driver.deadline(), reader.deadline) {
        (Some(now), Some(then)) => now < then,
        (Some(_), None) => true,
        (None, _) => false,
    };
    core.replies.is_in(reader.id)
        || core.driver.socket_id() != Some(reader.socket)
        || !matches!(
            core.driver.state(),
            SessionState::Connected | SessionState::ConnectedReadOnly
        )
        || deadline_closer
        || core.driver.interest().writable
}

/// How a caller's reading ended.
pub(super) enum Read {
    /// Its reply is in.
    Reply(Completion),
    /// Without it: the time ran out, or the socket went back to the IO thread (see
    /// [`reader_must_wake`]).
    Ended,
    /// The poller refused the socket: the IO thread keeps reading it.
    Refused,
}

/// Reads the socket for the reply of `id` (the caller of [`may_read`], which said
/// yes under the same lock), until it is in or `until` passes (`None`: no bound).
pub(super) fn read_for(
    shared: &Shared,
    mut core: MutexGuard<'_, Core>,
    id: RequestId,
    until: Option<Instant>,
) -> Read {
    let Some((socket, fd)) = core.driver.socket_id().zip(core.driver.as_raw_fd()) else {
        return Read::Refused;
    };
    // Out of the IO thread's poller, or the reply would wake it too.
    if core.io_registered.is_some_and(|(id, _)| id == socket)
        && shared.registry.deregister(&mut SourceFd(&fd)).is_err()
    {
        return Read::Refused;
    }
    core.io_registered = None;
    core.reader = Some(Reader {
        id,
        socket,
        deadline: None,
    });
    drop(core);
    // Declared before the lock, so that it is given back after the lock is let go,
    // a panic's unwinding included.
    let _role = Role(shared, socket);
    let mut poll = lock(&shared.reader_poll);
    let mut core = lock(&shared.core);
    let mut replies = Replies::default();
    let mut readable = false;
    let mut first = true;
    loop {
        let now = Instant::now();
        let before = core.driver.state();
        if !first {
            core.process(readable, false, now, &shared.outlets, &mut replies);
        }
        first = false;
        let reply = core.replies.take(id);
        let changed = core.driver.state() != before;
        let lost = core.driver.socket_id() != Some(socket)
            || !matches!(
                core.driver.state(),
                SessionState::Connected | SessionState::ConnectedReadOnly
            )
            || core.driver.interest().writable;
        let deadline = core.driver.deadline();
        let timed_out = until.is_some_and(|at| at <= now);
        let mut refused = false;
        let wait = if reply.is_some() || lost || timed_out {
            None
        } else if poll.registered != Some(socket) && !watch(&mut poll, fd, socket) {
            refused = true;
            None
        } else {
            let at = match (deadline, until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(reader) = core.reader.as_mut() {
                reader.deadline = deadline;
            }
            Some(at.map(|at| at.saturating_duration_since(now)))
        };
        drop(core);
        replies.deliver();
        if changed {
            shared.state_changed.notify_all();
        }
        let Some(timeout) = wait else {
            return match reply {
                Some(reply) => Read::Reply(reply),
                None if refused => Read::Refused,
                None => Read::Ended,
            };
        };
        readable = false;
        let ReaderPoll { poll, events, .. } = &mut *poll;
        match poll.poll(events, timeout) {
            Ok(()) => {
                for event in events.iter().filter(|e| e.token() == SOCKET) {
                    readable |= event.is_readable()
                        || event.is_error()
                        || event.is_read_closed()
                        || event.is_write_closed();
                }
            }
            // The socket is read anyway: a wasted read costs one would-block.
            Err(_) => readable = true,
        }
        core = lock(&shared.core);
    }
}

/// Registers `fd` (the socket `socket`) in the reader's poller.
fn watch(poll: &mut ReaderPoll, fd: i32, socket: SocketId) -> bool {
    let registry = poll.poll.registry();
    let done = match registry.register(&mut SourceFd(&fd), SOCKET, Interest::READABLE) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            registry.reregister(&mut SourceFd(&fd), SOCKET, Interest::READABLE)
        }
        other => other,
    };
    poll.registered = done.ok().map(|()| socket);
    poll.registered.is_some()
}

/// The reader role, given back when dropped: the socket returns to the IO thread's
/// poller, and the IO thread is woken if what it waits for changed meanwhile.
struct Role<'a>(&'a Shared, SocketId);

impl Drop for Role<'_> {
    fn drop(&mut self) {
        let shared = self.0;
        let mut core = lock(&shared.core);
        core.reader = None;
        io_thread::watch_socket(&shared.registry, &mut core, Some(self.1));
        shared.wake_io_if_needed(&core);
    }
}
