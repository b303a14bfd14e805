//! Identities, permissions and ACLs.

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not};

use bytes::BufMut;

use crate::jute::{DecodeError, Field, Reader};

/// Permission bits of an [`Acl`] (`ZooDefs.Perms`).
///
/// Decoding, encoding, `|` and `&` keep bits outside [`Perms::ALL`] as they are; only
/// `!` drops them (it complements within the five known bits, so `!Perms::READ` is
/// `WRITE | CREATE | DELETE | ADMIN`, not a value with 27 unknown bits set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Perms(pub i32);

impl Perms {
    /// No permission.
    pub const NONE: Perms = Perms(0);
    /// Read data and list children.
    pub const READ: Perms = Perms(1);
    /// Set data.
    pub const WRITE: Perms = Perms(2);
    /// Create children.
    pub const CREATE: Perms = Perms(4);
    /// Delete children.
    pub const DELETE: Perms = Perms(8);
    /// Set the ACL.
    pub const ADMIN: Perms = Perms(16);
    /// All five bits (31).
    pub const ALL: Perms = Perms(31);

    /// The raw bits.
    pub const fn bits(self) -> i32 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: Perms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Perms {
    type Output = Perms;
    fn bitor(self, rhs: Perms) -> Perms {
        Perms(self.0 | rhs.0)
    }
}

impl BitOrAssign for Perms {
    fn bitor_assign(&mut self, rhs: Perms) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Perms {
    type Output = Perms;
    fn bitand(self, rhs: Perms) -> Perms {
        Perms(self.0 & rhs.0)
    }
}

impl BitAndAssign for Perms {
    fn bitand_assign(&mut self, rhs: Perms) {
        self.0 &= rhs.0;
    }
}

impl Not for Perms {
    type Output = Perms;
    /// The known bits not in `self`; bits outside [`Perms::ALL`] are dropped.
    fn not(self) -> Perms {
        Perms(!self.0 & Perms::ALL.0)
    }
}

impl From<i32> for Perms {
    fn from(bits: i32) -> Perms {
        Perms(bits)
    }
}

impl From<Perms> for i32 {
    fn from(p: Perms) -> i32 {
        p.0
    }
}

impl fmt::Display for Perms {
    /// Letters as in the Java CLI: `r`, `w`, `c`, `d`, `a` (e.g. `cdrwa`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (bit, c) in [
            (Perms::CREATE, 'c'),
            (Perms::DELETE, 'd'),
            (Perms::READ, 'r'),
            (Perms::WRITE, 'w'),
            (Perms::ADMIN, 'a'),
        ] {
            if self.contains(bit) {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl Field for Perms {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4
    }
    fn put(&self, buf: &mut impl BufMut) {
        buf.put_i32(self.0);
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        r.read_i32(record, field).map(Perms)
    }
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip(4)
    }
}

record! {
    /// An identity: `scheme:ustring, id:ustring` (e.g. `world:anyone`, `digest:user:hash`).
    #[derive(Hash, PartialOrd, Ord, Default)]
    pub struct Id {
        /// Auth scheme (`world`, `auth`, `digest`, `ip`, `x509`, `sasl`, ...).
        pub scheme: String,
        /// The id within the scheme.
        pub id: String,
    }
}

impl Id {
    /// An id from its scheme and value.
    pub fn new(scheme: impl Into<String>, id: impl Into<String>) -> Id {
        Id {
            scheme: scheme.into(),
            id: id.into(),
        }
    }

    /// `world:anyone`.
    pub fn anyone() -> Id {
        Id::new("world", "anyone")
    }

    /// `auth:` (empty id): the server substitutes the caller's authenticated ids.
    pub fn auth_ids() -> Id {
        Id::new("auth", "")
    }

    /// The `digest` id a session that added the credential `user:password` (with
    /// `add_auth("digest", "user:password")`) holds: `digest:user:` and the base64 of
    /// the credential's SHA-1, as Java's `DigestAuthenticationProvider.generateDigest`
    /// and kazoo's `make_digest_acl_credential` make it. The password itself is never
    /// stored in the ACL.
    ///
    /// ```
    /// use zk_proto::{Acl, Id, Perms};
    /// let bob_only = vec![Acl::new(Perms::ALL, Id::digest("bob", "secret"))];
    /// assert_eq!(bob_only[0].id.id, "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
    /// ```
    pub fn digest(user: &str, password: &str) -> Id {
        Id::new("digest", crate::digest::digest_id(user, password))
    }
}

record! {
    /// One ACL entry: `perms:int, id:Id`.
    #[derive(Hash)]
    pub struct Acl {
        /// Granted permissions.
        pub perms: Perms,
        /// Who they are granted to.
        pub id: Id,
    }
}

impl Acl {
    /// An entry from permissions and an id.
    pub fn new(perms: Perms, id: Id) -> Acl {
        Acl { perms, id }
    }
}

impl Acl {
    /// `OPEN_ACL_UNSAFE`: `[(ALL, world:anyone)]`.
    pub fn open_unsafe() -> Vec<Acl> {
        vec![Acl::new(Perms::ALL, Id::anyone())]
    }

    /// `CREATOR_ALL_ACL`: `[(ALL, auth:)]`; the server substitutes the creator's ids.
    pub fn creator_all() -> Vec<Acl> {
        vec![Acl::new(Perms::ALL, Id::auth_ids())]
    }

    /// `READ_ACL_UNSAFE`: `[(READ, world:anyone)]`.
    pub fn read_unsafe() -> Vec<Acl> {
        vec![Acl::new(Perms::READ, Id::anyone())]
    }
}

record! {
    /// One authenticated identity of a connection, as returned by whoAmI:
    /// `authScheme:ustring, user:ustring`.
    #[derive(Hash, Default)]
    pub struct ClientInfo {
        /// Auth scheme (e.g. `ip`, `digest`).
        pub auth_scheme: String,
        /// The user within that scheme (e.g. `127.0.0.1`).
        pub user: String,
    }
}
