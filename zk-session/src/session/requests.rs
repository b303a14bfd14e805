//! The request FIFO: writing queued requests, answering local ones in order, and
//! failing those past their request timeout.

use std::time::Instant;

use crate::error::{CloseReason, RequestError};
use crate::id::RequestId;
use crate::pending::{InFlight, InFlightKind, InFlightQueue, UserRequest};
use crate::request::{Expect, Prepared, Response};
use crate::state::SessionState;

use super::Session;
use super::connection::{Phase, write_frame};

/// Output buffered beyond this is left in the request queue until the driver writes.
const SEND_HIGH_WATER: usize = 64 * 1024;

impl Session {
    pub(super) fn new_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    /// Moves queued requests into the send buffer while it is below the high-water
    /// mark, then answers the local requests that reached the head.
    pub(super) fn fill_send(&mut self, now: Instant) {
        self.write_queued(now);
        self.answer_local_heads();
    }

    fn write_queued(&mut self, now: Instant) {
        if self.state == SessionState::Closing {
            return;
        }
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Established) else {
            return;
        };
        while c.out.len() < SEND_HIGH_WATER {
            let Some(u) = self.queue.pop_front() else {
                break;
            };
            if u.local {
                // Nothing to write: it takes its place in the FIFO.
                self.in_flight.push(InFlight {
                    xid: 0,
                    op: u.prepared.wire.op_code(),
                    end: c.queued,
                    kind: InFlightKind::User(u),
                });
                continue;
            }
            let xid = self.xids.next_xid();
            write_frame(c, &u.prepared.wire, xid, now);
            self.in_flight.push(InFlight {
                xid,
                op: u.prepared.wire.op_code(),
                end: c.queued,
                kind: InFlightKind::User(u),
            });
        }
    }

    pub(super) fn expire_requests(&mut self, now: Instant) {
        let due = |u: &UserRequest| u.deadline.is_some_and(|d| d <= now);
        // Never-written requests just fail.
        let mut timed_out = Vec::new();
        self.queue.retain(|u| {
            if due(u) {
                timed_out.push(u.id);
                false
            } else {
                true
            }
        });
        // A written one fails and takes the connection down (Java semantics).
        let mut drop = false;
        if self
            .in_flight
            .iter()
            .any(|f| matches!(&f.kind, InFlightKind::User(u) if due(u)))
        {
            drop = self
                .in_flight
                .iter()
                .any(|f| matches!(&f.kind, InFlightKind::User(u) if due(u) && !u.local));
            let mut keep = InFlightQueue::default();
            for f in self.in_flight.drain() {
                match &f.kind {
                    InFlightKind::User(u) if due(u) => timed_out.push(u.id),
                    _ => keep.push(f),
                }
            }
            self.in_flight = keep;
        }
        timed_out.sort();
        for id in timed_out {
            self.reply(id, Err(RequestError::RequestTimeout));
        }
        if drop {
            self.drop_conn(Some(CloseReason::RequestTimeout), now);
        }
        self.answer_local_heads();
    }

    /// Completes the locally answered requests at the head of the FIFO (or of the
    /// queue, when nothing is in flight): everything submitted before them is
    /// answered.
    pub(super) fn answer_local_heads(&mut self) {
        loop {
            let u = match self.in_flight.front() {
                Some(f) if matches!(&f.kind, InFlightKind::User(u) if u.local) => {
                    match self.in_flight.pop() {
                        Some(InFlight {
                            kind: InFlightKind::User(u),
                            ..
                        }) => u,
                        _ => unreachable!("checked"),
                    }
                }
                None if self.queue.front().is_some_and(|u| u.local) => {
                    self.queue.pop_front().expect("checked")
                }
                _ => return,
            };
            self.answer_local(u);
        }
    }

    /// The answer of an empty multi/multiRead or a local watch removal.
    pub(super) fn answer_local(&mut self, u: UserRequest) {
        let result = match u.prepared.expect {
            Expect::Multi => Ok(Response::Multi(Vec::new())),
            Expect::MultiRead => Ok(Response::MultiRead(Vec::new())),
            // The removal took effect at submit; only the reply waited for its turn.
            Expect::RemoveWatches { .. } => Ok(Response::RemoveWatches),
            _ => unreachable!("only multi and watch removal are answered locally"),
        };
        self.reply(u.id, result);
    }

    /// The key of a request's watches: the server path on the wire (getConfig's is
    /// never chrooted; a removal by id names the key of that registration).
    pub(super) fn server_path(&self, p: &Prepared) -> String {
        match p.wire.path() {
            Some(path) => path.to_string(),
            None => self.chroot.prepend(&p.client_path),
        }
    }
}
