//! Lock node names as kazoo writes them, so that contenders of both interoperate:
//! `<32 hex digits>__lock__<10-digit sequence>` (`__rlock__` for read locks), ordered
//! by the sequence the server appended; or as Curator writes them (its protected
//! names): `_c_<uuid>-lock-<sequence>` (`latch-` for a `LeaderLatch`), ordered by the
//! text after the marker's last occurrence, as Curator's
//! `StandardLockInternalsDriver.fixForSorting` orders them.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The kind of a contender's node: kazoo's `_NODE_NAME`, or Curator's lock name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An exclusive (or write) lock's node: `__lock__`.
    Exclusive,
    /// A read lock's node: `__rlock__`.
    Shared,
    /// A node of Curator's `InterProcessMutex` (and of its `LeaderSelector`, whose
    /// holder leads): `_c_<uuid>-lock-<sequence>`.
    CuratorLock,
    /// A node of Curator's `LeaderLatch`: `_c_<uuid>-latch-<sequence>`.
    CuratorLatch,
}

impl Kind {
    /// The marker between the contender's id and the sequence.
    pub fn marker(self) -> &'static str {
        match self {
            Kind::Exclusive => "__lock__",
            Kind::Shared => "__rlock__",
            Kind::CuratorLock => "lock-",
            Kind::CuratorLatch => "latch-",
        }
    }

    /// Whether nodes of this kind are named and ordered as Curator's are.
    pub fn is_curator(self) -> bool {
        matches!(self, Kind::CuratorLock | Kind::CuratorLatch)
    }
}

/// A fresh contender prefix: for kazoo's kinds 32 random hex digits and the kind's
/// marker; for Curator's its protected name, `_c_`, a random uuid (36 characters),
/// `-` and the marker. The random part finds the node again after a create whose
/// reply was lost.
pub fn new_prefix(kind: Kind) -> String {
    if kind.is_curator() {
        format!("_c_{}-{}", uuid(), kind.marker())
    } else {
        format!("{}{}", unique_id(), kind.marker())
    }
}

/// A random uuid in its 36-character form (a version 4 uuid, as Java's
/// `UUID.randomUUID().toString()` writes it, which Curator's protected names hold).
pub fn uuid() -> String {
    let hex = unique_id().into_bytes();
    let mut digits = hex.clone();
    // The version (4: random) and the variant (10xx) nibbles.
    digits[12] = b'4';
    digits[16] = b"89ab"[usize::from(hex[16] % 4)];
    let part = |range: std::ops::Range<usize>| String::from_utf8_lossy(&digits[range]).into_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

/// 32 random hex digits (a uuid4's `hex`, as kazoo names its nodes): unique to the
/// node that bears them, so that it can be found again after a create whose reply
/// was lost.
pub fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut halves = [0u64; 2];
    for half in &mut halves {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        *half = h.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}

/// The sequence of a contender node whose kind is among `blocking` (what it is
/// ordered by), as kazoo parses it (`<marker>-?<10 digits>` at the end of the name)
/// or, for Curator's kinds, as Curator's `fixForSorting` does (whatever follows the
/// marker's last occurrence); `None` for other children.
pub fn sequence<'a>(name: &'a str, blocking: &[Kind]) -> Option<&'a str> {
    blocking.iter().find_map(|kind| {
        let at = name.rfind(kind.marker())?;
        let seq = &name[at + kind.marker().len()..];
        if kind.is_curator() {
            return Some(seq);
        }
        let digits = seq.strip_prefix('-').unwrap_or(seq);
        (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(seq)
    })
}

/// The contender just before `own` among `children` that blocks it (whose kind is in
/// `blocking`), ordered by sequence as kazoo and Curator order them (equal sequences,
/// which sequential creates never make, by name); `Ok(None)`: nobody does, the lock
/// is `own`'s. `Err(())`: `own` is not among the children (its node is gone).
#[allow(clippy::result_unit_err)]
pub fn predecessor<'a>(
    children: &'a [String],
    own: &str,
    own_sequence: &str,
    blocking: &[Kind],
) -> Result<Option<&'a str>, ()> {
    if !children.iter().any(|c| c == own) {
        return Err(());
    }
    Ok(children
        .iter()
        .filter_map(|c| sequence(c, blocking).map(|s| (s, c.as_str())))
        .filter(|(s, c)| (*s, *c) < (own_sequence, own))
        .max()
        .map(|(_, c)| c))
}

/// The contenders among `children` whose kind is in `kinds`, in lock order.
pub fn contenders(children: &[String], kinds: &[Kind]) -> Vec<String> {
    let mut found: Vec<(&str, &String)> = children
        .iter()
        .filter_map(|c| sequence(c, kinds).map(|s| (s, c)))
        .collect();
    found.sort();
    found.into_iter().map(|(_, c)| c.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXCLUSIVE: &[Kind] = &[Kind::Exclusive];

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_prefix_is_32_hex_digits_and_the_marker_and_each_is_new() {
        let a = new_prefix(Kind::Exclusive);
        assert_eq!(a.len(), 32 + "__lock__".len());
        assert!(a[..32].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(a.ends_with("__lock__"));
        assert_ne!(a, new_prefix(Kind::Exclusive));
        assert!(new_prefix(Kind::Shared).ends_with("__rlock__"));
    }

    #[test]
    fn the_sequence_is_the_ten_digits_after_the_marker() {
        assert_eq!(
            sequence("abc__lock__0000000042", EXCLUSIVE),
            Some("0000000042")
        );
        assert_eq!(
            sequence("abc__lock__-0000000042", EXCLUSIVE),
            Some("-0000000042")
        );
        assert_eq!(sequence("abc__rlock__0000000042", EXCLUSIVE), None);
        assert_eq!(sequence("lease_holder", EXCLUSIVE), None);
        assert_eq!(sequence("abc__lock__42", EXCLUSIVE), None);
    }

    #[test]
    fn the_predecessor_is_the_closest_lower_sequence_that_blocks() {
        let children = names(&[
            "c__lock__0000000007",
            "a__lock__0000000003",
            "r__rlock__0000000005",
            "b__lock__0000000001",
            "own__lock__0000000009",
        ]);
        let own = "own__lock__0000000009";
        assert_eq!(
            predecessor(&children, own, "0000000009", EXCLUSIVE),
            Ok(Some("c__lock__0000000007"))
        );
        let writers = &[Kind::Exclusive, Kind::Shared];
        let a = "a__lock__0000000003";
        assert_eq!(
            predecessor(&children, a, "0000000003", writers),
            Ok(Some("b__lock__0000000001"))
        );
        let first = "b__lock__0000000001";
        assert_eq!(
            predecessor(&children, first, "0000000001", EXCLUSIVE),
            Ok(None)
        );
        assert_eq!(
            predecessor(&children, "gone__lock__0000000011", "0000000011", EXCLUSIVE),
            Err(())
        );
    }

    const CURATOR: &[Kind] = &[Kind::CuratorLock];

    /// Whether `id` is a uuid as Java's `UUID.toString()` writes it (version 4).
    fn is_uuid(id: &str) -> bool {
        id.len() == 36
            && id.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
            })
            && id.as_bytes()[14] == b'4'
            && b"89ab".contains(&id.as_bytes()[19])
    }

    #[test]
    fn a_curator_prefix_is_a_protected_name_with_a_fresh_uuid_and_the_lock_name() {
        let a = new_prefix(Kind::CuratorLock);
        let id = a
            .strip_prefix("_c_")
            .and_then(|rest| rest.strip_suffix("-lock-"))
            .unwrap_or_else(|| panic!("{a} is _c_<uuid>-lock-"));
        assert!(is_uuid(id), "{id} is a uuid");
        assert_ne!(a, new_prefix(Kind::CuratorLock));
        let latch = new_prefix(Kind::CuratorLatch);
        assert!(
            latch.starts_with("_c_") && latch.ends_with("-latch-"),
            "{latch}"
        );
        assert!(is_uuid(&latch[3..39]));
        for _ in 0..100 {
            assert!(is_uuid(&uuid()));
        }
    }

    #[test]
    fn a_curator_sequence_is_what_follows_the_last_marker_as_curator_sorts() {
        let uuid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427";
        let name = format!("_c_{uuid}-lock-0000000042");
        assert_eq!(sequence(&name, CURATOR), Some("0000000042"));
        assert_eq!(
            sequence("lock-lock-0000000007", CURATOR),
            Some("0000000007")
        );
        assert_eq!(sequence("lock-", CURATOR), Some(""));
        assert_eq!(sequence("lock--0000000001", CURATOR), Some("-0000000001"));
        // kazoo's nodes, a latch's, and other children are no contenders of a mutex.
        assert_eq!(sequence("abc__lock__0000000042", CURATOR), None);
        assert_eq!(
            sequence(&format!("_c_{uuid}-latch-0000000001"), CURATOR),
            None
        );
        assert_eq!(sequence("leases", CURATOR), None);
        assert_eq!(
            sequence(&format!("_c_{uuid}-lock-0000000042"), EXCLUSIVE),
            None
        );
        assert_eq!(
            sequence(
                &format!("_c_{uuid}-latch-0000000003"),
                &[Kind::CuratorLatch]
            ),
            Some("0000000003")
        );
    }

    #[test]
    fn a_curator_predecessor_is_the_closest_lower_sequence_not_the_name_before() {
        // Named so that name order and sequence order differ.
        let children = names(&[
            "_c_ffffffff-ffff-4fff-bfff-ffffffffffff-lock-0000000004",
            "_c_00000000-0000-4000-8000-000000000000-lock-0000000007",
            "lock-0000000002",
            "_c_77777777-7777-4777-b777-777777777777-latch-0000000005",
            "0123456789abcdef0123456789abcdef__lock__0000000005",
            "_c_aaaaaaaa-aaaa-4aaa-aaaa-aaaaaaaaaaaa-lock-0000000006",
        ]);
        let own = "_c_aaaaaaaa-aaaa-4aaa-aaaa-aaaaaaaaaaaa-lock-0000000006";
        assert_eq!(
            predecessor(&children, own, "0000000006", CURATOR),
            Ok(Some(
                "_c_ffffffff-ffff-4fff-bfff-ffffffffffff-lock-0000000004"
            ))
        );
        assert_eq!(
            predecessor(&children, "lock-0000000002", "0000000002", CURATOR),
            Ok(None)
        );
        assert_eq!(
            contenders(&children, CURATOR),
            [
                "lock-0000000002",
                "_c_ffffffff-ffff-4fff-bfff-ffffffffffff-lock-0000000004",
                "_c_aaaaaaaa-aaaa-4aaa-aaaa-aaaaaaaaaaaa-lock-0000000006",
                "_c_00000000-0000-4000-8000-000000000000-lock-0000000007",
            ]
        );
        assert_eq!(
            contenders(&children, &[Kind::CuratorLatch]),
            ["_c_77777777-7777-4777-b777-777777777777-latch-0000000005"]
        );
        assert_eq!(
            contenders(&children, EXCLUSIVE),
            ["0123456789abcdef0123456789abcdef__lock__0000000005"]
        );
    }

    #[test]
    fn equal_sequences_are_ordered_by_name_so_only_one_of_them_is_first() {
        let children = names(&["b-lock-0000000001", "a-lock-0000000001"]);
        assert_eq!(
            predecessor(&children, "a-lock-0000000001", "0000000001", CURATOR),
            Ok(None)
        );
        assert_eq!(
            predecessor(&children, "b-lock-0000000001", "0000000001", CURATOR),
            Ok(Some("a-lock-0000000001"))
        );
    }

    #[test]
    fn contenders_come_in_sequence_order_and_other_children_are_left_out() {
        let children = names(&["x__lock__0000000002", "lease", "y__lock__0000000001"]);
        assert_eq!(
            contenders(&children, EXCLUSIVE),
            ["y__lock__0000000001", "x__lock__0000000002"]
        );
    }
}
