//! Scenarios for the thread-backed [`SharedClient`] (issue 12), on real servers and the
//! fault proxy: a session kept alive with no caller, many threads on one client, watch
//! events in wire order (across a reconnect and a member's death), an event channel
//! nobody reads, close and expiry seen by callers in flight, and callbacks.
//!
//! Written against the API contract (notes/shared-client-api.md): calls in flight when
//! the session ends fail with the session's error (`Closed` after `close`,
//! `SessionExpired` after expiry), every later call fails with it at once, the event
//! channel is bounded by `max_queued_events` plus one `Event::Overflow`, and dropping
//! the last clone joins the client's threads ("zk-io", "zk-events").
//!
//! Tests that count the process's threads run alone: every test of this file takes
//! [`SERIAL`] (shared), those take it exclusively, so no other test of this process
//! starts or ends a client meanwhile. The heaviest test (eight threads) runs alone too,
//! so that it does not load the machine under the timing-sensitive ones.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use common::{
    PATIENCE, assert_kept_then_overflow, eventually, fast_server, member_holding, only_states,
    options, state_of, watch_summaries,
};
use zk_blocking::{
    AddWatchMode, Client, Completion, CreateMode, Error, Event, EventType, Events, KeeperState,
    Options, PendingReply, Request, Response, SessionState, SharedClient, Transaction, Version,
    WatchHandle,
};
use zk_tests::proxy::{Direction, Fault, FaultProxy, OnAccept};
use zk_tests::{Ensemble, ServerOptions, ZkServer, shared_standalone};

/// A session timeout nothing in these scenarios comes near (the shared server allows
/// 4–40 s).
const LONG: Duration = Duration::from_secs(20);

/// The short session timeout `T` of the idle, blocked-consumer and expiry scenarios
/// (on [`short_session_server`], which allows 0.4–4 s).
const SHORT: Duration = Duration::from_secs(3);

/// "At once", for a call that must not wait for anything: generous, the machine may be
/// loaded, yet far below every timeout that could make such a call return.
const AT_ONCE: Duration = Duration::from_secs(2);

// ----- running alone -----------------------------------------------------------------

/// Taken shared by every test of this file, exclusively by the ones that count threads
/// (or load the machine).
static SERIAL: RwLock<()> = RwLock::new(());

fn alongside_others() -> RwLockReadGuard<'static, ()> {
    SERIAL.read().unwrap_or_else(PoisonError::into_inner)
}

fn alone() -> RwLockWriteGuard<'static, ()> {
    SERIAL.write().unwrap_or_else(PoisonError::into_inner)
}

// ----- servers and clients -------------------------------------------------------------

/// A standalone server with a small tick, so that [`SHORT`] sessions are allowed;
/// shared by the scenarios of this file that need one.
fn short_session_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| fast_server(|o| o))
}

/// Connects a shared client and takes the first event, `SyncConnected`, from its
/// channel, so that later checks see only what the scenario caused.
fn connect_shared(connect_string: &str, options: Options) -> (SharedClient, Events) {
    let zk = SharedClient::connect(connect_string, options)
        .unwrap_or_else(|err| panic!("connecting a shared client to {connect_string}: {err}"));
    let events = zk.events();
    assert_eq!(
        events.recv_timeout(PATIENCE),
        Ok(Some(Event::Session {
            state: KeeperState::SyncConnected,
            reason: None
        })),
        "the first event of a new shared client"
    );
    (zk, events)
}

/// A blocking client for making changes and looking from outside; its events are not
/// read.
fn observer(connect_string: &str) -> Client {
    Client::connect(connect_string, options(LONG))
        .unwrap_or_else(|err| panic!("connecting an observer to {connect_string}: {err}"))
}

/// A round trip: the server sends a session its notifications before the reply to any
/// later request, and the client hands events out in wire order, so once this returns
/// every notification caused by a change completed before it is in the channel.
fn barrier(zk: &SharedClient) {
    zk.exists("/").expect("barrier round trip");
}

// ----- calls that give up --------------------------------------------------------------

#[test]
fn a_call_that_timed_out_fails_with_timeout_and_its_late_reply_sets_no_watch() {
    let _serial = alongside_others();
    let mut server = fast_server(|o| o);
    let (zk, events) = connect_shared(
        &server.connect_string(),
        options(LONG).call_timeout(Duration::from_millis(300)),
    );
    zk.create("/gave-up", "", CreateMode::Persistent).unwrap();

    server.pause().unwrap();
    let timed_out = zk.get_data_watch("/gave-up");
    // A handle dropped unawaited: its reply is discarded when it comes.
    drop(zk.submit(Request::get_data("/gave-up", true)).unwrap());
    server.resume().unwrap();
    assert!(
        matches!(timed_out, Err(Error::Timeout(_))),
        "a call on a paused server fails with Timeout, got {timed_out:?}"
    );
    // The late replies come before this round trip's.
    barrier(&zk);

    observer(&server.connect_string())
        .set_data("/gave-up", "changed", Version::Any)
        .unwrap();
    barrier(&zk);
    let fired: Vec<Event> = queued(&events)
        .into_iter()
        .filter(|e| matches!(e, Event::Watch(_)))
        .collect();
    assert_eq!(
        fired.len(),
        1,
        "only the dropped handle's watch fires (the timed-out call left none): {fired:?}"
    );
    assert_eq!(
        zk.get_data("/gave-up").unwrap().0,
        "changed",
        "the client still serves"
    );
}

#[test]
fn a_timed_out_add_watch_puts_no_event_in_the_channel_however_often_its_node_changes() {
    let _serial = alongside_others();
    let mut server = fast_server(|o| o);
    let (zk, events) = connect_shared(
        &server.connect_string(),
        options(LONG).call_timeout(Duration::from_millis(300)),
    );
    zk.create("/gave-up-persistent", "", CreateMode::Persistent)
        .unwrap();
    let (_, mine) = zk.exists_watch("/gave-up-persistent").unwrap();

    server.pause().unwrap();
    let timed_out = zk.add_watch("/gave-up-persistent", AddWatchMode::Persistent);
    server.resume().unwrap();
    assert!(
        matches!(timed_out, Err(Error::Timeout(_))),
        "got {timed_out:?}"
    );
    // The server answers the late addWatch, and holds that persistent watch.
    barrier(&zk);

    let mut other = observer(&server.connect_string());
    for change in 0..3 {
        other
            .set_data("/gave-up-persistent", change.to_string(), Version::Any)
            .unwrap();
    }
    barrier(&zk);
    let fired: Vec<Vec<WatchHandle>> = queued(&events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Watch(w) => Some(w.watches),
            _ => None,
        })
        .collect();
    assert_eq!(
        fired,
        [vec![mine]],
        "only the watch this client holds fired, once; the abandoned one never shows"
    );
    other.close();
}

#[test]
fn a_call_on_a_session_no_server_ever_established_fails_with_no_hosts_after_the_connect_timeout() {
    let _serial = alongside_others();
    // Nothing listens there: every dial is refused, and the session, never
    // established, cannot expire.
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let connect_timeout = Duration::from_secs(1);
    let zk = SharedClient::start(
        &nowhere.to_string(),
        options(LONG).connect_timeout(connect_timeout),
    )
    .unwrap();

    let calls: Vec<_> = (0..3)
        .map(|i| {
            let zk = zk.clone();
            spawn_named(format!("never-connected-{i}"), move || {
                let started = Instant::now();
                (zk.get_children("/"), started.elapsed())
            })
        })
        .collect();
    for (result, took) in join_within("calls on a session never established", PATIENCE, calls) {
        match result {
            Err(Error::NoHosts { hosts, detail, .. }) => {
                assert_eq!(hosts, nowhere.to_string());
                assert!(!detail.is_empty(), "the error says what went wrong");
            }
            other => panic!("expected NoHosts, got {other:?}"),
        }
        assert!(
            took >= connect_timeout && took < connect_timeout + AT_ONCE,
            "the call took {took:?}, the connect timeout is {connect_timeout:?}"
        );
    }
    assert_eq!(zk.outstanding(), 0, "the calls gave up their requests");
    let started = Instant::now();
    drop(zk);
    assert!(
        started.elapsed() < AT_ONCE,
        "dropping took {:?}",
        started.elapsed()
    );
}

// ----- events --------------------------------------------------------------------------

/// The next event, within [`PATIENCE`].
fn next_event(events: &Events) -> Event {
    match events.recv_timeout(PATIENCE) {
        Ok(Some(event)) => event,
        Ok(None) => panic!("no event within {PATIENCE:?}"),
        Err(err) => panic!("the session ended ({err}) before the next event"),
    }
}

/// Events until one satisfies `wanted`, that one last.
fn events_until(events: &Events, wanted: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = match events.recv_timeout(PATIENCE) {
            Ok(Some(event)) => event,
            Ok(None) => panic!("no wanted event within {PATIENCE:?}; saw {seen:?}"),
            Err(err) => panic!("the session ended ({err}) before the wanted event; saw {seen:?}"),
        };
        let done = wanted(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// Events until the session state event `state`, that one last.
fn until_state(events: &Events, state: KeeperState) -> Vec<Event> {
    events_until(events, |e| state_of(e) == Some(state))
}

/// Every event already in the channel, without waiting for more.
fn queued(events: &Events) -> Vec<Event> {
    let mut all = Vec::new();
    while let Ok(Some(event)) = events.try_recv() {
        all.push(event);
    }
    all
}

/// Watch handles in the order [`common::watch_summary`] sorts them.
fn sorted(mut handles: Vec<WatchHandle>) -> Vec<WatchHandle> {
    handles.sort_by_key(|w| w.id());
    handles
}

/// A submitted request's outcome as one `Result`, whether the failure is the wait's or
/// the operation's.
fn outcome(reply: Result<Completion, Error>) -> Result<Response, Error> {
    reply.and_then(|completion| completion.result)
}

/// The error of a `submit` that should fail (a `PendingReply` has no `Debug`).
fn submit_error(submitted: Result<PendingReply, Error>) -> Error {
    match submitted {
        Ok(pending) => panic!("submit accepted request {:?}", pending.id()),
        Err(err) => err,
    }
}

// ----- threads -------------------------------------------------------------------------

/// The process's threads by id, with their names (`/proc/self/task/*/comm`, at most 15
/// bytes).
fn threads() -> BTreeMap<u32, String> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| {
            let task = task.ok()?;
            let tid = task.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(task.path().join("comm")).ok()?;
            Some((tid, name.trim_end().to_string()))
        })
        .collect()
}

/// Waits until every thread started since `before` has ended (the client's "zk-io" and
/// "zk-events" among them; a joined thread may linger in /proc for a moment), except
/// the test harness's own: it may start a thread for the next test meanwhile, named after the
/// test (snake case), where every thread a client or this file names has a `-`.
fn assert_no_thread_left(before: &BTreeMap<u32, String>) {
    let left = || -> Vec<String> {
        threads()
            .into_iter()
            .filter(|(tid, name)| !before.contains_key(tid) && name.contains('-'))
            .map(|(tid, name)| format!("{name} ({tid})"))
            .collect()
    };
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = left();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "threads still running {PATIENCE:?} after the last clone was dropped: {left:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Joins every thread, failing the test instead of hanging when they are not all done
/// within `bound`; a thread's panic is the test's.
fn join_within<T>(what: &str, bound: Duration, handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let deadline = Instant::now() + bound;
    while !handles.iter().all(JoinHandle::is_finished) {
        assert!(
            Instant::now() < deadline,
            "{what}: not all done within {bound:?} (deadlock?)"
        );
        thread::sleep(Duration::from_millis(20));
    }
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect()
}

fn spawn_named<T: Send + 'static>(
    name: String,
    work: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    thread::Builder::new()
        .name(name)
        .spawn(work)
        .expect("spawning a test thread")
}

// ----- idle ----------------------------------------------------------------------------

#[test]
fn an_idle_client_keeps_its_session_and_ephemerals_for_five_session_timeouts() {
    let _serial = alongside_others();
    let server = short_session_server();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let (zk, events) = connect_shared(&proxy.connect_string(), options(SHORT));
    assert_eq!(zk.negotiated_timeout(), Some(SHORT));
    let session = zk.session_id();
    zk.create("/shared-idle", "mine", CreateMode::Ephemeral)
        .unwrap();
    let pings_before = proxy.stats(Direction::ToServer).pings;

    // No call at all: only the client's own thread can keep the session alive.
    thread::sleep(5 * SHORT);

    let pings = proxy.stats(Direction::ToServer).pings - pings_before;
    // An idle session pings every T/3 (about 15 here); fewer than one per T and the
    // server would have expired it.
    assert!(pings >= 5, "{pings} pings in {:?}", 5 * SHORT);
    assert_eq!(zk.session_id(), session, "the same session");
    assert_eq!(zk.state(), SessionState::Connected);
    assert_eq!(proxy.accepted(), 1, "never reconnected");
    assert_eq!(queued(&events), [], "no disconnect, no expiry");

    let mut other = observer(&server.connect_string());
    let stat = other
        .exists("/shared-idle")
        .unwrap()
        .expect("the ephemeral is still there");
    assert_eq!(stat.ephemeral_owner, session);
    assert_eq!(zk.get_data("/shared-idle").unwrap().0, "mine");
    other.close();
}

// ----- many threads --------------------------------------------------------------------

/// Threads sharing the client in the stress scenario.
const THREADS: usize = 8;
/// Operations per thread (at least; whole nodes of [`OPS_PER_NODE`]).
const OPS_PER_THREAD: usize = 10_000;
/// Each node goes through create, setData, getData, exists, getChildren (of its
/// directory), delete, exists: seven operations whose results show they ran in order.
const OPS_PER_NODE: usize = 7;
/// Nodes whose operations a thread pipelines at once (7 × 16 = 112 requests in flight).
const WINDOW: usize = 16;
/// The stress scenario's bound; hitting it means a deadlock or a lost reply.
const STRESS_BOUND: Duration = Duration::from_secs(180);

/// One operation of the stress scenario.
#[derive(Debug)]
enum Op {
    Create {
        path: String,
        data: String,
    },
    /// setData at version 0 (so only after the create).
    Set {
        path: String,
        data: String,
    },
    Get {
        path: String,
    },
    Exists {
        path: String,
    },
    Children {
        dir: String,
    },
    /// delete at version 1 (so only after the set).
    Delete {
        path: String,
    },
}

impl Op {
    fn request(&self) -> Request {
        match self {
            Op::Create { path, data } => {
                Request::create(path.clone(), data.clone(), CreateMode::Persistent)
            }
            Op::Set { path, data } => {
                Request::set_data(path.clone(), data.clone(), Version::Exact(0))
            }
            Op::Get { path } => Request::get_data(path.clone(), false),
            Op::Exists { path } => Request::exists(path.clone(), false),
            Op::Children { dir } => Request::get_children(dir.clone(), false),
            Op::Delete { path } => Request::delete(path.clone(), Version::Exact(1)),
        }
    }

    /// The same operation as a typed call, its result as a `Response` for checking.
    fn call(&self, zk: &SharedClient) -> Result<Response, Error> {
        match self {
            Op::Create { path, data } => zk
                .create(path, data, CreateMode::Persistent)
                .map(|path| Response::Create { path, stat: None }),
            Op::Set { path, data } => zk
                .set_data(path, data, Version::Exact(0))
                .map(Response::SetData),
            Op::Get { path } => zk
                .get_data(path)
                .map(|(data, stat)| Response::GetData { data, stat }),
            Op::Exists { path } => zk.exists(path).map(Response::Exists),
            Op::Children { dir } => zk.get_children(dir).map(|children| Response::GetChildren {
                children,
                stat: None,
            }),
            Op::Delete { path } => zk
                .delete(path, Version::Exact(1))
                .map(|()| Response::Delete),
        }
    }
}

/// What the reply to one operation of the stress scenario must be.
#[derive(Debug)]
enum Expect {
    Created { path: String },
    Set { len: usize },
    Data { data: String },
    Exists { len: usize },
    Children { name: String },
    Deleted,
    Gone,
}

/// One node of one worker: its operations, each with the reply it must get. Each
/// result shows that the operations before it ran first, and the data names the worker
/// and the node, so a reply that went to the wrong caller shows too.
fn node_ops(dir: &str, worker: usize, node: usize) -> Vec<(Op, Expect)> {
    let name = format!("n{node:05}");
    let path = format!("{dir}/{name}");
    let created = format!("worker {worker} node {node} created");
    let set = format!("worker {worker} node {node} set, version 1");
    vec![
        (
            Op::Create {
                path: path.clone(),
                data: created,
            },
            Expect::Created { path: path.clone() },
        ),
        (
            Op::Set {
                path: path.clone(),
                data: set.clone(),
            },
            Expect::Set { len: set.len() },
        ),
        // Sees the set, not the create.
        (
            Op::Get { path: path.clone() },
            Expect::Data { data: set.clone() },
        ),
        (
            Op::Exists { path: path.clone() },
            Expect::Exists { len: set.len() },
        ),
        // The previous node of this worker is already deleted: exactly this one.
        (
            Op::Children {
                dir: dir.to_string(),
            },
            Expect::Children { name },
        ),
        (Op::Delete { path: path.clone() }, Expect::Deleted),
        (Op::Exists { path }, Expect::Gone),
    ]
}

fn check_reply(worker: usize, node: usize, expect: &Expect, reply: Result<Response, Error>) {
    let ok = match (expect, &reply) {
        (Expect::Created { path }, Ok(Response::Create { path: got, .. })) => got == path,
        (Expect::Set { len }, Ok(Response::SetData(stat))) => {
            stat.version == 1 && stat.data_length as usize == *len
        }
        (Expect::Data { data }, Ok(Response::GetData { data: got, stat })) => {
            got.as_ref() == data.as_bytes() && stat.version == 1
        }
        (Expect::Exists { len }, Ok(Response::Exists(Some(stat)))) => {
            stat.version == 1 && stat.data_length as usize == *len
        }
        (Expect::Children { name }, Ok(Response::GetChildren { children, .. })) => {
            children.as_slice() == std::slice::from_ref(name)
        }
        (Expect::Deleted, Ok(Response::Delete)) | (Expect::Gone, Ok(Response::Exists(None))) => {
            true
        }
        _ => false,
    };
    assert!(
        ok,
        "worker {worker}, node {node}: expected {expect:?}, got {reply:?}"
    );
}

/// One worker: its nodes in rounds of [`WINDOW`]; most rounds pipelined (submit all,
/// then wait, in submit order or in reverse), every fourth as typed calls. Returns the
/// number of operations done.
fn stress_worker(zk: &SharedClient, dir: &str, worker: usize, nodes: usize) -> usize {
    let mut done = 0;
    for (round, first) in (0..nodes).step_by(WINDOW).enumerate() {
        let batch = first..(first + WINDOW).min(nodes);
        if round % 4 == 3 {
            for node in batch {
                for (op, expect) in node_ops(dir, worker, node) {
                    check_reply(worker, node, &expect, op.call(zk));
                    done += 1;
                }
            }
            continue;
        }
        let mut pending = Vec::new();
        for node in batch {
            for (op, expect) in node_ops(dir, worker, node) {
                let reply = zk.submit(op.request()).unwrap_or_else(|err| {
                    panic!("worker {worker}, node {node}: submit failed: {err}")
                });
                pending.push((node, expect, reply));
            }
        }
        if round % 2 == 1 {
            pending.reverse();
        }
        for (node, expect, reply) in pending {
            let id = reply.id();
            let completion = reply.wait();
            if let Ok(completion) = &completion {
                assert_eq!(
                    completion.id, id,
                    "worker {worker}: another request's reply"
                );
            }
            check_reply(worker, node, &expect, outcome(completion));
            done += 1;
        }
    }
    done
}

#[test]
fn eight_threads_sharing_one_client_each_get_their_own_replies_in_submit_order() {
    let _alone = alone();
    let connect_string = shared_standalone().connect_string();
    // Every wait is bounded: a lost reply fails its thread with Timeout, not a hang.
    let (zk, events) = connect_shared(&connect_string, options(LONG).call_timeout(PATIENCE));
    let session = zk.session_id();
    let root = "/shared-stress";
    zk.create(root, "", CreateMode::Persistent).unwrap();
    let dirs: Vec<String> = (0..THREADS).map(|k| format!("{root}/w{k}")).collect();
    for dir in &dirs {
        zk.create(dir, "", CreateMode::Persistent).unwrap();
    }
    let nodes = OPS_PER_THREAD.div_ceil(OPS_PER_NODE);

    let started = Instant::now();
    let workers = dirs
        .iter()
        .enumerate()
        .map(|(worker, dir)| {
            let zk = zk.clone();
            let dir = dir.clone();
            spawn_named(format!("stress-{worker}"), move || {
                stress_worker(&zk, &dir, worker, nodes)
            })
        })
        .collect();
    let done = join_within("the stress workers", STRESS_BOUND, workers);
    let took = started.elapsed();
    println!(
        "{THREADS} threads x {} operations on one shared client: {took:?}",
        nodes * OPS_PER_NODE
    );

    assert_eq!(done, vec![nodes * OPS_PER_NODE; THREADS]);
    assert!(nodes * OPS_PER_NODE >= OPS_PER_THREAD);
    assert_eq!(zk.outstanding(), 0, "every request answered");
    assert_eq!(zk.state(), SessionState::Connected);
    assert_eq!(zk.session_id(), session);
    assert_eq!(zk.get_all_children_number(root).unwrap(), THREADS as i32);
    assert_eq!(queued(&events), [], "no session event on the way");
    zk.close();
}

// ----- watches -------------------------------------------------------------------------

#[test]
fn a_watch_event_of_this_clients_own_write_is_in_the_channel_when_the_write_returns() {
    let _serial = alongside_others();
    let (zk, events) = connect_shared(&shared_standalone().connect_string(), options(LONG));
    zk.create("/shared-own-write", "old", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/shared-own-write").unwrap();

    // The server sends the notification before the reply; the client hands them out
    // in that order, so the event is there without waiting.
    zk.set_data("/shared-own-write", "new", Version::Any)
        .unwrap();
    assert_eq!(
        watch_summaries(&queued(&events)),
        [(EventType::NodeDataChanged, "/shared-own-write", vec![watch])]
    );

    // Every time: the notification and the reply often come in one read, and a
    // client that handed out the reply first would lose the race now and then.
    let persistent = zk
        .add_watch("/shared-own-write", AddWatchMode::Persistent)
        .unwrap();
    for round in 0..200 {
        zk.set_data("/shared-own-write", round.to_string(), Version::Any)
            .unwrap();
        assert_eq!(
            watch_summaries(&queued(&events)),
            [(
                EventType::NodeDataChanged,
                "/shared-own-write",
                vec![persistent]
            )],
            "write {round}"
        );
    }
    zk.close();
}

#[test]
fn a_watch_event_is_in_the_channel_before_the_reply_of_a_later_read() {
    let _serial = alongside_others();
    let connect_string = shared_standalone().connect_string();
    let (zk, events) = connect_shared(&connect_string, options(LONG));
    let mut other = observer(&connect_string);
    zk.create("/shared-before-read", "old", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/shared-before-read").unwrap();
    other
        .set_data("/shared-before-read", "new", Version::Any)
        .unwrap();

    // A read from another thread that sees the change: by the time it returns, the
    // event is queued.
    let reader = zk.clone();
    let data = spawn_named("reader".to_string(), move || {
        reader.get_data("/shared-before-read").unwrap().0
    })
    .join()
    .unwrap();
    assert_eq!(data, "new");
    assert_eq!(
        watch_summaries(&queued(&events)),
        [(
            EventType::NodeDataChanged,
            "/shared-before-read",
            vec![watch]
        )]
    );
    zk.close();
    other.close();
}

#[test]
fn one_shot_watches_fire_once_and_persistent_ones_stay_in_the_channel_and_on_their_handles() {
    let _serial = alongside_others();
    let connect_string = shared_standalone().connect_string();
    let (zk, events) = connect_shared(&connect_string, options(LONG));
    let mut other = observer(&connect_string);
    let path = "/shared-kinds";
    zk.create(path, "", CreateMode::Persistent).unwrap();
    let (_, _, one_shot) = zk.get_data_watch(path).unwrap();
    let persistent = zk.add_watch(path, AddWatchMode::Persistent).unwrap();
    // A persistent watch's events are kept for wait_watch from its first wait on.
    assert_eq!(zk.wait_watch(persistent, Duration::ZERO).unwrap(), None);

    other.set_data(path, "1", Version::Any).unwrap();
    other.set_data(path, "2", Version::Any).unwrap();
    other
        .create("/shared-kinds/kid", "", CreateMode::Ephemeral)
        .unwrap();
    barrier(&zk);
    assert_eq!(
        watch_summaries(&queued(&events)),
        [
            (
                EventType::NodeDataChanged,
                path,
                sorted(vec![one_shot, persistent])
            ),
            (EventType::NodeDataChanged, path, vec![persistent]),
            (EventType::NodeChildrenChanged, path, vec![persistent]),
        ]
    );

    // Each handle has its own copies, in order, whether or not the channel took them.
    let fired = |handle, wanted: EventType| match zk.wait_watch(handle, PATIENCE) {
        Ok(Some(Event::Watch(e))) => {
            assert!(e.fired(handle), "{e:?}");
            assert_eq!((e.event_type, e.path.as_str()), (wanted, path));
        }
        other => panic!("wait_watch({handle:?}): {other:?}"),
    };
    fired(one_shot, EventType::NodeDataChanged);
    assert!(
        matches!(
            zk.wait_watch(one_shot, Duration::ZERO),
            Err(Error::NoWatcher { .. })
        ),
        "a one-shot watch has one event"
    );
    fired(persistent, EventType::NodeDataChanged);
    fired(persistent, EventType::NodeDataChanged);
    fired(persistent, EventType::NodeChildrenChanged);
    assert_eq!(
        zk.wait_watch(persistent, Duration::from_millis(200)),
        Ok(None),
        "nothing more fired"
    );
    // The persistent watch is still armed.
    other.set_data(path, "3", Version::Any).unwrap();
    fired(persistent, EventType::NodeDataChanged);
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(EventType::NodeDataChanged, path, vec![persistent])]
    );
    zk.close();
    other.close();
}

#[test]
fn wait_watch_wakes_a_thread_waiting_for_a_watch_another_thread_set() {
    let _serial = alongside_others();
    let connect_string = shared_standalone().connect_string();
    let (zk, events) = connect_shared(&connect_string, options(LONG));
    let mut other = observer(&connect_string);
    let (stat, watch) = zk.exists_watch("/shared-awaited").unwrap();
    assert_eq!(stat, None);
    let waiter = {
        let zk = zk.clone();
        spawn_named("waiter".to_string(), move || zk.wait_watch(watch, PATIENCE))
    };
    other
        .create("/shared-awaited", "", CreateMode::Ephemeral)
        .unwrap();
    match join_within("the waiter", PATIENCE * 2, vec![waiter]).remove(0) {
        Ok(Some(Event::Watch(e))) => {
            assert_eq!(e.event_type, EventType::NodeCreated);
            assert_eq!(e.path, "/shared-awaited");
            assert_eq!(e.watches, [watch]);
        }
        other => panic!("{other:?}"),
    }
    // The channel got it too.
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(EventType::NodeCreated, "/shared-awaited", vec![watch])]
    );
    zk.close();
    other.close();
}

#[test]
fn watches_survive_a_reconnect_that_the_client_makes_by_itself() {
    let _serial = alongside_others();
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let (zk, events) = connect_shared(&proxy.connect_string(), options(LONG));
    let mut other = observer(&server.connect_string());
    let session = zk.session_id();
    zk.create("/shared-rc-data", "v1", CreateMode::Persistent)
        .unwrap();
    zk.create("/shared-rc-persistent", "", CreateMode::Persistent)
        .unwrap();
    let (_, _, data_watch) = zk.get_data_watch("/shared-rc-data").unwrap();
    let persistent = zk
        .add_watch("/shared-rc-persistent", AddWatchMode::Persistent)
        .unwrap();
    let waiter = {
        let zk = zk.clone();
        spawn_named("waiter".to_string(), move || {
            zk.wait_watch(data_watch, PATIENCE)
        })
    };

    // Cut off; changes meanwhile. Nobody calls the client until it is back.
    proxy.set_on_accept(OnAccept::Reset);
    proxy.close_all();
    assert_eq!(
        state_of(&next_event(&events)),
        Some(KeeperState::Disconnected)
    );
    other
        .set_data("/shared-rc-data", "v2", Version::Any)
        .unwrap();
    other
        .set_data("/shared-rc-persistent", "missed", Version::Any)
        .unwrap();
    proxy.set_on_accept(OnAccept::Forward);

    // The one-shot watch catches up (the server re-checks it against the last zxid);
    // the persistent one does not.
    assert_eq!(
        state_of(&next_event(&events)),
        Some(KeeperState::SyncConnected)
    );
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(
            EventType::NodeDataChanged,
            "/shared-rc-data",
            vec![data_watch]
        )]
    );
    match join_within("the waiter", PATIENCE * 2, vec![waiter]).remove(0) {
        Ok(Some(Event::Watch(e))) => assert!(e.fired(data_watch), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(zk.session_id(), session, "the same session");
    assert!(proxy.accepted() >= 2, "reconnected through the proxy");
    barrier(&zk);
    assert_eq!(queued(&events), [], "no catch-up for the persistent watch");

    // The persistent watch is registered on the new connection.
    other
        .set_data("/shared-rc-persistent", "after", Version::Any)
        .unwrap();
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(
            EventType::NodeDataChanged,
            "/shared-rc-persistent",
            vec![persistent]
        )]
    );
    assert_eq!(zk.get_data("/shared-rc-data").unwrap().0, "v2");
    zk.close();
    other.close();
}

const ENSEMBLE_TIMEOUT: Duration = Duration::from_secs(8);

fn ensemble() -> Ensemble {
    Ensemble::start(
        3,
        &ServerOptions::default().tick_time(Duration::from_millis(500)),
    )
    .unwrap_or_else(|err| panic!("starting the ensemble: {err}"))
}

/// A shared client whose connection is on a follower (so that killing its member needs
/// no leader election), and that member's id.
fn shared_on_follower(ensemble: &Ensemble) -> (SharedClient, Events, u32) {
    let leader = ensemble.wait_for_leader(PATIENCE).unwrap();
    for seed in 0..32 {
        let (zk, events) = connect_shared(
            &ensemble.connect_string(),
            options(ENSEMBLE_TIMEOUT).seed(seed),
        );
        match member_holding(ensemble, zk.session_id()) {
            Some(member) if member != leader => return (zk, events, member),
            _ => zk.close(),
        }
    }
    panic!("no seed put the client on a follower");
}

#[test]
fn watches_and_ephemerals_follow_the_session_when_its_ensemble_member_dies() {
    let _serial = alongside_others();
    let mut ensemble = ensemble();
    let (zk, events, on) = shared_on_follower(&ensemble);
    let session = zk.session_id();
    zk.create("/shared-kept", "", CreateMode::Ephemeral)
        .unwrap();
    zk.create("/shared-parent", "", CreateMode::Persistent)
        .unwrap();
    let (_, child_watch) = zk.get_children_watch("/shared-parent").unwrap();
    let persistent = zk
        .add_watch("/shared-kept", AddWatchMode::Persistent)
        .unwrap();
    let waiter = {
        let zk = zk.clone();
        spawn_named("waiter".to_string(), move || {
            zk.wait_watch(child_watch, PATIENCE * 2)
        })
    };

    ensemble.member_mut(on).kill().unwrap();
    // The client moves by itself; nobody calls it meanwhile.
    assert_eq!(
        only_states(&until_state(&events, KeeperState::SyncConnected)),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(zk.session_id(), session, "the same session");
    let now_on = member_holding(&ensemble, session).expect("a member holds the session");
    assert_ne!(now_on, on);
    let stat = zk
        .exists("/shared-kept")
        .unwrap()
        .expect("the ephemeral is kept");
    assert_eq!(stat.ephemeral_owner, session);

    // Both watches were re-registered on the new member.
    let leader = ensemble.wait_for_leader(PATIENCE).unwrap();
    let mut other = observer(&ensemble.member(leader).connect_string());
    other
        .set_data("/shared-kept", "changed", Version::Any)
        .unwrap();
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(EventType::NodeDataChanged, "/shared-kept", vec![persistent])]
    );
    other
        .create("/shared-parent/kid", "", CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(
            EventType::NodeChildrenChanged,
            "/shared-parent",
            vec![child_watch]
        )]
    );
    match join_within("the waiter", PATIENCE * 3, vec![waiter]).remove(0) {
        Ok(Some(Event::Watch(e))) => assert!(e.fired(child_watch), "{e:?}"),
        other => panic!("{other:?}"),
    }
    zk.close();
    other.close();
}

// ----- callers reading the socket themselves -------------------------------------------

/// While few calls are in flight, a waiting caller reads the socket itself instead of
/// the IO thread (one wake-up per call instead of two): it must hand out the other
/// callers' replies and the watch events it reads just as the IO thread does.
#[test]
fn threads_calling_while_watch_events_arrive_each_get_their_own_reply_and_the_events_in_order() {
    const WORKERS: usize = 4;
    const CREATES: usize = 100;
    let _serial = alongside_others();
    let connect_string = shared_standalone().connect_string();
    let (zk, events) = connect_shared(&connect_string, options(LONG).call_timeout(PATIENCE));
    let mut other = observer(&connect_string);
    zk.create("/shared-readers", "", CreateMode::Persistent)
        .unwrap();
    zk.create("/shared-readers/events", "", CreateMode::Persistent)
        .unwrap();
    for worker in 0..WORKERS {
        let path = format!("/shared-readers/w{worker}");
        zk.create(&path, format!("w{worker}"), CreateMode::Persistent)
            .unwrap();
    }
    let watch = zk
        .add_watch("/shared-readers/events", AddWatchMode::PersistentRecursive)
        .unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (zk, done) = (zk.clone(), done.clone());
            spawn_named(format!("caller-{worker}"), move || {
                let (path, mine) = (format!("/shared-readers/w{worker}"), format!("w{worker}"));
                let mut calls = 0;
                while !done.load(Ordering::Relaxed) || calls < 200 {
                    let (data, _) = zk.get_data(&path).unwrap();
                    assert_eq!(
                        data, mine,
                        "call {calls} of worker {worker}: another's reply"
                    );
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    for n in 0..CREATES {
        other
            .create(
                &format!("/shared-readers/events/c{n:03}"),
                "",
                CreateMode::Persistent,
            )
            .unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let calls = join_within("the callers", PATIENCE, workers);
    assert!(
        calls.iter().all(|&c| c >= 200),
        "calls per worker: {calls:?}"
    );

    barrier(&zk);
    let expected: Vec<String> = (0..CREATES)
        .map(|n| format!("/shared-readers/events/c{n:03}"))
        .collect();
    let seen = queued(&events);
    let summaries = watch_summaries(&seen);
    let paths: Vec<&str> = summaries.iter().map(|(_, path, _)| *path).collect();
    assert_eq!(
        paths, expected,
        "every creation once, in the server's order"
    );
    assert!(
        summaries
            .iter()
            .all(|(kind, _, fired)| *kind == EventType::NodeCreated && *fired == [watch]),
        "{summaries:?}"
    );
    zk.close();
    other.close();
}

/// A caller whose call times out while it reads the socket gives the socket back: with
/// no call in flight, the IO thread reads the next watch event, and the next call gets
/// its reply.
#[test]
fn a_call_that_times_out_while_reading_leaves_events_and_later_calls_flowing() {
    let _serial = alongside_others();
    let mut server = fast_server(|o| o);
    let (zk, events) = connect_shared(
        &server.connect_string(),
        options(LONG).call_timeout(Duration::from_millis(300)),
    );
    zk.create("/reader-gave-up", "", CreateMode::Persistent)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/reader-gave-up").unwrap();

    server.pause().unwrap();
    let timed_out = zk.exists("/reader-gave-up");
    server.resume().unwrap();
    assert!(
        matches!(timed_out, Err(Error::Timeout(_))),
        "a lone call on a paused server fails with Timeout, got {timed_out:?}"
    );

    // Nobody calls now: only the IO thread can read the notification, and it does at
    // once (not at its next ping, seconds away).
    observer(&server.connect_string())
        .set_data("/reader-gave-up", "changed", Version::Any)
        .unwrap();
    let fired = events
        .recv_timeout(AT_ONCE)
        .unwrap()
        .expect("the event at once");
    assert_eq!(
        watch_summaries(&[fired]),
        [(EventType::NodeDataChanged, "/reader-gave-up", vec![watch])]
    );
    assert_eq!(zk.get_data("/reader-gave-up").unwrap().0, "changed");
    zk.close();
}

// ----- nobody reading events ----------------------------------------------------------

#[test]
fn an_event_channel_nobody_reads_for_ten_seconds_stops_neither_pings_nor_replies() {
    let _serial = alongside_others();
    let server = short_session_server();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let (zk, events) = connect_shared(
        &proxy.connect_string(),
        options(SHORT).call_timeout(PATIENCE),
    );
    let session = zk.session_id();
    zk.create("/shared-unread", "", CreateMode::Persistent)
        .unwrap();
    let watch = zk
        .add_watch("/shared-unread", AddWatchMode::PersistentRecursive)
        .unwrap();
    let pings_before = proxy.stats(Direction::ToServer).pings;

    // Another client creates children as fast as it can with a breather: every one
    // fires the watch. Nobody reads the events.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        let connect_string = server.connect_string();
        spawn_named("writer".to_string(), move || {
            let mut writer = observer(&connect_string);
            let mut created = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                created.push(
                    writer
                        .create("/shared-unread/c-", "", CreateMode::EphemeralSequential)
                        .unwrap(),
                );
                thread::sleep(Duration::from_millis(2));
            }
            (writer, created)
        })
    };

    // Meanwhile this thread's calls are answered and the session stays up; between
    // bursts the client is idle long enough (2 s > T/3) to ping.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(10) {
        for _ in 0..5 {
            let call = Instant::now();
            assert!(zk.exists("/shared-unread").unwrap().is_some());
            slowest = slowest.max(call.elapsed());
            calls += 1;
        }
        assert_eq!(zk.state(), SessionState::Connected);
        thread::sleep(Duration::from_secs(2));
    }
    stop.store(true, Ordering::Relaxed);
    let (mut writer, created) = join_within("the writer", PATIENCE, vec![writer]).remove(0);

    assert!(
        slowest < Duration::from_secs(5),
        "the slowest of {calls} calls took {slowest:?}"
    );
    let pings = proxy.stats(Direction::ToServer).pings - pings_before;
    assert!(pings >= 1, "no ping in 10 s");
    assert_eq!(zk.session_id(), session);
    assert_eq!(proxy.accepted(), 1, "never reconnected");
    assert!(created.len() >= 100, "only {} changes", created.len());

    // Every notification is there, in order, and nothing else.
    barrier(&zk);
    assert_eq!(events.len(), created.len());
    let got: Vec<String> = queued(&events)
        .into_iter()
        .map(|e| match e {
            Event::Watch(w) if w.event_type == EventType::NodeCreated && w.fired(watch) => w.path,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, created);
    zk.close();
    writer.close();
}

/// The channel's bound in the overflow scenarios.
const BOUND: usize = 20;
/// Changes made in the overflow scenarios, well past [`BOUND`].
const CHANGES: usize = 100;

/// A client with a persistent watch on `path` that saw [`CHANGES`] changes without
/// reading its events: `(client, events, watch)`.
fn overflowed(path: &str) -> (SharedClient, Events, WatchHandle) {
    let connect_string = shared_standalone().connect_string();
    let (zk, events) = connect_shared(&connect_string, options(LONG).max_queued_events(BOUND));
    let mut writer = observer(&connect_string);
    zk.create(path, "0", CreateMode::Persistent).unwrap();
    let watch = zk.add_watch(path, AddWatchMode::Persistent).unwrap();
    // A persistent watch's events are kept for wait_watch from its first wait on.
    assert_eq!(zk.wait_watch(watch, Duration::ZERO).unwrap(), None);
    for change in 1..=CHANGES {
        let value = change.to_string();
        writer.set_data(path, value.clone(), Version::Any).unwrap();
        // Each read returns after the notification of the change before it.
        assert_eq!(zk.get_data(path).unwrap().0, value);
        assert!(
            events.len() <= BOUND + 1,
            "{} events in the channel after {change} changes",
            events.len()
        );
    }
    writer.close();
    (zk, events, watch)
}

#[test]
fn an_unread_channel_holds_at_most_max_queued_events_then_one_overflow() {
    let _serial = alongside_others();
    let path = "/shared-overflow";
    let (zk, events, watch) = overflowed(path);

    assert_eq!(events.len(), BOUND + 1);
    let got: Vec<Event> = (0..=BOUND).map(|_| events.recv().unwrap()).collect();
    assert_kept_then_overflow(&got, watch, BOUND, CHANGES);
    assert!(events.is_empty());
    assert_eq!(events.try_recv(), Ok(None));

    // Read, the channel takes events again.
    zk.set_data(path, "again", Version::Any).unwrap();
    assert_eq!(
        watch_summaries(&[next_event(&events)]),
        [(EventType::NodeDataChanged, path, vec![watch])]
    );
    zk.close();
}

#[test]
fn wait_watch_on_a_watch_whose_events_overflowed_reports_the_overflow() {
    let _serial = alongside_others();
    let (zk, _events, watch) = overflowed("/shared-overflow-handle");
    // The handle's copies are bounded too: some events, then an Overflow naming it.
    let mut got = Vec::new();
    while let Some(event) = zk.wait_watch(watch, Duration::from_millis(200)).unwrap() {
        got.push(event);
        assert!(got.len() <= CHANGES, "{got:?}");
    }
    let overflows = got
        .iter()
        .filter(|e| matches!(e, Event::Overflow { watches, .. } if watches.contains(&watch)))
        .count();
    assert_eq!(overflows, 1, "{got:?}");
    // In wire order, as in the channel: the events that were kept came before the
    // ones that were dropped, so the Overflow comes after them. (First, it would tell
    // the program to re-read, and the older changes would then look new.)
    assert!(
        matches!(got.last(), Some(Event::Overflow { .. })),
        "the Overflow is not after the {} kept events: {got:?}",
        got.len() - 1
    );
    assert!(got.len() <= BOUND + 1, "{} events kept: {got:?}", got.len());
    assert!(
        got[..got.len() - 1]
            .iter()
            .all(|e| matches!(e, Event::Watch(w) if w.fired(watch))),
        "{got:?}"
    );
    zk.close();
}

#[test]
fn a_busy_watch_nobody_waits_on_does_not_crowd_out_another_watchs_event() {
    let _serial = alongside_others();
    let (zk, events, _busy) = overflowed("/shared-overflow-busy");
    while events.try_recv().unwrap().is_some() {}
    zk.create("/shared-overflow-other", "", CreateMode::Ephemeral)
        .unwrap();
    let (_, _, one_shot) = zk.get_data_watch("/shared-overflow-other").unwrap();
    zk.delete("/shared-overflow-other", Version::Any).unwrap();
    let got = zk.wait_watch(one_shot, Duration::from_secs(5)).unwrap();
    assert!(
        matches!(&got, Some(Event::Watch(w)) if w.event_type == EventType::NodeDeleted && w.fired(one_shot)),
        "{got:?}"
    );
    zk.close();
}

#[test]
fn more_one_shot_watches_than_max_queued_events_fired_at_once_each_get_their_event() {
    let _serial = alongside_others();
    // The bound is per watch (and for the channel): a program holding many watches,
    // each with its one event to come, gets every one of them however many fire
    // together, while the channel nobody reads still keeps its bound.
    const KEPT: usize = 4;
    const WATCHES: usize = 50;
    let connect_string = shared_standalone().connect_string();
    let (zk, events) = connect_shared(&connect_string, options(LONG).max_queued_events(KEPT));
    let mut other = observer(&connect_string);
    let root = "/shared-burst-of-one-shot-watches";
    let node = |i: usize| format!("{root}/{i}");
    other.create(root, "", CreateMode::Persistent).unwrap();
    for i in 0..WATCHES {
        other.create(&node(i), "", CreateMode::Persistent).unwrap();
    }
    let watches: Vec<WatchHandle> = (0..WATCHES)
        .map(|i| zk.get_data_watch(&node(i)).unwrap().2)
        .collect();
    // One transaction: the server sends the notifications back to back.
    let changes = (0..WATCHES).fold(Transaction::new(), |tx, i| {
        tx.set_data(node(i), "changed", Version::Any)
    });
    other.multi(changes).unwrap();
    barrier(&zk);

    for (i, watch) in watches.into_iter().enumerate() {
        let path = node(i);
        let got = zk.wait_watch(watch, Duration::from_secs(5));
        assert!(
            matches!(&got, Ok(Some(Event::Watch(w)))
                if w.event_type == EventType::NodeDataChanged && w.path == path && w.fired(watch)),
            "the watch on {path}: {got:?}"
        );
    }
    let unread = queued(&events);
    assert_eq!(unread.len(), KEPT + 1, "{unread:?}");
    match unread.last() {
        Some(Event::Overflow { dropped, watches }) => {
            assert_eq!(
                (*dropped, watches.len()),
                ((WATCHES - KEPT) as u64, WATCHES - KEPT)
            );
        }
        other => panic!("the channel's last event is not an Overflow: {other:?}"),
    }
    zk.close();
    other.close();
}

// ----- close -----------------------------------------------------------------------------

#[test]
fn close_from_one_thread_fails_four_calls_in_flight_with_closed_and_leaks_no_thread() {
    let _alone = alone();
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let threads_before = threads();
    let close_timeout = Duration::from_millis(500);

    let (zk, events) = connect_shared(
        &proxy.connect_string(),
        options(LONG).close_timeout(close_timeout),
    );
    zk.create("/shared-closing", "", CreateMode::Ephemeral)
        .unwrap();
    // Requests from now on never reach the server (nor does the closeSession).
    proxy.set_fault(Direction::ToServer, Fault::Blackhole);
    let calls: Vec<JoinHandle<(Result<(), Error>, Instant)>> = (0..4)
        .map(|i| {
            let zk = zk.clone();
            spawn_named(format!("caller-{i}"), move || {
                let result = match i {
                    0 => zk.exists("/shared-closing").map(drop),
                    1 => zk.get_data("/shared-closing").map(drop),
                    2 => zk
                        .create("/shared-closing-2", "", CreateMode::Ephemeral)
                        .map(drop),
                    _ => zk.get_children("/").map(drop),
                };
                (result, Instant::now())
            })
        })
        .collect();
    eventually("the four calls are in flight", PATIENCE, || {
        zk.outstanding() == 4
    });

    let closer = {
        let zk = zk.clone();
        spawn_named("closer".to_string(), move || {
            let started = Instant::now();
            zk.close();
            (started, Instant::now())
        })
    };
    let (close_started, close_returned) = join_within("close", PATIENCE, vec![closer]).remove(0);
    let took = close_returned - close_started;
    assert!(
        took < close_timeout + Duration::from_secs(5),
        "close took {took:?}"
    );
    for (i, (result, returned)) in join_within("the callers", PATIENCE, calls)
        .into_iter()
        .enumerate()
    {
        assert_eq!(result, Err(Error::Closed), "call {i}");
        let after = returned.saturating_duration_since(close_returned);
        assert!(after < AT_ONCE, "call {i} returned {after:?} after close");
    }
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(only_states(&queued(&events)), [KeeperState::Closed]);
    assert_eq!(events.recv(), Err(Error::Closed));

    // No thread outlives the last clone (the callers' and the closer's are gone).
    drop(events);
    drop(zk);
    drop(proxy);
    assert_no_thread_left(&threads_before);
}

#[test]
fn after_close_every_call_fails_at_once_with_closed_and_the_last_drop_joins_the_threads() {
    let _alone = alone();
    let connect_string = shared_standalone().connect_string();
    let threads_before = threads();

    let zk = SharedClient::connect(&connect_string, options(LONG)).unwrap();
    // The event thread too, so that both are counted.
    let seen = Arc::new(Mutex::new(Vec::new()));
    {
        let seen = Arc::clone(&seen);
        zk.on_event(move |event| seen.lock().unwrap().push(event))
            .unwrap();
    }
    zk.create("/shared-closed", "", CreateMode::Ephemeral)
        .unwrap();
    // A watch that nothing fires (the close deletes the ephemeral, which would fire
    // one on it).
    let (_, watch) = zk.exists_watch("/shared-closed-never").unwrap();
    let clone = zk.clone();
    zk.close();
    let mut other = observer(&connect_string);
    assert_eq!(
        other.exists("/shared-closed").unwrap(),
        None,
        "the session is closed on the server"
    );

    // From this thread and from others, with any clone.
    let everything = move |zk: &SharedClient| {
        let started = Instant::now();
        assert_eq!(zk.state(), SessionState::Closed);
        assert_eq!(zk.exists("/"), Err(Error::Closed));
        assert_eq!(zk.get_data("/shared-closed").map(drop), Err(Error::Closed));
        assert_eq!(
            zk.create("/shared-closed-2", "", CreateMode::Persistent),
            Err(Error::Closed)
        );
        assert_eq!(
            zk.set_data("/shared-closed", "", Version::Any).map(drop),
            Err(Error::Closed)
        );
        assert_eq!(
            zk.delete("/shared-closed", Version::Any),
            Err(Error::Closed)
        );
        assert_eq!(zk.get_children("/"), Err(Error::Closed));
        assert_eq!(zk.sync("/"), Err(Error::Closed));
        assert_eq!(
            zk.add_watch("/", AddWatchMode::Persistent),
            Err(Error::Closed)
        );
        assert_eq!(zk.exists_watch("/").map(drop), Err(Error::Closed));
        assert_eq!(
            submit_error(zk.submit(Request::exists("/", false))),
            Error::Closed
        );
        assert_eq!(zk.wait_until_connected(PATIENCE), Err(Error::Closed));
        assert_eq!(zk.wait_watch(watch, PATIENCE), Err(Error::Closed));
        let took = started.elapsed();
        assert!(took < AT_ONCE, "the failed calls took {took:?}");
    };
    everything(&zk);
    everything(&clone);
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let zk = zk.clone();
            spawn_named(format!("after-close-{i}"), move || everything(&zk))
        })
        .collect();
    join_within("the threads calling after close", PATIENCE, threads);

    // A second close is harmless and quick.
    let started = Instant::now();
    clone.close();
    assert!(started.elapsed() < AT_ONCE, "{:?}", started.elapsed());
    eventually("the callback saw Closed", PATIENCE, || {
        seen.lock().unwrap().last().and_then(state_of) == Some(KeeperState::Closed)
    });
    assert_eq!(
        seen.lock().unwrap().first().and_then(state_of),
        Some(KeeperState::SyncConnected)
    );

    drop(clone);
    drop(zk);
    assert_no_thread_left(&threads_before);
    other.close();
}

#[test]
fn the_session_lives_while_any_clone_does_and_dropping_the_last_closes_it() {
    let _alone = alone();
    let connect_string = shared_standalone().connect_string();
    let threads_before = threads();
    // Long enough that only a close, not an expiry, can remove the ephemeral in time.
    let zk = SharedClient::connect(&connect_string, options(Duration::from_secs(30))).unwrap();
    let session = zk.session_id();
    zk.create("/shared-dropped", "", CreateMode::Ephemeral)
        .unwrap();
    let mut other = observer(&connect_string);

    let (hand_over, take) = std::sync::mpsc::channel::<()>();
    let last = {
        let zk = zk.clone();
        spawn_named("last-clone".to_string(), move || {
            take.recv().unwrap();
            // The first clone is gone; this one still works.
            let stat = zk.exists("/shared-dropped").unwrap().expect("still there");
            assert_eq!(stat.ephemeral_owner, session);
            drop(zk);
        })
    };
    drop(zk);
    assert!(
        other.exists("/shared-dropped").unwrap().is_some(),
        "dropping one clone does not close the session"
    );
    hand_over.send(()).unwrap();
    join_within("the last clone's thread", PATIENCE, vec![last]);

    // The drop closed the session (bounded), so the ephemeral is gone now.
    assert_eq!(other.exists("/shared-dropped").unwrap(), None);
    assert!(
        other
            .get_ephemerals("/")
            .unwrap()
            .iter()
            .all(|p| p != "/shared-dropped"),
    );
    assert_no_thread_left(&threads_before);
    other.close();
}

// ----- expiry --------------------------------------------------------------------------

#[test]
fn expiry_reaches_every_waiting_caller_and_the_channel_exactly_once() {
    let _serial = alongside_others();
    let server = short_session_server();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let (zk, events) = connect_shared(&proxy.connect_string(), options(SHORT));
    zk.create("/shared-expiring", "", CreateMode::Ephemeral)
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/shared-expiring").unwrap();
    let watcher = {
        let zk = zk.clone();
        spawn_named("watch-waiter".to_string(), move || {
            zk.wait_watch(watch, PATIENCE * 2)
        })
    };

    // Nothing gets through: the connection times out, no reconnect completes, and
    // after 4/3 T without hearing from a server the session is expired.
    proxy.set_faults(Fault::Blackhole);
    assert_eq!(
        state_of(&next_event(&events)),
        Some(KeeperState::Disconnected)
    );
    // Calls made while disconnected wait, queued, until the session ends.
    let callers: Vec<JoinHandle<Result<(), Error>>> = (0..4)
        .map(|i| {
            let zk = zk.clone();
            spawn_named(format!("caller-{i}"), move || match i {
                0 => zk.exists("/shared-expiring").map(drop),
                1 => zk.get_data("/shared-expiring").map(drop),
                2 => zk.set_data("/shared-expiring", "x", Version::Any).map(drop),
                _ => zk
                    .create("/shared-expiring-2", "", CreateMode::Persistent)
                    .map(drop),
            })
        })
        .collect();
    let pending = zk.submit(Request::get_children("/", false)).unwrap();
    eventually("the callers are waiting", PATIENCE, || {
        assert_ne!(
            zk.state(),
            SessionState::Expired,
            "expired before the callers waited (a very loaded machine?)"
        );
        zk.outstanding() == 5
    });

    for (i, result) in join_within("the callers", PATIENCE * 2, callers)
        .into_iter()
        .enumerate()
    {
        assert_eq!(result, Err(Error::SessionExpired), "caller {i}");
    }
    assert_eq!(outcome(pending.wait()), Err(Error::SessionExpired));
    assert_eq!(
        join_within("the watch waiter", PATIENCE * 2, vec![watcher]).remove(0),
        Err(Error::SessionExpired)
    );

    // The channel: Expired once, then the session's error, every time.
    assert_eq!(state_of(&next_event(&events)), Some(KeeperState::Expired));
    assert_eq!(events.recv(), Err(Error::SessionExpired));
    assert_eq!(events.try_recv(), Err(Error::SessionExpired));
    assert_eq!(
        events.recv_timeout(Duration::from_millis(100)),
        Err(Error::SessionExpired)
    );
    assert_eq!(zk.events().recv(), Err(Error::SessionExpired));

    // Later calls fail at once.
    let started = Instant::now();
    assert_eq!(zk.state(), SessionState::Expired);
    assert_eq!(zk.exists("/"), Err(Error::SessionExpired));
    assert_eq!(
        zk.create("/shared-expiring-3", "", CreateMode::Ephemeral),
        Err(Error::SessionExpired)
    );
    assert_eq!(
        outcome(
            zk.submit(Request::exists("/", false))
                .and_then(PendingReply::wait)
        ),
        Err(Error::SessionExpired)
    );
    assert_eq!(zk.wait_watch(watch, PATIENCE), Err(Error::SessionExpired));
    assert_eq!(
        zk.wait_until_connected(PATIENCE),
        Err(Error::SessionExpired)
    );
    let took = started.elapsed();
    assert!(took < AT_ONCE, "calls after the expiry took {took:?}");

    // The server expired it too (an observer connected only now: it pumps nothing
    // while the scenario waits, so on a loaded machine an earlier one could expire).
    let mut other = observer(&server.connect_string());
    eventually("the server drops the ephemeral", PATIENCE, || {
        other.exists("/shared-expiring").unwrap().is_none()
    });
    zk.close();
    assert_eq!(
        zk.state(),
        SessionState::Expired,
        "close changes nothing now"
    );
    other.close();
}

// ----- callbacks -----------------------------------------------------------------------

/// What a callback recorded: the thread it ran on and the event.
type Seen = Arc<Mutex<Vec<(ThreadId, Option<String>, Event)>>>;

fn created_paths(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|(_, _, e)| match e {
            Event::Watch(w) if w.event_type == EventType::NodeCreated => Some(w.path.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn callbacks_run_in_order_on_one_event_thread_and_survive_a_panicking_or_slow_one() {
    let _serial = alongside_others();
    let zk = SharedClient::connect(
        &shared_standalone().connect_string(),
        options(LONG).call_timeout(PATIENCE),
    )
    .unwrap();
    let root = "/shared-callbacks";
    zk.create(root, "", CreateMode::Persistent).unwrap();

    let seen: Seen = Arc::default();
    let (started_slow, slow_started) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    {
        let seen = Arc::clone(&seen);
        zk.on_event(move |event| {
            let me = thread::current();
            let path = match &event {
                Event::Watch(w) => w.path.clone(),
                _ => String::new(),
            };
            seen.lock()
                .unwrap()
                .push((me.id(), me.name().map(str::to_string), event));
            if path.ends_with("/panic") {
                panic!("a callback that panics (expected by the test)");
            }
            if path.ends_with("/slow") {
                started_slow.send(()).unwrap();
                released.recv_timeout(PATIENCE * 2).unwrap();
            }
        })
        .unwrap();
    }
    assert!(
        matches!(zk.on_event(|_| {}), Err(Error::InvalidArgument(_))),
        "a second callback is refused"
    );
    let watch = zk
        .add_watch(root, AddWatchMode::PersistentRecursive)
        .unwrap();

    // A callback that panics: later ones still run, calls still work.
    zk.create(&format!("{root}/panic"), "", CreateMode::Persistent)
        .unwrap();
    zk.create(&format!("{root}/after-panic"), "", CreateMode::Persistent)
        .unwrap();
    eventually("the callback after the panicking one", PATIENCE, || {
        created_paths(&seen).len() == 2
    });

    // A callback that blocks: the client goes on (its calls are answered), the
    // events wait for the callback thread.
    zk.create(&format!("{root}/slow"), "", CreateMode::Persistent)
        .unwrap();
    slow_started.recv_timeout(PATIENCE).unwrap();
    for i in 0..5 {
        zk.create(
            &format!("{root}/while-slow-{i}"),
            "",
            CreateMode::Persistent,
        )
        .unwrap();
    }
    assert_eq!(zk.state(), SessionState::Connected);
    assert_eq!(created_paths(&seen).len(), 3, "only one callback at a time");
    release.send(()).unwrap();
    eventually("the callbacks held back by the slow one", PATIENCE, || {
        created_paths(&seen).len() == 8
    });

    let mut expected = vec![
        format!("{root}/panic"),
        format!("{root}/after-panic"),
        format!("{root}/slow"),
    ];
    expected.extend((0..5).map(|i| format!("{root}/while-slow-{i}")));
    assert_eq!(created_paths(&seen), expected, "in wire order");
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.first().and_then(|(_, _, e)| state_of(e)),
        Some(KeeperState::SyncConnected)
    );
    assert!(
        seen.iter()
            .all(|(_, _, e)| !matches!(e, Event::Watch(w) if !w.fired(watch))),
        "{seen:?}"
    );
    let (thread, name, _) = &seen[0];
    assert!(
        seen.iter().all(|(t, _, _)| t == thread),
        "callbacks on one thread"
    );
    assert_ne!(
        *thread,
        thread::current().id(),
        "not on the caller's thread"
    );
    assert_eq!(name.as_deref(), Some("zk-events"), "not on the IO thread");
    drop(seen);
    assert!(zk.exists(root).unwrap().is_some());
    zk.close();
}
