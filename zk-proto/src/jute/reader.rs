//! A strict reader over one frame.

use bytes::{Buf, Bytes};

use super::Decode;
use super::error::{DecodeError, DecodeErrorKind};

/// Reads jute primitives from one frame, never trusting a length.
///
/// The reader owns a [`Bytes`] handle to the frame; buffers come out as zero-copy slices of
/// it. Every length and count is checked against the bytes remaining before anything is
/// allocated. Each read names the record and field it belongs to, so an error says where
/// decoding stopped.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
}

impl Reader {
    /// A reader over a whole frame (or any part of one).
    pub fn new(frame: Bytes) -> Self {
        Reader { buf: frame }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether everything has been consumed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes not yet consumed (a cheap clone of the frame handle).
    pub fn rest(&self) -> Bytes {
        self.buf.clone()
    }

    /// Decodes a record of type `T`.
    pub fn read<T: Decode>(&mut self) -> Result<T, DecodeError> {
        T::decode(self)
    }

    fn need(&self, n: usize, record: &'static str, field: &'static str) -> Result<(), DecodeError> {
        if self.buf.len() < n {
            Err(DecodeError::new(
                record,
                field,
                DecodeErrorKind::UnexpectedEof {
                    needed: n,
                    remaining: self.buf.len(),
                },
            ))
        } else {
            Ok(())
        }
    }

    /// Reads a jute `int`.
    pub fn read_i32(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<i32, DecodeError> {
        self.need(4, record, field)?;
        Ok(self.buf.get_i32())
    }

    /// Reads a jute `long`.
    pub fn read_i64(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<i64, DecodeError> {
        self.need(8, record, field)?;
        Ok(self.buf.get_i64())
    }

    /// Reads a jute `boolean`; any non-zero byte is true, as in Java.
    pub fn read_bool(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<bool, DecodeError> {
        self.need(1, record, field)?;
        Ok(self.buf.get_u8() != 0)
    }

    /// Reads a length prefix: `None` for -1 (null), an error for any other negative value
    /// or a length past the end of the frame.
    fn read_len(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<Option<usize>, DecodeError> {
        let len = self.read_i32(record, field)?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len)
            .map_err(|_| DecodeError::new(record, field, DecodeErrorKind::NegativeLength(len)))?;
        if len > self.buf.len() {
            return Err(DecodeError::new(
                record,
                field,
                DecodeErrorKind::LengthPastEnd {
                    len,
                    remaining: self.buf.len(),
                },
            ));
        }
        Ok(Some(len))
    }

    /// Steps over `n` bytes; `None` (and nothing consumed) if fewer remain.
    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        (n <= self.buf.len()).then(|| self.buf.advance(n))
    }

    /// Steps over a length-prefixed buffer or string (null included); `None` where
    /// reading it would fail.
    pub(crate) fn skip_len_prefixed(&mut self) -> Option<()> {
        let len = self.read_len("", "").ok()?.unwrap_or(0);
        self.skip(len)
    }

    /// Reads a jute `buffer` as a zero-copy slice of the frame; `None` if null (-1).
    ///
    /// The record fields typed [`Bytes`] turn `None` into an empty buffer, so a node
    /// created with null data (which Java's getData returns as `null`) reads the same as
    /// a node with empty data.
    pub fn read_buffer(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<Option<Bytes>, DecodeError> {
        Ok(self
            .read_len(record, field)?
            .map(|len| self.buf.split_to(len)))
    }

    /// Reads a jute `ustring`; `None` if null (-1).
    ///
    /// Never fails on the string's bytes (only on its length), because a Java peer
    /// never does either; see [`decode_java_string`] for how the bytes become a
    /// `String`.
    pub fn read_ustring(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<Option<String>, DecodeError> {
        let Some(len) = self.read_len(record, field)? else {
            return Ok(None);
        };
        let s = decode_java_string(&self.buf[..len]);
        self.buf.advance(len);
        Ok(Some(s))
    }

    /// Reads a jute `vector` count; `None` if null (-1). The count is rejected unless
    /// `count * min_element_len` bytes remain, so a caller may reserve `count` elements.
    pub fn read_count(
        &mut self,
        record: &'static str,
        field: &'static str,
        min_element_len: usize,
    ) -> Result<Option<usize>, DecodeError> {
        let count = self.read_i32(record, field)?;
        if count == -1 {
            return Ok(None);
        }
        let count = usize::try_from(count)
            .map_err(|_| DecodeError::new(record, field, DecodeErrorKind::NegativeLength(count)))?;
        let min = min_element_len.max(1);
        if count > self.buf.len() / min {
            return Err(DecodeError::new(
                record,
                field,
                DecodeErrorKind::CountPastEnd {
                    count,
                    min_element_len: min,
                    remaining: self.buf.len(),
                },
            ));
        }
        Ok(Some(count))
    }
}

/// Decodes the bytes of a jute `ustring` as a Java peer wrote and means them. Never fails.
///
/// * Valid UTF-8 is taken as it is (the fast path: one validation, one copy).
/// * Java's writer (`BinaryOutputArchive`) encodes each UTF-16 unit on its own, so a
///   character outside the BMP arrives as two 3-byte surrogate sequences ("CESU-8"):
///   U+1F600 as `ED A0 BD ED B8 80`. Such a high + low surrogate pair becomes the one
///   character it stands for.
/// * Anything else that is not UTF-8 (a lone surrogate, a stray continuation byte, a
///   truncated sequence, `C0`/`F5`–`FF`, ...) becomes U+FFFD, one per maximal invalid
///   sequence, as [`String::from_utf8_lossy`] does. Java's reader (`new String(bytes,
///   UTF_8)`) never fails either; it replaces bad input the same way (its count of
///   U+FFFD for some sequences may differ), but it also turns the surrogate pairs of its
///   own writer into U+FFFD, which this function decodes instead.
///
/// The result is at most 3 times as long as the input (one 3-byte U+FFFD per bad byte).
///
/// ```
/// use zk_proto::decode_java_string;
/// assert_eq!(decode_java_string(b"/a/b"), "/a/b");
/// assert_eq!(decode_java_string(&[0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]), "\u{1F600}");
/// assert_eq!(decode_java_string(&[b'a', 0xFF, b'b']), "a\u{FFFD}b");
/// ```
pub fn decode_java_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => decode_cesu8_lossy(bytes),
    }
}

/// The slow path of [`decode_java_string`]: measures the output first, so the string
/// is allocated once at its exact length.
fn decode_cesu8_lossy(bytes: &[u8]) -> String {
    let mut len = 0;
    for_each_piece(bytes, |piece| len += piece.len());
    let mut out = String::with_capacity(len);
    for_each_piece(bytes, |piece| out.push_str(piece));
    out
}

/// Calls `f` with the decoded text of `bytes` in order, in pieces: runs of valid UTF-8,
/// characters joined from surrogate pairs, and U+FFFD for each invalid sequence.
fn for_each_piece(bytes: &[u8], mut f: impl FnMut(&str)) {
    let mut pos = 0;
    'scan: while pos < bytes.len() {
        for chunk in bytes[pos..].utf8_chunks() {
            f(chunk.valid());
            pos += chunk.valid().len();
            let bad = chunk.invalid();
            if bad.is_empty() {
                continue;
            }
            if let Some(c) = surrogate_pair(&bytes[pos..]) {
                f(c.encode_utf8(&mut [0; 4]));
                pos += 6;
                // The chunk iterator split the pair into invalid pieces: restart after it.
                continue 'scan;
            }
            f(char::REPLACEMENT_CHARACTER.encode_utf8(&mut [0; 4]));
            pos += bad.len();
        }
    }
}

/// A high surrogate then a low surrogate, each as a 3-byte sequence
/// (`ED A0..AF 80..BF`, `ED B0..BF 80..BF`), at the start of `b`: the character they
/// encode together.
fn surrogate_pair(b: &[u8]) -> Option<char> {
    let &[
        0xED,
        h1 @ 0xA0..=0xAF,
        h2 @ 0x80..=0xBF,
        0xED,
        l1 @ 0xB0..=0xBF,
        l2 @ 0x80..=0xBF,
        ..,
    ] = b
    else {
        return None;
    };
    // The 10 payload bits of each surrogate: 4 from the 2nd byte, 6 from the 3rd.
    let high = (u32::from(h1 & 0x0F) << 6) | u32::from(h2 & 0x3F);
    let low = (u32::from(l1 & 0x0F) << 6) | u32::from(l2 & 0x3F);
    char::from_u32(0x1_0000 + (high << 10) + low)
}
