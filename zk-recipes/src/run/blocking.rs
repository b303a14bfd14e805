//! The adapter for the blocking [`Client`]: it pumps the client in the calling thread.

use std::time::{Duration, Instant};

use zk_blocking::{Client, Error, Event, Result};

use super::{Driver, as_fired};
use crate::machine::Recipe;

/// The longest single wait, so that a deadline is checked this often.
const SLICE: Duration = Duration::from_millis(100);

/// A blocking [`Client`] running recipes; events the recipes take that are not theirs
/// are kept for [`Driver::take_other_events`].
#[derive(Debug)]
pub struct Blocking<'a> {
    client: &'a mut Client,
    others: Vec<Event>,
}

impl<'a> Blocking<'a> {
    /// Runs recipes on `client`.
    pub fn new(client: &'a mut Client) -> Blocking<'a> {
        Blocking {
            client,
            others: Vec::new(),
        }
    }

    /// The client, for calls between recipe steps.
    pub fn client(&mut self) -> &mut Client {
        self.client
    }
}

impl Driver for Blocking<'_> {
    fn run<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
    ) -> Result<Option<R::Output>> {
        let mut pending = std::collections::VecDeque::new();
        loop {
            while let Some(submit) = recipe.poll_submit() {
                match self.client.submit(submit.request) {
                    Ok(id) => pending.push_back((id, submit.token)),
                    Err(e) => recipe.handle_reply(submit.token, Err(e)),
                }
            }
            // An output waits for the replies due: this run's requests are known
            // only here, and a reply left behind would never reach the recipe.
            if pending.is_empty() {
                if let Some(output) = recipe.poll_output() {
                    return Ok(Some(output));
                }
            }
            // Nothing due and nothing watched: the recipe waits for its user.
            if pending.is_empty() && recipe.watch().is_none() {
                return Ok(None);
            }
            let left = match deadline {
                Some(at) => at.saturating_duration_since(Instant::now()),
                None => SLICE,
            };
            // Past the deadline only with no reply due: a reply left behind here would
            // never reach the recipe (the next run starts with nothing pending).
            if left.is_zero() && pending.is_empty() {
                return Ok(None);
            }
            let slice = if left.is_zero() {
                SLICE
            } else {
                left.min(SLICE)
            };
            let mut answered = false;
            if let Some(&(id, token)) = pending.front() {
                match self.client.wait_completion(id, slice) {
                    Ok(c) => {
                        pending.pop_front();
                        recipe.handle_reply(token, c.result.map(|r| (r, c.watch)));
                        answered = true;
                    }
                    Err(Error::Timeout(_)) => {}
                    Err(e) => {
                        pending.pop_front();
                        recipe.handle_reply(token, Err(e));
                        answered = true;
                    }
                }
            }
            // Events: those already queued, or (with no reply due, and no reply just
            // handed over, whose next request or output comes first) the next one.
            let wait = if pending.is_empty() && !answered {
                slice
            } else {
                Duration::ZERO
            };
            loop {
                match self.client.next_event(wait) {
                    Ok(Some(Event::Watch(e))) if recipe.watch().is_some_and(|w| e.fired(w)) => {
                        recipe.handle_watch(&e);
                    }
                    Ok(Some(event)) => {
                        match &event {
                            Event::Session { state, .. } => recipe.handle_session(*state),
                            // Events of the recipe's watch were dropped for the memory
                            // bound: as good as fired (the program is told too).
                            Event::Overflow { watches, .. }
                                if recipe.watch().is_some_and(|w| watches.contains(&w)) =>
                            {
                                recipe.handle_watch(&as_fired(watches.clone()));
                            }
                            _ => {}
                        }
                        self.others.push(event);
                    }
                    Ok(None) => break,
                    // The session is over and its last event taken; replies still
                    // due come at once (failed), and may give the recipe its output.
                    Err(_) if !pending.is_empty() => break,
                    Err(e) => return recipe.poll_output().map(Some).ok_or(e),
                }
                if self.client.queued_events() == 0 {
                    break;
                }
            }
        }
    }

    fn take_other_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.others)
    }
}
