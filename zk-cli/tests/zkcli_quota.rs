//! zkcli's setquota, listquota and delquota against a real server: the quota nodes
//! they leave, the lines zkCli.sh prints, and the refusals (zkcli_interop.rs compares
//! them with Apache's own client).

#[path = "zkcli_support.rs"]
mod support;

use support::{Json, Run, run_zkcli};
use zk_blocking::{Client, CreateMode, Options};
use zk_tests::shared_standalone;

fn zkcli(args: &[&str]) -> Run {
    let hosts = shared_standalone().connect_string();
    let mut all = vec!["-server", hosts.as_str()];
    all.extend_from_slice(args);
    run_zkcli(&all, None)
}

/// `root` with data `x` and children holding `abc` and `de`: 3 nodes, 6 bytes.
fn fresh_tree(root: &str) {
    let mut zk = Client::connect(&shared_standalone().connect_string(), Options::default())
        .expect("connecting a test client");
    for (path, data) in [
        (root.to_string(), "x"),
        (format!("{root}/a"), "abc"),
        (format!("{root}/b"), "de"),
    ] {
        zk.create(&path, data, CreateMode::Persistent)
            .unwrap_or_else(|e| panic!("creating {path}: {e}"));
    }
}

fn assert_refused(run: &Run, name: &str, message: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!("zkcli: {name}: ")) && run.stderr.contains(message),
        "stderr should be a {name} saying {message:?}: {run:?}"
    );
}

#[test]
fn setquota_writes_the_limits_and_the_servers_count_of_the_subtree() {
    fresh_tree("/quota-set");
    assert_eq!(zkcli(&["setquota", "-n", "10", "/quota-set"]).ok(), "");
    assert_eq!(
        zkcli(&["get", "/zookeeper/quota/quota-set/zookeeper_limits"]).ok(),
        "count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1"
    );
    assert_eq!(
        zkcli(&["get", "/zookeeper/quota/quota-set/zookeeper_stats"]).ok(),
        "count=3,bytes=6"
    );
    assert_eq!(
        zkcli(&["listquota", "/quota-set"]).ok(),
        "Output quota for /quota-set count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1\n\
         Output stat for /quota-set count=3,bytes=6\n"
    );
}

#[test]
fn listquota_shows_the_usage_as_the_subtree_grows() {
    fresh_tree("/quota-grow");
    zkcli(&["setquota", "-b", "100", "/quota-grow"]).ok();
    zkcli(&["create", "/quota-grow/c", "four"]).ok();
    let listing = zkcli(&["listquota", "/quota-grow"]).ok();
    assert!(
        listing.ends_with("Output stat for /quota-grow count=4,bytes=10\n"),
        "{listing}"
    );
}

#[test]
fn setquota_again_changes_that_limit_and_keeps_the_others() {
    fresh_tree("/quota-again");
    zkcli(&["setquota", "-n", "10", "/quota-again"]).ok();
    zkcli(&["setquota", "-B", "100", "/quota-again"]).ok();
    zkcli(&["setquota", "-N", "20", "/quota-again"]).ok();
    assert_eq!(
        zkcli(&["get", "/zookeeper/quota/quota-again/zookeeper_limits"]).ok(),
        "count=10,bytes=-1=;byteHardLimit=100;countHardLimit=20"
    );
}

#[test]
fn a_limit_the_subtree_already_exceeds_is_set_with_zkcli_shs_warning() {
    fresh_tree("/quota-warn");
    assert_eq!(
        zkcli(&["setquota", "-n", "1", "/quota-warn"]).ok(),
        "[Warning]: the count quota you create is less than the existing count:3\n"
    );
    assert_eq!(
        zkcli(&["setquota", "-B", "2", "/quota-warn"]).ok(),
        "[Warning]: the count quota you create is less than the existing count:3\n\
         [Warning]: the bytes quota you create is less than the existing bytes:6\n"
    );
}

#[test]
fn a_quota_beside_one_on_an_ancestor_or_a_descendant_is_refused() {
    fresh_tree("/quota-nest");
    zkcli(&["create", "/quota-nest/a/deep"]).ok();
    zkcli(&["setquota", "-n", "5", "/quota-nest/a"]).ok();
    assert_refused(
        &zkcli(&["setquota", "-n", "5", "/quota-nest"]),
        "QuotaExists",
        "/quota-nest has a child /quota-nest/a which has a quota",
    );
    assert_refused(
        &zkcli(&["setquota", "-b", "5", "/quota-nest/a/deep"]),
        "QuotaExists",
        "/quota-nest/a/deep has a parent /quota-nest/a which has a quota",
    );
    assert_refused(
        &zkcli(&["listquota", "/quota-nest"]),
        "NoQuota",
        "quota for /quota-nest does not exist",
    );
}

#[test]
fn setquota_on_a_missing_node_is_no_node() {
    let run = zkcli(&["setquota", "-n", "5", "/quota-missing"]);
    assert_refused(&run, "NoNode", "/quota-missing");
    assert_refused(
        &zkcli(&["listquota", "/quota-missing"]),
        "NoQuota",
        "quota for /quota-missing does not exist",
    );
}

#[test]
fn bad_limits_and_paths_are_usage_errors_with_zkcli_shs_wording() {
    for (args, message) in [
        (
            &["setquota", "-n", "0", "/a"][..],
            "the num quota must be greater than zero",
        ),
        (
            &["setquota", "-N", "-3", "/a"][..],
            "the num quota must be greater than zero",
        ),
        (
            &["setquota", "-b", "-1", "/a"][..],
            "the bytes quota must be greater than or equal to zero",
        ),
        (&["setquota", "-n", "many", "/a"][..], "number of nodes"),
        (&["setquota", "/a"][..], "required"),
        (
            &["setquota", "-n", "1", "-b", "1", "/a"][..],
            "cannot be used",
        ),
        (&["delquota", "-n", "-b", "/a"][..], "cannot be used"),
        (
            &["setquota", "-n", "1", "/zookeeper/quota/x"][..],
            "cannot set a quota under the path: /zookeeper/quota",
        ),
        (&["setquota", "-n", "1", "/"][..], "cannot set a quota on /"),
    ] {
        let run = zkcli(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(message), "{args:?}: {run:?}");
    }
}

#[test]
fn delquota_of_one_limit_clears_it_and_delquota_removes_the_quota_nodes() {
    fresh_tree("/quota-del");
    zkcli(&["setquota", "-n", "10", "/quota-del"]).ok();
    zkcli(&["setquota", "-b", "50", "/quota-del"]).ok();
    assert_eq!(zkcli(&["delquota", "-n", "/quota-del"]).ok(), "");
    assert_eq!(
        zkcli(&["get", "/zookeeper/quota/quota-del/zookeeper_limits"]).ok(),
        "count=-1,bytes=50=;byteHardLimit=-1;countHardLimit=-1"
    );
    assert_eq!(zkcli(&["delquota", "/quota-del"]).ok(), "");
    assert_refused(
        &zkcli(&["listquota", "/quota-del"]),
        "NoQuota",
        "quota for /quota-del does not exist",
    );
    assert!(
        !zkcli(&["ls", "/zookeeper/quota"])
            .ok()
            .lines()
            .any(|child| child == "quota-del"),
        "the emptied quota directory goes too"
    );
    assert_refused(
        &zkcli(&["delquota", "/quota-del"]),
        "NoQuota",
        "quota for /quota-del does not exist",
    );
}

#[test]
fn delquota_of_a_deep_path_removes_the_directories_that_only_held_it() {
    fresh_tree("/quota-deep");
    zkcli(&["setquota", "-n", "10", "/quota-deep/a"]).ok();
    zkcli(&["delquota", "/quota-deep/a"]).ok();
    let run = zkcli(&["stat", "/zookeeper/quota/quota-deep"]);
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn quota_commands_in_json() {
    fresh_tree("/quota-json");
    let set = Json::parse(&zkcli(&["--json", "setquota", "-n", "2", "/quota-json"]).ok()).unwrap();
    assert_eq!(set.get("path").str(), "/quota-json");
    assert_eq!(set.get("quota").get("count").num(), 2.0);
    assert_eq!(set.get("quota").get("byteHardLimit").num(), -1.0);
    assert_eq!(set.get("stats").get("count").num(), 3.0);
    assert_eq!(set.get("warnings").array().len(), 1);

    let listed = Json::parse(&zkcli(&["--json", "listquota", "/quota-json"]).ok()).unwrap();
    assert_eq!(listed.get("quota"), set.get("quota"));
    assert_eq!(listed.get("stats").get("bytes").num(), 6.0);

    let cleared = Json::parse(&zkcli(&["--json", "delquota", "-n", "/quota-json"]).ok()).unwrap();
    assert_eq!(cleared.get("quota").get("count").num(), -1.0);
    let deleted = Json::parse(&zkcli(&["--json", "delquota", "/quota-json"]).ok()).unwrap();
    assert_eq!(deleted.get("quota"), &Json::Null);

    let missing = zkcli(&["--json", "listquota", "/quota-json"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    let error = Json::parse(&missing.stderr).unwrap();
    assert_eq!(error.get("error").str(), "NoQuota");
    assert_eq!(error.get("path").str(), "/quota-json");
}

#[test]
fn in_the_shell_quota_commands_print_what_one_shot_ones_do() {
    fresh_tree("/quota-shell");
    let hosts = shared_standalone().connect_string();
    let run = run_zkcli(
        &["-server", &hosts],
        Some(
            b"setquota -n 1 /quota-shell\n\
              listquota /quota-shell\n\
              delquota /quota-shell\n\
              listquota /quota-shell\n",
        ),
    );
    assert_eq!(run.code, 1, "the last failure's status: {run:?}");
    assert_eq!(
        run.text(),
        "[Warning]: the count quota you create is less than the existing count:3\n\
         Output quota for /quota-shell count=1,bytes=-1=;byteHardLimit=-1;countHardLimit=-1\n\
         Output stat for /quota-shell count=3,bytes=6\n"
    );
    assert!(
        run.stderr
            .contains("NoQuota: /quota-shell: quota for /quota-shell does not exist"),
        "{run:?}"
    );
}
