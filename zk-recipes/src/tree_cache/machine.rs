//! The tree cache as a machine: one persistent recursive watch on the subtree's root,
//! a load of every node (getData and getChildren each, all pipelined), then a read for
//! each event; a reload after each reconnect, told as the differences.
//!
//! Replies come in the order the server answered them, but an adapter may hand a watch
//! event over before replies that came ahead of it (or after later ones). So:
//! * a read is stored only when newer than what is cached (Stat `czxid`, then
//!   `mzxid`): an answer older than the cache changes nothing;
//! * a deletion is final for the reads sent before it was heard: their answers (read
//!   before the deletion) must not bring the node, or anything under it, back;
//! * an event whose zxid (servers 3.9+) says the cache already has its change or a
//!   later one is skipped (older servers say -1: the read is done anyway).

use std::collections::{HashMap, VecDeque};

use zk_blocking::{
    Error, EventType, KeeperState, Request, Response, Result, WatchHandle, WatchedEvent,
};

use super::nodes::{CachedNode, Nodes, Stored, join, split, within};
use crate::machine::{Outbox, Recipe, Reply, Submit, Token};

/// What the cache tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEvent {
    /// A node is in the cache now (found by the first load, created, or found by the
    /// reload after a reconnect), with its data and Stat.
    NodeAdded(String, CachedNode),
    /// A cached node's data changed (or it was deleted and created again unseen).
    NodeUpdated(String, CachedNode),
    /// A node left the cache (deleted), with what the cache last held.
    NodeRemoved(String, CachedNode),
    /// The first load is done: every node there was is told (Curator's INITIALIZED).
    /// Told once.
    Initialized,
}

/// What a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Data,
    /// The node's children, each then loaded in turn (data and children).
    Children,
}

/// A read out.
#[derive(Debug, Clone)]
struct Read {
    path: String,
    reading: Reading,
    /// Part of the first load (Initialized is told once all of those are answered).
    initial: bool,
    /// The number of deletions heard when it was sent.
    sent_after: u64,
}

#[derive(Debug)]
enum Out {
    AddWatch,
    Read(Read),
}

/// The tree cache's machine: outputs each change to the subtree at its path, or the
/// error that ended it (the session's end, a node the session may not read, a server
/// before 3.6 without persistent recursive watches: `Unimplemented`).
#[derive(Debug)]
pub struct TreeCacheMachine {
    root: String,
    nodes: Nodes,
    watch: Option<WatchHandle>,
    out: HashMap<Token, Out>,
    /// The first load has been sent (it is sent once the watch is set, so that no
    /// change after a read is missed).
    load_sent: bool,
    initial_left: usize,
    initialized: bool,
    disconnected: bool,
    /// Deletions heard so far, and for each node deleted since no read was out, the
    /// count when it was: a read sent before that answers from before the deletion.
    deletions: u64,
    deleted_at: HashMap<String, u64>,
    end_error: Option<Error>,
    outbox: Outbox,
    outputs: VecDeque<Result<TreeEvent>>,
}

impl TreeCacheMachine {
    /// Caches the subtree at `path` (which may not exist yet). A path the client would
    /// refuse fails the first output with `InvalidPath`, and nothing is sent.
    pub fn new(path: &str) -> TreeCacheMachine {
        let mut machine = TreeCacheMachine {
            root: path.to_string(),
            nodes: Nodes::new(path),
            watch: None,
            out: HashMap::new(),
            load_sent: false,
            initial_left: 0,
            initialized: false,
            disconnected: false,
            deletions: 0,
            deleted_at: HashMap::new(),
            end_error: None,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        };
        match crate::ensure::check_path(path) {
            Ok(()) => machine.add_watch(),
            Err(e) => machine.end(e),
        }
        machine
    }

    /// The root of the cached subtree.
    pub fn path(&self) -> &str {
        &self.root
    }

    /// The cached node at `path`.
    pub fn get(&self, path: &str) -> Option<&CachedNode> {
        self.nodes.get(path)
    }

    /// The names of the cached children of `path` (sorted); `None` when `path` is not
    /// cached.
    pub fn children(&self, path: &str) -> Option<Vec<&str>> {
        self.nodes.children(path).map(Iterator::collect)
    }

    /// Every cached node, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CachedNode)> {
        self.nodes.iter()
    }

    /// How many nodes are cached.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no node is cached.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 0
    }

    /// The error it ended with, once every output before it was taken.
    pub(crate) fn ended(&self) -> Option<Error> {
        self.outputs
            .is_empty()
            .then(|| self.end_error.clone())
            .flatten()
    }

    fn add_watch(&mut self) {
        self.watch = None;
        let request = Request::AddWatch {
            path: self.root.clone(),
            recursive: true,
        };
        self.out.insert(self.outbox.send(request), Out::AddWatch);
    }

    fn send(&mut self, read: Read) {
        if read.initial {
            self.initial_left += 1;
        }
        let request = match read.reading {
            Reading::Data => Request::get_data(&read.path, false),
            Reading::Children => Request::get_children(&read.path, false),
        };
        self.out.insert(self.outbox.send(request), Out::Read(read));
    }

    fn read(&mut self, path: &str, reading: Reading, initial: bool) {
        self.send(Read {
            path: path.to_string(),
            reading,
            initial,
            sent_after: self.deletions,
        });
    }

    /// Reads `path`'s data, then its children (each loaded in turn).
    fn load(&mut self, path: &str, initial: bool) {
        self.read(path, Reading::Data, initial);
        self.read(path, Reading::Children, initial);
    }

    /// Reads the whole subtree again: what changed unseen is told as events.
    fn reload(&mut self) {
        if self.watch.is_some() {
            let root = self.root.clone();
            self.load(&root, false);
        }
    }

    fn end(&mut self, error: Error) {
        if self.end_error.is_none() {
            self.end_error = Some(error.clone());
            self.watch = None;
            self.outputs.push_back(Err(error));
        }
    }

    fn tell_removed(&mut self, path: &str) {
        let removed = self.nodes.remove(path);
        self.outputs.extend(
            removed
                .into_iter()
                .map(|(path, node)| Ok(TreeEvent::NodeRemoved(path, node))),
        );
    }

    fn store(&mut self, path: String, node: CachedNode) {
        match self.nodes.put(&path, node.clone()) {
            Stored::Added => self.outputs.push_back(Ok(TreeEvent::NodeAdded(path, node))),
            Stored::Updated => self
                .outputs
                .push_back(Ok(TreeEvent::NodeUpdated(path, node))),
            Stored::Unchanged | Stored::Orphan => {}
        }
    }

    /// Whether `read` was sent before a deletion of its node or of an ancestor was
    /// heard: it answers from before the deletion.
    fn overtaken(&self, read: &Read) -> bool {
        if self.deleted_at.is_empty() {
            return false;
        }
        let mut at = read.path.as_str();
        loop {
            if self
                .deleted_at
                .get(at)
                .is_some_and(|&n| n > read.sent_after)
            {
                return true;
            }
            if at == self.root || at == "/" {
                return false;
            }
            at = split(at).0;
        }
    }

    /// Drops the deletions recorded before every read still out was sent: none of
    /// those reads can be overtaken by them. Under steady churn some read is always
    /// out, and the record would otherwise grow for as long as the cache runs. (Looked
    /// at once the record outgrows the reads out, so a reply costs no scan as a rule.)
    fn forget_deletions_no_read_predates(&mut self) {
        if self.deleted_at.len() <= self.out.len() {
            return;
        }
        let oldest_read = self
            .out
            .values()
            .filter_map(|out| match out {
                Out::Read(read) => Some(read.sent_after),
                Out::AddWatch => None,
            })
            .min();
        match oldest_read {
            Some(sent_after) => self.deleted_at.retain(|_, &mut n| n > sent_after),
            None => self.deleted_at.clear(),
        }
    }

    fn on_added(&mut self, reply: Reply) {
        match reply {
            Ok((Response::AddWatch, Some(watch))) => {
                self.watch = Some(watch);
                if self.load_sent {
                    self.reload();
                } else {
                    self.load_sent = true;
                    let root = self.root.clone();
                    self.load(&root, true);
                }
            }
            Err(Error::ConnectionLoss) => self.add_watch(),
            Err(e) => self.end(e),
            Ok((other, _)) => self.end(Error::InvalidArgument(format!(
                "a tree cache's addWatch answered with {other:?}"
            ))),
        }
    }

    fn on_read(&mut self, read: Read, reply: Reply) {
        if let Err(Error::ConnectionLoss) = reply {
            // Not answered: ask again (the session sends it once reconnected).
            return self.send(Read {
                sent_after: self.deletions,
                ..read
            });
        }
        if self.overtaken(&read) {
            return;
        }
        match (read.reading, reply) {
            (Reading::Data, Ok((Response::GetData { data, stat }, _))) => {
                self.store(read.path, CachedNode { data, stat });
            }
            (Reading::Children, Ok((Response::GetChildren { children, .. }, _))) => {
                self.on_children(&read, children);
            }
            // Gone: so is everything under it.
            (_, Err(Error::NoNode { .. })) => self.tell_removed(&read.path),
            // A node this session may not read is left out (as Curator's and kazoo's
            // caches leave it): the rest of the tree stays current.
            (_, Err(Error::NoAuth { .. })) => {}
            (_, Err(e)) => self.end(e),
            (_, Ok((other, _))) => self.end(Error::InvalidArgument(format!(
                "a tree cache's read of {} answered with {other:?}",
                read.path
            ))),
        }
    }

    /// A node's children as listed: those cached and not listed were deleted; each
    /// listed one is loaded (new ones found, cached ones brought up to date).
    fn on_children(&mut self, read: &Read, listed: Vec<String>) {
        let Some(cached) = self.nodes.children(&read.path) else {
            // The node is not cached (deleted since): neither are its children.
            return;
        };
        let gone: Vec<String> = cached
            .filter(|name| !listed.iter().any(|l| l == name))
            .map(|name| join(&read.path, name))
            .collect();
        for path in gone {
            self.tell_removed(&path);
        }
        for name in listed {
            self.load(&join(&read.path, &name), read.initial);
        }
    }

    fn on_event(&mut self, event: &WatchedEvent) {
        let path = event.path.as_str();
        if !within(&self.root, path) {
            return;
        }
        // The zxid of the change, where the server says it (3.9+).
        let zxid = (event.zxid > 0).then_some(event.zxid);
        let cached = self.nodes.get(path).map(|n| n.stat);
        let seen = |field: fn(&zk_blocking::Stat) -> i64| {
            zxid.zip(cached.as_ref())
                .is_some_and(|(z, stat)| field(stat) >= z)
        };
        match event.event_type {
            EventType::NodeCreated if !seen(|s| s.czxid) => self.load(path, false),
            EventType::NodeDataChanged if !seen(|s| s.mzxid) => {
                self.read(path, Reading::Data, false)
            }
            // A later incarnation cached already (its creation is after the deletion).
            EventType::NodeDeleted if zxid.zip(cached).is_none_or(|(z, s)| s.czxid <= z) => {
                self.deletions += 1;
                if !self.out.is_empty() {
                    self.deleted_at.insert(path.to_string(), self.deletions);
                }
                self.tell_removed(path);
            }
            _ => {}
        }
    }

    fn check_initialized(&mut self) {
        if self.load_sent && !self.initialized && self.initial_left == 0 {
            self.initialized = true;
            self.outputs.push_back(Ok(TreeEvent::Initialized));
        }
    }
}

impl Recipe for TreeCacheMachine {
    type Output = Result<TreeEvent>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        self.outbox.answered(token);
        let Some(out) = self.out.remove(&token) else {
            return;
        };
        if self.end_error.is_some() {
            return;
        }
        match out {
            Out::AddWatch => self.on_added(reply),
            Out::Read(read) => {
                if read.initial {
                    self.initial_left -= 1;
                }
                self.on_read(read, reply);
                if self.end_error.is_none() {
                    self.check_initialized();
                }
            }
        }
        self.forget_deletions_no_read_predates();
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        // (An ended cache names no watch.)
        if !self.watch.is_some_and(|w| event.fired(w)) {
            return;
        }
        match event.event_type {
            // Removed by someone: set it again, then read what was missed.
            EventType::PersistentWatchRemoved => self.add_watch(),
            // Events were lost (dropped for the client's memory bound): read it all.
            EventType::None => self.reload(),
            _ => self.on_event(event),
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = crate::machine::session_end(state) {
            return self.handle_session_end(e);
        }
        match state {
            KeeperState::Disconnected => self.disconnected = true,
            // A persistent watch does not replay what it missed: read it all again.
            KeeperState::SyncConnected | KeeperState::ConnectedReadOnly
                if std::mem::take(&mut self.disconnected) =>
            {
                self.reload()
            }
            _ => {}
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        self.end(error);
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        self.watch
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use zk_blocking::ErrorCode;
    use zk_blocking::zk_session::{Config, Registration, Session, WatchKind};

    use super::*;

    fn recursive_watch(path: &str) -> WatchHandle {
        let mut session = Session::new(Config::new("127.0.0.1:1"), Instant::now()).unwrap();
        let id = session
            .submit(Request::exists(path, true), Instant::now())
            .unwrap();
        WatchHandle::from_registration(&Registration {
            id,
            kind: WatchKind::PersistentRecursive,
            path: path.into(),
        })
    }

    fn fired(watch: WatchHandle, event_type: EventType, path: &str) -> WatchedEvent {
        WatchedEvent {
            event_type,
            path: path.to_string(),
            zxid: -1,
            watches: vec![watch],
        }
    }

    #[test]
    fn a_subtree_that_never_stops_churning_keeps_no_growing_record_of_its_deletions() {
        let mut m = TreeCacheMachine::new("/q");
        let add = m.poll_submit().expect("the addWatch");
        let watch = recursive_watch("/q");
        m.handle_reply(add.token, Ok((Response::AddWatch, Some(watch))));
        // The root is missing: the first load finds nothing.
        while let Some(read) = m.poll_submit() {
            m.handle_reply(read.token, Err(Error::from_code(ErrorCode::NoNode)));
        }
        // A queue under the cached root: each item created and deleted again, its reads
        // answered one item behind, so that some read is always out.
        let mut behind = Vec::new();
        for i in 0..1_000 {
            let item = format!("/q/item-{i:010}");
            m.handle_watch(&fired(watch, EventType::NodeCreated, &item));
            let sent: Vec<_> = std::iter::from_fn(|| m.poll_submit()).collect();
            for read in std::mem::replace(&mut behind, sent) {
                m.handle_reply(read.token, Err(Error::from_code(ErrorCode::NoNode)));
            }
            m.handle_watch(&fired(watch, EventType::NodeDeleted, &item));
        }
        assert!(
            m.deleted_at.len() <= 4,
            "{} deletions still recorded",
            m.deleted_at.len()
        );
    }
}
