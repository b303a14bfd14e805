//! The `local-zk` binary: starts, reports healthy servers, stops, and says how to install
//! ZooKeeper when it is missing.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use zk_tests::is_alive;

const LOCAL_ZK: &str = env!("CARGO_BIN_EXE_local-zk");

/// The pids and dirs in the `--- server (pid N, dir D)` lines of its output.
fn members_in(output: &str) -> Vec<(u32, PathBuf)> {
    output
        .lines()
        .filter_map(|line| {
            line.split_once("(pid ")?
                .1
                .strip_suffix(')')?
                .split_once(", dir ")
        })
        .map(|(pid, dir)| (pid.parse().unwrap(), PathBuf::from(dir)))
        .collect()
}

fn assert_gone(members: &[(u32, PathBuf)]) {
    let deadline = Instant::now() + Duration::from_secs(15);
    for (pid, dir) in members {
        while is_alive(*pid) || dir.exists() {
            assert!(
                Instant::now() < deadline,
                "java {pid} or {} outlived local-zk",
                dir.display()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn prints_a_healthy_standalone_server_and_stops_it() {
    let output = Command::new(LOCAL_ZK)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("connect string: 127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("Mode: standalone"), "{stdout}");
    assert!(stdout.trim_end().ends_with("stopped"), "{stdout}");
    let members = members_in(&stdout);
    assert_eq!(members.len(), 1, "{stdout}");
    // Stopped by its own drop before it exited: nothing to wait for.
    assert!(!is_alive(members[0].0) && !members[0].1.exists());
}

#[test]
fn with_tls_it_prints_a_secure_port_that_serves_tls_with_its_ca() {
    let (mut child, _stdout, _members, seen) = keep_running_with(&["--tls"]);
    let value = |label: &str| {
        let line = seen
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{seen}"));
        line.trim().to_string()
    };
    let tls = zk_blocking::TlsConfig::from_ca_file(value("CA:")).unwrap();
    let options = zk_blocking::Options::new().tls(tls);
    let mut zk = zk_blocking::Client::connect(&value("secure connect string:"), options).unwrap();
    assert!(zk.exists("/zookeeper").unwrap().is_some());
    zk.close();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

/// Starts `local-zk --keep-running` and reads its output up to the "running" line.
fn keep_running() -> (Child, BufReader<ChildStdout>, Vec<(u32, PathBuf)>, String) {
    keep_running_with(&[])
}

/// [`keep_running`] with more arguments (a standalone server).
fn keep_running_with(
    args: &[&str],
) -> (Child, BufReader<ChildStdout>, Vec<(u32, PathBuf)>, String) {
    keep_running_members(args, 1)
}

/// [`keep_running_with`] for `count` members.
fn keep_running_members(
    args: &[&str],
    count: usize,
) -> (Child, BufReader<ChildStdout>, Vec<(u32, PathBuf)>, String) {
    let mut child = Command::new(LOCAL_ZK)
        .args(args)
        .arg("--keep-running")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("running;") {
        assert!(
            stdout.read_line(&mut seen).unwrap() > 0,
            "local-zk ended early:\n{seen}"
        );
    }
    let members = members_in(&seen);
    assert_eq!(members.len(), count, "{seen}");
    (child, stdout, members, seen)
}

#[test]
fn keep_running_serves_until_stdin_closes() {
    let (mut child, mut stdout, members, seen) = keep_running();
    let address = seen
        .split("connect string: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert_eq!(
        zk_tests::four_letter(address.parse().unwrap(), "ruok").unwrap(),
        "imok"
    );
    drop(child.stdin.take());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest.trim(), "stopped");
    assert!(child.wait().unwrap().success());
    assert_gone(&members);
}

/// Ctrl-C's SIGINT would do, but background jobs of a non-interactive shell inherit it
/// ignored; SIGTERM kills the same way, without running destructors.
#[test]
fn a_fatal_signal_still_stops_the_servers() {
    let (mut child, _stdout, members, _) = keep_running();
    Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(15));
    assert_gone(&members);
}

#[test]
fn a_fatal_signal_still_removes_the_certificates_made_for_tls() {
    let (mut child, _stdout, members, seen) = keep_running_with(&["--tls"]);
    let ca = seen
        .lines()
        .find_map(|line| line.strip_prefix("CA:"))
        .unwrap_or_else(|| panic!("no CA line in:\n{seen}"));
    let pki = PathBuf::from(ca.trim()).parent().unwrap().to_path_buf();
    assert!(pki.exists());
    Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(15));
    assert_gone(&[(members[0].0, pki)]);
    assert_gone(&members);
}

#[test]
fn a_missing_installation_says_how_to_install_it() {
    let output = Command::new(LOCAL_ZK)
        .env("ZOOKEEPER_HOME", "/nonexistent/zookeeper")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("apt-get update && apt-get install -y zookeeper"),
        "{stderr}"
    );
    assert!(stderr.contains("ZOOKEEPER_HOME"), "{stderr}");
}

#[test]
fn help_prints_the_usage_on_stdout_and_exits_0() {
    let output = Command::new(LOCAL_ZK).arg("--help").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout.starts_with("usage: local-zk "), "{stdout}");
    assert!(stdout.contains("--ipv6"), "{stdout}");
    assert!(output.stderr.is_empty(), "{output:?}");
}

#[test]
fn an_unknown_flag_is_a_usage_error_on_stderr_with_status_2() {
    let output = Command::new(LOCAL_ZK).arg("--bogus").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        stderr.starts_with("local-zk: unknown argument --bogus\nusage: local-zk "),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{output:?}");
}

#[test]
fn with_ipv6_it_serves_on_the_ipv6_loopback() {
    zk_tests::require_ipv6_loopback();
    let (mut child, _stdout, _members, seen) = keep_running_with(&["--ipv6"]);
    let hosts = seen
        .lines()
        .find_map(|line| line.strip_prefix("connect string: "))
        .unwrap_or_else(|| panic!("no connect string in:\n{seen}"));
    assert!(hosts.starts_with("[::1]:"), "{seen}");
    let mut zk = zk_blocking::Client::connect(hosts, zk_blocking::Options::new()).unwrap();
    assert!(zk.exists("/zookeeper").unwrap().is_some());
    zk.close();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

#[test]
fn with_ttl_it_serves_ttl_nodes() {
    let (mut child, _stdout, _members, seen) = keep_running_with(&["--ttl"]);
    let hosts = seen
        .lines()
        .find_map(|line| line.strip_prefix("connect string: "))
        .unwrap_or_else(|| panic!("no connect string in:\n{seen}"));
    let mut zk = zk_blocking::Client::connect(hosts, zk_blocking::Options::new()).unwrap();
    let ttl = zk_blocking::CreateOptions::new(zk_blocking::CreateMode::PersistentWithTtl)
        .ttl(Duration::from_secs(60));
    assert_eq!(zk.create_with("/ttl", "", &ttl).unwrap(), "/ttl");
    zk.close();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

#[test]
fn with_read_only_a_member_cut_off_from_its_quorum_serves_read_only_clients() {
    let (mut child, _stdout, members, seen) =
        keep_running_members(&["--ensemble", "2", "--read-only"], 2);
    // One of two members stopped: the other has no quorum, and serves read-only.
    let (stopped, _) = members[1];
    kill_member(stopped);
    let hosts = seen
        .lines()
        .find_map(|line| line.strip_prefix("connect string: "))
        .unwrap_or_else(|| panic!("no connect string in:\n{seen}"));
    // Once the survivor has noticed that its quorum is gone, it serves read-only.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hosts
        .split(',')
        .any(|host| zk_tests::is_read_only(host.parse().unwrap()).unwrap_or(false))
    {
        assert!(Instant::now() < deadline, "no member turned read-only");
        thread::sleep(Duration::from_millis(50));
    }
    let options = zk_blocking::Options::new()
        .read_only(true)
        .connect_timeout(Duration::from_secs(30));
    let mut zk = zk_blocking::Client::connect(hosts, options).unwrap();
    assert_eq!(zk.state(), zk_blocking::SessionState::ConnectedReadOnly);
    assert!(zk.exists("/zookeeper").unwrap().is_some());
    zk.close();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

/// Stops a member at once, as a crash would (its pid from the output).
fn kill_member(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
