//! checkWatches (17), removeWatches (18), setWatches (101), setWatches2 (105), addWatch (106).

use crate::{AddWatchMode, ErrorCode, WireWatcherType};

record! {
    /// Request of checkWatches (17): `path, type:int`. No response body.
    pub struct CheckWatchesRequest {
        /// The path.
        pub path: String,
        /// Which watches.
        pub watcher_type: WireWatcherType,
    }
}

record! {
    /// Request of removeWatches (18): `path, type:int`. No response body.
    pub struct RemoveWatchesRequest {
        /// The path.
        pub path: String,
        /// Which watches.
        pub watcher_type: WireWatcherType,
    }
}

record! {
    /// Request of setWatches (101): `relativeZxid:long` and three path lists
    /// (server paths). No response body.
    pub struct SetWatches {
        /// The client's last zxid.
        pub relative_zxid: i64,
        /// Data watches.
        pub data_watches: Vec<String>,
        /// Exist watches.
        pub exist_watches: Vec<String>,
        /// Child watches.
        pub child_watches: Vec<String>,
    }
}

record! {
    /// Request of setWatches2 (105, 3.6+): the [`SetWatches`] fields plus persistent and
    /// persistent recursive lists. No response body.
    pub struct SetWatches2 {
        /// The client's last zxid.
        pub relative_zxid: i64,
        /// Data watches.
        pub data_watches: Vec<String>,
        /// Exist watches.
        pub exist_watches: Vec<String>,
        /// Child watches.
        pub child_watches: Vec<String>,
        /// Persistent watches.
        pub persistent_watches: Vec<String>,
        /// Persistent recursive watches.
        pub persistent_recursive_watches: Vec<String>,
    }
}

record! {
    /// Request of addWatch (106, 3.6+): `path, mode:int`.
    pub struct AddWatchRequest {
        /// The path (need not exist).
        pub path: String,
        /// The watch mode.
        pub mode: AddWatchMode,
    }
}

record! {
    /// `ErrorResponse{err:int}`: the body of an addWatch reply (err 0) and of a failed
    /// multi result.
    pub struct ErrorResponse {
        /// The code.
        pub err: ErrorCode,
    }
}
