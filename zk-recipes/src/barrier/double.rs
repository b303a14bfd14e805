//! kazoo's `DoubleBarrier` as a state machine.
//!
//! Enter: ensure the barrier node, create this participant's ephemeral node (32 random
//! hex digits, holding its identifier), watch for `ready`; once the children number
//! `participants`, create `ready`, else wait for it to appear.
//!
//! Leave: delete `ready`, then until no participant is left: the lowest node (by
//! name) waits for the highest to go; every other deletes its own node and waits for
//! the lowest to go; the lowest, alone at last, deletes its own.
//!
//! Departures from kazoo: `ready` already there at enter means entered (kazoo would
//! wait for a creation that never comes); `ready` is not counted as a participant
//! when leaving; an own node already deleted is not deleted again (kazoo fails with
//! NoNode there).

use std::collections::VecDeque;

use bytes::Bytes;
use zk_blocking::{
    CreateMode, Error, EventType, KeeperState, Request, Response, Version, WatchHandle,
    WatchedEvent,
};

use crate::ensure::{EnsurePath, Ensured, check_recipe_path};
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// The child that says every participant has entered.
const READY: &str = "ready";

/// What a double barrier machine tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoubleBarrierEvent {
    /// Every participant has entered.
    Entered,
    /// Every participant has left.
    Left,
    /// The server refused, or the session ended; this participant's node is deleted
    /// (or went with the session).
    Failed(Error),
}

/// Where the machine is.
#[derive(Debug, Clone)]
enum Phase {
    Idle,
    // ----- entering
    EnsuringPath(EnsurePath),
    CreatingNode,
    /// exists(ready, watch) is out.
    CheckingReady,
    /// getChildren is out; the watch on `ready` is set.
    Counting(WatchHandle),
    EnsuringReady(EnsurePath),
    /// Waiting for `ready` to be created.
    WaitingReady(WatchHandle),
    // ----- leaving
    DeletingReady,
    Listing,
    /// Deleting the own node; then watch this participant (or, `None`, done).
    DeletingOwn(Option<String>),
    /// exists(watch) on this participant is out.
    Checking(String),
    /// Waiting for a participant to go.
    WaitingGone(WatchHandle),
    // ----- failing
    CleaningUp(Error),
}

/// A double barrier (kazoo's `DoubleBarrier`) as a machine, for one participant.
#[derive(Debug)]
pub struct DoubleBarrierMachine {
    path: String,
    participants: usize,
    identifier: Bytes,
    node: String,
    phase: Phase,
    outbox: Outbox,
    outputs: VecDeque<DoubleBarrierEvent>,
}

impl DoubleBarrierMachine {
    /// One of `participants` at the barrier at `path`; `identifier` is its node's data.
    /// An invalid path (or the root) fails each operation with [`Error::InvalidPath`]
    /// naming it, sending nothing.
    pub fn new(path: &str, participants: usize, identifier: Bytes) -> DoubleBarrierMachine {
        let name = crate::lock::names::new_prefix(crate::lock::names::Kind::Exclusive);
        DoubleBarrierMachine::with_node_name(path, participants, identifier, &name[..32])
    }

    /// Like [`DoubleBarrierMachine::new`] with the participant's node name given (it
    /// must be unique among the participants; for scripted tests).
    pub fn with_node_name(
        path: &str,
        participants: usize,
        identifier: Bytes,
        node: &str,
    ) -> DoubleBarrierMachine {
        DoubleBarrierMachine {
            path: path.to_string(),
            participants,
            identifier,
            node: node.to_string(),
            phase: Phase::Idle,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        }
    }

    /// Starts entering: `Entered` once all participants have.
    pub fn enter(&mut self) {
        if matches!(self.phase, Phase::Idle) && !self.refused_path() {
            let mut ensure = EnsurePath::new(&self.path);
            self.ensure_path_step(&mut ensure, None);
        }
    }

    /// Starts leaving: `Left` once all participants have.
    pub fn leave(&mut self) {
        if matches!(self.phase, Phase::Idle) && !self.refused_path() {
            self.delete_ready();
        }
    }

    /// The participant's node name (a child of the barrier's path).
    pub fn node_name(&self) -> &str {
        &self.node
    }

    // ----- steps ----------------------------------------------------------------------

    /// Whether the path is one no request can be made of; then the operation has
    /// failed already (with no node of this participant to clean up).
    fn refused_path(&mut self) -> bool {
        match check_recipe_path(&self.path) {
            Ok(()) => false,
            Err(invalid) => {
                self.finish(DoubleBarrierEvent::Failed(invalid));
                true
            }
        }
    }

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    fn finish(&mut self, event: DoubleBarrierEvent) {
        self.phase = Phase::Idle;
        self.outbox.forget_awaited();
        self.outputs.push_back(event);
    }

    fn child(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Deletes the own node (best effort), then `Failed`.
    fn fail(&mut self, error: Error) {
        let own = self.child(&self.node);
        self.send(Phase::CleaningUp(error), Request::delete(own, Version::Any));
    }

    fn ensure_path_step(&mut self, ensure: &mut EnsurePath, reply: Option<Reply>) {
        let step = match reply {
            None => ensure.start(),
            Some(reply) => ensure.on_reply(reply),
        };
        match step {
            Ensured::Next(request) => self.send(Phase::EnsuringPath(ensure.clone()), request),
            Ensured::Done => self.create_node(),
            Ensured::Failed(e) => self.fail(e),
        }
    }

    fn create_node(&mut self) {
        let request = Request::create(
            self.child(&self.node),
            self.identifier.clone(),
            CreateMode::Ephemeral,
        );
        self.send(Phase::CreatingNode, request);
    }

    fn on_node_created(&mut self, reply: Reply) {
        match reply {
            // NodeExists: ours, from a create whose reply was lost.
            Ok(_) | Err(Error::NodeExists { .. }) => self.check_ready(),
            Err(Error::ConnectionLoss) => self.create_node(),
            // The barrier's node was deleted meanwhile.
            Err(Error::NoNode { .. }) => self.enter(),
            Err(e) => self.fail(e),
        }
    }

    fn check_ready(&mut self) {
        self.send(
            Phase::CheckingReady,
            Request::exists(self.child(READY), true),
        );
    }

    fn on_ready_checked(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(Some(_)), _)) => self.finish(DoubleBarrierEvent::Entered),
            Ok((Response::Exists(None), Some(watch))) => self.send(
                Phase::Counting(watch),
                Request::get_children(&self.path, false),
            ),
            Err(Error::ConnectionLoss) => self.check_ready(),
            Err(e) => self.fail(e),
            Ok((other, _)) => self.fail(unexpected("exists(watch)", &other)),
        }
    }

    fn on_counted(&mut self, watch: WatchHandle, reply: Reply) {
        match reply {
            Ok((Response::GetChildren { children, .. }, _)) => {
                if children.len() < self.participants {
                    self.phase = Phase::WaitingReady(watch);
                } else {
                    let mut ensure = EnsurePath::new(&self.child(READY));
                    self.ensure_ready_step(&mut ensure, None);
                }
            }
            Err(Error::ConnectionLoss) => self.check_ready(),
            Err(e) => self.fail(e),
            Ok((other, _)) => self.fail(unexpected("getChildren", &other)),
        }
    }

    fn ensure_ready_step(&mut self, ensure: &mut EnsurePath, reply: Option<Reply>) {
        let step = match reply {
            None => ensure.start(),
            Some(reply) => ensure.on_reply(reply),
        };
        match step {
            Ensured::Next(request) => self.send(Phase::EnsuringReady(ensure.clone()), request),
            Ensured::Done => self.finish(DoubleBarrierEvent::Entered),
            Ensured::Failed(e) => self.fail(e),
        }
    }

    fn delete_ready(&mut self) {
        self.send(
            Phase::DeletingReady,
            Request::delete(self.child(READY), Version::Any),
        );
    }

    fn on_ready_deleted(&mut self, reply: Reply) {
        match reply {
            Ok(_) | Err(Error::NoNode { .. }) => self.list(),
            Err(Error::ConnectionLoss) => self.delete_ready(),
            Err(e) => self.fail(e),
        }
    }

    fn list(&mut self) {
        self.send(Phase::Listing, Request::get_children(&self.path, false));
    }

    fn on_listed(&mut self, reply: Reply) {
        let mut children = match reply {
            Ok((Response::GetChildren { children, .. }, _)) => children,
            Err(Error::NoNode { .. }) => Vec::new(),
            Err(Error::ConnectionLoss) => return self.list(),
            Err(e) => return self.fail(e),
            Ok((other, _)) => return self.fail(unexpected("getChildren", &other)),
        };
        children.retain(|c| c != READY);
        children.sort();
        let own_listed = children.contains(&self.node);
        match children.as_slice() {
            [] => self.finish(DoubleBarrierEvent::Left),
            [only] if *only == self.node => self.delete_own(None),
            [lowest, .., highest] if *lowest == self.node => {
                let highest = highest.clone();
                self.check_gone(highest);
            }
            [lowest, ..] if own_listed => {
                let lowest = lowest.clone();
                self.delete_own(Some(lowest));
            }
            [lowest, ..] => {
                let lowest = lowest.clone();
                self.check_gone(lowest);
            }
        }
    }

    fn delete_own(&mut self, then_watch: Option<String>) {
        let own = self.child(&self.node);
        self.send(
            Phase::DeletingOwn(then_watch),
            Request::delete(own, Version::Any),
        );
    }

    fn on_own_deleted(&mut self, then_watch: Option<String>, reply: Reply) {
        match (reply, then_watch) {
            (Ok(_) | Err(Error::NoNode { .. }), None) => self.finish(DoubleBarrierEvent::Left),
            (Ok(_) | Err(Error::NoNode { .. }), Some(other)) => self.check_gone(other),
            (Err(Error::ConnectionLoss), then_watch) => self.delete_own(then_watch),
            (Err(e), _) => self.fail(e),
        }
    }

    fn check_gone(&mut self, participant: String) {
        let request = Request::exists(self.child(&participant), true);
        self.send(Phase::Checking(participant), request);
    }

    fn on_gone_checked(&mut self, participant: String, reply: Reply) {
        match reply {
            Ok((Response::Exists(None), _)) => self.list(),
            Ok((Response::Exists(Some(_)), Some(watch))) => {
                self.phase = Phase::WaitingGone(watch);
            }
            Err(Error::ConnectionLoss) => self.check_gone(participant),
            Err(e) => self.fail(e),
            Ok((other, _)) => self.fail(unexpected("exists(watch)", &other)),
        }
    }

    fn on_cleaned_up(&mut self, error: Error, reply: Reply) {
        match reply {
            Err(Error::ConnectionLoss) => self.fail(error),
            // Deleted, gone already, or refused: the session's end takes it anyway.
            _ => self.finish(DoubleBarrierEvent::Failed(error)),
        }
    }
}

fn unexpected(op: &str, reply: &Response) -> Error {
    Error::InvalidArgument(format!("{op} answered with {reply:?}"))
}

impl Abandon for DoubleBarrierMachine {
    /// An enter or leave given up half-way: this participant's node is deleted (kazoo's
    /// best-effort clean-up), so that it is not counted, nor waited for, by the others.
    fn abandon(&mut self) -> Vec<Request> {
        if matches!(self.phase, Phase::Idle) {
            return Vec::new();
        }
        self.phase = Phase::Idle;
        self.outbox.clear();
        self.outputs.clear();
        vec![Request::delete(self.child(&self.node), Version::Any)]
    }
}

impl Recipe for DoubleBarrierMachine {
    type Output = DoubleBarrierEvent;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::EnsuringPath(mut ensure) => self.ensure_path_step(&mut ensure, Some(reply)),
            Phase::CreatingNode => self.on_node_created(reply),
            Phase::CheckingReady => self.on_ready_checked(reply),
            Phase::Counting(watch) => self.on_counted(watch, reply),
            Phase::EnsuringReady(mut ensure) => self.ensure_ready_step(&mut ensure, Some(reply)),
            Phase::DeletingReady => self.on_ready_deleted(reply),
            Phase::Listing => self.on_listed(reply),
            Phase::DeletingOwn(then_watch) => self.on_own_deleted(then_watch, reply),
            Phase::Checking(participant) => self.on_gone_checked(participant, reply),
            Phase::CleaningUp(error) => self.on_cleaned_up(error, reply),
            Phase::Idle | Phase::WaitingReady(_) | Phase::WaitingGone(_) => {}
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        match self.phase {
            Phase::WaitingReady(watch) if event.fired(watch) => match event.event_type {
                EventType::NodeCreated => self.finish(DoubleBarrierEvent::Entered),
                // Anything else (an event lost to the memory bound): look again.
                _ => self.check_ready(),
            },
            // Whatever happened to the one waited for, the list says what next.
            Phase::WaitingGone(watch) if event.fired(watch) => self.list(),
            _ => {}
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        // The ephemeral node went with the session.
        if !matches!(self.phase, Phase::Idle) {
            self.finish(DoubleBarrierEvent::Failed(error));
        }
    }

    fn poll_output(&mut self) -> Option<DoubleBarrierEvent> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        match self.phase {
            Phase::WaitingReady(watch) | Phase::WaitingGone(watch) => Some(watch),
            _ => None,
        }
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
