//! The blocking client's read/write loop over a real loopback socket, against an
//! in-process responder thread instead of ZooKeeper: getData of 100 bytes one at a time
//! (a round trip: two syscalls and two wake-ups each) and 1,000 in flight (batched
//! reads and writes, the receive low-water mark). What a change to the link, the
//! client's pump or the session costs shows here without a server.
//!
//! Run with `cargo bench -p zk-blocking --bench driver`. The responder runs on its own
//! thread; pin the process (`taskset -c 1`) for steadier figures.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zk_blocking::{Client, Options, Request};
use zk_proto::{
    ConnectResponse, Decode, ErrorCode, FrameDecoder, GetDataResponse, OpCode, ReplyHeader,
    RequestHeader, Stat, WireResponse,
};

/// The reply frame to request `xid`, with `body`.
fn reply(xid: i32, body: Option<&WireResponse>) -> Vec<u8> {
    let mut frame = BytesMut::new();
    let header = ReplyHeader {
        xid,
        zxid: 1,
        err: ErrorCode::Ok,
    };
    WireResponse::encode_frame(&header, body, &mut frame);
    frame.to_vec()
}

/// Serves one connection: the handshake, then every getData with the same 100 bytes
/// (its xid patched in), pings, and closeSession; replies to what one read brought go
/// out in one write.
fn respond(mut socket: TcpStream) {
    socket.set_nodelay(true).unwrap();
    let mut frames = FrameDecoder::new();
    let mut buf = vec![0; 64 * 1024];
    let get_data = reply(
        0,
        Some(&WireResponse::GetData(GetDataResponse {
            data: vec![7; 100].into(),
            stat: Stat::default(),
        })),
    );
    let mut connected = false;
    let mut out = Vec::new();
    loop {
        let n = match socket.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        frames.extend_from_slice(&buf[..n]);
        while let Ok(Some(frame)) = frames.decode() {
            if !connected {
                connected = true;
                let mut handshake = BytesMut::new();
                zk_proto::encode_frame(
                    &ConnectResponse {
                        protocol_version: 0,
                        timeout: 30_000,
                        session_id: 1,
                        passwd: vec![0; 16].into(),
                        read_only: Some(false),
                    },
                    &mut handshake,
                );
                out.extend_from_slice(&handshake);
                continue;
            }
            let header = RequestHeader::decode_bytes(frame).unwrap();
            match header.op {
                OpCode::GetData => {
                    let start = out.len();
                    out.extend_from_slice(&get_data);
                    out[start + 4..start + 8].copy_from_slice(&header.xid.to_be_bytes());
                }
                OpCode::CloseSession => {
                    out.extend_from_slice(&reply(header.xid, None));
                    let _ = socket.write_all(&out);
                    return;
                }
                _ => out.extend_from_slice(&reply(header.xid, None)),
            }
        }
        if socket.write_all(&out).is_err() {
            return;
        }
        out.clear();
    }
}

/// A client connected to a fresh responder thread.
fn connect() -> Client {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || respond(listener.accept().unwrap().0));
    let options = Options::default().session_timeout(Duration::from_secs(30));
    Client::connect(&address.to_string(), options).unwrap()
}

fn driver(c: &mut Criterion) {
    let mut zk = connect();
    let mut group = c.benchmark_group("driver");
    group.throughput(Throughput::Elements(1));
    group.bench_function("get_data_one_at_a_time", |b| {
        b.iter(|| black_box(zk.get_data("/bench").unwrap()))
    });
    const IN_FLIGHT: usize = 1_000;
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("get_data_1000_in_flight", |b| {
        b.iter(|| {
            for _ in 0..IN_FLIGHT {
                zk.submit(Request::get_data("/bench", false)).unwrap();
            }
            for _ in 0..IN_FLIGHT {
                let reply = zk.wait_any(Duration::from_secs(10)).unwrap();
                black_box(reply.expect("a reply within 10 s"));
            }
        })
    });
    group.finish();
    zk.close();
}

criterion_group!(benches, driver);
criterion_main!(benches);
