//! zkcli's exit status tells a script whose fault a failure was: 1 ZooKeeper's (the
//! operation failed there), 2 the command line's, 3 no server reachable, 4 this
//! machine's (stdin or a named file unreadable, stdout unwritable).

#[path = "zkcli_support.rs"]
mod support;

use std::fs::File;
use std::process::Stdio;

use support::{Run, zkcli_command};
use zk_tests::shared_standalone;

const EXIT_ZOOKEEPER: i32 = 1;
const EXIT_LOCAL_IO: i32 = 4;

/// zkcli on the shared server with `stdin` and `stdout` as given.
fn zkcli_with(args: &[&str], stdin: Stdio, stdout: Stdio) -> Run {
    zkcli_command()
        .arg("-server")
        .arg(shared_standalone().connect_string())
        .args(args)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("running zkcli")
        .into()
}

fn zkcli(args: &[&str]) -> Run {
    zkcli_with(args, Stdio::null(), Stdio::piped())
}

#[test]
fn data_from_an_unreadable_stdin_is_a_local_io_failure_not_a_zookeeper_one() {
    zkcli(&["create", "/exit-io-stdin", "kept"]);
    let directory = File::open("/").unwrap();
    let run = zkcli_with(
        &["set", "/exit-io-stdin", "-"],
        Stdio::from(directory),
        Stdio::piped(),
    );
    assert_eq!(run.code, EXIT_LOCAL_IO, "{run:?}");
    assert!(
        run.stderr
            .starts_with("zkcli: local I/O: reading DATA from stdin: "),
        "{run:?}"
    );
    assert_eq!(zkcli(&["get", "/exit-io-stdin"]).ok(), "kept");
}

#[test]
fn a_full_stdout_is_a_local_io_failure() {
    zkcli(&["create", "/exit-io-stdout", "data"]);
    let full = File::options().write(true).open("/dev/full").unwrap();
    let run = zkcli_with(
        &["get", "/exit-io-stdout"],
        Stdio::null(),
        Stdio::from(full),
    );
    assert_eq!(run.code, EXIT_LOCAL_IO, "{run:?}");
    assert!(run.stderr.starts_with("zkcli: local I/O: "), "{run:?}");
}

#[test]
fn a_credentials_or_certificate_file_that_cannot_be_read_is_a_local_io_failure() {
    for flag in ["--auth-file", "--tls-ca"] {
        let run = zkcli(&[flag, "/nonexistent/zkcli-file", "ls", "/"]);
        assert_eq!(run.code, EXIT_LOCAL_IO, "{flag}: {run:?}");
        assert!(
            run.stderr
                .contains(&format!("{flag} /nonexistent/zkcli-file: ")),
            "{flag}: {run:?}"
        );
    }
}

#[test]
fn a_refused_operation_stays_a_zookeeper_failure() {
    let run = zkcli(&["get", "/exit-io-missing"]);
    assert_eq!(run.code, EXIT_ZOOKEEPER, "{run:?}");
}

#[test]
fn the_help_lists_every_exit_status() {
    let run = zkcli_command().arg("--help").output().unwrap();
    let help = String::from_utf8(run.stdout).unwrap();
    for status in [
        "0 ok",
        "1 ZooKeeper error",
        "2 usage",
        "3 no server reachable",
        "4 local I/O",
        "130 a shell command stopped by Ctrl-C",
    ] {
        assert!(help.contains(status), "{status:?} missing from:\n{help}");
    }
}
