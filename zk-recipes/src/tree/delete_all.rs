//! `rm -r`: delete a node and everything below it, depth first, tolerant of others
//! deleting (NoNode) or adding (NotEmpty: listed again) nodes at the same time.

use zk_blocking::{Error, KeeperState, Request, Response, Version};

use crate::ensure::check_path;
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
    /// Starts deleting `path` and its descendants. An invalid path, or the root
    /// (see [`super::delete_all`]), fails at once with [`Error::InvalidPath`] naming
    /// `path`, and nothing is sent.
    pub fn new(path: &str) -> DeleteAllMachine {
        let mut machine = DeleteAllMachine {
            stack: Vec::new(),
            outbox: Outbox::default(),
            output: None,
        };
        match check_path(path).and_then(|()| refuse_root(path)) {
            Ok(()) => {
                machine.stack.push(Frame {
                    path: path.to_string(),
                    listed: false,
                });
                machine.next();
            }
            Err(invalid) => machine.output = Some(Err(invalid)),
        }
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

/// The root cannot be deleted (the server refuses), and emptying it instead would
/// also reach the server's own `/zookeeper`, which it refuses to delete too, after
/// deleting an arbitrary part of the tree: the caller says which children to delete.
fn refuse_root(path: &str) -> Result<(), Error> {
    if path == "/" {
        return Err(Error::InvalidPath {
            path: path.to_string(),
            why: "the root cannot be deleted; to empty the tree, delete_all each child of / \
                  except /zookeeper (the server's own)"
                .to_string(),
        });
    }
    Ok(())
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
                let below: Vec<Frame> = children
                    .into_iter()
                    .map(|c| Frame {
                        path: format!("{}/{c}", top.path),
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
            self.handle_session_end(e);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        self.output.get_or_insert(Err(error));
        self.outbox.forget_awaited();
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.output.take()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}

#[cfg(test)]
mod tests {
    use zk_blocking::Stat;

    use super::*;

    #[test]
    fn the_root_is_refused_and_the_error_says_how_to_empty_the_tree() {
        let mut machine = DeleteAllMachine::new("/");
        assert_eq!(machine.poll_submit(), None);
        match machine.poll_output() {
            Some(Err(Error::InvalidPath { path, why })) => {
                assert_eq!(path, "/");
                assert!(why.contains("root cannot be deleted"), "{why}");
                assert!(why.contains("except /zookeeper"), "{why}");
            }
            other => panic!("expected InvalidPath naming /, got {other:?}"),
        }
    }

    #[test]
    fn children_are_deleted_before_their_parent() {
        let mut machine = DeleteAllMachine::new("/a");
        let list = machine.poll_submit().expect("a listing");
        assert_eq!(list.request, Request::get_children("/a", false));
        let children = Response::GetChildren {
            children: vec!["b".to_string()],
            stat: Some(Stat::default()),
        };
        machine.handle_reply(list.token, Ok((children, None)));
        let list_b = machine.poll_submit().expect("the child's listing");
        assert_eq!(list_b.request, Request::get_children("/a/b", false));
        let none = Response::GetChildren {
            children: Vec::new(),
            stat: Some(Stat::default()),
        };
        machine.handle_reply(list_b.token, Ok((none, None)));
        for path in ["/a/b", "/a"] {
            let delete = machine.poll_submit().expect("a delete");
            assert_eq!(delete.request, Request::delete(path, Version::Any));
            machine.handle_reply(delete.token, Ok((Response::Delete, None)));
        }
        assert_eq!(machine.poll_output(), Some(Ok(())));
    }
}
