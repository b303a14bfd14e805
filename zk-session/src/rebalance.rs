//! Whether a session moves when its host list changes, and where to: the load
//! balancing rule of Java's `StaticHostProvider.updateServerList` (ZOOKEEPER-1355),
//! so that clients spread evenly over the new list in expectation.
//!
//! With `old` and `new` the lists before and after, "added" the hosts of `new` not in
//! `old` and "kept" those in both:
//! * the current host is in `new` and the list grew: move, with probability
//!   `1 − |old| / |new|`, to an added host; otherwise stay;
//! * the current host is in `new` and the list did not grow: stay;
//! * the current host is not in `new` and the list grew: move to an added host;
//! * the current host is not in `new` and the list did not grow: move to a kept host
//!   with probability `|kept| (|old| − |new|) / (|new| (|old| − |kept|))`, else to an
//!   added one.
//!
//! When the chosen group is empty the other one serves. Hosts compare by name and
//! port as written (DNS is the driver's): `localhost:2181` and `127.0.0.1:2181` are
//! different hosts here.

use crate::connect_string::HostAddr;
use crate::rng::SplitMix64;

/// Where a session on `current` goes when the shuffled list `old` becomes the
/// shuffled list `new` (not empty): `None` to stay, else the host to move to. Each
/// group is taken in `new`'s shuffled order, so its first host is a uniform choice.
pub(crate) fn move_target(
    old: &[HostAddr],
    new: &[HostAddr],
    current: &HostAddr,
    rng: &mut SplitMix64,
) -> Option<HostAddr> {
    let (kept, added): (Vec<&HostAddr>, Vec<&HostAddr>) = new.iter().partition(|h| old.contains(h));
    let stays_listed = new.contains(current);
    let grew = new.len() > old.len();
    let p_kept = match (stays_listed, grew) {
        (true, false) => return None,
        (true, true) => {
            let p_move = 1.0 - old.len() as f64 / new.len() as f64;
            if rng.fraction() >= p_move {
                return None;
            }
            0.0
        }
        (false, true) => 0.0,
        (false, false) => {
            let denominator = (new.len() * old.len().saturating_sub(kept.len())) as f64;
            if denominator == 0.0 {
                0.0
            } else {
                (kept.len() * (old.len() - new.len())) as f64 / denominator
            }
        }
    };
    let take_kept = p_kept > 0.0 && rng.fraction() < p_kept;
    let (first, second) = if take_kept {
        (&kept, &added)
    } else {
        (&added, &kept)
    };
    first
        .first()
        .or_else(|| second.first())
        .map(|h| (*h).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> Vec<HostAddr> {
        names
            .iter()
            .map(|n| HostAddr {
                host: (*n).to_string(),
                port: 2181,
            })
            .collect()
    }

    /// How many of `runs` seeded sessions on `current` move, and to which group
    /// (counted as kept, added).
    fn moves(old: &[&str], new: &[&str], current: &str, runs: u64) -> (u64, u64) {
        let (old, new) = (hosts(old), hosts(new));
        let current = &hosts(&[current])[0];
        let (mut to_kept, mut to_added) = (0, 0);
        for seed in 0..runs {
            let mut rng = SplitMix64::new(seed);
            if let Some(to) = move_target(&old, &new, current, &mut rng) {
                assert!(new.contains(&to), "{to} is in the new list");
                assert_ne!(&to, current);
                if old.contains(&to) {
                    to_kept += 1;
                } else {
                    to_added += 1;
                }
            }
        }
        (to_kept, to_added)
    }

    #[test]
    fn an_unchanged_or_shrunk_list_that_keeps_the_current_host_never_moves() {
        assert_eq!(moves(&["a", "b", "c"], &["a", "b", "c"], "a", 1000), (0, 0));
        assert_eq!(moves(&["a", "b", "c"], &["c", "a"], "a", 1000), (0, 0));
    }

    #[test]
    fn a_grown_list_moves_about_one_minus_old_over_new_of_the_sessions_to_added_hosts() {
        // 3 → 5 hosts: 2/5 of the sessions on a kept host move, all to added hosts.
        let (to_kept, to_added) = moves(&["a", "b", "c"], &["a", "b", "c", "d", "e"], "a", 10_000);
        assert_eq!(to_kept, 0);
        assert!((3_800..=4_200).contains(&to_added), "{to_added} of 10000");
    }

    #[test]
    fn a_removed_current_host_always_moves() {
        // Grown: always to an added host.
        assert_eq!(moves(&["a", "b"], &["b", "c", "d"], "a", 1000), (0, 1000));
        // Shrunk with nothing added: to a kept host.
        assert_eq!(moves(&["a", "b", "c"], &["b", "c"], "a", 1000), (1000, 0));
    }

    #[test]
    fn a_removed_current_host_of_a_same_size_list_splits_between_kept_and_added_hosts() {
        // 4 → 3, a and b out, e in: kept with 2·1 / (3·2) = 1/3.
        let (to_kept, to_added) = moves(&["a", "b", "c", "d"], &["c", "d", "e"], "a", 9_000);
        assert_eq!(to_kept + to_added, 9_000);
        assert!((2_700..=3_300).contains(&to_kept), "{to_kept} of 9000");
        // Same size, all replaced: to the added hosts.
        assert_eq!(moves(&["a", "b"], &["c", "d"], "a", 1000), (0, 1000));
    }
}
