//! The counter as a state machine: read the value and its version, write the new
//! value only if the version is unchanged (else read again), create the node when it
//! is missing.
//!
//! A write whose reply is lost (ConnectionLoss) is checked by reading again: an
//! unchanged version (or, for a create, a still missing node) means it was not
//! applied, and it is retried at the same version, so that at most one of the lost
//! write and the retry can apply. A moved version means it may or may not have been
//! ours: the add fails with ConnectionLoss rather than guess (kazoo retries the whole
//! change, which can add twice). So does a retry's BadVersion (NodeExists for a
//! create), since the lost write may be what took that version.

use std::collections::VecDeque;

use bytes::Bytes;
use zk_blocking::{
    CreateMode, Error, KeeperState, Request, Response, Version, WatchHandle, WatchedEvent,
};

use super::encoding::CounterEncoding;
use crate::ensure::{EnsurePath, Ensured, check_recipe_path, parent};
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// A write the machine made: where it is conditioned and what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Write {
    /// The version set_data expects; `None`: a create (the node was missing).
    version: Option<i32>,
    /// The value written.
    value: i64,
    /// The retry of a write whose reply was lost.
    after_loss: bool,
}

/// Where the machine is.
#[derive(Debug, Clone)]
enum Phase {
    Idle,
    /// getData is out.
    Reading,
    /// set_data (or create) is out.
    Writing(Write),
    /// Reading again after the write's reply was lost.
    Verifying(Write),
    /// Creating the counter's missing parents.
    CreatingParents(EnsurePath),
}

/// A shared counter (kazoo's `Counter`, or Curator's `SharedCount` encoding) as a
/// machine: each [`CounterMachine::add`] or [`CounterMachine::get`] ends with one
/// output, the value after the add (or read), or the error.
#[derive(Debug)]
pub struct CounterMachine {
    path: String,
    encoding: CounterEncoding,
    /// What is asked: the delta to add, or `None` for a read.
    delta: Option<i64>,
    phase: Phase,
    outbox: Outbox,
    outputs: VecDeque<Result<i64, Error>>,
}

impl CounterMachine {
    /// The counter at `path`, its value stored as `encoding` says. An invalid path (or
    /// the root) fails each operation with [`Error::InvalidPath`] naming it, sending
    /// nothing.
    pub fn new(path: &str, encoding: CounterEncoding) -> CounterMachine {
        CounterMachine {
            path: path.to_string(),
            encoding,
            delta: None,
            phase: Phase::Idle,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        }
    }

    /// Starts adding `delta` (negative to subtract); the output is the new value.
    /// Ignored while another operation is under way.
    pub fn add(&mut self, delta: i64) {
        if matches!(self.phase, Phase::Idle) {
            self.delta = Some(delta);
            self.start();
        }
    }

    /// Starts reading the value (a missing node is 0, and is not created).
    pub fn get(&mut self) {
        if matches!(self.phase, Phase::Idle) {
            self.delta = None;
            self.start();
        }
    }

    /// The counter's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    // ----- steps ----------------------------------------------------------------------

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    /// An operation's first step: read the value, unless no request can be made of
    /// the path.
    fn start(&mut self) {
        match check_recipe_path(&self.path) {
            Ok(()) => self.read(),
            Err(invalid) => self.finish(Err(invalid)),
        }
    }

    fn read(&mut self) {
        self.send(Phase::Reading, Request::get_data(&self.path, false));
    }

    fn finish(&mut self, outcome: Result<i64, Error>) {
        self.phase = Phase::Idle;
        self.outbox.forget_awaited();
        self.outputs.push_back(outcome);
    }

    /// The value read (`None`: no node) and its version: answer a read, or write.
    fn with_value(&mut self, found: Option<(Bytes, i32)>, after_loss: bool) {
        let (data, version) = match found {
            Some((data, version)) => (data, Some(version)),
            None => (Bytes::new(), None),
        };
        let current = match self.encoding.decode(&data) {
            Ok(v) => v,
            Err(e) => return self.finish(Err(e)),
        };
        let Some(delta) = self.delta else {
            return self.finish(Ok(current));
        };
        let Some(value) = current.checked_add(delta) else {
            return self.finish(Err(Error::InvalidArgument(format!(
                "{current} + {delta} overflows the counter"
            ))));
        };
        let bytes = match self.encoding.encode(value) {
            Ok(bytes) => bytes,
            Err(e) => return self.finish(Err(e)),
        };
        let write = Write {
            version,
            value,
            after_loss,
        };
        let request = match version {
            Some(v) => Request::set_data(&self.path, bytes, Version::Exact(v)),
            None => Request::create(&self.path, bytes, CreateMode::Persistent),
        };
        self.send(Phase::Writing(write), request);
    }

    fn on_read(&mut self, reply: Reply) {
        match reply {
            Ok((Response::GetData { data, stat }, _)) => {
                self.with_value(Some((data, stat.version)), false)
            }
            Err(Error::NoNode { .. }) => self.with_value(None, false),
            Err(Error::ConnectionLoss) => self.read(),
            Err(e) => self.finish(Err(e)),
            Ok((other, _)) => self.finish(Err(unexpected("getData", &other))),
        }
    }

    fn on_written(&mut self, write: Write, reply: Reply) {
        match reply {
            Ok(_) => self.finish(Ok(write.value)),
            // The lost write may be what took the version (or made the node).
            Err(Error::BadVersion { .. } | Error::NodeExists { .. }) if write.after_loss => {
                self.finish(Err(Error::ConnectionLoss))
            }
            // Someone else changed (or made, or deleted) it first: read again.
            Err(Error::BadVersion { .. } | Error::NodeExists { .. }) => self.read(),
            Err(Error::NoNode { .. }) if write.version.is_some() => self.read(),
            // The create's parent is missing.
            Err(Error::NoNode { .. }) => {
                let mut ensure = EnsurePath::new(parent(&self.path));
                self.ensure_step(&mut ensure, None);
            }
            Err(Error::ConnectionLoss) => self.verify(write),
            Err(e) => self.finish(Err(e)),
        }
    }

    fn verify(&mut self, write: Write) {
        self.send(
            Phase::Verifying(write),
            Request::get_data(&self.path, false),
        );
    }

    fn on_verified(&mut self, write: Write, reply: Reply) {
        match (reply, write.version) {
            // Unchanged: the lost write was not applied; retry it from what is there.
            (Ok((Response::GetData { data, stat }, _)), Some(v)) if stat.version == v => {
                self.with_value(Some((data, stat.version)), true)
            }
            (Err(Error::NoNode { .. }), None) => self.with_value(None, true),
            (Err(Error::ConnectionLoss), _) => self.verify(write),
            // Moved (or made, or deleted): maybe by our write, maybe not.
            (Ok((Response::GetData { .. }, _)) | Err(Error::NoNode { .. }), _) => {
                self.finish(Err(Error::ConnectionLoss))
            }
            (Err(e), _) => self.finish(Err(e)),
            (Ok((other, _)), _) => self.finish(Err(unexpected("getData", &other))),
        }
    }

    /// Runs one step of creating the parents: the first (`reply` `None`) or the next.
    fn ensure_step(&mut self, ensure: &mut EnsurePath, reply: Option<Reply>) {
        let step = match reply {
            None => ensure.start(),
            Some(reply) => ensure.on_reply(reply),
        };
        match step {
            Ensured::Next(request) => self.send(Phase::CreatingParents(ensure.clone()), request),
            Ensured::Done => self.read(),
            Ensured::Failed(e) => self.finish(Err(e)),
        }
    }
}

fn unexpected(op: &str, reply: &Response) -> Error {
    Error::InvalidArgument(format!("{op} answered with {reply:?}"))
}

impl Abandon for CounterMachine {
    /// An add given up half-way may have been applied once (never twice), as after a
    /// ConnectionLoss; the next operation starts afresh.
    fn abandon(&mut self) -> Vec<Request> {
        self.phase = Phase::Idle;
        self.outbox.clear();
        self.outputs.clear();
        Vec::new()
    }
}

impl Recipe for CounterMachine {
    type Output = Result<i64, Error>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Reading => self.on_read(reply),
            Phase::Writing(write) => self.on_written(write, reply),
            Phase::Verifying(write) => self.on_verified(write, reply),
            Phase::CreatingParents(mut ensure) => self.ensure_step(&mut ensure, Some(reply)),
            Phase::Idle => {}
        }
    }

    fn handle_watch(&mut self, _event: &WatchedEvent) {}

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        if !matches!(self.phase, Phase::Idle) {
            self.finish(Err(error));
        }
    }

    fn poll_output(&mut self) -> Option<Result<i64, Error>> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        None
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
