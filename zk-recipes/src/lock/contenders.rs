//! Listing a lock's contenders in lock order with their identifiers (kazoo's
//! `Lock.contenders()` / `Election.contenders()`), as a machine: list the children,
//! then read each contender node's data. A node deleted meanwhile is left out. The
//! same reading of every child serves a semaphore's lease holders, and of the children
//! with a marker a party's members.

use zk_blocking::{Error, KeeperState, Request, Response};

use super::machine::lock_path;
use super::names::{Kind, contenders};
use crate::ensure::check_recipe_path;
use crate::machine::{Outbox, Recipe, Reply, Submit, Token};

/// Which children are read.
#[derive(Debug)]
enum Listed {
    /// The contender nodes of these kinds, in lock order.
    Kinds(Vec<Kind>),
    /// Every child, in name order (a semaphore's lease holders).
    Every,
    /// The children whose names hold this marker, in name order (a party's members).
    Containing(&'static str),
}

/// Reads the contenders of the lock at `path`; outputs them once, in lock order, as
/// their identifiers (node data, lossily UTF-8).
#[derive(Debug)]
pub struct ContendersMachine {
    path: String,
    listed: Listed,
    /// The list request, until it is answered.
    listing: Option<Token>,
    /// The reads out, in lock order, and what each read (`None`: not yet, or gone).
    reads: Vec<(Token, Option<Option<String>>)>,
    outbox: Outbox,
    output: Option<Result<Vec<String>, Error>>,
    /// The answer was given: later replies (and session ends) change nothing.
    done: bool,
}

impl ContendersMachine {
    /// Starts reading the contenders of the lock at `path` (every kind of node).
    pub fn new(path: &str) -> ContendersMachine {
        ContendersMachine::of_kinds(path, &[Kind::Exclusive, Kind::Shared])
    }

    /// Starts reading the contenders of the lock at `path` whose nodes are of `kinds`
    /// (as kazoo's `contenders()` lists those of its lock's excluding kinds and its
    /// own: only `__lock__` nodes for a `Lock`, both kinds for a `ReadLock` or a
    /// `WriteLock`). An invalid path (or the root) fails at once with
    /// [`Error::InvalidPath`] naming it, sending nothing.
    pub fn of_kinds(path: &str, kinds: &[Kind]) -> ContendersMachine {
        let (path, invalid) = lock_path(path);
        ContendersMachine::listing(path, Listed::Kinds(kinds.to_vec()), invalid)
    }

    /// Starts reading the data of every child of `path`, in name order (kazoo's
    /// `Semaphore.lease_holders()`); `path` must be one the client sends as it is.
    pub(crate) fn every_child(path: &str) -> ContendersMachine {
        let invalid = check_recipe_path(path).err();
        ContendersMachine::listing(path.to_string(), Listed::Every, invalid)
    }

    /// Starts reading the data of the children of `path` whose names hold `marker`, in
    /// name order (kazoo's `Party` members); `path` must be one the client sends as it
    /// is.
    pub(crate) fn children_containing(path: &str, marker: &'static str) -> ContendersMachine {
        let invalid = check_recipe_path(path).err();
        ContendersMachine::listing(path.to_string(), Listed::Containing(marker), invalid)
    }

    fn listing(path: String, listed: Listed, invalid: Option<Error>) -> Self {
        let mut machine = ContendersMachine {
            listed,
            path,
            listing: None,
            reads: Vec::new(),
            outbox: Outbox::default(),
            output: None,
            done: false,
        };
        match invalid {
            None => machine.list(),
            Some(invalid) => machine.finish(Err(invalid)),
        }
        machine
    }

    fn list(&mut self) {
        self.reads.clear();
        self.listing = Some(self.outbox.send(Request::get_children(&self.path, false)));
    }

    fn on_listed(&mut self, reply: Reply) {
        match reply {
            Ok((Response::GetChildren { children, .. }, _)) => {
                let ordered = match &self.listed {
                    Listed::Kinds(kinds) => contenders(&children, kinds),
                    Listed::Every => sorted(children),
                    Listed::Containing(marker) => sorted(
                        children
                            .into_iter()
                            .filter(|c| c.contains(marker))
                            .collect(),
                    ),
                };
                for child in ordered {
                    let path = format!("{}/{child}", self.path);
                    let token = self.outbox.send(Request::get_data(path, false));
                    self.reads.push((token, None));
                }
                self.finish_if_read();
            }
            Err(Error::ConnectionLoss) => self.list(),
            Err(Error::NoNode { .. }) => self.finish(Ok(Vec::new())),
            Err(e) => self.finish(Err(e)),
            Ok((other, _)) => self.finish(Err(Error::InvalidArgument(format!(
                "getChildren answered with {other:?}"
            )))),
        }
    }

    fn on_read(&mut self, token: Token, reply: Reply) {
        let value = match reply {
            Ok((Response::GetData { data, .. }, _)) => {
                Some(String::from_utf8_lossy(&data).into_owned())
            }
            // Gone meanwhile: no longer a contender.
            Err(Error::NoNode { .. }) => None,
            // A lost read: start over (the list may have changed too).
            Err(Error::ConnectionLoss) => return self.list(),
            Err(e) => return self.finish(Err(e)),
            Ok(_) => None,
        };
        if let Some(slot) = self.reads.iter_mut().find(|(t, _)| *t == token) {
            slot.1 = Some(value);
        }
        self.finish_if_read();
    }

    fn finish_if_read(&mut self) {
        if !self.done && self.reads.iter().all(|(_, v)| v.is_some()) {
            let found = self
                .reads
                .drain(..)
                .filter_map(|(_, v)| v.flatten())
                .collect();
            self.finish(Ok(found));
        }
    }

    fn finish(&mut self, result: Result<Vec<String>, Error>) {
        self.done = true;
        self.output = Some(result);
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

impl Recipe for ContendersMachine {
    type Output = Result<Vec<String>, Error>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        self.outbox.answered(token);
        if self.done {
            return;
        }
        if self.listing == Some(token) {
            self.listing = None;
            self.on_listed(reply);
        } else if self.reads.iter().any(|(t, _)| *t == token) {
            self.on_read(token, reply);
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        if !self.done {
            self.finish(Err(error));
        }
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.output.take()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
