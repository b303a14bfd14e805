//! Helpers for `arbitrary` on fields of foreign types.

use arbitrary::{Arbitrary, Result, Unstructured};
use bytes::Bytes;

/// An arbitrary [`Bytes`].
pub(crate) fn bytes(u: &mut Unstructured<'_>) -> Result<Bytes> {
    Ok(Bytes::from(<Vec<u8> as Arbitrary>::arbitrary(u)?))
}
