//! One caller's wait for one reply: a slot the IO thread fills, and the handle the
//! caller waits on.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use zk_session::RequestId;

use super::Shared;
use super::sync::lock;
use crate::error::{Error, Result};
use crate::event::Completion;

/// Where the reply of one request lands.
#[derive(Debug, Default)]
pub(super) struct ReplySlot {
    state: Mutex<SlotState>,
    filled: Condvar,
}

#[derive(Debug, Default)]
struct SlotState {
    reply: Option<Completion>,
    /// Its caller is blocked on `filled` (else filling needs no wake-up call).
    waiting: bool,
}

impl ReplySlot {
    pub(super) fn fill(&self, reply: Completion) {
        let waiting = {
            let mut state = lock(&self.state);
            state.reply = Some(reply);
            state.waiting
        };
        // Outside the lock, so the woken caller does not block on it at once.
        if waiting {
            self.filled.notify_one();
        }
    }

    pub(super) fn take(&self) -> Option<Completion> {
        lock(&self.state).reply.take()
    }

    /// Waits until the reply is in or `deadline` passes (`None`: no deadline).
    fn wait_until(&self, deadline: Option<Instant>) -> Option<Completion> {
        let mut state = lock(&self.state);
        loop {
            if let Some(done) = state.reply.take() {
                state.waiting = false;
                return Some(done);
            }
            state.waiting = true;
            state = match deadline {
                None => self.filled.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.waiting = false;
                        return None;
                    }
                    self.filled
                        .wait_timeout(state, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

/// A submitted request whose reply has not been taken yet
/// ([`crate::SharedClient::submit`]). Dropping it without waiting is fine: the reply is
/// discarded when it comes.
#[derive(Debug)]
pub struct PendingReply {
    id: RequestId,
    slot: Arc<ReplySlot>,
    shared: Arc<Shared>,
    call_timeout: Option<Duration>,
}

impl PendingReply {
    pub(super) fn new(
        id: RequestId,
        slot: Arc<ReplySlot>,
        shared: Arc<Shared>,
        call_timeout: Option<Duration>,
    ) -> PendingReply {
        PendingReply {
            id,
            slot,
            shared,
            call_timeout,
        }
    }

    /// The id of the request.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Blocks until the reply comes, at most [`crate::Options::call_timeout`] when one
    /// is set: then [`Error::Timeout`], and the request is given up (not sent if it
    /// was still queued; if sent, its reply is discarded and it leaves no watch).
    /// The operation's own error is in the [`Completion`]'s `result`.
    pub fn wait(self) -> Result<Completion> {
        let deadline = self
            .call_timeout
            .and_then(|t| Instant::now().checked_add(t));
        self.wait_until(deadline)
    }

    /// Like [`PendingReply::wait`], bounded by `timeout` instead.
    pub fn wait_timeout(self, timeout: Duration) -> Result<Completion> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    fn wait_until(self, deadline: Option<Instant>) -> Result<Completion> {
        let started = Instant::now();
        if let Some(reply) = self.slot.wait_until(deadline) {
            return Ok(reply);
        }
        self.shared.give_up(self.id);
        // The reply may have come between the timeout and giving up.
        self.slot
            .take()
            .ok_or_else(|| Error::Timeout(started.elapsed()))
    }
}
