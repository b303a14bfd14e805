//! What the session hands to the driver: transport actions and events.

use std::time::Duration;

use zk_proto::{EventType, KeeperState};

use crate::connect_string::HostAddr;
use crate::error::{CloseReason, RequestError};
use crate::id::{ConnId, RequestId};
use crate::request::Response;
use crate::state_reason::StateReason;
use crate::watch::Registration;

/// A connection action for the driver ([`crate::Session::poll_transport`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Resolve `host` and open a TCP connection, giving up after `timeout`; then call
    /// `handle_connected(conn)` or `handle_disconnected(conn, ConnectFailed)`.
    Connect {
        /// Id to tag this connection's input with.
        conn: ConnId,
        /// Where to connect.
        host: HostAddr,
        /// Dial + handshake budget (session timeout ÷ number of hosts).
        timeout: Duration,
    },
    /// Close this connection (after writing nothing more). Do not report it back.
    Close {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
    },
    /// While connected read-only: ask `host` whether it serves read-write (send the
    /// 4-letter word `isro` on a fresh connection; `rw` means yes) and report with
    /// [`crate::Session::handle_probe_result`].
    ProbeReadWrite {
        /// The server to ask.
        host: HostAddr,
    },
}

/// Something for the application ([`crate::Session::poll_event`]), in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The outcome of a submitted request; exactly one per accepted request.
    Reply {
        /// The id `submit` returned.
        id: RequestId,
        /// Result.
        result: Result<Response, RequestError>,
        /// The watch this request registered: set exactly when a watching request
        /// (getData/exists/getChildren/getConfig with `watch`, addWatch) succeeded
        /// (exists also on NoNode, as an [`crate::WatchKind::Exist`] registration).
        /// Its `id` is this reply's `id`. A later event may already have fired or
        /// removed it; [`crate::Session::registration`] says whether it is still live.
        registration: Option<Registration>,
    },
    /// A watch notification, or the removal of watches.
    Watch(WatchEvent),
    /// A session state change, with every registration that should hear of it (all of
    /// them: like Java's `None` events, which go to every watcher).
    State {
        /// `Disconnected`, `SyncConnected`, `ConnectedReadOnly`, `Expired`,
        /// `AuthFailed` or `Closed`.
        state: KeeperState,
        /// The registrations to tell (the default watcher should hear it too).
        registrations: Vec<Registration>,
        /// Why: set for `Disconnected`, `Expired`, `AuthFailed` and `Closed`, `None`
        /// for the connected states. Its `Display` is a sentence such as "server
        /// 127.0.0.1:2181 closed the connection".
        reason: Option<StateReason>,
    },
    /// The application left more than [`crate::Config::max_queued_events`] events
    /// unread, so the session dropped `dropped` watch notifications and connection
    /// state changes instead of queueing them. Treat it as a disconnect: every
    /// registration named may have missed events (one-shot ones among them may have
    /// fired and be gone), so re-read what they watch. Comes where the first dropped
    /// event would have been; at most one is queued at a time.
    Overflow {
        /// How many events were dropped.
        dropped: u64,
        /// The registrations the dropped events would have reached, and every live
        /// registration if a state change was dropped.
        registrations: Vec<Registration>,
    },
}

/// One notification (or watch removal) and every registration it fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    /// NodeCreated … NodeChildrenChanged from the server; DataWatchRemoved,
    /// ChildWatchRemoved or PersistentWatchRemoved for removals.
    pub event_type: EventType,
    /// Client path (chroot stripped).
    pub path: String,
    /// The zxid of the change (−1 from servers before 3.9 and for removals).
    pub zxid: i64,
    /// The registrations fired (never empty: a notification that fires no live
    /// registration is dropped); one-shot ones are now gone.
    pub registrations: Vec<Registration>,
}

impl WatchEvent {
    /// Whether it is a watch's removal (its last event), not a notification.
    pub fn is_removal(&self) -> bool {
        matches!(
            self.event_type,
            EventType::DataWatchRemoved
                | EventType::ChildWatchRemoved
                | EventType::PersistentWatchRemoved
        )
    }

    /// A copy naming only the registrations `keep` accepts; `None` if it names none
    /// of them.
    pub fn only(&self, keep: impl FnMut(&&Registration) -> bool) -> Option<WatchEvent> {
        let registrations: Vec<Registration> =
            self.registrations.iter().filter(keep).cloned().collect();
        (!registrations.is_empty()).then(|| WatchEvent {
            event_type: self.event_type,
            path: self.path.clone(),
            zxid: self.zxid,
            registrations,
        })
    }
}

impl Event {
    /// A copy of a notification, removal or overflow naming only the registrations
    /// `keep` accepts; `None` if it names none of them, and for replies and state
    /// changes.
    pub fn only(&self, mut keep: impl FnMut(&&Registration) -> bool) -> Option<Event> {
        match self {
            Event::Watch(w) => w.only(keep).map(Event::Watch),
            Event::Overflow {
                dropped,
                registrations,
            } => {
                let registrations: Vec<Registration> =
                    registrations.iter().filter(&mut keep).cloned().collect();
                (!registrations.is_empty()).then_some(Event::Overflow {
                    dropped: *dropped,
                    registrations,
                })
            }
            Event::Reply { .. } | Event::State { .. } => None,
        }
    }
}
