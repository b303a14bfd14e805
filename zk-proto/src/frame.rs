//! Framing: a 4-byte big-endian signed length, then that many bytes.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::jute::Encode;

/// The default maximum frame length: `jute.maxbuffer`, 0xfffff = 1,048,575 bytes.
pub const DEFAULT_MAX_FRAME_LEN: usize = 1_048_575;

/// Length of the frame length prefix.
pub const LENGTH_PREFIX_LEN: usize = 4;

/// How many reads of the size asked for fit in the room `read_space` makes when it
/// must move or grow the buffer.
const ROOM_PER_MOVE: usize = 4;

/// A frame length the peer must not send. After this error the connection is unusable:
/// drop it (the decoder keeps returning the same error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix is negative.
    #[error("frame length {0} is negative")]
    NegativeLength(i32),
    /// The length prefix exceeds the configured maximum.
    #[error("frame length {len} exceeds the maximum of {max} bytes")]
    TooLong {
        /// The announced length.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
}

/// Splits a byte stream into frames. Input may be split at any byte.
///
/// The length prefix is checked against the maximum as soon as its 4 bytes are in, before
/// any memory is reserved for the body; then exactly the rest of that frame is reserved.
/// Each frame comes out as [`Bytes`] split off the internal buffer (no copy), without its
/// length prefix.
///
/// A frame (and every zero-copy slice decoded from it, such as znode data) shares its
/// allocation with the decoder's read buffer, so keeping a small slice alive keeps that
/// allocation alive; copy out (`Bytes::copy_from_slice`) anything kept for long.
///
/// ```
/// use zk_proto::FrameDecoder;
/// let mut d = FrameDecoder::new();
/// d.extend_from_slice(&[0, 0, 0, 2, 0xAB]);
/// assert_eq!(d.decode().unwrap(), None);
/// d.extend_from_slice(&[0xCD, 0, 0]);
/// assert_eq!(d.decode().unwrap().unwrap().as_ref(), &[0xAB, 0xCD]);
/// assert_eq!(d.decode().unwrap(), None);
/// assert_eq!(d.buffered_len(), 2);
/// ```
pub struct FrameDecoder {
    /// The buffered data, then `spare` bytes of room for reads.
    buf: BytesMut,
    /// Initialised room after the data that [`FrameDecoder::read_space`] handed out
    /// and no read filled yet: kept for the next read, so no byte is zero-filled
    /// twice however little each read brings.
    spare: usize,
    max_frame_len: usize,
    error: Option<FrameError>,
}

/// Only the buffer's length: it holds whatever arrived, a handshake's session
/// password or an auth packet among it.
impl std::fmt::Debug for FrameDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("buffered_len", &self.buffered_len())
            .field("spare", &self.spare)
            .field("max_frame_len", &self.max_frame_len)
            .field("error", &self.error)
            .finish()
    }
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// A decoder with the maximum [`DEFAULT_MAX_FRAME_LEN`].
    pub fn new() -> Self {
        FrameDecoder::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A decoder refusing frames longer than `max_frame_len` bytes (prefix not counted).
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        FrameDecoder {
            buf: BytesMut::new(),
            spare: 0,
            max_frame_len,
            error: None,
        }
    }

    /// The maximum frame length.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Appends received bytes.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        let start = self.buffered_len();
        let into_spare = self.spare.min(data.len());
        self.buf[start..start + into_spare].copy_from_slice(&data[..into_spare]);
        self.spare -= into_spare;
        self.buf.extend_from_slice(&data[into_spare..]);
    }

    /// Room for a read of up to `want` bytes, right after the buffered data: read into
    /// it, then report how much came with [`FrameDecoder::commit`]. The room is
    /// initialised (zero-filled: safe code cannot hand out uninitialised memory), but
    /// only once: room an earlier call handed out and no read filled is handed out
    /// again as it is.
    pub fn read_space(&mut self, want: usize) -> &mut [u8] {
        let start = self.buffered_len();
        if self.spare < want {
            if self.buf.capacity() < start + want {
                // Making room moves what the buffer holds (its spare room too) to the
                // front of its memory, or to new memory: room for several reads at
                // once makes that happen once every few reads' worth of frames, not
                // every few small frames.
                self.buf.reserve(ROOM_PER_MOVE * want - self.spare);
            }
            self.buf.resize(start + want, 0);
            self.spare = want;
        }
        &mut self.buf[start..start + want]
    }

    /// `n` bytes were read into the start of the room [`FrameDecoder::read_space`]
    /// handed out: they are buffered data now.
    pub fn commit(&mut self, n: usize) {
        self.spare -= n.min(self.spare);
    }

    /// Bytes the buffer takes, after the buffered data, without growing (and so
    /// without moving what it holds).
    pub fn room(&self) -> usize {
        self.buf.capacity() - self.buffered_len()
    }

    /// The internal buffer, holding exactly the buffered data (room from
    /// [`FrameDecoder::read_space`] is given up), for reading into it directly (e.g.
    /// `read_buf`) or looking at what came. Only append to it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        let data = self.buffered_len();
        self.buf.truncate(data);
        self.spare = 0;
        &mut self.buf
    }

    /// Bytes received but not yet handed out as frames.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.spare
    }

    /// How many more bytes complete the frame being assembled (at least 1 when nothing
    /// is buffered; 0 when a whole frame is ready). Useful as a read size hint.
    pub fn bytes_needed(&self) -> usize {
        match self.peek_len() {
            Some(Ok(len)) => (LENGTH_PREFIX_LEN + len).saturating_sub(self.buffered_len()),
            Some(Err(_)) => 0,
            None => LENGTH_PREFIX_LEN - self.buffered_len(),
        }
    }

    fn peek_len(&self) -> Option<Result<usize, FrameError>> {
        if self.buffered_len() < LENGTH_PREFIX_LEN {
            return None;
        }
        let raw = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        Some(match usize::try_from(raw) {
            Err(_) => Err(FrameError::NegativeLength(raw)),
            Ok(len) if len > self.max_frame_len => Err(FrameError::TooLong {
                len,
                max: self.max_frame_len,
            }),
            Ok(len) => Ok(len),
        })
    }

    /// The next complete frame (without its prefix), `Ok(None)` if more input is needed,
    /// or an error for a bad length (sticky: the stream cannot be resynchronised).
    pub fn decode(&mut self) -> Result<Option<Bytes>, FrameError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let len = match self.peek_len() {
            None => return Ok(None),
            Some(Err(e)) => {
                self.error = Some(e);
                return Err(e);
            }
            Some(Ok(len)) => len,
        };
        let total = LENGTH_PREFIX_LEN + len;
        if self.buffered_len() < total {
            // The length is valid: reserve what this frame still needs, and no more.
            self.make_room_for_frame(total);
            return Ok(None);
        }
        self.buf.advance(LENGTH_PREFIX_LEN);
        Ok(Some(self.buf.split_to(len).freeze()))
    }

    /// Room for a whole frame of `total` bytes (prefix included) from the start of the
    /// buffered data. Memory the buffer can take back (its last frame was dropped) is
    /// used again; otherwise the frame gets memory of its own, into which only the
    /// buffered bytes are copied: growing the buffer in place would reallocate, and
    /// the allocator copies the old allocation whole (bytes already handed out, and
    /// room for reads still empty, too).
    fn make_room_for_frame(&mut self, total: usize) {
        let more = total.saturating_sub(self.buf.len());
        if self.buf.capacity() - self.buf.len() >= more || self.buf.try_reclaim(more) {
            return;
        }
        let mut own = BytesMut::with_capacity(total);
        // With the spare room: it stays initialised room for the next read.
        own.extend_from_slice(&self.buf);
        self.buf = own;
    }
}

/// The frame length as the prefix's i32, checked before anything is reserved.
fn prefix(len: usize) -> i32 {
    let Ok(prefix) = i32::try_from(len) else {
        panic!("frame of {len} bytes exceeds i32::MAX, the longest a length prefix can say");
    };
    prefix
}

/// Appends one frame holding `body`: reserves `encoded_len + 4` once, writes the prefix
/// and the body.
///
/// # Panics
///
/// If `body.encoded_len()` exceeds `i32::MAX`, before anything is reserved or written.
/// Check the length first (as the session does against its maximum frame length) to
/// avoid it.
pub fn encode_frame<T: Encode + ?Sized>(body: &T, buf: &mut BytesMut) {
    encode_frame_with_header(&NoHeader, body, buf);
}

/// The header of a frame that has none.
struct NoHeader;

impl Encode for NoHeader {
    fn encoded_len(&self) -> usize {
        0
    }

    fn encode(&self, _: &mut impl BufMut) {}
}

/// Appends one frame holding `header` then `body` (a request or reply), in one pass.
///
/// # Panics
///
/// If the header and body together exceed `i32::MAX` bytes, before anything is reserved
/// or written. For requests, [`WireRequest::frame_len`](crate::WireRequest::frame_len) gives
/// the length to check first.
pub fn encode_frame_with_header<H: Encode + ?Sized, T: Encode + ?Sized>(
    header: &H,
    body: &T,
    buf: &mut BytesMut,
) {
    let len = header.encoded_len() + body.encoded_len();
    let prefix = prefix(len);
    if len > SLICE_ENCODED_MAX {
        // Zeroing the room first would cost as much as writing the payload.
        buf.reserve(LENGTH_PREFIX_LEN + len);
        buf.put_i32(prefix);
        header.encode(buf);
        body.encode(buf);
        return;
    }
    let mut out = frame_room(buf, len);
    out.put_i32(prefix);
    header.encode(&mut out);
    body.encode(&mut out);
    debug_assert!(out.is_empty(), "encoded_len said more than encode wrote");
}

/// The longest frame encoded into a slice (see [`frame_room`]); a longer one is
/// mostly payload, written into the buffer as it grows.
const SLICE_ENCODED_MAX: usize = 64 * 1024;

/// The room for a frame of `len` bytes after its prefix, appended to `buf` (zeroed,
/// then overwritten). Encoding into a slice keeps every small write inlined, where
/// `BytesMut`'s own `put_slice` is a call per field.
fn frame_room(buf: &mut BytesMut, len: usize) -> &mut [u8] {
    let start = buf.len();
    buf.resize(start + LENGTH_PREFIX_LEN + len, 0);
    &mut buf[start..]
}
