//! Scenario: a client that accepts read-only servers, on the one member left of a 3-member
//! ensemble (readonlymode.enabled), and its move to read-write when quorum returns.

mod common;

use std::time::Duration;
use zk_blocking::Version;

use common::{
    PATIENCE, events_until_within, eventually, only_states, options, queued_events, state_of,
    states,
};
use zk_blocking::{Client, CreateMode, Error, KeeperState, SessionState};
use zk_tests::{Ensemble, ServerOptions, is_read_only};

#[test]
fn a_minority_member_serves_reads_read_only_until_quorum_returns() {
    let mut ensemble = Ensemble::start(
        3,
        &ServerOptions::default()
            .tick_time(Duration::from_millis(500))
            .read_only_mode(true)
            // A 3.8 read-only member creates only local sessions: without them it
            // answers a new session's handshake with a bare NOTREADONLY reply header.
            .local_sessions(true, true),
    )
    .unwrap_or_else(|err| panic!("starting the ensemble: {err}"));
    let connect_string = ensemble.connect_string();
    let mut setup = Client::connect(&connect_string, options(Duration::from_secs(8))).unwrap();
    setup
        .create("/ro-data", "readable", CreateMode::Persistent)
        .unwrap();
    setup.close();

    ensemble.member_mut(1).kill().unwrap();
    ensemble.member_mut(2).kill().unwrap();
    let survivor = ensemble.member(3).address();
    eventually("member 3 serves read-only", PATIENCE * 2, || {
        is_read_only(survivor).unwrap_or(false)
    });

    // A client that does not accept read-only servers is refused, and told why.
    let refused = Client::connect(
        &connect_string,
        options(Duration::from_secs(8)).connect_timeout(Duration::from_secs(2)),
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains(&format!("{}: ", survivor)) && refused.contains("Options::read_only"),
        "{refused}"
    );

    let mut zk = Client::connect(
        &connect_string,
        options(Duration::from_secs(8)).read_only(true),
    )
    .unwrap();
    assert_eq!(zk.state(), SessionState::ConnectedReadOnly);
    assert_eq!(
        only_states(&queued_events(&mut zk)),
        [KeeperState::ConnectedReadOnly]
    );
    // Reads work.
    assert_eq!(zk.get_data("/ro-data").unwrap().0, "readable");
    assert!(
        zk.get_children("/")
            .unwrap()
            .contains(&"ro-data".to_string())
    );
    assert!(zk.exists("/ro-data").unwrap().is_some());
    // Writes are refused, and the session stays.
    assert_eq!(
        zk.create("/ro-write", "", CreateMode::Persistent),
        Err(Error::NotReadOnly)
    );
    assert_eq!(
        zk.set_data("/ro-data", "x", Version::Any),
        Err(Error::NotReadOnly)
    );
    assert_eq!(zk.delete("/ro-data", Version::Any), Err(Error::NotReadOnly));
    assert_eq!(zk.state(), SessionState::ConnectedReadOnly);
    assert!(queued_events(&mut zk).is_empty());

    // Quorum returns (member 1 rejoins) while the client keeps pumping.
    let events = std::thread::scope(|scope| {
        let restart = scope.spawn(|| ensemble.member_mut(1).restart());
        let events = events_until_within(&mut zk, PATIENCE * 4, |e| {
            state_of(e) == Some(KeeperState::SyncConnected)
        });
        restart.join().unwrap().expect("member 1 rejoins");
        events
    });
    let seen = states(&events);
    assert_eq!(seen.first(), Some(&KeeperState::Disconnected), "{events:?}");
    assert_eq!(seen.last(), Some(&KeeperState::SyncConnected), "{events:?}");
    assert!(
        seen.iter().all(|s| matches!(
            s,
            KeeperState::Disconnected | KeeperState::ConnectedReadOnly | KeeperState::SyncConnected
        )),
        "{events:?}"
    );
    assert_eq!(events.len(), seen.len(), "no watch events: {events:?}");
    assert_eq!(zk.state(), SessionState::Connected);
    assert_ne!(zk.session_id(), 0);
    assert_eq!(
        zk.create("/rw-again", "", CreateMode::Ephemeral).unwrap(),
        "/rw-again"
    );
    zk.close();
}

/// Over TLS, a session on a read-only member finds a read-write server once one can be
/// reached, and moves to it: the read-write probe asks over TLS too (a secure client
/// port closes a plaintext connection, so a plaintext probe never found one). The
/// blocking client probes blocking, the shared client non-blocking, the async client
/// on tokio.
#[test]
fn a_tls_session_on_a_read_only_member_moves_to_a_read_write_server_it_finds() {
    use zk_blocking::{SharedClient, TlsConfig};
    use zk_tests::proxy::{FaultProxy, OnAccept};
    use zk_tests::{ClientAuth, ServerCert, TestPki, ZkServer};

    let tls = TestPki::shared().server(ServerCert::Valid, ClientAuth::None);
    let mut ensemble = Ensemble::start(
        3,
        &ServerOptions::default()
            .tick_time(Duration::from_millis(500))
            .read_only_mode(true)
            .local_sessions(true, true)
            .tls(tls.clone()),
    )
    .unwrap_or_else(|err| panic!("starting the ensemble: {err}"));
    ensemble.member_mut(1).kill().unwrap();
    ensemble.member_mut(2).kill().unwrap();
    let survivor = ensemble.member(3);
    eventually("member 3 serves read-only", PATIENCE * 2, || {
        is_read_only(survivor.address()).unwrap_or(false)
    });
    // A read-write server, unreachable at first.
    let read_write = ZkServer::start_standalone(&ServerOptions::default().tls(tls))
        .unwrap_or_else(|err| panic!("starting the read-write server: {err}"));
    let proxy = FaultProxy::start(read_write.secure_address().unwrap()).unwrap();
    let connect_string = format!(
        "{},{}",
        survivor.secure_connect_string(),
        proxy.connect_string()
    );
    let options = || {
        options(Duration::from_secs(8))
            .read_only(true)
            .tls(TlsConfig::from_ca_file(TestPki::shared().ca()).unwrap())
    };
    let on_read_write = |port: u16| port == proxy.address().port();

    // The blocking client.
    proxy.set_on_accept(OnAccept::Reset);
    let mut zk = Client::connect(&connect_string, options()).unwrap();
    assert_eq!(zk.state(), SessionState::ConnectedReadOnly);
    proxy.set_on_accept(OnAccept::Forward);
    events_until_within(&mut zk, PATIENCE, |e| {
        state_of(e) == Some(KeeperState::SyncConnected)
    });
    assert_eq!(zk.state(), SessionState::Connected);
    assert!(on_read_write(zk.session().current_host().unwrap().port));
    zk.create("/moved-blocking", "", CreateMode::Ephemeral)
        .unwrap();
    zk.close();

    // The shared client.
    proxy.set_on_accept(OnAccept::Reset);
    let shared = SharedClient::connect(&connect_string, options()).unwrap();
    assert_eq!(shared.state(), SessionState::ConnectedReadOnly);
    proxy.set_on_accept(OnAccept::Forward);
    eventually("the shared client moves read-write", PATIENCE, || {
        shared.state() == SessionState::Connected
    });
    shared
        .create("/moved-shared", "", CreateMode::Ephemeral)
        .unwrap();
    shared.close();

    // The async client.
    proxy.set_on_accept(OnAccept::Reset);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let zk = zk_tokio::Client::connect(&connect_string, options())
            .await
            .unwrap();
        assert_eq!(zk.state(), SessionState::ConnectedReadOnly);
        let mut states = zk.state_changes();
        proxy.set_on_accept(OnAccept::Forward);
        let moved = tokio::time::timeout(PATIENCE, async {
            while let Some(state) = states.next().await {
                if state == KeeperState::SyncConnected {
                    return true;
                }
            }
            false
        });
        assert_eq!(moved.await, Ok(true), "the async client moves read-write");
        zk.create("/moved-async", "", CreateMode::Ephemeral)
            .await
            .unwrap();
        zk.close().await;
    });
}
