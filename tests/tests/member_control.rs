//! Pausing, resuming, stopping and restarting one server process.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use zk_tests::{
    ServerMode, ServerOptions, ZkServer, four_letter_with_timeout, is_alive, shared_standalone,
};

#[test]
fn a_paused_server_is_silent_until_resumed() {
    let mut server = ZkServer::start_standalone(&ServerOptions::default()).unwrap();
    server.pause().unwrap();
    assert!(server.is_running() && server.is_paused());
    // The kernel still accepts the connection; nobody reads from it.
    let silent =
        four_letter_with_timeout(server.address(), "ruok", Duration::from_millis(500)).unwrap_err();
    assert!(
        matches!(silent.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{silent}"
    );
    assert_eq!(server.mode(), None);

    server.resume().unwrap();
    assert!(!server.is_paused());
    assert_eq!(server.four_letter("ruok").unwrap(), "imok");
    assert_eq!(server.mode(), Some(ServerMode::Standalone));
}

#[test]
fn stop_and_restart_keep_the_port_and_the_data_dir() {
    let mut server = ZkServer::start_standalone(&ServerOptions::default()).unwrap();
    let (address, dir) = (server.address(), server.dir().to_owned());
    let first_pid = server.pid().unwrap();

    server.stop().unwrap();
    assert!(!is_alive(first_pid));
    assert_eq!(server.pid(), None);
    assert!(!server.is_running());
    let refused = server.four_letter("ruok").unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    assert!(
        dir.join("data/version-2").is_dir(),
        "the data dir outlives a stop"
    );

    server.restart().unwrap();
    assert_eq!((server.address(), server.dir()), (address, dir.as_path()));
    assert_ne!(server.pid(), Some(first_pid));
    assert_eq!(server.mode(), Some(ServerMode::Standalone));

    // SIGTERM alone would wait for a SIGCONT forever; stop sends both.
    server.pause().unwrap();
    let paused_pid = server.pid().unwrap();
    let started = Instant::now();
    server.stop().unwrap();
    assert!(!is_alive(paused_pid));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stop of a paused server took {:?}",
        started.elapsed()
    );

    // Killed, then back once more.
    server.restart().unwrap();
    let killed_pid = server.pid().unwrap();
    server.kill().unwrap();
    assert!(!is_alive(killed_pid));
    server.restart().unwrap();
    assert_eq!(server.four_letter("ruok").unwrap(), "imok");
}

#[test]
fn settings_reach_the_server() {
    let options = ServerOptions::default()
        .tick_time(Duration::from_millis(100))
        .min_session_timeout(Duration::from_millis(300))
        .max_session_timeout(Duration::from_millis(5_000))
        .jute_max_buffer(2 * 1024 * 1024)
        .extended_types(true)
        .container_check_interval(Duration::from_millis(100))
        .local_sessions(true, true)
        .cfg_line("globalOutstandingLimit=4321")
        .system_property("zookeeper.commitProcessor.numWorkerThreads", "2");
    let server = ZkServer::start_standalone(&options).unwrap();
    let conf = server.four_letter("conf").unwrap();
    for expected in [
        "tickTime=100",
        "minSessionTimeout=300",
        "maxSessionTimeout=5000",
    ] {
        assert!(conf.contains(expected), "conf lacks {expected}:\n{conf}");
    }
    let envi = server.four_letter("envi").unwrap();
    for expected in [
        "jute.maxbuffer=2097152",
        "zookeeper.extendedTypesEnabled=true",
        "znode.container.checkIntervalMs=100",
        "zookeeper.commitProcessor.numWorkerThreads=2",
    ] {
        assert!(
            envi.contains(expected) || jvm_has(&server, expected),
            "JVM lacks -D{expected}"
        );
    }
    let cfg = std::fs::read_to_string(server.dir().join("zoo.cfg")).unwrap();
    assert!(
        cfg.contains("localSessionsEnabled=true")
            && cfg.contains("localSessionsUpgradingEnabled=true")
    );
    assert!(
        cfg.trim_end().ends_with("globalOutstandingLimit=4321"),
        "extra lines come last:\n{cfg}"
    );
}

/// `envi` lists only some properties; the command line has them all.
fn jvm_has(server: &ZkServer, property: &str) -> bool {
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.pid().unwrap())).unwrap();
    cmdline
        .split(|byte| *byte == 0)
        .any(|arg| arg == format!("-D{property}").as_bytes())
}

#[test]
fn the_shared_server_is_started_once() {
    let first = shared_standalone();
    let second = shared_standalone();
    assert!(std::ptr::eq(first, second));
    assert_eq!(first.mode(), Some(ServerMode::Standalone));
}
