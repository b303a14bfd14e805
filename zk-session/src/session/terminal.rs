//! State transitions, and entering a terminal state (Expired, AuthFailed, Closed).

use std::time::Instant;

use zk_proto::KeeperState;

use crate::error::{CloseReason, RequestError};
use crate::event::Transport;
use crate::id::RequestId;
use crate::pending::InFlightKind;
use crate::state::SessionState;

use super::Session;

impl Session {
    /// Moves to `to`; debug builds check that the transition is legal.
    pub(super) fn set_state(&mut self, to: SessionState) {
        debug_assert!(
            self.state == to || self.state.can_transition_to(to),
            "illegal transition {:?} -> {to:?}",
            self.state
        );
        self.state = to;
    }

    /// Enters a terminal state: everything outstanding fails, every registration is
    /// told, the connection is closed.
    pub(super) fn terminate(&mut self, to: SessionState, _now: Instant) {
        if self.state.is_terminal() {
            return;
        }
        let (err, ks) = match to {
            SessionState::Expired => (RequestError::SessionExpired, KeeperState::Expired),
            SessionState::AuthFailed => (RequestError::AuthFailed, KeeperState::AuthFailed),
            _ => (RequestError::Closing, KeeperState::Closed),
        };
        if let Some(c) = self.conn.take() {
            self.transports.push_back(Transport::Close {
                conn: c.id,
                reason: CloseReason::SessionEnded,
            });
        }
        let ids: Vec<RequestId> = self
            .in_flight
            .drain()
            .filter_map(|f| match f.kind {
                InFlightKind::User(u) => Some(u.id),
                _ => None,
            })
            .chain(self.queue.drain(..).map(|u| u.id))
            .collect();
        // The state first (Java's order): a program reacting to it learns why the
        // replies that follow failed.
        self.set_state(to);
        self.state_event(ks);
        for id in ids {
            self.reply(id, Err(err));
        }
        self.watches.clear();
        self.next_dial = None;
        self.close_deadline = None;
        self.ro_probe_at = None;
    }
}
