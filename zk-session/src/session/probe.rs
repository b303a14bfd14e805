//! While connected to a read-only server: when to ask which host whether it serves
//! read-write, with a doubling interval.

use std::time::{Duration, Instant};

use super::timing::later;

/// First read-write probe interval while read-only.
const PROBE_MIN: Duration = Duration::from_millis(100);
/// Cap of the read-write probe interval.
const PROBE_MAX: Duration = Duration::from_secs(60);

/// The read-write probe schedule.
#[derive(Debug)]
pub(super) struct ReadWriteProbe {
    /// The wait after the next probe.
    interval: Duration,
    /// When the next probe is due; `None` while not read-only.
    at: Option<Instant>,
    /// Index (into the host list) of the host to ask next.
    next_host: usize,
}

impl Default for ReadWriteProbe {
    fn default() -> Self {
        ReadWriteProbe {
            interval: PROBE_MIN,
            at: None,
            next_host: 0,
        }
    }
}

impl ReadWriteProbe {
    /// When the next probe is due, if probing.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.at
    }

    /// The session became read-only: the first probe goes out soon.
    pub(super) fn start(&mut self, now: Instant) {
        self.interval = PROBE_MIN;
        self.at = Some(later(now, PROBE_MIN));
    }

    /// The session left the read-only connection.
    pub(super) fn stop(&mut self) {
        self.at = None;
    }

    /// If a probe is due at `now`, the index of the host to ask (of `hosts`), and
    /// the next probe is scheduled twice as far out (up to a minute).
    pub(super) fn due(&mut self, now: Instant, hosts: usize) -> Option<usize> {
        if self.at.is_none_or(|t| t > now) {
            return None;
        }
        let host = self.next_host;
        self.next_host = (self.next_host + 1) % hosts;
        self.interval = (self.interval * 2).min(PROBE_MAX);
        self.at = Some(later(now, self.interval));
        Some(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_walk_the_hosts_with_a_doubling_interval() {
        let t0 = Instant::now();
        let mut p = ReadWriteProbe::default();
        assert_eq!(p.due(t0, 3), None, "not probing before start");
        p.start(t0);
        assert_eq!(p.due(t0, 3), None, "not due yet");
        let t1 = t0 + PROBE_MIN;
        assert_eq!(p.due(t1, 3), Some(0));
        assert_eq!(p.deadline(), Some(t1 + PROBE_MIN * 2));
        assert_eq!(p.due(t1 + PROBE_MIN * 2, 3), Some(1));
        p.stop();
        assert_eq!(p.deadline(), None);
    }
}
