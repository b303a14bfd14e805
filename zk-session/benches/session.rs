//! The session against an in-memory responder: getData of 100 bytes, one at a time
//! and 1,000 in flight. Reports time per request (the session's CPU cost plus a very
//! cheap responder that patches the xid into a pre-encoded reply).
//!
//! Both are measured the two ways a driver can read: into its own buffer, then
//! `handle_bytes`, or straight into `recv_buf` (the `_recv_buf` variants).
//!
//! Also getData of 1 MB, read the two ways a driver can: into its own 64 KiB buffer
//! and then `handle_bytes` (a second copy), or straight into `recv_buf` (one copy).
//! The "socket" is a memcpy from the responder's output in both.

use std::hint::black_box;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zk_proto::{ConnectResponse, ErrorCode, FrameDecoder, GetDataResponse, ReplyHeader, Stat};
use zk_session::{Config, Event, Request, Session, Transport};

/// Answers every getData with the same 100-byte reply, patching in the xid.
struct Responder {
    decoder: FrameDecoder,
    template: Vec<u8>,
    out: Vec<u8>,
}

impl Responder {
    fn new() -> Responder {
        Responder::with_data(100)
    }

    fn with_data(size: usize) -> Responder {
        let mut t = BytesMut::new();
        zk_proto::WireResponse::encode_frame(
            &ReplyHeader {
                xid: 0,
                zxid: 1,
                err: ErrorCode::Ok,
            },
            Some(&zk_proto::WireResponse::GetData(GetDataResponse {
                data: Bytes::from(vec![7u8; size]),
                stat: Stat::default(),
            })),
            &mut t,
        );
        Responder {
            decoder: FrameDecoder::new(),
            template: t.to_vec(),
            out: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.decoder.extend_from_slice(bytes);
        while let Some(frame) = self.decoder.decode().unwrap() {
            let xid = &frame[..4];
            let start = self.out.len();
            self.out.extend_from_slice(&self.template);
            self.out[start + 4..start + 8].copy_from_slice(xid);
        }
    }
}

fn connected() -> (Session, Responder, zk_session::ConnId, Instant) {
    connected_with(Responder::new())
}

fn connected_with(mut r: Responder) -> (Session, Responder, zk_session::ConnId, Instant) {
    let now = Instant::now();
    let mut s = Session::new(Config::new("127.0.0.1"), now).unwrap();
    let Some(Transport::Connect { conn, .. }) = s.poll_transport(now) else {
        panic!("connect expected")
    };
    s.handle_connected(conn, now);
    let n = s.send_buf().len();
    s.advance_send(conn, n, now);
    let mut hs = BytesMut::new();
    zk_proto::encode_frame(
        &ConnectResponse {
            protocol_version: 0,
            timeout: 30_000,
            session_id: 1,
            passwd: Bytes::from_static(&[0; 16]),
            read_only: Some(false),
        },
        &mut hs,
    );
    s.handle_bytes(conn, &hs, now);
    while s.poll_event().is_some() {}
    // the handshake bytes were already consumed; start the responder after them
    r.decoder = FrameDecoder::new();
    (s, r, conn, now)
}

fn round_trip(
    s: &mut Session,
    r: &mut Responder,
    conn: zk_session::ConnId,
    now: Instant,
    n: usize,
    direct: bool,
) {
    for _ in 0..n {
        s.submit(Request::get_data("/bench/node", false), now)
            .unwrap();
    }
    let mut answered = 0;
    while answered < n {
        let out = s.send_buf();
        let len = out.len();
        r.feed(out);
        s.advance_send(conn, len, now);
        let reply = std::mem::take(&mut r.out);
        if direct {
            let mut rest = &reply[..];
            while !rest.is_empty() {
                let space = s.recv_buf(conn).unwrap();
                let n = rest.len().min(space.len());
                space[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                s.handle_received(conn, n, now);
            }
        } else {
            s.handle_bytes(conn, &reply, now);
        }
        r.out = reply;
        r.out.clear();
        while let Some(e) = s.poll_event() {
            if let Event::Reply { result, .. } = e {
                black_box(result.unwrap());
                answered += 1;
            }
        }
    }
}

/// One getData of a large node; the reply is "read" from the responder in reads of at
/// most 64 KiB, either via the driver's own buffer or straight into the session's.
fn large_round_trip(
    s: &mut Session,
    r: &mut Responder,
    conn: zk_session::ConnId,
    now: Instant,
    own_buf: Option<&mut [u8]>,
) {
    s.submit(Request::get_data("/bench/node", false), now)
        .unwrap();
    let out = s.send_buf();
    let len = out.len();
    r.feed(out);
    s.advance_send(conn, len, now);
    let reply = std::mem::take(&mut r.out);
    let mut rest = &reply[..];
    match own_buf {
        Some(buf) => {
            while !rest.is_empty() {
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                s.handle_bytes(conn, &buf[..n], now);
            }
        }
        None => {
            while !rest.is_empty() {
                let space = s.recv_buf(conn).unwrap();
                let n = rest.len().min(space.len()).min(64 * 1024);
                space[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                s.handle_received(conn, n, now);
            }
        }
    }
    r.out = reply;
    r.out.clear();
    while let Some(e) = s.poll_event() {
        if let Event::Reply { result, .. } = e {
            black_box(result.unwrap());
        }
    }
}

fn bench_large(c: &mut Criterion) {
    let mut g = c.benchmark_group("session_get_data_1MB");
    g.throughput(Throughput::Bytes(1_000_000));
    g.bench_function("own_64k_buffer_then_handle_bytes", |b| {
        let (mut s, mut r, conn, now) = connected_with(Responder::with_data(1_000_000));
        let mut buf = vec![0u8; 64 * 1024];
        b.iter(|| large_round_trip(&mut s, &mut r, conn, now, Some(&mut buf)));
    });
    g.bench_function("recv_buf", |b| {
        let (mut s, mut r, conn, now) = connected_with(Responder::with_data(1_000_000));
        b.iter(|| large_round_trip(&mut s, &mut r, conn, now, None));
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("session_get_data_100B");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_at_a_time", |b| {
        let (mut s, mut r, conn, now) = connected();
        b.iter(|| round_trip(&mut s, &mut r, conn, now, 1, false));
    });
    g.bench_function("one_at_a_time_recv_buf", |b| {
        let (mut s, mut r, conn, now) = connected();
        b.iter(|| round_trip(&mut s, &mut r, conn, now, 1, true));
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("1000_in_flight", |b| {
        let (mut s, mut r, conn, now) = connected();
        b.iter(|| round_trip(&mut s, &mut r, conn, now, 1000, false));
    });
    g.bench_function("1000_in_flight_recv_buf", |b| {
        let (mut s, mut r, conn, now) = connected();
        b.iter(|| round_trip(&mut s, &mut r, conn, now, 1000, true));
    });
    g.finish();
}

criterion_group!(benches, bench, bench_large);
criterion_main!(benches);
