//! Creating a persistent node and whichever of its ancestors are missing (kazoo's
//! `ensure_path`), one create at a time: a step that recipe machines embed.

use bytes::Bytes;
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

/// Ensures one path, empty-data nodes all the way down. The full path is tried first;
/// only when its parent is missing (NoNode) are the ancestors made, from the top.
#[derive(Debug, Clone)]
pub(crate) struct EnsurePath {
    parts: Vec<String>,
    /// How many components the create in flight covers.
    depth: usize,
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
        }
    }

    /// The first step: create the full path (or nothing to do for the root).
    pub(crate) fn start(&mut self) -> Ensured {
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
