//! `decode`: every server-side record decoder on arbitrary bytes, checked against an
//! independent reference walker.

use bytes::Bytes;
use zk_proto::{
    ConnectResponse, Decode, Encode, OpCode, Reader, Reply, ReplyHeader, WatcherEvent, WireResponse,
};

use super::input::Input;

/// What the first input byte selects (modulo the length of this table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `WireResponse::decode(op)` on the rest.
    Body(OpCode),
    /// `WireResponse::decode(Unknown(n))`, n from the next 4 bytes.
    UnknownOp,
    /// `ConnectResponse::decode` on the rest.
    Connect,
    /// `WatcherEvent::decode` on the rest.
    Event,
    /// `Reply::decode` of a whole frame (header, then event or body) for the op picked
    /// by the next byte from [`OPS`].
    Frame,
}

/// The ops with a response decoder worth calling: every known op.
pub(crate) const OPS: &[OpCode] = OpCode::KNOWN;

pub(crate) fn targets() -> Vec<Target> {
    let mut t: Vec<Target> = OPS.iter().map(|&op| Target::Body(op)).collect();
    t.extend([
        Target::UnknownOp,
        Target::Connect,
        Target::Event,
        Target::Frame,
        // Weight the composite decoders.
        Target::Body(OpCode::Multi),
        Target::Body(OpCode::MultiRead),
        Target::Frame,
        Target::Connect,
    ]);
    t
}

/// Input: byte 0 picks a decoder (see `targets()`): the body decoder of one op, the
/// ConnectResponse, the WatcherEvent, or a whole reply frame (then byte 1 picks the op
/// the reply answers); the rest is the bytes to decode.
///
/// Invariants:
/// * no decoder panics;
/// * a decoder succeeds exactly when an independent walker of the jute schema
///   (written here from the protocol, sharing no code with zk-proto) succeeds, and
///   consumes the same number of bytes;
/// * what decodes re-encodes to exactly the bytes it consumed when they are canonical;
///   when they are not (a null -1 buffer/string/vector, a boolean byte other than 0/1,
///   an empty addWatch body, a multi header whose done/err fields are not what an
///   encoder writes), it re-encodes to the walker's canonical form of those bytes;
///   a string that is not UTF-8 (decoded the Java way: CESU-8 pairs joined, the rest
///   U+FFFD) is not canonical either, and then only the next point is checked;
/// * decoding the re-encoding gives the same value (and re-encodes the same way).
///   Trailing bytes are never consumed by a record decoder.
pub fn decode(data: &[u8]) {
    let mut input = Input::new(data);
    let targets = targets();
    let Some(target) = input.pick(&targets) else {
        return;
    };
    match target {
        Target::Body(op) => body(op, input.rest()),
        Target::UnknownOp => {
            let Some(n) = input.i32() else { return };
            body(OpCode::from_i32(n), input.rest());
        }
        Target::Connect => connect(input.rest()),
        Target::Event => event(input.rest()),
        Target::Frame => {
            let Some(op) = input.pick(OPS) else { return };
            frame(op, input.rest());
        }
    }
}

/// Checks one decode result against the walker's.
fn check<T: Encode + Decode + PartialEq + std::fmt::Debug>(
    what: &str,
    bytes: &[u8],
    decoded: Result<T, zk_proto::DecodeError>,
    remaining: usize,
    walked: Result<Walked, String>,
) {
    match (decoded, walked) {
        (Err(_), Err(_)) => {}
        (Ok(v), Err(why)) => panic!("{what}: decoded {v:?} but the schema says {why}"),
        (Err(e), Ok(w)) => panic!("{what}: decode failed ({e}) but the schema accepts {w:?}"),
        (Ok(v), Ok(w)) => {
            let consumed = bytes.len() - remaining;
            assert_eq!(consumed, w.consumed, "{what}: bytes consumed");
            let again = v.to_vec();
            assert_eq!(again.len(), v.encoded_len(), "{what}: encoded_len");
            compare(what, &bytes[..consumed], &again, &w);
            let back = T::decode_bytes(Bytes::from(again.clone())).expect("re-encoding decodes");
            assert_eq!(back, v, "{what}: decode(encode(v)) != v");
            assert_eq!(back.to_vec(), again, "{what}: re-encoding is not stable");
        }
    }
}

/// The re-encoding against the consumed bytes: equal when they were canonical, else
/// equal to the walker's canonical form when it knows it.
fn compare(what: &str, consumed: &[u8], again: &[u8], w: &Walked) {
    if w.canonical {
        assert_eq!(
            again, consumed,
            "{what}: canonical input re-encodes differently"
        );
    } else if w.exact {
        assert_eq!(
            again, w.out,
            "{what}: re-encoding is not the canonical form"
        );
    }
}

fn body(op: OpCode, bytes: &[u8]) {
    let mut r = Reader::new(Bytes::copy_from_slice(bytes));
    let decoded = WireResponse::decode(op, &mut r);
    let walked = walk(bytes, |w| w.response(op));
    let what = format!("WireResponse::decode({op:?})");
    match (decoded, walked) {
        (Ok(v), Ok(w)) => {
            // WireResponse has no Decode impl of its own: compare by hand.
            let consumed = bytes.len() - r.remaining();
            assert_eq!(consumed, w.consumed, "{what}: bytes consumed");
            let again = v.to_vec();
            assert_eq!(again.len(), v.encoded_len(), "{what}: encoded_len");
            compare(&what, &bytes[..consumed], &again, &w);
            let back = WireResponse::decode(op, &mut Reader::new(Bytes::from(again.clone())))
                .expect("re-encoding decodes");
            assert_eq!(back, v, "{what}: decode(encode(v)) != v");
            assert_eq!(back.to_vec(), again, "{what}: re-encoding is not stable");
        }
        (Err(_), Err(_)) => {}
        (Ok(v), Err(why)) => panic!("{what}: decoded {v:?} but the schema says {why}"),
        (Err(e), Ok(w)) => panic!("{what}: decode failed ({e}) but the schema accepts {w:?}"),
    }
}

fn connect(bytes: &[u8]) {
    let mut r = Reader::new(Bytes::copy_from_slice(bytes));
    let decoded = ConnectResponse::decode(&mut r);
    if let Ok(c) = &decoded {
        // The whole-frame helpers agree.
        let _ = (c.is_expired(), c.is_read_only());
    }
    let walked = walk(bytes, Walker::connect_response);
    check("ConnectResponse", bytes, decoded, r.remaining(), walked);
}

fn event(bytes: &[u8]) {
    let mut r = Reader::new(Bytes::copy_from_slice(bytes));
    let decoded = WatcherEvent::decode(&mut r);
    let walked = walk(bytes, Walker::watcher_event);
    check("WatcherEvent", bytes, decoded, r.remaining(), walked);
}

/// A whole reply frame, decoded three ways that must agree: `Reply::decode`,
/// `decode_reply`/`decode_notification`, and header + body by hand (checked against
/// the walker).
fn frame(op: OpCode, bytes: &[u8]) {
    let frame = Bytes::copy_from_slice(bytes);
    let mut asked = 0;
    let reply = Reply::decode(frame.clone(), |_| {
        asked += 1;
        op
    });
    let mut r = Reader::new(frame.clone());
    let header = ReplyHeader::decode(&mut r);
    let header_walk = walk(bytes, Walker::reply_header);
    check(
        "ReplyHeader",
        bytes,
        header.clone(),
        r.remaining(),
        header_walk,
    );
    let Ok(header) = header else {
        assert!(
            reply.is_err(),
            "Reply::decode accepted a frame without a header"
        );
        return;
    };
    if header.xid == -1 {
        assert_eq!(asked, 0, "op asked for a notification");
        let event = WatcherEvent::decode(&mut r);
        assert_eq!(
            reply.clone().ok(),
            event
                .clone()
                .ok()
                .map(|event| Reply::Notification { header, event }),
            "Reply::decode of a notification"
        );
        assert_eq!(
            zk_proto::decode_notification(frame).ok(),
            event.ok().map(|e| (header, e))
        );
        return;
    }
    let body = if header.err.is_ok() {
        assert_eq!(asked, 1, "op asked once for a successful reply");
        match WireResponse::decode(op, &mut r) {
            Ok(b) => Some(b),
            Err(_) => {
                assert!(reply.is_err(), "Reply::decode accepted a bad body");
                assert!(zk_proto::decode_reply(frame, op).is_err());
                return;
            }
        }
    } else {
        None
    };
    assert_eq!(
        reply.expect("header and body decode"),
        Reply::Response {
            header,
            body: body.clone()
        }
    );
    assert_eq!(zk_proto::decode_reply(frame, op).ok(), Some((header, body)));
}

/// What the walker made of the input.
#[derive(Debug)]
pub(crate) struct Walked {
    consumed: usize,
    canonical: bool,
    /// `out` is the canonical form (false after a string that is not UTF-8: the walker
    /// does not redo Java's lossy decoding, so only idempotence is checked then).
    exact: bool,
    out: Vec<u8>,
}

fn walk<'a>(
    bytes: &'a [u8],
    f: impl FnOnce(&mut Walker<'a>) -> Result<(), String>,
) -> Result<Walked, String> {
    let mut w = Walker {
        input: bytes,
        pos: 0,
        out: Vec::new(),
        canonical: true,
        exact: true,
    };
    f(&mut w)?;
    Ok(Walked {
        consumed: w.pos,
        canonical: w.canonical,
        exact: w.exact,
        out: w.out,
    })
}

/// A jute schema walker written from the protocol description: it consumes fields,
/// copies their canonical encoding to `out` and notes whether the input was canonical.
struct Walker<'a> {
    input: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    canonical: bool,
    exact: bool,
}

const STAT_LEN: usize = 6 * 8 + 5 * 4;

impl Walker<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.input.len() - self.pos < n {
            return Err(format!("eof at {} needing {n}", self.pos));
        }
        let s = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn copy(&mut self, n: usize) -> Result<(), String> {
        let s = self.take(n)?.to_vec();
        self.out.extend_from_slice(&s);
        Ok(())
    }

    fn peek_i32(&self) -> Option<i32> {
        let b = self.input.get(self.pos..self.pos + 4)?;
        Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn int(&mut self) -> Result<i32, String> {
        let b = self.take(4)?;
        let v = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        self.out.extend_from_slice(&v.to_be_bytes());
        Ok(v)
    }

    fn long(&mut self) -> Result<(), String> {
        self.copy(8)
    }

    fn boolean(&mut self) -> Result<bool, String> {
        let b = self.take(1)?[0];
        if b > 1 {
            self.canonical = false;
        }
        self.out.push(u8::from(b != 0));
        Ok(b != 0)
    }

    /// A length or count: `None` for null (-1, written back as 0).
    fn len(&mut self) -> Result<Option<usize>, String> {
        let b = self.take(4)?;
        let n = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if n == -1 {
            self.canonical = false;
            self.out.extend_from_slice(&0i32.to_be_bytes());
            return Ok(None);
        }
        if n < 0 {
            return Err(format!("negative length {n}"));
        }
        self.out.extend_from_slice(&n.to_be_bytes());
        Ok(Some(n as usize))
    }

    fn buffer(&mut self) -> Result<(), String> {
        match self.len()? {
            None => Ok(()),
            Some(n) => self.copy(n),
        }
    }

    fn ustring(&mut self) -> Result<(), String> {
        let Some(n) = self.len()? else { return Ok(()) };
        let s = self.take(n)?.to_vec();
        // Not UTF-8: Java's decoder (and zk-proto's) joins CESU-8 surrogate pairs and
        // replaces the rest with U+FFFD; never an error, never canonical.
        if std::str::from_utf8(&s).is_err() {
            self.canonical = false;
            self.exact = false;
        }
        self.out.extend_from_slice(&s);
        Ok(())
    }

    fn vector(
        &mut self,
        mut elem: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        let Some(n) = self.len()? else { return Ok(()) };
        for _ in 0..n {
            // Every element is at least 4 bytes: a huge count fails at the end of input.
            elem(self)?;
        }
        Ok(())
    }

    fn stat(&mut self) -> Result<(), String> {
        self.copy(STAT_LEN)
    }

    fn strings(&mut self) -> Result<(), String> {
        self.vector(Self::ustring)
    }

    fn acl(&mut self) -> Result<(), String> {
        self.int()?;
        self.ustring()?;
        self.ustring()
    }

    fn connect_response(&mut self) -> Result<(), String> {
        self.int()?; // protocolVersion
        self.int()?; // timeOut
        self.long()?; // sessionId
        self.buffer()?; // passwd
        if self.pos < self.input.len() {
            self.boolean()?; // readOnly, optional
        }
        Ok(())
    }

    fn watcher_event(&mut self) -> Result<(), String> {
        self.int()?;
        self.int()?;
        self.ustring()
    }

    fn reply_header(&mut self) -> Result<(), String> {
        self.int()?;
        self.long()?;
        self.int()?;
        Ok(())
    }

    fn response(&mut self, op: OpCode) -> Result<(), String> {
        match op.to_i32() {
            // delete, ping, checkWatches, removeWatches, auth, setWatches(2), closeSession
            2 | 11 | 17 | 18 | 100 | 101 | 105 | -11 => Ok(()),
            // create, sync: path
            1 | 9 => self.ustring(),
            // create2, createContainer, createTTL: path, stat
            15 | 19 | 21 => {
                self.ustring()?;
                self.stat()
            }
            // exists, setData, setACL: stat
            3 | 5 | 7 => self.stat(),
            // getData, reconfig: data, stat
            4 | 16 => {
                self.buffer()?;
                self.stat()
            }
            // getACL: vector<ACL>, stat
            6 => {
                self.vector(Self::acl)?;
                self.stat()
            }
            // getChildren, getEphemerals: vector<ustring>
            8 | 103 => self.strings(),
            // getChildren2: vector<ustring>, stat
            12 => {
                self.strings()?;
                self.stat()
            }
            14 | 22 => self.multi(),
            // sasl: token
            102 => self.buffer(),
            // getAllChildrenNumber: int
            104 => self.int().map(drop),
            // addWatch: ErrorResponse, or nothing at all
            106 => {
                if self.pos == self.input.len() {
                    self.canonical = false;
                    self.out.extend_from_slice(&0i32.to_be_bytes());
                    Ok(())
                } else {
                    self.int().map(drop)
                }
            }
            // whoAmI: vector<ClientInfo{authScheme, user}>
            107 => self.vector(|w| {
                w.ustring()?;
                w.ustring()
            }),
            other => Err(format!("no response record for op {other}")),
        }
    }

    /// `(type:int, done:boolean, err:int)` headers, each followed by a body chosen by
    /// the type, up to a header with done set.
    fn multi(&mut self) -> Result<(), String> {
        loop {
            let header_at = self.out.len();
            let op_type = self.int()?;
            let done = self.boolean()?;
            let err_at = self.out.len();
            let err = self.int()?;
            if done {
                // What an encoder writes: (-1, true, -1).
                if op_type != -1 || err != -1 || self.input[self.pos - 5] != 1 {
                    self.canonical = false;
                }
                self.out.truncate(header_at);
                self.out.extend_from_slice(&(-1i32).to_be_bytes());
                self.out.push(1);
                self.out.extend_from_slice(&(-1i32).to_be_bytes());
                return Ok(());
            }
            // The header's err: 0 for a result, the body's code for an error result.
            let canonical_err = if op_type == -1 {
                self.peek_i32().unwrap_or(err)
            } else {
                0
            };
            if err != canonical_err {
                self.canonical = false;
                self.out.truncate(err_at);
                self.out.extend_from_slice(&canonical_err.to_be_bytes());
            }
            match op_type {
                1 => self.ustring()?,
                15 => {
                    self.ustring()?;
                    self.stat()?;
                }
                2 | 13 => {}
                5 => self.stat()?,
                4 => {
                    self.buffer()?;
                    self.stat()?;
                }
                8 => self.strings()?,
                -1 => {
                    self.int()?;
                }
                other => return Err(format!("multi result type {other}")),
            }
        }
    }
}
