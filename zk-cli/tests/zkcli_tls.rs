//! zkcli over TLS against a real server's secure client port: --tls-ca, and mutual TLS
//! with --tls-cert / --tls-key; a refused handshake is an unreachable server that says
//! why.

#[path = "zkcli_support.rs"]
mod support;

use std::path::Path;
use std::sync::OnceLock;

use support::{Run, run_zkcli};
use zk_tests::{ClientAuth, ServerCert, ServerOptions, TestPki, ZkServer};

/// A server that requires client certificates (mutual TLS).
fn mutual_tls_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let options = ServerOptions::default()
            .tls(TestPki::shared().server(ServerCert::Valid, ClientAuth::Need));
        ZkServer::start_standalone(&options)
            .unwrap_or_else(|e| panic!("starting a TLS ZooKeeper: {e}"))
    })
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// The flags of mutual TLS with the shared PKI's client certificate, trusting `ca`.
fn mutual_tls(ca: &Path) -> Vec<String> {
    let pki = TestPki::shared();
    let (cert, key) = (pki.client_cert(), pki.client_key());
    [
        "--tls-ca",
        path(ca),
        "--tls-cert",
        path(&cert),
        "--tls-key",
        path(&key),
    ]
    .map(String::from)
    .to_vec()
}

fn zkcli_tls(tls_args: &[impl AsRef<str>], command: &[&str]) -> Run {
    let hosts = mutual_tls_server().secure_connect_string();
    let mut args = vec!["-server", hosts.as_str()];
    args.extend(tls_args.iter().map(AsRef::as_ref));
    args.extend_from_slice(command);
    run_zkcli(&args, None)
}

#[test]
fn mutual_tls_flags_reach_a_secure_port() {
    let tls = mutual_tls(&TestPki::shared().ca());
    let created = zkcli_tls(&tls, &["create", "/zkcli-tls", "over tls"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let read = zkcli_tls(&tls, &["get", "/zkcli-tls"]);
    assert_eq!(read.code, 0, "{}", read.stderr);
    assert_eq!(read.stdout, b"over tls");
    assert_eq!(zkcli_tls(&tls, &["delete", "/zkcli-tls"]).code, 0);
}

#[test]
fn a_refused_handshake_exits_unreachable_and_says_why() {
    let ca = TestPki::shared().ca();
    let run = zkcli_tls(&["--tls-ca", path(&ca), "--timeout", "3000"], &["ls", "/"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("requires a client certificate")
            && run.stderr.contains("--tls-cert and --tls-key"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_run_without_tls_on_a_tls_port_is_told_to_give_tls_ca() {
    let run = zkcli_tls(&["--timeout", "3000"], &["ls", "/"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("--tls-ca"), "{}", run.stderr);
    assert!(run.stderr.contains("(-r)"), "{}", run.stderr);
    assert!(!run.stderr.contains("Options::"), "{}", run.stderr);
}

#[test]
fn a_ca_that_did_not_sign_the_server_certificate_is_told_to_fix_tls_ca() {
    let mut tls = mutual_tls(&TestPki::shared().other_ca());
    tls.extend(["--timeout".into(), "3000".into()]);
    let run = zkcli_tls(&tls, &["ls", "/"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("not signed by a CA this client trusts")
            && run.stderr.contains("--tls-ca"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("TlsConfig"), "{}", run.stderr);
}

#[test]
fn a_client_certificate_without_its_key_is_a_usage_error() {
    let cert = TestPki::shared().client_cert();
    let run = zkcli_tls(&["--tls-cert", path(&cert)], &["ls", "/"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--tls-key"), "{}", run.stderr);
}

#[test]
fn an_unreadable_ca_file_is_reported_with_its_path() {
    let run = zkcli_tls(&["--tls-ca", "/nonexistent/ca.pem"], &["ls", "/"]);
    assert_eq!(run.code, 4, "a local I/O failure: {}", run.stderr);
    assert!(run.stderr.contains("/nonexistent/ca.pem"), "{}", run.stderr);
}

#[test]
fn without_tls_ca_the_system_roots_are_trusted() {
    // The "system" bundle is the test CA, named the standard way (SSL_CERT_FILE).
    let (cert, key) = (
        TestPki::shared().client_cert(),
        TestPki::shared().client_key(),
    );
    let output = support::zkcli_command()
        .env("SSL_CERT_FILE", TestPki::shared().ca())
        .args(["-server", &mutual_tls_server().secure_connect_string()])
        .args(["--tls-cert", path(&cert), "--tls-key", path(&key)])
        .args(["ls", "/zookeeper"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("config"));
}
