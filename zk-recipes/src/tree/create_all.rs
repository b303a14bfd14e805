//! `mkdir -p`: create a path and its missing parents (persistent, open ACL, no data),
//! tolerant of others creating them at the same time.

use bytes::Bytes;
use zk_blocking::{CreateMode, Error, KeeperState, Request};

use crate::machine::{Outbox, Recipe, Reply, Submit, Token};

/// Creates every missing node of a path, from the root down; outputs once.
#[derive(Debug)]
pub struct CreateAllMachine {
    parts: Vec<String>,
    /// How many components exist (or were created) so far.
    done: usize,
    pending: Option<Token>,
    outbox: Outbox,
    output: Option<Result<(), Error>>,
}

impl CreateAllMachine {
    /// Starts creating `path` (absolute; `/` alone is done at once).
    pub fn new(path: &str) -> CreateAllMachine {
        let parts = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let mut machine = CreateAllMachine {
            parts,
            done: 0,
            pending: None,
            outbox: Outbox::default(),
            output: None,
        };
        machine.next();
        machine
    }

    fn next(&mut self) {
        if self.done == self.parts.len() {
            self.output = Some(Ok(()));
            return;
        }
        let path = format!("/{}", self.parts[..=self.done].join("/"));
        let request = Request::create(path, Bytes::new(), CreateMode::Persistent);
        self.pending = Some(self.outbox.send(request));
    }
}

impl Recipe for CreateAllMachine {
    type Output = Result<(), Error>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        self.outbox.answered();
        if self.pending != Some(token) {
            return;
        }
        self.pending = None;
        match reply {
            Ok(_) | Err(Error::NodeExists) => {
                self.done += 1;
                self.next();
            }
            // A lost reply (the node may exist: NodeExists next time), or a parent
            // deleted meanwhile: start again from the top.
            Err(Error::ConnectionLoss | Error::NoNode) => {
                self.done = 0;
                self.next();
            }
            Err(e) => self.output = Some(Err(e)),
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = super::session_error(state) {
            self.output.get_or_insert(Err(e));
            self.pending = None;
        }
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.output.take()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
