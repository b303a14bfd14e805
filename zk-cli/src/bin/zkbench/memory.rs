//! The memory workload: resident memory per watch and per request in flight. One
//! client sets `ZKB_MEM_WATCHES` exists-watches on nodes that do not exist (the server
//! keeps them without any node data), then submits `ZKB_MEM_REQUESTS` reads without
//! taking a reply; the growth of the process's resident set (VmRSS) across each step,
//! divided by its count, is the figure. The same workload in the peer of kezhuw's
//! client (`bench/memory-peer`) makes the two comparable.

use std::time::Instant;

use zk_blocking::{Error, Request};

use crate::client::Zk;
use crate::config::Config;
use crate::pipeline::Pipeline;
use crate::workloads::{DATA_NODE, ROOT};

/// The process's resident set in bytes, from /proc/self/status.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The watched paths: under the bench root, never created.
pub fn watched_path(i: usize) -> String {
    format!("{ROOT}/unborn-{i:06}")
}

/// What one memory run measured.
pub struct MemoryReport {
    pub base: u64,
    pub with_watches: u64,
    pub with_requests: u64,
    pub seconds: f64,
    pub errors: usize,
}

impl MemoryReport {
    pub fn json_line(&self, config: &Config) -> String {
        let per = |grown: u64, n: usize| grown as f64 / n.max(1) as f64;
        format!(
            "{{\"client\":\"{}\",\"workload\":\"memory\",\"watches\":{},\"requests\":{},\
             \"seconds\":{:.3},\"rss_base_bytes\":{},\"bytes_per_watch\":{:.1},\
             \"bytes_per_request\":{:.1},\"errors\":{}}}",
            config.client,
            config.mem_watches,
            config.mem_requests,
            self.seconds,
            self.base,
            per(
                self.with_watches.saturating_sub(self.base),
                config.mem_watches
            ),
            per(
                self.with_requests.saturating_sub(self.with_watches),
                config.mem_requests
            ),
            self.errors
        )
    }
}

/// The memory workload on the blocking or the shared client.
pub fn memory(zk: &mut Zk, config: &Config) -> Result<MemoryReport, Error> {
    let started = Instant::now();
    let base = resident_bytes().unwrap_or(0);
    // Exists on a missing node answers "no node" and leaves the watch set.
    let mut pipeline = Pipeline::new(zk, config.outstanding);
    for i in 0..config.mem_watches {
        pipeline.submit(Request::exists(watched_path(i), true))?;
    }
    pipeline.drain()?;
    let mut errors = pipeline.errors;
    let with_watches = resident_bytes().unwrap_or(0);
    // Every read at once, none taken before the measurement.
    let mut window = Pipeline::new(zk, config.mem_requests.max(1));
    for _ in 0..config.mem_requests {
        window.submit(Request::get_data(DATA_NODE, false))?;
    }
    let with_requests = resident_bytes().unwrap_or(0);
    window.drain()?;
    errors += window.errors;
    Ok(MemoryReport {
        base,
        with_watches,
        with_requests,
        seconds: started.elapsed().as_secs_f64(),
        errors,
    })
}
