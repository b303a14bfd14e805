//! The adapter for zk-tokio's async [`Client`]: replies are awaited in order, the
//! recipe's watch through its event stream ([`Client::watch_stream`]), and the
//! session's state changes through [`Client::state_changes`].

use std::collections::VecDeque;
use std::time::Instant;

use zk_blocking::for_drivers::error_for_state;
use zk_blocking::{Error, Event, Result, WatchHandle};
use zk_tokio::{Client, PendingReply, StateChanges, WatchStream};

use super::as_fired;
use super::in_flight::deletes_if_given_up;
use crate::machine::{Abandon, Recipe, Token};

/// What the adapter keeps between runs of one recipe: the stream of the watch it waits
/// on (dropping it removes the watch, so a persistent one must outlive a run), the
/// session's state changes (so that the recipe hears reconnects) and, for a recipe
/// whose runs keep their requests ([`Held::keeping`]), the requests still out. A
/// recipe that needs none of it across runs passes a fresh one.
#[derive(Debug, Default)]
pub(crate) struct Held {
    watch: Option<(WatchHandle, WatchStream)>,
    states: Option<StateChanges>,
    /// The requests out, and whether they outlive a run: then the run's deadline
    /// bounds the wait for their replies too, and a run whose future is dropped
    /// leaves them here; the next run hands their replies to the recipe.
    /// Each with whether its node goes if it is given up
    /// ([`super::in_flight::deletes_if_given_up`]).
    pending: VecDeque<(PendingReply, Token, bool)>,
    keep: bool,
}

impl Held {
    /// Gives up the requests still out: their replies are dropped when they come,
    /// and the node an ephemeral create among them made is deleted.
    fn give_up_pending(&mut self) {
        for (reply, _, delete) in self.pending.drain(..) {
            if delete {
                reply.abandon_and_delete();
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.give_up_pending();
    }
}

impl Held {
    /// For a recipe run as a series of bounded waits (a hold's): each run returns by
    /// its deadline, or when its future is dropped, leaving the requests still out
    /// for the next.
    pub(crate) fn keeping() -> Held {
        let mut held = Held::default();
        held.keep = true;
        held
    }
}

/// [`run`] for a recipe that keeps nothing between runs (a watch it still waits on
/// when the run ends is removed; the next run finds it gone and looks again).
pub(crate) async fn run_once<R: Recipe>(
    client: &Client,
    recipe: &mut R,
    deadline: Option<Instant>,
) -> Result<Option<R::Output>> {
    run(client, recipe, deadline, &mut Held::default()).await
}

/// [`run_once`] for a recipe that can give its operation up: if the future is
/// dropped before it finishes, the recipe abandons the operation (ready for the next
/// one) and the requests that clean up after it are queued, without waiting for them.
pub(crate) async fn run_abandoning<R: Recipe + Abandon>(
    client: &Client,
    recipe: &mut R,
    deadline: Option<Instant>,
) -> Result<Option<R::Output>> {
    run_abandoning_in(client, recipe, deadline, &mut Held::default()).await
}

/// [`run_abandoning`] with what `held` keeps between runs (for a recipe whose runs
/// keep their requests, [`Held::keeping`]: a run ended by its deadline leaves them
/// there for the next; a run whose future is dropped gives them up with the
/// operation, as no later run could make sense of their replies).
pub(crate) async fn run_abandoning_in<R: Recipe + Abandon>(
    client: &Client,
    recipe: &mut R,
    deadline: Option<Instant>,
    held: &mut Held,
) -> Result<Option<R::Output>> {
    let mut guard = Abandoning {
        recipe,
        client,
        held,
        finished: false,
    };
    let output = run(client, &mut *guard.recipe, deadline, &mut *guard.held).await;
    guard.finished = true;
    output
}

/// Abandons its recipe's operation when dropped before the run finished.
struct Abandoning<'a, R: Abandon> {
    recipe: &'a mut R,
    client: &'a Client,
    held: &'a mut Held,
    finished: bool,
}

impl<R: Abandon> Drop for Abandoning<'_, R> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for cleanup in self.recipe.abandon() {
            // Queued now, in order (the server carries a session's requests out in
            // the order sent: a delete queued after a create still out deletes what
            // the create makes); an error (the session is over) leaves nothing to
            // clean up.
            drop(self.client.submit(cleanup));
        }
        // The operation's requests still out: the machine starts afresh and would
        // ignore their replies, so a contender node whose create is unanswered would
        // be nobody's. Given up, with such a node (the session deletes it).
        self.held.give_up_pending();
    }
}

/// Runs `recipe` on `client` until it has an output; `Ok(None)` when it waits for its
/// user (no reply due, no watch), or when `deadline` passes while it waits for its
/// watch (replies due are awaited regardless, they come in bounded time, unless
/// `held` keeps them: [`Held::keeping`]). Dropping the future between awaits leaves
/// requests to complete unseen (but those `held` keeps): use the deadline, or the
/// recipe's own cancel, for a clean stop.
pub(crate) async fn run<R: Recipe>(
    client: &Client,
    recipe: &mut R,
    deadline: Option<Instant>,
    held: &mut Held,
) -> Result<Option<R::Output>> {
    if !held.keep {
        held.give_up_pending();
    }
    let states = held.states.get_or_insert_with(|| client.state_changes());
    loop {
        while let Some(submit) = recipe.poll_submit() {
            let delete = deletes_if_given_up(&submit.request);
            match client.submit(submit.request) {
                Ok(reply) => held.pending.push_back((reply, submit.token, delete)),
                Err(e) => recipe.handle_reply(submit.token, Err(e)),
            }
        }
        // An output waits for the replies due unless they are kept: a reply left
        // behind would never reach the recipe.
        if held.keep || held.pending.is_empty() {
            if let Some(output) = recipe.poll_output() {
                return Ok(Some(output));
            }
        }
        if let Some((reply, token, _)) = held.pending.front_mut() {
            let token = *token;
            let c = match deadline.filter(|_| held.keep) {
                Some(at) => match tokio::time::timeout_at(at.into(), reply).await {
                    Ok(c) => c,
                    Err(_) => return Ok(None),
                },
                None => reply.await,
            };
            held.pending.pop_front();
            recipe.handle_reply(token, c.result.map(|r| (r, c.watch)));
            continue;
        }
        let Some(watch) = recipe.watch() else {
            return Ok(None);
        };
        if held.watch.as_ref().is_none_or(|(h, _)| *h != watch) {
            // A new watch: the old stream goes (and its watch, which the recipe no
            // longer names).
            held.watch = None;
            match client.watch_stream(watch) {
                Ok(stream) => held.watch = Some((watch, stream)),
                Err(_) => {
                    let Some(end) = session_error(client) else {
                        recipe.handle_watch(&as_fired(vec![watch]));
                        continue;
                    };
                    // The session is over: the recipe's output says so, or the error
                    // does (a recipe still naming a watch would be looked at again).
                    recipe.handle_session_end(end.clone());
                    return recipe.poll_output().map(Some).ok_or(end);
                }
            }
        }
        let Some((_, events)) = held.watch.as_mut() else {
            continue;
        };
        let wait = async {
            tokio::select! {
                event = events.next() => Ok(event),
                state = states.next() => Err(state),
            }
        };
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at.into(), wait).await {
                Ok(next) => next,
                Err(_) => return Ok(None),
            },
            None => wait.await,
        };
        match next {
            Ok(Some(Event::Watch(e))) => recipe.handle_watch(&e),
            Ok(Some(Event::Overflow { watches, .. })) => recipe.handle_watch(&as_fired(watches)),
            Ok(Some(Event::Session { state, reason })) => {
                match crate::machine::ending(state, reason.as_ref()) {
                    Some(end) => recipe.handle_session_end(end),
                    None => recipe.handle_session(state),
                }
            }
            // The watch's stream ended (its last event was taken): the recipe looks
            // again, or hears the session's end.
            Ok(None) => {
                held.watch = None;
                match session_error(client) {
                    Some(end) => recipe.handle_session_end(end),
                    None => recipe.handle_watch(&as_fired(vec![watch])),
                }
            }
            // A state change says no reason: the client's own error for the end does.
            Err(Some(state)) => match crate::machine::session_end(state) {
                Some(end) => recipe.handle_session_end(session_error(client).unwrap_or(end)),
                None => recipe.handle_session(state),
            },
            Err(None) => {
                return Err(Error::Closed);
            }
        }
    }
}

/// The error every call on `client` gets once its session is over (the client's own:
/// `SaslRequired` when a server required SASL).
pub(crate) fn session_error(client: &Client) -> Option<Error> {
    let state = client.state();
    state
        .is_terminal()
        .then(|| error_for_state(state, client.state_reason().as_ref()))
}
