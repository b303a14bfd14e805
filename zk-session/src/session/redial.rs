//! Which host to dial next and when: the shuffled host list walked in turn, with
//! backoff after full failed passes, bounded so that a session that still exists on
//! the servers is never waited out.

use std::time::{Duration, Instant};

use crate::connect_string::HostAddr;
use crate::hosts::HostList;
use crate::rebalance;
use crate::rng::SplitMix64;

use super::timing::later;

/// The reconnect schedule.
#[derive(Debug)]
pub(super) struct Redial {
    hosts: HostList,
    /// Draws the jitter of every backoff (seeded by the config).
    rng: SplitMix64,
    /// First backoff after a full failed pass, and its cap.
    backoff: (Duration, Duration),
    /// The host to dial next and not before when.
    next: Option<(HostAddr, Instant)>,
}

impl Redial {
    pub(super) fn new(hosts: HostList, rng: SplitMix64, backoff: (Duration, Duration)) -> Self {
        Redial {
            hosts,
            rng,
            backoff,
            next: None,
        }
    }

    // ----- getters -------------------------------------------------------------------
    pub(super) fn host_count(&self) -> usize {
        self.hosts.len()
    }

    /// The `i`-th host of the shuffled list.
    pub(super) fn host_at(&self, i: usize) -> &HostAddr {
        self.hosts.host_at(i)
    }

    /// The host scheduled to be dialled next, if any.
    pub(super) fn next_host(&self) -> Option<&HostAddr> {
        self.next.as_ref().map(|(host, _)| host)
    }

    /// The host to dial next and when, if one is scheduled.
    pub(super) fn next(&self) -> Option<&(HostAddr, Instant)> {
        self.next.as_ref()
    }

    /// When the next dial is due, if one is scheduled.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.next.as_ref().map(|(_, at)| *at)
    }

    // ----- mutators ------------------------------------------------------------------
    /// Schedules the next host. `cap` bounds the backoff (the session exists on the
    /// servers and must not be waited out); a wait is at most twice it (jitter).
    pub(super) fn schedule(&mut self, now: Instant, cap: Option<Duration>) {
        let (mut base, mut max) = self.backoff;
        if let Some(cap) = cap {
            max = max.min(cap);
            base = base.min(max);
        }
        let (host, delay) = self.hosts.next(&mut self.rng, base, max);
        self.next = Some((host, later(now, delay)));
    }

    /// Dials `host` next, at once (a read-write server found while read-only, or the
    /// host a new host list moves the session to).
    pub(super) fn dial_now(&mut self, host: HostAddr, now: Instant) {
        self.next = Some((host, now));
    }

    /// The application gave a new host list (not empty): it replaces the old one, and
    /// the session on `current` (if it is on any host) either stays (`None`) or
    /// moves to the host returned (see [`rebalance`]). The round robin goes on after
    /// the host the session ends up on.
    pub(super) fn replace_hosts(
        &mut self,
        hosts: Vec<HostAddr>,
        current: Option<&HostAddr>,
    ) -> Option<HostAddr> {
        let old = self.hosts.replace(hosts, &mut self.rng);
        let current = current?;
        let target = rebalance::move_target(&old, self.hosts.as_slice(), current, &mut self.rng);
        self.hosts
            .continue_after(target.as_ref().unwrap_or(current));
        target
    }

    /// The scheduled dial goes to `host` instead, at the same time (or now, if none
    /// was scheduled).
    pub(super) fn retarget(&mut self, host: HostAddr, now: Instant) {
        let at = self.deadline().unwrap_or(now);
        self.next = Some((host, at));
    }

    /// No waiting past `deadline` (a close that needs a connection).
    pub(super) fn bring_forward(&mut self, deadline: Instant, now: Instant) {
        if let Some((_, at)) = self.next.as_mut() {
            *at = (*at).min(deadline).max(now);
        }
    }

    /// The host to dial, if its time has come; the schedule is then empty.
    pub(super) fn take_due(&mut self, now: Instant) -> Option<HostAddr> {
        if self.deadline()? > now {
            return None;
        }
        self.next.take().map(|(host, _)| host)
    }

    /// A connection carried the session: the next failure starts a fresh pass.
    pub(super) fn succeeded(&mut self) {
        self.hosts.succeeded();
    }

    /// The session is over: nothing is dialled again.
    pub(super) fn stop(&mut self) {
        self.next = None;
    }
}
