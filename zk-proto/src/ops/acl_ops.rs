//! getACL (6), setACL (7).

use crate::{Acl, Stat};

record! {
    /// Request of getACL (6): `path`.
    pub struct GetAclRequest {
        /// The path.
        pub path: String,
    }
}

record! {
    /// Response of getACL (6): `acl:vector<ACL>, stat`.
    pub struct GetAclResponse {
        /// The ACL (digest hashes masked without ADMIN).
        pub acl: Vec<Acl>,
        /// The node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// Request of setACL (7): `path, acl, version:int` (checked against aversion; -1 = any).
    pub struct SetAclRequest {
        /// The path.
        pub path: String,
        /// The new ACL.
        pub acl: Vec<Acl>,
        /// Expected ACL version, or -1.
        pub version: i32,
    }
}

record! {
    /// Response of setACL (7): the Stat.
    pub struct SetAclResponse {
        /// The node's Stat after the change.
        pub stat: Stat,
    }
}
