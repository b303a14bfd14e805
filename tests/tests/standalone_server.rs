//! A standalone server starts, answers the four-letter words, and leaves nothing behind.

mod raw_session;

use std::time::Duration;

use raw_session::RawSession;

use zk_tests::{
    ServerMode, ServerOptions, ZkServer, four_letter_with_timeout, is_alive, is_read_only, mntr,
};

#[test]
fn standalone_answers_four_letter_words_and_cleans_up_on_drop() {
    let server = ZkServer::start_standalone(&ServerOptions::default()).expect("standalone server");
    let pid = server.pid().expect("a started server has a pid");
    let dir = server.dir().to_owned();
    assert!(is_alive(pid));
    assert!(dir.join("data").is_dir());

    assert_eq!(server.four_letter("ruok").unwrap(), "imok");
    let srvr = server.four_letter("srvr").unwrap();
    assert!(srvr.starts_with("Zookeeper version: 3."), "{srvr}");
    for field in [
        "Latency min/avg/max:",
        "Received:",
        "Sent:",
        "Connections:",
        "Outstanding:",
        "Zxid: 0x",
        "Node count:",
    ] {
        assert!(srvr.contains(field), "srvr lacks {field}: {srvr}");
    }
    assert_eq!(ServerMode::from_srvr(&srvr), Some(ServerMode::Standalone));
    assert_eq!(server.mode(), Some(ServerMode::Standalone));

    let stat = server.four_letter("stat").unwrap();
    assert!(
        stat.contains("Clients:") && stat.contains("Mode: standalone"),
        "{stat}"
    );
    // The stat connection itself is listed as a client.
    assert!(stat.contains("/127.0.0.1:"), "{stat}");

    let metrics = mntr(server.address()).unwrap();
    assert_eq!(
        metrics.get("zk_server_state").map(String::as_str),
        Some("standalone")
    );
    let znodes: u64 = metrics["zk_znode_count"].parse().unwrap();
    assert!(znodes >= 2, "/ and /zookeeper at least: {znodes}");
    assert!(metrics.contains_key("zk_num_alive_connections"));

    // A session with a watch, so that cons, dump and wchc have something to list.
    let mut session = RawSession::open(server.address());
    session.ping();
    session.watch_root();
    let cons = server.four_letter("cons").unwrap();
    assert!(
        cons.contains("/127.0.0.1:") && cons.contains("queued=") && cons.contains("sid=0x"),
        "{cons}"
    );
    let dump = server.four_letter("dump").unwrap();
    assert!(
        dump.contains("SessionTracker dump:") && dump.contains("Connections dump:"),
        "{dump}"
    );
    let wchc = server.four_letter("wchc").unwrap();
    let mut lines = wchc.lines();
    assert!(
        lines.next().is_some_and(|line| line.starts_with("0x")),
        "session id first: {wchc}"
    );
    assert_eq!(
        lines.next().map(str::trim),
        Some("/"),
        "then the watched path: {wchc}"
    );
    drop(session);
    assert!(!is_read_only(server.address()).unwrap());

    let bad =
        four_letter_with_timeout(server.address(), "toolong", Duration::from_secs(1)).unwrap_err();
    assert_eq!(bad.kind(), std::io::ErrorKind::InvalidInput);

    drop(server);
    assert!(!is_alive(pid), "java {pid} survived the drop");
    assert!(!dir.exists(), "{} survived the drop", dir.display());
}
