//! Maps and sets keyed by [`RequestId`] for the drivers' per-request bookkeeping (one
//! insert and one removal per request). Ids are session-issued counters, not input an
//! attacker picks, so they need no DoS-resistant hash: one multiply spreads them over
//! the table, where the standard SipHash cost tens of nanoseconds per request.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::RequestId;

/// A map from request ids, hashed cheaply (see the module docs).
pub type RequestIdMap<V> = HashMap<RequestId, V, BuildHasherDefault<IdHasher>>;

/// A set of request ids, hashed cheaply (see the module docs).
pub type RequestIdSet = HashSet<RequestId, BuildHasherDefault<IdHasher>>;

/// The hasher of [`RequestIdMap`] and [`RequestIdSet`]: a Fibonacci multiply of the id.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        // 2^64 / φ: consecutive ids land far apart, and the top bits (which the
        // table uses) depend on every bit of the id.
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_keeps_and_finds_every_id() {
        let mut map = RequestIdMap::default();
        for raw in 0..10_000 {
            map.insert(RequestId(raw), raw * 2);
        }
        assert_eq!(map.len(), 10_000);
        assert!((0..10_000).all(|raw| map.get(&RequestId(raw)) == Some(&(raw * 2))));
        assert_eq!(map.remove(&RequestId(77)), Some(154));
        assert!(!map.contains_key(&RequestId(77)));
    }

    #[test]
    fn consecutive_ids_spread_over_the_top_bits() {
        let top = |raw| {
            let mut hasher = IdHasher::default();
            hasher.write_u64(raw);
            hasher.finish() >> 57
        };
        let buckets: HashSet<u64> = (0..128).map(top).collect();
        assert!(
            buckets.len() > 64,
            "{} of 128 top-bit buckets used",
            buckets.len()
        );
    }
}
