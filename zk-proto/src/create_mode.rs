//! Create modes and their TTL rules.

use crate::OpCode;

wire_enum! {
    /// The `flags` of a create request (`CreateMode`).
    pub enum CreateMode {
        /// 0: persistent.
        Persistent = 0 => "PERSISTENT",
        /// 1: ephemeral (deleted with the session).
        Ephemeral = 1 => "EPHEMERAL",
        /// 2: persistent with a sequence suffix.
        PersistentSequential = 2 => "PERSISTENT_SEQUENTIAL",
        /// 3: ephemeral with a sequence suffix.
        EphemeralSequential = 3 => "EPHEMERAL_SEQUENTIAL",
        /// 4: container (deleted once its last child is gone); op 19.
        Container = 4 => "CONTAINER",
        /// 5: persistent with a TTL; op 21.
        PersistentWithTtl = 5 => "PERSISTENT_WITH_TTL",
        /// 6: persistent sequential with a TTL; op 21.
        PersistentSequentialWithTtl = 6 => "PERSISTENT_SEQUENTIAL_WITH_TTL",
    }
}
display_by_name!(CreateMode);

/// The largest TTL a server accepts: `0xFF_FFFF_FFFF` ms (about 34 years).
pub const MAX_TTL: i64 = 0xFF_FFFF_FFFF;

/// A create mode and TTL that do not go together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreateModeError {
    /// The mode is not one of the seven known flags.
    #[error("unknown create mode {0}")]
    UnknownMode(i32),
    /// A TTL mode without a TTL.
    #[error("create mode {0} needs a TTL")]
    TtlRequired(CreateMode),
    /// A TTL given with a mode that has none.
    #[error("create mode {mode} takes no TTL, got {ttl}")]
    TtlNotAllowed {
        /// The mode.
        mode: CreateMode,
        /// The TTL given.
        ttl: i64,
    },
    /// A TTL outside `1..=MAX_TTL`.
    #[error("TTL {0} ms is outside 1..={MAX_TTL}")]
    TtlOutOfRange(i64),
}

impl CreateMode {
    /// Whether the server appends a sequence suffix (flags 2, 3, 6).
    pub const fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    /// Whether the node dies with the session (flags 1, 3).
    pub const fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    /// Whether the mode carries a TTL (flags 5, 6).
    pub const fn is_ttl(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }

    /// Whether this is a container (flag 4).
    pub const fn is_container(self) -> bool {
        matches!(self, CreateMode::Container)
    }

    /// The op code a create in this mode uses: [`OpCode::CreateTtl`] for TTL modes,
    /// [`OpCode::CreateContainer`] for containers, else [`OpCode::Create2`] when a Stat
    /// is wanted and [`OpCode::Create`] when not. Unknown modes use 1 / 15.
    pub const fn op_code(self, with_stat: bool) -> OpCode {
        if self.is_ttl() {
            OpCode::CreateTtl
        } else if self.is_container() {
            OpCode::CreateContainer
        } else if with_stat {
            OpCode::Create2
        } else {
            OpCode::Create
        }
    }

    /// Checks that `ttl` suits this mode: TTL modes need `Some(1..=MAX_TTL)`, every other
    /// known mode needs `None`, and unknown modes are refused.
    pub const fn validate_ttl(self, ttl: Option<i64>) -> Result<(), CreateModeError> {
        match (self, ttl) {
            (CreateMode::Unknown(v), _) => Err(CreateModeError::UnknownMode(v)),
            (m, None) if m.is_ttl() => Err(CreateModeError::TtlRequired(m)),
            (m, Some(t)) if m.is_ttl() => {
                if t > 0 && t <= MAX_TTL {
                    Ok(())
                } else {
                    Err(CreateModeError::TtlOutOfRange(t))
                }
            }
            (m, Some(t)) => Err(CreateModeError::TtlNotAllowed { mode: m, ttl: t }),
            (_, None) => Ok(()),
        }
    }
}
