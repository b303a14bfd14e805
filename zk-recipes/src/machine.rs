//! What every recipe machine is: requests out, replies, watch events and session
//! states in, outputs out. A machine never blocks, reads a clock or touches a client;
//! an adapter (`crate::run`) carries its requests to a client and its replies back.

use zk_blocking::for_drivers::error_for_state;
use zk_blocking::{
    Error, KeeperState, Request, Response, SessionState, StateReason, WatchHandle, WatchedEvent,
};

/// Identifies one request a machine submitted, so that its reply finds its way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token(pub(crate) u64);

/// A request a machine wants submitted; hand its reply back with
/// [`Recipe::handle_reply`] and the same token.
#[derive(Debug, Clone, PartialEq)]
pub struct Submit {
    /// The reply's key.
    pub token: Token,
    /// What to submit.
    pub request: Request,
}

/// A reply as machines see it: the response and the watch it set, or the error.
pub type Reply = Result<(Response, Option<WatchHandle>), Error>;

/// A recipe as a state machine. The adapters run it: they submit what
/// [`Recipe::poll_submit`] gives, hand back every reply, the events of the watch
/// [`Recipe::watch`] names and every session state change, and take
/// [`Recipe::poll_output`] until the output they wait for comes.
pub trait Recipe {
    /// What the machine tells its user (acquired, released, lost, ...).
    type Output;

    /// The next request to submit.
    #[must_use]
    fn poll_submit(&mut self) -> Option<Submit>;

    /// The reply to the request submitted with `token`.
    fn handle_reply(&mut self, token: Token, reply: Reply);

    /// An event of the watch [`Recipe::watch`] named. (Recipes that set no watch
    /// need not implement it.)
    fn handle_watch(&mut self, event: &WatchedEvent) {
        let _ = event;
    }

    /// A session state change.
    fn handle_session(&mut self, state: KeeperState);

    /// The session ended, and every call on it now fails with `error`
    /// (`SessionExpired`, `Closed`, `AuthFailed`, or `SaslRequired` when a server
    /// ended it for want of SASL). The adapters tell the end this way, so that a
    /// recipe ends with the client's own error; the default hands the end's state to
    /// [`Recipe::handle_session`] (whose recipe then ends with that state's error:
    /// `AuthFailed` for either of the last two).
    fn handle_session_end(&mut self, error: Error) {
        self.handle_session(ending_state(&error));
    }

    /// The next output.
    #[must_use]
    fn poll_output(&mut self) -> Option<Self::Output>;

    /// The watch whose event the machine waits for now, if any.
    fn watch(&self) -> Option<WatchHandle> {
        None
    }

    /// Whether requests are submitted and not yet answered.
    fn awaiting_replies(&self) -> bool;
}

/// Hands out tokens and queues requests: the part of every machine that talks.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    next: u64,
    queued: std::collections::VecDeque<Submit>,
    /// Tokens submitted and not answered yet.
    waiting: usize,
    /// The token whose reply the machine's current step waits for (the others are
    /// answers it no longer needs: it moved on, or was cancelled).
    awaited: Option<Token>,
}

impl Outbox {
    /// Queues `request`; returns its token.
    pub(crate) fn send(&mut self, request: Request) -> Token {
        let token = Token(self.next);
        self.next += 1;
        self.queued.push_back(Submit { token, request });
        self.waiting += 1;
        token
    }

    /// Queues `request` as the one the machine's step waits for.
    pub(crate) fn send_awaited(&mut self, request: Request) {
        self.awaited = Some(self.send(request));
    }

    /// The step no longer waits for a reply: a late one is ignored.
    pub(crate) fn forget_awaited(&mut self) {
        self.awaited = None;
    }

    pub(crate) fn poll(&mut self) -> Option<Submit> {
        self.queued.pop_front()
    }

    /// A reply came for `token`; whether it is the one the step waits for (then it is
    /// no longer awaited).
    pub(crate) fn answered(&mut self, token: Token) -> bool {
        self.waiting = self.waiting.saturating_sub(1);
        let awaited = self.awaited == Some(token);
        if awaited {
            self.awaited = None;
        }
        awaited
    }

    pub(crate) fn awaiting(&self) -> bool {
        self.waiting > 0
    }

    /// Forgets every request queued or out (their run was dropped; the replies of
    /// those out never come back): the tokens go on from where they were.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn clear(&mut self) {
        self.queued.clear();
        self.waiting = 0;
        self.awaited = None;
    }
}

/// A machine whose operation can be given up half-way, when the future running it is
/// dropped (the async adapter's [`crate::run::tokio`]): it goes back to where a new
/// operation can start, and says which requests undo what the dropped one may have
/// left that would block others (a contender's, a participant's or a lease's node).
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) trait Abandon {
    /// Gives up the operation under way, if any; the requests to queue (and not wait
    /// for) that clean up after it, in order.
    fn abandon(&mut self) -> Vec<Request>;
}

/// The error a recipe ends with when the session does, told only its state (`None`:
/// the state is not an end: a disconnect or a reconnect).
pub(crate) fn session_end(state: KeeperState) -> Option<Error> {
    ending(state, None)
}

/// The error every call gets once the session ended in `state` for `reason` (the
/// client's: `SaslRequired` for an `AuthFailed` end a server required SASL for);
/// `None` when `state` is no end.
pub(crate) fn ending(state: KeeperState, reason: Option<&StateReason>) -> Option<Error> {
    let ended = match state {
        KeeperState::Expired => SessionState::Expired,
        KeeperState::Closed => SessionState::Closed,
        KeeperState::AuthFailed => SessionState::AuthFailed,
        _ => return None,
    };
    Some(error_for_state(ended, reason))
}

/// The state event of a session whose calls fail with `error`.
fn ending_state(error: &Error) -> KeeperState {
    match error {
        Error::SessionExpired => KeeperState::Expired,
        Error::AuthFailed | Error::SaslRequired => KeeperState::AuthFailed,
        _ => KeeperState::Closed,
    }
}
