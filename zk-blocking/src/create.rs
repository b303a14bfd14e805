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
    pub(crate) mode: CreateMode,
    pub(crate) acl: Vec<Acl>,
    pub(crate) ttl: Option<Duration>,
}

impl CreateOptions {
    /// `mode` (persistent, ephemeral, sequential, container, TTL) with the open ACL
    /// ([`Acl::open_unsafe`]) and no TTL.
    pub fn new(mode: CreateMode) -> CreateOptions {
        CreateOptions {
            mode,
            acl: Acl::open_unsafe(),
            ttl: None,
        }
    }

    /// Sets the node's ACL; it must not be empty.
    pub fn acl(mut self, acl: Vec<Acl>) -> CreateOptions {
        self.acl = acl;
        self
    }

    /// Sets how long the node may live childless and unmodified: required for the TTL
    /// modes and refused by the others (servers need
    /// `zookeeper.extendedTypesEnabled=true`). Whole milliseconds count.
    pub fn ttl(mut self, ttl: Duration) -> CreateOptions {
        self.ttl = Some(ttl);
        self
    }
}
