//! zkbench's memory workload for kezhuw's `zookeeper-client` 0.11 (tokio, current-thread
//! runtime), as `zkbench` runs it for this project's clients: `ZKB_MEM_WATCHES`
//! exists-watches on nodes that do not exist (their watchers kept), then
//! `ZKB_MEM_REQUESTS` reads made and not yet awaited; the growth of the resident set
//! across each step per item. One JSON line on stdout, the fields of zkbench's.

use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use zookeeper_client as zk;

fn var(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let hosts = std::env::var("ZKB_HOSTS").unwrap_or_else(|_| "127.0.0.1:2281".into());
    let watches = var("ZKB_MEM_WATCHES", 100_000);
    let requests = var("ZKB_MEM_REQUESTS", 10_000);
    let window = var("ZKB_OUTSTANDING", 1000).max(1);
    let client = zk::Client::connector()
        .with_session_timeout(std::time::Duration::from_secs(30))
        .connect(&hosts)
        .await
        .expect("connect");
    let root = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    for path in ["/bench", "/bench/data"] {
        match client.create(path, b"x", &root).await {
            Ok(_) | Err(zk::Error::NodeExists) => {}
            Err(e) => panic!("create {path}: {e}"),
        }
    }

    let started = Instant::now();
    let base = resident_bytes();
    let mut errors = 0;
    let mut watchers = Vec::with_capacity(watches);
    let mut inflight = FuturesUnordered::new();
    for i in 0..watches {
        if inflight.len() >= window {
            match inflight.next().await {
                Some(Ok((_, w))) => watchers.push(w),
                _ => errors += 1,
            }
        }
        inflight.push(client.check_and_watch_stat(&format!("/bench/unborn-{i:06}")));
    }
    while let Some(r) = inflight.next().await {
        match r {
            Ok((_, w)) => watchers.push(w),
            Err(_) => errors += 1,
        }
    }
    let with_watches = resident_bytes();
    let calls: Vec<_> = (0..requests).map(|_| client.get_data("/bench/data")).collect();
    let with_requests = resident_bytes();
    for call in calls {
        if call.await.is_err() {
            errors += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let per = |grown: u64, n: usize| grown as f64 / n.max(1) as f64;
    println!(
        "{{\"client\":\"zookeeper-client-0.11\",\"workload\":\"memory\",\"watches\":{watches},\
         \"requests\":{requests},\"seconds\":{seconds:.3},\"rss_base_bytes\":{base},\
         \"bytes_per_watch\":{:.1},\"bytes_per_request\":{:.1},\"errors\":{errors}}}",
        per(with_watches.saturating_sub(base), watches),
        per(with_requests.saturating_sub(with_watches), requests),
    );
    drop(watchers);
}
