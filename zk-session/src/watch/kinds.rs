//! The kinds of watch registration, the registrations themselves, and which kinds a
//! removal or check targets.

use std::sync::Arc;

use crate::id::RequestId;

/// Which table a registration lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchKind {
    /// One-shot data watch (getData, or exists on an existing node).
    Data,
    /// One-shot exists watch on a missing node (exists that got NoNode).
    Exist,
    /// One-shot child watch (getChildren).
    Child,
    /// Persistent watch on one node (addWatch mode 0).
    Persistent,
    /// Persistent recursive watch on a node and its descendants (addWatch mode 1).
    PersistentRecursive,
}

impl WatchKind {
    /// Whether the registration is removed when it fires.
    pub fn is_one_shot(self) -> bool {
        matches!(self, WatchKind::Data | WatchKind::Exist | WatchKind::Child)
    }
}

/// One registration: the request that made it, its table and its client path.
///
/// The session reports it on the successful [`crate::Event::Reply`] of the request that
/// made it, names it in every event it fires, and lists the live ones
/// ([`crate::Session::watches`], [`crate::Session::registration`]), so a driver needs
/// no table of its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Registration {
    /// The id of the request that registered the watch.
    pub id: RequestId,
    /// Its table.
    pub kind: WatchKind,
    /// The client path it watches (chroot stripped; for a recursive watch, the root of
    /// the watched subtree). Shared, not copied, by every event that names it.
    pub path: Arc<str>,
}

impl WatchKind {
    /// The narrowest [`WatcherType`] that covers this kind (for removing or checking
    /// exactly this kind of registration).
    pub fn watcher_type(self) -> WatcherType {
        match self {
            WatchKind::Data | WatchKind::Exist => WatcherType::Data,
            WatchKind::Child => WatcherType::Children,
            WatchKind::Persistent => WatcherType::Persistent,
            WatchKind::PersistentRecursive => WatcherType::PersistentRecursive,
        }
    }
}

/// Which registrations a remove/check-watches request targets (the wire WatcherType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherType {
    /// Child watches (wire 1).
    Children,
    /// Data and exist watches (wire 2).
    Data,
    /// Every kind (wire 3).
    Any,
    /// Persistent watches (wire 4, servers 3.9+; sent as Any unless
    /// [`crate::Config::persistent_watcher_types`]).
    Persistent,
    /// Persistent recursive watches (wire 5, servers 3.9+; sent as Any unless
    /// [`crate::Config::persistent_watcher_types`]).
    PersistentRecursive,
}

impl WatcherType {
    /// The wire value.
    pub fn code(self) -> i32 {
        match self {
            WatcherType::Children => 1,
            WatcherType::Data => 2,
            WatcherType::Any => 3,
            WatcherType::Persistent => 4,
            WatcherType::PersistentRecursive => 5,
        }
    }

    /// Whether this type is one only servers 3.9+ know (4 and 5): older servers answer
    /// it with MarshallingError (see [`crate::Config::persistent_watcher_types`]).
    pub fn is_persistent(self) -> bool {
        matches!(
            self,
            WatcherType::Persistent | WatcherType::PersistentRecursive
        )
    }

    /// Whether registrations of `kind` are targeted.
    pub fn covers(self, kind: WatchKind) -> bool {
        match self {
            WatcherType::Children => kind == WatchKind::Child,
            WatcherType::Data => matches!(kind, WatchKind::Data | WatchKind::Exist),
            WatcherType::Any => true,
            WatcherType::Persistent => kind == WatchKind::Persistent,
            WatcherType::PersistentRecursive => kind == WatchKind::PersistentRecursive,
        }
    }
}
