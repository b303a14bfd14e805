//! zkcli end to end against a real server: every command and flag, `--json`, stdin
//! and binary data, chroot, auth, and the exit statuses (1 ZooKeeper error, 2 usage,
//! 3 unreachable; 4, local I/O, in zkcli_exit_status.rs).

#[path = "pty/terminal.rs"]
mod pty;
#[path = "zkcli_support.rs"]
mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use zk_blocking::Version;

use pty::Terminal;
use support::{Json, Run, json_lines, run_zkcli, zkcli_command};
use zk_blocking::{Client, CreateMode, Id, Options};
use zk_tests::{ServerOptions, ZkServer, free_port, shared_standalone};

fn hosts() -> String {
    shared_standalone().connect_string()
}

/// zkcli against the shared server.
fn zkcli(args: &[&str]) -> Run {
    let hosts = hosts();
    let mut all = vec!["-server", hosts.as_str()];
    all.extend_from_slice(args);
    run_zkcli(&all, None)
}

fn zkcli_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let hosts = hosts();
    let mut all = vec!["-server", hosts.as_str()];
    all.extend_from_slice(args);
    run_zkcli(&all, Some(stdin))
}

fn client() -> Client {
    Client::connect(&hosts(), Options::default()).expect("connecting a test client")
}

fn assert_zk_error(run: &Run, name: &str, path: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(name) && run.stderr.contains(path),
        "stderr should name {name} and {path}: {run:?}"
    );
}

fn assert_usage_error(run: &Run) {
    assert_eq!(run.code, 2, "{run:?}");
    assert!(!run.stderr.is_empty());
}

/// The zkCli.sh Stat block as name → value.
fn stat_fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(k, _)| k == name).expect(name).1
}

const STAT_NAMES: [&str; 11] = [
    "cZxid",
    "ctime",
    "mZxid",
    "mtime",
    "pZxid",
    "cversion",
    "dataVersion",
    "aclVersion",
    "ephemeralOwner",
    "dataLength",
    "numChildren",
];
const JSON_STAT_NAMES: [&str; 11] = [
    "aversion",
    "ctime",
    "cversion",
    "czxid",
    "dataLength",
    "ephemeralOwner",
    "mtime",
    "mzxid",
    "numChildren",
    "pzxid",
    "version",
];

#[test]
fn create_get_set_and_stat() {
    assert_eq!(zkcli(&["create", "/cgs", "v1"]).ok(), "Created /cgs\n");
    assert_eq!(zkcli(&["get", "/cgs"]).ok(), "v1");
    assert_eq!(zkcli(&["set", "/cgs", "value-2"]).ok(), "");
    assert_eq!(zkcli(&["get", "/cgs"]).ok(), "value-2");

    let stat = stat_fields(&zkcli(&["stat", "/cgs"]).ok());
    let names: Vec<&str> = stat.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, STAT_NAMES);
    assert_eq!(field(&stat, "dataVersion"), "1");
    assert_eq!(field(&stat, "dataLength"), "7");
    assert_eq!(field(&stat, "ephemeralOwner"), "0x0");
    assert!(field(&stat, "cZxid").starts_with("0x"));
    // Like Java's Date.toString() in UTC: "Sun Nov 22 00:43:29 UTC 2026".
    let ctime: Vec<&str> = field(&stat, "ctime").split(' ').collect();
    assert_eq!((ctime.len(), ctime[4]), (6, "UTC"), "{ctime:?}");

    // get -s: the data, then the Stat on its own lines.
    let text = zkcli(&["get", "-s", "/cgs"]).ok();
    assert!(text.starts_with("value-2\ncZxid = 0x"), "{text}");

    // set -s prints the new Stat; -v must match.
    let text = zkcli(&["set", "-s", "-v", "1", "/cgs", "v3"]).ok();
    assert_eq!(field(&stat_fields(&text), "dataVersion"), "2");
    let stale = zkcli(&["set", "-v", "1", "/cgs", "v4"]);
    assert_zk_error(&stale, "BadVersion", "/cgs");
    assert_zk_error(&zkcli(&["create", "/cgs"]), "NodeExists", "/cgs");
    assert_eq!(zkcli(&["get", "/cgs"]).ok(), "v3");
}

#[test]
fn json_results_carry_stat_fields_by_zookeeper_names() {
    zkcli(&["create", "/json", "héllo"]).ok();
    let get = Json::parse(&zkcli(&["--json", "get", "-s", "/json"]).ok()).unwrap();
    assert_eq!(get.get("path").str(), "/json");
    assert_eq!(get.get("data").str(), "héllo");
    let stat = get.get("stat");
    assert_eq!(stat.keys(), JSON_STAT_NAMES);
    assert_eq!(stat.get("dataLength").num(), 6.0);
    assert_eq!(stat.get("version").num(), 0.0);
    assert!(stat.get("czxid").num() > 0.0 && stat.get("ctime").num() > 1.7e12);

    let set = Json::parse(&zkcli(&["--json", "set", "/json", "x"]).ok()).unwrap();
    assert_eq!(set.get("stat").get("version").num(), 1.0);
    let stat = Json::parse(&zkcli(&["--json", "stat", "/json"]).ok()).unwrap();
    assert_eq!(stat.get("stat").get("dataLength").num(), 1.0);
    let created = Json::parse(&zkcli(&["--json", "create", "/json/c"]).ok()).unwrap();
    assert_eq!(created.get("path").str(), "/json/c");
    let ls = Json::parse(&zkcli(&["--json", "ls", "-s", "/json"]).ok()).unwrap();
    assert_eq!(
        ls.get("children"),
        &Json::Array(vec![Json::String("c".into())])
    );
    assert_eq!(ls.get("stat").get("numChildren").num(), 1.0);
    let plain = Json::parse(&zkcli(&["--json", "ls", "/json"]).ok()).unwrap();
    assert!(!plain.has("stat"));
    let count = Json::parse(&zkcli(&["--json", "getAllChildrenNumber", "/json"]).ok()).unwrap();
    assert_eq!(count.get("count").num(), 1.0);
    let deleted = Json::parse(&zkcli(&["--json", "delete", "/json/c"]).ok()).unwrap();
    assert_eq!(deleted.get("deleted").str(), "/json/c");
}

#[test]
fn ls_sorts_and_recurses() {
    for path in ["/ls", "/ls/b", "/ls/a", "/ls/c", "/ls/a/x", "/ls/a/x/y"] {
        zkcli(&["create", path]).ok();
    }
    assert_eq!(zkcli(&["ls", "/ls"]).ok(), "a\nb\nc\n");
    let text = zkcli(&["ls", "-s", "/ls"]).ok();
    assert!(text.starts_with("a\nb\nc\ncZxid = "), "{text}");
    assert_eq!(field(&stat_fields(&text), "numChildren"), "3");
    assert_eq!(
        zkcli(&["ls", "-R", "/ls"]).ok(),
        "/ls\n/ls/a\n/ls/b\n/ls/c\n/ls/a/x\n/ls/a/x/y\n"
    );
    let paths: Vec<String> = json_lines(&zkcli(&["--json", "ls", "-R", "/ls/a"]).ok())
        .iter()
        .map(|j| j.get("path").str().to_string())
        .collect();
    assert_eq!(paths, ["/ls/a", "/ls/a/x", "/ls/a/x/y"]);
    assert_eq!(zkcli(&["getAllChildrenNumber", "/ls"]).ok(), "5\n");
    // As in zkCli.sh, -s is accepted with -R and changes nothing.
    assert_eq!(
        zkcli(&["ls", "-R", "-s", "/ls"]).ok(),
        zkcli(&["ls", "-R", "/ls"]).ok()
    );
    assert_usage_error(&zkcli(&["ls", "-R", "-w", "/ls"]));
    assert_zk_error(&zkcli(&["ls", "/ls/none"]), "NoNode", "/ls/none");
}

/// `digest:USER:HASH:cdrwa` for the credential `USER:PASSWORD`, as zkcli's ACL syntax
/// writes it.
fn digest_acl(user: &str, password: &str) -> String {
    format!("digest:{}:cdrwa", Id::digest(user, password).id)
}

#[test]
fn ls_r_lists_every_readable_node_and_reports_each_unreadable_one() {
    let owner = ["--auth", "digest:owner:pw"];
    for path in [
        "/lsr",
        "/lsr/a",
        "/lsr/a/x",
        "/lsr/locked",
        "/lsr/locked/hidden",
        "/lsr/z",
    ] {
        zkcli(&["create", path]).ok();
    }
    let locked = digest_acl("owner", "pw");
    zkcli(&["setAcl", "/lsr/locked", &locked]).ok();

    // Breadth first as ever; the locked node is named (its parent lists it), what is
    // under it is not, and stderr says which node and what to do.
    let run = zkcli(&["ls", "-R", "/lsr"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.text(), "/lsr\n/lsr/a\n/lsr/locked\n/lsr/z\n/lsr/a/x\n");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr.starts_with("zkcli: NoAuth: /lsr/locked: ") && run.stderr.contains("--auth"),
        "{run:?}"
    );

    let run = zkcli(&["--json", "ls", "-R", "/lsr"]);
    assert_eq!(run.code, 1, "{run:?}");
    let paths: Vec<String> = json_lines(&run.text())
        .iter()
        .map(|j| j.get("path").str().to_string())
        .collect();
    assert_eq!(
        paths,
        ["/lsr", "/lsr/a", "/lsr/locked", "/lsr/z", "/lsr/a/x"]
    );
    let errors = json_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{run:?}");
    assert_eq!(errors[0].get("error").str(), "NoAuth");
    assert_eq!(errors[0].get("path").str(), "/lsr/locked");

    let mut args = owner.to_vec();
    args.extend(["ls", "-R", "/lsr"]);
    assert_eq!(
        zkcli(&args).ok(),
        "/lsr\n/lsr/a\n/lsr/locked\n/lsr/z\n/lsr/a/x\n/lsr/locked/hidden\n"
    );
    // A start this session may not list is a failure, as for ls.
    let run = zkcli(&["ls", "-R", "/lsr/locked"]);
    assert_zk_error(&run, "NoAuth", "/lsr/locked");
    assert_eq!(run.text(), "");
}

#[test]
fn ls_r_names_an_unreadable_node_under_a_chroot_as_other_errors_do() {
    for path in ["/lsrc", "/lsrc/a", "/lsrc/locked", "/lsrc/locked/hidden"] {
        zkcli(&["create", path]).ok();
    }
    zkcli(&["setAcl", "/lsrc/locked", &digest_acl("owner", "pw")]).ok();
    let jailed = format!("{}/lsrc", hosts());
    let run = run_zkcli(&["-server", &jailed, "ls", "-R", "/"], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.text(), "/\n/a\n/locked\n");
    assert!(
        run.stderr
            .starts_with("zkcli: NoAuth: /locked (under chroot /lsrc): this session may not read"),
        "{run:?}"
    );
    // As ls names the node it may not list.
    let run = run_zkcli(&["-server", &jailed, "ls", "/locked"], None);
    assert!(
        run.stderr
            .starts_with("zkcli: NoAuth: /locked (under chroot /lsrc): "),
        "{run:?}"
    );
    // JSON's path is the path alone, as for other errors.
    let run = run_zkcli(&["-server", &jailed, "--json", "ls", "-R", "/"], None);
    let errors = json_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{run:?}");
    assert_eq!(errors[0].get("path").str(), "/locked");
}

#[test]
fn create_modes() {
    zkcli(&["create", "/modes"]).ok();
    let sequential = zkcli(&["create", "-s", "/modes/seq-", "d"]).ok();
    assert!(
        sequential.starts_with("Created /modes/seq-")
            && sequential.trim_end().len() == "Created /modes/seq-".len() + 10,
        "zkCli.sh's line, with the sequence number: {sequential}"
    );
    // An ephemeral lives as long as zkcli's session, so it is gone once zkcli exits.
    assert_eq!(
        zkcli(&["create", "-e", "/modes/eph"]).ok(),
        "Created /modes/eph\n"
    );
    assert_zk_error(&zkcli(&["stat", "/modes/eph"]), "NoNode", "/modes/eph");
    let both = zkcli(&["create", "-e", "-s", "/modes/es-"]).ok();
    assert!(both.starts_with("Created /modes/es-"));
    assert_eq!(
        zkcli(&["create", "-c", "/modes/container"]).ok(),
        "Created /modes/container\n"
    );

    assert_usage_error(&zkcli(&["create", "-c", "-s", "/modes/x"]));
    assert_usage_error(&zkcli(&["create", "-e", "-t", "1000", "/modes/x"]));
    assert_usage_error(&zkcli(&["create", "-t", "soon", "/modes/x"]));
    assert_usage_error(&zkcli(&["create", "/modes/x", "d", "world:anyone:xyz"]));
    assert_usage_error(&zkcli(&["create", "relative"]));
    // The shared server does not enable TTL nodes.
    assert_eq!(zkcli(&["create", "-t", "1000", "/modes/ttl"]).code, 1);
}

#[test]
fn jute_maxbuffer_lets_nodes_over_1_mib_be_written_and_read() {
    let server = ZkServer::start_standalone(&ServerOptions::default().jute_max_buffer(4 << 20))
        .expect("starting a server with a 4 MiB jute.maxbuffer");
    let hosts = server.connect_string();
    let big: Vec<u8> = (0..2 << 20).map(|i| (i % 251) as u8).collect();
    let at_default = |args: &[&str], stdin: Option<&[u8]>| {
        let mut all = vec!["-server", hosts.as_str()];
        all.extend_from_slice(args);
        run_zkcli(&all, stdin)
    };
    let raised = |args: &[&str], stdin: Option<&[u8]>| {
        let mut all = vec!["-server", hosts.as_str(), "--jute-maxbuffer", "4194304"];
        all.extend_from_slice(args);
        run_zkcli(&all, stdin)
    };
    let too_large = at_default(&["create", "/big", "-"], Some(&big));
    assert_eq!(too_large.code, 1, "{too_large:?}");
    assert!(
        too_large.stderr.contains("--jute-maxbuffer"),
        "{too_large:?}"
    );
    assert!(
        !too_large.stderr.contains("max_frame_size"),
        "{too_large:?}"
    );

    assert_eq!(
        raised(&["create", "/big", "-"], Some(&big)).ok(),
        "Created /big\n"
    );
    let unreadable = at_default(&["get", "/big"], None);
    assert_eq!(unreadable.code, 1, "{unreadable:?}");
    assert!(
        unreadable.stderr.contains("--jute-maxbuffer"),
        "{unreadable:?}"
    );
    assert!(!unreadable.stderr.contains("Options"), "{unreadable:?}");
    assert_eq!(raised(&["get", "/big"], None).stdout, big);

    // zkCli.sh users set -Djute.maxbuffer in their environment; zkcli's variable.
    let output = zkcli_command()
        .env("ZKCLI_JUTE_MAXBUFFER", "4194304")
        .args(["-server", hosts.as_str(), "get", "/big"])
        .output()
        .expect("zkcli");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(output.stdout, big);
    assert_usage_error(&at_default(&["--jute-maxbuffer", "1k", "ls", "/"], None));
}

/// The server hides the container and TTL markers from the Stat, so their kind shows
/// in how the server reaps them.
#[test]
fn container_and_ttl_nodes_are_reaped() {
    let options = ServerOptions::default()
        .extended_types(true)
        .container_check_interval(Duration::from_millis(100));
    let server =
        ZkServer::start_standalone(&options).expect("starting a server with extended types");
    let hosts = server.connect_string();
    let run = |args: &[&str]| {
        let mut all = vec!["-server", hosts.as_str()];
        all.extend_from_slice(args);
        run_zkcli(&all, None)
    };
    assert_eq!(
        run(&["create", "-t", "200", "/ttl", "d"]).ok(),
        "Created /ttl\n"
    );
    let created = run(&["create", "-s", "-t", "200", "/ttl-"]).ok();
    let sequential = created.trim_start_matches("Created ").to_string();
    assert!(sequential.starts_with("/ttl-00"), "{created}");
    run(&["create", "-c", "/box"]).ok();
    run(&["create", "/box/kid"]).ok();
    run(&["delete", "/box/kid"]).ok();
    let gone = |path: &str| run(&["stat", path]).code == 1;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(gone("/ttl") && gone(sequential.trim_end()) && gone("/box")) {
        assert!(
            Instant::now() < deadline,
            "TTL nodes and the empty container outlived their time"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn delete_and_deleteall() {
    for path in ["/del", "/del/a", "/del/a/b", "/del/c"] {
        zkcli(&["create", path]).ok();
    }
    assert_zk_error(&zkcli(&["delete", "/del"]), "NotEmpty", "/del");
    assert_zk_error(
        &zkcli(&["delete", "-v", "5", "/del/c"]),
        "BadVersion",
        "/del/c",
    );
    assert_eq!(zkcli(&["delete", "-v", "0", "/del/c"]).ok(), "");
    assert_zk_error(&zkcli(&["delete", "/del/c"]), "NoNode", "/del/c");
    assert_eq!(zkcli(&["deleteall", "/del"]).ok(), "");
    assert_zk_error(&zkcli(&["stat", "/del"]), "NoNode", "/del");
    assert_zk_error(&zkcli(&["deleteall", "/del"]), "NoNode", "/del");
}

#[test]
fn deleteall_b_deletes_in_batches_as_zkcli_sh_3_8_takes_it() {
    for path in [
        "/delb",
        "/delb/a",
        "/delb/a/x",
        "/delb/a/y",
        "/delb/b",
        "/delb/c",
    ] {
        zkcli(&["create", path]).ok();
    }
    assert_eq!(zkcli(&["deleteall", "/delb", "-b", "4"]).ok(), "");
    assert_zk_error(&zkcli(&["stat", "/delb"]), "NoNode", "/delb");
    zkcli(&["create", "/delb"]).ok();
    zkcli(&["create", "/delb/only"]).ok();
    let json = Json::parse(&zkcli(&["--json", "deleteall", "-b", "1000", "/delb"]).ok()).unwrap();
    assert_eq!(json.get("nodes").num(), 2.0);
    assert_zk_error(
        &zkcli(&["deleteall", "/delb", "-b", "2"]),
        "NoNode",
        "/delb",
    );
    for size in ["0", "-1", "many"] {
        assert_usage_error(&zkcli(&["deleteall", "/delb", "-b", size]));
    }
}

#[test]
fn deleteall_b_deletes_a_failed_batch_one_by_one_up_to_the_refused_node() {
    for path in ["/delp", "/delp/p", "/delp/p/c", "/delp/q", "/delp/q/x"] {
        zkcli(&["create", path]).ok();
    }
    // No one may delete /delp/p's children: the batch's multi fails on /delp/p/c.
    zkcli(&["setAcl", "/delp/p", "world:anyone:crwa"]).ok();
    // Leaves first: /delp/q/x, /delp/p/c, /delp/q, /delp/p, /delp, all in one batch.
    // One by one, /delp/q/x goes and /delp/p/c is refused, as without -b.
    let run = zkcli(&["deleteall", "/delp", "-b", "10"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.text(), "");
    assert!(
        run.stderr.starts_with("zkcli: NoAuth: /delp/p/c: ") && run.stderr.lines().count() == 1,
        "{run:?}"
    );
    assert_zk_error(&zkcli(&["stat", "/delp/q/x"]), "NoNode", "/delp/q/x");
    assert_eq!(
        zkcli(&["ls", "-R", "/delp"]).ok(),
        "/delp\n/delp/p\n/delp/q\n/delp/p/c\n"
    );
    zkcli(&["setAcl", "/delp/p", "world:anyone:cdrwa"]).ok();
    assert_eq!(zkcli(&["deleteall", "/delp", "-b", "10"]).ok(), "");
}

#[test]
fn deleteall_b_splits_a_batch_too_large_for_the_frame_limit() {
    zkcli(&["create", "/deltl"]).ok();
    let children: Vec<String> = (0..20).map(|i| format!("/deltl/n{i:02}")).collect();
    for child in &children {
        zkcli(&["create", child]).ok();
    }
    // 21 deletes make a request of some 550 bytes, more than 256; the listing's
    // reply and a delete each fit.
    let small = ["--jute-maxbuffer", "256"];
    let run = zkcli(&[&small[..], &["deleteall", "/deltl", "-b", "1000"]].concat());
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "");
    assert_zk_error(&zkcli(&["stat", "/deltl"]), "NoNode", "/deltl");
}

#[test]
fn config_c_and_w_are_taken_on_a_standalone_server() {
    // A standalone server's configuration is empty: zkCli.sh prints a lone space.
    assert_eq!(zkcli(&["config", "-c"]).ok(), " \n");
    // config -w prints the configuration (nothing: its data is empty, and piped
    // data gets no newline), then waits; --for ends the wait without an event.
    let run = run_until_exit(&["config", "-w", "--for", "0.2"], Duration::from_secs(20));
    assert_eq!(
        (run.code, run.text(), run.stderr.as_str()),
        (0, String::new(), "")
    );
    let run = run_until_exit(
        &["--json", "config", "-w", "--for", "0.2"],
        Duration::from_secs(20),
    );
    assert_eq!(run.ok(), "{\"data\":\"\"}\n");

    // The event: a standalone server's configuration changes only when its node is
    // written, which only a superuser may (here, the server skips ACLs).
    let server = ZkServer::start_standalone(
        &ServerOptions::default().system_property("zookeeper.skipACL", "yes"),
    )
    .expect("starting a server that skips ACLs");
    let hosts = server.connect_string();
    let mut watching = zkcli_command()
        .args(["-server", &hosts, "config", "-s", "-w", "--count", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting zkcli config -w");
    let mut stdout = BufReader::new(watching.stdout.take().expect("stdout"));
    // The Stat follows the reply that set the watch.
    let mut printed = String::new();
    while !printed.ends_with("numChildren = 0\n") {
        let read = stdout.read_line(&mut printed).expect("config -s's Stat");
        assert_ne!(read, 0, "config -w ended early: {printed}");
    }
    assert!(printed.starts_with("cZxid = "), "{printed}");
    let config = "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nversion=100000001";
    let run = run_zkcli(
        &["-server", &hosts, "set", "/zookeeper/config", config],
        None,
    );
    assert_eq!(run.ok(), "");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("config -w's event");
    assert!(watching.wait().expect("config -w exits").success());
    assert_eq!(
        rest,
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/zookeeper/config\n"
    );
    let run = run_zkcli(&["-server", &hosts, "config", "-c"], None);
    assert_eq!(run.ok(), "100000001 127.0.0.1:2181\n");
}

#[test]
fn acls_in_zkcli_syntax() {
    let user = Id::digest("user", "pw").id;
    zkcli(&[
        "create",
        "/acl",
        "d",
        &format!("world:anyone:cdrwa,digest:{user}:r"),
    ])
    .ok();
    assert_eq!(
        zkcli(&["getAcl", "/acl"]).ok(),
        format!("'world,'anyone\n: cdrwa\n'digest,'{user}\n: r\n")
    );
    let text = zkcli(&["setAcl", "-s", "/acl", "world:anyone:crwa"]).ok();
    assert_eq!(field(&stat_fields(&text), "aclVersion"), "1");
    assert_zk_error(
        &zkcli(&["setAcl", "-v", "0", "/acl", "world:anyone:r"]),
        "BadVersion",
        "/acl",
    );
    let json = Json::parse(&zkcli(&["--json", "getAcl", "-s", "/acl"]).ok()).unwrap();
    let entry = &json.get("acl").array()[0];
    assert_eq!(
        (
            entry.get("scheme").str(),
            entry.get("id").str(),
            entry.get("perms").str()
        ),
        ("world", "anyone", "crwa")
    );
    assert_eq!(json.get("stat").get("aversion").num(), 1.0);
    let text = zkcli(&["getAcl", "-s", "/acl"]).ok();
    assert!(
        text.starts_with("'world,'anyone\n: crwa\ncZxid = ") && text.ends_with("numChildren = 0\n"),
        "{text}"
    );

    zkcli(&["create", "/acl/child"]).ok();
    zkcli(&["setAcl", "-R", "/acl", "world:anyone:cdra"]).ok();
    assert_eq!(
        zkcli(&["getAcl", "/acl/child"]).ok(),
        "'world,'anyone\n: cdra\n"
    );
    assert_usage_error(&zkcli(&["setAcl", "/acl", "world:anyone"]));
    assert_usage_error(&zkcli(&["setAcl", "/acl", "world:anyone:rq"]));
}

#[test]
fn a_recursive_set_acl_at_a_stale_version_changes_nothing() {
    zkcli(&["create", "/acl-stale"]).ok();
    zkcli(&["create", "/acl-stale/child"]).ok();
    let stale = zkcli(&["setAcl", "-R", "-v", "7", "/acl-stale", "world:anyone:r"]);
    assert_zk_error(&stale, "BadVersion", "/acl-stale");
    for path in ["/acl-stale", "/acl-stale/child"] {
        assert_eq!(zkcli(&["getAcl", path]).ok(), "'world,'anyone\n: cdrwa\n");
    }

    zkcli(&["setAcl", "-R", "-v", "0", "/acl-stale", "world:anyone:r"]).ok();
    for path in ["/acl-stale", "/acl-stale/child"] {
        assert_eq!(zkcli(&["getAcl", path]).ok(), "'world,'anyone\n: r\n");
    }
}

#[test]
fn a_digest_acl_with_a_plaintext_password_is_refused_unless_hash_password_hashes_it() {
    zkcli(&["create", "/digest-plain"]).ok();
    let plaintext = "digest:alice:s3cret:cdrwa";
    let run = zkcli(&["setAcl", "/digest-plain", plaintext]);
    assert_usage_error(&run);
    for advice in [
        "USER:HASH",
        "base64(sha1(USER:PASSWORD))",
        "--hash-password",
        "auth::PERMS",
    ] {
        assert!(run.stderr.contains(advice), "{advice}: {run:?}");
    }
    assert!(
        !run.stderr.contains("s3cret"),
        "no password echoed: {run:?}"
    );
    // Nothing changed: the node is still open to all.
    assert_eq!(
        zkcli(&["getAcl", "/digest-plain"]).ok(),
        "'world,'anyone\n: cdrwa\n"
    );
    let run = zkcli(&["create", "/digest-plain-new", "d", plaintext]);
    assert_usage_error(&run);
    assert!(run.stderr.contains("--hash-password"), "{run:?}");
    assert_zk_error(
        &zkcli(&["stat", "/digest-plain-new"]),
        "NoNode",
        "/digest-plain-new",
    );

    // --hash-password makes the id the server wants: alice, and only alice, gets in.
    zkcli(&["setAcl", "--hash-password", "/digest-plain", plaintext]).ok();
    zkcli(&[
        "create",
        "--hash-password",
        "/digest-plain-new",
        "d",
        plaintext,
    ])
    .ok();
    let alice = ["--auth", "digest:alice:s3cret"];
    for path in ["/digest-plain", "/digest-plain-new"] {
        assert_zk_error(&zkcli(&["getAcl", path]), "NoAuth", path);
        let mut args = alice.to_vec();
        args.extend(["getAcl", path]);
        let hashed = Id::digest("alice", "s3cret").id;
        assert_eq!(zkcli(&args).ok(), format!("'digest,'{hashed}\n: cdrwa\n"));
    }
}

#[test]
fn an_acl_the_server_refuses_is_explained_with_zkcli_syntax() {
    // An `auth` ACL names the session's identities: without credentials it has none.
    let run = zkcli(&["create", "/acl-refused", "d", "auth::cdrwa"]);
    assert_zk_error(&run, "InvalidAcl", "/acl-refused");
    assert!(
        run.stderr.contains("scheme:id:perms") && run.stderr.contains("--auth"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("Acl::"), "no Rust API: {run:?}");
}

#[test]
fn digest_auth_guards_a_node() {
    let auth = ["--auth", "digest:alice:secret"];
    let mut args = auth.to_vec();
    args.extend(["create", "/authed", "private", "auth::cdrwa"]);
    assert_eq!(zkcli(&args).ok(), "Created /authed\n");
    assert_zk_error(&zkcli(&["get", "/authed"]), "NoAuth", "/authed");
    assert_zk_error(
        &zkcli(&["--auth", "digest:alice:wrong", "get", "/authed"]),
        "NoAuth",
        "/authed",
    );
    let mut args = auth.to_vec();
    args.extend(["get", "/authed"]);
    assert_eq!(zkcli(&args).ok(), "private");
    let mut args = auth.to_vec();
    args.extend(["whoami"]);
    let text = zkcli(&args).ok();
    assert!(
        text.starts_with("Auth scheme: User\n") && text.contains("digest: alice\n"),
        "{text}"
    );
    let mut args = auth.to_vec();
    args.extend(["--json", "whoami"]);
    let identities = json_lines(&zkcli(&args).ok());
    assert!(
        identities
            .iter()
            .any(|i| i.get("scheme").str() == "digest" && i.get("user").str() == "alice")
    );
    assert_usage_error(&zkcli(&["--auth", "nocolon", "whoami"]));
}

#[test]
fn stdin_and_binary_data_round_trip_exactly() {
    let every_byte: Vec<u8> = (0..=255).collect();
    zkcli_stdin(&["create", "/binary", "-"], &every_byte).ok();
    assert_eq!(zkcli(&["get", "/binary"]).stdout, every_byte);
    let stat = stat_fields(&zkcli(&["stat", "/binary"]).ok());
    assert_eq!(field(&stat, "dataLength"), "256");
    let json = Json::parse(&zkcli(&["--json", "get", "/binary"]).ok()).unwrap();
    assert!(json.get("data_base64").str().starts_with("AAECAwQF"));

    let reversed: Vec<u8> = (0..=255).rev().collect();
    zkcli_stdin(&["set", "/binary", "-"], &reversed).ok();
    assert_eq!(zkcli(&["get", "/binary"]).stdout, reversed);
    zkcli_stdin(&["set", "/binary", "-"], b"").ok();
    assert_eq!(zkcli(&["get", "/binary"]).stdout, b"");
    // Data that looks like a flag goes after `--`.
    zkcli(&["set", "--", "/binary", "-v"]).ok();
    assert_eq!(zkcli(&["get", "/binary"]).stdout, b"-v");
}

#[test]
fn chroot_in_hosts_applies() {
    zkcli(&["create", "/jail"]).ok();
    let jailed = format!("{}/jail", hosts());
    let run = run_zkcli(&["-server", &jailed, "create", "/inside", "x"], None);
    assert_eq!(run.ok(), "Created /inside\n", "the path under the chroot");
    assert_eq!(zkcli(&["get", "/jail/inside"]).ok(), "x");
    assert_eq!(
        run_zkcli(&["-server", &jailed, "ls", "/"], None).ok(),
        "inside\n"
    );
    // ZK_HOSTS is the default connect string.
    let run = zkcli_command()
        .env("ZK_HOSTS", &jailed)
        .args(["get", "/inside"])
        .output()
        .expect("zkcli");
    assert_eq!(run.stdout, b"x");
}

#[test]
fn session_and_server_commands() {
    zkcli(&["create", "/misc"]).ok();
    assert_eq!(zkcli(&["sync", "/misc"]).ok(), "Sync is OK\n");
    assert_eq!(
        Json::parse(&zkcli(&["--json", "sync", "/misc"]).ok())
            .unwrap()
            .get("synced")
            .str(),
        "/misc"
    );
    let who = zkcli(&["whoami"]).ok();
    assert!(who.contains("ip: 127.0.0.1"), "{who}");
    // A fresh zkcli session owns no ephemerals.
    assert_eq!(zkcli(&["getEphemerals"]).ok(), "");
    assert_eq!(zkcli(&["getEphemerals", "/misc"]).ok(), "");
    let json = Json::parse(&zkcli(&["--json", "getEphemerals"]).ok()).unwrap();
    assert_eq!(json.get("ephemerals"), &Json::Array(Vec::new()));
    // A standalone server has no dynamic config, but the node is readable.
    let config = zkcli(&["config", "-s"]).ok();
    assert!(config.contains("cZxid = "), "{config}");
    assert!(
        Json::parse(&zkcli(&["--json", "config"]).ok())
            .unwrap()
            .has("data")
    );

    assert_eq!(zkcli(&["ruok"]).ok(), "imok");
    assert!(zkcli(&["srvr"]).ok().contains("Mode: standalone"));
    assert!(zkcli(&["mntr"]).ok().contains("zk_version"));
    let json = Json::parse(&zkcli(&["--json", "ruok"]).ok()).unwrap();
    assert_eq!(json.get("response").str(), "imok");
}

/// Changes `path` every 100 ms until stopped: the watching command under test prints
/// events whenever its watch is in place, without a race on when that happens.
fn keep_changing(path: &'static str) -> (Arc<AtomicBool>, thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = thread::spawn(move || {
        let mut zk = client();
        let mut i = 0u32;
        while !flag.load(Ordering::Relaxed) {
            zk.set_data(path, i.to_string(), Version::Any)
                .expect("changing the node");
            i += 1;
            thread::sleep(Duration::from_millis(100));
        }
    });
    (stop, handle)
}

fn run_until_exit(args: &[&str], limit: Duration) -> Run {
    let hosts = hosts();
    let mut child = zkcli_command()
        .arg("-server")
        .arg(&hosts)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zkcli");
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        assert!(
            started.elapsed() < limit,
            "zkcli {args:?} did not finish in {limit:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output").into()
}

#[test]
fn add_watch_and_watch_print_events_until_count() {
    client()
        .create("/watched", "0", CreateMode::Persistent)
        .unwrap();
    client()
        .create("/watched/kid", "0", CreateMode::Persistent)
        .unwrap();
    let (stop, changer) = keep_changing("/watched");
    let persistent = run_until_exit(
        &[
            "--json",
            "addWatch",
            "-m",
            "persistent",
            "--count",
            "2",
            "/watched",
        ],
        Duration::from_secs(20),
    );
    let text = run_until_exit(
        &["watch", "--count", "2", "/watched"],
        Duration::from_secs(20),
    );
    stop.store(true, Ordering::Relaxed);
    changer.join().unwrap();

    let events = json_lines(&persistent.ok());
    assert_eq!(events.len(), 2);
    for event in &events {
        assert_eq!(event.get("event").str(), "NodeDataChanged");
        assert_eq!(event.get("path").str(), "/watched");
        assert_eq!(event.get("state").str(), "SyncConnected");
    }
    assert_eq!(
        text.ok(),
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/watched\n".repeat(2)
    );

    // Recursive (the default) sees descendants; `--for` bounds an idle watch.
    let (stop, changer) = keep_changing("/watched/kid");
    let recursive = run_until_exit(
        &["addWatch", "--count", "1", "/watched"],
        Duration::from_secs(20),
    );
    stop.store(true, Ordering::Relaxed);
    changer.join().unwrap();
    assert_eq!(
        recursive.ok(),
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/watched/kid\n"
    );
    let idle = run_until_exit(
        &["addWatch", "--for", "0.3", "/nothing-here"],
        Duration::from_secs(10),
    );
    assert_eq!(idle.ok(), "");
    assert_usage_error(&zkcli(&["addWatch", "-m", "sometimes", "/watched"]));
    assert_usage_error(&zkcli(&["watch", "--count", "x", "/watched"]));
}

#[test]
fn watch_sees_creation_and_deletion() {
    let hosts = hosts();
    let mut child = zkcli_command()
        .args([
            "-server", &hosts, "--json", "watch", "--count", "3", "--for", "20", "/appears",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("zkcli");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (lines_tx, lines) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in stdout.lines() {
            lines_tx.send(line.unwrap()).unwrap();
        }
    });
    // Create and delete until the watcher has reported both (its watch may not be
    // set yet when the first changes happen).
    let mut zk = client();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while seen.len() < 3 && Instant::now() < deadline {
        let _ = zk.create("/appears", "x", CreateMode::Persistent);
        thread::sleep(Duration::from_millis(100));
        let _ = zk.create("/appears/child", "x", CreateMode::Persistent);
        thread::sleep(Duration::from_millis(100));
        let _ = zk.delete("/appears/child", Version::Any);
        let _ = zk.delete("/appears", Version::Any);
        thread::sleep(Duration::from_millis(100));
        seen.extend(lines.try_iter().map(|l| Json::parse(&l).unwrap()));
    }
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    seen.extend(lines.try_iter().map(|l| Json::parse(&l).unwrap()));
    let kinds: Vec<&str> = seen.iter().map(|e| e.get("event").str()).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(
        kinds
            .iter()
            .all(|k| ["NodeCreated", "NodeDeleted", "NodeChildrenChanged"].contains(k)),
        "{kinds:?}"
    );
}

#[test]
fn get_w_prints_the_data_then_the_next_change() {
    client()
        .create("/getw", "before", CreateMode::Persistent)
        .unwrap();
    let hosts = hosts();
    let mut child = zkcli_command()
        .args([
            "-server", &hosts, "--json", "get", "-w", "--for", "20", "/getw",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("zkcli");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // The data is printed after the watch is set, so this change fires it.
    assert_eq!(Json::parse(&first).unwrap().get("data").str(), "before");
    client().set_data("/getw", "after", Version::Any).unwrap();
    let mut second = String::new();
    stdout.read_line(&mut second).unwrap();
    let event = Json::parse(&second).unwrap();
    assert_eq!(event.get("event").str(), "NodeDataChanged");
    assert_eq!(event.get("path").str(), "/getw");
    assert!(child.wait().unwrap().success());

    // Text mode, bounded by --for with nothing happening: the data only.
    assert_eq!(zkcli(&["get", "-w", "--for", "0.2", "/getw"]).ok(), "after");
}

/// zkcli on the shared server with `args`, its stdout read line by line as it runs.
fn spawn_watching(args: &[&str]) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = zkcli_command()
        .args(["-server", &hosts()])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("zkcli");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

fn read_line(stdout: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line
}

#[test]
fn ls_w_prints_the_children_and_stat_then_their_next_change() {
    let mut zk = client();
    zk.create("/lsw", "", CreateMode::Persistent).unwrap();
    zk.create("/lsw/a", "", CreateMode::Persistent).unwrap();
    let (mut child, mut stdout) = spawn_watching(&["ls", "-s", "-w", "--for", "20", "/lsw"]);
    assert_eq!(read_line(&mut stdout), "a\n");
    // The Stat, from the same reply that set the watch.
    while !read_line(&mut stdout).starts_with("numChildren = 1") {}
    zk.create("/lsw/b", "", CreateMode::Persistent).unwrap();
    assert_eq!(
        read_line(&mut stdout),
        "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/lsw\n"
    );
    assert!(child.wait().unwrap().success());

    let (mut child, mut stdout) = spawn_watching(&["--json", "ls", "-w", "--for", "20", "/lsw"]);
    let listing = Json::parse(&read_line(&mut stdout)).unwrap();
    assert_eq!(listing.get("children").array().len(), 2);
    zk.delete("/lsw/a", Version::Any).unwrap();
    let event = Json::parse(&read_line(&mut stdout)).unwrap();
    assert_eq!(event.get("event").str(), "NodeChildrenChanged");
    assert!(child.wait().unwrap().success());
}

#[test]
fn stat_w_prints_the_stat_then_the_next_change() {
    let mut zk = client();
    zk.create("/statw", "", CreateMode::Persistent).unwrap();
    let (mut child, mut stdout) = spawn_watching(&["stat", "-w", "--for", "20", "/statw"]);
    while !read_line(&mut stdout).starts_with("numChildren = 0") {}
    zk.delete("/statw", Version::Any).unwrap();
    assert_eq!(
        read_line(&mut stdout),
        "WatchedEvent state:SyncConnected type:NodeDeleted path:/statw\n"
    );
    assert!(child.wait().unwrap().success());

    // Nothing happening within --for: the Stat only; a missing node is NoNode.
    zk.create("/statw", "", CreateMode::Persistent).unwrap();
    let text = zkcli(&["stat", "-w", "--for", "0.2", "/statw"]).ok();
    assert!(text.ends_with("numChildren = 0\n"), "{text}");
    assert_zk_error(
        &zkcli(&["stat", "-w", "/statw-missing"]),
        "NoNode",
        "/statw-missing",
    );
}

#[test]
fn get_w_piped_prints_the_event_on_a_line_of_its_own() {
    client()
        .create("/getw-piped", "1", CreateMode::Persistent)
        .unwrap();
    let hosts = hosts();
    let mut child = zkcli_command()
        .args(["-server", &hosts, "get", "-w", "--for", "20", "/getw-piped"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("zkcli");
    let mut stdout = child.stdout.take().unwrap();
    // The data, exactly: no newline follows it on a pipe until something else does.
    let mut data = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut data).unwrap();
    assert_eq!(&data, b"1");
    client().set_data("/getw-piped", "2", Version::Any).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        rest,
        "\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/getw-piped\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["ls"][..],
        &["ls", "/a", "/b"][..],
        &["ls", "-x", "/"][..],
        &["get", "--bogus", "/"][..],
        &["set", "-v", "one", "/a", "d"][..],
        &["set", "/a"][..],
        &["-timeout", "soon", "ls", "/"][..],
        &["-server"][..],
        &["--nope", "ls", "/"][..],
        &["whoami", "extra"][..],
        &["get", "no-slash"][..],
        &["-timeout", "99999999999", "ls", "/"][..],
        &["-server", "127.0.0.1:1,,", "ls", "/"][..],
        &["get", "-w", "--for", "1e300", "/"][..],
        &["create", "-t", "0", "/ttl-zero"][..],
    ] {
        assert_usage_error(&zkcli(args));
    }
}

#[test]
fn help_on_every_command() {
    let global = run_zkcli(&["--help"], None).ok();
    for name in [
        "ls",
        "get",
        "stat",
        "set",
        "create",
        "delete",
        "deleteall",
        "getAcl",
        "setAcl",
        "sync",
        "whoami",
        "getEphemerals",
        "getAllChildrenNumber",
        "config",
        "setquota",
        "listquota",
        "delquota",
        "reconfig",
        "version",
        "addWatch",
        "watch",
        "srvr",
        "ruok",
        "mntr",
    ] {
        assert!(
            global.contains(&format!("  {name}")),
            "{name} missing from --help"
        );
        let help = run_zkcli(&[name, "--help"], None).ok();
        assert!(
            help.starts_with(&format!("usage: zkcli [GLOBAL OPTIONS] {name}")),
            "{help}"
        );
    }
}

#[test]
fn unreachable_server_exits_3() {
    let nowhere = format!("127.0.0.1:{}", free_port().expect("a free port"));
    let started = Instant::now();
    let run = run_zkcli(&["-server", &nowhere, "-timeout", "1000", "ls", "/"], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains(&nowhere), "{run:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let run = run_zkcli(&["-server", &nowhere, "-timeout", "1000", "ruok"], None);
    assert_eq!(run.code, 3, "{run:?}");
}

#[test]
fn non_utf8_arguments_are_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let output = zkcli_command()
        .arg("get")
        .arg(std::ffi::OsStr::from_bytes(b"/\xff"))
        .output()
        .expect("zkcli");
    assert_eq!(output.status.code(), Some(2));
}

/// zkcli against the shared server with extra environment variables.
fn zkcli_with_env(env: &[(&str, &str)], args: &[&str]) -> Run {
    zkcli_command()
        .envs(env.iter().copied())
        .arg("-server")
        .arg(hosts())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("zkcli")
        .into()
}

#[test]
fn credentials_come_from_a_file_or_the_environment() {
    zkcli(&[
        "--auth",
        "digest:dora:pw",
        "create",
        "/auth-sources",
        "hidden",
        "auth::cdrwa",
    ])
    .ok();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(&file, "# zkcli credentials\n\ndigest:dora:pw\n").unwrap();
    let from_file = zkcli(&[
        "--auth-file",
        file.to_str().unwrap(),
        "get",
        "/auth-sources",
    ]);
    assert_eq!(from_file.ok(), "hidden");
    let from_env = zkcli_with_env(
        &[("ZKCLI_AUTH", "digest:dora:pw")],
        &["get", "/auth-sources"],
    );
    assert_eq!(from_env.ok(), "hidden");
    assert_zk_error(&zkcli(&["get", "/auth-sources"]), "NoAuth", "/auth-sources");
}

#[test]
fn malformed_credentials_are_refused_without_being_echoed() {
    let run = zkcli(&["--auth", "no-scheme-secret", "whoami"]);
    assert_usage_error(&run);
    assert!(!run.stderr.contains("no-scheme-secret"), "{run:?}");
    let run = zkcli_with_env(&[("ZKCLI_AUTH", ":leaked-secret")], &["whoami"]);
    assert_usage_error(&run);
    assert!(run.stderr.contains("ZKCLI_AUTH"), "{run:?}");
    assert!(!run.stderr.contains("leaked-secret"), "{run:?}");
}

#[test]
fn an_error_names_its_code_and_path_once_with_advice_for_zkcli() {
    zkcli(&["create", "/said-once", "x"]);
    let stale = zkcli(&["set", "-v", "5", "/said-once", "y"]);
    assert_zk_error(&stale, "BadVersion", "/said-once");
    assert_eq!(stale.stderr.matches("BadVersion").count(), 1, "{stale:?}");
    assert_eq!(stale.stderr.matches("/said-once").count(), 1, "{stale:?}");
    assert!(stale.stderr.contains("leave out -v"), "{stale:?}");
    assert!(!stale.stderr.contains("Version::Any"), "{stale:?}");

    let missing = zkcli(&["stat", "/said-once-missing"]);
    assert_eq!(
        missing.stderr,
        "zkcli: NoNode: /said-once-missing: the node does not exist; create it, or its parent, first\n"
    );
}

#[test]
fn json_failures_are_one_object_on_stderr() {
    let run = zkcli(&["--json", "get", "/json-failure-missing"]);
    assert_eq!(run.code, 1);
    let failure = Json::parse(&run.stderr).expect("one JSON object");
    assert_eq!(failure.get("error").str(), "NoNode");
    assert_eq!(failure.get("path").str(), "/json-failure-missing");
    assert!(!failure.get("message").str().is_empty());

    let run = zkcli(&["--json", "ls"]);
    assert_eq!(run.code, 2);
    let failure = Json::parse(&run.stderr).expect("one JSON object");
    assert_eq!(failure.get("error").str(), "Usage");
    assert_eq!(failure.get("path"), &Json::Null);
}

#[test]
fn json_may_follow_the_command_as_it_may_precede_it() {
    zkcli(&["create", "/json-after", "after"]);
    let get = Json::parse(&zkcli(&["get", "/json-after", "--json"]).ok()).unwrap();
    assert_eq!(get.get("data").str(), "after");
    let between = Json::parse(&zkcli(&["ls", "--json", "/json-after"]).ok()).unwrap();
    assert_eq!(between.get("path").str(), "/json-after");
    let missing = zkcli(&["get", "/json-after-missing", "--json"]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        Json::parse(&missing.stderr).unwrap().get("error").str(),
        "NoNode"
    );
    // After `--`, it is data.
    zkcli(&["set", "/json-after", "--", "--json"]).ok();
    assert_eq!(zkcli(&["get", "/json-after"]).ok(), "--json");
}

#[test]
fn a_mistyped_command_gets_a_suggestion() {
    let run = zkcli(&["getAcll", "/"]);
    assert_usage_error(&run);
    assert!(run.stderr.contains("'getAcl'"), "{run:?}");
}

#[test]
fn a_shell_command_given_one_shot_says_it_is_the_shells_and_what_to_do() {
    // Refused before any connection: no server is needed.
    let hosts = "127.0.0.1:1";
    let one_shot = |words: &[&str]| {
        let mut args = vec!["-server", hosts];
        args.extend_from_slice(words);
        run_zkcli(&args, None)
    };
    let run = one_shot(&["addauth", "digest", "u:s3cret"]);
    assert_usage_error(&run);
    assert!(
        run.stderr.contains("--auth-file PATH") && run.stderr.contains("--auth SCHEME:CREDENTIALS"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("s3cret") && !run.stderr.contains("similar"),
        "{run:?}"
    );
    for words in [
        &["quit"][..],
        &["exit"][..],
        &["close"][..],
        &["history"][..],
        &["redo", "1"][..],
        &["printwatches", "on"][..],
        &["connect", "127.0.0.1:2"][..],
        &["removewatches", "/a"][..],
    ] {
        let run = one_shot(words);
        assert_usage_error(&run);
        let expected = format!(
            "zkcli: {} is a command of zkcli's shell, not a one-shot one: start the shell with \
             `zkcli -server {hosts}` (no command) and type it there",
            words[0]
        );
        assert!(run.stderr.starts_with(&expected), "{words:?}: {run:?}");
    }
    // Any other unknown command is clap's, with its suggestions.
    let run = one_shot(&["getAcll", "/"]);
    assert!(run.stderr.contains("'getAcl'"), "{run:?}");
}

#[test]
fn a_shell_command_given_one_shot_names_the_hosts_however_they_were_given() {
    let hosts = "127.0.0.1:1,127.0.0.1:2/app";
    let expected = format!(
        "zkcli: quit is a command of zkcli's shell, not a one-shot one: start the shell with \
         `zkcli -server {hosts}` (no command) and type it there"
    );
    let given = |env: Option<&str>, words: &[&str]| {
        let mut command = zkcli_command();
        if let Some(env) = env {
            command.env("ZK_HOSTS", env);
        }
        Run::from(command.args(words).output().expect("zkcli"))
    };
    for (env, words) in [
        (None, &["-server", hosts, "quit"][..]),
        (None, &["--server", hosts, "quit"][..]),
        (None, &[&format!("--server={hosts}"), "quit"][..]),
        (
            None,
            &["--timeout", "5000", "--server", hosts, "-r", "quit"][..],
        ),
        (Some(hosts), &["quit"][..]),
        // --server wins over $ZK_HOSTS, as for any command.
        (Some("127.0.0.1:9"), &["--server", hosts, "quit"][..]),
    ] {
        let run = given(env, words);
        assert_usage_error(&run);
        assert!(
            run.stderr.starts_with(&expected),
            "{env:?} {words:?}: {run:?}"
        );
    }
    // Neither: the hosts one-shot zkcli would have used.
    let run = given(None, &["quit"]);
    assert!(
        run.stderr
            .contains("`zkcli -server 127.0.0.1:2181` (no command)"),
        "{run:?}"
    );
    let run = given(Some(hosts), &["addauth", "digest", "u:p"]);
    assert!(
        run.stderr.contains(&format!(
            "e.g. zkcli -server {hosts} --auth-file creds get /a"
        )),
        "{run:?}"
    );
}

#[test]
fn version_prints_the_crate_version() {
    let run = run_zkcli(&["--version"], None);
    assert_eq!(run.ok(), format!("zkcli {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn the_version_command_says_it_is_zkclis_version_without_a_server() {
    let nowhere = format!("127.0.0.1:{}", free_port().expect("a free port"));
    let run = run_zkcli(&["-server", &nowhere, "version"], None);
    assert_eq!(
        run.ok(),
        format!("zkcli version: {}\n", env!("CARGO_PKG_VERSION"))
    );
    let json = Json::parse(&run_zkcli(&["--json", "-server", &nowhere, "version"], None).ok());
    let json = json.expect("one JSON object");
    assert_eq!(json.get("program").str(), "zkcli");
    assert_eq!(json.get("version").str(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn verbose_logs_go_to_stderr_and_quiet_runs_log_nothing() {
    let run = zkcli_with_env(&[], &["-v", "ls", "/zookeeper"]);
    assert_eq!(run.ok(), "config\nquota\n");
    assert!(
        run.stderr.contains("INFO") && run.stderr.contains("connecting"),
        "{run:?}"
    );
    let quiet = zkcli(&["ls", "/zookeeper"]);
    assert_eq!(quiet.stderr, "");
}

/// The `ctime = ...` line of a Stat block.
fn ctime_line(stat: &str) -> String {
    stat.lines()
        .find(|line| line.starts_with("ctime = "))
        .expect("a ctime line")
        .to_string()
}

#[test]
fn stat_dates_are_in_the_local_time_zone() {
    zkcli(&["create", "/dated"]).ok();
    let utc = zkcli_with_env(&[("TZ", "UTC")], &["stat", "/dated"]).ok();
    let paris = zkcli_with_env(&[("TZ", "Europe/Paris")], &["stat", "/dated"]).ok();
    assert!(ctime_line(&utc).contains(" UTC "), "{utc}");
    let paris = ctime_line(&paris);
    assert!(
        paris.contains(" CET ") || paris.contains(" CEST "),
        "{paris}"
    );
}

#[test]
fn get_on_a_terminal_ends_its_data_with_a_newline() {
    zkcli(&["create", "/on-terminal", "no-newline"]).ok();
    let home = tempfile::tempdir().unwrap();
    let hosts = hosts();
    let mut terminal = Terminal::start(home.path(), &["-server", &hosts, "get", "/on-terminal"]);
    terminal.shows(r"no-newline\r\n");
    assert_eq!(terminal.close(), "exit 0");
}
