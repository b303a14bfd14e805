//! The cached subtree: each node's data and Stat, and its children's names, so that a
//! subtree can be dropped and a node's children listed without scanning the tree.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use zk_blocking::Stat;

/// A node as the cache holds it: its data and Stat as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedNode {
    /// Its data.
    pub data: Bytes,
    /// Its Stat from the same read. A recursive watch reports no child-list changes, so
    /// the child fields (`cversion`, `num_children`, `pzxid`) are as of that read; the
    /// cache's [`children`](crate::TreeCache::children) are current.
    pub stat: Stat,
}

impl CachedNode {
    /// Whether `self` is the newer read of the same node than `old`: another
    /// incarnation (created later) or a later modification. Reads of one session are
    /// answered in order, so an older one arriving last means an event overtook it.
    fn newer_than(&self, old: &CachedNode) -> bool {
        let (new, old) = (&self.stat, &old.stat);
        new.czxid > old.czxid || (new.czxid == old.czxid && new.mzxid > old.mzxid)
    }
}

/// What storing a read did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    Added,
    Updated,
    /// The same modification (or an older one) was cached already.
    Unchanged,
    /// Its parent is not cached (it was deleted): neither is the node.
    Orphan,
}

#[derive(Debug)]
struct Entry {
    node: CachedNode,
    children: BTreeSet<String>,
}

/// The nodes cached, by path. Only nodes whose parent is cached are (but the root of
/// the subtree): a read answered after its parent's deletion adds nothing.
#[derive(Debug)]
pub(crate) struct Nodes {
    root: String,
    map: BTreeMap<String, Entry>,
}

impl Nodes {
    pub(crate) fn new(root: &str) -> Nodes {
        Nodes {
            root: root.to_string(),
            map: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Option<&CachedNode> {
        self.map.get(path).map(|e| &e.node)
    }

    /// The names of `path`'s children (sorted), if it is cached.
    pub(crate) fn children(&self, path: &str) -> Option<impl Iterator<Item = &str>> {
        self.map
            .get(path)
            .map(|e| e.children.iter().map(String::as_str))
    }

    /// Every cached node, in path order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &CachedNode)> {
        self.map.iter().map(|(p, e)| (p.as_str(), &e.node))
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Stores a read of `path`, unless an as new one is cached or its parent is not.
    pub(crate) fn put(&mut self, path: &str, node: CachedNode) -> Stored {
        if let Some(entry) = self.map.get_mut(path) {
            if !node.newer_than(&entry.node) {
                return Stored::Unchanged;
            }
            entry.node = node;
            return Stored::Updated;
        }
        if path != self.root {
            let (parent, name) = split(path);
            let Some(parent) = self.map.get_mut(parent) else {
                return Stored::Orphan;
            };
            parent.children.insert(name.to_string());
        }
        let entry = Entry {
            node,
            children: BTreeSet::new(),
        };
        self.map.insert(path.to_string(), entry);
        Stored::Added
    }

    /// Drops `path` and everything under it; what was dropped, deepest first (the
    /// order the server deletes a subtree in).
    pub(crate) fn remove(&mut self, path: &str) -> Vec<(String, CachedNode)> {
        let mut removed = Vec::new();
        if !self.map.contains_key(path) {
            return removed;
        }
        if path != self.root {
            let (parent, name) = split(path);
            if let Some(parent) = self.map.get_mut(parent) {
                parent.children.remove(name);
            }
        }
        // Depth first without recursion: a deep tree must not exhaust the stack.
        let mut stack = vec![(path.to_string(), false)];
        while let Some((at, expanded)) = stack.pop() {
            if expanded {
                if let Some(entry) = self.map.remove(&at) {
                    removed.push((at, entry.node));
                }
                continue;
            }
            let children: Vec<String> = self
                .map
                .get(&at)
                .map(|e| e.children.iter().map(|c| join(&at, c)).collect())
                .unwrap_or_default();
            stack.push((at, true));
            stack.extend(children.into_iter().map(|c| (c, false)));
        }
        removed
    }
}

/// `path`'s parent and its own name (`path` is absolute and not `/`).
pub(crate) fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(at) => (&path[..at], &path[at + 1..]),
        None => ("/", path),
    }
}

/// The path of `parent`'s child `name`.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Whether `path` is `root` or under it.
pub(crate) fn within(root: &str, path: &str) -> bool {
    root == "/"
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
