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

    /// Reads a jute `buffer` as a zero-copy slice of the frame; `None` if null (-1).
    pub fn read_buffer(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<Option<Bytes>, DecodeError> {
        Ok(self
            .read_len(record, field)?
            .map(|len| self.buf.split_to(len)))
    }

    /// Reads a jute `ustring`; `None` if null (-1). Invalid UTF-8 is an error.
    pub fn read_ustring(
        &mut self,
        record: &'static str,
        field: &'static str,
    ) -> Result<Option<String>, DecodeError> {
        let Some(len) = self.read_len(record, field)? else {
            return Ok(None);
        };
        let s = std::str::from_utf8(&self.buf[..len]).map_err(|e| {
            DecodeError::new(
                record,
                field,
                DecodeErrorKind::InvalidUtf8 {
                    valid_up_to: e.valid_up_to(),
                },
            )
        })?;
        let s = s.to_owned();
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
