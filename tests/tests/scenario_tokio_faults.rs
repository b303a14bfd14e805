//! Scenarios for the async client (zk-tokio) where the network or the servers fail:
//! no server at all, connections cut or reset by the fault proxy (watches and calls
//! carry over), replies held back (call timeouts, watch removals raced by calls or
//! cut off), the ensemble member a session is on killed, a minority member serving
//! read-only until quorum returns, sessions expired by a blackhole (every waiter hears
//! it), an idle session kept alive by the driver task alone, a lone call's own write
//! meeting cuts, a close and a request timeout, and close against a slow or silent
//! server. Each scenario that needs a proxy or an ensemble starts its own.

mod common;
#[macro_use]
#[path = "common/tokio.rs"]
mod on_tokio;

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{PATIENCE, fast_server, member_holding, sessions_held};
use on_tokio::{
    AT_ONCE, assert_connected, barrier, connect, eventually, fired, joined, next_event, next_state,
    next_watch, no_task_left, options, queued_state, ready_now, settled, what, within, within_for,
};
use zk_tests::proxy::{Direction, Fault, FaultProxy, OnAccept};
use zk_tests::{Ensemble, ServerOptions, ZkServer, free_port, is_read_only, shared_standalone};
use zk_tokio::{
    AddWatchMode, Client, CreateMode, Error, Event, EventType, KeeperState, Request, SessionState,
    StateReason, Version, WatcherType,
};

/// A session timeout nothing in the reconnect scenarios comes near (the shared server
/// grants 4–40 s).
const LONG: Duration = Duration::from_secs(30);

/// The session timeout `T` of the expiry and idle scenarios, on
/// [`short_session_server`] (which grants 0.4–4 s).
const SHORT: Duration = Duration::from_secs(3);

/// A standalone server with a small tick, so that [`SHORT`] sessions are granted.
fn short_session_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| fast_server(|o| o))
}

/// A proxy in front of `server` and a client of `server` through it.
async fn through_proxy(server: &ZkServer, session_timeout: Duration) -> (Client, FaultProxy) {
    let proxy = FaultProxy::start(server.address()).unwrap();
    let zk = connect(&proxy.connect_string(), options(session_timeout)).await;
    (zk, proxy)
}

/// A client of `server` without a proxy, to make changes and look from outside.
async fn observer(server: &ZkServer) -> Client {
    connect(&server.connect_string(), options(LONG)).await
}

/// Frames one way through the proxy, pings left out.
fn frames(proxy: &FaultProxy, direction: Direction) -> u64 {
    let stats = proxy.stats(direction);
    stats.frames - stats.pings
}

// ----- no server --------------------------------------------------------------------

#[tokio::test]
async fn connecting_where_no_server_answers_fails_with_no_hosts_after_the_connect_timeout() {
    // A host that is down: the proxy in front of a closed port accepts (so it counts
    // the attempts) and resets each connection at once.
    let down = FaultProxy::start(
        format!("127.0.0.1:{}", free_port().unwrap())
            .parse()
            .unwrap(),
    )
    .unwrap();
    let connect_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let refused = Client::connect(
        &down.connect_string(),
        options(LONG).connect_timeout(connect_timeout),
    )
    .await;
    let took = started.elapsed();
    assert!(
        matches!(&refused, Err(Error::NoHosts { hosts, .. }) if *hosts == down.connect_string()),
        "{:?}",
        refused.map(drop)
    );
    assert!(
        took >= connect_timeout && took < connect_timeout + AT_ONCE,
        "{took:?}"
    );
    assert!(down.accepted() > 0, "the host was dialled");
    // The client is gone, and so is its driver task: the dials stop.
    no_task_left().await;
}

/// A client started behind a proxy that resets every connection: no server answers
/// until the proxy is told to forward.
fn started_where_no_server_answers(options: zk_tokio::Options) -> (Client, FaultProxy) {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    proxy.set_on_accept(OnAccept::Reset);
    let zk = Client::start(&proxy.connect_string(), options).unwrap();
    (zk, proxy)
}

#[tokio::test]
async fn a_call_on_a_session_no_server_ever_established_fails_with_no_hosts_after_the_connect_timeout()
 {
    // No session yet, so none to expire: a call waits for the first one at most the
    // connect timeout, as connect does, and the client goes on dialling.
    let connect_timeout = Duration::from_secs(1);
    let (zk, proxy) = started_where_no_server_answers(
        options(LONG)
            .connect_timeout(connect_timeout)
            .call_timeout(None),
    );
    let started = Instant::now();
    let failed = within("a call with no server", zk.exists("/")).await;
    let took = started.elapsed();
    assert!(
        matches!(&failed, Err(Error::NoHosts { hosts, .. }) if *hosts == proxy.connect_string()),
        "{failed:?}"
    );
    assert!(
        took >= connect_timeout && took < connect_timeout + AT_ONCE,
        "{took:?}"
    );
    assert_eq!(zk.state(), SessionState::Connecting);

    // A server answers: the next call is served by the client it kept dialling for.
    proxy.set_on_accept(OnAccept::Forward);
    assert!(
        within("a call once a server answers", zk.exists("/"))
            .await
            .unwrap()
            .is_some()
    );
    zk.close().await;
}

#[tokio::test]
async fn a_raw_request_on_a_session_no_server_ever_established_completes_with_no_hosts_after_the_connect_timeout()
 {
    // The session bounds every request made before its first session, raw ones too
    // (which have no call timeout): they waited as long as no server answered.
    let connect_timeout = Duration::from_secs(1);
    let (zk, proxy) =
        started_where_no_server_answers(options(LONG).connect_timeout(connect_timeout));
    let started = Instant::now();
    let raw = zk.submit(Request::exists("/", false)).unwrap();
    let completion = within("a raw request with no server", raw).await;
    let took = started.elapsed();
    assert!(
        matches!(&completion.result, Err(Error::NoHosts { hosts, .. }) if *hosts == proxy.connect_string()),
        "{completion:?}"
    );
    assert!(
        took >= connect_timeout && took < connect_timeout + AT_ONCE,
        "{took:?}"
    );
    assert_eq!(zk.outstanding(), 0, "the request was given up");
    zk.close().await;
}

#[tokio::test]
async fn a_call_made_before_the_first_session_that_comes_in_time_keeps_waiting_for_its_reply() {
    // Every answer takes 1.5 s: the handshake's comes at about 1.5 s, within the
    // first-session wait (2.5 s), and the call's not before 3 s, after it: once a
    // session is up, the call waits for its reply under its own call timeout (6 s),
    // not the first-session wait. (The proxy forwards from the first dial: a dial
    // after refused ones would start after a backoff that eats the margin.)
    let first_session_wait = Duration::from_millis(2500);
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    proxy.set_fault(
        Direction::ToClient,
        Fault::Delay(Duration::from_millis(1500)),
    );
    let zk = Client::start(
        &proxy.connect_string(),
        options(LONG)
            .connect_timeout(first_session_wait)
            .call_timeout(Duration::from_secs(6)),
    )
    .unwrap();
    let started = Instant::now();
    let answered = within("the early call", zk.exists("/")).await;
    assert!(answered.unwrap().is_some());
    assert!(
        started.elapsed() > first_session_wait,
        "the reply came after the first-session wait: {:?}",
        started.elapsed()
    );
    zk.close().await;
}

#[tokio::test]
async fn a_call_timeout_shorter_than_the_connect_timeout_ends_a_call_waiting_for_a_first_server() {
    let call_timeout = Duration::from_millis(500);
    let (zk, _proxy) = started_where_no_server_answers(
        options(LONG)
            .connect_timeout(Duration::from_secs(5))
            .call_timeout(call_timeout),
    );
    let started = Instant::now();
    assert_eq!(
        within("a bounded call", zk.exists("/")).await,
        Err(Error::Timeout(call_timeout))
    );
    assert!(started.elapsed() < Duration::from_secs(5) - AT_ONCE);
    zk.close().await;
}

/// A waker that only counts who holds it: a wait that let go of it leaves the count.
struct Counted;

impl std::task::Wake for Counted {
    fn wake(self: std::sync::Arc<Self>) {}
}

#[tokio::test]
async fn waits_for_a_connection_given_up_while_no_server_answers_keep_no_waker() {
    // A readiness check that asks with a short bound, over and over, through an
    // outage: each wait it gives up must let go of its task (a waker keeps a tokio
    // task's memory alive), not pile up until the session next changes state.
    let down = format!("127.0.0.1:{}", free_port().unwrap());
    let zk = Client::start(&down, options(LONG)).unwrap();
    let task = std::sync::Arc::new(Counted);
    let waker = std::task::Waker::from(task.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    for _ in 0..100 {
        let mut wait = std::pin::pin!(zk.wait_until_connected(PATIENCE));
        assert!(
            wait.as_mut().poll(&mut cx).is_pending(),
            "no server to connect to"
        );
    }
    drop(waker);
    assert_eq!(
        std::sync::Arc::strong_count(&task),
        1,
        "the waits given up still hold the task's waker"
    );
    zk.close().await;
}

// ----- a connect cut short, or given up ---------------------------------------------

/// How long the proxy holds back every answer of the server in the scenarios where a
/// connect is cut short while the server answers its handshake.
const ANSWER_DELAY: Duration = Duration::from_millis(1500);

/// A standalone server of the scenario's own (its `dump` lists only the scenario's
/// sessions) behind a proxy that holds its answers back for [`ANSWER_DELAY`].
fn slowly_answering_server() -> (ZkServer, FaultProxy) {
    let server = ZkServer::start_standalone(&ServerOptions::default())
        .unwrap_or_else(|err| panic!("starting a standalone server: {err}"));
    let proxy = FaultProxy::start(server.address()).unwrap();
    proxy.set_fault(Direction::ToClient, Fault::Delay(ANSWER_DELAY));
    (server, proxy)
}

/// Waits until `server` holds one session: the client's ConnectRequest went through
/// and the server made the session; its answer is on its way, held back.
async fn session_made(server: &ZkServer) {
    eventually("the server making the session", PATIENCE, || {
        sessions_held(server).len() == 1
    })
    .await;
}

#[tokio::test]
async fn a_connect_dropped_while_the_server_answers_its_handshake_leaves_no_session_there() {
    let (server, proxy) = slowly_answering_server();
    let connecting = tokio::spawn(Client::connect(&proxy.connect_string(), options(LONG)));
    session_made(&server).await;

    // The connect future goes before the answer comes: the client never learns the
    // session's id from the caller's side, but the driver task waits for the answer
    // and closes the session the server made (it stayed until it expired, LONG).
    connecting.abort();
    assert!(connecting.await.unwrap_err().is_cancelled());
    let dropped = Instant::now();
    let bound = ANSWER_DELAY + AT_ONCE;
    eventually("the server closing the session", bound, || {
        sessions_held(&server).is_empty()
    })
    .await;
    assert!(
        frames(&proxy, Direction::ToServer) >= 2,
        "closeSession sent"
    );
    no_task_left().await;
    assert!(
        dropped.elapsed() < ANSWER_DELAY * 2 + AT_ONCE,
        "the driver task ended when the server confirmed: {:?}",
        dropped.elapsed()
    );
}

#[tokio::test]
async fn close_while_the_server_answers_the_first_handshake_closes_the_session_it_made() {
    let (server, proxy) = slowly_answering_server();
    let zk = Client::start(
        &proxy.connect_string(),
        options(LONG).close_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    session_made(&server).await;

    let started = Instant::now();
    within("the close", zk.close()).await;
    // The answer to the handshake, then closeSession's, each held back.
    assert!(
        started.elapsed() < ANSWER_DELAY * 2 + AT_ONCE,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(
        zk.state_reason(),
        Some(StateReason::ClosedByApplication { confirmed: true })
    );
    assert_eq!(sessions_held(&server), Vec::<String>::new());
    drop(proxy);
}

/// A port that takes connections and reads what comes, never answering; it notes
/// when the client hangs up its first connection.
struct SilentServer {
    address: std::net::SocketAddr,
    hung_up: std::sync::Arc<std::sync::Mutex<Option<Instant>>>,
}

impl SilentServer {
    fn start() -> SilentServer {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let hung_up = std::sync::Arc::new(std::sync::Mutex::new(None));
        let noted = hung_up.clone();
        std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            conn.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut buf = [0u8; 1024];
            loop {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            *noted.lock().unwrap() = Some(Instant::now());
        });
        SilentServer { address, hung_up }
    }

    fn hung_up(&self) -> Option<Instant> {
        *self.hung_up.lock().unwrap()
    }
}

#[tokio::test]
async fn a_connect_to_a_server_that_never_answers_the_handshake_fails_and_hangs_up_after_the_connect_timeout()
 {
    let silent = SilentServer::start();
    let connect_timeout = Duration::from_secs(1);
    // One host: the session gives its dial and handshake the whole session timeout,
    // so the handshake is still under way when the connect gives up; the close that
    // follows must not wait for its answer (the driver task would keep the connection
    // until the close timeout).
    let started = Instant::now();
    let failed = Client::connect(
        &silent.address.to_string(),
        options(LONG)
            .connect_timeout(connect_timeout)
            .close_timeout(Duration::from_secs(10)),
    )
    .await;
    let took = started.elapsed();
    assert!(
        matches!(&failed, Err(Error::NoHosts { .. })),
        "{:?}",
        failed.map(drop)
    );
    assert!(
        took >= connect_timeout && took < connect_timeout + AT_ONCE,
        "{took:?}"
    );
    eventually("the client hanging up", PATIENCE, || {
        silent.hung_up().is_some()
    })
    .await;
    let hung_up = silent.hung_up().unwrap().duration_since(started);
    assert!(hung_up < connect_timeout + AT_ONCE, "{hung_up:?}");
    no_task_left().await;
}

// ----- reconnects ---------------------------------------------------------------------

on_both_runtimes!(a_one_shot_watch_set_before_a_proxy_cut_fires_for_a_change_after_the_reconnect);

async fn a_one_shot_watch_set_before_a_proxy_cut_fires_for_a_change_after_the_reconnect(
    root: &str,
) {
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let other = observer(server).await;
    let session = zk.session_id();
    zk.create(root, "v1", CreateMode::Persistent).await.unwrap();
    let (_, _, watch) = zk.get_data_watch(root).await.unwrap();
    let mut states = zk.state_changes();
    let first_connection = zk.conn_id();
    assert!(first_connection.is_some());

    proxy.close_all();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    assert_connected(&zk, session);
    assert_eq!(proxy.accepted(), 2, "reconnected through the proxy");
    assert!(zk.conn_id().is_some() && zk.conn_id() != first_connection);

    other.set_data(root, "v2", Version::Any).await.unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::NodeDataChanged, root)
    );
    zk.close().await;
    other.close().await;
}

on_both_runtimes!(a_recursive_watch_stream_keeps_delivering_after_the_connection_is_reset);

async fn a_recursive_watch_stream_keeps_delivering_after_the_connection_is_reset(root: &str) {
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let other = observer(server).await;
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let mut stream = zk
        .add_watch(root, AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    let mut states = zk.state_changes();
    let before = format!("{root}/before");
    other
        .create(&before, "", CreateMode::Persistent)
        .await
        .unwrap();
    assert_eq!(
        what(&next_watch(&mut stream).await),
        (EventType::NodeCreated, before.as_str())
    );

    proxy.reset_all();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    // The watch is set again (SetWatches) right after the handshake that made the
    // session SyncConnected; once a later request is answered the server has it.
    // (A persistent watch gets no catch-up for changes it missed meanwhile.)
    barrier(&zk).await;

    let after = format!("{root}/after");
    other
        .create(&after, "", CreateMode::Persistent)
        .await
        .unwrap();
    other.set_data(&before, "x", Version::Any).await.unwrap();
    assert_eq!(
        what(&next_watch(&mut stream).await),
        (EventType::NodeCreated, after.as_str())
    );
    assert_eq!(
        what(&next_watch(&mut stream).await),
        (EventType::NodeDataChanged, before.as_str())
    );
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn the_state_stream_shows_disconnected_then_sync_connected_and_nothing_else_across_a_cut() {
    let (zk, proxy) = through_proxy(shared_standalone(), LONG).await;
    let session = zk.session_id();
    let mut states = zk.state_changes();
    // Every dial is refused until the proxy forwards again.
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    eventually("two dials refused", PATIENCE, || proxy.accepted() >= 3).await;
    assert_eq!(zk.state(), SessionState::Connecting);
    assert_eq!(queued_state(&mut states), None, "no state while refused");

    proxy.set_on_accept(OnAccept::Forward);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    assert_connected(&zk, session);
    assert!(zk.exists("/").await.unwrap().is_some());
    assert_eq!(queued_state(&mut states), None);
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_while_disconnected_wait_and_go_out_in_order_after_the_reconnect() {
    let (zk, proxy) = through_proxy(shared_standalone(), LONG).await;
    let root = "/tokio-queued-while-away";
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let mut states = zk.state_changes();
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);

    let prefix = format!("{root}/n-");
    let mut creates: Vec<_> = (0..3)
        .map(|_| zk.create(&prefix, "", CreateMode::PersistentSequential))
        .collect();
    let mut children = zk.get_children(root);
    let accepted = proxy.accepted();
    eventually("two dials refused", PATIENCE, || {
        proxy.accepted() >= accepted + 2
    })
    .await;
    assert!(creates.iter_mut().all(|c| ready_now(c).is_none()));
    assert!(ready_now(&mut children).is_none());
    assert_eq!(zk.outstanding(), 4);

    proxy.set_on_accept(OnAccept::Forward);
    for (i, create) in creates.into_iter().enumerate() {
        assert_eq!(
            within("a create queued while disconnected", create).await,
            Ok(format!("{prefix}{i:010}"))
        );
    }
    let children = within("a read queued while disconnected", children).await;
    assert_eq!(children.unwrap().len(), 3);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    zk.close().await;
}

#[tokio::test]
async fn calls_on_the_wire_when_the_connection_is_cut_fail_with_connection_loss() {
    let (zk, proxy) = through_proxy(shared_standalone(), LONG).await;
    let session = zk.session_id();
    let path = "/tokio-cut-in-flight";
    zk.create(path, "x", CreateMode::Ephemeral).await.unwrap();

    // The requests reach the server; the proxy swallows the replies.
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
    let (sent, replied) = (
        frames(&proxy, Direction::ToServer),
        frames(&proxy, Direction::ToClient),
    );
    let calls: Vec<_> = (0..5).map(|_| zk.get_data(path)).collect();
    eventually("five requests answered (and dropped)", PATIENCE, || {
        frames(&proxy, Direction::ToServer) >= sent + 5
            && frames(&proxy, Direction::ToClient) >= replied + 5
    })
    .await;
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    proxy.close_all();

    for call in calls {
        assert_eq!(
            within("a call cut off", call).await,
            Err(Error::ConnectionLoss)
        );
    }
    // A call made after the cut goes through on the next connection.
    assert_eq!(zk.get_data(path).await.unwrap().0, "x");
    assert_connected(&zk, session);
    zk.close().await;
}

#[tokio::test]
async fn a_watch_dropped_just_before_a_cut_is_not_set_again_after_the_reconnect() {
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let path = "/tokio-dropped-before-cut";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let stream = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();
    let mut states = zk.state_changes();

    // The removal reaches the server, its answer never comes back: the cut fails it.
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
    let sent = frames(&proxy, Direction::ToServer);
    drop(stream);
    eventually("the removal sent", PATIENCE, || {
        frames(&proxy, Direction::ToServer) > sent
    })
    .await;
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    proxy.close_all();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);

    // Nobody holds the watch: it is not set again on the new connection.
    settled(&zk).await;
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Any).await,
        Ok(false)
    );
    zk.close().await;
}

#[tokio::test]
async fn a_call_timeout_fails_a_call_the_server_is_slow_to_answer_and_leaves_no_watch_here() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let call_timeout = Duration::from_millis(500);
    let zk = connect(
        &proxy.connect_string(),
        options(LONG).call_timeout(call_timeout),
    )
    .await;
    let session = zk.session_id();
    let path = "/tokio-call-timeout";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();

    proxy.set_fault(Direction::ToClient, Fault::Delay(Duration::from_secs(2)));
    let started = Instant::now();
    assert!(matches!(
        zk.get_data_watch(path).await,
        Err(Error::Timeout(t)) if t == call_timeout
    ));
    let took = started.elapsed();
    assert!(
        took >= call_timeout && took < call_timeout + AT_ONCE,
        "{took:?}"
    );

    // The late reply, once it comes, registers nothing (the server, which applied
    // the request, holds the watch; its notification will fire nothing here).
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    settled(&zk).await;
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_connected(&zk, session);
    assert_eq!(zk.exists(path).await.unwrap().unwrap().version, 0);
    zk.close().await;
}

#[tokio::test]
async fn a_dropped_watch_calls_late_reply_has_its_watch_removed_at_once_though_a_call_raced_it() {
    // LONG: the idle client's next ping, the driver's next own reason to run, is 9 s
    // away; the removal must not wait for it.
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let path = "/tokio-dropped-watch-call-raced";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, earlier) = zk.get_data_watch(path).await.unwrap();
    let (sent, replied) = (
        frames(&proxy, Direction::ToServer),
        frames(&proxy, Direction::ToClient),
    );

    // Its caller gone at once; the driver writes it when this task yields.
    drop(zk.get_data_watch(path));
    tokio::task::yield_now().await;
    // This (current-thread) runtime's one thread is held, so that the reply is in the
    // socket before the driver can look: the runtime sees it at this task's next
    // yield, and runs this task before the driver.
    common::eventually("the request sent and its reply forwarded", PATIENCE, || {
        let to_client = proxy.stats(Direction::ToClient);
        frames(&proxy, Direction::ToServer) > sent
            && to_client.frames - to_client.pings > replied
            && to_client.bytes_written == to_client.bytes_read
    });
    tokio::task::yield_now().await;
    // A call that wakes the driver, answered without the server: the driver reads
    // the late reply in the turn this call started, and queues the watch's removal.
    zk.remove_watch_locally(earlier.handle()).await.unwrap();

    let started = Instant::now();
    eventually("the removal sent and answered", AT_ONCE, || {
        zk.outstanding() == 0
    })
    .await;
    let took = started.elapsed();
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(false),
        "after {took:?}"
    );
    zk.close().await;
}

// ----- an ensemble member dies ------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_and_its_watches_move_to_another_member_when_its_member_is_killed() {
    let timeout = Duration::from_secs(8);
    let mut ensemble = Ensemble::start(
        3,
        &ServerOptions::default().tick_time(Duration::from_millis(500)),
    )
    .unwrap_or_else(|err| panic!("starting the ensemble: {err}"));
    let leader = ensemble.wait_for_leader(PATIENCE).unwrap();
    // On a follower, so that its death needs no election; the seed orders the hosts.
    let mut on_follower = None;
    for seed in 0..32 {
        let zk = connect(&ensemble.connect_string(), options(timeout).seed(seed)).await;
        match member_holding(&ensemble, zk.session_id()) {
            Some(member) if member != leader => {
                on_follower = Some((zk, member));
                break;
            }
            _ => zk.close().await,
        }
    }
    let (zk, on) = on_follower.expect("a seed that puts the client on a follower");
    let session = zk.session_id();
    let (kept, tree) = ("/tokio-member-kept", "/tokio-member-tree");
    zk.create(kept, "", CreateMode::Ephemeral).await.unwrap();
    zk.create(tree, "", CreateMode::Persistent).await.unwrap();
    let (_, _, watch) = zk.get_data_watch(kept).await.unwrap();
    let mut stream = zk
        .add_watch(tree, AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    let mut states = zk.state_changes();

    ensemble.member_mut(on).kill().unwrap();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    assert_connected(&zk, session);
    let now_on = member_holding(&ensemble, session).expect("a member holds the session");
    assert_ne!(now_on, on);
    // This round trip also makes sure that the new member has the watches again
    // (SetWatches goes out right after the handshake).
    let stat = zk
        .exists(kept)
        .await
        .unwrap()
        .expect("the ephemeral is kept");
    assert_eq!(stat.ephemeral_owner, session);

    // Both watches were set again on the new member.
    let other = observer(ensemble.member(leader)).await;
    other.set_data(kept, "changed", Version::Any).await.unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::NodeDataChanged, kept)
    );
    let kid = format!("{tree}/kid");
    other.create(&kid, "", CreateMode::Ephemeral).await.unwrap();
    assert_eq!(
        what(&next_watch(&mut stream).await),
        (EventType::NodeCreated, kid.as_str())
    );
    zk.close().await;
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_client_reads_from_a_minority_member_until_quorum_returns() {
    let timeout = Duration::from_secs(8);
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
    let path = "/tokio-read-only";
    let setup = connect(&connect_string, options(timeout)).await;
    setup
        .create(path, "readable", CreateMode::Persistent)
        .await
        .unwrap();
    setup.close().await;

    ensemble.member_mut(1).kill().unwrap();
    ensemble.member_mut(2).kill().unwrap();
    let survivor = ensemble.member(3).address();
    eventually("member 3 serves read-only", PATIENCE * 2, || {
        is_read_only(survivor).unwrap_or(false)
    })
    .await;

    let zk = connect(&connect_string, options(timeout).read_only(true)).await;
    assert_eq!(zk.state(), SessionState::ConnectedReadOnly);
    let mut states = zk.state_changes();
    assert_eq!(zk.get_data(path).await.unwrap().0, "readable");
    assert_eq!(
        zk.set_data(path, "x", Version::Any).await,
        Err(Error::NotReadOnly)
    );
    assert_eq!(
        zk.create("/tokio-read-only-write", "", CreateMode::Persistent)
            .await,
        Err(Error::NotReadOnly)
    );
    assert_eq!(zk.state(), SessionState::ConnectedReadOnly);

    // Quorum returns; nobody calls the client meanwhile: its driver probes the hosts
    // and moves to a read-write one by itself.
    let restart = tokio::task::spawn_blocking(move || {
        ensemble.member_mut(1).restart().expect("member 1 rejoins");
        ensemble
    });
    let mut seen = Vec::new();
    while seen.last() != Some(&KeeperState::SyncConnected) {
        let next = within_for("a read-write server", PATIENCE * 4, states.next()).await;
        seen.push(next.expect("the session lives"));
    }
    let _ensemble = within_for("member 1's restart", PATIENCE * 3, restart)
        .await
        .expect("the restart task");
    assert_eq!(seen.first(), Some(&KeeperState::Disconnected), "{seen:?}");
    assert!(
        seen.iter().all(|s| matches!(
            s,
            KeeperState::Disconnected | KeeperState::ConnectedReadOnly | KeeperState::SyncConnected
        )),
        "{seen:?}"
    );
    assert_eq!(zk.state(), SessionState::Connected);
    assert_eq!(
        zk.create("/tokio-read-write-again", "", CreateMode::Ephemeral)
            .await,
        Ok("/tokio-read-write-again".to_string())
    );
    zk.close().await;
}

// ----- expiry -------------------------------------------------------------------------

/// A client on [`short_session_server`] through a proxy, its state stream, and the
/// proxy; after `set_up`, the proxy drops everything both ways until the client has
/// noticed (Disconnected). No server hears from the client again: after 4/3 T the
/// session is expired.
async fn blackholed(root: &str) -> (Client, FaultProxy, zk_tokio::StateChanges) {
    let (zk, proxy) = through_proxy(short_session_server(), SHORT).await;
    assert_eq!(zk.negotiated_timeout(), Some(SHORT));
    zk.create(root, "", CreateMode::Ephemeral).await.unwrap();
    let states = zk.state_changes();
    (zk, proxy, states)
}

#[tokio::test]
async fn an_expiry_by_blackhole_ends_the_state_stream_with_expired() {
    let root = "/tokio-expiry-states";
    let (zk, proxy, mut states) = blackholed(root).await;
    let other = observer(short_session_server()).await;
    proxy.set_faults(Fault::Blackhole);
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::Expired);
    assert_eq!(within("the end of the stream", states.next()).await, None);
    assert_eq!(zk.state(), SessionState::Expired);

    // The server expired it too.
    on_tokio::until("the server drops the ephemeral", PATIENCE, || {
        let exists = other.exists(root);
        async move { exists.await.unwrap().is_none() }
    })
    .await;
    other.close().await;
}

#[tokio::test]
async fn calls_waiting_when_the_session_expires_fail_with_session_expired() {
    let root = "/tokio-expiry-calls";
    let (zk, proxy, mut states) = blackholed(root).await;
    proxy.set_faults(Fault::Blackhole);
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);

    // Queued at call time, while no server answers.
    let exists = tokio::spawn(zk.exists(root));
    let get = tokio::spawn(zk.get_data(root));
    let set = tokio::spawn(zk.set_data(root, "x", Version::Any));
    let create = tokio::spawn(zk.create("/tokio-expiry-never", "", CreateMode::Ephemeral));
    let pending = zk.submit(Request::get_children("/", false)).unwrap();
    assert_eq!(zk.outstanding(), 5);
    assert_eq!(
        zk.state(),
        SessionState::Connecting,
        "expired before the calls were made (a very loaded machine?)"
    );

    assert_eq!(joined("exists", exists).await, Err(Error::SessionExpired));
    assert_eq!(joined("get_data", get).await, Err(Error::SessionExpired));
    assert_eq!(joined("set_data", set).await, Err(Error::SessionExpired));
    assert_eq!(joined("create", create).await, Err(Error::SessionExpired));
    assert_eq!(
        within("the submitted request", pending).await.result,
        Err(Error::SessionExpired)
    );
    assert_eq!(zk.outstanding(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_held_when_the_session_expires_end_with_session_expired() {
    let root = "/tokio-expiry-watches";
    let (zk, proxy, _) = blackholed(root).await;
    let (_, _, watch) = zk.get_data_watch(root).await.unwrap();
    let mut stream = zk.add_watch(root, AddWatchMode::Persistent).await.unwrap();
    proxy.set_faults(Fault::Blackhole);

    assert_eq!(
        within("the one-shot watch", watch).await,
        Err(Error::SessionExpired)
    );
    let end = next_event(&mut stream).await;
    assert!(
        matches!(
            end,
            Event::Session {
                state: KeeperState::Expired,
                reason: Some(StateReason::ExpiredUnheard { .. })
            }
        ),
        "the stream ends on the expiry, and why: {end:?}"
    );
    assert_eq!(within("the end of the stream", stream.next()).await, None);
}

#[tokio::test]
async fn after_an_expiry_every_call_fails_at_once_with_session_expired() {
    let root = "/tokio-expiry-after";
    let (zk, proxy, mut states) = blackholed(root).await;
    proxy.set_faults(Fault::Blackhole);
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::Expired);

    let started = Instant::now();
    assert_eq!(zk.exists(root).await, Err(Error::SessionExpired));
    assert_eq!(
        zk.create(root, "", CreateMode::Ephemeral).await,
        Err(Error::SessionExpired)
    );
    assert!(matches!(
        zk.get_data_watch(root).await,
        Err(Error::SessionExpired)
    ));
    assert!(matches!(
        zk.add_watch(root, AddWatchMode::Persistent).await,
        Err(Error::SessionExpired)
    ));
    assert!(matches!(
        zk.submit(Request::exists("/", false)),
        Err(Error::SessionExpired)
    ));
    assert_eq!(
        zk.add_auth("digest", "late:pw").await,
        Err(Error::SessionExpired)
    );
    assert_eq!(
        zk.wait_until_connected(PATIENCE).await,
        Err(Error::SessionExpired)
    );
    let mut late = zk.state_changes();
    assert_eq!(within("a late state stream", late.next()).await, None);
    zk.close().await;
    let took = started.elapsed();
    assert!(took < AT_ONCE, "calls after the expiry took {took:?}");
    assert_eq!(zk.state(), SessionState::Expired, "close changes nothing");
    no_task_left().await;
}

#[tokio::test]
async fn a_session_resumed_from_its_credentials_by_another_client_keeps_its_ephemerals() {
    let root = "/tokio-resumed";
    let (first, proxy) = through_proxy(short_session_server(), SHORT).await;
    first.create(root, "", CreateMode::Ephemeral).await.unwrap();
    let credentials = first.credentials().expect("a session");
    // The first client is cut off, and can no longer take the session back.
    proxy.set_faults(Fault::Blackhole);

    let second = connect(
        &short_session_server().connect_string(),
        options(SHORT).resume(credentials.clone()),
    )
    .await;
    assert_eq!(second.credentials(), Some(credentials));
    assert_eq!(second.get_ephemerals(root).await.unwrap(), [root]);
    let stat = second
        .exists(root)
        .await
        .unwrap()
        .expect("the ephemeral is kept");
    assert_eq!(stat.ephemeral_owner, second.session_id());
    second.close().await;
}

// ----- idle -------------------------------------------------------------------------

/// The bytes of a ping request: the length prefix and the request header (xid -2,
/// type 11), no body.
const PING_BYTES: u64 = 4 + 8;

on_both_runtimes!(an_idle_client_keeps_its_session_for_five_session_timeouts_with_pings_alone);

async fn an_idle_client_keeps_its_session_for_five_session_timeouts_with_pings_alone(root: &str) {
    let (zk, proxy) = through_proxy(short_session_server(), SHORT).await;
    assert_eq!(zk.negotiated_timeout(), Some(SHORT));
    let session = zk.session_id();
    zk.create(root, "mine", CreateMode::Ephemeral)
        .await
        .unwrap();
    let mut states = zk.state_changes();
    let before = proxy.stats(Direction::ToServer);

    // Nobody calls: only the driver task can keep the session alive.
    tokio::time::sleep(5 * SHORT).await;

    let sent = proxy.stats(Direction::ToServer);
    let pings = sent.pings - before.pings;
    // An idle session pings every T/3 (about 15 times here); fewer than one per T
    // and the server would have expired it.
    assert!(pings >= 5, "{pings} pings in {:?}", 5 * SHORT);
    assert_eq!(sent.frames - before.frames, pings, "nothing but pings");
    assert_eq!(sent.bytes_read - before.bytes_read, pings * PING_BYTES);
    assert_eq!(proxy.accepted(), 1, "never reconnected");
    assert_eq!(queued_state(&mut states), None, "no state change");
    assert_connected(&zk, session);
    let stat = zk
        .exists(root)
        .await
        .unwrap()
        .expect("the ephemeral is kept");
    assert_eq!(stat.ephemeral_owner, session);
    zk.close().await;
}

// ----- a lone call's own write ---------------------------------------------------------
// A call made on an idle session, from inside the client's runtime, writes its request
// to the socket itself (through a second handle on it) instead of waking the driver task.

/// How many of this process's file descriptors are TCP sockets connected to `port` on
/// this host (the client's side of its connections, whatever their state), from /proc.
#[cfg(target_os = "linux")]
fn sockets_to(port: u16) -> usize {
    let port = format!(":{port:04X}");
    let mut inodes = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 9 && fields[2].ends_with(&port) && fields[9] != "0" {
                inodes.insert(format!("socket:[{}]", fields[9]));
            }
        }
    }
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|link| inodes.contains(link.to_string_lossy().as_ref()))
        .count()
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_socket_outlives_its_connection_across_twenty_reconnects_after_lone_calls() {
    let (zk, proxy) = through_proxy(shared_standalone(), LONG).await;
    let port = proxy.address().port();
    let live = sockets_to(port);
    assert!(
        (1..=2).contains(&live),
        "{live} descriptors for one connection"
    );
    let mut states = zk.state_changes();
    for i in 0..20 {
        assert!(zk.exists("/").await.unwrap().is_some());
        if i % 2 == 0 {
            proxy.close_all();
        } else {
            proxy.reset_all();
        }
        assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
        assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    }
    barrier(&zk).await;
    assert_eq!(proxy.accepted(), 21);
    eventually("the cut connections' sockets closed", PATIENCE, || {
        sockets_to(port) == live
    })
    .await;

    // The server goes for good (every dial refused): nothing may hold the connection
    // it closed half-open meanwhile.
    assert!(zk.exists("/").await.unwrap().is_some());
    tokio::task::spawn_blocking(move || drop(proxy))
        .await
        .unwrap();
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    eventually("the closed connection's socket closed", PATIENCE, || {
        sockets_to(port) == 0
    })
    .await;
}

on_both_runtimes!(
    a_lone_call_whose_request_meets_a_closing_connection_fails_with_connection_loss_once
);

async fn a_lone_call_whose_request_meets_a_closing_connection_fails_with_connection_loss_once(
    root: &str,
) {
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let other = observer(server).await;
    let session = zk.session_id();
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let mut states = zk.state_changes();
    // The next byte the client sends closes the connection instead of reaching the
    // server: the request is written whole into a connection going down.
    proxy.set_fault(Direction::ToServer, Fault::CutAfter(0));
    let lost = within(
        "a call cut off",
        zk.create(&format!("{root}/lost"), "", CreateMode::Persistent),
    )
    .await;
    assert_eq!(lost, Err(Error::ConnectionLoss));
    proxy.set_fault(Direction::ToServer, Fault::Pass);
    assert_eq!(next_state(&mut states).await, KeeperState::Disconnected);
    assert_eq!(next_state(&mut states).await, KeeperState::SyncConnected);
    assert_connected(&zk, session);
    // Never sent again: the server never saw it.
    let kept = format!("{root}/kept");
    assert_eq!(
        zk.create(&kept, "", CreateMode::Persistent).await,
        Ok(kept.clone())
    );
    assert_eq!(other.get_children(root).await.unwrap(), ["kept"]);
    assert_eq!(zk.outstanding(), 0);
    zk.close().await;
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lone_calls_racing_connection_cuts_each_complete_once_and_none_is_applied_twice() {
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let other = observer(server).await;
    let root = "/tokio-lone-calls-cut";
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let prefix = format!("{root}/n-");
    let caller = {
        let (zk, prefix) = (zk.clone(), prefix.clone());
        tokio::spawn(async move {
            let mut results = Vec::new();
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until {
                let i = results.len();
                let created = zk.create(&prefix, i.to_string(), CreateMode::PersistentSequential);
                results.push(created.await);
            }
            results
        })
    };
    let mut cuts = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(40 + cuts % 3 * 7)).await;
        if caller.is_finished() {
            break;
        }
        if cuts % 2 == 0 {
            proxy.close_all();
        } else {
            proxy.reset_all();
        }
        cuts += 1;
    }
    let results = joined("the caller", caller).await;
    assert!(
        proxy.accepted() > 5,
        "cut {cuts} times, {} connections",
        proxy.accepted()
    );

    let mut applied = std::collections::HashMap::new();
    for child in other.get_children(root).await.unwrap() {
        let (data, _) = other.get_data(&format!("{root}/{child}")).await.unwrap();
        let i: usize = std::str::from_utf8(&data).unwrap().parse().unwrap();
        let twice = applied.insert(i, format!("{root}/{child}"));
        assert_eq!(twice, None, "call {i} applied twice");
    }
    let lost = results.iter().filter(|r| r.is_err()).count();
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(path) => assert_eq!(applied.get(&i), Some(path), "call {i}"),
            Err(Error::ConnectionLoss) => {}
            Err(other) => panic!("call {i}: {other:?}"),
        }
    }
    assert!(applied.len() <= results.len() && applied.len() >= results.len() - lost);
    assert_eq!(zk.outstanding(), 0);
    zk.close().await;
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_racing_lone_calls_leaves_applied_exactly_the_calls_that_succeeded() {
    let server = shared_standalone();
    let zk = connect(&server.connect_string(), options(LONG)).await;
    let other = observer(server).await;
    let root = "/tokio-close-racing-lone-calls";
    other
        .create(root, "", CreateMode::Persistent)
        .await
        .unwrap();
    let callers: Vec<_> = (0..2)
        .map(|task| {
            let zk = zk.clone();
            tokio::spawn(async move {
                let mut results = Vec::new();
                loop {
                    let path = format!("{root}/t{task}-{:05}", results.len());
                    let created = zk.create(&path, "", CreateMode::Persistent).await;
                    let closed = created.is_err();
                    results.push((path, created));
                    if closed {
                        return results;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    zk.close().await;
    for caller in callers {
        let results = joined("a caller", caller).await;
        assert!(results.len() > 1, "the caller made calls before the close");
        for (path, created) in results {
            let exists = other.exists(&path).await.unwrap().is_some();
            match created {
                Ok(created) => assert!(created == path && exists, "{path}"),
                Err(Error::Closed) => assert!(!exists, "{path} was applied, yet failed Closed"),
                Err(e) => panic!("{path}: {e:?}"),
            }
        }
    }
    other.close().await;
}

on_both_runtimes!(a_lone_call_whose_reply_never_comes_fails_with_request_timeout_in_time);

async fn a_lone_call_whose_reply_never_comes_fails_with_request_timeout_in_time(root: &str) {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let timeout = Duration::from_millis(500);
    let zk = connect(
        &proxy.connect_string(),
        options(LONG).request_timeout(timeout),
    )
    .await;
    barrier(&zk).await;
    // The deadline of the lone request is earlier than any the driver's timer is armed
    // for (the next ping's, a third of the session timeout away).
    proxy.set_fault(Direction::ToClient, Fault::Blackhole);
    let started = Instant::now();
    let timed_out = within("a request timeout", zk.exists(root)).await;
    let took = started.elapsed();
    assert_eq!(timed_out, Err(Error::RequestTimeout));
    assert!(took >= timeout && took < timeout + AT_ONCE, "took {took:?}");
    proxy.set_fault(Direction::ToClient, Fault::Pass);
    assert_eq!(
        within("a call after the reset", zk.exists(root)).await,
        Ok(None)
    );
    zk.close().await;
}

// ----- close --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_on_the_wire_before_close_get_their_replies_before_the_session_closes() {
    let server = shared_standalone();
    let (zk, proxy) = through_proxy(server, LONG).await;
    let root = "/tokio-close-answers";
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    // Replies take a while: the calls are still waiting when close runs.
    proxy.set_fault(
        Direction::ToClient,
        Fault::Delay(Duration::from_millis(300)),
    );
    let sent = frames(&proxy, Direction::ToServer);
    let calls: Vec<_> = (0..50)
        .map(|i| tokio::spawn(zk.create(&format!("{root}/n{i:02}"), "", CreateMode::Persistent)))
        .collect();
    eventually("the fifty requests on the wire", PATIENCE, || {
        frames(&proxy, Direction::ToServer) >= sent + 50
    })
    .await;
    assert_eq!(zk.outstanding(), 50);

    zk.close().await;
    assert_eq!(zk.state(), SessionState::Closed);
    for (i, call) in calls.into_iter().enumerate() {
        assert_eq!(
            joined("a call on the wire at close", call).await,
            Ok(format!("{root}/n{i:02}"))
        );
    }
}

#[tokio::test]
async fn close_returns_after_the_close_timeout_when_the_server_is_silent() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let close_timeout = Duration::from_millis(500);
    let zk = connect(
        &proxy.connect_string(),
        options(LONG).close_timeout(close_timeout),
    )
    .await;
    let mut states = zk.state_changes();
    proxy.set_faults(Fault::Blackhole);
    let calls: Vec<_> = (0..50)
        .map(|i| tokio::spawn(zk.exists(&format!("/tokio-silent-{i}"))))
        .collect();

    let started = Instant::now();
    zk.close().await;
    let took = started.elapsed();
    // The client's own slack beyond the close timeout is 500 ms.
    assert!(
        took >= close_timeout && took < close_timeout + Duration::from_secs(1),
        "close took {took:?}"
    );
    assert_eq!(zk.state(), SessionState::Closed);
    for call in calls {
        assert_eq!(joined("a call at close", call).await, Err(Error::Closed));
    }
    assert_eq!(next_state(&mut states).await, KeeperState::Closed);
    assert!(matches!(
        zk.submit(Request::exists("/", false)),
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn waiting_to_be_connected_while_the_session_closes_fails_with_closed() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let close_timeout = Duration::from_secs(1);
    let zk = connect(
        &proxy.connect_string(),
        options(LONG).close_timeout(close_timeout),
    )
    .await;
    // The server never confirms the close: the session stays Closing for a while.
    proxy.set_faults(Fault::Blackhole);
    let closing = tokio::spawn({
        let zk = zk.clone();
        async move { zk.close().await }
    });
    eventually("the session closing", PATIENCE, || {
        zk.state() == SessionState::Closing
    })
    .await;

    let started = Instant::now();
    assert_eq!(
        within("waiting to be connected", zk.wait_until_connected(PATIENCE)).await,
        Err(Error::Closed)
    );
    assert!(started.elapsed() < close_timeout + AT_ONCE);
    joined("the close", closing).await;
    assert_eq!(zk.state(), SessionState::Closed);
}
