//! Re-arming watchers (kazoo's `DataWatch` / `ChildrenWatch`): the node's current
//! value first, then every change, each read again with a fresh one-shot watch. No
//! change is lost between a watch firing and the next one being set: the read that
//! sets it returns the latest value. Across reconnects the session sets the watch
//! again with the last zxid it saw, so a change made while disconnected fires it.
//! Values are told when they differ from the last one told (a spurious wake-up tells
//! nothing).

use bytes::Bytes;
use zk_blocking::{Error, KeeperState, Request, Response, Result, Stat, WatchHandle, WatchedEvent};

use crate::machine::{Outbox, Recipe, Reply, Submit, Token};
use crate::run::Driver;

/// What a node watch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Data,
    Children,
}

/// A node's value as a watcher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeValue {
    /// The node does not exist.
    Missing,
    /// Its data and Stat.
    Data(Bytes, Stat),
    /// Its children (sorted) and its Stat.
    Children(Vec<String>, Stat),
}

impl NodeValue {
    /// Whether `other` is the same value (for data: the same modification).
    fn same(&self, other: &NodeValue) -> bool {
        match (self, other) {
            (NodeValue::Data(_, a), NodeValue::Data(_, b)) => {
                a.mzxid == b.mzxid && a.version == b.version
            }
            (NodeValue::Children(a, _), NodeValue::Children(b, _)) => a == b,
            (NodeValue::Missing, NodeValue::Missing) => true,
            _ => false,
        }
    }
}

/// A re-arming watch on one node, as a machine: outputs every new value, or the
/// error that ended it (the session's end, or the server refusing the reads).
#[derive(Debug)]
pub struct NodeWatchMachine {
    path: String,
    reading: Reading,
    last: Option<NodeValue>,
    pending: Option<Token>,
    /// The one-shot watch the machine waits on.
    watch: Option<WatchHandle>,
    ended: bool,
    outbox: Outbox,
    outputs: std::collections::VecDeque<Result<NodeValue>>,
}

impl NodeWatchMachine {
    fn new(path: &str, reading: Reading) -> NodeWatchMachine {
        let mut machine = NodeWatchMachine {
            path: path.to_string(),
            reading,
            last: None,
            pending: None,
            watch: None,
            ended: false,
            outbox: Outbox::default(),
            outputs: Default::default(),
        };
        machine.read();
        machine
    }

    /// Watches `path`'s data.
    pub fn data(path: &str) -> NodeWatchMachine {
        NodeWatchMachine::new(path, Reading::Data)
    }

    /// Watches `path`'s children.
    pub fn children(path: &str) -> NodeWatchMachine {
        NodeWatchMachine::new(path, Reading::Children)
    }

    fn read(&mut self) {
        self.watch = None;
        let request = match self.reading {
            Reading::Data => Request::get_data(&self.path, true),
            Reading::Children => Request::GetChildren {
                path: self.path.clone(),
                watch: true,
                with_stat: true,
            },
        };
        self.pending = Some(self.outbox.send(request));
    }

    fn check_exists(&mut self) {
        self.watch = None;
        self.pending = Some(self.outbox.send(Request::exists(&self.path, true)));
    }

    fn tell(&mut self, value: NodeValue) {
        if !self.last.as_ref().is_some_and(|last| last.same(&value)) {
            self.last = Some(value.clone());
            self.outputs.push_back(Ok(value));
        }
    }

    fn end(&mut self, error: Error) {
        if !self.ended {
            self.ended = true;
            self.pending = None;
            self.watch = None;
            self.outputs.push_back(Err(error));
        }
    }
}

impl Recipe for NodeWatchMachine {
    type Output = Result<NodeValue>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        self.outbox.answered();
        if self.pending != Some(token) || self.ended {
            return;
        }
        self.pending = None;
        match reply {
            Ok((Response::GetData { data, stat }, watch)) => {
                self.watch = watch;
                self.tell(NodeValue::Data(data, stat));
            }
            Ok((Response::GetChildren { mut children, stat }, watch)) => {
                self.watch = watch;
                children.sort();
                self.tell(NodeValue::Children(children, stat.unwrap_or_default()));
            }
            // Missing: watch for its creation.
            Err(Error::NoNode) => self.check_exists(),
            Ok((Response::Exists(None), watch)) => {
                self.watch = watch;
                self.tell(NodeValue::Missing);
            }
            // Created meanwhile: read it.
            Ok((Response::Exists(Some(_)), _)) => self.read(),
            Err(Error::ConnectionLoss) => self.read(),
            Err(e) => self.end(e),
            Ok((other, _)) => self.end(Error::InvalidArgument(format!(
                "a node watch's read answered with {other:?}"
            ))),
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        // A removal (of our watch, by someone) ends nothing: it is set again too.
        if self.watch.is_some_and(|w| event.fired(w)) && !self.ended {
            self.read();
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = crate::tree::session_error(state) {
            self.end(e);
        }
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        self.watch
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}

/// A re-arming watch on a node's data or children (kazoo's `DataWatch` /
/// `ChildrenWatch`): [`NodeWatch::next`] gives the current value first, then each
/// change.
#[derive(Debug)]
pub struct NodeWatch {
    machine: NodeWatchMachine,
}

impl NodeWatch {
    /// Watches `path`'s data (a missing node is [`NodeValue::Missing`]).
    pub fn data(path: &str) -> NodeWatch {
        NodeWatch {
            machine: NodeWatchMachine::data(path),
        }
    }

    /// Watches `path`'s children.
    pub fn children(path: &str) -> NodeWatch {
        NodeWatch {
            machine: NodeWatchMachine::children(path),
        }
    }

    /// The next value: the current one at first, then each change. Waits at most
    /// `timeout` (`Ok(None)` then). Fails once the session ends.
    pub fn next<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<std::time::Duration>,
    ) -> Result<Option<NodeValue>> {
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        driver.run(&mut self.machine, deadline)?.transpose()
    }

    /// Like [`NodeWatch::next`] without a timeout, on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn next_async(&mut self, client: &zk_tokio::Client) -> Result<Option<NodeValue>> {
        crate::run::tokio::run(client, &mut self.machine, None)
            .await?
            .transpose()
    }
}
