//! A move to another server that a new host list decided, while the connection it
//! leaves drains: nothing more is written to it but pings, the replies owed on it
//! arrive, and then (or at the deadline, whichever comes first) it closes and the
//! session dials the target, where the queued requests go.

use std::time::{Duration, Instant};

use crate::connect_string::HostAddr;

use super::timing::later;

/// The move under way.
#[derive(Debug)]
pub(super) struct PendingMove {
    /// The host to dial once the connection is drained.
    to: HostAddr,
    /// When the connection is closed, drained or not (its requests still in flight
    /// then fail with `ConnectionLoss`).
    deadline: Instant,
}

impl PendingMove {
    /// A move to `to`, draining for at most `drain` from `now`.
    pub(super) fn new(to: HostAddr, drain: Duration, now: Instant) -> Self {
        PendingMove {
            to,
            deadline: later(now, drain),
        }
    }

    pub(super) fn to(&self) -> &HostAddr {
        &self.to
    }

    pub(super) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// A later host list chose `to` instead; the drain keeps its deadline.
    pub(super) fn retarget(&mut self, to: HostAddr) {
        self.to = to;
    }

    /// The host to dial.
    pub(super) fn into_target(self) -> HostAddr {
        self.to
    }
}
