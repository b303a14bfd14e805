//! Watch handles, the events a client hands out, and the client's own record of its
//! live watches (to remove one by handle and to answer `check_watches`).

use std::collections::HashMap;

use zk_proto::{EventType, KeeperState};
use zk_session::{Registration, Request, RequestId, Response, WatchKind, WatcherType};

/// Identifies one watch: the request that set it and the table it lives in. Events
/// name the handles they fired, so a program can tell its watches apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatchHandle {
    id: RequestId,
    kind: WatchKind,
}

impl WatchHandle {
    /// The id of the request that set the watch.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Which kind of watch it is (one-shot data/exist/child, persistent, recursive).
    pub fn kind(&self) -> WatchKind {
        self.kind
    }

    pub(crate) fn from_registration(r: &Registration) -> WatchHandle {
        WatchHandle {
            id: r.id,
            kind: r.kind,
        }
    }
}

/// A watch notification (or the removal of watches), with the watches it fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedEvent {
    /// What happened: NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged,
    /// or DataWatchRemoved / ChildWatchRemoved / PersistentWatchRemoved.
    pub event_type: EventType,
    /// The node, as a client path (chroot removed).
    pub path: String,
    /// The zxid of the change (-1 from servers before 3.9 and for removals).
    pub zxid: i64,
    /// The watches this event fired; one-shot ones are gone now. Empty means none of
    /// this client's watches matched (treat it as the default watcher's).
    pub watches: Vec<WatchHandle>,
}

impl WatchedEvent {
    /// Whether `handle` is among the watches fired.
    pub fn fired(&self, handle: WatchHandle) -> bool {
        self.watches.contains(&handle)
    }
}

/// What [`crate::Client::next_event`] returns, in the order it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A watch fired or was removed.
    Watch(WatchedEvent),
    /// The session changed state: `SyncConnected`, `ConnectedReadOnly`, `Disconnected`,
    /// and finally `Expired`, `AuthFailed` or `Closed`. It concerns every watch.
    Session(KeeperState),
}

/// The client's record of live watches: handle → client path.
#[derive(Debug, Default)]
pub(crate) struct WatchBook {
    /// Requests that will register a watch if they succeed: id → (path, kind to use;
    /// `None` for exists, whose kind depends on the result).
    pending: HashMap<RequestId, (String, Option<WatchKind>)>,
    live: HashMap<WatchHandle, String>,
}

impl WatchBook {
    /// The watch `req` would leave if it succeeds: its path and kind (`None` for
    /// exists, whose kind depends on the result).
    pub(crate) fn intent(req: &Request) -> Option<(String, Option<WatchKind>)> {
        Some(match req {
            Request::GetData { path, watch: true } => (path.clone(), Some(WatchKind::Data)),
            Request::Exists { path, watch: true } => (path.clone(), None),
            Request::GetChildren {
                path, watch: true, ..
            } => (path.clone(), Some(WatchKind::Child)),
            Request::GetConfig { watch: true } => {
                (zk_session::CONFIG_NODE.to_string(), Some(WatchKind::Data))
            }
            Request::AddWatch { path, recursive } => (
                path.clone(),
                Some(if *recursive {
                    WatchKind::PersistentRecursive
                } else {
                    WatchKind::Persistent
                }),
            ),
            _ => return None,
        })
    }

    /// Notes that the request `id` may leave the watch `intent`.
    pub(crate) fn submitted(&mut self, id: RequestId, intent: Option<(String, Option<WatchKind>)>) {
        if let Some(intent) = intent {
            self.pending.insert(id, intent);
        }
    }

    /// A reply arrived: returns the handle of the watch it registered, if any.
    pub(crate) fn replied(
        &mut self,
        id: RequestId,
        result: &Result<Response, zk_session::RequestError>,
    ) -> Option<WatchHandle> {
        let (path, kind) = self.pending.remove(&id)?;
        let kind = match (kind, result) {
            (_, Err(_)) => return None,
            (Some(kind), Ok(_)) => kind,
            (None, Ok(Response::Exists(Some(_)))) => WatchKind::Data,
            (None, Ok(_)) => WatchKind::Exist,
        };
        let handle = WatchHandle { id, kind };
        self.live.insert(handle, path);
        Some(handle)
    }

    /// Forgets the handles an event fired that are now gone (one-shot ones, and every
    /// handle of a removal event).
    pub(crate) fn fired(&mut self, event_type: EventType, handles: &[WatchHandle]) {
        let removal = matches!(
            event_type,
            EventType::DataWatchRemoved
                | EventType::ChildWatchRemoved
                | EventType::PersistentWatchRemoved
        );
        for h in handles {
            if removal || h.kind.is_one_shot() {
                self.live.remove(h);
            }
        }
    }

    /// The session ended: no watch survives.
    pub(crate) fn clear(&mut self) {
        self.live.clear();
        self.pending.clear();
    }

    /// The path of a live watch.
    pub(crate) fn path_of(&self, handle: &WatchHandle) -> Option<&str> {
        self.live.get(handle).map(String::as_str)
    }

    /// Live watches on `path` of the kinds `watcher_type` covers, oldest first.
    pub(crate) fn on_path(&self, path: &str, watcher_type: WatcherType) -> Vec<WatchHandle> {
        let mut found: Vec<WatchHandle> = self
            .live
            .iter()
            .filter(|(h, p)| p.as_str() == path && watcher_type.covers(h.kind))
            .map(|(h, _)| *h)
            .collect();
        found.sort_by_key(|h| h.id);
        found
    }
}
