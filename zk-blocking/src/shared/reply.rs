//! One caller's wait for one reply: the handle [`SharedClient::submit`] returns. The
//! reply itself waits in the core's reply table; the caller's thread parks until the
//! IO thread (or whichever thread moved the session on) unparks it.
//!
//! [`SharedClient::submit`]: crate::SharedClient::submit

use std::sync::Arc;
use std::time::{Duration, Instant};

use zk_session::RequestId;

use super::Shared;
use super::reader::{self, Read};
use super::sync::lock;
use crate::error::{Error, Result};
use crate::event::Completion;

/// A submitted request whose reply has not been taken yet
/// ([`crate::SharedClient::submit`]). Dropping it without waiting is fine: the reply is
/// discarded when it comes.
#[derive(Debug)]
pub struct PendingReply {
    id: RequestId,
    shared: Arc<Shared>,
    /// The reply was taken, or the request given up: nothing is left to forget.
    settled: bool,
}

impl PendingReply {
    /// The handle of `id`, whose reply `shared`'s reply table expects.
    pub(super) fn new(id: RequestId, shared: Arc<Shared>) -> PendingReply {
        PendingReply {
            id,
            shared,
            settled: false,
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
        let timeout = self.shared.call_timeout;
        self.wait_for(timeout)
    }

    /// Like [`PendingReply::wait`], bounded by `timeout` instead.
    pub fn wait_timeout(self, timeout: Duration) -> Result<Completion> {
        self.wait_for(Some(timeout))
    }

    /// Waits at most `timeout` for the reply, and keeps the request when time runs
    /// out: `Ok(None)`, and a later call (or [`PendingReply::wait`]) still gets the
    /// reply. For a caller that waits in bounded slices and must not give up a
    /// request whose answer it needs (a question to the server that may take longer
    /// than one slice). Once the reply was taken, a further call fails with
    /// [`Error::UnknownRequest`], as the blocking client's `wait_completion` does.
    pub fn wait_timeout_keeping(&mut self, timeout: Duration) -> Result<Option<Completion>> {
        if self.settled {
            return Err(Error::UnknownRequest(self.id));
        }
        self.wait_until(Some(timeout))
    }

    /// Gives the request up without waiting for it and, when it is a sequential
    /// create, has the session delete the node it made (or may have made): see
    /// [`crate::Client::abandon_and_delete`]. For a value that made a node for its own
    /// use (a lock's contender node) and is dropped before the answer.
    pub fn abandon_and_delete(mut self) {
        if !self.settled {
            self.settled = true;
            self.shared.give_up_and_delete(self.id);
        }
    }

    /// Waits at most `timeout` from now; on timeout the request is given up.
    fn wait_for(mut self, timeout: Option<Duration>) -> Result<Completion> {
        match self.wait_until(timeout)? {
            Some(reply) => Ok(reply),
            // Time ran out (only a bounded wait does). The reply may have come just
            // now: it wins over the timeout.
            None => {
                self.settled = true;
                let waited = timeout.unwrap_or(Duration::MAX);
                self.shared.give_up(self.id, Error::Timeout(waited))
            }
        }
    }

    /// Waits at most `timeout` from now (`None`: until it comes) for the reply:
    /// `Ok(None)` when time ran out, the request still outstanding. A reply already
    /// in is taken without reading the clock (a pipeline's usually is: two clock
    /// reads were a twentieth of its caller's CPU).
    fn wait_until(&mut self, timeout: Option<Duration>) -> Result<Option<Completion>> {
        // The wait's deadline (none: unbounded), from the first time the reply was
        // not in.
        let mut since: Option<Option<Instant>> = None;
        // Whether this thread may read the socket itself (see `reader`).
        let mut read_self = true;
        loop {
            {
                let mut core = lock(&self.shared.core);
                if let Some(reply) = core.replies.take(self.id) {
                    self.settled = true;
                    return Ok(Some(reply));
                }
                // No one reads the socket: this thread does, until its reply is in.
                if read_self && reader::may_read(&core) {
                    let deadline = *since
                        .get_or_insert_with(|| timeout.and_then(|t| Instant::now().checked_add(t)));
                    match reader::read_for(&self.shared, core, self.id, deadline) {
                        Read::Reply(reply) => {
                            self.settled = true;
                            return Ok(Some(reply));
                        }
                        Read::Ended if deadline.is_some_and(|at| at <= Instant::now()) => {
                            return Ok(None);
                        }
                        // The socket went back to the IO thread: wait for it (or read
                        // again when it can be).
                        Read::Ended => {}
                        Read::Refused => read_self = false,
                    }
                    continue;
                }
                if !core.replies.wait_on(self.id, std::thread::current()) {
                    // Unreachable: every request completes, and only this handle
                    // takes its reply or forgets it.
                    self.settled = true;
                    return Err(Error::Closed);
                }
                // Requests queued for the IO thread's next write (deep in a pipeline)
                // go out before this thread sleeps: the server may have nothing else
                // left to work on, and the IO thread writes only at its next reply.
                if core.driver.write_queued() {
                    self.shared.wake_io_if_needed(&core);
                }
            }
            let deadline =
                *since.get_or_insert_with(|| timeout.and_then(|t| Instant::now().checked_add(t)));
            // An unpark meant for an earlier wait may end this one early: look again.
            match deadline {
                None => std::thread::park(),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    std::thread::park_timeout(left);
                }
            }
        }
    }
}

/// Dropped without waiting: the reply is discarded when it comes (or now, if it did).
impl Drop for PendingReply {
    fn drop(&mut self) {
        if !self.settled {
            lock(&self.shared.core).replies.forget(self.id);
        }
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;

    // A caller holds one per request in flight: a pipeline of 10,000 holds 10,000
    // (bench: `zkbench` with ZKB_WORKLOADS=memory and ZKB_CLIENT_KIND=shared).
    #[test]
    fn a_pending_reply_is_three_words() {
        assert_eq!(std::mem::size_of::<PendingReply>(), 24);
    }
}
