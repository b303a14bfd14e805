//! What both floors share, and share with the harness's rust-floor: frames encoded by hand,
//! the handshake and the fixtures over a blocking socket before the model starts, and
//! whole reply frames cut out of one read buffer without a copy (a reply is a `Bytes`
//! slice of it, as our clients hand replies out).

use crate::common::*;
use bytes::{Buf, Bytes, BytesMut};
use std::io::{Read, Write};
use std::net::TcpStream;

const CREATE: i32 = 1;
const GET_DATA: i32 = 4;
const SET_DATA: i32 = 5;
/// NodeExists.
const NODE_EXISTS: i32 = -110;

fn put_i32(b: &mut Vec<u8>, v: i32) {
    b.extend_from_slice(&v.to_be_bytes());
}
fn put_i64(b: &mut Vec<u8>, v: i64) {
    b.extend_from_slice(&v.to_be_bytes());
}
fn put_buf(b: &mut Vec<u8>, v: &[u8]) {
    put_i32(b, v.len() as i32);
    b.extend_from_slice(v);
}

/// Appends one length-prefixed frame built by `body`.
fn frame(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    body(out);
    let len = (out.len() - at - 4) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends a getData request (no watch).
pub fn get_data(out: &mut Vec<u8>, xid: i32, path: &str) {
    frame(out, |b| {
        put_i32(b, xid);
        put_i32(b, GET_DATA);
        put_buf(b, path.as_bytes());
        b.push(0);
    });
}

/// A reply's xid.
pub fn xid(body: &[u8]) -> i32 {
    i32::from_be_bytes(body[0..4].try_into().unwrap())
}

/// Whether a getData reply is the `size` bytes expected (no error, that many data bytes).
pub fn read_ok(body: &[u8], size: usize) -> bool {
    let err = i32::from_be_bytes(body[12..16].try_into().unwrap());
    err == 0
        && body.len() >= 20
        && i32::from_be_bytes(body[16..20].try_into().unwrap()) == size as i32
}

/// One frame's body, read whole from a blocking socket (setup only).
fn read_frame(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0; 4];
    s.read_exact(&mut len).expect("read a frame");
    let mut body = vec![0; i32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).expect("read a frame");
    body
}

fn call(s: &mut TcpStream, out: &[u8]) -> i32 {
    s.write_all(out).expect("write");
    let body = read_frame(s);
    i32::from_be_bytes(body[12..16].try_into().unwrap())
}

/// Connects, opens a session and makes the fixtures the workloads in `cfg` read (created,
/// or overwritten when they exist), all on the blocking socket, as rust-floor does. The
/// socket is returned non-blocking, for the model to take over.
pub fn connect(cfg: &Cfg) -> TcpStream {
    let mut s = TcpStream::connect(&cfg.hosts).expect("connect");
    s.set_nodelay(true).unwrap();
    let mut out = Vec::new();
    frame(&mut out, |b| {
        put_i32(b, 0);
        put_i64(b, 0);
        put_i32(b, 30_000);
        put_i64(b, 0);
        put_buf(b, &[0; 16]);
        b.push(0);
    });
    s.write_all(&out).unwrap();
    read_frame(&mut s);
    let mut nodes = vec![(ROOT, Vec::new()), (DATA_NODE, payload(100))];
    if cfg.wants("large_get") {
        nodes.push((LARGE_NODE, payload(cfg.large_size)));
    }
    for (xid, (path, data)) in (1..).zip(nodes) {
        let mut out = Vec::new();
        frame(&mut out, |b| {
            put_i32(b, 2 * xid);
            put_i32(b, CREATE);
            put_buf(b, path.as_bytes());
            put_buf(b, &data);
            put_i32(b, 1);
            put_i32(b, 31);
            put_buf(b, b"world");
            put_buf(b, b"anyone");
            put_i32(b, 0);
        });
        let mut err = call(&mut s, &out);
        if err == NODE_EXISTS && !data.is_empty() {
            out.clear();
            frame(&mut out, |b| {
                put_i32(b, 2 * xid + 1);
                put_i32(b, SET_DATA);
                put_buf(b, path.as_bytes());
                put_buf(b, &data);
                put_i32(b, -1);
            });
            err = call(&mut s, &out);
        }
        assert!(err == 0 || err == NODE_EXISTS, "create {path}: error {err}");
    }
    s.set_nonblocking(true).unwrap();
    s
}

/// The read side: bytes read straight into the free room of one buffer (never zeroed),
/// whole frames split off it as `Bytes` (no copy).
#[derive(Default)]
pub struct Frames {
    pub buf: BytesMut,
}

impl Frames {
    /// Makes room for the next read: 64 KiB at least, or what the frame at the head still
    /// lacks (a large reply is read into one piece of memory, in as many reads as it takes).
    pub fn reserve(&mut self) {
        let mut want = 64 * 1024;
        if self.buf.len() >= 4 {
            let len = i32::from_be_bytes(self.buf[..4].try_into().unwrap()) as usize;
            want = want.max((4 + len).saturating_sub(self.buf.len()));
        }
        if self.buf.capacity() - self.buf.len() < want {
            self.buf.reserve(want.max(256 * 1024));
        }
    }

    /// The next whole frame's body, if it is in.
    pub fn next(&mut self) -> Option<Bytes> {
        if self.buf.len() < 4 {
            return None;
        }
        let len = i32::from_be_bytes(self.buf[..4].try_into().unwrap()) as usize;
        if self.buf.len() < 4 + len {
            return None;
        }
        self.buf.advance(4);
        Some(self.buf.split_to(len).freeze())
    }
}

/// The JSON line of a pass of `n` one-at-a-time reads of `size`-byte values (large_get
/// also reports the value size and MB/s, as the harness's peers do).
pub fn emit_reads(
    cfg: &Cfg,
    workload: &str,
    n: usize,
    size: usize,
    r: &Measured,
    lat: &mut [u64],
    errors: usize,
) {
    let mut extra = Vec::new();
    if workload == "large_get" {
        extra.push(("value_bytes", size.to_string()));
        extra.push((
            "mb_per_s",
            format!("{:.1}", (n * size) as f64 / 1e6 / r.seconds),
        ));
    }
    emit(cfg, workload, n, r, Some(lat), errors, &extra);
}
