//! `ZKB_CLIENT_KIND=tokio`: the five workloads on [`zk_tokio::Client`], as one async
//! task on a current-thread runtime (the flavour of the harness's `rust` peer). The
//! clients' driver tasks run on the same thread, whenever the workload awaits.
//!
//! The workloads are those of `workloads` (same fixtures, timing, checks and JSON
//! fields), written with the async client's typed calls. A pipelined workload keeps at
//! most `ZKB_OUTSTANDING` calls in flight ([`pipeline`]): zk-tokio queues a request when
//! its method is called, and one session answers in order, so the window is a FIFO of
//! [`Call`](zk_tokio::Call) futures and, when it is full, the oldest is awaited. When
//! it completes, the calls behind it have usually completed with it (the driver hands
//! out a whole read's replies at once), so refilling the window takes several
//! replies without waiting, and the requests made meanwhile go out in one write. No
//! FuturesUnordered is needed, and each future is polled when its turn comes.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use zk_tokio::{Bytes, Client, CreateMode, Error, EventType, OneShotWatch, Version};

use crate::client::options;
use crate::config::{Config, warm_up_size};
use crate::measure::{Meter, Report};
use crate::memory::{MemoryReport, resident_bytes, watched_path};
use crate::pipeline::REPLY_TIMEOUT;
use crate::print;
use crate::workloads::{
    DATA_NODE, DATA_SIZE, EVENT_TIMEOUT, LARGE_NODE, Outcome, ROOT, Storm, check_read,
    create_delete_report, large_get_fields, nanos_since, payload, window_fields,
};

/// Runs the selected workloads, printing a line for each, on a runtime of its own.
pub fn run(config: &Config) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::System(format!("cannot start a tokio runtime: {e}")))?;
    runtime.block_on(run_workloads(config))
}

async fn run_workloads(config: &Config) -> Result<(), Error> {
    let zk = Client::connect(&config.hosts, options(config)).await?;
    match zk.create(ROOT, Bytes::new(), CreateMode::Persistent).await {
        Ok(_) | Err(Error::NodeExists { .. }) => {}
        Err(e) => return Err(e),
    }
    ensure_node(&zk, DATA_NODE, payload(DATA_SIZE)).await?;
    if config.wants("large_get") {
        ensure_node(&zk, LARGE_NODE, payload(config.large_size)).await?;
    }
    let warm = config.warmup;

    if config.wants("sync_get") {
        if warm {
            sync_get(&zk, config, warm_up_size(config.sync_n, 1000)).await?;
        }
        print(sync_get(&zk, config, config.sync_n).await?, config);
    }
    if config.wants("pipelined_get") {
        if warm {
            pipelined_get(&zk, config, warm_up_size(config.pipe_n, 10_000)).await?;
        }
        print(pipelined_get(&zk, config, config.pipe_n).await?, config);
    }
    if config.wants("pipelined_create_delete") {
        if warm {
            let n = warm_up_size(config.cd_n, 2000);
            pipelined_create_delete(&zk, config, n).await?;
        }
        let report = pipelined_create_delete(&zk, config, config.cd_n).await?;
        print(report, config);
    }
    if config.wants("large_get") {
        if warm {
            large_get(&zk, config, warm_up_size(config.large_n, 20)).await?;
        }
        print(large_get(&zk, config, config.large_n).await?, config);
    }
    if config.wants("watch_storm") {
        let b = Client::connect(&config.hosts, options(config)).await?;
        if warm {
            let n = warm_up_size(config.watch_n, 500);
            watch_storm(&zk, &b, config, n).await?;
        }
        print(watch_storm(&zk, &b, config, config.watch_n).await?, config);
        b.close().await;
    }
    if config.wants("memory") {
        let fresh = Client::connect(&config.hosts, options(config)).await?;
        let (report, watches) = memory(&fresh, config).await?;
        println!("{}", report.json_line(config));
        // Dropped while the session lives: each asks the server to remove its watch.
        drop(watches);
        fresh.close().await;
    }
    zk.close().await;
    Ok(())
}

/// The memory workload (see `memory`): the watches' handles are kept, as a program
/// that waits for their events would keep them, and handed back.
async fn memory(zk: &Client, config: &Config) -> Result<(MemoryReport, Vec<OneShotWatch>), Error> {
    let started = Instant::now();
    let base = resident_bytes().unwrap_or(0);
    let mut watches = Vec::with_capacity(config.mem_watches);
    let mut errors = 0;
    pipeline(
        config.outstanding,
        config.mem_watches,
        |i| zk.exists_watch(&watched_path(i)),
        |result| match result {
            Ok((_, watch)) => watches.push(watch),
            Err(_) => errors += 1,
        },
    )
    .await?;
    let with_watches = resident_bytes().unwrap_or(0);
    let calls: Vec<_> = (0..config.mem_requests)
        .map(|_| zk.get_data(DATA_NODE))
        .collect();
    let with_requests = resident_bytes().unwrap_or(0);
    for call in calls {
        if reply(call).await?.is_err() {
            errors += 1;
        }
    }
    let report = MemoryReport {
        base,
        with_watches,
        with_requests,
        seconds: started.elapsed().as_secs_f64(),
        errors,
    };
    Ok((report, watches))
}

/// Creates `path` with `data`, or overwrites the data if it exists.
async fn ensure_node(zk: &Client, path: &str, data: Bytes) -> Result<(), Error> {
    match zk.create(path, data.clone(), CreateMode::Persistent).await {
        Err(Error::NodeExists { .. }) => zk.set_data(path, data, Version::Any).await.map(drop),
        other => other.map(drop),
    }
}

/// `call` once it completes, or `None` after `within`. A call that is already complete
/// is taken without arming a timer (most of a pipeline's are).
async fn finish<F: Future + Unpin>(mut call: F, within: Duration) -> Option<F::Output> {
    if let Poll::Ready(output) = poll_fn(|cx| Poll::Ready(Pin::new(&mut call).poll(cx))).await {
        return Some(output);
    }
    tokio::time::timeout(within, call).await.ok()
}

/// Makes the calls `call(0..n)` with at most `cap` in flight (see the module docs) and
/// hands each one's result to `take`, in call order. Fails only when a reply takes
/// longer than [`REPLY_TIMEOUT`].
async fn pipeline<F: Future + Unpin>(
    cap: usize,
    n: usize,
    mut call: impl FnMut(usize) -> F,
    mut take: impl FnMut(F::Output),
) -> Result<(), Error> {
    let mut window = VecDeque::with_capacity(cap.min(n));
    for i in 0..n {
        if window.len() == cap {
            let oldest = window.pop_front().expect("a full window");
            take(reply(oldest).await?);
        }
        window.push_back(call(i));
    }
    while let Some(oldest) = window.pop_front() {
        take(reply(oldest).await?);
    }
    Ok(())
}

async fn reply<F: Future + Unpin>(call: F) -> Result<F::Output, Error> {
    finish(call, REPLY_TIMEOUT)
        .await
        .ok_or(Error::Timeout(REPLY_TIMEOUT))
}

/// A `take` for [`pipeline`] that counts the failed calls, except those `accepted`.
fn count_errors<T>(
    errors: &mut usize,
    accepted: fn(&Error) -> bool,
) -> impl FnMut(Result<T, Error>) + '_ {
    move |result| {
        if result.err().is_some_and(|e| !accepted(&e)) {
            *errors += 1;
        }
    }
}

fn no_error(_: &Error) -> bool {
    false
}

/// `/bench/<prefix>-<i>`, written into one reused buffer: the typed calls copy the path
/// into their request, so a fresh String per call would be a second allocation.
struct Numbered {
    prefix: &'static str,
    path: String,
}

impl Numbered {
    fn new(prefix: &'static str) -> Numbered {
        Numbered {
            prefix,
            path: String::new(),
        }
    }

    fn get(&mut self, i: usize) -> &str {
        self.path.clear();
        write!(self.path, "{ROOT}/{}-{i}", self.prefix).expect("writing to a String");
        &self.path
    }
}

/// One get at a time, each timed; a reply of the wrong size is an error.
async fn one_at_a_time<'a>(
    zk: &Client,
    config: &Config,
    workload: &'a str,
    path: &str,
    n: usize,
    size: usize,
) -> Outcome<'a> {
    let mut latencies = Vec::with_capacity(n);
    let mut errors = 0;
    let meter = Meter::start(config);
    for _ in 0..n {
        let start = Instant::now();
        let result = zk.get_data(path).await;
        latencies.push(nanos_since(start));
        check_read(workload, result.map(|(data, _)| data), size, &mut errors);
    }
    Ok(Report {
        workload,
        ops: n,
        measured: meter.stop(),
        latencies: Some(latencies),
        errors,
        extra: Vec::new(),
    })
}

async fn sync_get<'a>(zk: &Client, config: &Config, n: usize) -> Outcome<'a> {
    one_at_a_time(zk, config, "sync_get", DATA_NODE, n, DATA_SIZE).await
}

async fn large_get<'a>(zk: &Client, config: &Config, n: usize) -> Outcome<'a> {
    let size = config.large_size;
    let mut report = one_at_a_time(zk, config, "large_get", LARGE_NODE, n, size).await?;
    report.extra = large_get_fields(config, n, report.measured.seconds);
    Ok(report)
}

async fn pipelined_get<'a>(zk: &Client, config: &Config, n: usize) -> Outcome<'a> {
    let mut errors = 0;
    let meter = Meter::start(config);
    pipeline(
        config.outstanding,
        n,
        |_| zk.get_data(DATA_NODE),
        count_errors(&mut errors, no_error),
    )
    .await?;
    Ok(Report {
        workload: "pipelined_get",
        ops: n,
        measured: meter.stop(),
        latencies: None,
        errors,
        extra: window_fields(config),
    })
}

async fn pipelined_create_delete<'a>(zk: &Client, config: &Config, n: usize) -> Outcome<'a> {
    let data = payload(DATA_SIZE);
    let cap = config.outstanding;
    let mut path = Numbered::new("n");
    let mut errors = 0;
    let meter = Meter::start(config);
    pipeline(
        cap,
        n,
        |i| zk.create(path.get(i), data.clone(), CreateMode::Persistent),
        count_errors(&mut errors, no_error),
    )
    .await?;
    let creates_done = Instant::now();
    pipeline(
        cap,
        n,
        |i| zk.delete(path.get(i), Version::Any),
        count_errors(&mut errors, no_error),
    )
    .await?;
    Ok(create_delete_report(
        config,
        n,
        &meter,
        creates_done,
        errors,
    ))
}

/// Session A's watches, awaited in the order they were set (the order B changes their
/// nodes in): how many saw NodeDataChanged and when the last one did. Gives up
/// [`EVENT_TIMEOUT`] after it starts, or when the session ends.
async fn count_changes(watches: Vec<OneShotWatch>) -> (usize, Option<Instant>) {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let (mut changes, mut last_change) = (0, None);
    for watch in watches {
        let left = deadline.saturating_duration_since(Instant::now());
        match finish(watch, left).await {
            Some(Ok(event)) if event.event_type == EventType::NodeDataChanged => {
                changes += 1;
                last_change = Some(Instant::now());
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                eprintln!("zkbench: watch_storm: session A: {e}");
                break;
            }
            None => break,
        }
    }
    (changes, last_change)
}

/// B creates the nodes, A sets an exists watch on each, B changes them all (timed until
/// A has seen every change; A's watches are awaited by a task of their own, as the
/// blocking kinds count them on a thread of their own), B deletes them.
async fn watch_storm<'a>(a: &Client, b: &Client, config: &Config, n: usize) -> Outcome<'a> {
    let cap = config.outstanding;
    let mut path = Numbered::new("w");
    let short = payload(10);
    let data = Bytes::from(vec![b'w'; DATA_SIZE]);
    let mut errors = 0;
    pipeline(
        cap,
        n,
        |i| b.create(path.get(i), short.clone(), CreateMode::Persistent),
        count_errors(&mut errors, |e| matches!(e, Error::NodeExists { .. })),
    )
    .await?;

    let watches_started = Instant::now();
    let mut watches = Vec::with_capacity(n);
    pipeline(
        cap,
        n,
        |i| a.exists_watch(path.get(i)),
        |result| match result {
            Ok((_, watch)) => watches.push(watch),
            Err(_) => errors += 1,
        },
    )
    .await?;
    let watch_set_s = watches_started.elapsed().as_secs_f64();

    let watcher = tokio::spawn(count_changes(watches));
    let meter = Meter::start(config);
    pipeline(
        cap,
        n,
        |i| b.set_data(path.get(i), data.clone(), Version::Any),
        count_errors(&mut errors, no_error),
    )
    .await?;
    let set_data_s = meter.started().elapsed().as_secs_f64();
    let (changes, last_change) = watcher
        .await
        .map_err(|e| Error::System(format!("the watch_storm watcher task failed: {e}")))?;
    let measured = meter.stop_at(last_change.unwrap_or_else(Instant::now));

    pipeline(
        cap,
        n,
        |i| b.delete(path.get(i), Version::Any),
        drop, // cleanup: its failures are not counted (as in the blocking kinds)
    )
    .await?;
    let storm = Storm {
        n,
        changes,
        errors,
        set_data_s,
        watch_set_s,
    };
    Ok(storm.report(config, measured))
}
