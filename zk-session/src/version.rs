//! Which version of a node a conditional write expects.

use zk_proto::Stat;

/// The version a conditional write (delete, setData, setACL, a transaction's check)
/// expects the node to have. The server refuses the write with `BadVersion` when the
/// node's version differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// Whatever the node's version is (the wire's −1).
    #[default]
    Any,
    /// Exactly this version: the `version` (data) or `aversion` (ACL) of a [`Stat`]
    /// read earlier.
    Exact(i32),
}

impl Version {
    /// The data version of `stat`: a write that succeeds only if nobody changed the
    /// node's data since `stat` was read.
    pub fn of_data(stat: &Stat) -> Version {
        Version::Exact(stat.version)
    }

    /// The ACL version of `stat` (for setACL).
    pub fn of_acl(stat: &Stat) -> Version {
        Version::Exact(stat.aversion)
    }

    /// The value on the wire. `Exact(-1)` is refused at submit
    /// ([`crate::SubmitError::AmbiguousVersion`]), so −1 always means [`Version::Any`].
    pub(crate) fn wire(self) -> i32 {
        match self {
            Version::Any => -1,
            Version::Exact(v) => v,
        }
    }
}
