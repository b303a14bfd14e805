//! The queue as a machine (kazoo's `Queue`): items are persistent sequential nodes
//! `<path>/entry-<priority, 3 digits>-<sequence>`, so that name order is priority
//! order, then arrival order. A consumer takes the first item by reading it and
//! deleting it: only the consumer whose delete succeeds has it (NoNode: another one
//! took it, try the next).

use std::collections::VecDeque;

use bytes::Bytes;
use zk_blocking::{CreateMode, Error, KeeperState, Request, Response, Version};

use crate::ensure::{EnsurePath, Ensured, check_recipe_path};
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// What a queue machine tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueEvent {
    /// The item was added (its node's path).
    Put(String),
    /// An item was taken (`None`: the queue was empty).
    Got(Option<Bytes>),
    /// The operation failed.
    Failed(Error),
}

#[derive(Debug)]
enum Phase {
    Idle,
    /// The item's create is out.
    Putting {
        data: Bytes,
        priority: u16,
    },
    /// Creating the queue's path, then the item.
    CreatingPath {
        ensure: EnsurePath,
        data: Bytes,
        priority: u16,
    },
    Listing,
    /// Reading the first item left.
    Reading,
    /// Deleting it; its data once deleted. `lost`: an earlier delete's reply was lost.
    Taking {
        data: Bytes,
        lost: bool,
    },
}

/// A queue on one path, as a machine; one operation at a time.
#[derive(Debug)]
pub struct QueueMachine {
    path: String,
    /// Items seen at the last listing, in queue order, not yet tried.
    seen: VecDeque<String>,
    phase: Phase,
    outbox: Outbox,
    outputs: VecDeque<QueueEvent>,
}

impl QueueMachine {
    /// A queue at `path`. An invalid path (or the root) fails each operation with
    /// [`Error::InvalidPath`] naming it, sending nothing.
    pub fn new(path: &str) -> QueueMachine {
        QueueMachine {
            path: path.to_string(),
            seen: VecDeque::new(),
            phase: Phase::Idle,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        }
    }

    /// Adds an item with `priority` (0 first, 999 last; kazoo's default is 100).
    pub fn put(&mut self, data: Bytes, priority: u16) {
        if !matches!(self.phase, Phase::Idle) || self.refused_path() {
            return;
        }
        if priority > 999 {
            let why = format!("a queue priority is 0..=999, not {priority}");
            self.outputs
                .push_back(QueueEvent::Failed(Error::InvalidArgument(why)));
            return;
        }
        self.send_put(data, priority);
    }

    /// Takes the first item (`Got(None)` when the queue is empty).
    pub fn get(&mut self) {
        if !matches!(self.phase, Phase::Idle) || self.refused_path() {
            return;
        }
        self.next_item();
    }

    /// Whether the path is one no request can be made of; then the operation has
    /// failed already.
    fn refused_path(&mut self) -> bool {
        match check_recipe_path(&self.path) {
            Ok(()) => false,
            Err(invalid) => {
                self.outputs.push_back(QueueEvent::Failed(invalid));
                true
            }
        }
    }

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    fn send_put(&mut self, data: Bytes, priority: u16) {
        let path = format!("{}/entry-{priority:03}-", self.path);
        let request = Request::create(path, data.clone(), CreateMode::PersistentSequential);
        self.send(Phase::Putting { data, priority }, request);
    }

    /// Tries the next item seen, or lists the queue when none is left.
    fn next_item(&mut self) {
        match self.seen.front() {
            Some(name) => {
                let path = format!("{}/{name}", self.path);
                self.send(Phase::Reading, Request::get_data(path, false));
            }
            None => self.send(Phase::Listing, Request::get_children(&self.path, false)),
        }
    }

    fn finish(&mut self, event: QueueEvent) {
        self.phase = Phase::Idle;
        self.outbox.forget_awaited();
        self.outputs.push_back(event);
    }

    fn delete_first(&mut self, data: Bytes, lost: bool) {
        let name = self.seen.front().cloned().unwrap_or_default();
        let path = format!("{}/{name}", self.path);
        self.send(
            Phase::Taking { data, lost },
            Request::delete(path, Version::Any),
        );
    }
}

impl Abandon for QueueMachine {
    /// A put or get given up half-way: the next operation starts afresh. (A put's
    /// create may still add its item; a get given up once its delete is out may have
    /// taken an item nobody is handed.)
    fn abandon(&mut self) -> Vec<Request> {
        self.phase = Phase::Idle;
        self.outbox.clear();
        self.outputs.clear();
        Vec::new()
    }
}

impl Recipe for QueueMachine {
    type Output = QueueEvent;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle => {}
            Phase::Putting { data, priority } => match reply {
                Ok((Response::Create { path, .. }, _)) => self.finish(QueueEvent::Put(path)),
                Err(Error::NoNode { .. }) => {
                    let mut ensure = EnsurePath::new(&self.path);
                    match ensure.start() {
                        Ensured::Next(request) => self.send(
                            Phase::CreatingPath {
                                ensure,
                                data,
                                priority,
                            },
                            request,
                        ),
                        Ensured::Done => self.send_put(data, priority),
                        Ensured::Failed(e) => self.finish(QueueEvent::Failed(e)),
                    }
                }
                // A sequential create whose reply was lost may have added the item:
                // adding it again could make two. The caller decides.
                Err(e) => self.finish(QueueEvent::Failed(e)),
                Ok((other, _)) => self.finish(QueueEvent::Failed(Error::InvalidArgument(format!(
                    "create answered with {other:?}"
                )))),
            },
            Phase::CreatingPath {
                mut ensure,
                data,
                priority,
            } => match ensure.on_reply(reply) {
                Ensured::Next(request) => self.send(
                    Phase::CreatingPath {
                        ensure,
                        data,
                        priority,
                    },
                    request,
                ),
                Ensured::Done => self.send_put(data, priority),
                Ensured::Failed(e) => self.finish(QueueEvent::Failed(e)),
            },
            Phase::Listing => match reply {
                Ok((Response::GetChildren { mut children, .. }, _)) => {
                    children.retain(|c| c.starts_with("entry-"));
                    if children.is_empty() {
                        return self.finish(QueueEvent::Got(None));
                    }
                    children.sort();
                    self.seen = children.into();
                    self.next_item();
                }
                Err(Error::NoNode { .. }) => self.finish(QueueEvent::Got(None)),
                Err(Error::ConnectionLoss) => self.next_item(),
                Err(e) => self.finish(QueueEvent::Failed(e)),
                Ok((other, _)) => self.finish(QueueEvent::Failed(Error::InvalidArgument(format!(
                    "getChildren answered with {other:?}"
                )))),
            },
            Phase::Reading => match reply {
                Ok((Response::GetData { data, .. }, _)) => self.delete_first(data, false),
                // Taken by another consumer: the next one.
                Err(Error::NoNode { .. }) => {
                    self.seen.pop_front();
                    self.next_item();
                }
                Err(Error::ConnectionLoss) => self.next_item(),
                Err(e) => self.finish(QueueEvent::Failed(e)),
                Ok((other, _)) => self.finish(QueueEvent::Failed(Error::InvalidArgument(format!(
                    "getData answered with {other:?}"
                )))),
            },
            Phase::Taking { data, lost } => match reply {
                Ok(_) => {
                    self.seen.pop_front();
                    self.finish(QueueEvent::Got(Some(data)));
                }
                // After a lost delete, NoNode may be our own delete's doing: the item
                // is handed out (at least once) rather than perhaps lost.
                Err(Error::NoNode { .. }) if lost => {
                    self.seen.pop_front();
                    self.finish(QueueEvent::Got(Some(data)));
                }
                Err(Error::NoNode { .. }) => {
                    self.seen.pop_front();
                    self.next_item();
                }
                Err(Error::ConnectionLoss) => self.delete_first(data, true),
                Err(e) => self.finish(QueueEvent::Failed(e)),
            },
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = crate::machine::session_end(state) {
            self.handle_session_end(e);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        if !matches!(self.phase, Phase::Idle) {
            self.finish(QueueEvent::Failed(error));
        }
    }

    fn poll_output(&mut self) -> Option<QueueEvent> {
        self.outputs.pop_front()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
