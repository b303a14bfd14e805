//! Requests waiting to be written, and the in-flight FIFO of those written.

use std::collections::VecDeque;
use std::time::Instant;

use crate::id::RequestId;
use crate::request::Prepared;

/// A user request not yet answered.
#[derive(Debug, Clone)]
pub(crate) struct UserRequest {
    pub(crate) id: RequestId,
    pub(crate) prepared: Prepared,
    /// When it fails with `RequestTimeout`, if a request timeout is configured.
    pub(crate) deadline: Option<Instant>,
    /// Answered by the session itself (empty multi, local watch removal) when it
    /// reaches the head: written as nothing, it only keeps its place in the order.
    pub(crate) local: bool,
}

/// What an in-flight entry stands for.
// Nearly every entry is a user request; boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum InFlightKind {
    /// A user request.
    User(UserRequest),
    /// One SetWatches / SetWatches2 batch (regenerated on every connection).
    SetWatches,
    /// closeSession.
    Close,
}

/// A request written to the current connection, awaiting its reply.
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    pub(crate) xid: i32,
    pub(crate) op: zk_proto::OpCode,
    /// Offset in the connection's output stream just past this frame: the request
    /// reached the socket once `written >= end`.
    pub(crate) end: u64,
    pub(crate) kind: InFlightKind,
}

/// The in-flight FIFO: replies must answer its head.
#[derive(Debug, Default)]
pub(crate) struct InFlightQueue {
    q: VecDeque<InFlight>,
}

impl InFlightQueue {
    pub(crate) fn push(&mut self, f: InFlight) {
        self.q.push_back(f);
    }
    pub(crate) fn front(&self) -> Option<&InFlight> {
        self.q.front()
    }
    pub(crate) fn pop(&mut self) -> Option<InFlight> {
        self.q.pop_front()
    }
    pub(crate) fn push_front(&mut self, f: InFlight) {
        self.q.push_front(f);
    }
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = InFlight> + '_ {
        self.q.drain(..)
    }
    /// The earliest user deadline among in-flight requests.
    pub(crate) fn first_deadline(&self) -> Option<Instant> {
        self.q.iter().find_map(|f| match &f.kind {
            InFlightKind::User(u) => u.deadline,
            _ => None,
        })
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = &InFlight> {
        self.q.iter()
    }
}
