//! zkcli's reconfig against a real 3-member ensemble that allows it
//! (reconfigEnabled=true, skipACL so that no superuser is needed): a member removed
//! leaves the configuration, added back it returns.

#[path = "zkcli_support.rs"]
mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;
use support::{Json, Run, run_zkcli};

use zk_tests::{Ensemble, ServerOptions, ZkServer};

fn reconfigurable_ensemble() -> Ensemble {
    let options = ServerOptions::default()
        .cfg_line("reconfigEnabled=true")
        .system_property("zookeeper.skipACL", "yes");
    Ensemble::start(3, &options).expect("a 3-member ensemble with reconfig enabled")
}

/// zkcli on `hosts`.
fn zkcli(hosts: &str, args: &[&str]) -> Run {
    let mut all = vec!["-server", hosts];
    all.extend_from_slice(args);
    run_zkcli(&all, None)
}

/// The leader, which each test talks to alone (found once, before any change): a
/// member that leaves the ensemble drops its clients, maybe before the reply, and a
/// follower drops them when the leader changes.
fn leader(ensemble: &Ensemble) -> &ZkServer {
    let id = ensemble
        .wait_for_leader(Duration::from_secs(30))
        .expect("a leader");
    ensemble.member(id)
}

/// A member other than the leader, to remove and add back.
fn follower_id(ensemble: &Ensemble) -> u32 {
    let leader = leader(ensemble).myid();
    (1..=3).find(|id| Some(*id) != leader).expect("a follower")
}

fn server_line(config: &str, id: u32) -> Option<String> {
    let prefix = format!("server.{id}=");
    config
        .lines()
        .find(|line| line.starts_with(&prefix))
        .map(str::to_string)
}

/// Member `id`'s spec for -add: the server needs its client port too, which the
/// harness's config lines leave to each member's clientPort.
fn joining_spec(ensemble: &Ensemble, config: &str, id: u32) -> String {
    let line = server_line(config, id).expect("the member in the config");
    format!("{line};{}", ensemble.member(id).address())
}

/// The configuration's version=, in hex, as -v takes it.
fn config_version(config: &str) -> String {
    config
        .lines()
        .find_map(|line| line.strip_prefix("version="))
        .expect("a version= line")
        .to_string()
}

#[test]
fn reconfig_removes_a_member_and_adds_it_back() {
    let ensemble = reconfigurable_ensemble();
    let hosts = leader(&ensemble).connect_string();
    let before = zkcli(&hosts, &["config"]).ok();
    let leaving = follower_id(&ensemble);
    let spec = joining_spec(&ensemble, &before, leaving);

    let removed = zkcli(&hosts, &["reconfig", "-remove", &leaving.to_string()]).ok();
    let committed = removed
        .strip_prefix("Committed new configuration:\n")
        .unwrap_or_else(|| panic!("zkCli.sh's first line: {removed}"));
    let staying = (1..=3).filter(|id| *id != leaving);
    assert!(
        staying
            .map(|id| server_line(committed, id))
            .all(|line| line.is_some())
    );
    assert_eq!(server_line(committed, leaving), None, "{committed}");
    assert_eq!(
        server_line(&zkcli(&hosts, &["config"]).ok(), leaving),
        None,
        "config reads the committed one"
    );

    let stale = zkcli(
        &hosts,
        &["reconfig", "-v", &config_version(&before), "-add", &spec],
    );
    assert_eq!(stale.code, 1, "{stale:?}");
    assert!(stale.stderr.starts_with("zkcli: BadVersion: "), "{stale:?}");

    let added = zkcli(
        &hosts,
        &[
            "reconfig",
            "-s",
            "-v",
            &config_version(committed),
            "-add",
            &spec,
        ],
    )
    .ok();
    assert_eq!(server_line(&added, leaving).as_deref(), Some(spec.as_str()));
    assert!(added.contains("\ncZxid = "), "-s adds the Stat: {added}");
    assert_eq!(
        server_line(&zkcli(&hosts, &["config"]).ok(), leaving),
        Some(spec)
    );
}

#[test]
fn reconfig_in_json_and_in_the_shell() {
    let ensemble = reconfigurable_ensemble();
    let hosts = leader(&ensemble).connect_string();
    let config = zkcli(&hosts, &["config"]).ok();
    let leaving = follower_id(&ensemble);
    let spec = joining_spec(&ensemble, &config, leaving);
    let members = (1..=3)
        .filter(|id| *id != leaving)
        .map(|id| server_line(&config, id).expect("a member"))
        .collect::<Vec<_>>()
        .join(",");

    let json = Json::parse(&zkcli(&hosts, &["--json", "reconfig", "-members", &members]).ok())
        .expect("one JSON object");
    let data = json.get("data").str();
    assert_eq!(server_line(data, leaving), None, "{data}");
    assert!(!json.has("stat"), "the Stat only with -s");

    let script = format!("reconfig -add {spec}\nconfig\n");
    let run = run_zkcli(&["-server", &hosts], Some(script.as_bytes()));
    let out = run.ok();
    assert!(out.starts_with("Committed new configuration:\n"), "{out}");
    assert_eq!(
        out.lines().filter(|line| *line == spec).count(),
        2,
        "committed, then read back: {out}"
    );
}

#[test]
fn config_c_prints_the_client_addresses_and_config_w_the_next_reconfig() {
    let ensemble = reconfigurable_ensemble();
    let hosts = leader(&ensemble).connect_string();
    let config = zkcli(&hosts, &["config"]).ok();
    // The harness's server lines have no client address: zkCli.sh prints `0 ,,`.
    assert_eq!(
        zkcli(&hosts, &["config", "-c"]).ok(),
        format!("{} \n", config_version(&config))
    );

    // config -w prints the configuration, then waits for its next change.
    let mut watching = support::zkcli_command()
        .args(["-server", &hosts, "config", "-w", "--count", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting zkcli config -w");
    let mut stdout = BufReader::new(watching.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout
        .read_line(&mut first)
        .expect("the config's first line");
    assert!(first.starts_with("server."), "{first}");

    // The same membership, each member with its client address.
    let members: Vec<String> = (1..=3)
        .map(|id| joining_spec(&ensemble, &config, id))
        .collect();
    let committed = zkcli(&hosts, &["reconfig", "-members", &members.join(",")]).ok();
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("the rest of config -w");
    assert!(watching.wait().expect("config -w exits").success());
    assert!(
        rest.ends_with(
            "\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/zookeeper/config\n"
        ),
        "{rest}"
    );

    let addresses: Vec<String> = (1..=3)
        .map(|id| ensemble.member(id).address().to_string())
        .collect();
    let version = config_version(&committed["Committed new configuration:\n".len()..]);
    assert_eq!(
        zkcli(&hosts, &["config", "-c"]).ok(),
        format!("{version} {}\n", addresses.join(","))
    );
    let json = Json::parse(&zkcli(&hosts, &["--json", "config", "-c"]).ok()).unwrap();
    assert_eq!(json.get("version").str(), version);
    assert_eq!(json.get("connect_string").str(), addresses.join(","));
}

#[test]
fn reconfig_without_a_change_or_mixing_modes_is_a_usage_error() {
    for args in [
        &["reconfig"][..],
        &["reconfig", "-s"][..],
        &[
            "reconfig",
            "-add",
            "server.4=127.0.0.1:1:2;3",
            "-members",
            "x",
        ][..],
        &["reconfig", "-members", "x", "-file", "/nonexistent"][..],
        &["reconfig", "-v", "xyz", "-remove", "3"][..],
    ] {
        let run = run_zkcli(args, None);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
}

#[test]
fn reconfig_file_replaces_the_membership_with_the_files_servers() {
    let ensemble = reconfigurable_ensemble();
    let hosts = leader(&ensemble).connect_string();
    let config = zkcli(&hosts, &["config"]).ok();
    let leaving = follower_id(&ensemble);
    let mut file = tempfile::NamedTempFile::new().expect("a temp file");
    let mut text = String::from("# the ensemble without one follower\n\n");
    for id in (1..=3).filter(|id| *id != leaving) {
        text.push_str(&joining_spec(&ensemble, &config, id));
        text.push('\n');
    }
    std::io::Write::write_all(&mut file, text.as_bytes()).expect("writing the file");
    let path = file.path().to_str().expect("a UTF-8 temp path").to_string();

    let committed = zkcli(&hosts, &["reconfig", "-file", &path]).ok();
    assert_eq!(server_line(&committed, leaving), None, "{committed}");

    std::io::Write::write_all(&mut file, b"clientPort=2181\n").expect("writing the file");
    let refused = zkcli(&hosts, &["reconfig", "-file", &path]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("clientPort=2181"), "{refused:?}");
}
