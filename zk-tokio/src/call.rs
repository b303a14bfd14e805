//! The futures of requests: [`PendingReply`] for a submitted request's reply, [`Call`]
//! for a typed operation's result. The request is queued when the future is made, so
//! calls go on the wire in the order they were made, whenever they are awaited.
//! Dropping either before it is ready never disturbs the session or another caller:
//! the request still completes in the session, and its reply is dropped (a watch it
//! set is removed).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;
use zk_blocking::{Completion, Error, Response, Result, WatchHandle};
use zk_session::RequestId;

use crate::core::{ReplyParts, Shared};

/// The reply of a request queued with [`crate::Client::submit`]: a future of its
/// [`Completion`] (exactly one per request, also when the connection or the session
/// ends first). Dropping it leaves the request to complete unseen.
pub struct PendingReply {
    /// `None` once the reply was handed out (or given up): nothing is left to forget
    /// on drop.
    shared: Option<Arc<Shared>>,
    id: RequestId,
}

impl PendingReply {
    pub(crate) fn new(shared: Arc<Shared>, id: RequestId) -> PendingReply {
        PendingReply {
            shared: Some(shared),
            id,
        }
    }

    /// The request's id (as in its [`Completion`]).
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Gives the request up without waiting for it and, when it is a sequential
    /// create, has the session delete the node it made (or may have made): see
    /// [`zk_blocking::Client::abandon_and_delete`]. For a value that made a node for
    /// its own use (a lock's contender node) and is dropped before the answer.
    pub fn abandon_and_delete(mut self) {
        if let Some(shared) = self.shared.take() {
            let id = self.id;
            shared.with(|core, wakeups| core.give_up_and_delete(id, wakeups));
        }
    }

    /// Gives up on the request: not sent if it is still queued; if sent, its reply
    /// and any watch it sets are discarded. Returns the client's call timeout.
    fn give_up(&mut self) -> Option<Duration> {
        let shared = self.shared.take()?;
        let id = self.id;
        shared.with(|core, wakeups| core.give_up(id, wakeups));
        shared.call_timeout()
    }
}

impl PendingReply {
    /// The reply's parts once it is in (a typed call takes them without making a
    /// [`Completion`]).
    #[inline]
    fn poll_parts(&mut self, cx: &Context<'_>) -> Poll<ReplyParts> {
        let Some(shared) = &self.shared else {
            // Polled again after it completed.
            return Poll::Ready((Err(Error::Closed), None));
        };
        let reply = shared.lock().poll_reply(self.id, cx);
        if reply.is_ready() {
            self.shared = None;
        }
        reply
    }
}

impl Future for PendingReply {
    type Output = Completion;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Completion> {
        let this = self.get_mut();
        this.poll_parts(cx).map(|(result, watch)| Completion {
            id: this.id,
            result,
            watch,
        })
    }
}

impl Drop for PendingReply {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let id = self.id;
            shared.with(|core, wakeups| core.forget_reply(id, wakeups));
        }
    }
}

impl fmt::Debug for PendingReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingReply")
            .field("id", &self.id)
            .finish()
    }
}

/// A reply and the watch it set, or the call's error.
pub(crate) type Reply = Result<(Response, Option<WatchHandle>)>;

type Unpack<T> = Box<dyn FnOnce(Reply) -> Result<T> + Send>;

/// The future of one typed operation of [`crate::Client`]: resolves to the same
/// typed result as the blocking client's method of the same name. The request is
/// already queued (or refused: then the future resolves to that error at once).
///
/// With [`Options::call_timeout`](crate::Options::call_timeout) set, a call whose
/// reply has not come by then fails with [`Error::Timeout`] and gives its request up
/// (not sent if still queued; if sent, the server may apply it, but its reply and any
/// watch are discarded). `tokio::time::timeout` around a call instead just drops it:
/// the request completes unseen (a create cut short may still create its node: see
/// the [crate docs](crate#disconnects-expiry-and-calls-cut-short)).
#[must_use = "the request is queued; await the future for its result"]
pub struct Call<T> {
    state: State<T>,
}

// Small: a program may hold many calls at once (the rare parts are boxed, and two
// variants leave the enum room for its tag inside `Waiting`).
enum State<T> {
    Waiting {
        reply: PendingReply,
        unpack: Unpack<T>,
        deadline: Option<Box<Deadline>>,
    },
    /// Refused with this error (not reported yet), or finished.
    Over(Option<Box<Error>>),
}

/// When a call with a timeout gives up: the instant, counted from the call, and its
/// timer once the call is first polled (inside a runtime: the call may be made
/// outside one, as `runtime.block_on(zk.get_data(path))` makes it).
enum Deadline {
    Due(tokio::time::Instant),
    Armed(Pin<Box<Sleep>>),
}

impl<T> Call<T> {
    pub(crate) fn refused(error: Error) -> Call<T> {
        Call {
            state: State::Over(Some(Box::new(error))),
        }
    }

    pub(crate) fn waiting(
        reply: PendingReply,
        unpack: Unpack<T>,
        timeout: Option<Duration>,
    ) -> Call<T> {
        Call {
            state: State::Waiting {
                reply,
                unpack,
                deadline: timeout.map(|t| Box::new(Deadline::Due(tokio::time::Instant::now() + t))),
            },
        }
    }
}

impl<T> Future for Call<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.get_mut();
        let State::Waiting {
            reply, deadline, ..
        } = &mut this.state
        else {
            return match std::mem::replace(&mut this.state, State::Over(None)) {
                State::Over(Some(e)) => Poll::Ready(Err(*e)),
                _ => Poll::Ready(Err(Error::InvalidArgument(
                    "a Call was polled again after it completed".to_string(),
                ))),
            };
        };
        let (result, watch) = match reply.poll_parts(cx) {
            Poll::Ready(parts) => parts,
            Poll::Pending => {
                let Some(deadline) = deadline else {
                    return Poll::Pending;
                };
                if let Deadline::Due(at) = **deadline {
                    if tokio::runtime::Handle::try_current().is_err() {
                        reply.give_up();
                        this.state = State::Over(None);
                        return Poll::Ready(Err(Error::System(
                            "call_timeout needs a tokio runtime to time the call: await it inside one"
                                .to_string(),
                        )));
                    }
                    **deadline = Deadline::Armed(Box::pin(tokio::time::sleep_until(at)));
                }
                let Deadline::Armed(sleep) = &mut **deadline else {
                    unreachable!("armed just above");
                };
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let timeout = reply.give_up().unwrap_or_default();
                this.state = State::Over(None);
                return Poll::Ready(Err(Error::Timeout(timeout)));
            }
        };
        let State::Waiting { unpack, .. } = std::mem::replace(&mut this.state, State::Over(None))
        else {
            unreachable!("the state was just seen waiting");
        };
        Poll::Ready(unpack(result.map(|r| (r, watch))))
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Waiting { reply, .. } => format!("waiting for request {}", reply.id),
            State::Over(Some(e)) => format!("refused: {e}"),
            State::Over(None) => "finished".to_string(),
        };
        f.debug_struct("Call").field("state", &state).finish()
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;

    // A program holds one per request in flight: a batch of 10,000 calls holds 10,000
    // (bench: `zkbench` with ZKB_WORKLOADS=memory and ZKB_CLIENT_KIND=tokio).
    // Replies waiting for their callers move inline up to 128 bytes; larger, each
    // move is a call to `memcpy` (a tenth of a pipelined get's client CPU once).
    #[test]
    fn a_waiting_reply_moves_inline() {
        assert!(std::mem::size_of::<ReplyParts>() <= 128);
    }

    #[test]
    fn calls_stay_small() {
        assert_eq!(std::mem::size_of::<PendingReply>(), 16);
        assert_eq!(
            std::mem::size_of::<Call<(bytes::Bytes, zk_blocking::Stat)>>(),
            40
        );
    }
}
