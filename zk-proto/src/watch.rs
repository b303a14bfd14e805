//! Watch events and the enums of the watch operations.

wire_enum! {
    /// `Watcher.Event.EventType`.
    pub enum EventType {
        /// -1: no node event (a session state change).
        None = -1 => "None",
        /// 1: the node was created.
        NodeCreated = 1 => "NodeCreated",
        /// 2: the node was deleted.
        NodeDeleted = 2 => "NodeDeleted",
        /// 3: the node's data changed.
        NodeDataChanged = 3 => "NodeDataChanged",
        /// 4: the node's child list changed.
        NodeChildrenChanged = 4 => "NodeChildrenChanged",
        /// 5: a data watch was removed (client-generated).
        DataWatchRemoved = 5 => "DataWatchRemoved",
        /// 6: a child watch was removed (client-generated).
        ChildWatchRemoved = 6 => "ChildWatchRemoved",
        /// 7: a persistent watch was removed (client-generated, 3.6+).
        PersistentWatchRemoved = 7 => "PersistentWatchRemoved",
    }
}
display_by_name!(EventType);

wire_enum! {
    /// `Watcher.Event.KeeperState`. The server only sends `SyncConnected` on the wire;
    /// the others are client-side session states.
    pub enum KeeperState {
        /// 0: disconnected.
        Disconnected = 0 => "Disconnected",
        /// 3: connected.
        SyncConnected = 3 => "SyncConnected",
        /// 4: authentication failed.
        AuthFailed = 4 => "AuthFailed",
        /// 5: connected to a read-only server.
        ConnectedReadOnly = 5 => "ConnectedReadOnly",
        /// 6: SASL authentication succeeded.
        SaslAuthenticated = 6 => "SaslAuthenticated",
        /// -112: the session expired.
        Expired = -112 => "Expired",
        /// 7: the session was closed by the client.
        Closed = 7 => "Closed",
        /// -1: Java's deprecated constant `Unknown`, never sent. Its
        /// [`name`](KeeperState::name) is Java's, `"Unknown"`; do not confuse it with
        /// [`KeeperState::Unknown`], a value this crate does not know, whose name is
        /// `"UNKNOWN"` and which displays as `UNKNOWN(<value>)`.
        DeprecatedUnknown = -1 => "Unknown",
        /// 1: deprecated `NoSyncConnected`, never sent.
        NoSyncConnected = 1 => "NoSyncConnected",
    }
}
display_by_name!(KeeperState);

wire_enum! {
    /// The watch kind for checkWatches (17) and removeWatches (18).
    pub enum WireWatcherType {
        /// 1: child watches.
        Children = 1 => "Children",
        /// 2: data (and exist) watches.
        Data = 2 => "Data",
        /// 3: any watch.
        Any = 3 => "Any",
        /// 4: persistent watches (3.9+ servers).
        Persistent = 4 => "Persistent",
        /// 5: persistent recursive watches (3.9+ servers).
        PersistentRecursive = 5 => "PersistentRecursive",
    }
}
display_by_name!(WireWatcherType);

wire_enum! {
    /// The mode of addWatch (106).
    pub enum AddWatchMode {
        /// 0: data and child events on the node; stays armed.
        Persistent = 0 => "PERSISTENT",
        /// 1: created, deleted and changed events on the node and all descendants.
        PersistentRecursive = 1 => "PERSISTENT_RECURSIVE",
    }
}
display_by_name!(AddWatchMode);

record! {
    /// The body of a notification (xid -1): `type:int, state:int, path:ustring`.
    ///
    /// The path is the server path (chroot not stripped).
    pub struct WatcherEvent {
        /// What happened.
        pub event_type: EventType,
        /// The session state (always `SyncConnected` from a server).
        pub state: KeeperState,
        /// The node concerned.
        pub path: String,
    }
}
