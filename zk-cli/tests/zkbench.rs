//! zkbench runs every workload at a tiny size against a real server, and each line it
//! prints has the fields /work/shared/bench's summarizer reads. The tests share one
//! server and run at once, so each run works under a chroot of its own: every run
//! uses the same node names, and one run deleting another's watched nodes would leave
//! that run waiting out its event timeout.

#[path = "zkcli_support.rs"]
mod support;

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use support::Json;
use zk_blocking::{Bytes, Client, CreateMode, Options};
use zk_tests::{ClientAuth, ServerCert, ServerOptions, TestPki, ZkServer, shared_standalone};

const TINY: [(&str, &str); 8] = [
    ("ZKB_SYNC_N", "40"),
    ("ZKB_PIPE_N", "400"),
    ("ZKB_CD_N", "60"),
    ("ZKB_LARGE_N", "3"),
    ("ZKB_LARGE_SIZE", "200000"),
    ("ZKB_WATCH_N", "50"),
    ("ZKB_OUTSTANDING", "16"),
    ("ZKB_WARMUP", "1"),
];

/// A fresh connect string for one run: the shared server under a chroot of its own.
fn own_chroot() -> String {
    let hosts = shared_standalone().connect_string();
    format!("{hosts}{}", fresh_chroot(&hosts))
}

/// Creates a chroot of its own on the server at `hosts`, and returns it.
fn fresh_chroot(hosts: &str) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let chroot = format!(
        "/zkbench-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    );
    let mut zk = Client::connect(hosts, Options::default()).expect("connecting to make a chroot");
    zk.create(&chroot, Bytes::new(), CreateMode::Persistent)
        .expect("creating the chroot");
    zk.close();
    chroot
}

fn zkbench(extra_env: &[(&str, &str)]) -> Output {
    zkbench_on(shared_standalone(), own_chroot(), extra_env)
}

/// zkbench against `server` at `hosts` (with a chroot of its own).
fn zkbench_on(server: &ZkServer, hosts: String, extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zkbench"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ZKB_")) {
        command.env_remove(name);
    }
    command
        .env("ZKB_HOSTS", hosts)
        .env(
            "ZKB_SERVER_PID",
            server.pid().expect("server pid").to_string(),
        )
        .envs(TINY)
        .envs(extra_env.iter().copied());
    command.output().expect("running zkbench")
}

fn number(line: &Json, field: &str) -> f64 {
    line.get(field).num()
}

#[test]
fn every_workload_prints_a_complete_line() {
    every_workload(&[], "zk-rs-blocking", None);
}

#[test]
fn the_shared_client_prints_the_same_lines() {
    every_workload(&[("ZKB_CLIENT_KIND", "shared")], "zk-rs-shared", None);
}

#[test]
fn the_shared_client_splits_the_window_over_threads() {
    every_workload(
        &[("ZKB_CLIENT_KIND", "shared"), ("ZKB_SHARED_THREADS", "3")],
        "zk-rs-shared",
        Some(3.0),
    );
}

#[test]
fn the_tokio_client_prints_the_same_lines() {
    every_workload(&[("ZKB_CLIENT_KIND", "tokio")], "zk-rs-tokio", None);
}

#[test]
fn the_blocking_kind_can_be_named() {
    let output = zkbench(&[
        ("ZKB_CLIENT_KIND", "blocking"),
        ("ZKB_WORKLOADS", "sync_get"),
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = Json::parse(stdout.trim()).unwrap();
    assert_eq!(line.get("client").str(), "zk-rs-blocking");
}

#[test]
fn every_kind_runs_every_workload_over_mutual_tls() {
    let pki = TestPki::generate().unwrap();
    let options = ServerOptions::default().tls(pki.server(ServerCert::Valid, ClientAuth::Need));
    let server = ZkServer::start_standalone(&options).unwrap();
    let chroot = fresh_chroot(&server.connect_string());
    let (ca, cert, key) = (pki.ca(), pki.client_cert(), pki.client_key());
    let tls = [
        ("ZKB_TLS_CA", ca.to_str().unwrap()),
        ("ZKB_TLS_CERT", cert.to_str().unwrap()),
        ("ZKB_TLS_KEY", key.to_str().unwrap()),
    ];
    for (kind, label) in [
        ("blocking", "zk-rs-blocking"),
        ("shared", "zk-rs-shared"),
        ("tokio", "zk-rs-tokio"),
    ] {
        let hosts = format!("{}{chroot}", server.secure_connect_string());
        let mut env = vec![("ZKB_CLIENT_KIND", kind)];
        env.extend_from_slice(&tls);
        check_every_workload(zkbench_on(&server, hosts, &env), label, None);
    }
}

/// Runs every workload with `extra_env`; checks each line's fields, the label, and
/// (`threads`) the thread count the pipelined workloads report.
fn every_workload(extra_env: &[(&str, &str)], client: &str, threads: Option<f64>) {
    check_every_workload(zkbench(extra_env), client, threads);
}

/// Checks a run of every workload: each line's fields, the label, and (`threads`) the
/// thread count the pipelined workloads report.
fn check_every_workload(output: Output, client: &str, threads: Option<f64>) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "zkbench failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Json> = stdout.lines().map(|l| Json::parse(l).unwrap()).collect();
    let workloads: Vec<&str> = lines.iter().map(|l| l.get("workload").str()).collect();
    assert_eq!(
        workloads,
        [
            "sync_get",
            "pipelined_get",
            "pipelined_create_delete",
            "large_get",
            "watch_storm"
        ]
    );
    let common = [
        "client",
        "workload",
        "ops",
        "seconds",
        "ops_per_s",
        "p50_us",
        "p99_us",
        "client_cpu_s",
        "server_cpu_s",
        "errors",
    ];
    let split: &[&str] = if threads.is_some() { &["threads"] } else { &[] };
    let extras: [Vec<&str>; 5] = [
        vec![],
        [&["outstanding"][..], split].concat(),
        [&["outstanding", "create_s", "delete_s"][..], split].concat(),
        vec!["value_bytes", "mb_per_s"],
        vec!["events", "set_data_s", "watch_set_s", "outstanding"],
    ];
    let expected_ops = [40.0, 400.0, 120.0, 3.0, 50.0];
    for ((line, extra), ops) in lines.iter().zip(extras).zip(expected_ops) {
        let mut keys: Vec<&str> = common.iter().chain(&extra).copied().collect();
        keys.sort_unstable();
        assert_eq!(line.keys(), keys, "{line:?}");
        assert_eq!(line.get("client").str(), client);
        if let Some(threads) = threads.filter(|_| extra.contains(&"threads")) {
            assert_eq!(number(line, "threads"), threads, "{line:?}");
        }
        assert_eq!(number(line, "ops"), ops);
        assert_eq!(number(line, "errors"), 0.0, "{line:?}");
        let seconds = number(line, "seconds");
        assert!(seconds > 0.0);
        let rate = ops / seconds;
        assert!(
            (number(line, "ops_per_s") - rate).abs() <= rate * 0.01 + 0.1,
            "{line:?}"
        );
        assert!(number(line, "client_cpu_s") >= 0.0);
        assert!(number(line, "server_cpu_s") >= 0.0);
        let one_at_a_time = matches!(line.get("workload").str(), "sync_get" | "large_get");
        if one_at_a_time {
            let (p50, p99) = (number(line, "p50_us"), number(line, "p99_us"));
            assert!(0.0 < p50 && p50 <= p99, "{line:?}");
        } else {
            assert_eq!(line.get("p50_us"), &Json::Null);
            assert_eq!(line.get("p99_us"), &Json::Null);
            assert_eq!(number(line, "outstanding"), 16.0);
        }
    }
    let create_delete = &lines[2];
    let split = number(create_delete, "create_s") + number(create_delete, "delete_s");
    assert!((split - number(create_delete, "seconds")).abs() < 1e-3);
    let large = &lines[3];
    assert_eq!(number(large, "value_bytes"), 200_000.0);
    let mb_per_s = 3.0 * 0.2 / number(large, "seconds");
    assert!((number(large, "mb_per_s") - mb_per_s).abs() <= mb_per_s * 0.01 + 0.1);
    let storm = &lines[4];
    assert_eq!(number(storm, "events"), 50.0);
    assert!(number(storm, "set_data_s") > 0.0 && number(storm, "watch_set_s") > 0.0);
}

#[test]
fn selected_workloads_label_and_no_server_pid() {
    let output = zkbench(&[
        ("ZKB_WORKLOADS", "large_get,sync_get"),
        ("ZKB_CLIENT", "label \"quoted\""),
        ("ZKB_SERVER_PID", ""),
        ("ZKB_WARMUP", "0"),
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Json> = stdout.lines().map(|l| Json::parse(l).unwrap()).collect();
    // The harness's order, whatever the list's.
    let workloads: Vec<&str> = lines.iter().map(|l| l.get("workload").str()).collect();
    assert_eq!(workloads, ["sync_get", "large_get"]);
    for line in &lines {
        assert_eq!(line.get("client").str(), "label \"quoted\"");
        assert_eq!(line.get("server_cpu_s"), &Json::Null);
    }
}

#[test]
fn bad_settings_exit_2() {
    for (name, value) in [
        ("ZKB_SYNC_N", "many"),
        ("ZKB_WORKLOADS", "sync_get,teleport"),
        ("ZKB_OUTSTANDING", "0"),
        ("ZKB_CLIENT_KIND", "async"),
        ("ZKB_SHARED_THREADS", "2"), // the blocking client has no threads to share
    ] {
        let output = zkbench(&[(name, value)]);
        assert_eq!(output.status.code(), Some(2), "{name}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("zkbench: "), "{stderr}");
    }
    // Only the shared client splits its window over threads.
    let output = zkbench(&[("ZKB_CLIENT_KIND", "tokio"), ("ZKB_SHARED_THREADS", "2")]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "tokio with ZKB_SHARED_THREADS=2"
    );
    for threads in ["0", "17"] {
        // 17: more threads than the window (ZKB_OUTSTANDING=16) has room for
        let output = zkbench(&[
            ("ZKB_CLIENT_KIND", "shared"),
            ("ZKB_SHARED_THREADS", threads),
        ]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "ZKB_SHARED_THREADS={threads}"
        );
    }
}
