//! Per-session xid generation.

/// Xids for ordinary requests: 1, 2, … `i32::MAX − 1`, then 1 again (as Java's
/// `getXid`). Never 0, never negative (those are reserved: −1 notification, −2 ping,
/// −4 auth, −8 SetWatches in C), never `i32::MAX`.
#[derive(Debug, Clone)]
pub(crate) struct XidGen {
    next: i32,
}

impl Default for XidGen {
    fn default() -> Self {
        XidGen { next: 1 }
    }
}

impl XidGen {
    /// The next xid.
    pub(crate) fn next_xid(&mut self) -> i32 {
        let x = self.next;
        self.next = if x >= i32::MAX - 1 { 1 } else { x + 1 };
        x
    }

    /// Starts the sequence at `next` (tests of the wrap).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn starting_at(next: i32) -> XidGen {
        XidGen { next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_one_and_wraps_before_max() {
        let mut g = XidGen::default();
        assert_eq!(g.next_xid(), 1);
        assert_eq!(g.next_xid(), 2);
        let mut g = XidGen::starting_at(i32::MAX - 2);
        assert_eq!(g.next_xid(), i32::MAX - 2);
        assert_eq!(g.next_xid(), i32::MAX - 1);
        assert_eq!(g.next_xid(), 1);
        assert_eq!(g.next_xid(), 2);
    }
}
