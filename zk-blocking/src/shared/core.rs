//! The state behind the shared client's lock: the session with its socket (an
//! [`ExternalDriver`]), the callers waiting for replies, and what the IO thread is
//! waiting for. Any thread holding the lock may move the session on; the IO thread
//! does whenever its socket, a deadline or a wake-up says so.

use std::sync::Arc;
use std::thread::Thread;
use std::time::Instant;

use zk_session::Session;

use crate::Error;
use crate::connect_problems::ConnectProblems;
use crate::link::SocketId;

use super::BATCH_DEPTH;
use super::events::{EventChannel, Mailboxes};
use super::reader::Reader;
use super::reply_table::ReplyTable;
use super::state_changes::StateListeners;
use crate::event::Completion;
use crate::external::ExternalDriver;

/// The callers whose replies came, to wake once the lock is let go. The IO thread
/// keeps one for all its turns, so that a turn with replies allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Replies(Vec<Thread>);

impl Replies {
    /// Wakes each caller whose reply came (it takes the reply from the table).
    pub(super) fn deliver(&mut self) {
        for thread in self.0.drain(..) {
            thread.unpark();
        }
    }
}

/// Where the session's watch and state events go: the one event channel, the
/// mailboxes of the watches they fired, and every state-change subscriber.
#[derive(Debug)]
pub(super) struct Outlets {
    pub(super) channel: Arc<EventChannel>,
    pub(super) mailboxes: Mailboxes,
    pub(super) states: Arc<StateListeners>,
}

impl Outlets {
    /// Outlets each keeping at most `budget` events unread (per watch, per subscriber).
    pub(super) fn new(budget: usize) -> Outlets {
        Outlets {
            channel: Arc::new(EventChannel::new(budget)),
            mailboxes: Mailboxes::new(budget),
            states: Arc::new(StateListeners::new(budget)),
        }
    }

    /// The session is over with `error`: every outlet ends after what it holds.
    fn end(&self, error: Error) {
        self.channel.end(error.clone());
        self.mailboxes.end(error.clone());
        self.states.end(error);
    }
}

/// What the IO thread waits for while it does not hold the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Waiting {
    /// The socket it watches.
    pub(super) socket: Option<SocketId>,
    /// When it wakes at the latest.
    pub(super) deadline: Option<Instant>,
}

#[derive(Debug)]
pub(super) struct Core {
    /// The session and its non-blocking socket.
    pub(super) driver: ExternalDriver,
    /// The replies callers expect, and those in and not yet taken.
    pub(super) replies: ReplyTable,
    /// What the IO thread waits for now.
    pub(super) waiting: Waiting,
    /// The last clone is gone: the IO thread ends once the session is over.
    pub(super) stopping: bool,
    /// The caller reading the socket instead of the IO thread, if any (see
    /// [`super::reader`]).
    pub(super) reader: Option<Reader>,
    /// The socket registered in the IO thread's poller, and whether for writing too
    /// (see [`super::io_thread::watch_socket`]).
    pub(super) io_registered: Option<(SocketId, bool)>,
}

impl Core {
    /// Moves the session on ([`ExternalDriver::process`]), handing out its events
    /// after each read (and each other step that may queue some), as
    /// [`Core::dispatch`] does: the outlets bound what they keep, each on its own,
    /// so the session's queue, which the client leaves unbounded, never holds more
    /// than one read's worth. Bounded too, it would drop events that came together
    /// in one turn, however promptly their holders read them: many one-shot watches
    /// fired at once, say, each with room in its mailbox.
    pub(super) fn process(
        &mut self,
        readable: bool,
        writable: bool,
        now: Instant,
        outlets: &Outlets,
        replies: &mut Replies,
    ) {
        let Core {
            driver,
            replies: table,
            ..
        } = self;
        driver.process_handing_out(readable, writable, now, |session, problems| {
            hand_out(session, problems, table, outlets, replies);
        });
        self.dispatch(outlets, replies);
    }

    /// Hands every event the session has to whoever waits for it: watch and state
    /// events to the channel and the mailboxes of the watches they fired (the watch a
    /// reply made gets its mailbox first), state events to every subscriber of
    /// [`super::SharedClient::state_changes`] too; the callers whose replies came are
    /// added to `replies`, to be woken once the lock is let go (a woken caller then
    /// finds it free). Events before a reply on the wire are in the channel before its caller
    /// wakes. Every path that moves the session on calls this before it lets go of
    /// the lock.
    pub(super) fn dispatch(&mut self, outlets: &Outlets, replies: &mut Replies) {
        let (session, problems) = self.driver.session_and_problems();
        hand_out(session, problems, &mut self.replies, outlets, replies);
        if self.driver.state().is_terminal() {
            outlets.end(Error::for_session(self.driver.session()));
        }
    }

    /// Whether the IO thread must look again now: the socket changed or a
    /// deadline came closer than the one it sleeps until.
    pub(super) fn io_must_wake(&self) -> bool {
        let deadline_closer = match (self.driver.deadline(), self.waiting.deadline) {
            (Some(now), Some(then)) => now < then,
            (Some(_), None) => true,
            (None, _) => false,
        };
        // A socket given back by a reader is watched for reading only, until
        // something waits to be written: the IO thread's next turn watches it for
        // writing too. Deep in a pipeline that turn is due with the next reply (and
        // requests wait for it on purpose); otherwise the turn must come now, or a
        // request the socket could not take at once would wait for a deadline.
        let unwatched_write = self.reader.is_none()
            && self.replies.expected() < BATCH_DEPTH
            && self.io_registered.is_some_and(|(_, writable)| !writable)
            && self.driver.interest().writable;
        self.driver.socket_id() != self.waiting.socket || deadline_closer || unwatched_write
    }
}

/// Takes the session's events (see [`Core::dispatch`]); a reply's error that says no
/// server answered names the `problems` seen.
fn hand_out(
    session: &mut Session,
    problems: &ConnectProblems,
    table: &mut ReplyTable,
    outlets: &Outlets,
    replies: &mut Replies,
) {
    // Asked after every step of a turn: most find nothing.
    if session.queued_events() == 0 {
        return;
    }
    // Watch and state events, handed over together: one lock and at most one
    // wake-up per batch, not per event.
    let mut events = Vec::new();
    while let Some(event) = session.poll_event() {
        if let zk_session::Event::Reply {
            id,
            result,
            registration,
        } = event
        {
            let result = result.map_err(|e| problems.request_error(e));
            let reply = Completion::new(id, result, registration.as_ref());
            if let Some(watch) = reply.watch {
                outlets.mailboxes.registered(watch);
            }
            replies.0.extend(table.fill(reply));
            continue;
        }
        events.push(event);
    }
    outlets.mailboxes.deliver_all(&events);
    // With no subscriber, one atomic load.
    outlets.states.deliver_all(&events);
    outlets.channel.push_all(events);
}
