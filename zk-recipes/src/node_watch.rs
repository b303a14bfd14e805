//! Re-arming watchers (kazoo's `DataWatch` / `ChildrenWatch`): the node's current
//! value first, then every change. Two ways to watch, chosen per driver:
//! * a **persistent watch** (addWatch, servers 3.6+): set once, it fires on every
//!   change; each firing reads the value again, and so does every reconnect (the
//!   server does not replay what a persistent watch missed while disconnected; the
//!   adapters tell the recipe of reconnects, also between two calls).
//! * **one-shot watches**, on servers without addWatch (UNIMPLEMENTED): each read sets
//!   the next watch, so no change is lost between a firing and the next read (the read
//!   returns the latest value); across reconnects the session sets the watch again
//!   with the last zxid it saw, so a change made meanwhile fires it.
//!
//! Values are told when they differ from the last one told (a spurious wake-up tells
//! nothing).

use bytes::Bytes;
use zk_blocking::{
    Error, EventType, KeeperState, Request, Response, Result, Stat, WatchHandle, WatchedEvent,
};

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

/// How the machine watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watching {
    /// addWatch is out.
    Adding,
    /// A persistent watch is set.
    Persistent(WatchHandle),
    /// One-shot watches, set by each read.
    OneShot,
}

/// The request the machine waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    AddWatch,
    Read,
    Exists,
}

/// A re-arming watch on one node, as a machine: outputs every new value, or the
/// error that ended it (the session's end, or the server refusing the reads).
#[derive(Debug)]
pub struct NodeWatchMachine {
    path: String,
    reading: Reading,
    watching: Watching,
    last: Option<NodeValue>,
    pending: Option<(Token, Out)>,
    /// A change came while a read was out: read again once it answers.
    reread: bool,
    /// The connection was lost: a persistent watch reads again at the reconnect.
    disconnected: bool,
    /// The one-shot watch the machine waits on.
    one_shot: Option<WatchHandle>,
    /// The error it ended with (then it does nothing more), told again to every
    /// later call.
    end_error: Option<Error>,
    outbox: Outbox,
    outputs: std::collections::VecDeque<Result<NodeValue>>,
}

impl NodeWatchMachine {
    fn new(path: &str, reading: Reading, persistent: bool) -> NodeWatchMachine {
        let mut machine = NodeWatchMachine {
            path: path.to_string(),
            reading,
            watching: Watching::OneShot,
            last: None,
            pending: None,
            reread: false,
            disconnected: false,
            one_shot: None,
            end_error: None,
            outbox: Outbox::default(),
            outputs: Default::default(),
        };
        if persistent {
            machine.add_watch();
        } else {
            machine.read();
        }
        machine
    }

    /// Watches `path`'s data, with a persistent watch (`persistent`, falling back to
    /// one-shot ones on servers without addWatch) or with one-shot watches.
    pub fn data(path: &str, persistent: bool) -> NodeWatchMachine {
        NodeWatchMachine::new(path, Reading::Data, persistent)
    }

    /// Watches `path`'s children (see [`NodeWatchMachine::data`]).
    pub fn children(path: &str, persistent: bool) -> NodeWatchMachine {
        NodeWatchMachine::new(path, Reading::Children, persistent)
    }

    fn send(&mut self, out: Out, request: Request) {
        self.pending = Some((self.outbox.send(request), out));
    }

    fn add_watch(&mut self) {
        self.watching = Watching::Adding;
        let request = Request::AddWatch {
            path: self.path.clone(),
            recursive: false,
        };
        self.send(Out::AddWatch, request);
    }

    /// Reads the value; with one-shot watching the read sets the next watch.
    fn read(&mut self) {
        let watch = self.watching == Watching::OneShot;
        if watch {
            self.one_shot = None;
        }
        let request = match self.reading {
            Reading::Data => Request::get_data(&self.path, watch),
            Reading::Children => Request::GetChildren {
                path: self.path.clone(),
                watch,
                with_stat: true,
            },
        };
        self.send(Out::Read, request);
    }

    /// Reads again now, or once the read out answers.
    fn read_soon(&mut self) {
        match self.pending {
            Some((_, Out::Read | Out::Exists)) => self.reread = true,
            Some((_, Out::AddWatch)) => {}
            None => self.read(),
        }
    }

    fn check_exists(&mut self) {
        self.one_shot = None;
        self.send(Out::Exists, Request::exists(&self.path, true));
    }

    fn tell(&mut self, value: NodeValue) {
        if !self.last.as_ref().is_some_and(|last| last.same(&value)) {
            self.last = Some(value.clone());
            self.outputs.push_back(Ok(value));
        }
    }

    fn end(&mut self, error: Error) {
        if self.end_error.is_none() {
            self.end_error = Some(error.clone());
            self.pending = None;
            self.one_shot = None;
            self.outputs.push_back(Err(error));
        }
    }

    /// A read answered: tell the value, then read again if a change came meanwhile.
    fn after_read(&mut self, value: NodeValue) {
        self.tell(value);
        if std::mem::take(&mut self.reread) {
            self.read();
        }
    }

    fn on_added(&mut self, reply: Reply) {
        match reply {
            Ok((Response::AddWatch, Some(watch))) => {
                self.watching = Watching::Persistent(watch);
                self.read();
            }
            Err(Error::ConnectionLoss) => self.add_watch(),
            // A server without addWatch (or one refusing it): one-shot watches; the
            // read says what else is wrong.
            Err(_) | Ok(_) => {
                self.watching = Watching::OneShot;
                self.read();
            }
        }
    }

    fn on_read(&mut self, reply: Reply) {
        let one_shot = self.watching == Watching::OneShot;
        match reply {
            Ok((Response::GetData { data, stat }, watch)) => {
                if one_shot {
                    self.one_shot = watch;
                }
                self.after_read(NodeValue::Data(data, stat));
            }
            Ok((Response::GetChildren { mut children, stat }, watch)) => {
                if one_shot {
                    self.one_shot = watch;
                }
                children.sort();
                self.after_read(NodeValue::Children(children, stat.unwrap_or_default()));
            }
            // Missing: a persistent watch fires at its creation; a one-shot one is set
            // by exists.
            Err(Error::NoNode { .. }) if one_shot => self.check_exists(),
            Err(Error::NoNode { .. }) => self.after_read(NodeValue::Missing),
            Err(Error::ConnectionLoss) => self.read(),
            Err(e) => self.end(e),
            Ok((other, _)) => self.end(Error::InvalidArgument(format!(
                "a node watch's read answered with {other:?}"
            ))),
        }
    }

    fn on_exists(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(None), watch)) => {
                self.one_shot = watch;
                self.after_read(NodeValue::Missing);
            }
            // Created meanwhile, or a lost reply: read it.
            Ok((Response::Exists(Some(_)), _)) | Err(Error::ConnectionLoss) => self.read(),
            Err(e) => self.end(e),
            Ok((other, _)) => self.end(Error::InvalidArgument(format!(
                "a node watch's exists answered with {other:?}"
            ))),
        }
    }

    /// Whether a persistent watch's event changes what this watcher reads.
    fn concerns(&self, event: &WatchedEvent) -> bool {
        match event.event_type {
            EventType::NodeCreated | EventType::NodeDeleted | EventType::None => true,
            EventType::NodeDataChanged => self.reading == Reading::Data,
            EventType::NodeChildrenChanged => self.reading == Reading::Children,
            _ => false,
        }
    }
}

impl Recipe for NodeWatchMachine {
    type Output = Result<NodeValue>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        self.outbox.answered(token);
        let Some((expected, out)) = self.pending else {
            return;
        };
        if expected != token || self.end_error.is_some() {
            return;
        }
        self.pending = None;
        match out {
            Out::AddWatch => self.on_added(reply),
            Out::Read => self.on_read(reply),
            Out::Exists => self.on_exists(reply),
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        if self.end_error.is_some() {
            return;
        }
        match self.watching {
            Watching::Persistent(watch) if event.fired(watch) => {
                if event.event_type == EventType::PersistentWatchRemoved {
                    // Removed by someone: set it again, then read what was missed.
                    self.add_watch();
                } else if self.concerns(event) {
                    self.read_soon();
                }
            }
            // A removal (of our watch, by someone) ends nothing: it is set again too.
            Watching::OneShot if self.one_shot.is_some_and(|w| event.fired(w)) => self.read(),
            _ => {}
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = crate::machine::session_end(state) {
            return self.handle_session_end(e);
        }
        match state {
            KeeperState::Disconnected => self.disconnected = true,
            KeeperState::SyncConnected | KeeperState::ConnectedReadOnly
                if std::mem::take(&mut self.disconnected) =>
            {
                // A persistent watch does not replay what it missed: catch up.
                if matches!(self.watching, Watching::Persistent(_)) {
                    self.read_soon();
                }
            }
            _ => {}
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        self.end(error);
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        // Ended: nothing more to wait for (its error is its last output).
        if self.end_error.is_some() {
            return None;
        }
        match self.watching {
            Watching::Persistent(watch) => Some(watch),
            Watching::Adding => None,
            Watching::OneShot => self.one_shot,
        }
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}

/// A re-arming watch on a node's data or children (kazoo's `DataWatch` /
/// `ChildrenWatch`): [`NodeWatch::next`] gives the current value first, then each
/// change, with a persistent watch (servers 3.6+; one-shot ones before), on every
/// client.
#[derive(Debug)]
pub struct NodeWatch {
    path: String,
    reading: Reading,
    machine: Option<NodeWatchMachine>,
    /// The last connection a run saw connected.
    conn: Option<zk_blocking::ConnId>,
    /// The machine's requests a call's deadline left unanswered, for the next call.
    in_flight: crate::run::InFlight,
    /// zk-tokio's adapter's watch stream and state changes, kept between calls.
    #[cfg(feature = "tokio")]
    held: crate::run::tokio::Held,
}

impl NodeWatch {
    /// Watches `path`'s data (a missing node is [`NodeValue::Missing`]).
    pub fn data(path: &str) -> NodeWatch {
        NodeWatch {
            path: path.to_string(),
            reading: Reading::Data,
            machine: None,
            conn: None,
            in_flight: Default::default(),
            #[cfg(feature = "tokio")]
            held: crate::run::tokio::Held::keeping(),
        }
    }

    /// Watches `path`'s children.
    pub fn children(path: &str) -> NodeWatch {
        NodeWatch {
            path: path.to_string(),
            reading: Reading::Children,
            machine: None,
            conn: None,
            in_flight: Default::default(),
            #[cfg(feature = "tokio")]
            held: crate::run::tokio::Held::keeping(),
        }
    }

    /// The error the watch ended with, once its last output was told: every later
    /// call fails with it at once.
    fn ended(&self) -> Option<Error> {
        let machine = self.machine.as_ref()?;
        machine
            .outputs
            .is_empty()
            .then(|| machine.end_error.clone())
            .flatten()
    }

    /// The machine, made on first use (with persistent watches), and what keeps its
    /// requests between calls: borrowed apart, so that both stay in `self` even if a
    /// call is cut short.
    fn parts(&mut self) -> (&mut NodeWatchMachine, &mut crate::run::InFlight) {
        let (path, reading) = (&self.path, self.reading);
        let machine = self
            .machine
            .get_or_insert_with(|| NodeWatchMachine::new(path, reading, true));
        (machine, &mut self.in_flight)
    }

    /// The next value: the current one at first, then each change. Waits at most
    /// `timeout` (`Ok(None)` then), also while the server is slower than that: a read
    /// still unanswered stays out, and the next call hears its answer. Fails once the
    /// session ends.
    pub fn next<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<std::time::Duration>,
    ) -> Result<Option<NodeValue>> {
        if let Some(end) = self.ended() {
            return Err(end);
        }
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        // A reconnect between two calls, which the run itself cannot see.
        let conn = driver.connection();
        let reconnected = self.conn.is_some() && conn.is_some() && conn != self.conn;
        let (machine, in_flight) = self.parts();
        if reconnected {
            crate::run::tell_reconnect(machine);
        }
        let next = driver
            .run_keeping(machine, deadline, in_flight)?
            .transpose();
        // The last connection seen connected: one still looked for says nothing yet.
        if let Some(conn) = driver.connection() {
            self.conn = Some(conn);
        }
        next
    }

    /// Like [`NodeWatch::next`] without a timeout, on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub async fn next_async(&mut self, client: &zk_tokio::Client) -> Result<Option<NodeValue>> {
        if let Some(end) = self.ended() {
            return Err(end);
        }
        // Split borrows: the stream and state changes stay in `self` even if this
        // future is dropped, so the persistent watch outlives a cancelled call.
        let (path, reading) = (&self.path, self.reading);
        let machine = self
            .machine
            .get_or_insert_with(|| NodeWatchMachine::new(path, reading, true));
        crate::run::tokio::run(client, machine, None, &mut self.held)
            .await?
            .transpose()
    }
}
