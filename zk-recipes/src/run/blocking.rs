//! The adapter for the blocking [`Client`]: it pumps the client in the calling thread.

use std::time::{Duration, Instant};

use zk_blocking::{Client, Error, Result};

use super::in_flight::deletes_if_given_up;
use super::{Driver, InFlight, Reconnects, feed};
use crate::machine::Recipe;

/// The longest single wait, so that a deadline is checked this often.
const SLICE: Duration = Duration::from_millis(100);

/// A blocking [`Client`] running recipes. A recipe takes only its own replies; it
/// gets copies of its own watch's events ([`Client::wait_watch`]), and every event
/// stays queued for the program's [`Client::next_event`].
#[derive(Debug)]
pub struct Blocking<'a> {
    client: &'a mut Client,
}

impl<'a> Blocking<'a> {
    /// Runs recipes on `client`.
    pub fn new(client: &'a mut Client) -> Blocking<'a> {
        Blocking { client }
    }

    /// The client, for calls between recipe steps.
    pub fn client(&mut self) -> &mut Client {
        self.client
    }
}

impl Driver for Blocking<'_> {
    fn connection(&self) -> Option<zk_blocking::ConnId> {
        self.client
            .conn_id()
            .filter(|_| self.client.state().is_connected())
    }

    fn is_read_only(&self) -> bool {
        self.client.state() == zk_blocking::SessionState::ConnectedReadOnly
    }

    fn run<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
    ) -> Result<Option<R::Output>> {
        // Replies always come (the session answers every request in bounded time):
        // they are waited for past the deadline, as nothing keeps them for later.
        self.run_in(recipe, deadline, &mut InFlight::default(), false)
    }

    fn run_keeping<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
        in_flight: &mut InFlight,
    ) -> Result<Option<R::Output>> {
        self.run_in(recipe, deadline, in_flight, true)
    }

    fn abandon(&mut self, in_flight: &mut InFlight) {
        // Their ids alone do not give them up: the client would keep their replies
        // for a `wait_any` of the program's.
        for (id, _, delete) in in_flight.ids.drain(..) {
            if delete {
                self.client.abandon_and_delete(id);
            } else {
                self.client.abandon(id);
            }
        }
    }
}

impl Blocking<'_> {
    /// [`Driver::run`] with the requests out in `in_flight`; `keep`: the deadline
    /// bounds the wait for their replies too (they stay in `in_flight`).
    fn run_in<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
        in_flight: &mut InFlight,
        keep: bool,
    ) -> Result<Option<R::Output>> {
        if keep && in_flight.abandoner.is_none() {
            in_flight.abandoner = Some(self.client.abandoner());
        }
        let pending = &mut in_flight.ids;
        let mut reconnects = Reconnects::new(self);
        loop {
            reconnects.tell(self, recipe);
            while let Some(submit) = recipe.poll_submit() {
                let delete = deletes_if_given_up(&submit.request);
                match self.client.submit(submit.request) {
                    Ok(id) => pending.push_back((id, submit.token, delete)),
                    Err(e) => recipe.handle_reply(submit.token, Err(e)),
                }
            }
            // An output waits for the replies due unless they are kept: a reply
            // left behind would never reach the recipe.
            if keep || pending.is_empty() {
                if let Some(output) = recipe.poll_output() {
                    return Ok(Some(output));
                }
            }
            let left = deadline.map(|at| at.saturating_duration_since(Instant::now()));
            if let Some(&(id, token, _)) = pending.front() {
                let slice = match left {
                    Some(left) if keep || !left.is_zero() => left.min(SLICE),
                    _ => SLICE,
                };
                match self.client.wait_completion(id, slice) {
                    Ok(c) => {
                        pending.pop_front();
                        recipe.handle_reply(token, c.result.map(|r| (r, c.watch)));
                    }
                    Err(Error::Timeout(_)) if keep && left.is_some_and(|l| l.is_zero()) => {
                        return Ok(None);
                    }
                    Err(Error::Timeout(_)) => continue,
                    Err(e) => {
                        pending.pop_front();
                        recipe.handle_reply(token, Err(e));
                    }
                }
                // The watch a reply set is the recipe's from now on: a wait that does
                // not wait claims it, so its events are kept for the recipe even if
                // the program reads `next_event` before the next run. (The session's
                // end, if it came, is returned by the wait below.)
                if let Some(watch) = recipe.watch() {
                    feed(recipe, self.client.wait_watch(watch, Duration::ZERO))?;
                }
                continue;
            }
            let Some(watch) = recipe.watch() else {
                // Nothing due and nothing watched: the recipe waits for its user.
                return Ok(None);
            };
            // Past the deadline the watch is still looked at once, without waiting,
            // so that a caller who does not wait hears what came already.
            let waited = self
                .client
                .wait_watch(watch, left.unwrap_or(SLICE).min(SLICE));
            let nothing_came = matches!(waited, Ok(None));
            if let Some(end) = feed(recipe, waited)? {
                return recipe.poll_output().map(Some).ok_or(end);
            }
            if nothing_came && left.is_some_and(|l| l.is_zero()) {
                return Ok(None);
            }
        }
    }
}
