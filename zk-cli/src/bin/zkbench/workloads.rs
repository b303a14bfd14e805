//! The five workloads of /work/shared/bench/README.md, timed as the peers time them,
//! for the blocking and the shared client (the tokio client's are in `tokio_kind`, with
//! the fields and checks shared from here). Each returns its report; `main` drops the
//! report of an untimed warm-up pass.

use std::thread;
use std::time::{Duration, Instant};
use zk_blocking::Version;

use zk_blocking::{Bytes, CreateMode, Error, Event, EventType, Request, zk_proto};

use crate::client::Zk;
use crate::config::Config;
use crate::measure::{Measured, Meter, Report};
use crate::pipeline::{Pipeline, run_split};

pub const ROOT: &str = "/bench";
pub const DATA_NODE: &str = "/bench/data";
pub const LARGE_NODE: &str = "/bench/large";
pub const DATA_SIZE: usize = 100;
/// How long watch_storm waits for its last event.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

pub type Outcome<'a> = Result<Report<'a>, Error>;

/// `a`..`z` repeated, as every peer writes.
pub fn payload(size: usize) -> Bytes {
    (0..size)
        .map(|i| b'a' + (i % 26) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Creates `path` with `data`, or overwrites the data if it exists.
pub fn ensure_node(zk: &mut Zk, path: &str, data: Bytes) -> Result<(), Error> {
    match zk.create(path, data.clone(), CreateMode::Persistent) {
        Err(Error::NodeExists { .. }) => zk.set_data(path, data).map(drop),
        other => other.map(drop),
    }
}

fn get_request(path: &str) -> Request {
    Request::GetData {
        path: path.to_string(),
        watch: false,
    }
}

pub fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One blocking get at a time, each timed; a reply of the wrong size is an error.
fn one_at_a_time<'a>(
    zk: &mut Zk,
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
        let result = zk.get_data(path);
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

/// Counts a read that failed or returned other than `size` bytes as an error (the
/// first one is told on stderr).
pub fn check_read(workload: &str, result: Result<Bytes, Error>, size: usize, errors: &mut usize) {
    let problem = match result {
        Ok(data) if data.len() == size => return,
        Ok(data) => format!("{} bytes instead of {size}", data.len()),
        Err(e) => e.to_string(),
    };
    if *errors == 0 {
        eprintln!("zkbench: {workload}: {problem}");
    }
    *errors += 1;
}

pub fn sync_get<'a>(zk: &mut Zk, config: &Config, n: usize) -> Outcome<'a> {
    one_at_a_time(zk, config, "sync_get", DATA_NODE, n, DATA_SIZE)
}

pub fn large_get<'a>(zk: &mut Zk, config: &Config, n: usize) -> Outcome<'a> {
    let mut report = one_at_a_time(zk, config, "large_get", LARGE_NODE, n, config.large_size)?;
    report.extra = large_get_fields(config, n, report.measured.seconds);
    Ok(report)
}

/// large_get's extra fields: the value size and the read rate.
pub fn large_get_fields(config: &Config, n: usize, seconds: f64) -> Vec<(&'static str, String)> {
    let megabytes = (n * config.large_size) as f64 / 1e6;
    vec![
        ("value_bytes", config.large_size.to_string()),
        ("mb_per_s", format!("{:.1}", megabytes / seconds)),
    ]
}

/// The pipelined workloads' extra fields: the window, and the threads sharing it when
/// more than one.
pub fn window_fields(config: &Config) -> Vec<(&'static str, String)> {
    let mut extra = vec![("outstanding", config.outstanding.to_string())];
    if config.threads > 1 {
        extra.push(("threads", config.threads.to_string()));
    }
    extra
}

pub fn pipelined_get<'a>(zk: &mut Zk, config: &Config, n: usize) -> Outcome<'a> {
    let meter = Meter::start(config);
    let errors = run_split(zk, config.outstanding, config.threads, n, |_| {
        get_request(DATA_NODE)
    })?;
    Ok(Report {
        workload: "pipelined_get",
        ops: n,
        measured: meter.stop(),
        latencies: None,
        errors,
        extra: window_fields(config),
    })
}

pub fn numbered(prefix: &str, i: usize) -> String {
    format!("{ROOT}/{prefix}-{i}")
}

fn create_request(path: String, data: Bytes) -> Request {
    Request::Create {
        path,
        data,
        acl: zk_proto::Acl::open_unsafe(),
        mode: CreateMode::Persistent,
        ttl: None,
        with_stat: false,
    }
}

pub fn pipelined_create_delete<'a>(zk: &mut Zk, config: &Config, n: usize) -> Outcome<'a> {
    let data = payload(DATA_SIZE);
    let (cap, threads) = (config.outstanding, config.threads);
    let meter = Meter::start(config);
    let mut errors = run_split(zk, cap, threads, n, |i| {
        create_request(numbered("n", i), data.clone())
    })?;
    let creates_done = Instant::now();
    errors += run_split(zk, cap, threads, n, |i| {
        Request::delete(numbered("n", i), Version::Any)
    })?;
    Ok(create_delete_report(
        config,
        n,
        &meter,
        creates_done,
        errors,
    ))
}

/// pipelined_create_delete's report: the time splits at the last create's reply.
pub fn create_delete_report<'a>(
    config: &Config,
    n: usize,
    meter: &Meter,
    creates_done: Instant,
    errors: usize,
) -> Report<'a> {
    let measured = meter.stop();
    let create_s = creates_done.duration_since(meter.started()).as_secs_f64();
    let mut extra = window_fields(config);
    extra.extend([
        ("create_s", format!("{create_s:.6}")),
        ("delete_s", format!("{:.6}", measured.seconds - create_s)),
    ]);
    Report {
        workload: "pipelined_create_delete",
        ops: 2 * n,
        extra,
        measured,
        latencies: None,
        errors,
    }
}

/// What session A's thread saw.
struct Watcher {
    client: Zk,
    changes: usize,
    last_change: Option<Instant>,
}

/// Session A counts NodeDataChanged events in its own thread (the blocking client
/// has no background thread, so someone must read A's socket while B writes; the
/// shared client's IO thread reads it, and this thread takes A's event channel).
fn count_changes(mut a: Zk, target: usize) -> Watcher {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let (mut changes, mut last_change) = (0, None);
    while changes < target {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match a.next_event(left.min(Duration::from_secs(1))) {
            Ok(Some(Event::Watch(e))) if e.event_type == EventType::NodeDataChanged => {
                changes += 1;
                last_change = Some(Instant::now());
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("zkbench: watch_storm: session A: {e}");
                break;
            }
        }
    }
    Watcher {
        client: a,
        changes,
        last_change,
    }
}

/// B creates the nodes, A watches them, B changes them all (timed until A has seen
/// every change), B deletes them. Returns A for the next pass.
pub fn watch_storm<'a>(
    a: Zk,
    b: &mut Zk,
    config: &Config,
    n: usize,
) -> Result<(Zk, Report<'a>), Error> {
    let mut a = a;
    let short = payload(10);
    let data = Bytes::from(vec![b'w'; DATA_SIZE]);
    let mut setup = Pipeline::accepting(b, config.outstanding, |e| {
        matches!(e, Error::NodeExists { .. })
    });
    for i in 0..n {
        setup.submit(create_request(numbered("w", i), short.clone()))?;
    }
    setup.drain()?;
    let mut setup_errors = setup.errors;

    let watches_started = Instant::now();
    let mut watches = Pipeline::new(&mut a, config.outstanding);
    for i in 0..n {
        watches.submit(Request::Exists {
            path: numbered("w", i),
            watch: true,
        })?;
    }
    watches.drain()?;
    setup_errors += watches.errors;
    let watch_set_s = watches_started.elapsed().as_secs_f64();

    let watcher = thread::spawn(move || count_changes(a, n));
    let meter = Meter::start(config);
    let mut sets = Pipeline::new(b, config.outstanding);
    for i in 0..n {
        sets.submit(Request::SetData {
            path: numbered("w", i),
            data: data.clone(),
            version: Version::Any,
        })?;
    }
    sets.drain()?;
    let set_data_s = meter.started().elapsed().as_secs_f64();
    let set_errors = sets.errors;
    let seen = watcher
        .join()
        .expect("the watch_storm watcher thread panicked");
    let measured = meter.stop_at(seen.last_change.unwrap_or_else(Instant::now));

    let mut cleanup =
        Pipeline::accepting(b, config.outstanding, |e| matches!(e, Error::NoNode { .. }));
    for i in 0..n {
        cleanup.submit(Request::delete(numbered("w", i), Version::Any))?;
    }
    cleanup.drain()?;
    let report = Storm {
        n,
        changes: seen.changes,
        errors: set_errors + setup_errors,
        set_data_s,
        watch_set_s,
    }
    .report(config, measured);
    Ok((seen.client, report))
}

/// What a watch_storm pass counted, for its report.
pub struct Storm {
    pub n: usize,
    /// NodeDataChanged events session A saw.
    pub changes: usize,
    /// Failed setup, watch and setData requests.
    pub errors: usize,
    pub set_data_s: f64,
    pub watch_set_s: f64,
}

impl Storm {
    /// The report: every missing event counts as an error too.
    pub fn report<'a>(&self, config: &Config, measured: Measured) -> Report<'a> {
        Report {
            workload: "watch_storm",
            ops: self.n,
            measured,
            latencies: None,
            errors: self.errors + (self.n - self.changes),
            extra: vec![
                ("events", self.changes.to_string()),
                ("set_data_s", format!("{:.6}", self.set_data_s)),
                ("watch_set_s", format!("{:.6}", self.watch_set_s)),
                ("outstanding", config.outstanding.to_string()),
            ],
        }
    }
}
