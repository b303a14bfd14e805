//! Keeping watch on a node held (a lock's or a leader's): an exists watch on the node
//! and the session's states say whether it is still held, may not be, or is gone.

use std::collections::VecDeque;

use zk_blocking::{Error, EventType, KeeperState, Request, Response, WatchHandle, WatchedEvent};

use super::{Hold, LostReason};
use crate::machine::{Outbox, Recipe, Reply, Submit, Token};

/// A held node's standing as a machine: it starts [`Hold::Held`] (the node was just
/// found to be there) and outputs each change.
///
/// * The session's end, and the node deleted (its watch fires, or a check finds it
///   gone), make it [`Hold::Lost`], for good.
/// * A lost connection makes it [`Hold::Uncertain`]; at the reconnect it asks the
///   server whether the node is still there ([`Hold::Held`] again, or `Lost`), as
///   Curator's recipes reset themselves at RECONNECTED. A read-only server is no
///   reconnect: it cannot vouch for the session.
#[derive(Debug)]
pub struct HoldMachine {
    node: String,
    /// The standing last told.
    hold: Hold,
    /// The exists watch set on the node, until it fires.
    watch: Option<WatchHandle>,
    connected: bool,
    outbox: Outbox,
    outputs: VecDeque<Hold>,
}

impl HoldMachine {
    /// Keeps watch on `node` (a full path), held now: the first request sets the
    /// watch.
    pub fn new(node: &str) -> HoldMachine {
        let mut machine = HoldMachine {
            node: node.to_string(),
            hold: Hold::Held,
            watch: None,
            connected: true,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        };
        machine.check();
        machine
    }

    /// The standing last told.
    pub fn hold(&self) -> &Hold {
        &self.hold
    }

    /// Whether the client is connected now, for a caller that runs the machine from
    /// time to time and sees the client's state in between: a difference from what
    /// the machine last heard counts as a disconnect or a reconnect. (A disconnect
    /// and reconnect both missed in between need nothing: the session sets the watch
    /// again, and it fires if the node went meanwhile.)
    pub fn handle_connected(&mut self, connected: bool) {
        if connected != self.connected {
            self.handle_session(if connected {
                KeeperState::SyncConnected
            } else {
                KeeperState::Disconnected
            });
        }
    }

    /// Asks whether the node is there, setting its watch unless one is set.
    fn check(&mut self) {
        let request = Request::exists(&self.node, self.watch.is_none());
        self.outbox.send_awaited(request);
    }

    fn tell(&mut self, hold: Hold) {
        if matches!(self.hold, Hold::Lost(_)) || self.hold == hold {
            return;
        }
        self.hold = hold.clone();
        self.outputs.push_back(hold);
    }

    fn lose(&mut self, why: impl Into<LostReason>) {
        self.outbox.forget_awaited();
        self.watch = None;
        self.tell(Hold::Lost(why.into()));
    }

    /// The reason that says the node was deleted.
    fn deleted(&self) -> LostReason {
        LostReason::NodeDeleted {
            path: self.node.clone(),
        }
    }

    fn on_checked(&mut self, reply: Reply) {
        match reply {
            Ok((Response::Exists(Some(_)), watch)) => {
                self.watch = watch.or(self.watch);
                if self.connected {
                    self.tell(Hold::Held);
                }
            }
            Ok((Response::Exists(None), _)) => self.lose(self.deleted()),
            // No answer: the connection went (or the request timed out). With the
            // watch set, the reconnect asks again; without one, the question goes out
            // again now, queued by the session until it is connected.
            Err(Error::ConnectionLoss | Error::RequestTimeout) => {
                self.connected = false;
                self.tell(Hold::Uncertain);
                if self.watch.is_none() {
                    self.check();
                }
            }
            // The answer went elsewhere (a program took it from the blocking client
            // with `wait_any` between two waits): ask again.
            Err(Error::UnknownRequest(_)) => self.check(),
            // The session's end, or a refusal: the node's standing cannot be known.
            Err(e) => self.lose(e),
            Ok((other, _)) => self.lose(Error::InvalidArgument(format!(
                "exists answered with {other:?}"
            ))),
        }
    }
}

impl Recipe for HoldMachine {
    type Output = Hold;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if self.outbox.answered(token) {
            self.on_checked(reply);
        }
    }

    fn handle_watch(&mut self, event: &WatchedEvent) {
        let Some(watch) = self.watch else { return };
        if !event.fired(watch) {
            return;
        }
        self.watch = None;
        match event.event_type {
            EventType::NodeDeleted => self.lose(self.deleted()),
            // Its data changed, or the watch is gone without a word: look again
            // (and watch again).
            _ => self.check(),
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(end) = crate::machine::session_end(state) {
            return self.handle_session_end(end);
        }
        match state {
            KeeperState::SyncConnected => {
                self.connected = true;
                if self.hold == Hold::Uncertain {
                    self.check();
                }
            }
            KeeperState::Disconnected | KeeperState::ConnectedReadOnly => {
                self.connected = false;
                self.tell(Hold::Uncertain);
            }
            _ => {}
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        self.lose(error);
    }

    fn poll_output(&mut self) -> Option<Hold> {
        self.outputs.pop_front()
    }

    fn watch(&self) -> Option<WatchHandle> {
        self.watch
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}
