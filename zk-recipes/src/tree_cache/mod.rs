//! An in-memory copy of a subtree (Curator's `CuratorCache` / `TreeCache`, kazoo's
//! `TreeCache`), kept current on one persistent recursive watch (ZooKeeper 3.6+)
//! instead of a watch per node, while its events are read.

mod machine;
mod nodes;

use std::time::{Duration, Instant};

use zk_blocking::Result;

pub use machine::{TreeCacheMachine, TreeEvent};
pub use nodes::CachedNode;

use crate::run::Driver;

/// A copy of the subtree at a path, in memory, kept current (Curator's `CuratorCache`,
/// kazoo's `TreeCache`), on every client.
///
/// It sets one persistent recursive watch on the path (servers 3.6+; older ones
/// answer `Unimplemented`), then reads every node under it (data and Stat, and the
/// children), telling each as [`TreeEvent::NodeAdded`] and then
/// [`TreeEvent::Initialized`] once; after that each creation, data change and
/// deletion under the path as an event, the cache ([`TreeCache::get`],
/// [`TreeCache::children`], [`TreeCache::iter`]) changed already. The path itself may
/// be missing: the cache is empty until it is created. After a reconnect (which the
/// watch does not replay) it reads the subtree again and tells what changed meanwhile:
/// nodes added, updated, removed. Once the session ends every call fails with its
/// error. A node the session may not read (`NoAuth`) is left out of the cache, as
/// Curator's and kazoo's caches leave it, and so is what lies under it.
///
/// The cache holds the whole subtree in memory (every node's data and Stat): point it
/// at a subtree that fits. It changes only while [`TreeCache::next_event`] runs (the
/// events wait for it meanwhile), so call that in a loop; the cache may be ahead of the
/// events not taken yet. A node's Stat is that of its last data read: its child fields
/// (`cversion`, `num_children`, `pzxid`) are not kept current (a recursive watch says
/// nothing of child lists), its children in the cache are.
#[derive(Debug)]
pub struct TreeCache {
    machine: TreeCacheMachine,
    /// The last connection a run saw connected.
    conn: Option<zk_blocking::ConnId>,
    /// zk-tokio's adapter's watch stream and state changes, kept between calls.
    #[cfg(feature = "tokio")]
    held: crate::run::tokio::Held,
}

impl TreeCache {
    /// A cache of the subtree at `path` (`/` for the whole tree); nothing is sent until
    /// the first [`TreeCache::next_event`]. A path the client would refuse fails that
    /// call with `InvalidPath`.
    pub fn new(path: &str) -> TreeCache {
        TreeCache {
            machine: TreeCacheMachine::new(path),
            conn: None,
            #[cfg(feature = "tokio")]
            // A read still out when a call's future is dropped stays for the next
            // call, which hears its answer first: no change is lost.
            held: crate::run::tokio::Held::keeping(),
        }
    }

    /// The root of the cached subtree.
    pub fn path(&self) -> &str {
        self.machine.path()
    }

    /// The next change: each node found as [`TreeEvent::NodeAdded`], then
    /// [`TreeEvent::Initialized`] once, then each change. Waits at most `timeout`
    /// (`Ok(None)` then; `None`: no limit). Fails once the session ends, with its error.
    pub fn next_event<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<TreeEvent>> {
        if let Some(end) = self.machine.ended() {
            return Err(end);
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        // A reconnect between two calls, which the run itself cannot see.
        let conn = driver.connection();
        if self.conn.is_some() && conn.is_some() && conn != self.conn {
            crate::run::tell_reconnect(&mut self.machine);
        }
        let next = driver.run(&mut self.machine, deadline)?.transpose();
        // The last connection seen connected: one still looked for says nothing yet.
        if let Some(conn) = driver.connection() {
            self.conn = Some(conn);
        }
        next
    }

    /// Like [`TreeCache::next_event`] without a timeout, on zk-tokio's client (wrap it
    /// in `tokio::time::timeout` to bound it: the watch outlives a call given up).
    #[cfg(feature = "tokio")]
    pub async fn next_event_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> Result<Option<TreeEvent>> {
        if let Some(end) = self.machine.ended() {
            return Err(end);
        }
        crate::run::tokio::run(client, &mut self.machine, None, &mut self.held)
            .await?
            .transpose()
    }

    /// The cached node at `path` (data and Stat).
    pub fn get(&self, path: &str) -> Option<&CachedNode> {
        self.machine.get(path)
    }

    /// The names of the cached children of `path`, sorted; `None` when `path` is not
    /// cached.
    pub fn children(&self, path: &str) -> Option<Vec<&str>> {
        self.machine.children(path)
    }

    /// Every cached node, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CachedNode)> {
        self.machine.iter()
    }

    /// How many nodes are cached.
    pub fn len(&self) -> usize {
        self.machine.len()
    }

    /// Whether no node is cached.
    pub fn is_empty(&self) -> bool {
        self.machine.is_empty()
    }
}
