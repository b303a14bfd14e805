//! The semaphore as a state machine, kazoo's lease scheme: ensure the semaphore node
//! and agree on its lease limit, take the guarding lock (a [`LockMachine`] at
//! `<path>-__lock__`), then, holding it, count the lease nodes: fewer than the limit,
//! create this holder's ephemeral lease node `<path>/<32 hex>` and release the lock;
//! as many, wait (still holding the lock) for the children to change. Only the lock's
//! holder counts and creates, so kazoo's holders and ours never exceed the limit
//! together.

use std::collections::VecDeque;

use bytes::Bytes;
use zk_blocking::{
    CreateMode, Error, KeeperState, Request, Response, Version, WatchHandle, WatchedEvent,
};

use super::limit::{SemaphoreError, Stored, stored};
use crate::ensure::{EnsurePath, Ensured, check_recipe_path};
use crate::lock::names::unique_id;
use crate::lock::{LockEvent, LockMachine};
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// What a semaphore machine tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemaphoreEvent {
    /// A lease is held (its node made, the guarding lock released).
    Acquired,
    /// `try_acquire` found every lease taken (or the guarding lock held or waited
    /// for): the guarding lock is released and no lease node is left.
    NotAcquired,
    /// The lease was released (its node deleted).
    Released,
    /// The acquire was cancelled: the guarding lock is released and no lease node is
    /// left.
    Cancelled,
    /// The session ended while the lease was held: it is not held any more.
    Lost(Error),
    /// Acquiring (or releasing) failed; the guarding lock is not left held.
    Failed(SemaphoreError),
}

/// Where the machine is.
#[derive(Debug, Clone)]
enum Phase {
    Idle,
    /// Making the semaphore node (and its parents) if missing.
    Ensuring(EnsurePath),
    /// Reading the lease limit the node keeps.
    ReadingLimit,
    /// Writing the limit into a node that keeps none yet (versioned).
    WritingLimit,
    /// exists on the lease node before contending: one left by an earlier acquire
    /// (a create whose reply was lost, a dropped future) is this holder's lease.
    Finding,
    /// The guarding lock's machine is acquiring.
    Locking,
    /// Holding the lock: getChildren(watch) on the semaphore node.
    Counting,
    /// Holding the lock: the lease node's create is out.
    Leasing,
    /// Holding the lock: exists on the lease node after its create's reply was lost.
    Confirming,
    /// Holding the lock, every lease taken: waiting for the children to change.
    Waiting(WatchHandle),
    /// Deleting the lease node of a cancelled acquire; then the lock goes.
    Unleasing,
    /// The guarding lock's release is under way; then this event.
    Unlocking(SemaphoreEvent),
    Held,
    /// Deleting the lease node held.
    Releasing,
}

/// Whose request an outer token is: the machine's own, or the guarding lock's.
#[derive(Debug, Clone, Copy)]
enum Route {
    Own(Token),
    Lock(Token),
}

/// A semaphore (kazoo's `Semaphore`) with `max_leases` leases, as a machine.
#[derive(Debug)]
pub struct SemaphoreMachine {
    path: String,
    identifier: Bytes,
    max_leases: usize,
    /// This holder's lease node (one name for every acquire, as kazoo's).
    lease: String,
    lock: LockMachine,
    phase: Phase,
    /// `try_acquire`: give up at once instead of waiting for a lease.
    wait: bool,
    /// Cancel once the request in flight answers.
    cancelled: bool,
    outbox: Outbox,
    /// The requests out: the token given out, and whose it is.
    routes: Vec<(Token, Route)>,
    next_token: u64,
    outputs: VecDeque<SemaphoreEvent>,
    /// Why no request can be made: every acquire fails with it.
    invalid: Option<Error>,
}

impl SemaphoreMachine {
    /// A holder of one of `max_leases` leases of the semaphore at `path`;
    /// `identifier` is its lease node's data (what `lease_holders` lists). An invalid
    /// path (or the root), or no lease at all, fails every acquire at once, sending
    /// nothing.
    pub fn new(path: &str, max_leases: usize, identifier: Bytes) -> SemaphoreMachine {
        let invalid = check_recipe_path(path).err().or_else(|| {
            (max_leases == 0).then(|| {
                Error::InvalidArgument(format!(
                    "a semaphore needs at least one lease: {path} was given 0"
                ))
            })
        });
        SemaphoreMachine {
            lease: format!("{path}/{}", unique_id()),
            lock: guarding_lock(path, &identifier),
            path: path.to_string(),
            identifier,
            max_leases,
            phase: Phase::Idle,
            wait: true,
            cancelled: false,
            outbox: Outbox::default(),
            routes: Vec::new(),
            next_token: 0,
            outputs: VecDeque::new(),
            invalid,
        }
    }

    /// Starts acquiring: [`SemaphoreEvent::Acquired`] once a lease is held (at once,
    /// after a look, when this holder's lease node is there already), or `Failed`.
    pub fn acquire(&mut self) {
        self.start(true);
    }

    /// Starts taking a lease only if one is free now (kazoo's
    /// `acquire(blocking=False)`): [`SemaphoreEvent::Acquired`], or `NotAcquired`
    /// when every lease is taken or someone holds or waits for the guarding lock
    /// (nothing is left behind then), or `Failed`.
    pub fn try_acquire(&mut self) {
        self.start(false);
    }

    fn start(&mut self, wait: bool) {
        if !matches!(self.phase, Phase::Idle | Phase::Held) {
            return;
        }
        if let Some(invalid) = self.invalid.clone() {
            return self.finish(SemaphoreEvent::Failed(invalid.into()));
        }
        self.wait = wait;
        self.cancelled = false;
        self.ensure(EnsurePath::new(&self.path), None);
    }

    /// Stops acquiring: the guarding lock is released and a lease node made meanwhile
    /// deleted, then `Cancelled`. Does nothing unless an acquire is under way.
    pub fn cancel(&mut self) {
        match self.phase {
            Phase::Idle | Phase::Held | Phase::Releasing | Phase::Unleasing => {}
            Phase::Locking => {
                self.lock.cancel();
                self.take_lock_events();
            }
            Phase::Waiting(_) => self.unlock_then(SemaphoreEvent::Cancelled),
            _ => self.cancelled = true,
        }
    }

    /// Releases a held lease: its node is deleted, then `Released`.
    pub fn release(&mut self) {
        if matches!(self.phase, Phase::Held) {
            self.delete_lease(Phase::Releasing);
        }
    }

    /// Whether a lease is held (as last heard).
    pub fn is_held(&self) -> bool {
        matches!(self.phase, Phase::Held)
    }

    /// Whether an acquire, a cancel or a release is under way: the next event ends
    /// it.
    pub fn is_under_way(&self) -> bool {
        !matches!(self.phase, Phase::Idle | Phase::Held)
    }

    /// The semaphore's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// This holder's lease node's path (it exists while a lease is held).
    pub fn lease_path(&self) -> &str {
        &self.lease
    }

    // ----- steps ----------------------------------------------------------------------

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    fn finish(&mut self, event: SemaphoreEvent) {
        self.phase = match event {
            SemaphoreEvent::Acquired => Phase::Held,
            _ => Phase::Idle,
        };
        self.cancelled = false;
        self.outbox.forget_awaited();
        self.outputs.push_back(event);
    }

    fn ensure(&mut self, mut ensure: EnsurePath, reply: Option<Reply>) {
        if self.cancelled {
            return self.finish(SemaphoreEvent::Cancelled);
        }
        let step = match reply {
            None => ensure.start(),
            Some(reply) => ensure.on_reply(reply),
        };
        match step {
            Ensured::Next(request) => self.send(Phase::Ensuring(ensure), request),
            Ensured::Done => self.read_limit(),
            Ensured::Failed(e) => self.finish(SemaphoreEvent::Failed(e.into())),
        }
    }

    fn read_limit(&mut self) {
        self.send(Phase::ReadingLimit, Request::get_data(&self.path, false));
    }

    fn on_limit_read(&mut self, reply: Reply) {
        if self.cancelled {
            return self.finish(SemaphoreEvent::Cancelled);
        }
        let (data, version) = match reply {
            Ok((Response::GetData { data, stat }, _)) => (data, stat.version),
            Err(Error::ConnectionLoss) => return self.read_limit(),
            // Deleted meanwhile: made again.
            Err(Error::NoNode { .. }) => return self.ensure(EnsurePath::new(&self.path), None),
            Err(e) => return self.finish(SemaphoreEvent::Failed(e.into())),
            Ok((other, _)) => return self.fail_unexpected("getData", &other),
        };
        match stored(&data) {
            Stored::Limit(limit) if usize::try_from(limit).ok() != Some(self.max_leases) => {
                let mismatch = SemaphoreError::MaxLeasesMismatch {
                    path: self.path.clone(),
                    stored: limit,
                    wanted: self.max_leases,
                };
                self.finish(SemaphoreEvent::Failed(mismatch))
            }
            Stored::Limit(_) | Stored::Other => self.find_lease(),
            Stored::Unset => {
                let limit = self.max_leases.to_string();
                let request = Request::set_data(&self.path, limit, Version::Exact(version));
                self.send(Phase::WritingLimit, request);
            }
        }
    }

    fn on_limit_written(&mut self, reply: Reply) {
        match reply {
            _ if self.cancelled => self.finish(SemaphoreEvent::Cancelled),
            Ok(_) => self.find_lease(),
            // Written by someone else meanwhile (or the reply lost): read it again.
            Err(Error::BadVersion { .. } | Error::ConnectionLoss) => self.read_limit(),
            Err(Error::NoNode { .. }) => self.ensure(EnsurePath::new(&self.path), None),
            Err(e) => self.finish(SemaphoreEvent::Failed(e.into())),
        }
    }

    fn find_lease(&mut self) {
        self.send(Phase::Finding, Request::exists(&self.lease, false));
    }

    fn on_found(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(Some(_)), _)) if self.cancelled => {
                self.delete_lease(Phase::Unleasing)
            }
            Ok((Response::Exists(Some(_)), _)) => self.finish(SemaphoreEvent::Acquired),
            Ok((Response::Exists(None), _)) if self.cancelled => {
                self.finish(SemaphoreEvent::Cancelled)
            }
            Ok((Response::Exists(None), _)) => self.lock(),
            Err(Error::ConnectionLoss) => self.find_lease(),
            Err(e) => self.finish(SemaphoreEvent::Failed(e.into())),
            Ok((other, _)) => self.fail_unexpected("exists", &other),
        }
    }

    /// Takes the guarding lock with a fresh lock machine (an earlier one may have been
    /// abandoned half-way).
    fn lock(&mut self) {
        self.routes
            .retain(|(_, route)| matches!(route, Route::Own(_)));
        self.lock = guarding_lock(&self.path, &self.identifier);
        self.phase = Phase::Locking;
        self.outbox.forget_awaited();
        self.lock.acquire(self.wait);
        self.take_lock_events();
    }

    /// Acts on what the guarding lock's machine told.
    fn take_lock_events(&mut self) {
        while let Some(event) = self.lock.poll_output() {
            match (self.phase.clone(), event) {
                (Phase::Locking, LockEvent::Acquired) if self.cancelled => {
                    self.unlock_then(SemaphoreEvent::Cancelled)
                }
                (Phase::Locking, LockEvent::Acquired) => self.count(),
                (Phase::Locking, LockEvent::Failed(e) | LockEvent::Lost(e)) => {
                    self.finish(SemaphoreEvent::Failed(e.into()))
                }
                (Phase::Locking, LockEvent::NotAcquired) => {
                    self.finish(SemaphoreEvent::NotAcquired)
                }
                (Phase::Locking, _) => self.finish(SemaphoreEvent::Cancelled),
                (Phase::Unlocking(then), LockEvent::Released) => self.after_unlock(then),
                (Phase::Unlocking(_), LockEvent::Failed(e) | LockEvent::Lost(e)) => {
                    self.finish(SemaphoreEvent::Failed(e.into()))
                }
                _ => {}
            }
        }
    }

    fn after_unlock(&mut self, then: SemaphoreEvent) {
        match then {
            // Cancelled while the lock went: the lease made goes too.
            SemaphoreEvent::Acquired if self.cancelled => self.delete_lease(Phase::Unleasing),
            then => self.finish(then),
        }
    }

    /// Releases the guarding lock (if held), then tells `then`.
    fn unlock_then(&mut self, then: SemaphoreEvent) {
        if !self.lock.is_held() {
            return self.after_unlock(then);
        }
        self.phase = Phase::Unlocking(then);
        self.outbox.forget_awaited();
        self.lock.release();
        self.take_lock_events();
    }

    fn count(&mut self) {
        // A look that does not wait sets no watch.
        let watch = self.wait;
        self.send(Phase::Counting, Request::get_children(&self.path, watch));
    }

    fn on_counted(&mut self, reply: Reply) {
        if self.cancelled {
            return self.unlock_then(SemaphoreEvent::Cancelled);
        }
        match reply {
            Ok((Response::GetChildren { children, .. }, _)) if children.len() < self.max_leases => {
                let request =
                    Request::create(&self.lease, self.identifier.clone(), CreateMode::Ephemeral);
                self.send(Phase::Leasing, request);
            }
            Ok((Response::GetChildren { .. }, _)) if !self.wait => {
                self.unlock_then(SemaphoreEvent::NotAcquired)
            }
            Ok((Response::GetChildren { .. }, Some(watch))) => {
                self.phase = Phase::Waiting(watch);
                self.outbox.forget_awaited();
            }
            Err(Error::ConnectionLoss) => self.count(),
            Err(e) => self.unlock_then(SemaphoreEvent::Failed(e.into())),
            Ok((other, _)) => self.unlock_then(SemaphoreEvent::Failed(
                unexpected("getChildren(watch)", &other).into(),
            )),
        }
    }

    fn on_leased(&mut self, reply: Reply) {
        match reply {
            // NodeExists: the lease node is this holder's (an earlier create of it).
            Ok((Response::Create { .. }, _)) | Err(Error::NodeExists { .. }) => {
                self.unlock_then(SemaphoreEvent::Acquired)
            }
            // The lease may have been made: look before counting again.
            Err(Error::ConnectionLoss) => self.confirm(),
            Err(e) => self.unlock_then(SemaphoreEvent::Failed(e.into())),
            Ok((other, _)) => {
                self.unlock_then(SemaphoreEvent::Failed(unexpected("create", &other).into()))
            }
        }
    }

    fn confirm(&mut self) {
        self.send(Phase::Confirming, Request::exists(&self.lease, false));
    }

    fn on_confirmed(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(Some(_)), _)) => self.unlock_then(SemaphoreEvent::Acquired),
            Ok((Response::Exists(None), _)) if self.cancelled => {
                self.unlock_then(SemaphoreEvent::Cancelled)
            }
            Ok((Response::Exists(None), _)) => self.count(),
            Err(Error::ConnectionLoss) => self.confirm(),
            Err(e) => self.unlock_then(SemaphoreEvent::Failed(e.into())),
            Ok((other, _)) => {
                self.unlock_then(SemaphoreEvent::Failed(unexpected("exists", &other).into()))
            }
        }
    }

    fn delete_lease(&mut self, phase: Phase) {
        self.send(phase, Request::delete(&self.lease, Version::Any));
    }

    /// The lease node of a cancelled acquire is deleted: the lock goes next.
    fn on_unleased(&mut self, reply: Reply) {
        match reply {
            Ok(_) | Err(Error::NoNode { .. }) => {
                self.cancelled = false;
                self.unlock_then(SemaphoreEvent::Cancelled)
            }
            Err(Error::ConnectionLoss) => self.delete_lease(Phase::Unleasing),
            Err(e) => self.unlock_then(SemaphoreEvent::Failed(e.into())),
        }
    }

    fn on_released(&mut self, reply: Reply) {
        match reply {
            Ok(_) | Err(Error::NoNode { .. }) => self.finish(SemaphoreEvent::Released),
            Err(Error::ConnectionLoss) => self.delete_lease(Phase::Releasing),
            // The session is over, and its lease with it: nothing is left to let go.
            Err(e) if e.is_session_over() => self.finish(SemaphoreEvent::Released),
            Err(e) => self.finish(SemaphoreEvent::Failed(e.into())),
        }
    }

    fn fail_unexpected(&mut self, op: &str, reply: &Response) {
        self.finish(SemaphoreEvent::Failed(unexpected(op, reply).into()));
    }
}

/// The lock that guards the count of leases, where kazoo's `Semaphore` takes it.
fn guarding_lock(path: &str, identifier: &Bytes) -> LockMachine {
    LockMachine::exclusive(&format!("{path}-__lock__"), identifier.clone())
}

fn unexpected(op: &str, reply: &Response) -> Error {
    Error::InvalidArgument(format!("{op} answered with {reply:?}"))
}

impl Abandon for SemaphoreMachine {
    /// An acquire given up half-way: the guarding lock's node, once known, is deleted,
    /// so that it holds nobody up, and so is the lease node the acquire may have made
    /// (queued after a create still out, the delete comes after it). A lock node whose
    /// create is still out is the adapter's to give up: the session deletes it once
    /// the answer names it.
    fn abandon(&mut self) -> Vec<Request> {
        if matches!(self.phase, Phase::Idle | Phase::Held | Phase::Releasing) {
            return Vec::new();
        }
        let mut cleanup = match self.lock.node_path() {
            Some(node) if self.lock.is_held() => vec![Request::delete(node, Version::Any)],
            _ => self.lock.abandon(),
        };
        cleanup.push(Request::delete(&self.lease, Version::Any));
        self.phase = Phase::Idle;
        self.cancelled = false;
        self.outbox.clear();
        self.routes.clear();
        self.outputs.clear();
        self.lock = guarding_lock(&self.path, &self.identifier);
        cleanup
    }
}

impl Recipe for SemaphoreMachine {
    type Output = SemaphoreEvent;

    fn poll_submit(&mut self) -> Option<Submit> {
        let (route, request) = match self.outbox.poll() {
            Some(own) => (Route::Own(own.token), own.request),
            None => {
                let lock = self.lock.poll_submit()?;
                (Route::Lock(lock.token), lock.request)
            }
        };
        let token = Token(self.next_token);
        self.next_token = self.next_token.wrapping_add(1);
        self.routes.push((token, route));
        Some(Submit { token, request })
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        let Some(at) = self.routes.iter().position(|(t, _)| *t == token) else {
            return;
        };
        match self.routes.swap_remove(at).1 {
            Route::Lock(inner) => {
                self.lock.handle_reply(inner, reply);
                self.take_lock_events();
            }
            Route::Own(inner) => {
                if !self.outbox.answered(inner) {
                    return;
                }
                match self.phase.clone() {
                    Phase::Ensuring(ensure) => self.ensure(ensure, Some(reply)),
                    Phase::ReadingLimit => self.on_limit_read(reply),
                    Phase::WritingLimit => self.on_limit_written(reply),
                    Phase::Finding => self.on_found(reply),
                    Phase::Counting => self.on_counted(reply),
                    Phase::Leasing if self.cancelled => match reply {
                        Ok(_) | Err(Error::NodeExists { .. }) => {
                            self.delete_lease(Phase::Unleasing)
                        }
                        _ => self.on_leased(reply),
                    },
                    Phase::Leasing => self.on_leased(reply),
                    Phase::Confirming if self.cancelled => match reply {
                        Ok((Response::Exists(Some(_)), _)) => self.delete_lease(Phase::Unleasing),
                        _ => self.on_confirmed(reply),
                    },
                    Phase::Confirming => self.on_confirmed(reply),
                    Phase::Unleasing => self.on_unleased(reply),
                    Phase::Releasing => self.on_released(reply),
                    Phase::Idle
                    | Phase::Locking
                    | Phase::Waiting(_)
                    | Phase::Unlocking(_)
                    | Phase::Held => {}
                }
            }
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        match self.phase {
            Phase::Locking => {
                self.lock.handle_watch(event);
                self.take_lock_events();
            }
            Phase::Waiting(watch) if event.fired(watch) => self.count(),
            _ => {}
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        // The lock's node went with the session: nothing of the lock is left to tell.
        self.lock.handle_session_end(error.clone());
        while self.lock.poll_output().is_some() {}
        match self.phase {
            Phase::Idle => {}
            // The ephemeral lease node went with the session.
            Phase::Held | Phase::Releasing => self.finish(SemaphoreEvent::Lost(error)),
            _ => self.finish(SemaphoreEvent::Failed(error.into())),
        }
    }

    fn poll_output(&mut self) -> Option<SemaphoreEvent> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        match self.phase {
            Phase::Locking => self.lock.watch(),
            Phase::Waiting(watch) => Some(watch),
            _ => None,
        }
    }

    fn awaiting_replies(&self) -> bool {
        !self.routes.is_empty() || self.outbox.awaiting() || self.lock.awaiting_replies()
    }
}
