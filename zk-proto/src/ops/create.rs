//! create (1), create2 (15), createContainer (19), createTTL (21), delete (2).

use bytes::Bytes;

use crate::{Acl, CreateMode, Stat};

record! {
    /// Request of create (1), create2 (15) and createContainer (19):
    /// `path, data:buffer, acl:vector<ACL>, flags:int`.
    pub struct CreateRequest {
        /// The path to create (server path, chroot included).
        pub path: String,
        /// Initial data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub data: Bytes,
        /// The ACL; must not be empty.
        pub acl: Vec<Acl>,
        /// The create mode.
        pub flags: CreateMode,
    }
}

record! {
    /// Request of createTTL (21): the [`CreateRequest`] fields plus `ttl:long`.
    pub struct CreateTtlRequest {
        /// The path to create.
        pub path: String,
        /// Initial data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub data: Bytes,
        /// The ACL; must not be empty.
        pub acl: Vec<Acl>,
        /// The create mode (5 or 6).
        pub flags: CreateMode,
        /// Time to live in ms, `1..=MAX_TTL`.
        pub ttl: i64,
    }
}

record! {
    /// Response of create (1): the actual path (with any sequence suffix).
    pub struct CreateResponse {
        /// The created path (server path).
        pub path: String,
    }
}

record! {
    /// Response of create2 (15), createContainer (19) and createTTL (21): `path, stat`.
    pub struct Create2Response {
        /// The created path (server path).
        pub path: String,
        /// The new node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// Request of delete (2): `path, version:int` (-1 = any version). No response body.
    pub struct DeleteRequest {
        /// The path to delete.
        pub path: String,
        /// Expected data version, or -1.
        pub version: i32,
    }
}
