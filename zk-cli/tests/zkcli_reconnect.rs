//! zkcli's shell when its connection is cut (through the fault proxy, on a real
//! server): stdout shows each state change with its reason, and `-v` logs the dropped
//! connection with its host and reason, then the session established again.

#[path = "pty/terminal.rs"]
mod pty;
#[path = "common/shell.rs"]
mod shell;
#[path = "zkcli_support.rs"]
mod support;

use std::sync::mpsc::Receiver;

use pty::PATIENCE;
use shell::ShellProcess;
use support::Json;
use zk_tests::proxy::FaultProxy;
use zk_tests::shared_standalone;

/// A shell connected through `proxy` with `global` options, once it has answered a
/// command (so it is connected).
fn connected_shell(proxy: &FaultProxy, global: &[&str]) -> ShellProcess {
    let mut shell = ShellProcess::start(&proxy.connect_string(), global);
    shell.send("ls /zookeeper");
    line_with(&shell.stdout, "stdout", &["config"]);
    shell
}

/// The next line of `lines` containing every one of `parts`, skipping the others;
/// panics, showing what was skipped, if none comes within [`PATIENCE`].
fn line_with(lines: &Receiver<String>, stream: &str, parts: &[&str]) -> String {
    let mut skipped = Vec::new();
    loop {
        match lines.recv_timeout(PATIENCE) {
            Ok(line) if parts.iter().all(|part| line.contains(part)) => return line,
            Ok(line) => skipped.push(line),
            Err(_) => panic!("no line with {parts:?} on {stream}; saw {skipped:#?}"),
        }
    }
}

/// The session id in a `-v` log line "... session 0x… established with HOST ...".
fn established_session(line: &str) -> &str {
    let at = line
        .find("session 0x")
        .unwrap_or_else(|| panic!("no hex session id in {line:?}"));
    line[at + "session ".len()..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
}

#[test]
fn the_shell_prints_the_disconnect_with_its_reason_then_the_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let shell = connected_shell(&proxy, &[]);
    proxy.close_all();
    let host = proxy.address();
    assert_eq!(
        line_with(&shell.stdout, "stdout", &["state:Disconnected"]),
        format!(
            "WatchedEvent state:Disconnected type:None path:null \
             (server {host} closed the connection)"
        )
    );
    assert_eq!(
        line_with(&shell.stdout, "stdout", &["state:SyncConnected"]),
        "WatchedEvent state:SyncConnected type:None path:null"
    );
    assert_eq!(shell.quit(), 0);
}

#[test]
fn with_json_the_disconnect_object_has_its_reason_and_the_reconnect_a_null_one() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let shell = connected_shell(&proxy, &["--json"]);
    proxy.close_all();
    let object = |state: &str| {
        let line = line_with(&shell.stdout, "stdout", &[&format!("\"{state}\"")]);
        Json::parse(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    let disconnected = object("Disconnected");
    assert_eq!(
        disconnected.keys(),
        ["event", "path", "reason", "state"],
        "Java's fields and the reason"
    );
    assert_eq!(
        disconnected.get("reason").str(),
        format!("server {} closed the connection", proxy.address())
    );
    let reconnected = object("SyncConnected");
    assert!(reconnected.has("reason"), "{reconnected:?}");
    assert_eq!(*reconnected.get("reason"), Json::Null);
    assert_eq!(shell.quit(), 0);
}

#[test]
fn with_v_the_shell_logs_the_dropped_connection_its_reason_and_the_same_session_again() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let shell = connected_shell(&proxy, &["-v"]);
    let host = proxy.address().to_string();
    let first = line_with(&shell.stderr, "stderr", &["established with", &host]);
    let session = established_session(&first).to_string();

    proxy.close_all();
    let closed = format!("server {host} closed the connection");
    let dropped = line_with(&shell.stderr, "stderr", &[&closed]);
    assert!(dropped.contains("WARN"), "a drop is a warning: {dropped}");
    let again = format!("session {session} established with {host}");
    line_with(&shell.stderr, "stderr", &[&again]);
    assert_eq!(shell.quit(), 0);
}
