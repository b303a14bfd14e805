//! SASL DIGEST-MD5 against real servers (a JAAS `DigestLoginModule` with
//! `SASLAuthenticationProvider`): the user is known as `sasl:<user>`, a `sasl` ACL
//! admits only that user, a wrong password ends the session `AuthFailed` once, a new
//! connection authenticates again before queued requests go out, and SASL works
//! over TLS, on an ensemble and with the tokio client.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use zk_blocking::zk_proto::{Acl, Id, Perms};
use zk_blocking::{
    Client, CreateMode, CreateOptions, Error, Event, KeeperState, Options, SessionState, TlsConfig,
};
use zk_test_support::assert_matches;
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::{ClientAuth, Ensemble, ServerCert, ServerOptions, TestPki, ZkServer};

use common::{connect, only_states, options, until_state};

const TIMEOUT: Duration = Duration::from_secs(10);

fn sasl_server_options() -> ServerOptions {
    ServerOptions::default()
        .sasl_digest_user("bob", "bob-secret")
        .sasl_digest_user("carol", "carol-secret")
}

/// One SASL server for the standalone tests (the harness's watchdog stops it when the
/// test process ends).
fn server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        ZkServer::start_standalone(&sasl_server_options())
            .unwrap_or_else(|e| panic!("starting a SASL ZooKeeper: {e}"))
    })
}

fn as_user(user: &str, password: &str) -> Options {
    options(TIMEOUT).sasl_digest(user, password)
}

fn only_for(user: &str) -> CreateOptions {
    let acl = Acl::new(Perms::ALL, Id::new("sasl", user));
    CreateOptions::new(CreateMode::Persistent).acl(vec![acl])
}

fn is_sasl_user(zk: &mut Client, user: &str) -> bool {
    let who = zk.who_am_i().unwrap();
    who.iter()
        .any(|c| c.auth_scheme == "sasl" && c.user == user)
}

#[test]
fn a_digest_user_is_known_by_its_sasl_identity() {
    let mut zk = connect(&server().connect_string(), as_user("bob", "bob-secret"));
    assert!(is_sasl_user(&mut zk, "bob"), "{:?}", zk.who_am_i());
    zk.close();
}

#[test]
fn a_sasl_acl_admits_its_user_and_refuses_another() {
    let cs = server().connect_string();
    let mut bob = connect(&cs, as_user("bob", "bob-secret"));
    bob.create_with("/sasl-bob-only", "his", &only_for("bob"))
        .unwrap();
    assert_eq!(bob.get_data("/sasl-bob-only").unwrap().0, "his");
    let mut carol = connect(&cs, as_user("carol", "carol-secret"));
    let refused = carol.get_data("/sasl-bob-only").unwrap_err();
    assert_matches!(refused, Error::NoAuth { .. });
    // The message says how a sasl identity is had.
    let msg = refused.to_string();
    assert!(
        msg.contains("SASL at connect") && msg.contains("get_acl"),
        "{msg}"
    );
    carol.close();
    bob.close();
}

#[test]
fn a_wrong_password_ends_the_session_auth_failed_once() {
    let mut zk = Client::start(&server().connect_string(), as_user("bob", "wrong")).unwrap();
    assert_eq!(
        zk.wait_until_connected(TIMEOUT),
        Err(Error::AuthFailed),
        "the connect fails"
    );
    let mut events = Vec::new();
    while let Ok(Some(event)) = zk.next_event(Duration::from_millis(300)) {
        events.push(event);
    }
    // One AuthFailed, nothing before or after it.
    assert_matches!(
        events.as_slice(),
        [Event::Session {
            state: KeeperState::AuthFailed,
            reason: Some(_)
        }]
    );
    let reason = zk.state_reason().expect("a reason").to_string();
    assert!(reason.contains("SASL DIGEST-MD5"), "{reason}");
    assert_eq!(zk.state(), SessionState::AuthFailed);
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::AuthFailed));
}

#[test]
fn a_new_connection_authenticates_before_queued_requests_go_out() {
    let mut bob = connect(&server().connect_string(), as_user("bob", "bob-secret"));
    bob.create_with("/sasl-reconnect", "his", &only_for("bob"))
        .unwrap();
    bob.close();

    let proxy = FaultProxy::start(server().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), as_user("bob", "bob-secret"));
    let session = zk.session_id();
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);
    proxy.set_on_accept(OnAccept::Forward);
    // Queued while disconnected; sent before the exchange it would meet NoAuth.
    assert_eq!(zk.get_data("/sasl-reconnect").unwrap().0, "his");
    assert_eq!(
        only_states(&common::queued_events(&mut zk)),
        [KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), session);
    assert!(proxy.accepted() >= 2);
    assert!(is_sasl_user(&mut zk, "bob"));
    zk.close();
}

#[test]
fn sasl_over_tls() {
    let pki = TestPki::generate().expect("generating test certificates");
    let options = sasl_server_options().tls(pki.server(ServerCert::Valid, ClientAuth::None));
    let server = ZkServer::start_standalone(&options).expect("starting a TLS SASL ZooKeeper");
    let tls = TlsConfig::from_ca_file(pki.ca()).unwrap();
    let mut zk = connect(
        &server.secure_connect_string(),
        as_user("bob", "bob-secret").tls(tls),
    );
    assert!(is_sasl_user(&mut zk, "bob"), "{:?}", zk.who_am_i());
    zk.close();
}

#[test]
fn sasl_on_an_ensemble_member() {
    let ensemble = Ensemble::start(3, &sasl_server_options()).expect("starting an ensemble");
    let mut zk = connect(&ensemble.connect_string(), as_user("carol", "carol-secret"));
    assert!(is_sasl_user(&mut zk, "carol"), "{:?}", zk.who_am_i());
    zk.close();
}

#[tokio::test]
async fn the_tokio_client_authenticates() {
    let cs = server().connect_string();
    let zk = zk_tokio::Client::connect(&cs, as_user("bob", "bob-secret"))
        .await
        .unwrap();
    let who = zk.who_am_i().await.unwrap();
    assert!(
        who.iter()
            .any(|c| c.auth_scheme == "sasl" && c.user == "bob"),
        "{who:?}"
    );
    zk.close().await;
}

#[tokio::test]
async fn the_tokio_client_refuses_a_wrong_password() {
    let cs = server().connect_string();
    let refused = zk_tokio::Client::connect(&cs, as_user("bob", "wrong")).await;
    assert_matches!(refused, Err(zk_tokio::Error::AuthFailed));
}

/// A server that requires SASL of every client (`enforce.auth.enabled=true`,
/// `enforce.auth.schemes=sasl`); the harness's watchdog stops it when the test
/// process ends.
fn sasl_required_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        ZkServer::start_standalone(&sasl_server_options().enforce_auth("sasl"))
            .unwrap_or_else(|e| panic!("starting a SASL-enforcing ZooKeeper: {e}"))
    })
}

#[test]
fn a_client_without_sasl_is_told_to_configure_it_and_stops_redialling() {
    let proxy = FaultProxy::start(sasl_required_server().address()).unwrap();
    // The handshake itself is allowed; the first request is not.
    let mut zk = Client::connect(&proxy.connect_string(), options(TIMEOUT)).unwrap();
    let refused = zk.exists("/").unwrap_err();
    assert_matches!(refused, Error::SaslRequired);
    let msg = refused.to_string();
    assert!(
        msg.contains("requires SASL") && msg.contains("sasl_digest"),
        "{msg}"
    );
    // The session is over: one AuthFailed that says why, then no redial.
    let events = common::events_until(&mut zk, |e| {
        matches!(
            e,
            Event::Session {
                state: KeeperState::AuthFailed,
                ..
            }
        )
    });
    assert_eq!(only_states(&events).last(), Some(&KeeperState::AuthFailed));
    let reason = zk.state_reason().expect("a reason").to_string();
    assert!(reason.contains("requires SASL"), "{reason}");
    assert_eq!(zk.state(), SessionState::AuthFailed);
    let dials = proxy.accepted();
    assert_eq!(
        zk.next_event(Duration::from_secs(2)),
        Err(Error::SaslRequired)
    );
    assert_eq!(
        proxy.accepted(),
        dials,
        "no redial after the server required SASL"
    );
}

#[test]
fn calls_after_the_server_required_sasl_are_told_to_configure_it_too() {
    let mut zk =
        Client::connect(&sasl_required_server().connect_string(), options(TIMEOUT)).unwrap();
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::SaslRequired));
    assert_eq!(zk.state(), SessionState::AuthFailed);
    // Every later call gets the error that says what to configure, not a bare
    // AuthFailed.
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::SaslRequired));
    assert_eq!(
        zk.create("/sasl-after", "", CreateMode::Persistent),
        Err(Error::SaslRequired)
    );
    assert_eq!(zk.add_auth("digest", "bob:pw"), Err(Error::SaslRequired));
    assert_eq!(zk.wait_until_connected(TIMEOUT), Err(Error::SaslRequired));
    let events = common::queued_events(&mut zk);
    assert_eq!(only_states(&events).last(), Some(&KeeperState::AuthFailed));
    assert_eq!(zk.next_event(Duration::ZERO), Err(Error::SaslRequired));
    zk.close();
    assert_eq!(
        zk.state(),
        SessionState::AuthFailed,
        "close leaves the ending"
    );
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::SaslRequired));
}

#[test]
fn a_shared_client_after_the_server_required_sasl_is_told_to_configure_it() {
    let zk = zk_blocking::SharedClient::connect(
        &sasl_required_server().connect_string(),
        options(TIMEOUT),
    )
    .unwrap();
    let events = zk.events();
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::SaslRequired));
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::SaslRequired));
    assert_eq!(
        zk.submit(zk_blocking::Request::exists("/", false))
            .map(|_| ()),
        Err(Error::SaslRequired)
    );
    assert_eq!(zk.add_auth("digest", "bob:pw"), Err(Error::SaslRequired));
    assert_eq!(zk.wait_until_connected(TIMEOUT), Err(Error::SaslRequired));
    let last = loop {
        match events.recv_timeout(TIMEOUT) {
            Ok(Some(_)) => continue,
            other => break other,
        }
    };
    assert_eq!(last, Err(Error::SaslRequired), "the events end with it");
    zk.close();
    assert_eq!(zk.exists("/").map(|_| ()), Err(Error::SaslRequired));
}

#[test]
fn digest_credentials_at_connect_do_not_satisfy_a_server_requiring_sasl() {
    let cs = sasl_required_server().connect_string();
    let refused = Client::connect(&cs, options(TIMEOUT).auth("digest", "bob:pw"))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused, Error::SaslRequired);
    let refused = Client::connect(&cs, options(TIMEOUT).sasl_digest("bob", "wrong"))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        refused,
        Error::AuthFailed,
        "a wrong SASL password stays AuthFailed"
    );
}

#[test]
fn a_client_with_sasl_works_on_a_server_that_requires_it() {
    let cs = sasl_required_server().connect_string();
    let mut zk = connect(&cs, as_user("bob", "bob-secret"));
    assert!(is_sasl_user(&mut zk, "bob"), "{:?}", zk.who_am_i());
    zk.close();
}

#[tokio::test]
async fn the_tokio_client_without_sasl_is_told_to_configure_it() {
    let proxy = FaultProxy::start(sasl_required_server().address()).unwrap();
    let zk = zk_tokio::Client::connect(&proxy.connect_string(), options(TIMEOUT))
        .await
        .unwrap();
    let mut states = zk.state_changes();
    let refused = zk.exists("/").await.unwrap_err();
    assert_matches!(refused, zk_tokio::Error::SaslRequired);
    let ended = tokio::time::timeout(TIMEOUT, async {
        while let Some(state) = states.next().await {
            if state == KeeperState::AuthFailed {
                return true;
            }
        }
        false
    });
    assert_eq!(ended.await, Ok(true), "the session ends AuthFailed");
    // Later calls are told the same.
    assert_eq!(
        zk.exists("/").await.map(|_| ()),
        Err(zk_tokio::Error::SaslRequired)
    );
    assert_eq!(
        zk.add_auth("digest", "bob:pw").await,
        Err(zk_tokio::Error::SaslRequired)
    );
    assert_eq!(
        zk.wait_until_connected(TIMEOUT).await,
        Err(zk_tokio::Error::SaslRequired)
    );
    let reason = zk.state_reason().expect("a reason").to_string();
    assert!(reason.contains("requires SASL"), "{reason}");
    let dials = proxy.accepted();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        proxy.accepted(),
        dials,
        "no redial after the server required SASL"
    );
}

#[test]
fn an_unknown_user_fails_the_connect_auth_failed() {
    let started = std::time::Instant::now();
    let mut zk = Client::start(&server().connect_string(), as_user("mallory", "x")).unwrap();
    assert_eq!(zk.wait_until_connected(TIMEOUT), Err(Error::AuthFailed));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed promptly"
    );
    let reason = zk.state_reason().expect("a reason").to_string();
    assert!(reason.contains("SASL DIGEST-MD5"), "{reason}");
}

#[test]
fn sasl_against_a_server_without_sasl_fails_promptly_and_says_why() {
    let plain = common::fast_server(|o| o);
    let started = std::time::Instant::now();
    let mut zk = Client::start(&plain.connect_string(), as_user("bob", "bob-secret")).unwrap();
    assert_eq!(zk.wait_until_connected(TIMEOUT), Err(Error::AuthFailed));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed promptly"
    );
    let reason = zk.state_reason().expect("a reason").to_string();
    assert!(reason.contains("has no SASL configured"), "{reason}");
}
