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
//! | ustring | `String` | int length + UTF-8 (decoded leniently, see below) |
//! | vector&lt;T&gt; | `Vec<T>` | int count + elements |
//! | record | a struct | its fields in order |
//!
//! Null (-1) handling: a null buffer decodes as an empty [`Bytes`], a null ustring as an
//! empty `String` and a null vector as an empty `Vec`, except for fields typed
//! `Option<String>` (the `ReconfigRequest` strings), where null is `None`. Encoders never
//! write -1 except for those `None` strings. Any other negative length is an error.
//!
//! Strings are written as standard UTF-8 (which Java's reader decodes correctly, while
//! it would turn Java's own surrogate pairs into U+FFFD). They are read the way Java reads them: never
//! failing on the bytes themselves. Valid UTF-8 is taken as is, the surrogate pairs
//! Java's writer emits for characters outside the BMP are joined back into one
//! character, and anything else invalid becomes U+FFFD; see [`decode_java_string`].
//! So a ustring field fails a frame only through its length.
//!
//! Trailing bytes after a record are left unread and are not an error: the frame length
//! is the delimiter.

mod error;
mod reader;

use bytes::{BufMut, Bytes};

pub use error::{DecodeError, DecodeErrorKind, DecodeLocation};
pub use reader::{Reader, decode_java_string};

/// A value with a jute encoding.
pub trait Encode {
    /// The exact number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;

    /// Writes the encoding to `buf`.
    ///
    /// # Panics
    ///
    /// If a buffer, string or vector is longer than `i32::MAX` (bytes or elements),
    /// which jute cannot express. Such a value never fits in a frame; check the frame
    /// length first ([`crate::WireRequest::frame_len`]).
    fn encode(&self, buf: &mut impl BufMut);

    /// The encoding as a fresh vector (convenient in tests).
    ///
    /// # Panics
    ///
    /// As [`Encode::encode`].
    fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }
}

/// A boxed record encodes as the record (the request enum boxes its largest bodies).
impl<T: Encode> Encode for Box<T> {
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }

    fn encode(&self, buf: &mut impl BufMut) {
        (**self).encode(buf)
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

impl<T: Decode> Decode for Box<T> {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        T::decode(r).map(Box::new)
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
    /// Steps over one encoded value without decoding or allocating; `None` where
    /// [`Field::take`] would fail. Lets a decoder count list entries before reserving.
    fn skip(r: &mut Reader) -> Option<()>;
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
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip(4)
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
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip(8)
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
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip(1)
    }
}

/// Writes a buffer/string length or a vector count.
///
/// # Panics
///
/// If `len` exceeds `i32::MAX`: jute cannot express it, and writing anything else would
/// corrupt the stream. Such a field cannot fit in a frame either (frames are at most
/// `i32::MAX` bytes), so callers that check the frame length first
/// ([`crate::WireRequest::frame_len`]) never get here.
fn put_len(buf: &mut impl BufMut, len: usize) {
    let Ok(len) = i32::try_from(len) else {
        panic!("jute length or count {len} exceeds i32::MAX");
    };
    buf.put_i32(len);
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
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip_len_prefixed()
    }
}

impl Field for String {
    const MIN_LEN: usize = 4;
    fn field_len(&self) -> usize {
        4 + self.len()
    }
    /// Writes standard UTF-8, not the CESU-8 surrogate pairs Java's own writer emits for
    /// characters outside the BMP: Java's reader (`new String(bytes, UTF_8)`) decodes a
    /// 4-byte sequence to the right character, but turns each 3-byte surrogate into
    /// U+FFFD. So an ACL id or other string naming such a character (e.g. a digest user
    /// `😀`, whose id the server derived from the UTF-8 auth bytes) reaches the server
    /// intact only as standard UTF-8. Paths cannot hold such characters at all (see
    /// [`crate::validate_path`]).
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
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip_len_prefixed()
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
    fn skip(r: &mut Reader) -> Option<()> {
        r.skip_len_prefixed()
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
        // `read_count` proved `count * MIN_LEN <= remaining`, so reserving `count`
        // elements costs at most `size_of::<T>() / MIN_LEN` bytes per byte of frame (6 for
        // strings, the worst case; see the crate docs). The count is reserved exactly, so
        // a vector never grows by doubling: no over-allocation, no transient copy.
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            out.push(T::take(r, record, field).map_err(|e| e.at_index(i))?);
        }
        Ok(out)
    }
    fn skip(r: &mut Reader) -> Option<()> {
        let count = r.read_count("", "", T::MIN_LEN).ok()?.unwrap_or(0);
        (0..count).try_for_each(|_| T::skip(r))
    }
}
