//! Counting ZooKeeper frames in a byte stream, whatever the read boundaries.

/// The xid of a ping request and of its reply.
const PING_XID: i32 = -2;

/// Follows one direction of a connection: 4-byte big-endian length, then that many bytes.
///
/// The first frame of each direction is the ConnectRequest or ConnectResponse, which has
/// no xid; every later frame starts with its xid, which tells pings apart. A negative
/// length (such as a four-letter word read as a length would not give, but garbage
/// could) stops the counting for the rest of the stream.
#[derive(Debug, Default)]
pub(crate) struct FrameCounter {
    length: [u8; 4],
    length_filled: usize,
    body_left: u64,
    xid: [u8; 4],
    xid_filled: usize,
    in_body: bool,
    frames_done: u64,
    lost_track: bool,
}

/// What one chunk of input completed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FramesSeen {
    pub(crate) frames: u64,
    pub(crate) pings: u64,
}

impl FrameCounter {
    /// Feeds the next bytes of the stream.
    pub(crate) fn feed(&mut self, mut input: &[u8]) -> FramesSeen {
        let mut seen = FramesSeen::default();
        while !input.is_empty() && !self.lost_track {
            if self.in_body {
                let take = input
                    .len()
                    .min(usize::try_from(self.body_left).unwrap_or(usize::MAX));
                let xid_take = take.min(4 - self.xid_filled);
                self.xid[self.xid_filled..self.xid_filled + xid_take]
                    .copy_from_slice(&input[..xid_take]);
                self.xid_filled += xid_take;
                self.body_left -= take as u64;
                input = &input[take..];
            } else {
                let take = input.len().min(4 - self.length_filled);
                self.length[self.length_filled..self.length_filled + take]
                    .copy_from_slice(&input[..take]);
                self.length_filled += take;
                input = &input[take..];
                if self.length_filled < 4 {
                    continue;
                }
                let Ok(length) = u64::try_from(i32::from_be_bytes(self.length)) else {
                    self.lost_track = true;
                    break;
                };
                self.body_left = length;
                self.in_body = true;
            }
            if self.in_body && self.body_left == 0 {
                self.finish_frame(&mut seen);
            }
        }
        seen
    }

    fn finish_frame(&mut self, seen: &mut FramesSeen) {
        seen.frames += 1;
        if self.frames_done > 0 && self.xid_filled == 4 && i32::from_be_bytes(self.xid) == PING_XID
        {
            seen.pings += 1;
        }
        self.frames_done += 1;
        self.in_body = false;
        self.length_filled = 0;
        self.xid_filled = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut bytes = i32::try_from(payload.len()).unwrap().to_be_bytes().to_vec();
        bytes.extend_from_slice(payload);
        bytes
    }

    fn stream() -> Vec<u8> {
        let ping = [(-2i32).to_be_bytes(), 11i32.to_be_bytes()].concat();
        let get = [
            7i32.to_be_bytes().as_slice(),
            &4i32.to_be_bytes(),
            &[0, 0, 0, 1, b'/', 0],
        ]
        .concat();
        // The connect request starts with protocol version 0, then a ping, a request, an
        // empty frame and another ping.
        [
            frame(&[0; 45]),
            frame(&ping),
            frame(&get),
            frame(&[]),
            frame(&ping),
        ]
        .concat()
    }

    #[test]
    fn counts_frames_and_pings_whatever_the_chunking() {
        let bytes = stream();
        for chunk in 1..=bytes.len() {
            let mut counter = FrameCounter::default();
            let mut total = FramesSeen::default();
            for piece in bytes.chunks(chunk) {
                let seen = counter.feed(piece);
                total.frames += seen.frames;
                total.pings += seen.pings;
            }
            assert_eq!(
                total,
                FramesSeen {
                    frames: 5,
                    pings: 2
                },
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn first_frame_is_never_a_ping() {
        let mut counter = FrameCounter::default();
        assert_eq!(
            counter.feed(&frame(&(-2i32).to_be_bytes())),
            FramesSeen {
                frames: 1,
                pings: 0
            }
        );
    }

    #[test]
    fn a_negative_length_stops_counting() {
        let mut counter = FrameCounter::default();
        let mut bytes = (-5i32).to_be_bytes().to_vec();
        bytes.extend(frame(&[1, 2, 3]));
        assert_eq!(counter.feed(&bytes), FramesSeen::default());
    }
}
