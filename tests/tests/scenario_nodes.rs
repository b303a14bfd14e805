//! Scenarios: node kinds — sequential, ephemeral, container, TTL — against real servers.

mod common;

use std::sync::OnceLock;
use std::time::Duration;
use zk_blocking::Version;

use common::{connect, fast_server, next_watch, options, queued_events, watch_summary};
use zk_blocking::{CreateMode, CreateOptions, Error, EventType, SessionState};
use zk_tests::{ZkServer, shared_standalone};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A server with TTL nodes enabled that removes empty containers and expired TTL nodes
/// every 100 ms, shared by the tests of this file that need one.
fn extended_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        fast_server(|o| {
            o.extended_types(true)
                .container_check_interval(Duration::from_millis(100))
        })
    })
}

#[test]
fn sequential_nodes_get_ten_digit_suffixes_from_the_parent_child_version() {
    let mut zk = connect(&shared_standalone().connect_string(), options(TIMEOUT));
    zk.create("/seq", "", CreateMode::Persistent).unwrap();
    let first = [
        zk.create("/seq/n-", "", CreateMode::PersistentSequential)
            .unwrap(),
        zk.create("/seq/n-", "", CreateMode::EphemeralSequential)
            .unwrap(),
        zk.create("/seq/n-", "", CreateMode::PersistentSequential)
            .unwrap(),
    ];
    assert_eq!(
        first,
        [
            "/seq/n-0000000000",
            "/seq/n-0000000001",
            "/seq/n-0000000002"
        ]
    );
    // Any child creation moves the counter; a trailing slash names the node by the
    // number alone.
    zk.create("/seq/plain", "", CreateMode::Persistent).unwrap();
    assert_eq!(
        zk.create("/seq/n-", "", CreateMode::PersistentSequential)
            .unwrap(),
        "/seq/n-0000000004"
    );
    zk.create("/seq/dir", "", CreateMode::Persistent).unwrap();
    assert_eq!(
        zk.create("/seq/dir/", "", CreateMode::PersistentSequential)
            .unwrap(),
        "/seq/dir/0000000000"
    );
    zk.close();
}

#[test]
fn ephemerals_are_gone_as_soon_as_close_returns() {
    let server = shared_standalone();
    let mut observer = connect(&server.connect_string(), options(TIMEOUT));
    let mut zk = connect(&server.connect_string(), options(TIMEOUT));
    zk.create("/eph-a", "", CreateMode::Ephemeral).unwrap();
    let seq = zk
        .create("/eph-b-", "", CreateMode::EphemeralSequential)
        .unwrap();
    assert!(observer.exists("/eph-a").unwrap().is_some());
    zk.close();
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(observer.exists("/eph-a").unwrap(), None);
    assert_eq!(observer.exists(&seq).unwrap(), None);
    observer.close();
}

#[test]
fn a_container_is_removed_after_its_last_child_goes() {
    let mut zk = connect(&extended_server().connect_string(), options(TIMEOUT));
    zk.create("/container", "", CreateMode::Container).unwrap();
    zk.create("/container/child", "", CreateMode::Persistent)
        .unwrap();
    let (stat, watch) = zk.exists_watch("/container").unwrap();
    assert_eq!(stat.unwrap().ephemeral_owner, 0, "containers show no owner");
    zk.delete("/container/child", Version::Any).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDeleted, "/container", vec![watch])
    );
    assert_eq!(zk.exists("/container").unwrap(), None);
    zk.close();
}

#[test]
fn a_ttl_node_is_removed_once_its_ttl_passes_unmodified() {
    let mut zk = connect(&extended_server().connect_string(), options(TIMEOUT));
    let (path, stat) = zk
        .create_with_stat(
            "/ttl",
            "short-lived",
            &CreateOptions::new(CreateMode::PersistentWithTtl).ttl(Duration::from_millis(500)),
        )
        .unwrap();
    assert_eq!(path, "/ttl");
    assert_eq!(stat.ephemeral_owner, 0, "TTL nodes show no owner");
    let (_, watch) = zk.exists_watch("/ttl").unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDeleted, "/ttl", vec![watch])
    );
    zk.close();
}

#[test]
fn a_ttl_node_on_a_server_without_extended_types_fails_clearly_with_unimplemented() {
    let mut zk = connect(&shared_standalone().connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    let err = zk
        .create_with(
            "/ttl-refused",
            "",
            &CreateOptions::new(CreateMode::PersistentWithTtl).ttl(Duration::from_millis(60_000)),
        )
        .unwrap_err();
    assert_eq!(err, Error::Unimplemented);
    // The message must point at the cause: TTL nodes need extended types on the server.
    let message = err.to_string();
    assert!(
        message.contains("UNIMPLEMENTED")
            && (message.contains("extendedTypesEnabled") || message.contains("TTL")),
        "unclear message: {message}"
    );
    // The session goes on.
    assert_eq!(zk.exists("/ttl-refused").unwrap(), None);
    assert_eq!(zk.session_id(), session);
    assert!(queued_events(&mut zk).is_empty());
    zk.close();
}
