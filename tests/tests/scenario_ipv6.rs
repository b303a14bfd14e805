//! Each client against a real server that listens on the IPv6 loopback only, `[::1]`:
//! a user writing `[::1]:port` gets a working session, not only a parsed string.
//! Where the machine has no `::1`, these tests fail saying so (they are not skipped).

use std::sync::OnceLock;

use zk_blocking::{Client, CreateMode, Options, SharedClient};
use zk_tests::{ServerOptions, ZkServer, require_ipv6_loopback};

/// One server on `[::1]` for this file's tests.
fn ipv6_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        require_ipv6_loopback();
        ZkServer::start_standalone(&ServerOptions::default().ipv6_loopback())
            .unwrap_or_else(|err| panic!("starting a server on [::1]: {err}"))
    })
}

/// The server's `[::1]:port`, checked to be that and not 127.0.0.1.
fn hosts() -> String {
    let hosts = ipv6_server().connect_string();
    assert!(hosts.starts_with("[::1]:"), "{hosts}");
    hosts
}

#[test]
fn the_blocking_client_creates_and_reads_a_node_over_ipv6() {
    let mut zk = Client::connect(&hosts(), Options::new()).unwrap();
    zk.create("/ipv6-blocking", "over ::1", CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(
        zk.get_data("/ipv6-blocking").unwrap().0[..],
        b"over ::1"[..]
    );
    zk.close();
}

#[test]
fn the_shared_client_creates_and_reads_a_node_over_ipv6() {
    let zk = SharedClient::connect(&hosts(), Options::new()).unwrap();
    zk.create("/ipv6-shared", "over ::1", CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(zk.get_data("/ipv6-shared").unwrap().0[..], b"over ::1"[..]);
    zk.close();
}

#[tokio::test]
async fn the_async_client_creates_and_reads_a_node_over_ipv6() {
    let zk = zk_tokio::Client::connect(&hosts(), Options::new())
        .await
        .unwrap();
    zk.create("/ipv6-tokio", "over ::1", CreateMode::Ephemeral)
        .await
        .unwrap();
    assert_eq!(
        zk.get_data("/ipv6-tokio").await.unwrap().0[..],
        b"over ::1"[..]
    );
    zk.close().await;
}

#[test]
fn the_server_does_not_listen_on_127_0_0_1() {
    let port = ipv6_server().address().port();
    let options = Options::new().connect_timeout(std::time::Duration::from_secs(2));
    let refused = Client::connect(&format!("127.0.0.1:{port}"), options);
    assert!(
        refused.is_err(),
        "the IPv6 test server must be reached over ::1 only"
    );
}
