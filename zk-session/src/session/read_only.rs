//! While connected to a read-only server: probing the hosts for a read-write one,
//! with a doubling interval.

use std::time::{Duration, Instant};

use crate::event::Transport;
use crate::state::SessionState;

use super::Session;
use super::deadlines::later;

/// First read-write probe interval while read-only.
pub(super) const RO_PROBE_MIN: Duration = Duration::from_millis(100);
/// Cap of the read-write probe interval.
const RO_PROBE_MAX: Duration = Duration::from_secs(60);

impl Session {
    pub(super) fn probe(&mut self, now: Instant) {
        if self.state != SessionState::ConnectedReadOnly {
            self.ro_probe_at = None;
            return;
        }
        if self.ro_probe_at.is_none_or(|t| t > now) {
            return;
        }
        let host = self.hosts.host_at(self.ro_probe_next).clone();
        self.ro_probe_next = (self.ro_probe_next + 1) % self.hosts.len();
        self.transports
            .push_back(Transport::ProbeReadWrite { host });
        self.ro_probe_interval = (self.ro_probe_interval * 2).min(RO_PROBE_MAX);
        self.ro_probe_at = Some(later(now, self.ro_probe_interval));
    }
}
