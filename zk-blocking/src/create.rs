//! Per-call options of `create`.

use std::time::Duration;

use zk_proto::{Acl, CreateMode};

/// How to create a node: mode, ACL and TTL. [`CreateOptions::new`] gives the open ACL.
///
/// ```
/// use std::time::Duration;
/// use zk_blocking::{CreateMode, CreateOptions};
/// let opts = CreateOptions::new(CreateMode::PersistentWithTtl).ttl(Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// The create mode (persistent, ephemeral, sequential, container, TTL).
    pub mode: CreateMode,
    /// The node's ACL; must not be empty. Default: world:anyone with every permission.
    pub acl: Vec<Acl>,
    /// How long the node may live childless and unmodified: required for the TTL
    /// modes and refused by the others (servers need
    /// `zookeeper.extendedTypesEnabled=true`). Whole milliseconds count.
    pub ttl: Option<Duration>,
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

    /// Sets the TTL.
    pub fn ttl(mut self, ttl: Duration) -> CreateOptions {
        self.ttl = Some(ttl);
        self
    }
}
