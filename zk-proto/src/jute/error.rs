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
    /// A multi header announced an op type this crate cannot decode a body for.
    UnknownMultiType(i32),
    /// The op code has no record of the requested kind (for example `WireResponse::decode`
    /// with op `Check`, or `WireRequest::decode` with op `Notification`).
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
            DecodeErrorKind::UnknownMultiType(t) => write!(f, "unknown multi op type {t}"),
            DecodeErrorKind::UnsupportedOp(op) => {
                write!(f, "op code {op} has no record of this kind")
            }
        }
    }
}

/// One enclosing field of a failed decode: the record, the field of it that was being
/// read, and the element index when that field is a vector (or a multi's list of ops or
/// results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLocation {
    /// The enclosing record (e.g. `"GetDataResponse"`).
    pub record: &'static str,
    /// Its field being read (e.g. `"stat"`).
    pub field: &'static str,
    /// The element being read, when the field is a vector.
    pub index: Option<usize>,
}

impl fmt::Display for DecodeLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.record, self.field)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}

/// A record could not be decoded: names the record and field, the records it is nested
/// in, and says why.
///
/// Display looks like `GetDataResponse.data: length 5000 exceeds the 12 bytes remaining`,
/// or, for a nested record, `GetDataResponse.stat: Stat.czxid: needs 8 bytes but only 3
/// bytes remain` and `MultiResponse.results[2]: Create2Response.path: ...`.
///
/// The enclosing fields are only collected on the error path, as the error travels out
/// of the nested decoders; a successful decode pays nothing for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", DisplayError(self))]
pub struct DecodeError {
    /// The innermost jute record being decoded when it failed (e.g. `"Stat"`).
    pub record: &'static str,
    /// The field of that record (e.g. `"czxid"`).
    pub field: &'static str,
    /// The element of that field being read, when the field is a vector of primitives
    /// (e.g. the 3rd string of `GetChildrenResponse.children`).
    pub index: Option<usize>,
    /// The enclosing records and fields, outermost first (empty when the failing field
    /// belongs to the record decoding was asked for).
    pub outer: Vec<DecodeLocation>,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

struct DisplayError<'a>(&'a DecodeError);

impl fmt::Display for DisplayError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        for loc in &e.outer {
            write!(f, "{loc}: ")?;
        }
        let leaf = DecodeLocation {
            record: e.record,
            field: e.field,
            index: e.index,
        };
        write!(f, "{leaf}: {}", e.kind)
    }
}

impl DecodeError {
    /// Builds an error about `record.field` with no enclosing records.
    pub const fn new(record: &'static str, field: &'static str, kind: DecodeErrorKind) -> Self {
        DecodeError {
            record,
            field,
            index: None,
            outer: Vec::new(),
            kind,
        }
    }

    /// Records that this error happened while reading `record.field` (element `index`
    /// if it is a vector) of an enclosing record. Called on the error path only.
    #[must_use]
    pub fn within(
        mut self,
        record: &'static str,
        field: &'static str,
        index: Option<usize>,
    ) -> Self {
        self.outer.insert(
            0,
            DecodeLocation {
                record,
                field,
                index,
            },
        );
        self
    }

    /// Sets the element index on the outermost location, which is the one the caller
    /// (a vector decoder) named when it read the element.
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        match self.outer.first_mut() {
            Some(loc) => loc.index = Some(index),
            None => self.index = Some(index),
        }
        self
    }

    /// The enclosing locations and the failing one, outermost first.
    pub fn locations(&self) -> impl Iterator<Item = DecodeLocation> + '_ {
        self.outer
            .iter()
            .copied()
            .chain(std::iter::once(DecodeLocation {
                record: self.record,
                field: self.field,
                index: self.index,
            }))
    }
}
