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
