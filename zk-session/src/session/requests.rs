//! The requests of the session: those waiting to be written, the in-flight FIFO of
//! those written (replies must answer its head), their ids and xids, and the ones
//! the driver abandoned.

use std::time::Instant;

use zk_proto::{OpCode, WireRequest};

use crate::chroot::Chroot;
use crate::error::CloseReason;
use crate::id::RequestId;
use crate::id_hash::RequestIdSet;
use crate::request::Prepared;
use crate::xid::XidGen;

use super::connection::Connection;
use super::fifo::Fifo;
use super::undo::Step;

/// Output buffered beyond this is left in the request queue until the driver writes.
const SEND_HIGH_WATER: usize = 64 * 1024;

/// A user request not yet answered.
#[derive(Debug, Clone)]
pub(super) struct UserRequest {
    pub(super) id: RequestId,
    pub(super) prepared: Prepared,
    /// When it fails with `RequestTimeout`, if a request timeout is configured.
    pub(super) deadline: Option<Instant>,
}

impl UserRequest {
    /// Answered by the session itself (empty multi, a local watch removal the
    /// server is not told of) when it
    /// reaches the head: written as nothing, it only keeps its place in the order.
    pub(super) fn is_local(&self) -> bool {
        self.prepared.local
    }
}

/// What an in-flight entry stands for.
// Nearly every entry is a user request; boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(super) enum InFlightKind {
    /// A user request.
    User(UserRequest),
    /// One SetWatches / SetWatches2 batch (regenerated on every connection).
    SetWatches,
    /// One token of the SASL exchange (restarted on every connection).
    Sasl,
    /// closeSession.
    Close,
}

/// A request written to the current connection, awaiting its reply.
#[derive(Debug, Clone)]
pub(super) struct InFlight {
    pub(super) xid: i32,
    pub(super) op: OpCode,
    /// Offset in the connection's output stream just past this frame: the request
    /// reached the server once that much of the stream did.
    pub(super) end: u64,
    pub(super) kind: InFlightKind,
}

/// What became of a written request when its connection was lost, in FIFO order.
#[derive(Debug)]
pub(super) enum LossOutcome {
    /// A local request whose predecessors are all answered now: answer it.
    AnswerLocal(UserRequest),
    /// It reached the server and its reply is lost: `ConnectionLoss`. With the step
    /// of an ephemeral sequential create not abandoned (see [`lost_create`]).
    Lost(RequestId, Option<Step>),
    /// An abandoned request that never reached the server: it is gone, unsent.
    Dropped(RequestId),
}

/// The requests a lost connection leaves behind.
#[derive(Debug)]
pub(super) struct Loss {
    /// In FIFO order.
    pub(super) outcomes: Vec<LossOutcome>,
    /// closeSession reached the server.
    pub(super) close_written: bool,
}

/// Requests past their deadline.
#[derive(Debug, Default)]
pub(super) struct Expired {
    /// In submit order.
    pub(super) ids: Vec<RequestId>,
    /// One of them was written: its connection must go (Java semantics).
    pub(super) written: bool,
    /// The written ones that are ephemeral sequential creates not abandoned, with
    /// their steps (see [`lost_create`]).
    pub(super) lost_creates: Vec<(RequestId, Step)>,
}

/// What `abandon` found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Abandoned {
    /// It was never written: gone without a trace.
    Unsent,
    /// It is in flight: its reply will be discarded.
    InFlight,
    /// Not outstanding (answered already, or unknown).
    NotOutstanding,
}

/// The request queues.
#[derive(Debug)]
pub(super) struct Requests {
    /// Accepted, not yet written, in submit order.
    queued: Fifo<UserRequest>,
    /// Written (or local and waiting for their turn), oldest first.
    in_flight: Fifo<InFlight>,
    xids: XidGen,
    next_id: u64,
    /// The xid of the last reply matched on this connection, to name a duplicate.
    last_answered: Option<i32>,
    /// Requests whose driver gave up on them: their replies are discarded and they
    /// register no watch.
    abandoned: RequestIdSet,
    /// No queued or in-flight request carries a watch: learnt by a scan that found
    /// none, forgotten when one that does is queued (otherwise requests only leave).
    /// Spares removing many watches at once a scan of every pending request each.
    none_watching: bool,
    /// Local requests in `in_flight` (they owe no reply); while there are none, the
    /// replies owed are a binary search, not a walk.
    locals_in_flight: usize,
}

impl Default for Requests {
    fn default() -> Self {
        Requests {
            queued: Fifo::default(),
            in_flight: Fifo::default(),
            xids: XidGen::default(),
            next_id: 1,
            last_answered: None,
            abandoned: RequestIdSet::default(),
            none_watching: true,
            locals_in_flight: 0,
        }
    }
}

impl Requests {
    // ----- getters -------------------------------------------------------------------
    /// User requests accepted and not answered (queued plus in flight).
    pub(super) fn outstanding(&self) -> usize {
        self.queued.len() + self.in_flight_users().count()
    }

    /// Exactly one request is queued or in flight, and nothing else (a ping) waits
    /// for a reply.
    pub(super) fn just_one(&self) -> bool {
        self.queued.len() + self.in_flight.len() == 1
    }

    /// Nothing written waits for its reply (and no local answer waits behind one).
    pub(super) fn nothing_in_flight(&self) -> bool {
        self.in_flight.len() == 0
    }

    /// The earliest request deadline. Deadlines grow in submit order and in-flight
    /// requests are older than queued ones, so the first user request found has it.
    pub(super) fn first_deadline(&self) -> Option<Instant> {
        self.in_flight_users()
            .next()
            .or_else(|| self.queued.front())
            .and_then(|u| u.deadline)
    }

    /// Whether the driver gave up on `id`.
    pub(super) fn is_abandoned(&self, id: RequestId) -> bool {
        !self.abandoned.is_empty() && self.abandoned.contains(&id)
    }

    /// Whether a request that registers a watch at the server path `server` is queued
    /// or in flight.
    pub(super) fn watching_request_pending(&mut self, server: &str, chroot: &Chroot) -> bool {
        if self.none_watching {
            return false;
        }
        let mut any = false;
        let pending = self
            .in_flight_users()
            .chain(self.queued.iter())
            .filter(|u| u.prepared.watch.is_some())
            .any(|u| {
                any = true;
                u.prepared.server_path(chroot) == server
            });
        self.none_watching = !any;
        pending
    }

    /// The written user request at the head of the FIFO, with its xid.
    pub(super) fn written_head(&self) -> Option<(i32, RequestId)> {
        self.in_flight.front().and_then(|f| match &f.kind {
            InFlightKind::User(u) if !u.is_local() => Some((f.xid, u.id)),
            _ => None,
        })
    }

    fn in_flight_users(&self) -> impl Iterator<Item = &UserRequest> {
        self.in_flight.iter().filter_map(|f| match &f.kind {
            InFlightKind::User(u) => Some(u),
            _ => None,
        })
    }

    /// Replies the server owes for requests whose frames end at or before `written`
    /// bytes of the connection's output (local requests owe none), at most `cap`.
    pub(super) fn replies_owed(&self, written: u64, cap: usize) -> usize {
        // Frames end in FIFO order, so those written are a prefix.
        let walk = || {
            self.in_flight
                .iter()
                .take_while(|f| f.end <= written)
                .filter(|f| !is_local(f))
                .take(cap)
                .count()
        };
        if self.locals_in_flight > 0 {
            return walk();
        }
        let owed = self
            .in_flight
            .partition_point(|f| f.end <= written)
            .min(cap);
        debug_assert_eq!(
            owed,
            walk(),
            "locals_in_flight is 0, yet a local is in flight"
        );
        owed
    }

    /// Keeps `locals_in_flight` right as `f` leaves `in_flight`.
    fn left_in_flight(&mut self, f: &InFlight) {
        if is_local(f) {
            self.locals_in_flight -= 1;
        }
    }

    // ----- submitting ----------------------------------------------------------------
    pub(super) fn new_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        id
    }

    pub(super) fn enqueue(&mut self, request: UserRequest) {
        if request.prepared.watch.is_some() {
            self.none_watching = false;
        }
        self.queued.push_back(request);
    }

    /// Moves queued requests into `conn`'s output while it is below the high-water
    /// mark (local ones take their place in the FIFO without a frame).
    pub(super) fn write_queued(&mut self, conn: &mut Connection, now: Instant) {
        self.write_queued_below(conn, SEND_HIGH_WATER, now);
    }

    /// Moves every queued request into `conn`'s output, whatever it holds already:
    /// before closeSession, which must come after them.
    pub(super) fn write_all_queued(&mut self, conn: &mut Connection, now: Instant) {
        self.write_queued_below(conn, usize::MAX, now);
    }

    fn write_queued_below(&mut self, conn: &mut Connection, high_water: usize, now: Instant) {
        while conn.buffered_output() < high_water {
            let Some(u) = self.queued.pop_front() else {
                break;
            };
            let op = u.prepared.wire.op_code();
            let (xid, end) = if u.is_local() {
                self.locals_in_flight += 1;
                (0, conn.end_of_output())
            } else {
                let xid = self.xids.next_xid();
                (xid, conn.write_frame(&u.prepared.wire, xid, now))
            };
            self.in_flight.push_back(InFlight {
                xid,
                op,
                end,
                kind: InFlightKind::User(u),
            });
        }
    }

    /// Writes a request of the session's own (SASL, SetWatches, closeSession) to `conn`.
    pub(super) fn write_own(
        &mut self,
        conn: &mut Connection,
        req: &WireRequest,
        kind: InFlightKind,
        now: Instant,
    ) {
        let xid = self.xids.next_xid();
        let end = conn.write_frame(req, xid, now);
        self.in_flight.push_back(InFlight {
            xid,
            op: req.op_code(),
            end,
            kind,
        });
    }

    /// The next local request whose predecessors are all answered, taken out.
    pub(super) fn next_local_head(&mut self) -> Option<UserRequest> {
        match self.in_flight.front() {
            Some(InFlight {
                kind: InFlightKind::User(u),
                ..
            }) if u.is_local() => match self.in_flight.pop_front() {
                Some(InFlight {
                    kind: InFlightKind::User(u),
                    ..
                }) => {
                    self.locals_in_flight -= 1;
                    Some(u)
                }
                _ => unreachable!("the head was checked to be a local user request"),
            },
            None if self.queued.front().is_some_and(|u| u.is_local()) => self.queued.pop_front(),
            _ => None,
        }
    }

    // ----- replies -------------------------------------------------------------------
    /// The in-flight entry a reply with `xid` answers: the head, or why the
    /// connection must go (a reply out of order, unsolicited or repeated).
    pub(super) fn take_reply(&mut self, xid: i32) -> Result<InFlight, CloseReason> {
        let repeated = self.last_answered == Some(xid);
        match self.in_flight.front() {
            Some(head) if head.xid == xid => {}
            _ if repeated => return Err(CloseReason::DuplicateReply(xid)),
            None => return Err(CloseReason::UnsolicitedReply(xid)),
            Some(head) => {
                return Err(CloseReason::XidOutOfOrder {
                    expected: head.xid,
                    got: xid,
                });
            }
        }
        self.last_answered = Some(xid);
        let head = self.in_flight.pop_front().expect("the head was checked");
        self.left_in_flight(&head);
        Ok(head)
    }

    /// Puts back an entry `take_reply` gave out whose reply could not be read: the
    /// connection is about to drop, which settles it.
    pub(super) fn put_back(&mut self, entry: InFlight) {
        if is_local(&entry) {
            self.locals_in_flight += 1;
        }
        self.in_flight.push_front(entry);
    }

    /// Takes the head out of the FIFO (its reply was refused as too large).
    pub(super) fn pop_head(&mut self) -> Option<InFlight> {
        let head = self.in_flight.pop_front()?;
        self.left_in_flight(&head);
        Some(head)
    }

    /// Whether `id`'s reply is to be discarded; forgets it either way.
    pub(super) fn take_abandoned(&mut self, id: RequestId) -> bool {
        !self.abandoned.is_empty() && self.abandoned.remove(&id)
    }

    // ----- giving up -----------------------------------------------------------------
    /// The driver gives up on `id`.
    pub(super) fn abandon(&mut self, id: RequestId) -> Abandoned {
        // A local watch removal meant for the server took effect here at submit: it is
        // still written, so that the server stops notifying, its answer to nobody.
        let tells_server = self
            .queued
            .iter()
            .take_while(|u| u.id <= id)
            .any(|u| u.id == id && u.prepared.tells_server);
        if tells_server {
            self.abandoned.insert(id);
            return Abandoned::Unsent;
        }
        if self.queued.remove_first(|u| u.id == id).is_some() {
            return Abandoned::Unsent;
        }
        if self.in_flight_users().any(|u| u.id == id) {
            self.abandoned.insert(id);
            return Abandoned::InFlight;
        }
        Abandoned::NotOutstanding
    }

    /// The request `id`, if it is in flight (written, or local and waiting).
    pub(super) fn in_flight_request(&self, id: RequestId) -> Option<&Prepared> {
        self.in_flight_users()
            .find(|u| u.id == id)
            .map(|u| &u.prepared)
    }

    /// `id`, queued or in flight, is the session's own: its reply is discarded as an
    /// abandoned one's is, and it stays queued to be written.
    pub(super) fn own(&mut self, id: RequestId) {
        self.abandoned.insert(id);
    }

    /// Takes `id` out of the queue if it is still there, never written. The queue is
    /// in submit order: the search ends at the first later request.
    pub(super) fn take_unsent(&mut self, id: RequestId) -> bool {
        let queued = self
            .queued
            .iter()
            .take_while(|u| u.id <= id)
            .any(|u| u.id == id);
        queued && self.queued.remove_first(|u| u.id == id).is_some()
    }

    /// Takes out every request past its deadline at `now`.
    pub(super) fn expire(&mut self, now: Instant, chroot: &Chroot) -> Expired {
        let due = |u: &UserRequest| u.deadline.is_some_and(|d| d <= now);
        let mut expired = Expired::default();
        self.queued.retain(|u| {
            let keep = !due(u);
            if !keep {
                expired.ids.push(u.id);
            }
            keep
        });
        let mut locals_expired = 0;
        let abandoned = &self.abandoned;
        self.in_flight.retain(|f| match &f.kind {
            InFlightKind::User(u) if due(u) => {
                expired.written |= !u.is_local();
                if let Some(step) = lost_create(u, abandoned, chroot) {
                    expired.lost_creates.push((u.id, step));
                }
                locals_expired += usize::from(u.is_local());
                expired.ids.push(u.id);
                false
            }
            _ => true,
        });
        self.locals_in_flight -= locals_expired;
        expired.ids.sort();
        expired
    }

    /// The connection is gone and the server read `reached` bytes of it: written
    /// requests are lost, the rest go back to the front of the queue (an abandoned
    /// one that never reached the server is dropped), local ones are answered when
    /// nothing before them waits. A local watch removal meant for the server becomes
    /// local only, reached or not, queued or written: its answer is Ok either way,
    /// and no later connection is told (see [`Prepared::untell_server`]).
    /// A lost ephemeral sequential create not abandoned comes with its step (see
    /// [`lost_create`]).
    pub(super) fn connection_lost(&mut self, reached: u64, chroot: &Chroot) -> Loss {
        for u in self.queued.iter_mut() {
            u.prepared.untell_server();
        }
        let close_written = self
            .in_flight
            .iter()
            .any(|f| matches!(f.kind, InFlightKind::Close) && f.end <= reached);
        let mut outcomes = Vec::new();
        let mut requeue = Vec::new();
        self.locals_in_flight = 0;
        for f in self.in_flight.take_all() {
            let InFlightKind::User(mut u) = f.kind else {
                continue;
            };
            u.prepared.untell_server();
            if u.is_local() {
                if requeue.is_empty() {
                    outcomes.push(LossOutcome::AnswerLocal(u));
                } else {
                    requeue.push(u);
                }
            } else if f.end <= reached {
                let create = lost_create(&u, &self.abandoned, chroot);
                outcomes.push(LossOutcome::Lost(u.id, create));
            } else if self.abandoned.remove(&u.id) {
                // Never reached the server and nobody waits for it: never send it.
                outcomes.push(LossOutcome::Dropped(u.id));
            } else {
                requeue.push(u);
            }
        }
        for u in requeue.into_iter().rev() {
            self.queued.push_front(u);
        }
        self.last_answered = None;
        Loss {
            outcomes,
            close_written,
        }
    }

    /// Takes out every queued (never written) request, in submit order.
    pub(super) fn take_queued(&mut self) -> Vec<RequestId> {
        self.queued.take_all().map(|u| u.id).collect()
    }

    /// Takes out every user request, in flight first, then queued.
    pub(super) fn take_all(&mut self) -> Vec<RequestId> {
        self.locals_in_flight = 0;
        self.in_flight
            .take_all()
            .filter_map(|f| match f.kind {
                InFlightKind::User(u) => Some(u.id),
                _ => None,
            })
            .chain(self.queued.take_all().map(|u| u.id))
            .collect()
    }

    /// Makes the next ordinary xid `xid` (tests of the wrap-around).
    #[cfg(feature = "testing")]
    pub(super) fn set_next_xid(&mut self, xid: i32) {
        self.xids = XidGen::starting_at(xid);
    }
}
/// The step of `u`, written and its answer lost, when it is an ephemeral sequential
/// create whose reply goes to the program (not abandoned): its node is looked for if
/// the program gives it up after that reply (see [`super::undo::Undos::remember_lost`]).
/// An abandoned one's step waits for its result already.
fn lost_create(u: &UserRequest, abandoned: &RequestIdSet, chroot: &Chroot) -> Option<Step> {
    if !abandoned.is_empty() && abandoned.contains(&u.id) {
        return None;
    }
    Step::for_lost_create(&u.prepared, chroot)
}

/// A local request: it holds its place in the FIFO, and owes no reply.
fn is_local(f: &InFlight) -> bool {
    matches!(&f.kind, InFlightKind::User(u) if u.is_local())
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;

    // A session holds one of these per request in flight: 10,000 in flight are 10,000
    // of them (bench: `zkbench` with ZKB_WORKLOADS=memory).
    #[test]
    fn a_request_the_session_holds_stays_small() {
        assert!(std::mem::size_of::<UserRequest>() <= 80);
        assert!(std::mem::size_of::<InFlight>() <= 104);
        assert!(std::mem::size_of::<WireRequest>() <= 40);
    }
}
