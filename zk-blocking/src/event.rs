//! What the drivers hand out: replies ([`Completion`]), watch and session events
//! ([`Event`]), and the external driver's mix of both ([`ExternalEvent`]), all made
//! from the session's events by one translation.

use zk_proto::KeeperState;
use zk_session::{Registration, RequestId, Response, StateReason};

use crate::error::Result;
use crate::watch::{WatchHandle, WatchedEvent};

/// The reply of one submitted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The id `submit` returned.
    pub id: RequestId,
    /// The reply.
    pub result: Result<Response>,
    /// The watch the request left, if it asked for one and succeeded.
    pub watch: Option<WatchHandle>,
}

impl Completion {
    /// The session's reply as a program sees it, `result` already in this crate's
    /// terms.
    pub(crate) fn new(
        id: RequestId,
        result: Result<Response>,
        registration: Option<&Registration>,
    ) -> Completion {
        Completion {
            id,
            result,
            watch: registration.map(WatchHandle::from_registration),
        }
    }
}

/// A watch notification or session state change, in the order it came off the wire:
/// what [`crate::Client::next_event`] returns, and what
/// [`crate::ExternalDriver::poll_event`] returns between replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A watch fired or was removed.
    Watch(WatchedEvent),
    /// The session changed state: `SyncConnected`, `ConnectedReadOnly`, `Disconnected`,
    /// and finally `Expired`, `AuthFailed` or `Closed`. It concerns every watch.
    Session {
        /// The state the session is in now.
        state: KeeperState,
        /// Why it left its connection or ended, for `Disconnected`, `Expired`,
        /// `AuthFailed` and `Closed` ("server 127.0.0.1:2181 closed the connection");
        /// `None` for a connected state. It is the reason of this very change, where a
        /// client's `state_reason()` is the latest one, which may be newer.
        reason: Option<StateReason>,
    },
    /// Events were left unread beyond [`crate::Options::max_queued_events`]: `dropped`
    /// notifications and state changes were discarded instead of queued. Treat it as
    /// a disconnect for every watch named: re-read what they watch (one-shot ones may
    /// have fired and be gone).
    Overflow {
        /// How many events were dropped.
        dropped: u64,
        /// The watches those events would have reached.
        watches: Vec<WatchHandle>,
    },
}

/// What [`crate::ExternalDriver::poll_event`] returns, in wire order: a reply, or a
/// watch or session event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalEvent {
    /// The reply of a request [`crate::ExternalDriver::submit`] queued; exactly one per
    /// request.
    Reply(Completion),
    /// A watch notification, session state change or overflow.
    Event(Event),
}

impl ExternalEvent {
    /// The session's event as a program sees it: watch handles instead of
    /// registrations, this crate's [`crate::Error`] instead of the session's.
    pub(crate) fn from_session(event: zk_session::Event) -> ExternalEvent {
        let handles = |registrations: &[Registration]| {
            registrations
                .iter()
                .map(WatchHandle::from_registration)
                .collect()
        };
        ExternalEvent::Event(match event {
            zk_session::Event::Reply {
                id,
                result,
                registration,
            } => {
                let reply = Completion::new(id, result.map_err(Into::into), registration.as_ref());
                return ExternalEvent::Reply(reply);
            }
            zk_session::Event::Watch(w) => Event::Watch(WatchedEvent::from_session(w)),
            zk_session::Event::State { state, reason, .. } => Event::Session { state, reason },
            zk_session::Event::Overflow {
                dropped,
                registrations,
            } => Event::Overflow {
                dropped,
                watches: handles(&registrations),
            },
        })
    }
}
