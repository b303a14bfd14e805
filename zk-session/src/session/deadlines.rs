//! When each timer is due: the one table `poll_timeout` reads, refilled after every
//! input.

use std::time::{Duration, Instant};

use crate::state::SessionState;
use crate::timer::Timer;

use super::Session;
use super::connection::Phase;

/// Longest idle send time before a ping (Java's `MAX_SEND_PING_INTERVAL`).
const MAX_PING_INTERVAL: Duration = Duration::from_secs(10);
/// Margin Java subtracts from half the read timeout before pinging, once the send
/// side has been idle for longer than this.
const PING_MARGIN: Duration = Duration::from_secs(1);
/// The first idle time (at Java's millisecond resolution) "over" the margin.
const JUST_OVER_MARGIN: Duration = Duration::from_millis(1001);

impl Session {
    pub(super) fn read_deadline(&self) -> Option<Instant> {
        let c = self.conn.as_ref()?;
        (c.phase == Phase::Established).then(|| later(c.last_recv, self.timeout_base() * 2 / 3))
    }

    pub(super) fn ping_deadline(&self) -> Option<Instant> {
        let c = self.conn.as_ref()?;
        (c.phase == Phase::Established && self.state != SessionState::Closing)
            .then(|| later(c.last_send, self.ping_interval()))
    }

    /// How long the send side may stay idle before a ping: the first idle time at
    /// which Java's `ClientCnxn` rule pings. With R the read timeout (2/3 T), Java
    /// pings once idle ≥ R/2, less 1 s when idle is over 1 s, or idle over 10 s
    /// (`MAX_SEND_PING_INTERVAL`). So: T/3 while T/3 ≤ 1 s; just over 1 s while
    /// T/3 ≤ 2 s; T/3 − 1 s above; never more than 10 s.
    fn ping_interval(&self) -> Duration {
        let half_read = self.timeout_base() / 3;
        let interval = if half_read <= PING_MARGIN {
            half_read
        } else {
            half_read.saturating_sub(PING_MARGIN).max(JUST_OVER_MARGIN)
        };
        interval.min(MAX_PING_INTERVAL)
    }

    pub(super) fn expiry_deadline(&self) -> Option<Instant> {
        (self.client_side_expiry
            && self.session_id != 0
            && self.seen_rw
            && !self.state.is_terminal()
            // Closing ends by the reply or the close timeout, always as Closed.
            && self.state != SessionState::Closing)
            .then(|| later(self.last_heard, self.timeout_base() * 4 / 3))
    }

    pub(super) fn update_timers(&mut self) {
        let t = &mut self.timers;
        t.stop_all();
        if self.state.is_terminal() {
            return;
        }
        let conn = self.conn.as_ref();
        if let Some(c) = conn.filter(|c| c.phase != Phase::Established) {
            t.set(Timer::Connect, c.connect_deadline);
        }
        if let Some(d) = self.read_deadline() {
            self.timers.set(Timer::Read, d);
        }
        if let Some(d) = self.ping_deadline() {
            self.timers.set(Timer::Ping, d);
        }
        if let Some(d) = self.expiry_deadline() {
            self.timers.set(Timer::Expiry, d);
        }
        if self.request_timeout.is_some() {
            // Deadlines grow in submit order and in-flight requests are older than
            // queued ones, so the first user request found has the earliest deadline.
            let oldest = self
                .in_flight
                .first_deadline()
                .or_else(|| self.queue.front().and_then(|u| u.deadline));
            if let Some(d) = oldest {
                self.timers.set(Timer::Request, d);
            }
        }
        if let Some(d) = self.close_deadline {
            self.timers.set(Timer::Close, d);
        }
        if self.conn.is_none() {
            if let Some((_, at)) = &self.next_dial {
                self.timers.set(Timer::Backoff, *at);
            }
        }
        if let Some(d) = self.ro_probe_at {
            self.timers.set(Timer::RoProbe, d);
        }
    }
}

/// `t + d`, or the furthest instant after `t` the platform can represent when that
/// overflows: a deadline that far out never comes, and nothing panics.
pub(super) fn later(t: Instant, d: Duration) -> Instant {
    let mut d = d;
    loop {
        if let Some(at) = t.checked_add(d) {
            return at;
        }
        d /= 2;
    }
}
