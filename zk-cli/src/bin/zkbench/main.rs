//! `zkbench`: the peer benchmark of /work/shared/bench for this project's clients. Same
//! `ZKB_*` variables, workloads, fixtures and JSON lines as the peers, so `run-all` can
//! run it as `ours`. `ZKB_CLIENT_KIND` picks the client: `blocking` (the default,
//! [`zk_blocking::Client`], labelled `zk-rs-blocking`), `shared`
//! ([`zk_blocking::SharedClient`], labelled `zk-rs-shared`; its pipelined workloads use
//! `submit` + `PendingReply::wait`, split over `ZKB_SHARED_THREADS` threads, default 1)
//! or `tokio` ([`zk_tokio::Client`] on a current-thread runtime, labelled `zk-rs-tokio`;
//! its pipelined workloads keep a FIFO of typed calls, see `tokio_kind`).

mod client;
mod config;
mod measure;
mod memory;
mod pipeline;
mod tokio_kind;
mod workloads;

use std::process::ExitCode;

use zk_blocking::{Bytes, CreateMode, Error};

use crate::client::Zk;
use crate::config::{Config, Kind, warm_up_size};
use crate::measure::Report;
use crate::workloads::{DATA_NODE, LARGE_NODE, ROOT, ensure_node, payload};

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(why) => {
            eprintln!("zkbench: {why}");
            return ExitCode::from(2);
        }
    };
    let outcome = match config.kind {
        Kind::Tokio => tokio_kind::run(&config),
        Kind::Blocking | Kind::Shared => run(&config),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkbench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print(report: Report<'_>, config: &Config) {
    println!("{}", report.json_line(config));
}

/// Runs the selected workloads on a blocking kind, printing a line for each.
fn run(config: &Config) -> Result<(), Error> {
    let mut zk = Zk::connect(config)?;
    match zk.create(ROOT, Bytes::new(), CreateMode::Persistent) {
        Ok(_) | Err(Error::NodeExists { .. }) => {}
        Err(e) => return Err(e),
    }
    ensure_node(&mut zk, DATA_NODE, payload(100))?;
    if config.wants("large_get") {
        ensure_node(&mut zk, LARGE_NODE, payload(config.large_size))?;
    }
    let warm = config.warmup;

    if config.wants("sync_get") {
        if warm {
            workloads::sync_get(&mut zk, config, warm_up_size(config.sync_n, 1000))?;
        }
        print(workloads::sync_get(&mut zk, config, config.sync_n)?, config);
    }
    if config.wants("pipelined_get") {
        if warm {
            workloads::pipelined_get(&mut zk, config, warm_up_size(config.pipe_n, 10_000))?;
        }
        print(
            workloads::pipelined_get(&mut zk, config, config.pipe_n)?,
            config,
        );
    }
    if config.wants("pipelined_create_delete") {
        if warm {
            let n = warm_up_size(config.cd_n, 2000);
            workloads::pipelined_create_delete(&mut zk, config, n)?;
        }
        let report = workloads::pipelined_create_delete(&mut zk, config, config.cd_n)?;
        print(report, config);
    }
    if config.wants("large_get") {
        if warm {
            workloads::large_get(&mut zk, config, warm_up_size(config.large_n, 20))?;
        }
        print(
            workloads::large_get(&mut zk, config, config.large_n)?,
            config,
        );
    }
    if config.wants("watch_storm") {
        let mut b = Zk::connect(config)?;
        if warm {
            let n = warm_up_size(config.watch_n, 500);
            zk = workloads::watch_storm(zk, &mut b, config, n)?.0;
        }
        let (a, report) = workloads::watch_storm(zk, &mut b, config, config.watch_n)?;
        print(report, config);
        zk = a;
        b.close();
    }
    if config.wants("memory") {
        // A session of its own, so that no earlier workload's watches count.
        let mut fresh = Zk::connect(config)?;
        println!("{}", memory::memory(&mut fresh, config)?.json_line(config));
        fresh.close();
    }
    zk.close();
    Ok(())
}
