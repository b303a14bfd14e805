//! Durations derived from the session timeout, and deadline arithmetic that never
//! panics.

use std::time::{Duration, Instant};

/// Longest idle send time before a ping (Java's `MAX_SEND_PING_INTERVAL`).
const MAX_PING_INTERVAL: Duration = Duration::from_secs(10);
/// Margin Java subtracts from half the read timeout before pinging, once the send
/// side has been idle for longer than this.
const PING_MARGIN: Duration = Duration::from_secs(1);
/// The first idle time (at Java's millisecond resolution) "over" the margin.
const JUST_OVER_MARGIN: Duration = Duration::from_millis(1001);

/// The durations a session's timers run for, derived from its timeout (the requested
/// one until a server grants one) once, when it changes, not on every deadline query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Timing {
    /// The session timeout itself.
    pub(super) session: Duration,
    /// See [`read_timeout`].
    pub(super) read: Duration,
    /// See [`ping_interval`].
    pub(super) ping: Duration,
    /// See [`expiry_timeout`].
    pub(super) expiry: Duration,
}

impl Timing {
    pub(super) fn new(session_timeout: Duration) -> Timing {
        Timing {
            session: session_timeout,
            read: read_timeout(session_timeout),
            ping: ping_interval(session_timeout),
            expiry: expiry_timeout(session_timeout),
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

/// Nothing received for this long drops a connection: 2/3 of the session timeout.
fn read_timeout(session_timeout: Duration) -> Duration {
    session_timeout * 2 / 3
}

/// Nothing heard from any server for this long expires the session on the client
/// side: 4/3 of the session timeout.
fn expiry_timeout(session_timeout: Duration) -> Duration {
    session_timeout * 4 / 3
}

/// How long the send side may stay idle before a ping: the first idle time at
/// which Java's `ClientCnxn` rule pings. With R the read timeout (2/3 T), Java
/// pings once idle ≥ R/2, less 1 s when idle is over 1 s, or idle over 10 s
/// (`MAX_SEND_PING_INTERVAL`). So: T/3 while T/3 ≤ 1 s; just over 1 s while
/// T/3 ≤ 2 s; T/3 − 1 s above; never more than 10 s.
fn ping_interval(session_timeout: Duration) -> Duration {
    let half_read = session_timeout / 3;
    let interval = if half_read <= PING_MARGIN {
        half_read
    } else {
        half_read.saturating_sub(PING_MARGIN).max(JUST_OVER_MARGIN)
    };
    interval.min(MAX_PING_INTERVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ping_interval_follows_javas_rule() {
        assert_eq!(ping_interval(MS * 3000), MS * 1000);
        assert_eq!(ping_interval(MS * 4500), MS * 1001);
        assert_eq!(ping_interval(MS * 30_000), MS * 9000);
        assert_eq!(ping_interval(MS * 40_000), MS * 10_000);
    }

    #[test]
    fn timing_derives_every_duration_from_the_session_timeout() {
        let timing = Timing::new(MS * 30_000);
        assert_eq!(timing.session, MS * 30_000);
        assert_eq!(timing.read, MS * 20_000);
        assert_eq!(timing.ping, MS * 9000);
        assert_eq!(timing.expiry, MS * 40_000);
    }

    #[test]
    fn a_deadline_past_the_clocks_range_is_the_furthest_instant() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now);
    }
}
