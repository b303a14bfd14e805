//! Jute, the serialization ZooKeeper speaks: primitives, the [`Encode`]/[`Decode`]
//! traits, the strict [`Reader`] and [`DecodeError`].
//!
//! Encoding (big-endian, no alignment):
//!
//! | jute | Rust | bytes |
//! |---|---|---|
//! | int | `i32` | 4 |
//! | long | `i64` | 8 |
//! | boolean | `bool` | 1 (any non-zero byte reads as true) |
//! | buffer | [`Bytes`] | int length + bytes |
//! | ustring | `String` | int length + UTF-8 |
//! | vector&lt;T&gt; | `Vec<T>` | int count + elements |
//! | record | a struct | its fields in order |
//!
//! Null (-1) handling: a null buffer decodes as an empty [`Bytes`], a null ustring as an
//! empty `String` and a null vector as an empty `Vec`, except for fields typed
//! `Option<String>` (the `ReconfigRequest` strings), where null is `None`. Encoders never
//! write -1 except for those `None` strings. Any other negative length is an error.
//!
//! Trailing bytes after a record are left unread and are not an error: the frame length
//! is the delimiter.

mod error;
mod reader;

use bytes::{BufMut, Bytes};

pub use error::{DecodeError, DecodeErrorKind};
pub use reader::Reader;

/// A value with a jute encoding.
pub trait Encode {
    /// The exact number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;

    /// Writes the encoding to `buf`.
    fn encode(&self, buf: &mut impl BufMut);

    /// The encoding as a fresh vector (convenient in tests).
    fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }
}

/// A value that can be decoded from a frame.
pub trait Decode: Sized {
    /// Decodes one value, leaving the reader just after it.
    fn decode(r: &mut Reader) -> Result<Self, DecodeError>;

    /// Decodes one value from the start of `bytes`, ignoring anything after it.
    fn decode_bytes(bytes: Bytes) -> Result<Self, DecodeError> {
        Self::decode(&mut Reader::new(bytes))
    }
}

/// A field of a record: how one field type is written and read. Implemented for the jute
/// primitives, vectors, the wire enums and every record.
pub(crate) trait Field: Sized {
    /// The smallest possible encoding, used to bound vector counts.
    const MIN_LEN: usize;
    /// Encoded length of this value.
    fn field_len(&self) -> usize;
    /// Writes this value.
    fn put(&self, buf: &mut impl BufMut);
    /// Reads a value; `record`/`field` name it in errors.
    fn take(r: &mut Reader, record: &'static str, field: &'static str)
    -> Result<Self, DecodeError>;
}

impl Field for i32 {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4
    }
    fn put(&self, buf: &mut impl BufMut) {
        buf.put_i32(*self);
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        r.read_i32(record, field)
    }
}

impl Field for i64 {
    const MIN_LEN: usize = 8;
    fn field_len(&self) -> usize {
        8
    }
    fn put(&self, buf: &mut impl BufMut) {
        buf.put_i64(*self);
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        r.read_i64(record, field)
    }
}

impl Field for bool {
    const MIN_LEN: usize = 1;
    fn field_len(&self) -> usize {
        1
    }
    fn put(&self, buf: &mut impl BufMut) {
        buf.put_u8(u8::from(*self));
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        r.read_bool(record, field)
    }
}

fn put_len(buf: &mut impl BufMut, len: usize) {
    // Frames are at most 2^31 - 1 bytes, so any field that fits a frame fits an int.
    buf.put_i32(i32::try_from(len).unwrap_or(i32::MAX));
}

impl Field for Bytes {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4 + self.len()
    }
    fn put(&self, buf: &mut impl BufMut) {
        put_len(buf, self.len());
        buf.put_slice(self);
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        Ok(r.read_buffer(record, field)?.unwrap_or_default())
    }
}

impl Field for String {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4 + self.len()
    }
    fn put(&self, buf: &mut impl BufMut) {
        put_len(buf, self.len());
        buf.put_slice(self.as_bytes());
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        Ok(r.read_ustring(record, field)?.unwrap_or_default())
    }
}

impl Field for Option<String> {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4 + self.as_ref().map_or(0, String::len)
    }
    fn put(&self, buf: &mut impl BufMut) {
        match self {
            Some(s) => s.put(buf),
            None => buf.put_i32(-1),
        }
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        r.read_ustring(record, field)
    }
}

impl<T: Field> Field for Vec<T> {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4 + self.iter().map(Field::field_len).sum::<usize>()
    }
    fn put(&self, buf: &mut impl BufMut) {
        put_len(buf, self.len());
        for item in self {
            item.put(buf);
        }
    }
    fn take(
        r: &mut Reader,
        record: &'static str,
        field: &'static str,
    ) -> Result<Self, DecodeError> {
        let Some(count) = r.read_count(record, field, T::MIN_LEN)? else {
            return Ok(Vec::new());
        };
        // `read_count` proved `count * MIN_LEN <= remaining`, so this is bounded by the frame.
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(T::take(r, record, field)?);
        }
        Ok(out)
    }
}
