//! Where the TLS records of a byte stream begin and end, seen from the bytes read off
//! the socket. TLS hands a record's plaintext over only once the whole record is in,
//! so while one is partly read, the rest of it is what the server is sure to send next
//! (and possibly all it sends for a while): the receive low-water mark must not ask for
//! more (see `low_water`).

/// A TLS record header: content type, protocol version, length of the body.
const HEADER_LEN: usize = 5;

/// The framing of the records read so far.
#[derive(Debug, Default, Clone)]
pub struct RecordFraming {
    /// The header of the next record, as far as it is read.
    header: [u8; HEADER_LEN],
    header_read: usize,
    /// What is still to come of the body of the record being read.
    body_left: usize,
}

impl RecordFraming {
    /// Takes note of bytes read from the socket, in order.
    pub fn observe(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let taken = self.body_left.min(bytes.len());
                self.body_left -= taken;
                bytes = &bytes[taken..];
                continue;
            }
            let taken = (HEADER_LEN - self.header_read).min(bytes.len());
            self.header[self.header_read..self.header_read + taken]
                .copy_from_slice(&bytes[..taken]);
            self.header_read += taken;
            bytes = &bytes[taken..];
            if self.header_read == HEADER_LEN {
                self.header_read = 0;
                self.body_left = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
            }
        }
    }

    /// The bytes still to come of the record partly read: at least the rest of its
    /// header, or exactly the rest of its body. Zero between records.
    pub fn to_finish_record(&self) -> usize {
        if self.header_read > 0 {
            HEADER_LEN - self.header_read
        } else {
            self.body_left
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An application-data record with a body of `len` bytes.
    fn record(len: u16) -> Vec<u8> {
        let mut bytes = vec![23, 3, 3];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.resize(HEADER_LEN + usize::from(len), 0xAA);
        bytes
    }

    #[test]
    fn between_whole_records_nothing_is_left_to_finish() {
        let mut framing = RecordFraming::default();
        framing.observe(&[record(300), record(0), record(17)].concat());
        assert_eq!(framing.to_finish_record(), 0);
    }

    #[test]
    fn inside_a_body_the_rest_of_the_body_is_left() {
        let mut framing = RecordFraming::default();
        let stream = [record(10), record(1000)].concat();
        framing.observe(&stream[..15 + 5 + 400]);
        assert_eq!(framing.to_finish_record(), 600);
    }

    #[test]
    fn inside_a_header_the_rest_of_the_header_is_left() {
        let mut framing = RecordFraming::default();
        framing.observe(&record(100)[..2]);
        assert_eq!(framing.to_finish_record(), 3);
    }

    #[test]
    fn a_stream_seen_a_byte_at_a_time_frames_as_a_whole() {
        let stream = [record(3), record(70), record(1)].concat();
        let mut framing = RecordFraming::default();
        for (i, byte) in stream.iter().enumerate() {
            framing.observe(std::slice::from_ref(byte));
            let mut whole = RecordFraming::default();
            whole.observe(&stream[..=i]);
            assert_eq!(framing.to_finish_record(), whole.to_finish_record());
        }
        assert_eq!(framing.to_finish_record(), 0);
    }
}
