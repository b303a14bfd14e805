//! The adapter for zk-tokio's async [`Client`]: replies are awaited in order, the
//! recipe's watch through its event stream ([`Client::watch_stream`]).

use std::collections::VecDeque;
use std::time::Instant;

use zk_blocking::{Error, Event, KeeperState, Result, WatchedEvent};
use zk_tokio::Client;

use crate::machine::Recipe;

/// Runs `recipe` on `client` until it has an output; `Ok(None)` when it waits for its
/// user (no reply due, no watch), or when `deadline` passes while it waits for its
/// watch (replies due are awaited regardless: they come in bounded time). Dropping the
/// future between awaits leaves requests to complete unseen: use the deadline, or the
/// recipe's own cancel, for a clean stop.
pub(crate) async fn run<R: Recipe>(
    client: &Client,
    recipe: &mut R,
    deadline: Option<Instant>,
) -> Result<Option<R::Output>> {
    let mut pending = VecDeque::new();
    loop {
        while let Some(submit) = recipe.poll_submit() {
            match client.submit(submit.request) {
                Ok(reply) => pending.push_back((reply, submit.token)),
                Err(e) => recipe.handle_reply(submit.token, Err(e)),
            }
        }
        if let Some(output) = recipe.poll_output() {
            return Ok(Some(output));
        }
        if let Some((reply, token)) = pending.pop_front() {
            let c = reply.await;
            recipe.handle_reply(token, c.result.map(|r| (r, c.watch)));
            continue;
        }
        let Some(watch) = recipe.watch() else {
            return Ok(None);
        };
        // The watch fired before its stream was taken: as good as seen.
        let fired = WatchedEvent {
            event_type: zk_blocking::EventType::None,
            path: String::new(),
            zxid: -1,
            watches: vec![watch],
        };
        let Ok(mut events) = client.watch_stream(watch) else {
            recipe.handle_watch(&fired);
            continue;
        };
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at.into(), events.next()).await {
                Ok(next) => next,
                // The stream goes, and the watch with it; the next run finds it gone
                // and looks again, as if it had fired.
                Err(_) => return Ok(None),
            },
            None => events.next().await,
        };
        match next {
            Some(Event::Watch(e)) => recipe.handle_watch(&e),
            Some(Event::Overflow { watches, .. }) => recipe.handle_watch(&WatchedEvent {
                event_type: zk_blocking::EventType::None,
                path: String::new(),
                zxid: -1,
                watches,
            }),
            Some(Event::Session(state)) => recipe.handle_session(state),
            None => match client.state() {
                zk_blocking::SessionState::Expired => recipe.handle_session(KeeperState::Expired),
                zk_blocking::SessionState::AuthFailed => {
                    recipe.handle_session(KeeperState::AuthFailed)
                }
                zk_blocking::SessionState::Closed => recipe.handle_session(KeeperState::Closed),
                _ => {
                    return Err(Error::NoWatcher {
                        path: "<the recipe's watch ended without an event>".to_string(),
                    });
                }
            },
        }
    }
}
