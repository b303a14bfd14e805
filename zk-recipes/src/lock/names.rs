//! Lock node names as kazoo writes them, so that contenders of both interoperate:
//! `<32 hex digits>__lock__<10-digit sequence>` (`__rlock__` for read locks), ordered
//! by the sequence the server appended.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The kind of a contender's node: kazoo's `_NODE_NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An exclusive (or write) lock's node: `__lock__`.
    Exclusive,
    /// A read lock's node: `__rlock__`.
    Shared,
}

impl Kind {
    /// The marker between the contender's id and the sequence.
    pub fn marker(self) -> &'static str {
        match self {
            Kind::Exclusive => "__lock__",
            Kind::Shared => "__rlock__",
        }
    }
}

/// A fresh contender prefix: 32 random hex digits and the kind's marker. The random
/// part finds the node again after a create whose reply was lost.
pub fn new_prefix(kind: Kind) -> String {
    format!("{}{}", unique_id(), kind.marker())
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

/// The sequence of a contender node whose kind is among `blocking`, as kazoo parses
/// it (`<marker>-?<10 digits>` at the end of the name); `None` for other children.
pub fn sequence<'a>(name: &'a str, blocking: &[Kind]) -> Option<&'a str> {
    blocking.iter().find_map(|kind| {
        let at = name.rfind(kind.marker())?;
        let seq = &name[at + kind.marker().len()..];
        let digits = seq.strip_prefix('-').unwrap_or(seq);
        (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(seq)
    })
}

/// The contender just before `own` among `children` that blocks it (whose kind is in
/// `blocking`), ordered by sequence as kazoo orders them; `Ok(None)`: nobody does, the
/// lock is `own`'s. `Err(())`: `own` is not among the children (its node is gone).
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
        .filter(|(s, c)| *s < own_sequence && *c != own)
        .max_by(|a, b| a.0.cmp(b.0))
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

    #[test]
    fn contenders_come_in_sequence_order_and_other_children_are_left_out() {
        let children = names(&["x__lock__0000000002", "lease", "y__lock__0000000001"]);
        assert_eq!(
            contenders(&children, EXCLUSIVE),
            ["y__lock__0000000001", "x__lock__0000000002"]
        );
    }
}
