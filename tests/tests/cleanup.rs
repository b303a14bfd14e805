//! Nothing outlives a test: not when it panics while holding a server, and not when the
//! test process ends without running destructors (exit, abort, SIGKILL), statics included.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use zk_tests::{Ensemble, ServerOptions, ZkServer, is_alive, shared_standalone};

/// Set in the child process: how it should end (`exit`, `abort` or `sigkill`).
const CHILD_ENDING: &str = "ZK_TESTS_CHILD_ENDING";
/// The watchdog cleans up asynchronously once the test process is gone.
const CLEANUP_BOUND: Duration = Duration::from_secs(15);

/// Not a test of its own: the child process that the tests below start. It starts servers
/// (one of them the static shared one), reports them, and ends without dropping them.
#[test]
#[ignore = "helper process for the watchdog tests; does nothing without ZK_TESTS_CHILD_ENDING"]
fn child_ends_while_holding_servers() {
    let Ok(ending) = std::env::var(CHILD_ENDING) else {
        return;
    };
    let own = ZkServer::start_standalone(&ServerOptions::default()).unwrap();
    for server in [&own, shared_standalone()] {
        println!(
            "SERVER {} {}",
            server.pid().unwrap(),
            server.dir().display()
        );
    }
    std::io::stdout().flush().unwrap();
    match ending.as_str() {
        "exit" => std::process::exit(0),
        "abort" => std::process::abort(),
        "sigkill" => {
            let me = std::process::id().to_string();
            Command::new("kill")
                .args(["-s", "KILL", &me])
                .status()
                .unwrap();
            unreachable!("still alive after SIGKILL");
        }
        other => panic!("unknown ending {other}"),
    }
}

/// Runs the child with `ending` and returns the pid and dir of each server it reported.
fn servers_of_child(ending: &str) -> Vec<(u32, PathBuf)> {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_ends_while_holding_servers",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENDING, ending)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let servers: Vec<(u32, PathBuf)> = stdout
        .lines()
        // libtest prints the test's name without a newline, so a report may follow it.
        .filter_map(|line| line.split_once("SERVER ").map(|(_, rest)| rest))
        .map(|rest| {
            let (pid, dir) = rest.split_once(' ').unwrap();
            (pid.parse().unwrap(), PathBuf::from(dir))
        })
        .collect();
    assert_eq!(
        servers.len(),
        2,
        "child ({ending}) should report 2 servers; status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    servers
}

fn assert_cleaned_up(servers: &[(u32, PathBuf)]) {
    let deadline = Instant::now() + CLEANUP_BOUND;
    for (pid, dir) in servers {
        while is_alive(*pid) || dir.exists() {
            assert!(
                Instant::now() < deadline,
                "java {pid} alive: {}, {} exists: {}",
                is_alive(*pid),
                dir.display(),
                dir.exists()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn process_exit_without_destructors_leaves_nothing_behind() {
    assert_cleaned_up(&servers_of_child("exit"));
}

#[test]
fn abort_leaves_nothing_behind() {
    assert_cleaned_up(&servers_of_child("abort"));
}

#[test]
fn sigkill_of_the_test_process_leaves_nothing_behind() {
    assert_cleaned_up(&servers_of_child("sigkill"));
}

#[test]
fn a_test_that_panics_while_holding_servers_still_cleans_up() {
    let held = Mutex::new(Vec::new());
    let outcome = std::panic::catch_unwind(|| {
        let server = ZkServer::start_standalone(&ServerOptions::default()).unwrap();
        let ensemble = Ensemble::start(1, &ServerOptions::default()).unwrap();
        for member in [&server, &ensemble.members()[0]] {
            held.lock()
                .unwrap()
                .push((member.pid().unwrap(), member.dir().to_owned()));
        }
        panic!("a failing assertion while holding servers");
    });
    assert!(outcome.is_err());
    let held = held.into_inner().unwrap();
    assert_eq!(held.len(), 2);
    // Unwinding dropped them: gone already, without waiting for any watchdog.
    for (pid, dir) in held {
        assert!(!is_alive(pid), "java {pid} survived the panic");
        assert!(!dir.exists(), "{} survived the panic", dir.display());
    }
}
