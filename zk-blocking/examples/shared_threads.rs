//! Eight threads share one [`SharedClient`] (one session): each creates, reads, watches
//! and changes its own nodes with the typed calls, pipelines batches of reads with
//! [`SharedClient::submit`] / [`PendingReply::wait`], and waits for its own watches with
//! [`SharedClient::wait_watch`]; the main thread reads the client's event channel
//! ([`SharedClient::events`]) meanwhile. Every call blocks only its own thread; the
//! requests of all threads go out pipelined on the one connection, and every reply is
//! checked by content.
//!
//! ```sh
//! cargo run -p zk-blocking --example shared_threads                    # starts a local server
//! cargo run -p zk-blocking --example shared_threads -- 127.0.0.1:2181  # your server
//! ```

use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use zk_blocking::{
    CreateMode, Error, Event, EventType, Options, PendingReply, Request, Response, SharedClient,
    Version,
};

/// What the run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Typed calls made (each checked).
    pub calls: usize,
    /// Requests pipelined with `submit` (each reply checked).
    pub pipelined: usize,
    /// Watches that fired and were waited for with `wait_watch`.
    pub watches_fired: usize,
    /// NodeDataChanged events the main thread took from the event channel.
    pub events_seen: usize,
    /// Whether the session at the end is the one at the start.
    pub same_session: bool,
}

/// How many reads go out in one pipelined batch.
const BATCH: usize = 10;

/// The value thread `t` writes into its node `r` (`version` 0 at creation, 1 after).
fn value(t: usize, r: usize, version: u32) -> String {
    format!("thread {t} node {r} v{version}")
}

fn check(what: &str, ok: bool) -> Result<(), Box<dyn StdError + Send + Sync>> {
    if ok {
        Ok(())
    } else {
        Err(format!("wrong reply: {what}").into())
    }
}

/// One thread's work on `zk`, under `dir`: `rounds` × (create, read with a watch,
/// change, wait for the watch), a pipelined batch of reads every `BATCH` rounds, and a
/// pipelined delete of everything at the end. Returns (calls, pipelined, watches fired).
fn worker(
    zk: &SharedClient,
    dir: &str,
    t: usize,
    rounds: usize,
) -> Result<(usize, usize, usize), Box<dyn StdError + Send + Sync>> {
    let (mut calls, mut pipelined, mut fired) = (0, 0, 0);
    zk.create(dir, "", CreateMode::Persistent)?;
    calls += 1;
    let node = |r: usize| format!("{dir}/n-{r}");
    for r in 0..rounds {
        let path = zk.create(&node(r), value(t, r, 0), CreateMode::Persistent)?;
        check("create's path", path == node(r))?;
        let (data, stat, watch) = zk.get_data_watch(&path)?;
        check("get_data", data == value(t, r, 0).as_bytes())?;
        let stat2 = zk.set_data(&path, value(t, r, 1), Version::Exact(stat.version))?;
        check("set_data's version", stat2.version == stat.version + 1)?;
        calls += 3;
        // Our own watch, waited for by this thread alone; the event thread and the
        // channel get their copies too.
        match zk.wait_watch(watch, Duration::from_secs(10))? {
            Some(Event::Watch(e)) => {
                check("watch event", e.event_type == EventType::NodeDataChanged)?;
                check("watch path", e.path == path)?;
                fired += 1;
            }
            other => return Err(format!("thread {t}: watch on {path}: {other:?}").into()),
        }
        if (r + 1) % BATCH == 0 {
            // Pipelined: submit a batch, then take the replies, oldest first.
            let batch: Vec<(usize, PendingReply)> = (r + 1 - BATCH..=r)
                .map(|i| Ok((i, zk.submit(Request::get_data(node(i), false))?)))
                .collect::<Result<_, Error>>()?;
            for (i, pending) in batch {
                match pending.wait()?.result? {
                    Response::GetData { data, .. } => {
                        check("pipelined get_data", data == value(t, i, 1).as_bytes())?
                    }
                    other => return Err(format!("pipelined get_data: {other:?}").into()),
                }
                pipelined += 1;
            }
        }
    }
    let children = zk.get_children(dir)?;
    check("get_children", children.len() == rounds)?;
    calls += 1;
    let deletes: Vec<PendingReply> = (0..rounds)
        .map(|r| zk.submit(Request::delete(node(r), Version::Any)))
        .collect::<Result<_, Error>>()?;
    for pending in deletes {
        pending.wait()?.result?;
        pipelined += 1;
    }
    zk.delete(dir, Version::Any)?;
    calls += 1;
    Ok((calls, pipelined, fired))
}

/// `threads` threads share one client on `connect_string`, `rounds` rounds each.
pub fn run(
    connect_string: &str,
    threads: usize,
    rounds: usize,
) -> Result<Summary, Box<dyn StdError>> {
    let zk = SharedClient::connect(connect_string, Options::default())?;
    let session = zk.session_id();
    let base = format!("/shared-threads-{}", std::process::id());
    zk.create(&base, "", CreateMode::Persistent)?;
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            // A clone is a handle to the same client and session.
            let (zk, dir, done) = (zk.clone(), format!("{base}/t-{t}"), done.clone());
            thread::spawn(move || {
                let outcome = worker(&zk, &dir, t, rounds).map_err(|e| e.to_string());
                done.fetch_add(1, Ordering::SeqCst);
                outcome
            })
        })
        .collect();
    // Meanwhile this thread reads the event channel (every watch event reaches it, in
    // wire order, besides the copy `wait_watch` hands out).
    let events = zk.events();
    let mut events_seen = 0;
    while done.load(Ordering::SeqCst) < threads {
        if let Some(Event::Watch(e)) = events.recv_timeout(Duration::from_millis(50))? {
            if e.event_type == EventType::NodeDataChanged {
                events_seen += 1;
            }
        }
    }
    while let Some(event) = events.try_recv()? {
        if matches!(event, Event::Watch(e) if e.event_type == EventType::NodeDataChanged) {
            events_seen += 1;
        }
    }
    let mut summary = Summary {
        calls: 0,
        pipelined: 0,
        watches_fired: 0,
        events_seen,
        same_session: false,
    };
    for (t, w) in workers.into_iter().enumerate() {
        let (calls, pipelined, fired) = w
            .join()
            .map_err(|_| format!("thread {t} panicked"))?
            .map_err(|e| format!("thread {t}: {e}"))?;
        summary.calls += calls;
        summary.pipelined += pipelined;
        summary.watches_fired += fired;
    }
    zk.delete(&base, Version::Any)?;
    summary.same_session = zk.session_id() == session && zk.outstanding() == 0;
    println!(
        "{threads} threads on session {session:#x}: {} calls and {} pipelined requests in \
         {:.2} s, {} watches fired, {} change events on the channel",
        summary.calls,
        summary.pipelined,
        started.elapsed().as_secs_f64(),
        summary.watches_fired,
        summary.events_seen
    );
    zk.close();
    Ok(summary)
}

#[allow(dead_code)] // The test suite includes this file and calls `run`.
fn main() -> Result<(), Box<dyn StdError>> {
    let (connect_string, _server) = zk_tests::ZkServer::given_or_started(&Default::default())?;
    let summary = run(&connect_string, 8, 100)?;
    assert!(summary.same_session, "one session throughout");
    Ok(())
}
