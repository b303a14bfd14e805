//! Adapters: run a [`Recipe`] on a client until it has an output. The
//! blocking ones implement [`Driver`] (the blocking [`Client`] and the
//! [`SharedClient`]); `tokio` has the async one.

mod blocking;
mod in_flight;
#[cfg(unix)]
mod shared;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

use std::time::Instant;

use zk_blocking::{Error, Event, KeeperState, Result, WatchHandle, WatchedEvent};

use crate::machine::Recipe;

/// A client that can run recipe machines in the calling thread.
pub trait Driver {
    /// Runs `recipe` until it has an output (returned), or `deadline` passes
    /// (`Ok(None)`). Fails only when the client cannot carry requests any more in a
    /// way the recipe did not handle.
    fn run<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
    ) -> Result<Option<R::Output>>;

    /// Like [`Driver::run`], but `deadline` bounds the wait for replies too: a
    /// request still unanswered then stays in `in_flight`, and the next run given the
    /// same `in_flight` hands its reply to the recipe (the recipe's output may come
    /// before it). For a recipe run as a series of bounded waits (a hold's), so that
    /// none overruns its timeout and none gives up a question a later one can hear
    /// the answer to. The default, for a driver that cannot keep requests:
    /// [`Driver::run`], which waits for the replies due past the deadline.
    fn run_keeping<R: Recipe>(
        &mut self,
        recipe: &mut R,
        deadline: Option<Instant>,
        in_flight: &mut InFlight,
    ) -> Result<Option<R::Output>> {
        let _ = in_flight;
        self.run(recipe, deadline)
    }

    /// Gives up the requests `in_flight` keeps for a recipe that will not run again
    /// (a guard dropped, a hold lost): their replies are discarded when they come,
    /// never handed to the program. Dropping `in_flight` does the same (the blocking
    /// client's at its next pump or wait); this gives them up now and keeps
    /// `in_flight` for a new start.
    fn abandon(&mut self, in_flight: &mut InFlight) {
        *in_flight = InFlight::default();
    }

    /// The session's current connection while it is connected (`None` while it
    /// looks for a server, a new connection's handshake included), for a caller that
    /// must notice reconnects between two runs.
    fn connection(&self) -> Option<zk_blocking::ConnId>;

    /// Whether the session's current connection is to a read-only server (one cut
    /// off from its quorum: it serves reads that may be stale, refuses writes, and
    /// cannot vouch for the session). A held lock or a leadership is uncertain
    /// there. The default, for a driver that does not say: never.
    fn is_read_only(&self) -> bool {
        false
    }
}

pub use blocking::Blocking;
pub use in_flight::InFlight;

pub use zk_blocking::Client;
#[cfg(unix)]
pub use zk_blocking::SharedClient;

/// The event of watches that are gone without an event the adapter could hand over
/// (it fired before its stream was taken, it was removed, or its events were dropped
/// for the memory bound): as good as fired, the recipe looks again.
pub(crate) fn as_fired(watches: Vec<WatchHandle>) -> WatchedEvent {
    WatchedEvent {
        event_type: zk_blocking::EventType::None,
        path: String::new(),
        zxid: -1,
        watches,
    }
}

/// What an adapter tells its recipe of the session's connections: a disconnect, when
/// the connection it last saw up is no longer (a held lock's watch says the hold is
/// uncertain then), and a reconnect, when it sees a connection other than the last it
/// saw connected (a persistent watch reads again then; a held lock's watch asks
/// whether its node is still there), as `ConnectedReadOnly` when it is to a read-only
/// server (a held lock stays uncertain there, as on zk-tokio's client, which hands
/// its recipes the state itself). Its recipe hears of no other state change but the
/// session's end; the state events stay the program's. A connection still dialling or
/// in its handshake is not the reconnect yet ([`Driver::connection`] is `None` until
/// it is up).
#[derive(Debug)]
pub(crate) struct Reconnects {
    last: Option<zk_blocking::ConnId>,
    /// Whether the last connection seen was up.
    up: bool,
}

impl Reconnects {
    /// Starting from `driver`'s connection now.
    pub(crate) fn new<D: Driver + ?Sized>(driver: &D) -> Reconnects {
        let now = driver.connection();
        Reconnects {
            last: now,
            up: now.is_some(),
        }
    }

    /// Tells `recipe` if `driver`'s connection is gone or a new one.
    pub(crate) fn tell<D: Driver + ?Sized, R: Recipe>(&mut self, driver: &D, recipe: &mut R) {
        let Some(now) = driver.connection() else {
            if std::mem::take(&mut self.up) {
                recipe.handle_session(KeeperState::Disconnected);
            }
            return;
        };
        if self.last != Some(now) {
            recipe.handle_session(KeeperState::Disconnected);
            recipe.handle_session(if driver.is_read_only() {
                KeeperState::ConnectedReadOnly
            } else {
                KeeperState::SyncConnected
            });
        }
        self.last = Some(now);
        self.up = true;
    }
}

/// Tells `recipe` that the session reconnected (what it may have missed meanwhile,
/// it reads again).
pub(crate) fn tell_reconnect<R: Recipe>(recipe: &mut R) {
    recipe.handle_session(KeeperState::Disconnected);
    recipe.handle_session(KeeperState::SyncConnected);
}

/// Hands what a client's `wait_watch` gave to `recipe`: an event, an overflow (as
/// good as a firing), or the end of the session. Returns the session's error once it
/// is over (the client's own: `SaslRequired` when a server required SASL): an adapter
/// returns it unless the recipe has an output (a recipe that still names a watch
/// would otherwise be waited on again, and the wait fails at once).
pub(crate) fn feed<R: Recipe>(
    recipe: &mut R,
    waited: Result<Option<Event>>,
) -> Result<Option<Error>> {
    let end = match waited {
        Ok(Some(Event::Watch(e))) => {
            recipe.handle_watch(&e);
            return Ok(None);
        }
        // Its events were dropped for the memory bound: as good as fired.
        Ok(Some(Event::Overflow { watches, .. })) => {
            recipe.handle_watch(&as_fired(watches));
            return Ok(None);
        }
        Ok(Some(Event::Session { state, reason })) => {
            match crate::machine::ending(state, reason.as_ref()) {
                Some(end) => end,
                None => {
                    recipe.handle_session(state);
                    return Ok(None);
                }
            }
        }
        Ok(None) => return Ok(None),
        // The watch is gone (it fired and its event was taken, or it was removed):
        // as good as fired; the recipe looks again.
        Err(Error::NoWatcher { .. }) => {
            if let Some(watch) = recipe.watch() {
                recipe.handle_watch(&as_fired(vec![watch]));
            }
            return Ok(None);
        }
        Err(e) if e.is_session_over() => e,
        Err(e) => return Err(e),
    };
    recipe.handle_session_end(end.clone());
    Ok(Some(end))
}
