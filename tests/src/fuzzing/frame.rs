//! `frame`: the frame decoder on a stream split into arbitrary chunks.

use zk_proto::{DEFAULT_MAX_FRAME_LEN, FrameDecoder, FrameError, LENGTH_PREFIX_LEN};

use super::input::Input;

/// The maximum frame lengths a run can pick (byte 0 of the input, modulo 8).
pub(crate) const MAXES: [usize; 8] = [0, 1, 4, 16, 100, 1024, 65536, DEFAULT_MAX_FRAME_LEN];

/// Input: byte 0 picks the maximum frame length from [`MAXES`]; byte 1 modulo 16 is the
/// number `c` of chunk lengths; the next `c` bytes are chunk lengths (0 = an empty
/// feed), used in turn, cyclically; the rest is the stream. With no chunk lengths (or
/// all 0) the stream is fed whole.
///
/// Invariants:
/// * fed whole or chunk by chunk (draining after each chunk, as a driver does), the
///   decoder yields exactly the frames, and then the error, that a plain reference parser
///   finds in the stream;
/// * an error is sticky;
/// * while a frame is incomplete, the bytes buffered are less than the frame's whole
///   length and [`FrameDecoder::bytes_needed`] completes it exactly;
/// * the buffer's capacity stays within 4 * (prefix + maximum + largest chunk): a
///   length prefix never makes the decoder reserve more than the maximum.
pub fn frame(data: &[u8]) {
    let mut input = Input::new(data);
    let Some(max) = input.pick(&MAXES) else {
        return;
    };
    let Some(count) = input.u8() else {
        return;
    };
    let Some(chunks) = input.bytes(usize::from(count % 16)) else {
        return;
    };
    let stream = input.rest();
    let chunks: Vec<usize> = if chunks.iter().all(|&c| c == 0) {
        vec![stream.len()]
    } else {
        chunks.iter().map(|&c| usize::from(c)).collect()
    };

    let expected = reference(stream, max);

    // Whole.
    let mut whole = FrameDecoder::with_max_frame_len(max);
    whole.extend_from_slice(stream);
    let mut got = Vec::new();
    let end = drain(&mut whole, &mut got);
    assert_eq!(
        (&got, end),
        (&expected.0, expected.1),
        "whole stream, max {max}"
    );

    // Chunked.
    // No single reservation exceeds prefix + max + largest chunk (`need`). Frames split
    // off the front leave a consumed prefix behind, and `BytesMut` grows an allocation
    // it cannot reuse to twice its size, so the buffer may reach about 4 * `need`, never
    // more: memory stays proportional to the maximum, whatever length a prefix claims.
    let largest = chunks.iter().copied().max().unwrap_or(0);
    let bound = 4 * (LENGTH_PREFIX_LEN + max + largest) + 64;
    let mut dec = FrameDecoder::with_max_frame_len(max);
    let mut got = Vec::new();
    let mut rest = stream;
    let mut end = Ok(());
    for (i, &len) in chunks.iter().cycle().enumerate() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        if i % 2 == 0 {
            dec.extend_from_slice(chunk);
        } else {
            dec.buffer_mut().extend_from_slice(chunk);
        }
        end = drain(&mut dec, &mut got);
        if end.is_err() {
            break;
        }
        check_pending(&mut dec, max, bound);
    }
    if end.is_ok() {
        // An empty stream, or the last chunk: drain once more (a no-op).
        end = drain(&mut dec, &mut got);
    }
    assert_eq!(
        (&got, end),
        (&expected.0, expected.1),
        "chunked {chunks:?}, max {max}"
    );
    if let Err(e) = end {
        assert_eq!(dec.decode(), Err(e), "the error is sticky");
        dec.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(dec.decode(), Err(e), "the error is sticky after more input");
    }
}

/// Takes every ready frame; `Err` if the decoder failed.
fn drain(dec: &mut FrameDecoder, out: &mut Vec<Vec<u8>>) -> Result<(), FrameError> {
    // A bound on iterations: each frame consumes at least its 4-byte prefix.
    for _ in 0..=dec.buffered_len() / LENGTH_PREFIX_LEN + 1 {
        match dec.decode()? {
            Some(f) => out.push(f.to_vec()),
            None => return Ok(()),
        }
    }
    panic!("decode() keeps returning frames without consuming input");
}

/// After a drain that ended with `Ok(None)`.
fn check_pending(dec: &mut FrameDecoder, max: usize, bound: usize) {
    let buffered = dec.buffered_len();
    let needed = dec.bytes_needed();
    assert!(needed >= 1, "no frame ready, yet bytes_needed is 0");
    assert!(
        buffered < LENGTH_PREFIX_LEN + max,
        "{buffered} bytes buffered with no frame ready (max {max})"
    );
    if buffered >= LENGTH_PREFIX_LEN {
        assert!(buffered + needed <= LENGTH_PREFIX_LEN + max);
    } else {
        assert_eq!(buffered + needed, LENGTH_PREFIX_LEN);
    }
    // `buffer_mut` is used only to read the capacity.
    let cap = dec.buffer_mut().capacity();
    assert!(
        cap <= bound,
        "buffer capacity {cap} with {buffered} bytes buffered, bound {bound} (max {max})"
    );
}

/// The frames in `stream`, then `Err` at the first bad length prefix.
fn reference(stream: &[u8], max: usize) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
    let mut frames = Vec::new();
    let mut rest = stream;
    while rest.len() >= 4 {
        let raw = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if raw < 0 {
            return (frames, Err(FrameError::NegativeLength(raw)));
        }
        let len = raw as usize;
        if len > max {
            return (frames, Err(FrameError::TooLong { len, max }));
        }
        if rest.len() < 4 + len {
            break;
        }
        frames.push(rest[4..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    (frames, Ok(()))
}
