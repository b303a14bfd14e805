//! Per-call options of `create`.

use zk_proto::{Acl, CreateMode};

/// How to create a node: mode, ACL and TTL. [`CreateOptions::new`] gives the open ACL.
///
/// ```
/// use zk_blocking::{CreateMode, CreateOptions};
/// let opts = CreateOptions::new(CreateMode::PersistentWithTtl).ttl(60_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// The create mode (persistent, ephemeral, sequential, container, TTL).
    pub mode: CreateMode,
    /// The node's ACL; must not be empty. Default: world:anyone with every permission.
    pub acl: Vec<Acl>,
    /// TTL in milliseconds, required for the TTL modes and refused by the others
    /// (servers need `zookeeper.extendedTypesEnabled=true`).
    pub ttl: Option<i64>,
}

impl CreateOptions {
    /// `mode` with the open ACL and no TTL.
    pub fn new(mode: CreateMode) -> CreateOptions {
        CreateOptions {
            mode,
            acl: zk_proto::Acl::open_unsafe(),
            ttl: None,
        }
    }

    /// Sets the ACL.
    pub fn acl(mut self, acl: Vec<Acl>) -> CreateOptions {
        self.acl = acl;
        self
    }

    /// Sets the TTL in milliseconds.
    pub fn ttl(mut self, ttl_ms: i64) -> CreateOptions {
        self.ttl = Some(ttl_ms);
        self
    }
}
