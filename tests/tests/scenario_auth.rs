//! Scenarios: digest authentication across reconnects, a rejected scheme, and NOAUTH.

mod common;

use std::time::Duration;
use zk_blocking::Version;
use zk_test_support::assert_matches;

use common::{connect, only_states, options, queued_events, states, until_state};
use zk_blocking::{Client, CreateMode, CreateOptions, Error, KeeperState, SessionState, zk_proto};
use zk_tests::proxy::{FaultProxy, OnAccept};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

fn protected(mode: CreateMode) -> CreateOptions {
    CreateOptions::new(mode).acl(zk_proto::Acl::creator_all())
}

#[test]
fn digest_auth_is_replayed_after_a_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    zk.add_auth("digest", "alice:secret").unwrap();
    zk.create_with("/alice-only", "hers", &protected(CreateMode::Persistent))
        .unwrap();
    assert_eq!(zk.get_data("/alice-only").unwrap().0, "hers");

    proxy.close_all();
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), session);
    assert_eq!(proxy.accepted(), 2);
    // Readable again: the new connection carries alice's identity.
    assert_eq!(zk.get_data("/alice-only").unwrap().0, "hers");
    let who = zk.who_am_i().unwrap();
    assert!(
        who.iter()
            .any(|c| c.auth_scheme == "digest" && c.user == "alice"),
        "{who:?}"
    );
    // Without it, it is not.
    let mut stranger = connect(&shared_standalone().connect_string(), options(TIMEOUT));
    assert_matches!(stranger.get_data("/alice-only"), Err(Error::NoAuth { .. }));
    stranger.close();
    zk.close();
}

#[test]
fn an_unknown_auth_scheme_ends_the_session_with_auth_failed() {
    let server = shared_standalone();
    let mut zk = connect(&server.connect_string(), options(TIMEOUT));
    assert_eq!(zk.add_auth("no-such-scheme", "x"), Err(Error::AuthFailed));
    assert_eq!(zk.state(), SessionState::AuthFailed);
    assert_eq!(
        only_states(&queued_events(&mut zk)),
        [KeeperState::AuthFailed]
    );
    assert_eq!(zk.exists("/"), Err(Error::AuthFailed));
    assert_eq!(zk.next_event(Duration::ZERO), Err(Error::AuthFailed));

    // The same credentials given at connect time fail the connect.
    let err = Client::connect(
        &server.connect_string(),
        options(TIMEOUT).auth("no-such-scheme", "x"),
    )
    .unwrap_err();
    assert_eq!(err, Error::AuthFailed);
}

#[test]
fn no_auth_on_a_protected_node_leaves_the_session_working() {
    let server = shared_standalone();
    let mut owner = connect(&server.connect_string(), options(TIMEOUT));
    owner.add_auth("digest", "bob:pw").unwrap();
    owner
        .create_with("/bob-only", "his", &protected(CreateMode::Persistent))
        .unwrap();

    let mut zk = connect(&server.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    assert_matches!(zk.get_data("/bob-only"), Err(Error::NoAuth { .. }));
    assert_matches!(
        zk.set_data("/bob-only", "mine", Version::Any),
        Err(Error::NoAuth { .. })
    );
    assert_matches!(zk.get_children("/bob-only"), Err(Error::NoAuth { .. }));
    // Nothing else happened to the session, and it still works.
    assert_eq!(zk.state(), SessionState::Connected);
    assert_eq!(zk.session_id(), session);
    assert!(zk.exists("/bob-only").unwrap().is_some());
    assert_eq!(
        zk.create("/not-bobs", "", CreateMode::Ephemeral).unwrap(),
        "/not-bobs"
    );
    assert!(queued_events(&mut zk).is_empty());
    zk.close();
    owner.close();
}

#[test]
fn credentials_added_while_disconnected_are_sent_after_the_reconnect() {
    let server = shared_standalone();
    let mut owner = connect(&server.connect_string(), options(TIMEOUT));
    owner.add_auth("digest", "carol:pw").unwrap();
    owner
        .create_with("/carol-only", "hers", &protected(CreateMode::Persistent))
        .unwrap();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);

    proxy.set_on_accept(OnAccept::Forward);
    // Returns once the server has accepted them on the new connection.
    zk.add_auth("digest", "carol:pw").unwrap();
    assert_eq!(
        only_states(&queued_events(&mut zk)),
        [KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), session);
    assert_eq!(zk.get_data("/carol-only").unwrap().0, "hers");
    zk.close();
    owner.close();
}

/// A server that requires digest authentication (`enforce.auth.schemes=digest`):
/// credentials given at connect go out before any request, on every connection, so
/// the session works; a session without them is told what the server requires.
#[test]
fn a_server_requiring_digest_admits_credentials_given_at_connect() {
    let server = zk_tests::ZkServer::start_standalone(
        &zk_tests::ServerOptions::default().enforce_auth("digest"),
    )
    .unwrap_or_else(|e| panic!("starting a digest-enforcing ZooKeeper: {e}"));
    let mut zk = connect(
        &server.connect_string(),
        options(TIMEOUT).auth("digest", "bob:pw"),
    );
    assert!(zk.exists("/").unwrap().is_some());
    zk.close();

    let mut zk = connect(&server.connect_string(), options(TIMEOUT));
    let refused = zk.exists("/").unwrap_err();
    assert_eq!(refused, Error::SaslRequired);
    assert!(
        refused.to_string().contains("enforce.auth.schemes"),
        "{refused}"
    );
}

#[test]
fn an_acl_naming_a_digest_id_admits_the_sessions_with_that_credential_only() {
    let server = shared_standalone().connect_string();
    // Anyone may write the ACL: it names the id, never the password.
    let mut admin = connect(&server, options(TIMEOUT));
    let bob_only = vec![zk_proto::Acl::new(
        zk_proto::Perms::ALL,
        zk_proto::Id::digest("bob", "secret"),
    )];
    let path = format!("/digest-id-{}", std::process::id());
    admin
        .create_with(
            &path,
            "bob's",
            &CreateOptions::new(CreateMode::Persistent).acl(bob_only),
        )
        .unwrap();
    assert_matches!(admin.get_data(&path), Err(Error::NoAuth { .. }));

    let mut bob = connect(&server, options(TIMEOUT));
    bob.add_auth("digest", "bob:secret").unwrap();
    assert_eq!(bob.get_data(&path).unwrap().0, "bob's");
    let mut impostor = connect(&server, options(TIMEOUT));
    impostor.add_auth("digest", "bob:guess").unwrap();
    assert_matches!(impostor.get_data(&path), Err(Error::NoAuth { .. }));
    bob.delete(&path, Version::Any).unwrap();
}
