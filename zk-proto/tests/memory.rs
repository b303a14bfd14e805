//! Memory: decoding one hostile frame allocates at most a small constant times the
//! frame's length (the factor stated in the crate docs).
//!
//! A counting global allocator (`zk_test_support::counting_alloc`) measures the peak of
//! the bytes requested while one frame is decoded (the frame itself, already in memory,
//! is not counted). A reallocation counts as if the old and the new block were live at
//! once, as they are when it moves. The only test in this binary, so no other test
//! allocates meanwhile.

use bytes::{BufMut, Bytes, BytesMut};
use zk_proto::*;
use zk_test_support::counting_alloc::{CountingAllocator, peak_bytes_of};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The frame length every shape is built to: the default maximum, 1 MiB - 1.
const FRAME: usize = DEFAULT_MAX_FRAME_LEN;

/// The bound the crate docs state for decoding a server frame: peak bytes allocated
/// while decoding, over the frame's length.
const REPLY_FACTOR: f64 = 6.0;
/// The bound stated for decoding a client frame (`WireRequest::decode_frame`, as a fake
/// server does).
const REQUEST_FACTOR: f64 = 7.0;

fn reply_header(b: &mut BytesMut) {
    b.put_i32(1); // xid
    b.put_i64(1); // zxid
    b.put_i32(0); // err
}

/// A vector filling the rest of a `FRAME`-byte frame with `elem`-byte elements.
fn vector(b: &mut BytesMut, elem: &[u8]) {
    vector_before(b, elem, 0);
}

/// A vector filling a `FRAME`-byte frame but the last `tail` bytes (left to the caller).
fn vector_before(b: &mut BytesMut, elem: &[u8], tail: usize) {
    let n = (FRAME - b.len() - 4 - tail) / elem.len();
    b.put_i32(n as i32);
    for _ in 0..n {
        b.put_slice(elem);
    }
}

/// A multi list filling a `FRAME`-byte frame with `entry`-byte entries
/// (header + body), then the terminator.
fn multi(b: &mut BytesMut, entry: &[u8]) {
    let n = (FRAME - b.len() - 9) / entry.len();
    for _ in 0..n {
        b.put_slice(entry);
    }
    b.put_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 1, 0xFF, 0xFF, 0xFF, 0xFF]);
}

fn frame(build: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut b = BytesMut::new();
    build(&mut b);
    b.freeze()
}

fn check(name: &str, frame: Bytes, bound: f64, decode: impl FnOnce(Bytes) -> bool) -> f64 {
    let len = frame.len();
    assert!(
        len > FRAME - 100 && len <= FRAME,
        "{name}: frame of {len} bytes"
    );
    let mut ok = false;
    let peak = peak_bytes_of(|| ok = decode(frame));
    assert!(ok, "{name}: did not decode as intended");
    let factor = peak as f64 / len as f64;
    // A few bytes of slack over the factor, for fixed-size parts (a header, a Box).
    let limit = bound * len as f64 + 256.0;
    println!("{name:<48} peak {peak:>9} bytes = {factor:.2} x frame");
    assert!(
        peak as f64 <= limit,
        "{name}: peak {peak} bytes is {factor:.2} x the frame, over {bound}"
    );
    factor
}

fn reply(name: &str, op: OpCode, build: impl FnOnce(&mut BytesMut)) -> f64 {
    let f = frame(|b| {
        reply_header(b);
        build(b);
    });
    check(name, f, REPLY_FACTOR, |f| decode_reply(f, op).is_ok())
}

/// A reply whose last element does not decode: everything before it was decoded (and
/// reserved) first.
fn failing_reply(name: &str, op: OpCode, build: impl FnOnce(&mut BytesMut)) -> f64 {
    let f = frame(|b| {
        reply_header(b);
        build(b);
    });
    check(name, f, REPLY_FACTOR, |f| decode_reply(f, op).is_err())
}

fn request(name: &str, op: OpCode, build: impl FnOnce(&mut BytesMut)) -> f64 {
    let f = frame(|b| {
        b.put_i32(1);
        b.put_i32(op.to_i32());
        build(b);
    });
    check(name, f, REQUEST_FACTOR, |f| {
        WireRequest::decode_frame(f).is_ok()
    })
}

const DELETE_RESULT: [u8; 9] = [0, 0, 0, 2, 0, 0, 0, 0, 0];
const CHECK_RESULT: [u8; 9] = [0, 0, 0, 13, 0, 0, 0, 0, 0];
const ERROR_RESULT: [u8; 13] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const CREATE_RESULT: [u8; 13] = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const EMPTY_CHILDREN_RESULT: [u8; 13] = [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];

#[test]
fn decoding_a_frame_allocates_a_bounded_multiple_of_it() {
    let mut worst: f64 = 0.0;
    let mut reply_worst = |f: f64| worst = worst.max(f);

    // Multi results: no count on the wire, 9 bytes for the smallest.
    reply_worst(reply("multi: delete results", OpCode::Multi, |b| {
        multi(b, &DELETE_RESULT)
    }));
    reply_worst(reply("multi: check results", OpCode::Multi, |b| {
        multi(b, &CHECK_RESULT)
    }));
    reply_worst(reply("multi: error results", OpCode::Multi, |b| {
        multi(b, &ERROR_RESULT)
    }));
    reply_worst(reply(
        "multi: create results, empty paths",
        OpCode::Multi,
        |b| multi(b, &CREATE_RESULT),
    ));
    reply_worst(reply(
        "multiRead: empty getChildren results",
        OpCode::MultiRead,
        |b| multi(b, &EMPTY_CHILDREN_RESULT),
    ));
    // Just past a power of two, where a doubling vector would hold 3 times the results.
    reply_worst(reply(
        "multi: 65,537 delete results, padded",
        OpCode::Multi,
        |b| {
            for _ in 0..65_537 {
                b.put_slice(&DELETE_RESULT);
            }
            b.put_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 1, 0xFF, 0xFF, 0xFF, 0xFF]);
            b.put_bytes(0, FRAME - b.len());
        },
    ));
    reply_worst(failing_reply(
        "multi: delete results, no terminator",
        OpCode::Multi,
        |b| {
            multi(b, &DELETE_RESULT);
            b.truncate(b.len() - 9);
        },
    ));

    // Vectors: the count is reserved exactly.
    reply_worst(reply(
        "getChildren: empty names",
        OpCode::GetChildren,
        |b| vector(b, &[0, 0, 0, 0]),
    ));
    reply_worst(reply(
        "getChildren: 1-byte names",
        OpCode::GetChildren,
        |b| vector(b, &[0, 0, 0, 1, b'a']),
    ));
    reply_worst(reply(
        "getChildren: 1 invalid byte each (U+FFFD)",
        OpCode::GetChildren,
        |b| vector(b, &[0, 0, 0, 1, 0xFF]),
    ));
    reply_worst(failing_reply(
        "getChildren: empty names, the last cut",
        OpCode::GetChildren,
        |b| {
            vector(b, &[0, 0, 0, 0]);
            let end = b.len();
            b[end - 4..].copy_from_slice(&100i32.to_be_bytes());
        },
    ));
    reply_worst(reply(
        "getEphemerals: empty paths",
        OpCode::GetEphemerals,
        |b| vector(b, &[0, 0, 0, 0]),
    ));
    reply_worst(reply("getACL: empty ids", OpCode::GetAcl, |b| {
        vector_before(b, &[0, 0, 0, 31, 0, 0, 0, 0, 0, 0, 0, 0], 68);
        b.put_bytes(0, 68);
    }));
    reply_worst(reply("whoAmI: empty client infos", OpCode::WhoAmI, |b| {
        vector(b, &[0, 0, 0, 0, 0, 0, 0, 0])
    }));
    reply_worst(reply(
        "create: one path of invalid bytes",
        OpCode::Create,
        |b| {
            let n = FRAME - b.len() - 4;
            b.put_i32(n as i32);
            b.put_bytes(0xFF, n);
        },
    ));
    reply_worst(reply(
        "create: one path of Java surrogate pairs",
        OpCode::Create,
        |b| {
            let n = (FRAME - b.len() - 4) / 6;
            b.put_i32((6 * n) as i32);
            for _ in 0..n {
                b.put_slice(&[0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]);
            }
        },
    ));
    reply_worst(reply(
        "getData: all data (zero-copy)",
        OpCode::GetData,
        |b| {
            let n = FRAME - b.len() - 4 - 68;
            b.put_i32(n as i32);
            b.put_bytes(7, n + 68);
        },
    ));

    // Requests, as a fake server decodes them.
    let mut request_worst: f64 = 0.0;
    let mut note = |f: f64| request_worst = request_worst.max(f);
    note(request(
        "multiRead request: getData ops, empty paths",
        OpCode::MultiRead,
        |b| multi(b, &[0, 0, 0, 4, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0]),
    ));
    note(request(
        "multi request: delete ops, empty paths",
        OpCode::Multi,
        |b| {
            multi(
                b,
                &[
                    0, 0, 0, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0,
                ],
            )
        },
    ));
    note(request(
        "setWatches2: empty paths",
        OpCode::SetWatches2,
        |b| {
            b.put_i64(0);
            for _ in 0..4 {
                b.put_i32(0);
            }
            vector(b, &[0, 0, 0, 0]);
        },
    ));

    println!("worst reply factor {worst:.2}, worst request factor {request_worst:.2}");

    // Path validation runs on every request and allocates nothing, sequential or not.
    let long = format!("/{}", "a/".repeat(1000));
    for (path, sequential) in [("/a/b/c", false), ("/a/b/", true), ("/a/../b", false)] {
        assert_eq!(
            peak_bytes_of(|| validate_path(path, sequential)),
            0,
            "{path}"
        );
    }
    assert_eq!(peak_bytes_of(|| validate_path(&long, true)), 0);
    println!(
        "size_of: MultiResult {}, MultiOp {}, String {}, Acl {}, ClientInfo {}",
        size_of::<MultiResult>(),
        size_of::<MultiOp>(),
        size_of::<String>(),
        size_of::<Acl>(),
        size_of::<ClientInfo>()
    );
}
