//! How long a request waits for a session no server has established yet
//! ([`crate::Config::first_session_timeout`]). Such a session cannot expire: without
//! this bound a request submitted while no server answers would wait as long as none
//! does.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::id::RequestId;

use super::timing::later;

/// The requests submitted while no session was ever established, each with when it
/// was submitted. Once a session is, the session drops this: its requests lose the
/// bound, and later ones never get it.
#[derive(Debug)]
pub(super) struct FirstSessionWait {
    timeout: Duration,
    /// Oldest first. The session's clock never runs backwards, so submit order is
    /// deadline order.
    waiting: VecDeque<(RequestId, Instant)>,
}

impl FirstSessionWait {
    pub(super) fn new(timeout: Duration) -> FirstSessionWait {
        FirstSessionWait {
            timeout,
            waiting: VecDeque::new(),
        }
    }

    /// `id` was submitted at `now`; returns when its wait ends.
    pub(super) fn submitted(&mut self, id: RequestId, now: Instant) -> Instant {
        self.waiting.push_back((id, now));
        later(now, self.timeout)
    }

    /// When the oldest request's wait ends.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let &(_, submitted) = self.waiting.front()?;
        Some(later(submitted, self.timeout))
    }

    /// Takes out the requests whose wait ended by `now`, oldest first, each with how
    /// long it waited. Some may have completed meanwhile (abandoned, timed out).
    pub(super) fn take_due(&mut self, now: Instant) -> Vec<(RequestId, Duration)> {
        let due = self
            .waiting
            .partition_point(|&(_, submitted)| later(submitted, self.timeout) <= now);
        self.waiting
            .drain(..due)
            .map(|(id, submitted)| (id, now.saturating_duration_since(submitted)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn each_request_waits_the_timeout_from_its_own_submit() {
        let start = Instant::now();
        let mut wait = FirstSessionWait::new(5 * SEC);
        assert_eq!(wait.deadline(), None);
        assert_eq!(wait.submitted(RequestId(1), start), start + 5 * SEC);
        wait.submitted(RequestId(2), start + 2 * SEC);
        assert_eq!(wait.deadline(), Some(start + 5 * SEC));

        assert_eq!(wait.take_due(start + 4 * SEC), []);
        assert_eq!(
            wait.take_due(start + 6 * SEC),
            [(RequestId(1), 6 * SEC)],
            "the later request still waits"
        );
        assert_eq!(wait.deadline(), Some(start + 7 * SEC));
        assert_eq!(wait.take_due(start + 7 * SEC), [(RequestId(2), 5 * SEC)]);
        assert_eq!(wait.deadline(), None);
    }
}
