//! Reading straight into the frame decoder: `read_space` hands out initialised room
//! after the buffered data, `commit` says how much a read filled. The room is
//! zero-filled once, however little each read brings.

use zk_proto::FrameDecoder;

/// A frame holding `body`, with its length prefix.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

/// Reads `bytes` into the decoder as `read` would, `chunk` bytes at a time, asking
/// for `want` bytes of room each time.
fn read_in(d: &mut FrameDecoder, bytes: &[u8], chunk: usize, want: usize) {
    for piece in bytes.chunks(chunk) {
        let room = d.read_space(want.max(piece.len()));
        room[..piece.len()].copy_from_slice(piece);
        d.commit(piece.len());
    }
}

#[test]
fn bytes_read_into_the_room_come_out_as_frames() {
    let mut d = FrameDecoder::new();
    let mut wire = frame(b"first");
    wire.extend(frame(&[7; 3000]));
    read_in(&mut d, &wire, 100, 1024);
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), b"first");
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), [7; 3000]);
    assert_eq!(d.decode().unwrap(), None);
    assert_eq!(d.buffered_len(), 0);
}

#[test]
fn room_no_read_filled_is_handed_out_again_as_it_is() {
    let mut d = FrameDecoder::new();
    d.read_space(100).fill(0xAA);
    d.commit(10);
    assert_eq!(d.buffered_len(), 10);
    // Not zero-filled again: what the earlier read left past its count is still
    // there (a read overwrites it; only committed bytes count).
    assert!(d.read_space(90).iter().all(|&b| b == 0xAA));
    assert!(d.read_space(20).iter().all(|&b| b == 0xAA));
    assert_eq!(
        d.read_space(120)[90..],
        [0; 30],
        "only the new room is zero-filled"
    );
    assert_eq!(d.buffered_len(), 10);
}

#[test]
fn bytes_copied_in_go_right_after_the_data_whatever_room_is_out() {
    let mut d = FrameDecoder::new();
    read_in(&mut d, &frame(b"abc")[..2], 2, 64);
    d.read_space(64).fill(0xEE);
    d.extend_from_slice(&frame(b"abc")[2..]);
    d.extend_from_slice(&frame(b"de"));
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), b"abc");
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), b"de");
    assert_eq!(d.decode().unwrap(), None);
}

#[test]
fn the_buffer_handed_out_holds_only_the_data() {
    let mut d = FrameDecoder::new();
    read_in(&mut d, b"\0\0\0\x05hel", 7, 256);
    d.read_space(256);
    assert_eq!(d.buffer_mut().as_ref(), b"\0\0\0\x05hel");
    d.buffer_mut().extend_from_slice(b"lo");
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), b"hello");
}

#[test]
fn a_large_frame_is_read_in_place_once_its_length_is_known() {
    let body = vec![3u8; 200_000];
    let wire = frame(&body);
    let mut d = FrameDecoder::new();
    read_in(&mut d, &wire[..1000], 1000, 1000);
    assert_eq!(
        d.decode().unwrap(),
        None,
        "the length is in, the body is not"
    );
    assert!(
        d.room() >= wire.len() - 1000,
        "room for the whole frame is reserved"
    );
    read_in(&mut d, &wire[1000..], 1460, wire.len() - 1000);
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), body.as_slice());
}

#[test]
fn a_stream_of_small_frames_makes_room_only_every_few_reads() {
    // Each read brings forty small replies (2.5 KiB). Making room moves what the
    // buffer holds (or allocates): with room for one read only, that came every ~7
    // reads of 16 KiB; room for several makes it rarer.
    let want = 16 * 1024;
    let replies: Vec<u8> = (0..40).flat_map(|_| frame(&[1; 60])).collect();
    let mut d = FrameDecoder::new();
    let mut room_made = 0;
    for _ in 0..500 {
        if d.room() < want {
            room_made += 1;
        }
        let room = d.read_space(want);
        room[..replies.len()].copy_from_slice(&replies);
        d.commit(replies.len());
        while d.decode().unwrap().is_some() {}
    }
    assert_eq!(d.buffered_len(), 0);
    assert!(
        room_made * 12 <= 500,
        "room made on {room_made} of 500 reads"
    );
}

#[test]
fn a_large_frame_after_one_still_held_gets_room_of_its_own_with_the_bytes_read() {
    let first = vec![1u8; 100_000];
    let second = vec![2u8; 300_000];
    let mut d = FrameDecoder::new();
    read_in(&mut d, &frame(&first), 16_384, 16_384);
    let held = d.decode().unwrap().unwrap();
    let wire = frame(&second);
    // A read of the next frame's start, into room made while `held` shares the
    // buffer's memory, then more room handed out and not filled yet.
    read_in(&mut d, &wire[..5000], 5000, 16_384);
    assert_eq!(d.decode().unwrap(), None);
    assert!(d.room() >= wire.len() - 5000, "room for the whole frame");
    assert_eq!(d.buffered_len(), 5000);
    read_in(&mut d, &wire[5000..], 65_536, 65_536);
    assert_eq!(d.decode().unwrap().unwrap().as_ref(), second.as_slice());
    assert_eq!(
        held.as_ref(),
        first.as_slice(),
        "the held frame is untouched"
    );
    assert_eq!(d.decode().unwrap(), None);
}
