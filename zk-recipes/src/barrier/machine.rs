//! kazoo's `Barrier` as a state machine: the barrier is up while its node exists;
//! `create` ensures the node, `remove` deletes it, `wait` watches it until it is gone.

use std::collections::VecDeque;

use zk_blocking::{
    Error, EventType, KeeperState, Request, Response, Version, WatchHandle, WatchedEvent,
};

use crate::ensure::{EnsurePath, Ensured, check_recipe_path};
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// What a barrier machine tells its user: one event per operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BarrierEvent {
    /// The barrier's node exists (made now, or already there).
    Created,
    /// The barrier is down: `true` if this remove deleted the node, `false` if it was
    /// not there (kazoo's `remove()` result).
    Removed(bool),
    /// The barrier's node is gone (or never was): waiters may pass.
    Cleared,
    /// The server refused, or the session ended.
    Failed(Error),
}

/// Where the machine is.
#[derive(Debug, Clone)]
enum Phase {
    Idle,
    Creating(EnsurePath),
    Removing,
    /// exists(watch) is out.
    Checking,
    /// Waiting for the node's watch to fire.
    Waiting(WatchHandle),
}

/// A barrier (kazoo's `Barrier`) as a machine.
#[derive(Debug)]
pub struct BarrierMachine {
    path: String,
    phase: Phase,
    outbox: Outbox,
    outputs: VecDeque<BarrierEvent>,
}

impl BarrierMachine {
    /// The barrier at `path`. An invalid path (or the root) fails each operation with
    /// [`Error::InvalidPath`] naming it, sending nothing.
    pub fn new(path: &str) -> BarrierMachine {
        BarrierMachine {
            path: path.to_string(),
            phase: Phase::Idle,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        }
    }

    /// Puts the barrier up (its node and missing parents): then `Created`.
    pub fn create(&mut self) {
        if matches!(self.phase, Phase::Idle) && !self.refused_path() {
            let mut ensure = EnsurePath::new(&self.path);
            self.ensure_step(&mut ensure, None);
        }
    }

    /// Takes the barrier down: then `Removed`.
    pub fn remove(&mut self) {
        if matches!(self.phase, Phase::Idle) && !self.refused_path() {
            self.send(Phase::Removing, Request::delete(&self.path, Version::Any));
        }
    }

    /// Waits for the barrier to be down: `Cleared` once its node is gone.
    pub fn wait(&mut self) {
        if matches!(self.phase, Phase::Idle) && !self.refused_path() {
            self.check();
        }
    }

    /// Stops what is under way without an event (a wait that timed out); its late
    /// replies and the watch's event are ignored.
    pub fn cancel(&mut self) {
        self.phase = Phase::Idle;
        self.outbox.forget_awaited();
    }

    /// The barrier's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    // ----- steps ----------------------------------------------------------------------

    /// Whether the path is one no request can be made of; then the operation has
    /// failed already.
    fn refused_path(&mut self) -> bool {
        match check_recipe_path(&self.path) {
            Ok(()) => false,
            Err(invalid) => {
                self.finish(BarrierEvent::Failed(invalid));
                true
            }
        }
    }

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    fn finish(&mut self, event: BarrierEvent) {
        self.phase = Phase::Idle;
        self.outbox.forget_awaited();
        self.outputs.push_back(event);
    }

    fn check(&mut self) {
        self.send(Phase::Checking, Request::exists(&self.path, true));
    }

    fn ensure_step(&mut self, ensure: &mut EnsurePath, reply: Option<Reply>) {
        let step = match reply {
            None => ensure.start(),
            Some(reply) => ensure.on_reply(reply),
        };
        match step {
            Ensured::Next(request) => self.send(Phase::Creating(ensure.clone()), request),
            Ensured::Done => self.finish(BarrierEvent::Created),
            Ensured::Failed(e) => self.finish(BarrierEvent::Failed(e)),
        }
    }

    fn on_removed(&mut self, reply: Reply) {
        match reply {
            Ok(_) => self.finish(BarrierEvent::Removed(true)),
            Err(Error::NoNode { .. }) => self.finish(BarrierEvent::Removed(false)),
            Err(Error::ConnectionLoss) => self.remove(),
            Err(e) => self.finish(BarrierEvent::Failed(e)),
        }
    }

    fn on_checked(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(None), _)) => self.finish(BarrierEvent::Cleared),
            Ok((Response::Exists(Some(_)), Some(watch))) => {
                self.phase = Phase::Waiting(watch);
            }
            Err(Error::ConnectionLoss) => self.check(),
            Err(e) => self.finish(BarrierEvent::Failed(e)),
            Ok((other, _)) => self.finish(BarrierEvent::Failed(Error::InvalidArgument(format!(
                "exists(watch) answered with {other:?} and no watch"
            )))),
        }
    }
}

impl Abandon for BarrierMachine {
    /// An operation given up half-way: the next one starts afresh.
    fn abandon(&mut self) -> Vec<Request> {
        self.phase = Phase::Idle;
        self.outbox.clear();
        self.outputs.clear();
        Vec::new()
    }
}

impl Recipe for BarrierMachine {
    type Output = BarrierEvent;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Creating(mut ensure) => self.ensure_step(&mut ensure, Some(reply)),
            Phase::Removing => self.on_removed(reply),
            Phase::Checking => self.on_checked(reply),
            Phase::Idle | Phase::Waiting(_) => {}
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        if let Phase::Waiting(watch) = self.phase {
            if event.fired(watch) {
                match event.event_type {
                    EventType::NodeDeleted => self.finish(BarrierEvent::Cleared),
                    // Its data changed (or the event was lost): look again, re-armed.
                    _ => self.check(),
                }
            }
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        if !matches!(self.phase, Phase::Idle) {
            self.finish(BarrierEvent::Failed(error));
        }
    }

    fn poll_output(&mut self) -> Option<BarrierEvent> {
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
