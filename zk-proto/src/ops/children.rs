//! getChildren (8), getChildren2 (12), getAllChildrenNumber (104), getEphemerals (103).

use crate::Stat;

record! {
    /// Request of getChildren (8): `path, watch:boolean`.
    pub struct GetChildrenRequest {
        /// The path.
        pub path: String,
        /// Leave a child watch.
        pub watch: bool,
    }
}

record! {
    /// Response of getChildren (8): `children:vector<ustring>` (relative names, unordered).
    pub struct GetChildrenResponse {
        /// Child names.
        pub children: Vec<String>,
    }
}

record! {
    /// Request of getChildren2 (12): `path, watch:boolean`.
    pub struct GetChildren2Request {
        /// The path.
        pub path: String,
        /// Leave a child watch.
        pub watch: bool,
    }
}

record! {
    /// Response of getChildren2 (12): `children, stat`.
    pub struct GetChildren2Response {
        /// Child names.
        pub children: Vec<String>,
        /// The parent's Stat.
        pub stat: Stat,
    }
}

record! {
    /// Request of getAllChildrenNumber (104): `path`.
    pub struct GetAllChildrenNumberRequest {
        /// The path.
        pub path: String,
    }
}

record! {
    /// Response of getAllChildrenNumber (104): `totalNumber:int`, all descendants.
    pub struct GetAllChildrenNumberResponse {
        /// Number of descendants, not counting the node.
        pub total_number: i32,
    }
}

record! {
    /// Request of getEphemerals (103): `prefixPath` (`/` or empty = all). Not chrooted by Java.
    pub struct GetEphemeralsRequest {
        /// Server path prefix.
        pub prefix_path: String,
    }
}

record! {
    /// Response of getEphemerals (103): `ephemerals:vector<ustring>` (server paths).
    pub struct GetEphemeralsResponse {
        /// This session's ephemeral nodes under the prefix.
        pub ephemerals: Vec<String>,
    }
}
