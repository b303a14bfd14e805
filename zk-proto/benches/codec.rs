//! Codec benchmarks: encode and decode of typical frames.
//!
//! Run with `cargo bench -p zk-proto -- --warm-up-time 1 --measurement-time 2`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, criterion_group, criterion_main};
use zk_proto::*;

fn reply_frame(header: &ReplyHeader, body: &WireResponse) -> Bytes {
    let mut buf = BytesMut::new();
    WireResponse::encode_frame(header, Some(body), &mut buf);
    buf.freeze().slice(4..)
}

fn request_frame(req: &WireRequest) -> Bytes {
    let mut buf = BytesMut::new();
    req.encode_frame(1, &mut buf);
    buf.freeze().slice(4..)
}

fn stat() -> Stat {
    Stat {
        czxid: 0x1_0000_0001,
        mzxid: 0x1_0000_0002,
        ctime: 1_700_000_000_000,
        mtime: 1_700_000_000_001,
        version: 3,
        cversion: 4,
        aversion: 0,
        ephemeral_owner: 0,
        data_length: 100,
        num_children: 0,
        pzxid: 0x1_0000_0003,
    }
}

const OK: ReplyHeader = ReplyHeader {
    xid: 1,
    zxid: 0x1_0000_0010,
    err: ErrorCode::Ok,
};

fn bench_request(c: &mut Criterion, name: &str, req: WireRequest) {
    let mut buf = BytesMut::with_capacity(4 + 8 + req.encoded_len());
    c.bench_function(&format!("encode/{name}"), |b| {
        b.iter(|| {
            buf.clear();
            black_box(&req).encode_frame(1, &mut buf);
            black_box(buf.len())
        })
    });
    let frame = request_frame(&req);
    c.bench_function(&format!("decode/{name}"), |b| {
        b.iter(|| WireRequest::decode_frame(black_box(frame.clone())).unwrap())
    });
}

fn bench_reply(c: &mut Criterion, name: &str, op: OpCode, header: ReplyHeader, resp: WireResponse) {
    let mut buf = BytesMut::with_capacity(4 + 16 + resp.encoded_len());
    c.bench_function(&format!("encode/{name}"), |b| {
        b.iter(|| {
            buf.clear();
            WireResponse::encode_frame(&header, Some(black_box(&resp)), &mut buf);
            black_box(buf.len())
        })
    });
    let frame = reply_frame(&header, &resp);
    c.bench_function(&format!("decode/{name}"), |b| {
        b.iter(|| Reply::decode(black_box(frame.clone()), |_| op).unwrap())
    });
}

fn codec(c: &mut Criterion) {
    bench_request(
        c,
        "get_data_request",
        WireRequest::GetData(GetDataRequest {
            path: "/bench/some/node".into(),
            watch: true,
        }),
    );
    for (name, len) in [
        ("get_data_reply_100B", 100),
        ("get_data_reply_1MB", 1_000_000),
    ] {
        bench_reply(
            c,
            name,
            OpCode::GetData,
            OK,
            WireResponse::GetData(GetDataResponse {
                data: Bytes::from(vec![0xA5; len]),
                stat: stat(),
            }),
        );
    }
    bench_request(
        c,
        "create_request",
        WireRequest::create(
            "/bench/node-",
            vec![7u8; 100],
            Acl::open_unsafe(),
            CreateMode::PersistentSequential,
            None,
            true,
        )
        .unwrap(),
    );
    bench_reply(
        c,
        "get_children2_reply_1000",
        OpCode::GetChildren2,
        OK,
        WireResponse::GetChildren2(GetChildren2Response {
            children: (0..1000).map(|i| format!("child-{i:010}")).collect(),
            stat: stat(),
        }),
    );
    let ops = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                MultiOp::create(
                    format!("/bench/multi/n{i}"),
                    vec![1u8; 32],
                    Acl::open_unsafe(),
                    CreateMode::Persistent,
                    None,
                    false,
                )
                .unwrap()
            } else {
                MultiOp::SetData(SetDataRequest {
                    path: format!("/bench/multi/n{}", i - 1),
                    data: Bytes::from(vec![2u8; 32]),
                    version: -1,
                })
            }
        })
        .collect();
    bench_request(
        c,
        "multi_request_100",
        WireRequest::Multi(MultiRequest { ops }),
    );
    let results = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                MultiResult::Create(CreateResponse {
                    path: format!("/bench/multi/n{i}"),
                })
            } else {
                MultiResult::SetData(Box::new(SetDataResponse { stat: stat() }))
            }
        })
        .collect();
    bench_reply(
        c,
        "multi_reply_100",
        OpCode::Multi,
        OK,
        WireResponse::Multi(MultiResponse { results }),
    );

    let header = ReplyHeader {
        xid: xid::NOTIFICATION,
        zxid: -1,
        err: ErrorCode::Ok,
    };
    let event = WatcherEvent {
        event_type: EventType::NodeDataChanged,
        state: KeeperState::SyncConnected,
        path: "/bench/some/node".into(),
    };
    let mut buf = BytesMut::with_capacity(64);
    c.bench_function("encode/notification", |b| {
        b.iter(|| {
            buf.clear();
            encode_frame_with_header(&header, black_box(&event), &mut buf);
            black_box(buf.len())
        })
    });
    let mut f = BytesMut::new();
    encode_frame_with_header(&header, &event, &mut f);
    let frame = f.freeze().slice(4..);
    c.bench_function("decode/notification", |b| {
        b.iter(|| Reply::decode(black_box(frame.clone()), |_| OpCode::Notification).unwrap())
    });

    // Frame splitting of a 1 MB frame arriving in 64 KiB reads.
    let mut stream = BytesMut::new();
    WireResponse::encode_frame(
        &OK,
        Some(&WireResponse::GetData(GetDataResponse {
            data: Bytes::from(vec![0xA5; 1_000_000]),
            stat: stat(),
        })),
        &mut stream,
    );
    c.bench_function("frame_decoder/1MB_in_64KiB_reads", |b| {
        b.iter(|| {
            let mut d = FrameDecoder::new();
            let mut n = 0;
            for chunk in stream.chunks(64 * 1024) {
                d.extend_from_slice(chunk);
                if let Some(f) = d.decode().unwrap() {
                    n += f.len();
                }
            }
            black_box(n)
        })
    });
    for (name, path) in [
        ("ascii", "/services/kafka/brokers/ids/broker-0001"),
        ("short", "/bench/data"),
        ("unicode", "/services/kafka/brökers/ids/broker-0001"),
    ] {
        c.bench_function(&format!("validate_path/{name}"), |b| {
            b.iter(|| validate_path(black_box(path), false))
        });
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
