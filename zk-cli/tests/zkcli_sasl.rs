//! zkcli with SASL DIGEST-MD5 against a real server with DigestLoginModule users: the
//! password comes from a file or the environment, never the command line; a wrong one
//! fails the run.

#[path = "zkcli_support.rs"]
mod support;

use std::sync::OnceLock;

use support::zkcli_command;
use zk_tests::{ServerOptions, ZkServer};

fn sasl_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let options = ServerOptions::default().sasl_digest_user("bob", "bob-secret");
        ZkServer::start_standalone(&options)
            .unwrap_or_else(|e| panic!("starting a SASL ZooKeeper: {e}"))
    })
}

/// zkcli on the SASL server with `args`, the SASL password (if any) in the environment.
fn zkcli(password: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = zkcli_command();
    command
        .env_remove("ZKCLI_SASL_PASSWORD")
        .args([
            "-server",
            &sasl_server().connect_string(),
            "--timeout",
            "5000",
        ])
        .args(args);
    if let Some(password) = password {
        command.env("ZKCLI_SASL_PASSWORD", password);
    }
    command.output().expect("running zkcli")
}

#[test]
fn a_sasl_user_with_the_password_in_the_environment_is_that_identity() {
    let run = zkcli(Some("bob-secret"), &["--sasl-user", "bob", "whoami"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("sasl: bob"), "{stdout}");
}

#[test]
fn the_password_may_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, "bob-secret\n").unwrap();
    let run = zkcli(
        None,
        &[
            "--sasl-user",
            "bob",
            "--sasl-password-file",
            file.to_str().unwrap(),
            "whoami",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("sasl: bob"));
}

#[test]
fn a_wrong_password_fails_with_auth_failed_and_is_not_echoed() {
    let run = zkcli(Some("not-bobs"), &["--sasl-user", "bob", "ls", "/"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("AuthFailed"), "{stderr}");
    assert!(!stderr.contains("not-bobs"), "{stderr}");
}

#[test]
fn a_sasl_user_without_a_password_is_a_usage_error() {
    let run = zkcli(None, &["--sasl-user", "bob", "ls", "/"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ZKCLI_SASL_PASSWORD"), "{stderr}");
}

#[test]
fn a_server_requiring_sasl_tells_a_run_without_it_which_flag_to_give() {
    let server = ZkServer::start_standalone(
        &ServerOptions::default()
            .sasl_digest_user("bob", "bob-secret")
            .enforce_auth("sasl"),
    )
    .unwrap_or_else(|e| panic!("starting a SASL-enforcing ZooKeeper: {e}"));
    let run = zkcli_command()
        .env_remove("ZKCLI_SASL_PASSWORD")
        .args(["-server", &server.connect_string(), "--timeout", "5000"])
        .args(["ls", "/"])
        .output()
        .expect("running zkcli");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(stderr.contains("--sasl-user"), "{stderr}");
    assert!(!stderr.contains("Options::"), "{stderr}");
}
