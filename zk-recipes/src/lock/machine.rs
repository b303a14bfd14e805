//! The lock as a state machine (see the crate docs for the protocol): create an
//! ephemeral sequential node, list the contenders, watch only the one just ahead,
//! and hold the lock once nobody blocking is ahead.

use std::collections::VecDeque;

use bytes::Bytes;
use zk_blocking::{
    CreateMode, Error, KeeperState, Request, Response, Version, WatchHandle, WatchedEvent,
};

use super::names::{Kind, new_prefix, predecessor, sequence};
use crate::ensure::check_recipe_path;
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// What a lock machine tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockEvent {
    /// The lock is held.
    Acquired,
    /// `try_acquire` found the lock taken; the contender's node is gone again.
    NotAcquired,
    /// The lock was released (its node deleted).
    Released,
    /// The acquire was cancelled; its node (if it was made) is deleted.
    Cancelled,
    /// The session ended while the lock was held: it is not held any more. (A node
    /// deleted by someone else while the lock is held is no event of this machine,
    /// which sets no watch on its own node: [`Lock::hold`](crate::Lock::hold) and
    /// the guards keep watch on it.)
    Lost(Error),
    /// Acquiring failed with an error that retrying does not mend; nothing is left
    /// behind (the node is deleted, or went with the session).
    Failed(Error),
}

/// Where the machine is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    /// The ephemeral sequential create is out.
    Creating,
    /// Creating the lock's missing parent nodes, this many path components deep.
    CreatingParents(usize),
    /// Looking for the node of a create whose reply was lost.
    Finding,
    /// Asked to acquire while held: exists on the node, which is gone if the session
    /// that held it ended meanwhile.
    Verifying,
    /// Listing the contenders.
    Listing,
    /// exists(watch) on the predecessor is out.
    Checking,
    /// Waiting for the predecessor's watch to fire.
    Waiting(WatchHandle),
    Held,
    /// Deleting the node; then the event to tell.
    Deleting(LockEvent),
    Done,
}

/// A lock (kazoo's `Lock`, or a `ReadLock` / `WriteLock` by its kinds; or Curator's
/// `InterProcessMutex` or `LeaderLatch`) as a machine.
#[derive(Debug)]
pub struct LockMachine {
    path: String,
    identifier: Bytes,
    /// The kind of this contender's node.
    kind: Kind,
    /// The name of the node the last create asked for, before the sequence number:
    /// new for every create, so that the session, deleting a given-up create's node
    /// by its name, never takes a later one's along.
    prefix: String,
    /// The kinds of node that block this contender.
    blocking: Vec<Kind>,
    /// `try_acquire`: give up at once instead of waiting.
    wait: bool,
    /// Cancel once the request in flight answers.
    cancelled: bool,
    /// The contender node's name (not the full path), once known.
    node: Option<String>,
    phase: Phase,
    outbox: Outbox,
    outputs: VecDeque<LockEvent>,
    /// Why no request can be made of the path: every acquire fails with it.
    invalid: Option<Error>,
}

/// The lock's path for the one the caller gave, and why no request can be made of it
/// (naming the path as given). Unlike the other recipes, a lock takes one trailing
/// `/` to name the same lock (tests/lock_machine.rs holds it to that); anything else
/// the client would refuse, and the root, are refused.
pub(crate) fn lock_path(given: &str) -> (String, Option<Error>) {
    let path = match given.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => given,
    };
    let invalid = check_recipe_path(path).err().map(|refused| match refused {
        Error::InvalidPath { why, .. } => Error::InvalidPath {
            path: given.to_string(),
            why,
        },
        other => other,
    });
    (path.to_string(), invalid)
}

impl LockMachine {
    /// An exclusive lock on `path` (kazoo's `Lock`): `identifier` is its node's data.
    pub fn exclusive(path: &str, identifier: Bytes) -> LockMachine {
        LockMachine::new(path, identifier, Kind::Exclusive, vec![Kind::Exclusive])
    }

    /// One side of a read-write lock on `path` (kazoo's `ReadLock` / `WriteLock`):
    /// readers are blocked by writers only, writers by both.
    pub fn read_write(path: &str, identifier: Bytes, write: bool) -> LockMachine {
        if write {
            LockMachine::new(
                path,
                identifier,
                Kind::Exclusive,
                vec![Kind::Exclusive, Kind::Shared],
            )
        } else {
            LockMachine::new(path, identifier, Kind::Shared, vec![Kind::Exclusive])
        }
    }

    /// An exclusive lock on `path` named and ordered as Curator's `InterProcessMutex`
    /// is (its nodes `_c_<uuid>-lock-<sequence>`, the lowest sequence first): the two
    /// exclude each other on one path. `identifier` is its node's data (where a
    /// `LeaderSelector` keeps its id; an `InterProcessMutex` writes its host's
    /// address by default).
    pub fn curator(path: &str, identifier: Bytes) -> LockMachine {
        LockMachine::new(path, identifier, Kind::CuratorLock, vec![Kind::CuratorLock])
    }

    /// A candidate in the election at `path` named and ordered as Curator's
    /// `LeaderLatch` is (its nodes `_c_<uuid>-latch-<sequence>`, the lowest sequence
    /// leads): held is leading. `identifier` is its node's data (the latch's id).
    pub fn curator_latch(path: &str, identifier: Bytes) -> LockMachine {
        LockMachine::new(
            path,
            identifier,
            Kind::CuratorLatch,
            vec![Kind::CuratorLatch],
        )
    }

    fn new(path: &str, identifier: Bytes, kind: Kind, blocking: Vec<Kind>) -> LockMachine {
        let (path, invalid) = lock_path(path);
        LockMachine {
            invalid,
            path,
            identifier,
            kind,
            prefix: new_prefix(kind),
            blocking,
            wait: true,
            cancelled: false,
            node: None,
            phase: Phase::Idle,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        }
    }

    /// Starts acquiring: [`LockEvent::Acquired`] comes once the lock is held (or
    /// `Failed`). With `wait` false (`try_acquire`) it gives up at once with
    /// `NotAcquired` if another contender is ahead. An invalid path (or the root)
    /// fails at once with [`Error::InvalidPath`] naming it, sending nothing.
    ///
    /// On a lock held already, it looks whether the node is still there (the session
    /// that held it may have ended since, taking the lock along, and the machine hears
    /// of a session's end only while it runs): `Acquired` again if it is; `Lost` if
    /// this session ended; a node gone with an earlier session is contended for anew.
    pub fn acquire(&mut self, wait: bool) {
        match self.phase {
            Phase::Idle | Phase::Done => {
                if let Some(invalid) = self.invalid.clone() {
                    return self.finish(LockEvent::Failed(invalid));
                }
                self.wait = wait;
                self.cancelled = false;
                self.create();
            }
            Phase::Held => {
                self.wait = wait;
                self.cancelled = false;
                self.verify();
            }
            _ => {}
        }
    }

    /// Whether an acquire is under way (the contender is in line, or getting there).
    pub fn is_contending(&self) -> bool {
        !matches!(
            self.phase,
            Phase::Idle | Phase::Done | Phase::Held | Phase::Deleting(_)
        )
    }

    /// Whether a holder's acquire is asking the server whether its node is still
    /// there (the answer says whether it still holds the lock).
    pub fn is_verifying(&self) -> bool {
        self.phase == Phase::Verifying
    }

    /// Whether the contender is leaving the line (a cancel, a release, or a failure,
    /// whose node is being deleted or waits for its create's answer to be): the next
    /// event ends it.
    pub fn is_leaving(&self) -> bool {
        matches!(self.phase, Phase::Deleting(_)) || (self.cancelled && self.is_contending())
    }

    /// Stops acquiring: the node (once known) is deleted, then `Cancelled`. Does
    /// nothing unless an acquire is under way.
    pub fn cancel(&mut self) {
        match &self.phase {
            Phase::Waiting(_) => self.delete_then(LockEvent::Cancelled),
            Phase::Creating
            | Phase::CreatingParents(_)
            | Phase::Finding
            | Phase::Verifying
            | Phase::Listing
            | Phase::Checking => self.cancelled = true,
            _ => {}
        }
    }

    /// Releases a held lock: its node is deleted, then `Released`.
    pub fn release(&mut self) {
        if self.phase == Phase::Held {
            self.delete_then(LockEvent::Released);
        }
    }

    /// The lock's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The kinds of contender node that block this one.
    pub fn blocking_kinds(&self) -> &[Kind] {
        &self.blocking
    }

    /// The kinds of contender node kazoo's `contenders()` lists for this side of the
    /// lock: those that block it and its own (kazoo's `_exclude_names | {_NODE_NAME}`),
    /// so a read lock lists readers and writers, as a write lock does, and an exclusive
    /// lock only `__lock__` nodes.
    pub fn contender_kinds(&self) -> Vec<Kind> {
        let mut kinds = self.blocking.clone();
        if !kinds.contains(&self.kind) {
            kinds.push(self.kind);
        }
        kinds
    }

    /// Whether the lock is held now.
    pub fn is_held(&self) -> bool {
        self.phase == Phase::Held
    }

    /// The contender node's full path, once created.
    pub fn node_path(&self) -> Option<String> {
        self.node.as_ref().map(|n| format!("{}/{n}", self.path))
    }

    // ----- steps ----------------------------------------------------------------------

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    fn create(&mut self) {
        self.prefix = new_prefix(self.kind);
        let path = format!("{}/{}", self.path, self.prefix);
        let request = Request::create(
            path,
            self.identifier.clone(),
            CreateMode::EphemeralSequential,
        );
        self.send(Phase::Creating, request);
    }

    fn verify(&mut self) {
        match self.node_path() {
            Some(path) => self.send(Phase::Verifying, Request::exists(path, false)),
            None => self.create(),
        }
    }

    fn on_verified(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(Some(_)), _)) if self.cancelled => {
                self.delete_then(LockEvent::Cancelled)
            }
            Ok((Response::Exists(None), _)) if self.cancelled => self.finish(LockEvent::Cancelled),
            Ok((Response::Exists(Some(_)), _)) => {
                self.phase = Phase::Held;
                self.outbox.forget_awaited();
                self.outputs.push_back(LockEvent::Acquired);
            }
            // Gone with a session that ended since: not held; contend anew.
            Ok((Response::Exists(None), _)) => {
                self.node = None;
                self.create();
            }
            Err(Error::ConnectionLoss) => self.verify(),
            // This session ended (or the server refuses): the lock is not held.
            Err(e) => self.finish(LockEvent::Lost(e)),
            Ok((other, _)) => self.finish(LockEvent::Lost(unexpected("exists", &other))),
        }
    }

    fn list(&mut self) {
        self.send(Phase::Listing, Request::get_children(&self.path, false));
    }

    fn delete_then(&mut self, then: LockEvent) {
        match &self.node {
            Some(node) => {
                let path = format!("{}/{node}", self.path);
                self.send(Phase::Deleting(then), Request::delete(path, Version::Any));
            }
            None => self.finish(then),
        }
    }

    fn finish(&mut self, event: LockEvent) {
        self.phase = Phase::Done;
        self.outbox.forget_awaited();
        self.node = None;
        self.outputs.push_back(event);
    }

    /// An error that retrying does not mend: the node goes, then `Failed`.
    fn fail(&mut self, error: Error) {
        self.delete_then(LockEvent::Failed(error));
    }

    /// The parent components of the lock path to create, `depth` deep from the root.
    fn create_parent(&mut self, depth: usize) {
        let parts: Vec<&str> = self.path.split('/').filter(|p| !p.is_empty()).collect();
        let partial = format!("/{}", parts[..depth.min(parts.len())].join("/"));
        let request = Request::create(partial, Bytes::new(), CreateMode::Persistent);
        self.send(Phase::CreatingParents(depth), request);
    }

    fn on_created(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Create { path, .. }, _)) => {
                self.node = path.rsplit('/').next().map(str::to_string);
                self.after_node_known();
            }
            // The node may exist: look for it by its unique prefix before creating again.
            Err(Error::ConnectionLoss) => {
                self.send(Phase::Finding, Request::get_children(&self.path, false))
            }
            // Nothing was created: a cancelled acquire ends here.
            Err(Error::NoNode { .. }) if self.cancelled => self.finish(LockEvent::Cancelled),
            Err(Error::NoNode { .. }) => self.create_parent(1),
            Err(e) => self.fail(e),
            Ok((other, _)) => self.fail(unexpected("create", &other)),
        }
    }

    fn after_node_known(&mut self) {
        if self.cancelled {
            self.delete_then(LockEvent::Cancelled);
        } else {
            self.list();
        }
    }

    fn on_parent_created(&mut self, depth: usize, reply: Reply) {
        if self.cancelled {
            // No contender node yet: make none.
            return self.finish(LockEvent::Cancelled);
        }
        let depth_total = self.path.split('/').filter(|p| !p.is_empty()).count();
        match reply {
            Ok(_) | Err(Error::NodeExists { .. }) if depth >= depth_total => self.create(),
            Ok(_) | Err(Error::NodeExists { .. }) => self.create_parent(depth + 1),
            // A parent created concurrently and deleted again, or a lost reply: retry.
            Err(Error::ConnectionLoss | Error::NoNode { .. }) => self.create_parent(1),
            Err(e) => self.fail(e),
        }
    }

    fn on_found(&mut self, reply: Reply) {
        match reply {
            Ok((Response::GetChildren { children, .. }, _)) => {
                match children.into_iter().find(|c| c.starts_with(&self.prefix)) {
                    Some(node) => {
                        self.node = Some(node);
                        self.after_node_known();
                    }
                    None if self.cancelled => self.finish(LockEvent::Cancelled),
                    None => self.create(),
                }
            }
            Err(Error::ConnectionLoss) => {
                self.send(Phase::Finding, Request::get_children(&self.path, false))
            }
            // No lock node: the lost create was refused for a missing parent, and
            // created nothing.
            Err(Error::NoNode { .. }) if self.cancelled => self.finish(LockEvent::Cancelled),
            Err(Error::NoNode { .. }) => self.create_parent(1),
            Err(e) => self.fail(e),
            Ok((other, _)) => self.fail(unexpected("getChildren", &other)),
        }
    }

    fn on_listed(&mut self, reply: Reply) {
        if self.cancelled {
            return self.delete_then(LockEvent::Cancelled);
        }
        let children = match reply {
            Ok((Response::GetChildren { children, .. }, _)) => children,
            Err(Error::ConnectionLoss) => return self.list(),
            Err(e) => return self.fail(e),
            Ok((other, _)) => return self.fail(unexpected("getChildren", &other)),
        };
        let Some(own) = self.node.clone() else {
            return self.create();
        };
        let own_sequence = sequence(&own, &[self.kind]).unwrap_or_default().to_string();
        match predecessor(&children, &own, &own_sequence, &self.blocking) {
            // Our node is gone (deleted by someone else): contend again.
            Err(()) => {
                self.node = None;
                self.create();
            }
            Ok(None) => {
                self.phase = Phase::Held;
                self.outbox.forget_awaited();
                self.outputs.push_back(LockEvent::Acquired);
            }
            Ok(Some(_)) if !self.wait => self.delete_then(LockEvent::NotAcquired),
            Ok(Some(ahead)) => {
                let path = format!("{}/{ahead}", self.path);
                self.send(Phase::Checking, Request::exists(path, true));
            }
        }
    }

    fn on_checked(&mut self, reply: Reply) {
        if self.cancelled {
            return self.delete_then(LockEvent::Cancelled);
        }
        match reply {
            Ok((Response::Exists(Some(_)), Some(watch))) => {
                self.phase = Phase::Waiting(watch);
                self.outbox.forget_awaited();
            }
            // Gone already, or a lost reply: look again.
            Ok((Response::Exists(_), _)) | Err(Error::ConnectionLoss) => self.list(),
            Err(e) => self.fail(e),
            Ok((other, _)) => self.fail(unexpected("exists", &other)),
        }
    }

    fn on_deleted(&mut self, then: LockEvent, reply: Reply) {
        match reply {
            Ok(_) | Err(Error::NoNode { .. }) => self.finish(then),
            Err(Error::ConnectionLoss) => self.delete_then(then),
            // The session is over, and its node with it (at the latest when the server
            // expires it): nothing is left to let go.
            Err(e) if e.is_session_over() => self.finish(then),
            // The node stays until the session ends; tell what happened anyway.
            Err(e) => match then {
                LockEvent::Released | LockEvent::Cancelled | LockEvent::NotAcquired => {
                    self.finish(LockEvent::Failed(e))
                }
                other => self.finish(other),
            },
        }
    }
}

fn unexpected(op: &str, reply: &Response) -> Error {
    Error::InvalidArgument(format!("{op} answered with {reply:?}"))
}

impl Abandon for LockMachine {
    /// An acquire (or a release) given up half-way: the contender's node, once known,
    /// is deleted, so that it holds nobody up. (A node whose create is still out when
    /// the acquire is given up is the adapter's to give up: the session deletes it
    /// once the answer names it.)
    fn abandon(&mut self) -> Vec<Request> {
        if matches!(self.phase, Phase::Idle | Phase::Done | Phase::Held) {
            return Vec::new();
        }
        let node = self.node_path();
        self.phase = Phase::Done;
        self.node = None;
        self.cancelled = false;
        self.outbox.clear();
        self.outputs.clear();
        node.map(|path| Request::delete(path, Version::Any))
            .into_iter()
            .collect()
    }
}

impl Recipe for LockMachine {
    type Output = LockEvent;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        match self.phase.clone() {
            Phase::Creating => self.on_created(reply),
            Phase::CreatingParents(depth) => self.on_parent_created(depth, reply),
            Phase::Finding => self.on_found(reply),
            Phase::Verifying => self.on_verified(reply),
            Phase::Listing => self.on_listed(reply),
            Phase::Checking => self.on_checked(reply),
            Phase::Deleting(then) => self.on_deleted(then, reply),
            Phase::Idle | Phase::Waiting(_) | Phase::Held | Phase::Done => {}
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        if let Phase::Waiting(watch) = self.phase {
            if event.fired(watch) {
                self.list();
            }
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        match self.phase {
            Phase::Idle | Phase::Done => {}
            // The ephemeral node went with the session.
            Phase::Held | Phase::Verifying => self.finish(LockEvent::Lost(error)),
            _ => self.finish(LockEvent::Failed(error)),
        }
    }

    fn poll_output(&mut self) -> Option<LockEvent> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        match self.phase {
            Phase::Waiting(watch) => Some(watch),
            _ => None,
        }
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
