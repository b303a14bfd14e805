//! Creating a persistent node and whichever of its ancestors are missing (kazoo's
//! `ensure_path`), one create at a time: a step that recipe machines embed; and the
//! check of a recipe's path before it sends anything.

use bytes::Bytes;
use zk_blocking::zk_proto::validate_path;
use zk_blocking::{CreateMode, Error, Request};

use crate::machine::Reply;

/// What to do after a reply.
#[derive(Debug, PartialEq)]
pub(crate) enum Ensured {
    /// Submit this create next.
    Next(Request),
    /// The path exists now (made by us or by someone else).
    Done,
    /// The server refused in a way retrying does not mend.
    Failed(Error),
}

/// Fails unless the client would send `path` as it is (Java's `PathUtils` rules, as
/// `zk_proto::validate_path` applies them), with the error the client gives, naming
/// the path as the caller wrote it. Recipes check before sending anything: mending
/// `rel/x` into `/rel/x` or `/q/` into `/q` would act on a node the caller did not
/// name, and a request for a path built from a bad one would be refused naming a path
/// the caller never wrote.
pub(crate) fn check_path(path: &str) -> Result<(), Error> {
    validate_path(path, false).map_err(|why| Error::InvalidPath {
        path: path.to_string(),
        why: why.to_string(),
    })
}

/// Like [`check_path`], refusing the root too: a recipe keeps its state in a node
/// of its own (or in that node's children), and the root is everyone's and can
/// never be deleted.
pub(crate) fn check_recipe_path(path: &str) -> Result<(), Error> {
    check_path(path)?;
    if path == "/" {
        return Err(Error::InvalidPath {
            path: path.to_string(),
            why: "a recipe needs a node of its own, not the root: give it a path such as /app/name"
                .to_string(),
        });
    }
    Ok(())
}

/// Ensures one path, empty-data nodes all the way down. The full path is tried first;
/// only when its parent is missing (NoNode) are the ancestors made, from the top.
#[derive(Debug, Clone)]
pub(crate) struct EnsurePath {
    parts: Vec<String>,
    /// How many components the create in flight covers.
    depth: usize,
    /// Why the path is not one the client would send: the first step fails with it.
    invalid: Option<Error>,
}

impl EnsurePath {
    /// Ensures `path`; [`EnsurePath::start`] gives the first step.
    pub(crate) fn new(path: &str) -> EnsurePath {
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        EnsurePath {
            depth: parts.len(),
            parts,
            invalid: check_path(path).err(),
        }
    }

    /// The first step: create the full path (or nothing to do for the root); for an
    /// invalid path, the failure, with nothing sent.
    pub(crate) fn start(&mut self) -> Ensured {
        if let Some(invalid) = &self.invalid {
            return Ensured::Failed(invalid.clone());
        }
        self.depth = self.parts.len();
        if self.depth == 0 {
            return Ensured::Done;
        }
        Ensured::Next(self.create())
    }

    /// The reply to the last create.
    pub(crate) fn on_reply(&mut self, reply: Reply) -> Ensured {
        match reply {
            Ok(_) | Err(Error::NodeExists { .. }) if self.depth >= self.parts.len() => {
                Ensured::Done
            }
            Ok(_) | Err(Error::NodeExists { .. }) => {
                self.depth += 1;
                Ensured::Next(self.create())
            }
            // An ancestor is missing (or was deleted meanwhile): from the top again.
            Err(Error::NoNode { .. }) if self.depth > 1 => {
                self.depth = 1;
                Ensured::Next(self.create())
            }
            // A lost reply: creating again is harmless (NodeExists counts as made).
            Err(Error::ConnectionLoss) => Ensured::Next(self.create()),
            Err(e) => Ensured::Failed(e),
        }
    }

    fn create(&self) -> Request {
        let partial = format!("/{}", self.parts[..self.depth].join("/"));
        Request::create(partial, Bytes::new(), CreateMode::Persistent)
    }
}

/// The parent of `path` (`/` for a top-level node).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use zk_blocking::Error;

    use crate::barrier::{BarrierEvent, BarrierMachine, DoubleBarrierEvent, DoubleBarrierMachine};
    use crate::counter::{CounterEncoding, CounterMachine};
    use crate::lock::{ContendersMachine, LockEvent, LockMachine};
    use crate::machine::Recipe;
    use crate::queue::{QueueEvent, QueueMachine};
    use crate::semaphore::{SemaphoreError, SemaphoreEvent, SemaphoreMachine};
    use crate::tree::{CreateAllMachine, DeleteAllMachine};

    /// What a recipe's first operation did: the name of the operation, whether it sent
    /// a request, and the error it failed with.
    struct Attempt {
        operation: &'static str,
        sent: bool,
        failure: Option<Error>,
    }

    fn attempt<R: Recipe>(
        operation: &'static str,
        mut machine: R,
        failure: impl Fn(R::Output) -> Option<Error>,
    ) -> Attempt {
        Attempt {
            operation,
            sent: machine.poll_submit().is_some(),
            failure: machine.poll_output().and_then(failure),
        }
    }

    /// The first operation of every recipe that takes a path, on `path`.
    fn every_recipe_on(path: &str) -> Vec<Attempt> {
        let mut queue_put = QueueMachine::new(path);
        queue_put.put(Bytes::from_static(b"job"), 100);
        let mut queue_get = QueueMachine::new(path);
        queue_get.get();
        let mut counter = CounterMachine::new(path, CounterEncoding::Ascii);
        counter.add(1);
        let mut barrier = BarrierMachine::new(path);
        barrier.create();
        let mut barrier_wait = BarrierMachine::new(path);
        barrier_wait.wait();
        let mut double = DoubleBarrierMachine::new(path, 2, Bytes::new());
        double.enter();
        let mut lock = LockMachine::exclusive(path, Bytes::new());
        lock.acquire(true);
        let mut semaphore = SemaphoreMachine::new(path, 2, Bytes::new());
        semaphore.acquire();
        let queue_failure = |event| match event {
            QueueEvent::Failed(e) => Some(e),
            _ => None,
        };
        let barrier_failure = |event| match event {
            BarrierEvent::Failed(e) => Some(e),
            _ => None,
        };
        vec![
            attempt("create_all", CreateAllMachine::new(path), Result::err),
            attempt("delete_all", DeleteAllMachine::new(path), Result::err),
            attempt("Queue::put", queue_put, queue_failure),
            attempt("Queue::get", queue_get, queue_failure),
            attempt("Counter::add", counter, Result::err),
            attempt("Barrier::create", barrier, barrier_failure),
            attempt("Barrier::wait", barrier_wait, barrier_failure),
            attempt("DoubleBarrier::enter", double, |event| match event {
                DoubleBarrierEvent::Failed(e) => Some(e),
                _ => None,
            }),
            attempt("Lock::acquire", lock, |event| match event {
                LockEvent::Failed(e) => Some(e),
                _ => None,
            }),
            attempt("Semaphore::acquire", semaphore, |event| match event {
                SemaphoreEvent::Failed(SemaphoreError::Client(e)) => Some(e),
                _ => None,
            }),
            attempt(
                "Lock::contenders",
                ContendersMachine::new(path),
                Result::err,
            ),
        ]
    }

    /// Every recipe sent nothing and failed with the client's error naming `path`.
    fn all_refuse(path: &str) {
        for Attempt {
            operation,
            sent,
            failure,
        } in every_recipe_on(path)
        {
            assert!(!sent, "{operation} on {path:?} sent a request");
            match failure {
                Some(Error::InvalidPath { path: named, .. }) => {
                    assert_eq!(named, path, "{operation}")
                }
                other => panic!("{operation} on {path:?}: expected InvalidPath, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_relative_path_is_refused_by_every_recipe_naming_it_as_given() {
        all_refuse("rel/x");
    }

    #[test]
    fn a_trailing_slash_is_refused_by_every_recipe_but_the_lock_not_trimmed() {
        for Attempt {
            operation,
            sent,
            failure,
        } in every_recipe_on("/q/")
        {
            if operation.starts_with("Lock::") {
                // One trailing '/' names the same lock (see lock_path).
                assert!(sent && failure.is_none(), "{operation}: {failure:?}");
            } else {
                assert!(!sent, "{operation} sent a request");
                assert!(
                    matches!(&failure, Some(Error::InvalidPath { path, .. }) if path == "/q/"),
                    "{operation}: got {failure:?}"
                );
            }
        }
    }

    #[test]
    fn two_trailing_slashes_are_refused_by_every_recipe_the_lock_included() {
        all_refuse("/q//");
    }

    #[test]
    fn empty_paths_and_empty_or_dot_names_are_refused_by_every_recipe() {
        for path in ["", "/a//b", "/a/./b", "/a/.."] {
            all_refuse(path);
        }
    }

    #[test]
    fn a_valid_path_sends_a_request_for_it_in_every_recipe() {
        for Attempt {
            operation,
            sent,
            failure,
        } in every_recipe_on("/app/x")
        {
            assert!(sent, "{operation} sent nothing");
            assert_eq!(failure, None, "{operation}");
        }
    }

    #[test]
    fn the_root_is_refused_by_every_recipe_but_create_all_which_finds_it_made() {
        for Attempt {
            operation,
            sent,
            failure,
        } in every_recipe_on("/")
        {
            assert!(!sent, "{operation} on / sent a request");
            if operation == "create_all" {
                assert_eq!(failure, None);
            } else {
                assert!(
                    matches!(&failure, Some(Error::InvalidPath { path, .. }) if path == "/"),
                    "{operation} on /: got {failure:?}"
                );
            }
        }
    }
}
