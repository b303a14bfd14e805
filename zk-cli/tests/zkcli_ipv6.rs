//! zkcli against a real server listening on the IPv6 loopback only: `-server
//! [::1]:port` works one-shot, in the shell's `connect`, and for the four-letter words.
//! Where the machine has no `::1`, these tests fail saying so (they are not skipped).

#[path = "zkcli_support.rs"]
mod support;

use std::sync::OnceLock;

use support::run_zkcli;
use zk_tests::{ServerOptions, ZkServer, require_ipv6_loopback};

fn ipv6_hosts() -> String {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        require_ipv6_loopback();
        ZkServer::start_standalone(&ServerOptions::default().ipv6_loopback())
            .unwrap_or_else(|err| panic!("starting a server on [::1]: {err}"))
    });
    let hosts = server.connect_string();
    assert!(hosts.starts_with("[::1]:"), "{hosts}");
    hosts
}

#[test]
fn one_shot_commands_reach_a_server_given_as_an_ipv6_literal() {
    let hosts = ipv6_hosts();
    run_zkcli(
        &["-server", &hosts, "create", "/zkcli-ipv6", "over ::1"],
        None,
    )
    .ok();
    let got = run_zkcli(&["-server", &hosts, "get", "/zkcli-ipv6"], None);
    assert_eq!(got.ok(), "over ::1");
    let ruok = run_zkcli(&["-server", &hosts, "ruok"], None);
    assert_eq!(ruok.ok(), "imok");
}

#[test]
fn the_shell_connects_to_an_ipv6_literal() {
    let hosts = ipv6_hosts();
    let script =
        format!("close\nconnect {hosts}\ncreate -e /zkcli-ipv6-shell x\nget /zkcli-ipv6-shell\n");
    let run = run_zkcli(&["-server", &hosts], Some(script.as_bytes()));
    assert_eq!(run.ok(), "Created /zkcli-ipv6-shell\nx\n");
}
