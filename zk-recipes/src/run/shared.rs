//! The adapter for the [`SharedClient`]: the calling thread waits for each reply and
//! for the recipe's watch; the client's IO thread keeps the session alive.

use std::time::{Duration, Instant};

use zk_blocking::{Result, SharedClient};

use super::in_flight::deletes_if_given_up;
use super::{Driver, InFlight, Reconnects, feed};
use crate::machine::Recipe;

/// The longest single wait for a watch, so that a deadline is checked this often.
const SLICE: Duration = Duration::from_millis(200);

impl Driver for SharedClient {
    fn connection(&self) -> Option<zk_blocking::ConnId> {
        self.conn_id().filter(|_| self.state().is_connected())
    }

    fn is_read_only(&self) -> bool {
        self.state() == zk_blocking::SessionState::ConnectedReadOnly
    }

    fn run<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
    ) -> Result<Option<R::Output>> {
        // Replies always come (the session answers every request in bounded time):
        // they are waited for past the deadline, as nothing keeps them for later.
        run_in(self, recipe, deadline, &mut InFlight::default(), false)
    }

    fn run_keeping<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
        in_flight: &mut InFlight,
    ) -> Result<Option<R::Output>> {
        run_in(self, recipe, deadline, in_flight, true)
    }
}

/// [`Driver::run`] on `client` with the requests out in `in_flight`; `keep`: the
/// deadline bounds the wait for their replies too (they stay in `in_flight`).
fn run_in<R: Recipe>(
    client: &mut SharedClient,
    recipe: &mut R,
    deadline: Option<Instant>,
    in_flight: &mut InFlight,
    keep: bool,
) -> Result<Option<R::Output>> {
    let pending = &mut in_flight.replies;
    let mut reconnects = Reconnects::new(client);
    loop {
        reconnects.tell(client, recipe);
        while let Some(submit) = recipe.poll_submit() {
            let delete = deletes_if_given_up(&submit.request);
            match client.submit(submit.request) {
                Ok(reply) => pending.push_back((reply, submit.token, delete)),
                Err(e) => recipe.handle_reply(submit.token, Err(e)),
            }
        }
        // An output waits for the replies due unless they are kept: a reply left
        // behind would never reach the recipe.
        if keep || pending.is_empty() {
            if let Some(output) = recipe.poll_output() {
                return Ok(Some(output));
            }
        }
        let left = deadline.map(|at| at.saturating_duration_since(Instant::now()));
        if let Some((reply, token, _)) = pending.front_mut() {
            let wait = left.filter(|_| keep).unwrap_or(Duration::MAX);
            let Some(c) = reply.wait_timeout_keeping(wait)? else {
                return Ok(None);
            };
            let token = *token;
            pending.pop_front();
            recipe.handle_reply(token, c.result.map(|r| (r, c.watch)));
            // A persistent watch's events are kept for `wait_watch` only from its
            // first call: a call that does not wait opens its mailbox before the
            // recipe's next request goes out, so nothing after that request is
            // missed.
            if let Some(watch) = recipe.watch().filter(|w| !w.kind().is_one_shot()) {
                // The session's end, if it came, is returned by the wait below once
                // the replies due are in.
                feed(recipe, client.wait_watch(watch, Duration::ZERO))?;
            }
            continue;
        }
        let Some(watch) = recipe.watch() else {
            // Nothing due and nothing watched: the recipe waits for its user.
            return Ok(None);
        };
        // Past the deadline the watch is still looked at once, without waiting, so
        // that a caller who does not wait hears what came already.
        let waited = client.wait_watch(watch, left.unwrap_or(SLICE).min(SLICE));
        let nothing_came = matches!(waited, Ok(None));
        if let Some(end) = feed(recipe, waited)? {
            return recipe.poll_output().map(Some).ok_or(end);
        }
        if nothing_came && left.is_some_and(|l| l.is_zero()) {
            return Ok(None);
        }
    }
}
