//! `rm -r`: delete a node and everything below it, depth first, tolerant of others
//! deleting (NoNode) or adding (NotEmpty: listed again) nodes at the same time.

use zk_blocking::{Error, KeeperState, Request, Response, Version};

use crate::machine::{Outbox, Recipe, Reply, Submit, Token};

/// One node on the way down: listed yet or not.
#[derive(Debug)]
struct Frame {
    path: String,
    listed: bool,
}

/// Deletes a subtree; outputs once (`Ok` also when it did not exist).
#[derive(Debug)]
pub struct DeleteAllMachine {
    stack: Vec<Frame>,
    outbox: Outbox,
    output: Option<Result<(), Error>>,
}

impl DeleteAllMachine {
    /// Starts deleting `path` and its descendants.
    pub fn new(path: &str) -> DeleteAllMachine {
        let mut machine = DeleteAllMachine {
            stack: vec![Frame {
                path: path.trim_end_matches('/').to_string(),
                listed: false,
            }],
            outbox: Outbox::default(),
            output: None,
        };
        machine.next();
        machine
    }

    fn next(&mut self) {
        let Some(top) = self.stack.last() else {
            self.output = Some(Ok(()));
            return;
        };
        let request = if top.listed {
            Request::delete(top.path.clone(), Version::Any)
        } else {
            Request::get_children(&top.path, false)
        };
        self.outbox.send_awaited(request);
    }
}

impl Recipe for DeleteAllMachine {
    type Output = Result<(), Error>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        match reply {
            Ok((Response::GetChildren { children, .. }, _)) => {
                top.listed = true;
                let parent = if top.path == "/" {
                    ""
                } else {
                    top.path.as_str()
                };
                let below: Vec<Frame> = children
                    .into_iter()
                    .map(|c| Frame {
                        path: format!("{parent}/{c}"),
                        listed: false,
                    })
                    .collect();
                self.stack.extend(below);
            }
            Ok(_) | Err(Error::NoNode { .. }) => {
                self.stack.pop();
            }
            // A child appeared meanwhile: list again.
            Err(Error::NotEmpty { .. }) => top.listed = false,
            // Lost reply: ask again (a repeated delete answers NoNode).
            Err(Error::ConnectionLoss) => {}
            Err(e) => {
                self.output = Some(Err(e));
                return;
            }
        }
        self.next();
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = crate::machine::session_end(state) {
            self.output.get_or_insert(Err(e));
            self.outbox.forget_awaited();
        }
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.output.take()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
