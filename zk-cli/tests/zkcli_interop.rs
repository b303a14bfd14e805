//! zkcli and Apache's own client (ZooKeeperMain, the class behind zkCli.sh) read each
//! other's writes identically. One JVM run, fed its commands on stdin, keeps it quick.

#[path = "zkcli_support.rs"]
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{Run, zkcli_command};
use zk_blocking::Id;
use zk_tests::{ZkInstall, shared_standalone};

/// A zone other than the machine's usual UTC, so that a match shows both clients
/// print dates in the local zone.
const ZONE: &str = "Europe/Paris";

fn zkcli(args: &[&str]) -> Run {
    zkcli_command()
        .env("TZ", ZONE)
        .arg("-server")
        .arg(shared_standalone().connect_string())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("zkcli")
        .into()
}

/// Runs ZooKeeperMain interactively with `commands` on stdin; returns its stdout.
fn apache_cli(commands: &str) -> String {
    let install = ZkInstall::cached().expect("ZooKeeper and java installed");
    let mut child = Command::new(install.java())
        // Java prints dates in its default zone and text in its default charset.
        .env("TZ", ZONE)
        .args(["-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8"])
        .arg("-cp")
        .arg(install.classpath())
        .arg("org.apache.zookeeper.ZooKeeperMain")
        .arg("-server")
        .arg(shared_standalone().connect_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting ZooKeeperMain");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(commands.as_bytes()).unwrap();
    drop(stdin);
    let output = child.wait_with_output().expect("ZooKeeperMain");
    String::from_utf8(output.stdout).expect("UTF-8 from java")
}

/// The 11-line Stat block that starts at the `cZxid` line.
fn stat_block(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("cZxid = "))
        .unwrap_or_else(|| panic!("no Stat in {text}"));
    lines[start..start + 11]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn zkcli_and_apache_cli_read_each_others_writes() {
    zkcli(&["create", "/interop"]).ok();
    let carol = Id::digest("carol", "secret").id;
    let acl = format!("world:anyone:cdrwa,digest:{carol}:r");
    zkcli(&["create", "/interop/from-zkcli", "draft", &acl]).ok();
    zkcli(&["set", "/interop/from-zkcli", "written-by-zkcli-ü"]).ok();
    let our_stat = zkcli(&["stat", "/interop/from-zkcli"]).ok();

    let java = apache_cli(
        "get /interop/from-zkcli\n\
         stat /interop/from-zkcli\n\
         getAcl /interop/from-zkcli\n\
         create /interop/from-java first\n\
         setAcl /interop/from-java world:anyone:cdrw\n\
         set /interop/from-java from-java-v2\n\
         ls /interop\n",
    );
    assert!(java.lines().any(|l| l == "written-by-zkcli-ü"), "{java}");
    assert_eq!(stat_block(&java), our_stat, "Stat printed alike");
    assert!(
        java.contains(&format!("'world,'anyone\n: cdrwa\n'digest,'{carol}\n: r\n")),
        "{java}"
    );
    assert!(java.contains("[from-java, from-zkcli]"), "{java}");

    assert_eq!(zkcli(&["get", "/interop/from-java"]).ok(), "from-java-v2");
    assert_eq!(
        zkcli(&["getAcl", "/interop/from-java"]).ok(),
        "'world,'anyone\n: cdrw\n"
    );
    let stat = zkcli(&["stat", "/interop/from-java"]).ok();
    assert!(
        stat.contains("dataVersion = 1\naclVersion = 1\n") && stat.contains("dataLength = 12\n"),
        "{stat}"
    );
}

#[test]
fn get_acl_s_prints_the_acl_then_the_stat_as_apache_cli_does() {
    zkcli(&["create", "/interop-acl-s", "d", "world:anyone:cdrwa"]).ok();
    let ours = zkcli(&["getAcl", "-s", "/interop-acl-s"]).ok();
    let java = apache_cli("getAcl -s /interop-acl-s\n");
    let acl = "'world,'anyone\n: cdrwa\n";
    let java_order = java
        .find(acl)
        .zip(java.find("cZxid = "))
        .is_some_and(|(acl_at, stat_at)| acl_at < stat_at);
    assert!(java_order, "{java}");
    assert_eq!(ours, format!("{acl}{}", stat_block(&java)));
}

#[test]
fn quotas_set_by_either_client_are_listed_alike_by_both() {
    for (path, data) in [
        ("/interop-quota", "x"),
        ("/interop-quota/child", "abc"),
        ("/interop-quota-java", ""),
        ("/interop-quota-java/child", ""),
    ] {
        zkcli(&["create", path, data]).ok();
    }
    let warning = zkcli(&["setquota", "-n", "1", "/interop-quota"]).ok();
    zkcli(&["setquota", "-B", "64", "/interop-quota"]).ok();

    let java = apache_cli(
        "setquota -b 100 /interop-quota-java\n\
         setquota -N 1 /interop-quota-java\n\
         listquota /interop-quota\n\
         listquota /interop-quota-java\n",
    );
    let java_lines: Vec<&str> = java
        .lines()
        .filter(|line| line.starts_with("Output "))
        .collect();
    let ours = format!(
        "{}{}",
        zkcli(&["listquota", "/interop-quota"]).ok(),
        zkcli(&["listquota", "/interop-quota-java"]).ok()
    );
    assert_eq!(ours.lines().collect::<Vec<_>>(), java_lines, "{java}");
    assert_eq!(
        ours.lines().next(),
        Some(
            "Output quota for /interop-quota count=1,bytes=-1=;byteHardLimit=64;countHardLimit=-1"
        )
    );
    assert_eq!(
        warning,
        "[Warning]: the count quota you create is less than the existing count:2\n"
    );
    assert!(java.contains(&warning), "Java warns alike: {java}");
}
