//! Memory: the heap bytes a session holds per in-flight request, per queued request
//! and per watch registration, printed as a table:
//!
//! ```text
//! cargo bench -p zk-session --bench memory
//! ```
//!
//! `tests/memory.rs` runs the same measurements as a test and bounds them, so they
//! cannot rot.
//!
//! A counting global allocator (`zk_test_support::counting_alloc`) keeps the live bytes
//! (the sizes requested from the allocator, so its own per-block overhead comes on top)
//! and the live blocks. Each figure is the growth of both across `N` submits (and their writes and replies),
//! divided by `N`. Everything else that runs in the measured stretch allocates nothing:
//! the paths are sliced from one string built beforehand (each request's `String` is
//! then exactly its path, as the session keeps it), the bytes written go to a sink
//! reserved beforehand, and the replies are patched from a template into a buffer
//! reserved beforehand. Growth of the session's own buffers and queues is counted: it
//! is memory the session holds. For watches, a warm-up round of the same traffic
//! (registering nothing) first grows those to the size the measured round needs, so
//! the figure is the watch tables alone.

use std::time::Instant;

use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::zk_proto::{self, ErrorCode, ErrorResponse, GetDataResponse, Stat};
use zk_session::{Config, ConnId, Event, Request, Session, WatchKind};
use zk_test_support::counting_alloc::{CountingAllocator, Live, live};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Requests (or watches) per measurement.
pub const N: usize = 10_000;

/// The length of every path: `/app/service/node-00001`.
pub const PATH_LEN: usize = "/app/service/node-00001".len();

/// One row of the table: what the session holds per item.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// What was measured.
    pub what: &'static str,
    /// Heap bytes per item (requested sizes).
    pub bytes: f64,
    /// Heap blocks per item.
    pub blocks: f64,
}

impl Figure {
    fn new(what: &'static str, before: Live, after: Live) -> Figure {
        Figure {
            what,
            bytes: (after.bytes as f64 - before.bytes as f64) / N as f64,
            blocks: (after.blocks as f64 - before.blocks as f64) / N as f64,
        }
    }
}

/// Every figure: in flight, queued, data watch, persistent-recursive watch.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// getData written to the connection, its reply not yet in: all `N` submitted,
    /// then written.
    pub in_flight_burst: Figure,
    /// The same, each written as it was submitted (the queue never grows).
    pub in_flight: Figure,
    /// getData submitted while no connection is up: queued, not yet written.
    pub queued: Figure,
    /// A one-shot data watch, left by a successful getData(watch).
    pub data_watch: Figure,
    /// A persistent recursive watch, left by a successful addWatch.
    pub recursive_watch: Figure,
}

/// `N` distinct paths of `PATH_LEN` bytes in one string, so that taking one to build a
/// request allocates exactly the path.
struct Paths(String);

impl Paths {
    fn new() -> Paths {
        let s: String = (0..N)
            .map(|i| format!("/app/service/node-{i:05}"))
            .collect();
        assert_eq!(s.len(), N * PATH_LEN);
        Paths(s)
    }

    fn get(&self, i: usize) -> &str {
        &self.0[i * PATH_LEN..(i + 1) * PATH_LEN]
    }
}

fn config() -> Config {
    let mut c = Config::new("127.0.0.1");
    c.seed = 1;
    // addWatch goes out as it is either way; this only keeps the setup like a 3.9 server's.
    c.persistent_watcher_types = true;
    c
}

fn connected() -> Harness {
    let mut h = Harness::new(config());
    h.establish(30_000, 1);
    h.take_events();
    h
}

/// Writes the whole send buffer into `sink` (reserved beforehand: no allocation).
fn write_all(s: &mut Session, conn: ConnId, now: Instant, sink: &mut Vec<u8>) {
    let cap = sink.capacity();
    loop {
        let out = s.send_buf();
        if out.is_empty() {
            break;
        }
        let n = out.len();
        sink.extend_from_slice(out);
        s.advance_send(conn, n, now);
    }
    assert_eq!(sink.capacity(), cap, "the sink was reserved too small");
}

/// The xid of every request frame in `written`, without allocating.
fn xids(written: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    let mut rest = written;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let xid = rest[4..8].try_into().unwrap();
        rest = &rest[4 + len..];
        Some(xid)
    })
}

/// Every frame in `written` is a request on one of the paths, `N` of them.
fn check_written(written: &[u8]) {
    let mut server = FakeServer::new();
    // the decoder expects a handshake first
    let mut hs = bytes::BytesMut::new();
    zk_proto::encode_frame(
        &zk_proto::ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout: 30_000,
            session_id: 0,
            passwd: bytes::Bytes::from_static(&[0; 16]),
            read_only: false,
        },
        &mut hs,
    );
    server.feed(&hs);
    let frames = server.feed(written);
    assert_eq!(frames.len(), N);
    for f in frames {
        assert!(matches!(f, ClientFrame::Request { .. }));
    }
}

/// A reply frame with xid 0, to patch.
fn template(body: &zk_proto::WireResponse) -> Vec<u8> {
    FakeServer::ok(0, 1, body)
}

fn get_data_template() -> Vec<u8> {
    template(&zk_proto::WireResponse::GetData(GetDataResponse {
        data: bytes::Bytes::new(),
        stat: Stat::default(),
    }))
}

/// Heap held per getData written and awaiting its reply. `burst`: all `N` are
/// submitted, then written (beyond the 64 KiB send buffer they wait in the queue, whose
/// grown capacity the session keeps); else each is written as it is submitted.
fn in_flight(paths: &Paths, burst: bool) -> Figure {
    let mut h = connected();
    let (conn, now) = (h.conn.expect("connected"), h.now);
    let mut sink = Vec::with_capacity(N * 64);

    let before = live();
    for i in 0..N {
        h.session
            .submit(Request::get_data(paths.get(i), false), now)
            .unwrap();
        if !burst {
            write_all(&mut h.session, conn, now, &mut sink);
        }
    }
    write_all(&mut h.session, conn, now, &mut sink);
    let after = live();

    assert_eq!(h.session.outstanding(), N);
    assert!(h.session.send_buf().is_empty());
    check_written(&sink);
    if burst {
        Figure::new("in flight, submitted in one burst", before, after)
    } else {
        Figure::new("in flight, written as submitted", before, after)
    }
}

/// Heap held per getData submitted while no connection is up.
fn queued(paths: &Paths) -> Figure {
    let mut h = Harness::new(config());
    let now = h.now;

    let before = live();
    for i in 0..N {
        h.session
            .submit(Request::get_data(paths.get(i), false), now)
            .unwrap();
    }
    let after = live();

    assert_eq!(h.session.outstanding(), N);
    assert!(h.session.send_buf().is_empty());
    Figure::new("queued (not yet written)", before, after)
}

/// Submits a request per path, writes them, answers each with `reply` (its xid
/// patched in), delivered in socket-sized chunks, and drains the events. Returns how
/// many replies carried a registration.
fn round(
    h: &mut Harness,
    paths: &Paths,
    request: impl Fn(&str) -> Request,
    reply: &[u8],
    sink: &mut Vec<u8>,
    replies: &mut Vec<u8>,
) -> usize {
    let (conn, now) = (h.conn.expect("connected"), h.now);
    for i in 0..N {
        h.session.submit(request(paths.get(i)), now).unwrap();
    }
    sink.clear();
    write_all(&mut h.session, conn, now, sink);
    replies.clear();
    let cap = replies.capacity();
    for xid in xids(sink) {
        let start = replies.len();
        replies.extend_from_slice(reply);
        replies[start + 4..start + 8].copy_from_slice(&xid);
    }
    assert_eq!(
        replies.capacity(),
        cap,
        "the reply buffer was reserved too small"
    );
    let (mut answered, mut registered) = (0, 0);
    for chunk in replies.chunks(16 * 1024) {
        h.session.handle_bytes(conn, chunk, now);
        while let Some(e) = h.session.poll_event() {
            match e {
                Event::Reply {
                    result: Ok(_),
                    registration,
                    ..
                } => {
                    answered += 1;
                    registered += usize::from(registration.is_some());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(answered, N);
    assert_eq!(h.session.outstanding(), 0);
    registered
}

/// Heap held per watch of `kind`, registered by `request`'s successful `reply`.
fn watches(
    what: &'static str,
    paths: &Paths,
    kind: WatchKind,
    request: impl Fn(&str) -> Request,
    reply: &[u8],
) -> Figure {
    let mut h = connected();
    let get_data = get_data_template();
    let mut sink = Vec::with_capacity(N * 64);
    let mut replies = Vec::with_capacity(N * get_data.len().max(reply.len()));
    // Warm-up: the same traffic, registering nothing, grows the session's buffers and
    // queues to what the measured round needs.
    let none = round(
        &mut h,
        paths,
        |p| Request::get_data(p, false),
        &get_data,
        &mut sink,
        &mut replies,
    );
    assert_eq!(none, 0);

    let before = live();
    let registered = round(&mut h, paths, request, reply, &mut sink, &mut replies);
    let after = live();

    assert_eq!(registered, N);
    assert_eq!(h.session.watches().count(), N);
    assert!(h.session.watches().all(|r| r.kind == kind));
    Figure::new(what, before, after)
}

/// Runs every measurement.
pub fn measure() -> Figures {
    let paths = Paths::new();
    let add_watch = template(&zk_proto::WireResponse::AddWatch(ErrorResponse {
        err: ErrorCode::Ok,
    }));
    Figures {
        in_flight_burst: in_flight(&paths, true),
        in_flight: in_flight(&paths, false),
        queued: queued(&paths),
        data_watch: watches(
            "data watch (getData, watch = true)",
            &paths,
            WatchKind::Data,
            |p| Request::get_data(p, true),
            &get_data_template(),
        ),
        recursive_watch: watches(
            "persistent-recursive watch (addWatch)",
            &paths,
            WatchKind::PersistentRecursive,
            |p| Request::AddWatch {
                path: p.into(),
                recursive: true,
            },
            &add_watch,
        ),
    }
}

/// Prints the figures as a table.
pub fn print(f: &Figures) {
    println!(
        "zk-session heap per item, N = {N}, getData / paths like /app/service/node-00001 \
         ({PATH_LEN} bytes)"
    );
    println!("{:<40} {:>10} {:>12}", "", "bytes/item", "blocks/item");
    for r in [
        f.in_flight,
        f.in_flight_burst,
        f.queued,
        f.data_watch,
        f.recursive_watch,
    ] {
        println!("{:<40} {:>10.1} {:>12.2}", r.what, r.bytes, r.blocks);
    }
    println!(
        "(bytes requested from the allocator; its own overhead per block, \
         typically 8-16 bytes, comes on top)"
    );
}

fn main() {
    print(&measure());
}
