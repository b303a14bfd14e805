//! One table of every timer the session runs; `poll_timeout` is its minimum.

use std::time::Instant;

/// The session's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Handshake not answered in time: try the next host.
    Connect,
    /// Nothing received for 2/3 of the negotiated timeout: drop the connection.
    Read,
    /// Nothing sent for the ping interval (T/3 − 1 s, at least T/6, at most 10 s).
    Ping,
    /// Nothing heard from any server for 4/3 of the timeout: the session is expired.
    Expiry,
    /// The oldest outstanding request has waited `request_timeout`.
    Request,
    /// The closeSession reply did not come in time.
    Close,
    /// Waiting out the reconnect backoff before dialling.
    Backoff,
    /// Time to look for a read-write server while connected read-only.
    RoProbe,
}

const ALL: [Timer; 8] = [
    Timer::Connect,
    Timer::Read,
    Timer::Ping,
    Timer::Expiry,
    Timer::Request,
    Timer::Close,
    Timer::Backoff,
    Timer::RoProbe,
];

/// A deadline per [`Timer`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    slots: [Option<Instant>; 8],
}

impl TimerTable {
    /// Arms (or re-arms) `timer`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.slots[timer as usize] = Some(at);
    }

    /// Disarms `timer`.
    #[cfg(test)]
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.slots[timer as usize] = None;
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots[timer as usize]
    }

    /// Disarms everything.
    pub(crate) fn stop_all(&mut self) {
        self.slots = [None; 8];
    }

    /// The earliest armed deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }

    /// Whether `timer` is armed and due at `now`.
    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t <= now)
    }

    /// The timers due at `now`, in table order.
    pub(crate) fn expired(&self, now: Instant) -> impl Iterator<Item = Timer> + '_ {
        ALL.into_iter().filter(move |t| self.is_expired(*t, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn minimum_and_expiry() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next_timeout(), None);
        t.set(Timer::Ping, t0 + Duration::from_secs(5));
        t.set(Timer::Read, t0 + Duration::from_secs(3));
        t.set(Timer::RoProbe, t0 + Duration::from_secs(9));
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(3)));
        let due: Vec<_> = t.expired(t0 + Duration::from_secs(5)).collect();
        assert_eq!(due, vec![Timer::Read, Timer::Ping]);
        t.stop(Timer::Read);
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(5)));
        assert!(!t.is_expired(Timer::Ping, t0));
        t.stop_all();
        assert_eq!(t.next_timeout(), None);
    }
}
