//! Chaos scenarios: each client kind works a 3-member ensemble, reached through one
//! fault proxy per member, while a seeded schedule injects every fault kind once
//! (delays, slicing, RST and FIN, a FIN mid-frame, blackholes shorter and longer than
//! a third of the session timeout, a member paused, a member and the leader killed and
//! restarted, and every member silent until the sessions expire). The workload mixes
//! creates, deletes, multis, versioned increments of a counter, watched reads, changes
//! of the watched nodes and pipelined reads; the scenario then checks the invariants a
//! demanding user relies on, not one story:
//!
//! 1. every call completes exactly once, within its call timeout plus slack;
//! 2. a call fails only as a fault allows (ConnectionLoss, Timeout, NoHosts,
//!    SessionExpired once the session is expired) or as the operation itself can
//!    (NodeExists, NoNode, BadVersion);
//! 3. no lost update: the counter, changed only by versioned writes each adding a
//!    unique token, ends with every acknowledged token once, and otherwise only tokens
//!    whose write's outcome was unknown;
//! 4. every one-shot watch whose node changed after it was set fires (unless its
//!    session expired), once, for its own path; a persistent watch fires for its own
//!    path only and still fires after all the reconnects;
//! 5. session states move only Connected → Disconnected → Connected or Expired, the
//!    session id stays put until the expiry, the client then says Expired, and a new
//!    client works.
//!
//! The suite runs one fixed seed (`zk_tests::chaos::DEFAULT_SEED`); `CHAOS_SEED=<seed>`
//! replays another's schedule and `CHAOS_SEED=random` draws one (printed). The
//! scenarios run one at a time (each starts its own ensemble).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zk_blocking::{
    AddWatchMode, Bytes, Client, CreateMode, Error, ErrorCode, Event, EventType, KeeperState,
    Options, Request, Response, SessionState, SharedClient, Stat, Transaction, Version,
    WatchHandle, WatchedEvent,
};
use zk_tests::chaos::{ChaosEnsemble, ChaosRng, FaultKind, chaos_seed, schedule};

/// The session timeout the clients ask for (the servers' tick of 200 ms allows it).
const SESSION: Duration = Duration::from_secs(3);
/// Every typed call's own deadline.
const CALL_TIMEOUT: Duration = Duration::from_secs(4);
/// How long a call may take before it counts as hung: its call timeout plus slack for
/// two cores shared with three JVMs.
const CALL_BOUND: Duration = Duration::from_secs(10);
/// How long a new client may take to connect (after an expiry, the members may still
/// be silent for a while).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a watch whose node changed may take to fire once the faults are over.
const FIRE_PATIENCE: Duration = Duration::from_secs(10);

const ROOT: &str = "/chaos";
const COUNTER: &str = "/chaos/counter";
const CHURN: &str = "/chaos/churn";
const PERSISTENT: &str = "/chaos/persistent";
const WATCHED: [&str; 4] = ["/chaos/w0", "/chaos/w1", "/chaos/w2", "/chaos/w3"];

// ----- the scenarios ----------------------------------------------------------------

#[test]
fn chaos_on_the_blocking_client_keeps_every_invariant() {
    let (_serial, mut world, chaos) = Chaos::begin("blocking Client");
    let worker = {
        let chaos = Arc::clone(&chaos);
        thread::spawn(move || blocking_worker(&chaos))
    };
    chaos.run_schedule(&mut world, &[&worker]);
    blocking_final_checks(&chaos, joined(&chaos, worker));
    chaos.assert_kept();
}

#[test]
fn chaos_on_the_shared_client_with_four_threads_keeps_every_invariant() {
    let (_serial, mut world, chaos) = Chaos::begin("SharedClient");
    let current = Arc::new(SharedGeneration::connect(&chaos, 0));
    let observer = {
        let (chaos, current) = (Arc::clone(&chaos), Arc::clone(&current));
        thread::spawn(move || shared_observer(&chaos, &current))
    };
    let workers: Vec<_> = (1..=4)
        .map(|worker| {
            let (chaos, current) = (Arc::clone(&chaos), Arc::clone(&current));
            thread::spawn(move || shared_worker(&chaos, &current, worker))
        })
        .collect();
    let running: Vec<_> = workers.iter().chain([&observer]).collect();
    chaos.run_schedule(&mut world, &running);
    workers.into_iter().for_each(|w| joined(&chaos, w));
    shared_final_checks(&chaos, &current);
    joined(&chaos, observer);
    chaos.assert_kept();
}

#[test]
fn chaos_on_the_tokio_client_with_four_tasks_keeps_every_invariant() {
    let (_serial, mut world, chaos) = Chaos::begin("zk_tokio::Client");
    let runtime = {
        let chaos = Arc::clone(&chaos);
        thread::spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(on_tokio::run(chaos))
        })
    };
    chaos.run_schedule(&mut world, &[&runtime]);
    joined(&chaos, runtime);
    chaos.assert_kept();
}

// ----- the invariants ---------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Invariant {
    NoHang,
    AllowedErrors,
    NoLostUpdate,
    Watches,
    Session,
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invariant::NoHang => "1 (every call completes once, in bounded time)",
            Invariant::AllowedErrors => "2 (only the errors a fault or the operation allows)",
            Invariant::NoLostUpdate => "3 (no lost update on the versioned counter)",
            Invariant::Watches => "4 (every change after a watch fires it, on its own path)",
            Invariant::Session => "5 (legal session transitions, stable id, expiry reported)",
        })
    }
}

/// One scenario's seed, its shared bookkeeping and what it found.
struct Chaos {
    client: &'static str,
    seed: u64,
    connect_string: String,
    stopping: AtomicBool,
    found: Mutex<Vec<String>>,
    calls: Mutex<HashMap<u64, (String, Instant)>>,
    next_call: AtomicU64,
    counter: Mutex<CounterLedger>,
    book: Mutex<WatchBook>,
    /// Failures by kind and state changes seen, for the summary.
    tally: Mutex<BTreeMap<String, u64>>,
}

impl Chaos {
    /// Starts the ensemble, makes the nodes the workload uses, and prints the seed.
    fn begin(client: &'static str) -> (MutexGuard<'static, ()>, ChaosEnsemble, Arc<Chaos>) {
        let serial = one_at_a_time();
        let seed = chaos_seed();
        println!("chaos on {client}: seed {seed} (replay with CHAOS_SEED={seed})");
        let world = ChaosEnsemble::start(&common::fast_server_options())
            .unwrap_or_else(|err| panic!("starting the ensemble: {err}"));
        let mut setup =
            common::connect(&world.direct_connect_string(), common::options(SESSION * 3));
        for path in [ROOT, COUNTER, CHURN, PERSISTENT].iter().chain(&WATCHED) {
            setup.create(path, "", CreateMode::Persistent).unwrap();
        }
        setup.close();
        let chaos = Chaos {
            client,
            seed,
            connect_string: world.connect_string(),
            stopping: AtomicBool::new(false),
            found: Mutex::default(),
            calls: Mutex::default(),
            next_call: AtomicU64::new(0),
            counter: Mutex::default(),
            book: Mutex::default(),
            tally: Mutex::default(),
        };
        (serial, world, Arc::new(chaos))
    }

    fn options(&self) -> Options {
        Options::default()
            .session_timeout(SESSION)
            .connect_timeout(CONNECT_TIMEOUT)
            .call_timeout(CALL_TIMEOUT)
            .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(500))
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Runs the seed's schedule, checking between steps that no call hangs; then heals
    /// the ensemble and tells the workers to stop.
    fn run_schedule<T>(&self, world: &mut ChaosEnsemble, running: &[&JoinHandle<T>]) {
        for step in schedule(self.seed, &FaultKind::ALL, SESSION) {
            world
                .run(&step)
                .unwrap_or_else(|err| panic!("seed {}: step {step}: {err}", self.seed));
            self.check_overdue();
            if running.iter().any(|t| t.is_finished()) {
                println!("a worker ended early");
                break;
            }
        }
        world
            .heal()
            .unwrap_or_else(|err| panic!("seed {}: healing: {err}", self.seed));
        self.stopping.store(true, Ordering::Release);
    }

    /// Records a broken invariant.
    fn violated(&self, invariant: Invariant, what: impl fmt::Display) {
        let line = format!("invariant {invariant}: {what}");
        println!("VIOLATION {line}");
        lock(&self.found).push(line);
    }

    /// Counts one thing that happened, for the summary.
    fn tally(&self, what: impl fmt::Debug) {
        let what = format!("{what:?}");
        let kind = what
            .split([' ', '(', '{'])
            .next()
            .unwrap_or_default()
            .to_owned();
        *lock(&self.tally).entry(kind).or_default() += 1;
    }

    /// Panics with every broken invariant, naming the client and the seed.
    fn assert_kept(&self) {
        println!(
            "{} calls; failures and state changes: {:?}",
            self.next_call.load(Ordering::Relaxed),
            lock(&self.tally)
        );
        let found = lock(&self.found);
        assert!(
            found.is_empty(),
            "chaos on {} with seed {} (replay: CHAOS_SEED={}) broke:\n{}",
            self.client,
            self.seed,
            self.seed,
            found.join("\n")
        );
    }

    // ----- invariant 1 --------------------------------------------------------------

    /// Runs one call, recording it as in flight meanwhile.
    fn call<T>(&self, what: &str, call: impl FnOnce() -> T) -> T {
        let ticket = self.begin_call(what);
        let output = call();
        self.end_call(ticket, CALL_BOUND);
        output
    }

    /// [`Chaos::call`] for a future.
    async fn call_async<F: Future>(&self, what: &str, call: F) -> F::Output {
        let ticket = self.begin_call(what);
        let output = call.await;
        self.end_call(ticket, CALL_BOUND);
        output
    }

    fn begin_call(&self, what: &str) -> u64 {
        let ticket = self.next_call.fetch_add(1, Ordering::Relaxed);
        lock(&self.calls).insert(ticket, (what.to_owned(), Instant::now()));
        ticket
    }

    fn end_call(&self, ticket: u64, bound: Duration) {
        match lock(&self.calls).remove(&ticket) {
            Some((what, since)) if since.elapsed() > bound => self.violated(
                Invariant::NoHang,
                format!("{what} took {:?} (bound {bound:?})", since.elapsed()),
            ),
            Some(_) => {}
            None => self.violated(Invariant::NoHang, "a call completed twice"),
        }
    }

    /// The calls in flight for longer than [`CALL_BOUND`].
    fn overdue(&self) -> Vec<String> {
        lock(&self.calls)
            .values()
            .filter(|(_, since)| since.elapsed() > CALL_BOUND)
            .map(|(what, since)| format!("{what} (for {:?})", since.elapsed()))
            .collect()
    }

    fn check_overdue(&self) {
        let overdue = self.overdue();
        if !overdue.is_empty() {
            println!("calls overdue: {overdue:?}");
        }
    }

    // ----- invariant 2 --------------------------------------------------------------

    /// Checks one failed call: `own` says which errors the operation itself can meet;
    /// `state` is the client's state right after.
    fn check_failure(&self, what: &str, err: &Error, own: fn(&Error) -> bool, state: SessionState) {
        self.tally(err);
        let by_fault = matches!(
            err,
            Error::ConnectionLoss | Error::Timeout(_) | Error::NoHosts { .. }
        );
        match err {
            Error::SessionExpired if state != SessionState::Expired => self.violated(
                Invariant::Session,
                format!("{what}: SessionExpired while the client says {state:?}"),
            ),
            Error::SessionExpired => {}
            _ if by_fault || own(err) => {}
            _ => self.violated(
                Invariant::AllowedErrors,
                format!("{what}: {err:?} ({err}), client {state:?}"),
            ),
        }
    }

    // ----- invariant 3 --------------------------------------------------------------

    /// Checks the counter as a new client reads it at the end.
    fn check_counter(&self, data: &[u8]) {
        let ledger = lock(&self.counter);
        let applied = tokens(data);
        let mut seen = HashSet::new();
        for token in &applied {
            if !seen.insert(token.as_str()) {
                self.violated(
                    Invariant::NoLostUpdate,
                    format!("token {token} applied twice"),
                );
            }
            if !ledger.acked.contains(token) && !ledger.unknown.contains(token) {
                self.violated(
                    Invariant::NoLostUpdate,
                    format!("token {token} was never written or was refused"),
                );
            }
        }
        let lost: Vec<_> = ledger
            .acked
            .iter()
            .filter(|t| !seen.contains(t.as_str()))
            .collect();
        if !lost.is_empty() {
            self.violated(
                Invariant::NoLostUpdate,
                format!("acknowledged increments lost: {lost:?}"),
            );
        }
        let found_unknown = ledger
            .unknown
            .iter()
            .filter(|t| seen.contains(t.as_str()))
            .count();
        println!(
            "counter: {} applied = {} acknowledged + {found_unknown} of {} unknown",
            applied.len(),
            ledger.acked.len(),
            ledger.unknown.len()
        );
    }

    // ----- invariant 4 --------------------------------------------------------------

    fn watch_set(&self, generation: u64, handle: WatchHandle, path: &str, version: i32) {
        lock(&self.book)
            .one_shot
            .insert((generation, handle), (path.to_owned(), version));
    }

    /// An event, for every watch it names.
    fn watch_event(&self, generation: u64, event: &WatchedEvent) {
        for handle in &event.watches {
            self.watch_fired(generation, *handle, event);
        }
    }

    /// An event, for the one watch `handle`.
    fn watch_fired(&self, generation: u64, handle: WatchHandle, event: &WatchedEvent) {
        lock(&self.book)
            .fired
            .entry((generation, handle))
            .or_default()
            .push(event.clone());
    }

    /// The one-shot watches of `generation` whose node is past the version they saw
    /// (`versions`, read at the end) and that have not fired.
    fn unfired(&self, generation: u64, versions: &HashMap<String, i32>) -> Vec<String> {
        let book = lock(&self.book);
        book.one_shot
            .iter()
            .filter(|((g, handle), (path, version))| {
                *g == generation
                    && versions.get(path).is_some_and(|now| now > version)
                    && !book.fired.contains_key(&(*g, *handle))
            })
            .map(|((_, handle), (path, version))| {
                format!("{handle:?} on {path} (set at v{version})")
            })
            .collect()
    }

    /// Every event went to a watch that was set, on its path, of the right type; a
    /// one-shot watch fired at most once; the persistent watch of `live` fired after
    /// the faults.
    fn check_watch_events(&self, persistent_changes: u64) {
        let book = lock(&self.book);
        for ((generation, handle), events) in &book.fired {
            let key = (*generation, *handle);
            let expected = match (book.one_shot.get(&key), book.persistent.get(generation)) {
                (Some((path, _)), _) => {
                    if events.len() > 1 {
                        self.violated(
                            Invariant::Watches,
                            format!(
                                "one-shot {handle:?} fired {} times, first {:?}",
                                events.len(),
                                events[0]
                            ),
                        );
                    }
                    path.as_str()
                }
                (None, Some(persistent)) if persistent == handle => {
                    if events.len() as u64 > persistent_changes {
                        self.violated(
                            Invariant::Watches,
                            format!(
                                "persistent watch fired {} times for {persistent_changes} changes",
                                events.len()
                            ),
                        );
                    }
                    PERSISTENT
                }
                _ => {
                    self.violated(
                        Invariant::Watches,
                        format!(
                            "{} events for a watch never set ({handle:?}, client {generation}), first {:?}",
                            events.len(),
                            events[0]
                        ),
                    );
                    continue;
                }
            };
            for event in events {
                if event.path != expected || event.event_type != EventType::NodeDataChanged {
                    self.violated(
                        Invariant::Watches,
                        format!("{handle:?} on {expected} got {event:?}"),
                    );
                }
            }
        }
    }

    fn persistent_set(&self, generation: u64, handle: WatchHandle) {
        lock(&self.book).persistent.insert(generation, handle);
    }

    fn has_persistent(&self, generation: u64) -> bool {
        lock(&self.book).persistent.contains_key(&generation)
    }

    fn persistent_events(&self, generation: u64) -> usize {
        let book = lock(&self.book);
        book.persistent
            .get(&generation)
            .and_then(|handle| book.fired.get(&(generation, *handle)))
            .map_or(0, Vec::len)
    }

    fn persistent_changed(&self) {
        lock(&self.book).persistent_changes += 1;
    }

    fn persistent_changes(&self) -> u64 {
        lock(&self.book).persistent_changes
    }

    /// Whether, once the faults are over and the live client `live` is connected,
    /// every one-shot watch of it whose node changed (`versions` read at the end) has
    /// fired, and its persistent watch has fired since it had `events_before` events.
    fn watches_settled(
        &self,
        live: u64,
        versions: &HashMap<String, i32>,
        events_before: usize,
    ) -> bool {
        self.unfired(live, versions).is_empty() && self.persistent_events(live) > events_before
    }

    /// The watch checks at the end, after waiting for [`Chaos::watches_settled`].
    fn report_watches(&self, live: u64, versions: &HashMap<String, i32>, events_before: usize) {
        let unfired = self.unfired(live, versions);
        if !unfired.is_empty() {
            self.violated(
                Invariant::Watches,
                format!("changed nodes whose watches never fired: {unfired:?}"),
            );
        }
        if self.persistent_events(live) <= events_before {
            self.violated(
                Invariant::Watches,
                "the persistent watch did not fire for a change after the faults",
            );
        }
        self.check_watch_events(self.persistent_changes());
    }
}

/// The counter's acknowledged and unknown tokens.
#[derive(Default)]
struct CounterLedger {
    acked: HashSet<String>,
    unknown: HashSet<String>,
}

/// The watches set and the events received, per client generation (a new client
/// after an expiry is the next generation).
#[derive(Default)]
struct WatchBook {
    one_shot: HashMap<(u64, WatchHandle), (String, i32)>,
    persistent: HashMap<u64, WatchHandle>,
    fired: HashMap<(u64, WatchHandle), Vec<WatchedEvent>>,
    /// Changes of [`PERSISTENT`] that were or may have been applied.
    persistent_changes: u64,
}

/// The session states one client went through (invariant 5).
struct SessionTrack {
    session_id: i64,
    history: Vec<KeeperState>,
    connected: bool,
    ended: Option<KeeperState>,
    closing: bool,
}

impl SessionTrack {
    fn new(session_id: i64) -> SessionTrack {
        SessionTrack {
            session_id,
            history: Vec::new(),
            connected: true,
            ended: None,
            closing: false,
        }
    }

    /// Takes one state change; `session_id` is the client's at that moment.
    fn handle_state(&mut self, chaos: &Chaos, state: KeeperState, session_id: i64) {
        let first = self.history.is_empty();
        self.history.push(state);
        chaos.tally(state);
        let legal = match (self.ended, self.connected, state) {
            (Some(_), _, _) => false,
            // The connect's own event, where the client hands it out.
            (None, true, KeeperState::SyncConnected) => first,
            (None, true, KeeperState::Disconnected) => true,
            (None, false, KeeperState::SyncConnected) => true,
            (None, false, KeeperState::Expired) => true,
            (None, _, KeeperState::Closed) => self.closing,
            _ => false,
        };
        if !legal {
            chaos.violated(
                Invariant::Session,
                format!("illegal transition: states {:?}", self.history),
            );
        }
        if session_id != self.session_id {
            chaos.violated(
                Invariant::Session,
                format!(
                    "session id {session_id:#x} after {:?}, was {:#x}",
                    self.history, self.session_id
                ),
            );
        }
        match state {
            KeeperState::SyncConnected => self.connected = true,
            KeeperState::Disconnected => self.connected = false,
            KeeperState::Expired | KeeperState::Closed => self.ended = Some(state),
            _ => {}
        }
    }

    fn expired(&self) -> bool {
        self.ended == Some(KeeperState::Expired)
    }
}

/// After the all-member blackhole, a client must have seen its session expire.
fn check_expired_once_at_least(chaos: &Chaos, generations: u64) {
    if generations == 0 {
        chaos.violated(
            Invariant::Session,
            "the all-member blackhole outlasted the session, yet no session expired",
        );
    }
}

// ----- the counter ------------------------------------------------------------------

/// The tokens of the increments applied to the counter: its data, comma-separated.
fn tokens(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One increment of the counter, a small machine both kinds of driver run: read,
/// write with the version read, until the write is acknowledged or a read shows it
/// applied.
struct Increment {
    token: String,
}

enum IncrementStep {
    Read,
    Write { data: Vec<u8>, version: i32 },
    Done,
}

impl Increment {
    /// At most this many reads and writes: contention between the workers is bounded.
    const STEPS: usize = 24;

    fn after_read(
        &self,
        chaos: &Chaos,
        read: Result<(Bytes, Stat), Error>,
        state: SessionState,
    ) -> IncrementStep {
        match read {
            Ok((data, _)) if tokens(&data).contains(&self.token) => IncrementStep::Done,
            Ok((data, stat)) => {
                let mut data = data.to_vec();
                if !data.is_empty() {
                    data.push(b',');
                }
                data.extend_from_slice(self.token.as_bytes());
                IncrementStep::Write {
                    data,
                    version: stat.version,
                }
            }
            Err(err) => self.failed(chaos, "read the counter", &err, state),
        }
    }

    fn after_write(
        &self,
        chaos: &Chaos,
        write: Result<Stat, Error>,
        state: SessionState,
    ) -> IncrementStep {
        match write {
            Ok(_) => {
                let mut ledger = lock(&chaos.counter);
                ledger.unknown.remove(&self.token);
                ledger.acked.insert(self.token.clone());
                IncrementStep::Done
            }
            Err(Error::BadVersion { .. }) => IncrementStep::Read,
            Err(err) => {
                lock(&chaos.counter).unknown.insert(self.token.clone());
                self.failed(chaos, "write the counter", &err, state)
            }
        }
    }

    fn failed(&self, chaos: &Chaos, what: &str, err: &Error, state: SessionState) -> IncrementStep {
        chaos.check_failure(what, err, |_| false, state);
        match err {
            Error::SessionExpired => IncrementStep::Done,
            _ => IncrementStep::Read,
        }
    }
}

// ----- the workload -----------------------------------------------------------------

/// The operations of the workload.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Delete,
    Multi,
    Increment,
    WatchData,
    ChangeWatched,
    ChangePersistent,
    Pipeline,
}

impl Op {
    fn pick(rng: &mut ChaosRng) -> Op {
        match rng.below(16) {
            0..=1 => Op::Create,
            2..=3 => Op::Delete,
            4 => Op::Multi,
            5..=7 => Op::Increment,
            8..=10 => Op::WatchData,
            11..=12 => Op::ChangeWatched,
            13 => Op::ChangePersistent,
            _ => Op::Pipeline,
        }
    }
}

/// A churn node of `worker`.
fn churn_path(rng: &mut ChaosRng, worker: u64) -> String {
    format!("{CHURN}/{worker}-{}", rng.below(6))
}

fn churn_mode(rng: &mut ChaosRng) -> CreateMode {
    match rng.percent(50) {
        true => CreateMode::Ephemeral,
        false => CreateMode::Persistent,
    }
}

fn exists_already(err: &Error) -> bool {
    matches!(err, Error::NodeExists { .. })
}

fn missing(err: &Error) -> bool {
    matches!(err, Error::NoNode { .. })
}

fn churn_conflict(err: &Error) -> bool {
    matches!(
        err,
        Error::TransactionFailed {
            code: ErrorCode::NoNode | ErrorCode::NodeExists,
            ..
        }
    )
}

/// What one operation of the workload came to, and which errors it may meet on its
/// own (besides those of faults).
type Outcome = (Result<(), Error>, fn(&Error) -> bool);

fn none_of_its_own(_: &Error) -> bool {
    false
}

/// The node a change operation changes: a watched one, or the persistent watch's
/// (counted: that watch may fire no more often than its node changed).
fn changed_path(op: Op, rng: &mut ChaosRng, chaos: &Chaos) -> &'static str {
    match op {
        Op::ChangePersistent => {
            chaos.persistent_changed();
            PERSISTENT
        }
        _ => WATCHED[rng.below(4) as usize],
    }
}

/// A pipelined batch: reads of the watched nodes and the counter.
fn pipeline_requests() -> Vec<Request> {
    WATCHED
        .iter()
        .map(|path| Request::get_data(*path, false))
        .chain([
            Request::exists(COUNTER, false),
            Request::get_children(CHURN, false),
        ])
        .collect()
}

/// The blocking clients, as the workload calls them.
trait SyncZk {
    fn state(&self) -> SessionState;
    fn get_data(&mut self, path: &str) -> Result<(Bytes, Stat), Error>;
    fn set_data(&mut self, path: &str, data: Vec<u8>, version: Version) -> Result<Stat, Error>;
    fn create(&mut self, path: &str, mode: CreateMode) -> Result<String, Error>;
    fn delete(&mut self, path: &str) -> Result<(), Error>;
    fn multi(&mut self, transaction: Transaction) -> Result<(), Error>;
    fn get_data_watch(&mut self, path: &str) -> Result<(Stat, WatchHandle), Error>;
    fn add_watch(&mut self, path: &str) -> Result<WatchHandle, Error>;
    fn sync(&mut self) -> Result<(), Error>;
    /// Submits `requests` at once and waits for each reply: each must come once.
    fn pipeline(&mut self, chaos: &Chaos, requests: Vec<Request>) -> Vec<Result<Response, Error>>;
}

macro_rules! sync_zk_calls {
    ($client:ty) => {
        fn state(&self) -> SessionState {
            <$client>::state(self)
        }
        fn get_data(&mut self, path: &str) -> Result<(Bytes, Stat), Error> {
            <$client>::get_data(self, path)
        }
        fn set_data(&mut self, path: &str, data: Vec<u8>, version: Version) -> Result<Stat, Error> {
            <$client>::set_data(self, path, data, version)
        }
        fn create(&mut self, path: &str, mode: CreateMode) -> Result<String, Error> {
            <$client>::create(self, path, "", mode)
        }
        fn delete(&mut self, path: &str) -> Result<(), Error> {
            <$client>::delete(self, path, Version::Any)
        }
        fn multi(&mut self, transaction: Transaction) -> Result<(), Error> {
            <$client>::multi(self, transaction).map(drop)
        }
        fn get_data_watch(&mut self, path: &str) -> Result<(Stat, WatchHandle), Error> {
            <$client>::get_data_watch(self, path).map(|(_, stat, watch)| (stat, watch))
        }
        fn add_watch(&mut self, path: &str) -> Result<WatchHandle, Error> {
            <$client>::add_watch(self, path, AddWatchMode::Persistent)
        }
        fn sync(&mut self) -> Result<(), Error> {
            <$client>::sync(self, "/").map(drop)
        }
    };
}

impl SyncZk for Client {
    sync_zk_calls!(Client);

    fn pipeline(&mut self, chaos: &Chaos, requests: Vec<Request>) -> Vec<Result<Response, Error>> {
        let submitted: Vec<_> = requests.into_iter().map(|r| self.submit(r)).collect();
        submitted
            .into_iter()
            .map(|id| {
                let id = id?;
                // `wait` gives up after the call timeout but leaves the request
                // outstanding: its completion is still to come, exactly once.
                let since = Instant::now();
                let result = loop {
                    match self.wait(id) {
                        Err(Error::Timeout(_)) if since.elapsed() < CALL_BOUND => {}
                        other => break other,
                    }
                };
                if self.wait(id) != Err(Error::UnknownRequest(id)) {
                    chaos.violated(Invariant::NoHang, format!("request {id} completed twice"));
                }
                result
            })
            .collect()
    }
}

impl SyncZk for SharedClient {
    sync_zk_calls!(SharedClient);

    fn pipeline(&mut self, _: &Chaos, requests: Vec<Request>) -> Vec<Result<Response, Error>> {
        let pending: Vec<_> = requests.into_iter().map(|r| self.submit(r)).collect();
        pending
            .into_iter()
            .map(|reply| reply?.wait()?.result)
            .collect()
    }
}

/// One operation of the workload on a blocking client.
fn sync_op<Z: SyncZk>(zk: &mut Z, chaos: &Chaos, rng: &mut ChaosRng, worker: u64, generation: u64) {
    let op = Op::pick(rng);
    let what = format!("{op:?} by worker {worker}");
    let (result, own): Outcome = match op {
        Op::Create => {
            let (path, mode) = (churn_path(rng, worker), churn_mode(rng));
            (
                chaos.call(&what, || zk.create(&path, mode)).map(drop),
                exists_already,
            )
        }
        Op::Delete => {
            let path = churn_path(rng, worker);
            (chaos.call(&what, || zk.delete(&path)), missing)
        }
        Op::Multi => {
            let transaction = Transaction::new()
                .create(churn_path(rng, worker), "", churn_mode(rng))
                .delete(churn_path(rng, worker), Version::Any);
            (chaos.call(&what, || zk.multi(transaction)), churn_conflict)
        }
        Op::Increment => {
            let increment = Increment {
                token: format!("{worker}.{}", rng.next_u64() % 1_000_000_000),
            };
            let mut step = IncrementStep::Read;
            for _ in 0..Increment::STEPS {
                step = match step {
                    IncrementStep::Read => {
                        let read = chaos.call("read the counter", || zk.get_data(COUNTER));
                        increment.after_read(chaos, read, zk.state())
                    }
                    IncrementStep::Write { data, version } => {
                        let write = chaos.call("write the counter", || {
                            zk.set_data(COUNTER, data, Version::Exact(version))
                        });
                        increment.after_write(chaos, write, zk.state())
                    }
                    IncrementStep::Done => break,
                };
            }
            (Ok(()), none_of_its_own)
        }
        Op::WatchData => {
            let path = WATCHED[rng.below(4) as usize];
            let result = chaos.call(&what, || zk.get_data_watch(path));
            let result = result
                .map(|(stat, handle)| chaos.watch_set(generation, handle, path, stat.version));
            (result, none_of_its_own)
        }
        Op::ChangeWatched | Op::ChangePersistent => {
            let path = changed_path(op, rng, chaos);
            let data = what.clone().into_bytes();
            let set = chaos.call(&what, || zk.set_data(path, data, Version::Any));
            (set.map(drop), none_of_its_own)
        }
        Op::Pipeline => {
            let results = chaos.call(&what, || zk.pipeline(chaos, pipeline_requests()));
            for err in results.iter().filter_map(|r| r.as_ref().err()) {
                chaos.check_failure(&what, err, none_of_its_own, zk.state());
            }
            (Ok(()), none_of_its_own)
        }
    };
    if let Err(err) = result {
        chaos.check_failure(&what, &err, own, zk.state());
    }
    thread::sleep(Duration::from_millis(rng.below(4)));
}

/// Sets the persistent watch of a client generation (retried by the caller's loop).
fn sync_persistent_watch<Z: SyncZk>(zk: &mut Z, chaos: &Chaos, generation: u64) -> bool {
    match chaos.call("add the persistent watch", || zk.add_watch(PERSISTENT)) {
        Ok(handle) => {
            chaos.persistent_set(generation, handle);
            true
        }
        Err(err) => {
            chaos.check_failure(
                "add the persistent watch",
                &err,
                none_of_its_own,
                zk.state(),
            );
            false
        }
    }
}

/// `call` once the faults are over: it may still meet a connection moving to another
/// member, never anything else.
fn settled<T>(chaos: &Chaos, what: &str, mut call: impl FnMut() -> Result<T, Error>) -> T {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        match chaos.call(what, &mut call) {
            Ok(value) => return value,
            Err(Error::ConnectionLoss | Error::Timeout(_)) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(50));
            }
            Err(err) => panic!("seed {}: {what} after the faults: {err}", chaos.seed),
        }
    }
}

/// The final reads through the live client, which must work once the faults are
/// over: after a sync, the counter (checked) and the watched nodes' versions.
fn final_reads(chaos: &Chaos, zk: &mut impl SyncZk) -> HashMap<String, i32> {
    settled(chaos, "sync at the end", || zk.sync());
    let (data, _) = settled(chaos, "read the counter at the end", || {
        zk.get_data(COUNTER)
    });
    chaos.check_counter(&data);
    WATCHED
        .iter()
        .map(|path| {
            let (_, stat) = settled(chaos, "read a watched node at the end", || {
                zk.get_data(path)
            });
            (path.to_string(), stat.version)
        })
        .collect()
}

/// A last change of the persistent watch's node, which the live client's watch must
/// report; returns how many events that watch had before it.
fn last_persistent_change(chaos: &Chaos, zk: &mut impl SyncZk, generation: u64) -> usize {
    let before = chaos.persistent_events(generation);
    chaos.persistent_changed();
    settled(chaos, "the last change after the faults", || {
        zk.set_data(PERSISTENT, b"last".to_vec(), Version::Any)
    });
    before
}

// ----- the blocking client ----------------------------------------------------------

fn blocking_connect(chaos: &Chaos) -> (Client, SessionTrack) {
    let zk = chaos.call("connect a new client", || {
        Client::connect(&chaos.connect_string, chaos.options())
    });
    let zk = zk.unwrap_or_else(|err| panic!("seed {}: connecting: {err}", chaos.seed));
    let track = SessionTrack::new(zk.session_id());
    (zk, track)
}

/// Hands the blocking client's events to the checks: those queued, and those that
/// come within `wait` (which keeps its session going meanwhile).
fn blocking_events(chaos: &Chaos, live: &mut BlockingLive, wait: Duration) {
    let mut wait = wait;
    loop {
        match live.zk.next_event(wait) {
            Ok(Some(event)) => {
                let session_id = live.zk.session_id();
                handle_event(chaos, &mut live.track, live.generation, &event, session_id);
            }
            Ok(None) | Err(_) => return,
        }
        wait = Duration::ZERO;
    }
}

/// One event of a blocking client.
fn handle_event(
    chaos: &Chaos,
    track: &mut SessionTrack,
    generation: u64,
    event: &Event,
    session_id: i64,
) {
    match event {
        Event::Watch(watch) => chaos.watch_event(generation, watch),
        Event::Session { state, .. } => track.handle_state(chaos, *state, session_id),
        Event::Overflow { .. } => chaos.violated(Invariant::Watches, format!("{event:?}")),
    }
}

/// After an expiry: the client said so in its states (`track`) and says so now
/// (`state`), and its calls fail with SessionExpired (`call`).
fn check_reports_expiry(
    chaos: &Chaos,
    track: &SessionTrack,
    state: SessionState,
    call: Result<(), Error>,
) {
    if !track.expired() || state != SessionState::Expired || call != Err(Error::SessionExpired) {
        chaos.violated(
            Invariant::Session,
            format!(
                "the session ended with states {:?}; the client says {state:?} and a call gets {call:?}",
                track.history
            ),
        );
    }
}

/// The blocking client of the moment and what is known of it.
struct BlockingLive {
    zk: Client,
    track: SessionTrack,
    generation: u64,
    watching: bool,
}

impl BlockingLive {
    fn connect(chaos: &Chaos, generation: u64) -> BlockingLive {
        let (zk, track) = blocking_connect(chaos);
        BlockingLive {
            zk,
            track,
            generation,
            watching: false,
        }
    }

    /// If the session expired: checks that the client reports it, and replaces it.
    fn renew_if_expired(&mut self, chaos: &Chaos) {
        if self.zk.state() != SessionState::Expired {
            return;
        }
        // The Expired event may still be queued behind what was read so far.
        blocking_events(chaos, self, Duration::ZERO);
        let call = self.zk.exists("/").map(drop);
        check_reports_expiry(chaos, &self.track, self.zk.state(), call);
        *self = BlockingLive::connect(chaos, self.generation + 1);
    }
}

fn blocking_worker(chaos: &Chaos) -> BlockingLive {
    let mut rng = ChaosRng::new(chaos.seed, 1);
    let mut live = BlockingLive::connect(chaos, 0);
    while !chaos.stopping() {
        if !live.watching {
            live.watching = sync_persistent_watch(&mut live.zk, chaos, live.generation);
        }
        sync_op(&mut live.zk, chaos, &mut rng, 1, live.generation);
        blocking_events(chaos, &mut live, Duration::ZERO);
        live.renew_if_expired(chaos);
    }
    live
}

fn blocking_final_checks(chaos: &Chaos, mut live: BlockingLive) {
    // The session may have expired right at the end of the faults.
    live.renew_if_expired(chaos);
    while !live.watching {
        live.watching = sync_persistent_watch(&mut live.zk, chaos, live.generation);
    }
    let versions = final_reads(chaos, &mut live.zk);
    let before = last_persistent_change(chaos, &mut live.zk, live.generation);
    let deadline = Instant::now() + FIRE_PATIENCE;
    while !chaos.watches_settled(live.generation, &versions, before) && Instant::now() < deadline {
        blocking_events(chaos, &mut live, Duration::from_millis(20));
    }
    chaos.report_watches(live.generation, &versions, before);
    check_expired_once_at_least(chaos, live.generation);
    if live.zk.outstanding() != 0 {
        chaos.violated(
            Invariant::NoHang,
            format!("{} requests never completed", live.zk.outstanding()),
        );
    }
    live.track.closing = true;
    live.zk.close();
    blocking_events(chaos, &mut live, Duration::ZERO);
}

// ----- the shared client ------------------------------------------------------------

/// The shared client of the moment, replaced after an expiry.
struct SharedGeneration {
    current: RwLock<(u64, SharedClient)>,
    closing: AtomicBool,
}

impl SharedGeneration {
    fn connect(chaos: &Chaos, generation: u64) -> SharedGeneration {
        SharedGeneration {
            current: RwLock::new((generation, shared_connect(chaos))),
            closing: AtomicBool::new(false),
        }
    }

    fn get(&self) -> (u64, SharedClient) {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (current.0, current.1.clone())
    }

    fn renew(&self, chaos: &Chaos) {
        let zk = shared_connect(chaos);
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        *current = (current.0 + 1, zk);
    }
}

fn shared_connect(chaos: &Chaos) -> SharedClient {
    chaos
        .call("connect a new client", || {
            SharedClient::connect(&chaos.connect_string, chaos.options())
        })
        .unwrap_or_else(|err| panic!("seed {}: connecting: {err}", chaos.seed))
}

/// Reads every event of every generation; replaces an expired client.
fn shared_observer(chaos: &Chaos, generations: &SharedGeneration) {
    loop {
        let (generation, zk) = generations.get();
        let events = zk.events();
        let mut track = SessionTrack::new(zk.session_id());
        loop {
            match events.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(event)) => {
                    track.closing = generations.closing.load(Ordering::Acquire);
                    handle_event(chaos, &mut track, generation, &event, zk.session_id());
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
        if track.ended == Some(KeeperState::Closed) {
            return;
        }
        let call = zk.exists("/").map(drop);
        check_reports_expiry(chaos, &track, zk.state(), call);
        if generations.closing.load(Ordering::Acquire) {
            return;
        }
        generations.renew(chaos);
    }
}

fn shared_worker(chaos: &Chaos, generations: &SharedGeneration, worker: u64) {
    let mut rng = ChaosRng::new(chaos.seed, worker);
    while !chaos.stopping() {
        let (generation, mut zk) = generations.get();
        if zk.state() == SessionState::Expired {
            wait_for_next_generation(chaos, generation, || generations.get().0);
            continue;
        }
        if worker == 1 && !chaos.has_persistent(generation) {
            sync_persistent_watch(&mut zk, chaos, generation);
        }
        sync_op(&mut zk, chaos, &mut rng, worker, generation);
    }
}

/// Waits (bounded) for the observer to replace an expired client.
fn wait_for_next_generation(chaos: &Chaos, generation: u64, current: impl Fn() -> u64) {
    let since = Instant::now();
    while current() == generation {
        if since.elapsed() > CONNECT_TIMEOUT + CALL_BOUND {
            panic!(
                "seed {}: no new client {:?} after the expiry",
                chaos.seed,
                since.elapsed()
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn shared_final_checks(chaos: &Chaos, generations: &SharedGeneration) {
    let (mut generation, mut zk) = generations.get();
    if zk.state() == SessionState::Expired {
        wait_for_next_generation(chaos, generation, || generations.get().0);
        (generation, zk) = generations.get();
    }
    while !chaos.has_persistent(generation) {
        sync_persistent_watch(&mut zk, chaos, generation);
    }
    let versions = final_reads(chaos, &mut zk);
    let before = last_persistent_change(chaos, &mut zk, generation);
    let deadline = Instant::now() + FIRE_PATIENCE;
    while !chaos.watches_settled(generation, &versions, before) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    chaos.report_watches(generation, &versions, before);
    check_expired_once_at_least(chaos, generation);
    if zk.outstanding() != 0 {
        chaos.violated(
            Invariant::NoHang,
            format!("{} requests never completed", zk.outstanding()),
        );
    }
    generations.closing.store(true, Ordering::Release);
    zk.close();
}

// ----- running a scenario -----------------------------------------------------------

/// The scenarios run one at a time: each has three JVMs of its own.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    lock(&SERIAL)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The output of a worker thread, which must end soon after the faults do: else a
/// call hangs, and the test fails naming the calls in flight.
fn joined<T>(chaos: &Chaos, worker: JoinHandle<T>) -> T {
    let deadline = Instant::now() + CALL_BOUND * 2;
    while !worker.is_finished() {
        assert!(
            Instant::now() < deadline,
            "chaos on {} with seed {} (replay: CHAOS_SEED={}): invariant {}: a worker is stuck; calls in flight: {:?}",
            chaos.client,
            chaos.seed,
            chaos.seed,
            Invariant::NoHang,
            chaos.overdue()
        );
        thread::sleep(Duration::from_millis(20));
    }
    match worker.join() {
        Ok(output) => output,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

// ----- the async client -------------------------------------------------------------

/// The same workload and checks on `zk_tokio::Client`: four worker tasks, a task per
/// one-shot watch awaiting its event, one consuming the persistent watch's stream and
/// one following the session's states (and replacing an expired client).
mod on_tokio {
    use super::*;
    use zk_tokio::Client;

    /// The async client of the moment, replaced after an expiry.
    struct Generations {
        current: RwLock<(u64, Client)>,
        closing: AtomicBool,
    }

    impl Generations {
        fn get(&self) -> (u64, Client) {
            let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
            (current.0, current.1.clone())
        }
    }

    async fn connect(chaos: &Chaos) -> Client {
        chaos
            .call_async(
                "connect a new client",
                Client::connect(&chaos.connect_string, chaos.options()),
            )
            .await
            .unwrap_or_else(|err| panic!("seed {}: connecting: {err}", chaos.seed))
    }

    pub async fn run(chaos: Arc<Chaos>) {
        let generations = Arc::new(Generations {
            current: RwLock::new((0, connect(&chaos).await)),
            closing: AtomicBool::new(false),
        });
        let observer = tokio::spawn(observe(Arc::clone(&chaos), Arc::clone(&generations)));
        let workers: Vec<_> = (1..=4)
            .map(|worker| tokio::spawn(work(Arc::clone(&chaos), Arc::clone(&generations), worker)))
            .collect();
        for worker in workers {
            joined(worker).await;
        }
        final_checks(&chaos, &generations).await;
        joined(observer).await;
    }

    async fn joined(task: tokio::task::JoinHandle<()>) {
        if let Err(err) = task.await {
            match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("a task was cancelled: {err}"),
            }
        }
    }

    /// Follows the session's states, generation after generation.
    async fn observe(chaos: Arc<Chaos>, generations: Arc<Generations>) {
        loop {
            let (generation, zk) = generations.get();
            let mut states = zk.state_changes();
            tokio::spawn(persistent_watch(Arc::clone(&chaos), zk.clone(), generation));
            let mut track = SessionTrack::new(zk.session_id());
            while let Some(state) = states.next().await {
                track.closing = generations.closing.load(Ordering::Acquire);
                track.handle_state(&chaos, state, zk.session_id());
            }
            if track.ended == Some(KeeperState::Closed) {
                return;
            }
            let call = zk.exists("/").await.map(drop);
            check_reports_expiry(&chaos, &track, zk.state(), call);
            if generations.closing.load(Ordering::Acquire) {
                return;
            }
            let zk = connect(&chaos).await;
            let mut current = generations
                .current
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            *current = (generation + 1, zk);
        }
    }

    /// Sets the persistent watch of a generation and records its events.
    async fn persistent_watch(chaos: Arc<Chaos>, zk: Client, generation: u64) {
        let mut stream = loop {
            let what = "add the persistent watch";
            match chaos
                .call_async(what, zk.add_watch(PERSISTENT, AddWatchMode::Persistent))
                .await
            {
                Ok(stream) => break stream,
                Err(err) => chaos.check_failure(what, &err, none_of_its_own, zk.state()),
            }
            if zk.state().is_terminal() {
                return;
            }
        };
        chaos.persistent_set(generation, stream.handle());
        while let Some(event) = stream.next().await {
            match event {
                zk_tokio::Event::Watch(watch) => chaos.watch_event(generation, &watch),
                zk_tokio::Event::Session { .. } => {}
                other => chaos.violated(Invariant::Watches, format!("{other:?}")),
            }
        }
    }

    async fn work(chaos: Arc<Chaos>, generations: Arc<Generations>, worker: u64) {
        let mut rng = ChaosRng::new(chaos.seed, worker);
        while !chaos.stopping() {
            let (generation, zk) = generations.get();
            if zk.state() == SessionState::Expired {
                next_generation(&chaos, &generations, generation).await;
                continue;
            }
            op(&zk, &chaos, &mut rng, worker, generation).await;
        }
    }

    /// Waits (bounded) for the observer to replace an expired client.
    async fn next_generation(chaos: &Chaos, generations: &Generations, generation: u64) {
        let since = Instant::now();
        while generations.get().0 == generation {
            assert!(
                since.elapsed() < CONNECT_TIMEOUT + CALL_BOUND,
                "seed {}: no new client {:?} after the expiry",
                chaos.seed,
                since.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// One operation of the workload.
    async fn op(zk: &Client, chaos: &Arc<Chaos>, rng: &mut ChaosRng, worker: u64, generation: u64) {
        let op = Op::pick(rng);
        let what = format!("{op:?} by task {worker}");
        let (result, own): Outcome = match op {
            Op::Create => {
                let (path, mode) = (churn_path(rng, worker), churn_mode(rng));
                let created = chaos.call_async(&what, zk.create(&path, "", mode)).await;
                (created.map(drop), exists_already)
            }
            Op::Delete => {
                let path = churn_path(rng, worker);
                (
                    chaos
                        .call_async(&what, zk.delete(&path, Version::Any))
                        .await,
                    missing,
                )
            }
            Op::Multi => {
                let transaction = Transaction::new()
                    .create(churn_path(rng, worker), "", churn_mode(rng))
                    .delete(churn_path(rng, worker), Version::Any);
                let done = chaos.call_async(&what, zk.multi(transaction)).await;
                (done.map(drop), churn_conflict)
            }
            Op::Increment => {
                increment(zk, chaos, rng, worker).await;
                (Ok(()), none_of_its_own)
            }
            Op::WatchData => {
                let path = WATCHED[rng.below(4) as usize];
                let read = chaos.call_async(&what, zk.get_data_watch(path)).await;
                let set = read.map(|(_, stat, watch)| {
                    chaos.watch_set(generation, watch.handle(), path, stat.version);
                    let chaos = Arc::clone(chaos);
                    tokio::spawn(async move {
                        let handle = watch.handle();
                        if let Ok(event) = watch.await {
                            if !event.fired(handle) {
                                chaos.violated(
                                    Invariant::Watches,
                                    format!("{handle:?} resolved with {event:?}"),
                                );
                            }
                            chaos.watch_fired(generation, handle, &event);
                        }
                    });
                });
                (set, none_of_its_own)
            }
            Op::ChangeWatched | Op::ChangePersistent => {
                let path = changed_path(op, rng, chaos);
                let set = zk.set_data(path, what.as_str(), Version::Any);
                (
                    chaos.call_async(&what, set).await.map(drop),
                    none_of_its_own,
                )
            }
            Op::Pipeline => {
                // Raw requests have no call timeout: each completion must come on its
                // own, in bounded time (the check of invariant 1 sees to it).
                let pending: Vec<_> = pipeline_requests()
                    .into_iter()
                    .map(|r| zk.submit(r))
                    .collect();
                for reply in pending {
                    let completion = match reply {
                        Ok(reply) => chaos.call_async(&what, reply).await.result.map(drop),
                        Err(err) => Err(err),
                    };
                    if let Err(err) = completion {
                        chaos.check_failure(&what, &err, none_of_its_own, zk.state());
                    }
                }
                (Ok(()), none_of_its_own)
            }
        };
        if let Err(err) = result {
            chaos.check_failure(&what, &err, own, zk.state());
        }
        tokio::time::sleep(Duration::from_millis(rng.below(4))).await;
    }

    async fn increment(zk: &Client, chaos: &Chaos, rng: &mut ChaosRng, worker: u64) {
        let increment = Increment {
            token: format!("{worker}.{}", rng.next_u64() % 1_000_000_000),
        };
        let mut step = IncrementStep::Read;
        for _ in 0..Increment::STEPS {
            step = match step {
                IncrementStep::Read => {
                    let read = chaos
                        .call_async("read the counter", zk.get_data(COUNTER))
                        .await;
                    increment.after_read(chaos, read, zk.state())
                }
                IncrementStep::Write { data, version } => {
                    let set = zk.set_data(COUNTER, data, Version::Exact(version));
                    let write = chaos.call_async("write the counter", set).await;
                    increment.after_write(chaos, write, zk.state())
                }
                IncrementStep::Done => break,
            };
        }
    }

    /// `call` once the faults are over (see [`super::settled`]).
    async fn settled<T, F: Future<Output = Result<T, Error>>>(
        chaos: &Chaos,
        what: &str,
        mut call: impl FnMut() -> F,
    ) -> T {
        let deadline = Instant::now() + common::PATIENCE;
        loop {
            match chaos.call_async(what, call()).await {
                Ok(value) => return value,
                Err(Error::ConnectionLoss | Error::Timeout(_)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("seed {}: {what} after the faults: {err}", chaos.seed),
            }
        }
    }

    async fn final_checks(chaos: &Chaos, generations: &Generations) {
        let (mut generation, mut zk) = generations.get();
        if zk.state() == SessionState::Expired {
            next_generation(chaos, generations, generation).await;
            (generation, zk) = generations.get();
        }
        let mut waited = 0;
        while !chaos.has_persistent(generation) && waited < 500 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += 1;
        }
        settled(chaos, "sync at the end", || zk.sync("/")).await;
        let (data, _) = settled(chaos, "read the counter at the end", || {
            zk.get_data(COUNTER)
        })
        .await;
        chaos.check_counter(&data);
        let mut versions = HashMap::new();
        for path in WATCHED {
            let (_, stat) = settled(chaos, "read a watched node at the end", || {
                zk.get_data(path)
            })
            .await;
            versions.insert(path.to_string(), stat.version);
        }
        let before = chaos.persistent_events(generation);
        chaos.persistent_changed();
        settled(chaos, "the last change after the faults", || {
            zk.set_data(PERSISTENT, "last", Version::Any)
        })
        .await;
        // The watch tasks record on their own meanwhile.
        let deadline = Instant::now() + FIRE_PATIENCE;
        while !chaos.watches_settled(generation, &versions, before) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        chaos.report_watches(generation, &versions, before);
        if zk.outstanding() != 0 {
            chaos.violated(
                Invariant::NoHang,
                format!("{} requests never completed", zk.outstanding()),
            );
        }
        check_expired_once_at_least(chaos, generation);
        generations.closing.store(true, Ordering::Release);
        zk.close().await;
    }
}
