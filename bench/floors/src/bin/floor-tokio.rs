//! The floor of the tokio client's model (zk-tokio), with no library: a spawned driver task
//! owns the socket, callers' futures get their replies from it through a shared core.
//!
//! What it keeps of the model (zk-tokio's driver/mod.rs, core.rs, call.rs), on the
//! runtime zkbench's tokio kind uses (current-thread, `enable_all`): a call locks the core,
//! encodes its request by hand into the send buffer, expects a reply under its xid and
//! wakes the driver task; its future, when polled, takes the reply if it is in or leaves
//! its waker. The driver task, each time it is polled, under the core's lock, writes the
//! send buffer until empty or the socket would block, reads until the socket has nothing
//! more (`read_buf` into the free room of one buffer, never zeroed), moves each whole
//! reply to the replies in and takes its caller's waker, leaves its own waker in the
//! core; then wakes the callers, after the lock.
//!
//! What it leaves out: everything of a session (no decoding beyond the xid, error and
//! data length, no pings, timers, reconnects, watches, events, state changes, give-ups,
//! receive low-water marks, call timeouts, typed results).
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
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;
use wire::Frames;

/// What the core's lock guards: requests not yet written, the replies callers expect
/// (with their wakers), those in and not yet taken, and the driver task's waker.
#[derive(Default)]
struct Core {
    out: Vec<u8>,
    expected: HashMap<i32, Option<Waker>>,
    done: HashMap<i32, Bytes>,
    driver: Option<Waker>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Core>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Core> {
        self.0.lock().unwrap()
    }

    /// Queues a getData of `path` with `xid` and wakes the driver; the reply's future.
    fn get_data(&self, xid: i32, path: &str) -> Reply {
        let driver = {
            let mut core = self.lock();
            wire::get_data(&mut core.out, xid, path);
            core.expected.insert(xid, None);
            core.driver.take()
        };
        if let Some(driver) = driver {
            driver.wake();
        }
        Reply {
            shared: self.clone(),
            xid,
        }
    }
}

/// A call's future: its reply once the driver has handed it out.
struct Reply {
    shared: Shared,
    xid: i32,
}

impl Future for Reply {
    type Output = Bytes;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Bytes> {
        let mut core = self.shared.lock();
        if let Some(reply) = core.done.remove(&self.xid) {
            return Poll::Ready(reply);
        }
        let waker = core.expected.get_mut(&self.xid).expect("a reply expected");
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// The driver task: owns the socket and the read buffer; never ends (the runtime drops it).
struct Driver {
    shared: Shared,
    stream: TcpStream,
    frames: Frames,
    wake: Vec<Waker>,
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        {
            let mut core = this.shared.lock();
            while !core.out.is_empty() {
                match Pin::new(&mut this.stream).poll_write(cx, &core.out) {
                    Poll::Ready(Ok(n)) => drop(core.out.drain(..n)),
                    Poll::Ready(Err(e)) => panic!("write: {e}"),
                    Poll::Pending => break,
                }
            }
            loop {
                this.frames.reserve();
                match pin!(this.stream.read_buf(&mut this.frames.buf)).poll(cx) {
                    Poll::Ready(Ok(0)) => {
                        eprintln!("floor-tokio: the server closed the connection");
                        std::process::exit(1);
                    }
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(e)) => panic!("read: {e}"),
                    Poll::Pending => break,
                }
            }
            while let Some(body) = this.frames.next() {
                let xid = wire::xid(&body);
                if let Some(waker) = core.expected.remove(&xid) {
                    core.done.insert(xid, body);
                    this.wake.extend(waker);
                }
            }
            if !core
                .driver
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                core.driver = Some(cx.waker().clone());
            }
        }
        for waker in this.wake.drain(..) {
            waker.wake();
        }
        Poll::Pending
    }
}

/// One getData at a time (sync_get, large_get).
#[allow(clippy::too_many_arguments)]
async fn one_at_a_time(
    cfg: &Cfg,
    zk: &Shared,
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
        let reply = zk.get_data(*xid, path).await;
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

/// A FIFO window of at most `outstanding` calls; when full, the oldest is awaited (as
/// zkbench's tokio kind does: replies come in order).
async fn pipelined_get(cfg: &Cfg, zk: &Shared, xid: &mut i32, n: usize, print: bool) {
    let mut window = VecDeque::with_capacity(cfg.outstanding);
    let mut errors = 0;
    let meter = Meter::start(cfg);
    for _ in 0..n {
        if window.len() >= cfg.outstanding {
            let oldest: Reply = window.pop_front().unwrap();
            errors += usize::from(!wire::read_ok(&oldest.await, 100));
        }
        *xid += 1;
        window.push_back(zk.get_data(*xid, DATA_NODE));
    }
    for reply in window {
        errors += usize::from(!wire::read_ok(&reply.await, 100));
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

async fn run(cfg: Cfg) {
    let zk = Shared::default();
    let stream = TcpStream::from_std(wire::connect(&cfg)).expect("socket");
    tokio::spawn(Driver {
        shared: zk.clone(),
        stream,
        frames: Frames::default(),
        wake: Vec::new(),
    });
    let mut xid = 100;
    if cfg.wants("sync_get") {
        if cfg.warmup {
            one_at_a_time(
                &cfg,
                &zk,
                &mut xid,
                "sync_get",
                DATA_NODE,
                100,
                warm_n(cfg.sync_n, 1000),
                false,
            )
            .await;
        }
        one_at_a_time(
            &cfg, &zk, &mut xid, "sync_get", DATA_NODE, 100, cfg.sync_n, true,
        )
        .await;
    }
    if cfg.wants("pipelined_get") {
        if cfg.warmup {
            pipelined_get(&cfg, &zk, &mut xid, warm_n(cfg.pipe_n, 10_000), false).await;
        }
        pipelined_get(&cfg, &zk, &mut xid, cfg.pipe_n, true).await;
    }
    if cfg.wants("large_get") {
        let size = cfg.large_size;
        if cfg.warmup {
            one_at_a_time(
                &cfg,
                &zk,
                &mut xid,
                "large_get",
                LARGE_NODE,
                size,
                warm_n(cfg.large_n, 20),
                false,
            )
            .await;
        }
        one_at_a_time(
            &cfg,
            &zk,
            &mut xid,
            "large_get",
            LARGE_NODE,
            size,
            cfg.large_n,
            true,
        )
        .await;
    }
}

fn main() {
    let cfg = Cfg::from_env("floor-raw-frames/tokio-task");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(cfg));
}
