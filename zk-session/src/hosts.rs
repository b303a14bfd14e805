//! The host list: shuffled once (and again when the application replaces it), walked
//! round-robin, with backoff after a full pass over every host without a successful
//! handshake.

use std::time::Duration;

use crate::connect_string::HostAddr;
use crate::rng::SplitMix64;

/// Round-robin over the shuffled hosts.
#[derive(Debug, Clone)]
pub(crate) struct HostList {
    hosts: Vec<HostAddr>,
    next: usize,
    /// Attempts since the last successful handshake (or since the start).
    tried: usize,
    /// Full passes without success since then.
    failed_passes: u32,
}

impl HostList {
    /// Shuffles `hosts` (must not be empty) with `rng`.
    pub(crate) fn new(mut hosts: Vec<HostAddr>, rng: &mut SplitMix64) -> HostList {
        assert!(!hosts.is_empty(), "validated connect string has hosts");
        rng.shuffle(&mut hosts);
        HostList {
            hosts,
            next: 0,
            tried: 0,
            failed_passes: 0,
        }
    }

    /// Replaces the hosts with `hosts` (must not be empty), shuffled with `rng`, and
    /// returns the previous ones. The pass starts afresh (the new hosts were not tried)
    /// at the head of the new list; the backoff reached so far stays.
    pub(crate) fn replace(
        &mut self,
        mut hosts: Vec<HostAddr>,
        rng: &mut SplitMix64,
    ) -> Vec<HostAddr> {
        assert!(!hosts.is_empty(), "validated connect string has hosts");
        rng.shuffle(&mut hosts);
        self.next = 0;
        self.tried = 0;
        std::mem::replace(&mut self.hosts, hosts)
    }

    /// The round robin goes on with the host after `host`, if it is listed.
    pub(crate) fn continue_after(&mut self, host: &HostAddr) {
        if let Some(i) = self.hosts.iter().position(|h| h == host) {
            self.next = (i + 1) % self.hosts.len();
        }
    }

    /// The hosts in their shuffled order.
    pub(crate) fn as_slice(&self) -> &[HostAddr] {
        &self.hosts
    }

    /// Number of hosts.
    pub(crate) fn len(&self) -> usize {
        self.hosts.len()
    }

    /// The next host to dial, and how long to wait before dialling it: zero within a
    /// pass, and after each full failed pass `min(base × 2^(passes−1), max)` plus a
    /// random jitter of up to the same amount.
    pub(crate) fn next(
        &mut self,
        rng: &mut SplitMix64,
        base: Duration,
        max: Duration,
    ) -> (HostAddr, Duration) {
        let mut delay = Duration::ZERO;
        if self.tried > 0 && self.tried % self.hosts.len() == 0 {
            self.failed_passes = self.failed_passes.saturating_add(1);
            let shift = (self.failed_passes - 1).min(20);
            let d = base.saturating_mul(1 << shift).min(max);
            let ms = d.as_millis().min(u64::MAX as u128) as u64;
            delay = d.saturating_add(Duration::from_millis(rng.below(ms.saturating_add(1))));
        }
        let host = self.hosts[self.next].clone();
        self.next = (self.next + 1) % self.hosts.len();
        self.tried += 1;
        (host, delay)
    }

    /// The `i`-th host of the shuffled list (modulo its length).
    pub(crate) fn host_at(&self, i: usize) -> &HostAddr {
        &self.hosts[i % self.hosts.len()]
    }

    /// A handshake succeeded: the next failure starts a fresh pass without backoff.
    pub(crate) fn succeeded(&mut self) {
        self.tried = 0;
        self.failed_passes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<HostAddr> {
        (0..n)
            .map(|i| HostAddr {
                host: format!("h{i}"),
                port: 2181,
            })
            .collect()
    }

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn shuffled_once_then_round_robin() {
        let mut rng = SplitMix64::new(3);
        let mut l = HostList::new(hosts(5), &mut rng);
        let first: Vec<_> = (0..5).map(|_| l.next(&mut rng, S, S * 8).0).collect();
        let second: Vec<_> = (0..5).map(|_| l.next(&mut rng, S, S * 8).0).collect();
        assert_eq!(first, second, "same order on every pass");
        let mut sorted = first.clone();
        sorted.sort_by(|a, b| a.host.cmp(&b.host));
        assert_eq!(sorted, hosts(5));
        assert_ne!(first, hosts(5), "seed 3 shuffles 5 hosts");
    }

    #[test]
    fn backoff_after_full_failed_pass_grows_and_caps() {
        let mut rng = SplitMix64::new(1);
        let mut l = HostList::new(hosts(2), &mut rng);
        let d: Vec<Duration> = (0..12).map(|_| l.next(&mut rng, S, S * 4).1).collect();
        assert_eq!(d[0], Duration::ZERO);
        assert_eq!(d[1], Duration::ZERO);
        for (i, base) in [(2, 1), (4, 2), (6, 4), (8, 4), (10, 4)] {
            assert!(d[i] >= S * base && d[i] <= S * base * 2, "{i}: {:?}", d[i]);
            assert_eq!(d[i + 1], Duration::ZERO);
        }
    }

    #[test]
    fn a_replaced_list_is_walked_from_after_the_host_it_continues_after() {
        let mut rng = SplitMix64::new(5);
        let mut l = HostList::new(hosts(2), &mut rng);
        let old = l.replace(hosts(4), &mut rng);
        assert_eq!(old.len(), 2);
        let order = l.as_slice().to_vec();
        l.continue_after(&order[1]);
        let walked: Vec<_> = (0..4).map(|_| l.next(&mut rng, S, S).0).collect();
        assert_eq!(walked, [&order[2..], &order[..2]].concat());
    }

    #[test]
    fn success_resets_the_pass() {
        let mut rng = SplitMix64::new(1);
        let mut l = HostList::new(hosts(2), &mut rng);
        let _ = l.next(&mut rng, S, S);
        l.succeeded();
        assert_eq!(l.next(&mut rng, S, S).1, Duration::ZERO);
        assert_eq!(l.next(&mut rng, S, S).1, Duration::ZERO);
        assert!(l.next(&mut rng, S, S).1 >= S);
    }
}
