//! One connection's life: its state, the timeouts of dialling it, completing the
//! handshake, keeping it alive with pings, and dropping it (requeueing what the server
//! never read) before dialling the next host.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zk_proto::{ConnectResponse, Decode, FrameDecoder, KeeperState, xid};

use crate::error::{CloseReason, RequestError};
use crate::event::Transport;
use crate::id::ConnId;
use crate::pending::{InFlight, InFlightKind};
use crate::state::SessionState;

use super::Session;
use super::deadlines::later;
use super::read_only::RO_PROBE_MIN;

/// How long a connection must carry the session before its loss counts as a fresh
/// start (an immediate redial) rather than a failed attempt (backoff).
const STABLE: Duration = Duration::from_secs(1);

/// Length of the password every ZooKeeper server issues with a session.
const SESSION_PASSWORD_LEN: usize = 16;

/// How far a connection has come towards carrying the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for the driver's `handle_connected`.
    Dialing,
    /// ConnectRequest written, waiting for the ConnectResponse.
    Handshaking,
    /// Session established on this connection.
    Established,
}

/// The session's view of one transport connection: its receive and send buffers and
/// the byte counts and times its timers and requeueing depend on.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) id: ConnId,
    pub(super) phase: Phase,
    pub(super) decoder: FrameDecoder,
    /// Length of the decoder's buffer before the space handed out by `recv_buf`.
    pub(super) recv_mark: Option<usize>,
    pub(super) out: BytesMut,
    /// Bytes appended to `out` since the connection started.
    pub(super) queued: u64,
    /// Bytes the driver reported written.
    pub(super) written: u64,
    /// End of the last request answered on this connection: the server read up to
    /// here, whatever the driver has reported yet.
    pub(super) answered: u64,
    /// Deadline of the dial + handshake.
    pub(super) connect_deadline: Instant,
    pub(super) last_recv: Instant,
    pub(super) last_send: Instant,
    pub(super) read_only: bool,
    /// When the handshake completed on it.
    pub(super) established_at: Option<Instant>,
}

impl Session {
    pub(super) fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conn.as_mut().filter(|c| c.id == id)
    }

    pub(super) fn timeout_base(&self) -> Duration {
        self.negotiated.unwrap_or(self.requested_timeout)
    }

    pub(super) fn requested_ms(&self) -> i32 {
        i32::try_from(self.requested_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    pub(super) fn connect_timeout(&self) -> Duration {
        (self.timeout_base() / self.hosts.len() as u32).max(Duration::from_millis(1))
    }

    /// Picks the next host and when to dial it. While a session exists, no wait is
    /// longer than a third of its timeout, nor past the point where the server
    /// expires it: a network that comes back in time always gets the session back.
    pub(super) fn choose_next_host(&mut self, now: Instant) {
        let (mut base, mut max) = self.backoff;
        if self.session_id != 0 && self.seen_rw {
            // A wait is at most twice the capped backoff (up to 100 % jitter).
            let cap = self.timeout_base() / 6;
            let lifetime = later(self.last_heard, self.timeout_base());
            let left = lifetime.saturating_duration_since(now) / 2;
            let cap = if left.is_zero() { cap } else { cap.min(left) };
            max = max.min(cap);
            base = base.min(max);
        }
        let (host, delay) = self.hosts.next(&mut self.rng, base, max);
        self.next_dial = Some((host, later(now, delay)));
    }

    /// Ends the current connection. `reason` is `Some` when the session decided it (the
    /// driver is told to close), `None` when the driver reported it. Written requests
    /// fail with ConnectionLoss; unwritten ones go back to the queue.
    pub(super) fn drop_conn(&mut self, reason: Option<CloseReason>, now: Instant) {
        self.end_conn(reason, now, true);
    }

    /// [`Session::drop_conn`]; `choose_host`: pick the next host (counting the
    /// attempt towards the backoff), unless the caller sets `next_dial` itself.
    pub(super) fn end_conn(
        &mut self,
        reason: Option<CloseReason>,
        now: Instant,
        choose_host: bool,
    ) {
        let Some(c) = self.conn.take() else {
            return;
        };
        let timed_out = c.established_at.is_some() && reason == Some(CloseReason::RequestTimeout);
        if let Some(reason) = reason {
            self.transports
                .push_back(Transport::Close { conn: c.id, reason });
        }
        // A request the server answered was read by it, whatever the driver reported:
        // never send it again.
        let written = c.written.max(c.answered);
        let served = c
            .established_at
            .is_some_and(|t| now.saturating_duration_since(t) >= STABLE);
        // A drop for a request timeout (`timed_out`) is paced by that timeout already,
        // and waiting longer would fail the requests queued behind it too.
        if served || timed_out {
            // It carried the session: the next failure starts a fresh pass. A
            // connection dropped sooner (a server refusing SetWatches, a second process
            // resuming the same session, a broken proxy) counts as a failed attempt,
            // so flapping backs off instead of redialling at once forever.
            self.hosts.succeeded();
        }
        let close_written = self
            .in_flight
            .iter()
            .any(|f| matches!(f.kind, InFlightKind::Close) && f.end <= written);
        let entries: Vec<InFlight> = self.in_flight.drain().collect();
        let mut requeue = Vec::new();
        for f in entries {
            let InFlightKind::User(u) = f.kind else {
                continue;
            };
            if u.local {
                // Everything before it is answered now, or it waits behind the
                // requeued requests.
                if requeue.is_empty() {
                    self.answer_local(u);
                } else {
                    requeue.push(u);
                }
            } else if f.end <= written {
                self.reply(u.id, Err(RequestError::ConnectionLoss));
            } else if self.is_abandoned(u.id) {
                // Never reached the server and nobody waits for it: never send it.
                self.abandoned.remove(&u.id);
            } else {
                requeue.push(u);
            }
        }
        for u in requeue.into_iter().rev() {
            self.queue.push_front(u);
        }
        self.last_answered = None;
        self.ro_probe_at = None;
        if self.state == SessionState::Closing {
            if close_written || !self.server_may_hold_session() {
                self.terminate(SessionState::Closed, now);
                return;
            }
            // closeSession never reached the server: try the next one until the
            // close timeout.
            self.close_pending = true;
            self.choose_next_host(now);
            self.bring_dial_forward(now);
            return;
        }
        if c.phase == Phase::Established {
            self.set_state(SessionState::Connecting);
            self.state_event(KeeperState::Disconnected);
        }
        if choose_host {
            self.choose_next_host(now);
        }
    }

    /// The receive side hit a bad frame length. A too-long frame whose xid names the
    /// in-flight head is that request's reply: it fails with
    /// [`RequestError::ReplyTooLarge`] (the server executed it; only its answer
    /// cannot be read). Any other bad frame (a notification, an unknown xid) fails
    /// every written request with `ConnectionLoss`, as any drop does. While the xid
    /// has not arrived yet the connection stays, until it does (or the read timeout
    /// passes).
    pub(super) fn frame_error(&mut self, e: zk_proto::FrameError, now: Instant) {
        if let zk_proto::FrameError::TooLong { len, max } = e {
            let Some(c) = self.conn.as_mut() else {
                return;
            };
            let established = c.phase == Phase::Established;
            let buf = c.decoder.buffer_mut();
            let head = self.in_flight.front().and_then(|f| match &f.kind {
                InFlightKind::User(u) if !u.local => Some((f.xid, u.id)),
                _ => None,
            });
            if let (true, Some((head_xid, id))) = (established, head) {
                if buf.len() < 8 {
                    return;
                }
                let xid = i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
                if xid == head_xid {
                    let f = self.in_flight.pop().expect("head exists");
                    if let Some(c) = self.conn.as_mut() {
                        c.answered = c.answered.max(f.end);
                    }
                    self.reply(id, Err(RequestError::ReplyTooLarge { len, max }));
                }
            }
        }
        self.drop_conn(Some(CloseReason::Frame(e)), now);
    }

    pub(super) fn on_handshake(&mut self, frame: Bytes, now: Instant) {
        let resp = match ConnectResponse::decode_bytes(frame) {
            Ok(r) => r,
            Err(e) => {
                self.drop_conn(Some(CloseReason::Decode(e.to_string())), now);
                return;
            }
        };
        if resp.timeout <= 0 {
            self.terminate(SessionState::Expired, now);
            return;
        }
        // Either would start a session that cannot be resumed or expire properly.
        let invalid = if resp.session_id == 0 {
            Some("session id 0 with a positive timeout")
        } else if resp.passwd.len() != SESSION_PASSWORD_LEN {
            Some("session password is not 16 bytes")
        } else {
            None
        };
        if let Some(why) = invalid {
            self.drop_conn(Some(CloseReason::InvalidHandshake(why)), now);
            return;
        }
        let negotiated = Duration::from_millis(resp.timeout as u64);
        self.negotiated = Some(negotiated);
        self.session_id = resp.session_id;
        self.password = resp.passwd.clone();
        let read_only = resp.is_read_only();
        if !read_only {
            self.seen_rw = true;
        }
        let c = self.conn.as_mut().expect("handshaking connection");
        c.phase = Phase::Established;
        c.read_only = read_only;
        c.established_at = Some(now);
        if self.state == SessionState::Closing {
            self.write_close(now);
            return;
        }
        let (to, ks) = if read_only {
            (
                SessionState::ConnectedReadOnly,
                KeeperState::ConnectedReadOnly,
            )
        } else {
            (SessionState::Connected, KeeperState::SyncConnected)
        };
        self.set_state(to);
        self.state_event(ks);
        if read_only {
            self.ro_probe_interval = RO_PROBE_MIN;
            self.ro_probe_at = Some(later(now, RO_PROBE_MIN));
        }
        // Auths in the order added, then the watch re-registration, then the queue.
        self.replay_auths(now);
        self.send_set_watches(now);
        self.fill_send(now);
    }

    pub(super) fn send_ping(&mut self, now: Instant) {
        let Some(c) = self.conn.as_mut().filter(|c| c.phase == Phase::Established) else {
            return;
        };
        if !c.out.is_empty() {
            // Bytes are already waiting for the socket; they will count as traffic.
            c.last_send = now;
            return;
        }
        write_frame(c, &zk_proto::WireRequest::Ping, xid::PING, now);
    }
}

/// Appends one request frame to the connection's output.
pub(super) fn write_frame(c: &mut Conn, req: &zk_proto::WireRequest, xid: i32, now: Instant) {
    req.encode_frame(xid, &mut c.out);
    c.queued += (zk_proto::LENGTH_PREFIX_LEN
        + zk_proto::RequestHeader::LEN
        + zk_proto::Encode::encoded_len(req)) as u64;
    c.last_send = now;
}
