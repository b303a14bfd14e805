//! Watch handles and the watch events that name them. The live watches themselves (with
//! their paths) are the session's ([`zk_session::Session::watches`]).

use zk_proto::EventType;
use zk_session::{Registration, RequestId, WatchKind};

/// Identifies one watch: the request that set it and the table it lives in (a copyable
/// key for the session's [`Registration`], which also has the path). Events name the
/// handles they fired, so a program can tell its watches apart.
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

    /// The handle of a registration (one of [`zk_session::Session::watches`]); also
    /// how tests of code that consumes watches, such as recipe machines, script one.
    pub fn from_registration(r: &Registration) -> WatchHandle {
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
    /// The watches this event fired (at least one); one-shot ones are gone now. A
    /// notification that fires none of this client's watches (one removed, or whose
    /// call timed out, while the server still held it) is dropped, not handed out;
    /// [`zk_session::Session::stray_notifications`] counts them.
    pub watches: Vec<WatchHandle>,
}

impl WatchedEvent {
    /// The session's watch event as a program sees it: handles, not registrations.
    pub(crate) fn from_session(event: zk_session::WatchEvent) -> WatchedEvent {
        WatchedEvent {
            event_type: event.event_type,
            path: event.path,
            zxid: event.zxid,
            watches: event
                .registrations
                .iter()
                .map(WatchHandle::from_registration)
                .collect(),
        }
    }

    /// Whether `handle` is among the watches fired.
    pub fn fired(&self, handle: WatchHandle) -> bool {
        self.watches.contains(&handle)
    }
}
