//! Decode errors: which record, which field, and why.

use std::fmt;

/// Why a field could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A fixed-size field (int, long, boolean) ran past the end of the frame.
    UnexpectedEof {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the frame.
        remaining: usize,
    },
    /// A length or count below -1 (or -1 where null is not allowed).
    NegativeLength(i32),
    /// A buffer or string length larger than what is left of the frame.
    LengthPastEnd {
        /// The length read from the wire.
        len: usize,
        /// Bytes left in the frame after the length prefix.
        remaining: usize,
    },
    /// A vector count that cannot fit in the rest of the frame, even at the smallest
    /// possible element size. Nothing is allocated before this check.
    CountPastEnd {
        /// The element count read from the wire.
        count: usize,
        /// The smallest encoded size of one element.
        min_element_len: usize,
        /// Bytes left in the frame after the count.
        remaining: usize,
    },
    /// A ustring that is not valid UTF-8.
    InvalidUtf8 {
        /// Length of the valid prefix, in bytes.
        valid_up_to: usize,
    },
    /// A multi header announced an op type this crate cannot decode a body for.
    UnknownMultiType(i32),
    /// The op code has no record of the requested kind (for example `Response::decode`
    /// with op `Check`, or `Request::decode` with op `Notification`).
    UnsupportedOp(i32),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeErrorKind::UnexpectedEof { needed, remaining } => {
                write!(f, "needs {needed} bytes but only {remaining} bytes remain")
            }
            DecodeErrorKind::NegativeLength(n) => write!(f, "invalid negative length {n}"),
            DecodeErrorKind::LengthPastEnd { len, remaining } => {
                write!(f, "length {len} exceeds the {remaining} bytes remaining")
            }
            DecodeErrorKind::CountPastEnd {
                count,
                min_element_len,
                remaining,
            } => write!(
                f,
                "vector count {count} (at least {min_element_len} bytes each) exceeds the {remaining} bytes remaining"
            ),
            DecodeErrorKind::InvalidUtf8 { valid_up_to } => {
                write!(f, "invalid UTF-8 after {valid_up_to} valid bytes")
            }
            DecodeErrorKind::UnknownMultiType(t) => write!(f, "unknown multi op type {t}"),
            DecodeErrorKind::UnsupportedOp(op) => {
                write!(f, "op code {op} has no record of this kind")
            }
        }
    }
}

/// A record could not be decoded: names the record and field, and says why.
///
/// Display looks like `GetDataResponse.data: length 5000 exceeds the 12 bytes remaining`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}.{field}: {kind}")]
pub struct DecodeError {
    /// The jute record being decoded (e.g. `"GetDataResponse"`).
    pub record: &'static str,
    /// The field of that record (e.g. `"data"`).
    pub field: &'static str,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// Builds an error.
    pub const fn new(record: &'static str, field: &'static str, kind: DecodeErrorKind) -> Self {
        DecodeError {
            record,
            field,
            kind,
        }
    }
}
