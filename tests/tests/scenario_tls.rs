//! TLS against real servers (a Netty `secureClientPort` with per-run certificates): the
//! blocking client and the shared client (the non-blocking link) do their work over
//! TLS, mutual TLS admits the right client certificate only, and every way a handshake
//! can fail gives an error that names it.

use std::sync::OnceLock;
use std::time::Duration;

use zk_blocking::{
    Client, CreateMode, Error, Event, KeeperState, Options, SharedClient, TlsConfig, Transaction,
    Version,
};
use zk_tests::{ClientAuth, ServerCert, ServerOptions, TestPki, ZkServer};

/// The TLS servers started so far, by certificate and client-auth setting.
type Started = Vec<(ServerCert, ClientAuth, &'static ZkServer)>;

/// A TLS server per certificate and client-auth setting, shared by the tests (like the
/// shared standalone, the harness's watchdog stops it when the test process ends).
fn server(cert: ServerCert, auth: ClientAuth) -> &'static ZkServer {
    static SERVERS: OnceLock<std::sync::Mutex<Started>> = OnceLock::new();
    let mut servers = SERVERS.get_or_init(Default::default).lock().unwrap();
    if let Some((_, _, s)) = servers.iter().find(|(c, a, _)| (*c, *a) == (cert, auth)) {
        return s;
    }
    let options = ServerOptions::default()
        .jute_max_buffer(4 * 1024 * 1024)
        .tls(TestPki::shared().server(cert, auth));
    let started = ZkServer::start_standalone(&options)
        .unwrap_or_else(|e| panic!("starting a TLS ZooKeeper: {e}"));
    let leaked: &'static ZkServer = Box::leak(Box::new(started));
    servers.push((cert, auth, leaked));
    leaked
}

fn trusting_the_ca() -> TlsConfig {
    TlsConfig::from_ca_file(TestPki::shared().ca()).unwrap()
}

fn with_client_cert() -> TlsConfig {
    trusting_the_ca()
        .client_cert_files(
            TestPki::shared().client_cert(),
            TestPki::shared().client_key(),
        )
        .unwrap()
}

fn options(tls: TlsConfig) -> Options {
    Options::new()
        .session_timeout(Duration::from_secs(4))
        .tls(tls)
}

/// Connecting fails; returns the error's message.
fn refused(connect_string: &str, tls: TlsConfig) -> String {
    let options = options(tls).connect_timeout(Duration::from_secs(3));
    match Client::connect(connect_string, options) {
        Ok(_) => panic!("connected to {connect_string} where the TLS handshake must fail"),
        Err(e @ Error::NoHosts { .. }) => e.to_string(),
        Err(e) => panic!("expected NoHosts naming the TLS problem, got {e:?}"),
    }
}

#[test]
fn the_blocking_client_does_every_kind_of_operation_over_tls() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let mut zk = Client::connect(&cs, options(trusting_the_ca())).unwrap();
    zk.create("/tls-ops", "v1", CreateMode::Persistent).unwrap();
    let (data, _stat, watch) = zk.get_data_watch("/tls-ops").unwrap();
    assert_eq!(&data[..], b"v1");
    zk.set_data("/tls-ops", "v2", Version::Any).unwrap();
    let fired = loop {
        match zk.next_event(Duration::from_secs(5)).unwrap() {
            Some(Event::Watch(e)) if e.fired(watch) => break e,
            Some(_) => {}
            None => panic!("the watch did not fire over TLS"),
        }
    };
    assert_eq!(fired.path, "/tls-ops");
    let results = zk
        .multi(
            Transaction::new()
                .create("/tls-ops/a", "", CreateMode::Persistent)
                .check("/tls-ops", Version::Exact(1)),
        )
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(zk.get_children("/tls-ops").unwrap(), ["a"]);
    zk.delete("/tls-ops/a", Version::Any).unwrap();
    zk.delete("/tls-ops", Version::Any).unwrap();
    assert!(zk.exists("/tls-ops").unwrap().is_none());
    zk.close();
}

#[test]
fn a_one_megabyte_node_goes_both_ways_over_tls() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let mut zk = Client::connect(&cs, options(trusting_the_ca()).max_frame_size(4 << 20)).unwrap();
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    zk.create("/tls-big", &big, CreateMode::Ephemeral).unwrap();
    let (data, stat) = zk.get_data("/tls-big").unwrap();
    assert_eq!(stat.data_length as usize, big.len());
    assert!(data[..] == big[..], "the 1 MB node came back different");
    zk.close();
}

#[test]
fn ten_thousand_pipelined_gets_over_tls_all_complete_in_order() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let mut zk = Client::connect(&cs, options(trusting_the_ca())).unwrap();
    zk.create("/tls-pipe", "x", CreateMode::Ephemeral).unwrap();
    let ids: Vec<_> = (0..10_000)
        .map(|_| {
            zk.submit(zk_blocking::Request::get_data("/tls-pipe", false))
                .unwrap()
        })
        .collect();
    for id in ids {
        let response = zk.wait(id).unwrap();
        assert!(
            matches!(response, zk_blocking::Response::GetData { .. }),
            "{response:?}"
        );
    }
    zk.close();
}

#[test]
fn the_shared_client_works_over_tls_without_pumping() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let zk = SharedClient::connect(&cs, options(trusting_the_ca())).unwrap();
    zk.create("/tls-shared", "v1", CreateMode::Ephemeral)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/tls-shared").unwrap();
    let writer = zk.clone();
    let worker = std::thread::spawn(move || writer.set_data("/tls-shared", "v2", Version::Any));
    let event = zk.wait_watch(watch, Duration::from_secs(10)).unwrap();
    assert!(matches!(event, Some(Event::Watch(_))), "{event:?}");
    worker.join().unwrap().unwrap();
    assert_eq!(&zk.get_data("/tls-shared").unwrap().0[..], b"v2");
    zk.close();
}

#[test]
fn mutual_tls_admits_a_client_with_the_right_certificate() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let mut zk = Client::connect(&cs, options(with_client_cert())).unwrap();
    zk.create("/tls-mutual", "", CreateMode::Ephemeral).unwrap();
    zk.close();
}

#[test]
fn mutual_tls_refuses_a_client_without_a_certificate_and_says_so() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let msg = refused(&cs, trusting_the_ca());
    assert!(msg.contains("requires a client certificate"), "{msg}");
}

#[test]
fn a_server_signed_by_an_unknown_ca_is_refused_by_name() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let msg = refused(
        &cs,
        TlsConfig::from_ca_file(TestPki::shared().other_ca()).unwrap(),
    );
    assert!(
        msg.contains("not signed by a CA this client trusts"),
        "{msg}"
    );
}

#[test]
fn a_certificate_for_another_name_is_refused_by_name() {
    let cs = server(ServerCert::WrongName, ClientAuth::None).secure_connect_string();
    let msg = refused(&cs, trusting_the_ca());
    assert!(
        msg.contains("not valid for the name \"127.0.0.1\""),
        "{msg}"
    );
}

#[test]
fn an_expired_certificate_is_refused_by_name() {
    let cs = server(ServerCert::Expired, ClientAuth::None).secure_connect_string();
    let msg = refused(&cs, trusting_the_ca());
    assert!(msg.contains("has expired"), "{msg}");
}

#[test]
fn tls_to_a_plaintext_port_says_it_is_one() {
    let cs = server(ServerCert::Valid, ClientAuth::None).connect_string();
    let msg = refused(&cs, trusting_the_ca());
    assert!(msg.contains("plaintext port"), "{msg}");
}

#[test]
fn the_shared_client_names_the_tls_problem_too() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let options = options(TlsConfig::from_ca_file(TestPki::shared().other_ca()).unwrap())
        .connect_timeout(Duration::from_secs(3));
    match SharedClient::connect(&cs, options) {
        Ok(_) => panic!("connected with an untrusted CA"),
        Err(e) => assert!(
            e.to_string()
                .contains("not signed by a CA this client trusts"),
            "{e}"
        ),
    }
}

#[test]
fn unusable_tls_files_fail_when_the_config_is_made() {
    let missing = TlsConfig::from_ca_file("/nonexistent/ca.pem").unwrap_err();
    assert!(matches!(missing, Error::TlsSetup(_)), "{missing:?}");
    assert!(
        missing.to_string().contains("/nonexistent/ca.pem"),
        "{missing}"
    );
    let not_pem = TlsConfig::from_ca_pem(b"hello").unwrap_err();
    assert!(
        not_pem.to_string().contains("no CERTIFICATE block"),
        "{not_pem}"
    );
    // The client key of another pair: the config says so at once.
    let cert = std::fs::read(TestPki::shared().client_cert()).unwrap();
    let other_key = std::fs::read(TestPki::shared().ca()).unwrap();
    let mismatch = trusting_the_ca()
        .client_cert_pem(&cert, &other_key)
        .unwrap_err();
    assert!(matches!(mismatch, Error::TlsSetup(_)), "{mismatch:?}");
}

#[test]
fn a_device_given_as_a_tls_file_is_refused_without_reading_it_all() {
    let err = TlsConfig::from_ca_file("/dev/zero").unwrap_err();
    assert!(matches!(err, Error::TlsSetup(_)), "{err:?}");
    assert!(err.to_string().contains("not a PEM file"), "{err}");
    let err = trusting_the_ca()
        .client_cert_files(TestPki::shared().client_cert(), "/dev/zero")
        .unwrap_err();
    assert!(err.to_string().contains("not a PEM file"), "{err}");
}

#[test]
fn an_encrypted_client_key_is_refused_with_what_to_do() {
    let cert = std::fs::read(TestPki::shared().client_cert()).unwrap();
    let encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjAp\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let err = trusting_the_ca()
        .client_cert_pem(&cert, encrypted)
        .unwrap_err();
    assert!(matches!(err, Error::TlsSetup(_)), "{err:?}");
    assert!(err.to_string().contains("encrypted"), "{err}");
}

#[test]
fn tls_settings_print_no_key_material() {
    let tls = with_client_cert();
    let key = std::fs::read_to_string(TestPki::shared().client_key()).unwrap();
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    for shown in [format!("{tls:?}"), format!("{:#?}", options(tls.clone()))] {
        assert!(!shown.contains(&body[..32]), "{shown}");
        assert!(
            shown.contains("client_cert") && shown.contains("redacted"),
            "{shown}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_works_over_tls_with_a_watch() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let zk = zk_tokio::Client::connect(&cs, options(trusting_the_ca()))
        .await
        .unwrap();
    zk.create("/tls-async", "v1", CreateMode::Ephemeral)
        .await
        .unwrap();
    let (data, _, changed) = zk.get_data_watch("/tls-async").await.unwrap();
    assert_eq!(&data[..], b"v1");
    zk.set_data("/tls-async", "v2", Version::Any).await.unwrap();
    let event = changed.await.unwrap();
    assert_eq!(event.path, "/tls-async");
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_client_pipelines_a_megabyte_and_many_gets_over_mutual_tls() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let options = options(with_client_cert()).max_frame_size(4 << 20);
    let zk = zk_tokio::Client::connect(&cs, options).await.unwrap();
    let big = vec![7u8; 1024 * 1024];
    zk.create("/tls-async-big", &big, CreateMode::Ephemeral)
        .await
        .unwrap();
    // A few large replies (the server holds every queued reply in its small heap),
    // then a deep pipeline of small ones.
    let large: Vec<_> = (0..10).map(|_| zk.get_data("/tls-async-big")).collect();
    for get in large {
        assert_eq!(get.await.unwrap().0.len(), big.len());
    }
    zk.create("/tls-async-small", "s", CreateMode::Ephemeral)
        .await
        .unwrap();
    let small: Vec<_> = (0..2_000)
        .map(|_| zk.get_data("/tls-async-small"))
        .collect();
    for get in small {
        assert_eq!(&get.await.unwrap().0[..], b"s");
    }
    zk.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_names_the_tls_problem() {
    let cs = server(ServerCert::WrongName, ClientAuth::None).secure_connect_string();
    let options = options(trusting_the_ca()).connect_timeout(Duration::from_secs(3));
    match zk_tokio::Client::connect(&cs, options).await {
        Ok(_) => panic!("connected to a server whose certificate names another host"),
        Err(e) => assert!(e.to_string().contains("not valid for the name"), "{e}"),
    }
}

/// A proxy in front of the valid TLS server's secure port (the certificate names
/// 127.0.0.1, which the proxy's address is too).
fn tls_proxy() -> zk_tests::proxy::FaultProxy {
    let secure = server(ServerCert::Valid, ClientAuth::None)
        .secure_address()
        .expect("a secure port");
    zk_tests::proxy::FaultProxy::start(secure).unwrap()
}

/// Waits for the watch `watch` to fire, pumping the blocking client.
fn fired(zk: &mut Client, watch: zk_blocking::WatchHandle) -> zk_blocking::WatchedEvent {
    loop {
        match zk.next_event(Duration::from_secs(10)).unwrap() {
            Some(Event::Watch(e)) if e.fired(watch) => return e,
            Some(_) => {}
            None => panic!("the watch did not fire"),
        }
    }
}

#[test]
fn a_cut_tls_connection_reconnects_with_its_session_and_watches() {
    let proxy = tls_proxy();
    let mut zk = Client::connect(&proxy.connect_string(), options(trusting_the_ca())).unwrap();
    let session = zk.session_id();
    zk.create("/tls-cut", "v1", CreateMode::Ephemeral).unwrap();
    let (_, _, watch) = zk.get_data_watch("/tls-cut").unwrap();
    proxy.close_all();
    // The next call rides the reconnect: a fresh TLS handshake, the watch set again.
    zk.set_data("/tls-cut", "v2", Version::Any)
        .or_else(|e| match e {
            Error::ConnectionLoss => zk.set_data("/tls-cut", "v2", Version::Any),
            other => Err(other),
        })
        .unwrap();
    assert_eq!(fired(&mut zk, watch).path, "/tls-cut");
    assert_eq!(zk.session_id(), session, "the session survived the cut");
    assert!(proxy.accepted() >= 2, "it reconnected through the proxy");
    zk.close();
}

#[test]
fn tls_in_one_byte_slices_still_works() {
    let proxy = tls_proxy();
    proxy.set_faults(zk_tests::proxy::Fault::Slice);
    let mut zk = Client::connect(&proxy.connect_string(), options(trusting_the_ca())).unwrap();
    zk.create("/tls-sliced", "sliced", CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(&zk.get_data("/tls-sliced").unwrap().0[..], b"sliced");
    zk.close();
}

#[test]
fn the_shared_client_rides_a_tls_blackhole_and_keeps_its_watch() {
    let proxy = tls_proxy();
    // A 10 s session: a loaded machine's slow TLS handshakes fit well before 4/3 of it
    // passes unheard.
    let ten_seconds = options(trusting_the_ca()).session_timeout(Duration::from_secs(10));
    let zk = SharedClient::connect(&proxy.connect_string(), ten_seconds).unwrap();
    zk.create("/tls-blackhole", "v1", CreateMode::Ephemeral)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/tls-blackhole").unwrap();
    let events = zk.events();
    proxy.set_faults(zk_tests::proxy::Fault::Blackhole);
    // Silence: the read timeout drops the connection.
    loop {
        match events.recv_timeout(Duration::from_secs(20)) {
            Ok(Some(Event::Session {
                state: KeeperState::Disconnected,
                ..
            })) => break,
            Ok(Some(_)) => {}
            other => panic!("expected Disconnected, got {other:?}"),
        }
    }
    // The network comes back; the redial begun in the silence (its ClientHello
    // swallowed) is reset, as a router coming back would, and the next one gets through.
    proxy.set_faults(zk_tests::proxy::Fault::Pass);
    proxy.close_all();
    zk.wait_until_connected(Duration::from_secs(10)).unwrap();
    let mut observer = Client::connect(
        &server(ServerCert::Valid, ClientAuth::None).secure_connect_string(),
        options(trusting_the_ca()),
    )
    .unwrap();
    observer
        .set_data("/tls-blackhole", "v2", Version::Any)
        .unwrap();
    let event = zk.wait_watch(watch, Duration::from_secs(10)).unwrap();
    assert!(matches!(event, Some(Event::Watch(_))), "{event:?}");
    observer.close();
    zk.close();
}

#[test]
fn killing_the_member_of_a_tls_ensemble_moves_the_session_with_its_watch() {
    let options_3 = ServerOptions::default()
        .tick_time(Duration::from_millis(500))
        .tls(TestPki::shared().server(ServerCert::Valid, ClientAuth::None));
    let mut ensemble = zk_tests::Ensemble::start(3, &options_3).unwrap();
    let mut zk = Client::connect(
        &ensemble.secure_connect_string(),
        options(trusting_the_ca()),
    )
    .unwrap();
    let session = zk.session_id();
    zk.create("/tls-ensemble", "v1", CreateMode::Ephemeral)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/tls-ensemble").unwrap();
    let host = zk.session().current_host().expect("connected").clone();
    let on = ensemble
        .members()
        .iter()
        .find(|m| m.secure_address().is_some_and(|a| a.port() == host.port))
        .and_then(ZkServer::myid)
        .expect("the member the session is on");
    ensemble.member_mut(on).kill().unwrap();
    // The next call waits out the move: a new TLS handshake with another member.
    let mut changed = false;
    for _ in 0..20 {
        match zk.set_data("/tls-ensemble", "v2", Version::Any) {
            Ok(_) => {
                changed = true;
                break;
            }
            Err(Error::ConnectionLoss) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(changed, "no member took the session over TLS");
    assert_eq!(fired(&mut zk, watch).path, "/tls-ensemble");
    assert_eq!(zk.session_id(), session);
    let now_on = zk.session().current_host().expect("connected").port;
    assert_ne!(now_on, host.port, "on another member");
    zk.close();
}

fn with_stranger_cert() -> TlsConfig {
    trusting_the_ca()
        .client_cert_files(
            TestPki::shared().stranger_cert(),
            TestPki::shared().stranger_key(),
        )
        .unwrap()
}

/// The async client fails to connect; returns the error's message.
async fn refused_async(connect_string: &str, options: Options) -> String {
    let options = options.connect_timeout(Duration::from_secs(3));
    let started = std::time::Instant::now();
    let outcome = zk_tokio::Client::connect(connect_string, options).await;
    assert!(started.elapsed() < Duration::from_secs(10), "connect hung");
    match outcome {
        Ok(_) => panic!("connected to {connect_string} where the connect must fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_certificate_not_valid_yet_is_refused_by_name() {
    let cs = server(ServerCert::NotYetValid, ClientAuth::None).secure_connect_string();
    let msg = refused(&cs, trusting_the_ca());
    assert!(msg.contains("not valid yet"), "{msg}");
}

#[test]
fn mutual_tls_refuses_a_certificate_from_another_ca_and_says_so() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let msg = refused(&cs, with_stranger_cert());
    assert!(msg.contains("refused this client's certificate"), "{msg}");
}

#[test]
fn a_plaintext_client_on_a_tls_port_is_told_to_use_tls() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let options = Options::new()
        .session_timeout(Duration::from_secs(4))
        .connect_timeout(Duration::from_secs(3));
    let msg = match Client::connect(&cs, options) {
        Ok(_) => panic!("a plaintext handshake succeeded on a TLS port"),
        Err(e) => e.to_string(),
    };
    assert!(
        msg.contains("secureClientPort") && msg.contains("Options::tls"),
        "{msg}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_says_mutual_tls_requires_a_client_certificate() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let msg = refused_async(&cs, options(trusting_the_ca())).await;
    assert!(msg.contains("requires a client certificate"), "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_says_its_certificate_was_refused() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let msg = refused_async(&cs, options(with_stranger_cert())).await;
    assert!(msg.contains("refused this client's certificate"), "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_says_a_plaintext_port_is_one() {
    let cs = server(ServerCert::Valid, ClientAuth::None).connect_string();
    let msg = refused_async(&cs, options(trusting_the_ca())).await;
    assert!(msg.contains("plaintext port"), "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_plaintext_client_on_a_tls_port_is_told_to_use_tls() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let options = Options::new()
        .session_timeout(Duration::from_secs(4))
        .connect_timeout(Duration::from_secs(3));
    let msg = refused_async(&cs, options).await;
    assert!(
        msg.contains("secureClientPort") && msg.contains("Options::tls"),
        "{msg}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_names_an_unknown_ca_and_an_expired_certificate() {
    let cs = server(ServerCert::Valid, ClientAuth::None).secure_connect_string();
    let other = TlsConfig::from_ca_file(TestPki::shared().other_ca()).unwrap();
    let msg = refused_async(&cs, options(other)).await;
    assert!(msg.contains("not signed by a CA"), "{msg}");
    let cs = server(ServerCert::Expired, ClientAuth::None).secure_connect_string();
    let msg = refused_async(&cs, options(trusting_the_ca())).await;
    assert!(msg.contains("has expired"), "{msg}");
}

/// A TLS 1.3 only server that needs a client certificate: it refuses a missing or
/// unknown one only after the client's Finished, when the client already counts the
/// handshake done and has written its first request.
fn tls13_mutual_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let options = ServerOptions::default()
            .tls(TestPki::shared().server(ServerCert::Valid, ClientAuth::Need))
            .cfg_line("ssl.protocol=TLSv1.3")
            .cfg_line("ssl.enabledProtocols=TLSv1.3")
            // ZooKeeper's default suites are TLS 1.2 ones only.
            .cfg_line("ssl.ciphersuites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384");
        ZkServer::start_standalone(&options)
            .unwrap_or_else(|e| panic!("starting a TLS 1.3 ZooKeeper: {e}"))
    })
}

#[test]
fn a_tls13_server_refusing_a_missing_client_certificate_says_so() {
    let cs = tls13_mutual_server().secure_connect_string();
    let msg = refused(&cs, trusting_the_ca());
    assert!(msg.contains("requires a client certificate"), "{msg}");
    assert!(!msg.contains("read_only"), "{msg}");
}

#[test]
fn a_tls13_server_refusing_a_client_certificate_says_so() {
    let cs = tls13_mutual_server().secure_connect_string();
    let msg = refused(&cs, with_stranger_cert());
    assert!(msg.contains("refused this client's certificate"), "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_says_a_tls13_server_requires_a_client_certificate() {
    let cs = tls13_mutual_server().secure_connect_string();
    let msg = refused_async(&cs, options(trusting_the_ca())).await;
    assert!(msg.contains("requires a client certificate"), "{msg}");
    // Only that: no advice meant for a server that closes without a word.
    assert!(!msg.contains("read_only"), "{msg}");
    assert_eq!(msg.matches(&format!("{cs}: ")).count(), 1, "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_says_a_tls13_server_refused_its_certificate() {
    let cs = tls13_mutual_server().secure_connect_string();
    let msg = refused_async(&cs, options(with_stranger_cert())).await;
    assert!(msg.contains("refused this client's certificate"), "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_works_with_a_tls13_server_and_its_certificate() {
    let cs = tls13_mutual_server().secure_connect_string();
    let zk = zk_tokio::Client::connect(&cs, options(with_client_cert()))
        .await
        .unwrap();
    zk.exists("/").await.unwrap();
    zk.close().await;
}

/// A TLS server that accepts connections and never answers (a blackhole in between):
/// every client gives up within its connect deadline and names the silent host and
/// the handshake.
#[test]
fn a_silent_tls_server_is_named_when_connect_gives_up() {
    use zk_tests::proxy::{Fault, FaultProxy};
    let proxy = FaultProxy::start(
        server(ServerCert::Valid, ClientAuth::None)
            .secure_address()
            .unwrap(),
    )
    .unwrap();
    proxy.set_faults(Fault::Blackhole);
    let cs = proxy.connect_string();
    // The connect timeout (3 s) runs out during the first dial (its own bound, the
    // session timeout, is 4 s).
    let started = std::time::Instant::now();
    let blocking = refused(&cs, trusting_the_ca());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "gave up in time"
    );
    let quiet_in_tls = "accepted the TCP connection but did not answer the TLS handshake";
    assert!(
        blocking.contains(&format!("{cs}: no answer within")) && blocking.contains(quiet_in_tls),
        "{blocking}"
    );
    let options = options(trusting_the_ca()).connect_timeout(Duration::from_secs(2));
    let shared = SharedClient::connect(&cs, options.clone())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        shared.contains(&format!("{cs}: no answer within")) && shared.contains(quiet_in_tls),
        "{shared}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let tokio = runtime
        .block_on(zk_tokio::Client::connect(&cs, options))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up in time"
    );
    assert!(
        tokio.contains(&format!("{cs}: no answer within")) && tokio.contains(quiet_in_tls),
        "{tokio}"
    );
}

#[test]
fn mutual_tls_refusing_an_expired_client_certificate_says_it_must_be_valid() {
    let cs = server(ServerCert::Valid, ClientAuth::Need).secure_connect_string();
    let expired = trusting_the_ca()
        .client_cert_files(
            TestPki::shared().expired_client_cert(),
            TestPki::shared().expired_client_key(),
        )
        .unwrap();
    let msg = refused(&cs, expired);
    assert!(
        msg.contains("refused this client's certificate") && msg.contains("valid now"),
        "{msg}"
    );
}

#[test]
fn the_shared_client_says_a_tls13_server_requires_a_client_certificate() {
    let cs = tls13_mutual_server().secure_connect_string();
    let options = options(trusting_the_ca()).connect_timeout(Duration::from_secs(3));
    let msg = SharedClient::connect(&cs, options)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("requires a client certificate"), "{msg}");
    assert!(!msg.contains("read_only"), "{msg}");
}
