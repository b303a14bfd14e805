//! Scenario: with the drivers' `tracing` feature, a reconnect is logged with what an
//! operator needs: the host, why the old connection ended, and the new handshake's
//! session id in hex, at the levels the crates document.

mod common;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{connect, options, until_state};
use zk_blocking::KeeperState;
use zk_tests::proxy::FaultProxy;
use zk_tests::shared_standalone;

/// Long enough that no read timeout fires during the scenario.
const LONG: Duration = Duration::from_secs(10);

/// Where the subscriber writes: every line, kept for the test to read.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The first line of `log` at or after byte `from` that contains every one of `parts`.
fn line_with<'a>(log: &'a str, from: usize, parts: &[&str]) -> Option<(usize, &'a str)> {
    let mut start = from;
    for line in log[from..].lines() {
        if parts.iter().all(|part| line.contains(part)) {
            return Some((start, line));
        }
        start += line.len() + 1;
    }
    None
}

#[test]
fn a_reconnect_is_logged_with_its_reason_host_and_new_session_id() {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The blocking client does all its work on this thread.
    let _installed = tracing::subscriber::set_default(subscriber);

    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let host = proxy.address().to_string();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);
    until_state(&mut zk, KeeperState::SyncConnected);
    let session = format!("0x{:x}", zk.session_id());
    let log = buffer.text();

    let closed = format!("server {host} closed the connection");
    let (dropped_at, dropped) = line_with(&log, 0, &[&closed])
        .unwrap_or_else(|| panic!("no line says {closed:?} in:\n{log}"));
    assert!(dropped.contains("WARN"), "a drop is a warning: {dropped}");
    let connecting = format!("connecting to {host}");
    let (dial_at, dial) = line_with(&log, dropped_at, &[&connecting])
        .unwrap_or_else(|| panic!("no dial of {host} after the drop in:\n{log}"));
    assert!(dial.contains("INFO"), "a dial is lifecycle: {dial}");
    let established = format!("session {session} established with {host}");
    let (_, handshake) = line_with(&log, dial_at, &[&established])
        .unwrap_or_else(|| panic!("no line says {established:?} after the redial in:\n{log}"));
    assert!(
        handshake.contains("INFO"),
        "a handshake is lifecycle: {handshake}"
    );
}
