//! The floor of the shared client's model (zk-blocking's `SharedClient`), with no library:
//! a background IO thread owns the reading, callers block until it hands them their reply.
//!
//! What it keeps of the model: the calling thread encodes its request by hand and writes
//! it straight to the (non-blocking) socket under the one lock, unless 32 or more are
//! outstanding: then it leaves it queued for the IO thread's next turn (the shared
//! client's BATCH_DEPTH). The IO thread waits on a mio `Poll` (epoll, edge-triggered,
//! both directions), reads into one buffer, cuts out whole frames, and under the lock
//! moves each reply from the expected table to the replies in (found by xid), writes what is queued, then
//! unparks the callers whose replies came; a caller parks until its reply is there
//! (the shared client's `PendingReply::wait`: lock, take or leave its `Thread`, park).
//!
//! What it leaves out: everything of a session (no decoding beyond the xid, error and
//! data length, no pings, timeouts, reconnects, watches, events, state changes, give-ups),
//! and the lock is not held while reading (ours reads under it).
//! Workloads: sync_get, pipelined_get, large_get (the harness's env vars and JSON lines;
//! the others print nothing, as rust-floor does).
// A verbatim copy of the harness's rust-common/common.rs (its env vars, CPU meter and JSON
// line), so that this crate builds without the harness; bench/compare checks it is the same.
#[rustfmt::skip]
#[path = "../common.rs"]
mod common;
#[path = "../wire.rs"]
mod wire;

use bytes::Bytes;
use common::*;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::Thread;
use std::time::Instant;
use wire::Frames;

/// Outstanding requests from which the caller leaves its write to the IO thread.
const BATCH_DEPTH: usize = 32;

/// What the lock guards: requests not yet written, the replies callers expect (with the
/// thread to unpark once it parked) and those in, not yet taken (as the shared client's
/// reply table).
#[derive(Default)]
struct Table {
    out: Vec<u8>,
    expected: HashMap<i32, Option<Thread>>,
    done: HashMap<i32, Bytes>,
}

struct Model {
    table: Mutex<Table>,
    sock: TcpStream,
}

impl Model {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap()
    }

    /// Writes what is queued until done or the socket is full (the IO thread then
    /// finishes when it is writable).
    fn flush(&self, out: &mut Vec<u8>) {
        while !out.is_empty() {
            match (&self.sock).write(out) {
                Ok(n) => drop(out.drain(..n)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// Sends a getData of `path` with `xid`: written now, or at the IO thread's next turn.
    fn send(&self, xid: i32, path: &str) {
        let mut t = self.lock();
        wire::get_data(&mut t.out, xid, path);
        if t.expected.len() < BATCH_DEPTH {
            self.flush(&mut t.out);
        }
        t.expected.insert(xid, None);
    }

    /// Blocks until the reply to `xid` is in.
    fn wait(&self, xid: i32) -> Bytes {
        let mut t = self.lock();
        loop {
            if let Some(reply) = t.done.remove(&xid) {
                return reply;
            }
            *t.expected.get_mut(&xid).expect("a reply expected") = Some(std::thread::current());
            // Requests left for the IO thread go out before this thread sleeps (all
            // replies may be in: the IO thread would not turn again).
            if !t.out.is_empty() {
                self.flush(&mut t.out);
            }
            drop(t);
            std::thread::park();
            t = self.lock();
        }
    }
}

/// The IO thread: waits for the socket, reads until it is drained, hands the replies out.
fn io_thread(model: Arc<Model>, mut poll: Poll) {
    let fd = model.sock.as_raw_fd();
    let mut events = Events::with_capacity(8);
    let mut frames = Frames::default();
    let mut wake: Vec<Thread> = Vec::new();
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            assert_eq!(e.kind(), ErrorKind::Interrupted, "poll: {e}");
            continue;
        }
        let readable = events
            .iter()
            .any(|e| e.is_readable() || e.is_read_closed() || e.is_error());
        if readable {
            loop {
                frames.reserve();
                let room = frames.buf.spare_capacity_mut();
                // SAFETY: reads at most room.len() bytes into the buffer's free room.
                let n = unsafe { libc::read(fd, room.as_mut_ptr().cast(), room.len()) };
                if n < 0 {
                    let e = std::io::Error::last_os_error();
                    match e.kind() {
                        ErrorKind::WouldBlock => break,
                        ErrorKind::Interrupted => continue,
                        _ => panic!("read: {e}"),
                    }
                }
                if n == 0 {
                    eprintln!("floor-thread: the server closed the connection");
                    std::process::exit(1);
                }
                let short = (n as usize) < room.len();
                // SAFETY: the kernel wrote n bytes into the room.
                unsafe { frames.buf.set_len(frames.buf.len() + n as usize) };
                // A short read drained the socket: the next bytes bring a new edge (what
                // tokio assumes too), so no read that would block is needed to find out.
                if short {
                    break;
                }
            }
        }
        {
            let mut t = model.lock();
            while let Some(body) = frames.next() {
                let xid = wire::xid(&body);
                if let Some(waiter) = t.expected.remove(&xid) {
                    t.done.insert(xid, body);
                    wake.extend(waiter);
                }
            }
            model.flush(&mut t.out);
        }
        for thread in wake.drain(..) {
            thread.unpark();
        }
    }
}

fn start(cfg: &Cfg) -> Arc<Model> {
    let sock = wire::connect(cfg);
    let poll = Poll::new().expect("poll");
    let fd = sock.as_raw_fd();
    poll.registry()
        .register(
            &mut SourceFd(&fd),
            Token(0),
            Interest::READABLE | Interest::WRITABLE,
        )
        .expect("register");
    let model = Arc::new(Model {
        table: Mutex::default(),
        sock,
    });
    let io = model.clone();
    std::thread::Builder::new()
        .name("io".into())
        .spawn(move || io_thread(io, poll))
        .unwrap();
    model
}

/// One getData at a time (sync_get, large_get).
#[allow(clippy::too_many_arguments)]
fn one_at_a_time(
    cfg: &Cfg,
    m: &Model,
    xid: &mut i32,
    workload: &str,
    path: &str,
    size: usize,
    n: usize,
    print: bool,
) {
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0;
    let meter = Meter::start(cfg);
    for _ in 0..n {
        *xid += 1;
        let t = Instant::now();
        m.send(*xid, path);
        let reply = m.wait(*xid);
        lat.push(t.elapsed().as_nanos() as u64);
        if !wire::read_ok(&reply, size) {
            errors += 1;
        }
    }
    let r = meter.stop();
    if print {
        wire::emit_reads(cfg, workload, n, size, &r, &mut lat, errors);
    }
}

/// At most `outstanding` unanswered; when full, wait for the oldest (replies come in order).
fn pipelined_get(cfg: &Cfg, m: &Model, xid: &mut i32, n: usize, print: bool) {
    let mut window = VecDeque::with_capacity(cfg.outstanding);
    let mut errors = 0;
    let meter = Meter::start(cfg);
    for _ in 0..n {
        if window.len() >= cfg.outstanding {
            let oldest = window.pop_front().unwrap();
            errors += usize::from(!wire::read_ok(&m.wait(oldest), 100));
        }
        *xid += 1;
        m.send(*xid, DATA_NODE);
        window.push_back(*xid);
    }
    for x in window {
        errors += usize::from(!wire::read_ok(&m.wait(x), 100));
    }
    let r = meter.stop();
    if print {
        emit(
            cfg,
            "pipelined_get",
            n,
            &r,
            None,
            errors,
            &[("outstanding", cfg.outstanding.to_string())],
        );
    }
}

fn main() {
    let cfg = Cfg::from_env("floor-raw-frames/io-thread");
    let m = start(&cfg);
    let mut xid = 100;
    if cfg.wants("sync_get") {
        if cfg.warmup {
            one_at_a_time(
                &cfg,
                &m,
                &mut xid,
                "sync_get",
                DATA_NODE,
                100,
                warm_n(cfg.sync_n, 1000),
                false,
            );
        }
        one_at_a_time(
            &cfg, &m, &mut xid, "sync_get", DATA_NODE, 100, cfg.sync_n, true,
        );
    }
    if cfg.wants("pipelined_get") {
        if cfg.warmup {
            pipelined_get(&cfg, &m, &mut xid, warm_n(cfg.pipe_n, 10_000), false);
        }
        pipelined_get(&cfg, &m, &mut xid, cfg.pipe_n, true);
    }
    if cfg.wants("large_get") {
        let size = cfg.large_size;
        if cfg.warmup {
            one_at_a_time(
                &cfg,
                &m,
                &mut xid,
                "large_get",
                LARGE_NODE,
                size,
                warm_n(cfg.large_n, 20),
                false,
            );
        }
        one_at_a_time(
            &cfg,
            &m,
            &mut xid,
            "large_get",
            LARGE_NODE,
            size,
            cfg.large_n,
            true,
        );
    }
}
