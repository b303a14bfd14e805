//! Adapters: run a [`Recipe`] on a client until it has an output. The
//! blocking ones implement [`Driver`] (the blocking [`Client`] and the
//! [`SharedClient`]); `tokio` has the async one.

mod blocking;
#[cfg(unix)]
mod shared;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

use std::time::Instant;

use zk_blocking::{Event, Result, WatchHandle, WatchedEvent};

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

    /// The session's current connection, for a caller that must notice reconnects
    /// between two runs (`None` from drivers whose recipes hear every state change
    /// themselves: the blocking client's).
    fn connection(&self) -> Option<zk_blocking::ConnId> {
        None
    }

    /// Watch and session events the recipe took from the client that were not its
    /// own (the blocking [`Client`] has one event queue for everyone), to be handled
    /// by the program. Empty for the other drivers.
    fn take_other_events(&mut self) -> Vec<Event> {
        Vec::new()
    }
}

pub use blocking::Blocking;

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
