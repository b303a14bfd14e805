//! Leader election with zk-recipes' `LeaderElection` on the blocking client: each
//! candidate holds an ephemeral sequential node under the election path; the lowest
//! is the leader, and every other candidate watches only its predecessor, so when the
//! leader's session dies exactly one candidate wakes up and takes over.
//!
//! ```sh
//! cargo run -p zk-blocking --example leader_election -- --demo             # ensemble demo
//! cargo run -p zk-blocking --example leader_election -- 127.0.0.1:2181     # your server
//! ```
//!
//! `--demo` starts a local 3-member ZooKeeper ensemble (through the test harness), runs
//! three candidates, kills the leading candidate (its session expires), kills the
//! ensemble's own leader member, and prints each transition.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zk_blocking::{Client, Error, Event, KeeperState, Options};
use zk_recipes::LeaderElection;
use zk_recipes::run::Blocking;

/// One candidate: a session and its candidacy (zk-recipes' `LeaderElection`).
pub struct Candidate {
    client: Client,
    election: LeaderElection,
}

impl Candidate {
    /// Connects and enters the election under `dir` with `name` as the node's data.
    pub fn volunteer(
        connect_string: &str,
        options: Options,
        dir: &str,
        name: &str,
    ) -> Result<Candidate, Error> {
        let mut client = Client::connect(connect_string, options)?;
        let mut election = LeaderElection::new(dir, name.to_string());
        // Takes a place in line now (a zero wait), so candidates lead in the order
        // they volunteered.
        election.run_for_leadership(&mut Blocking::new(&mut client), Some(Duration::ZERO))?;
        Ok(Candidate { client, election })
    }

    /// Waits until this candidate leads, or `stop` is set (then returns false).
    /// While it waits it watches its predecessor only, and keeps its session alive.
    pub fn wait_for_leadership(&mut self, stop: &dyn Fn() -> bool) -> Result<bool, Error> {
        let mut driver = Blocking::new(&mut self.client);
        loop {
            let slice = Some(Duration::from_millis(100));
            if self.election.run_for_leadership(&mut driver, slice)? {
                return Ok(true);
            }
            if stop() {
                return Ok(false);
            }
        }
    }

    /// Serves as leader until `stop` is set; reports connection trouble on the way.
    pub fn lead(&mut self, stop: &dyn Fn() -> bool, report: &dyn Fn(String)) -> Result<(), Error> {
        let mut disconnected = false;
        while !stop() {
            match self.client.next_event(Duration::from_millis(100))? {
                Some(Event::Session(KeeperState::Disconnected)) => {
                    disconnected = true;
                    report("lost its ZooKeeper connection; reconnecting".into());
                }
                Some(Event::Session(KeeperState::SyncConnected)) if disconnected => {
                    disconnected = false;
                    report("reconnected: its session, and so its leadership, survived".into());
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The candidate's session id.
    pub fn session_id(&self) -> i64 {
        self.client.session_id()
    }

    /// Leaves like a crashed process: the node stays until the server expires the
    /// session.
    pub fn crash(self) {
        self.client.forget();
    }
}

/// What a candidate thread tells the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The candidate has volunteered (its session id).
    Volunteered(String, i64),
    /// The candidate is the leader now.
    Leading(String),
    /// Something worth printing.
    Note(String, String),
    /// The candidate failed.
    Failed(String, String),
}

/// A running candidate thread and its controls.
pub struct CandidateThread {
    /// The candidate's name.
    pub name: String,
    crash: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl CandidateThread {
    /// Makes the candidate die without closing its session.
    pub fn crash(&self) {
        self.crash.store(true, Ordering::SeqCst);
    }

    /// Stops the candidate (closing its session) and waits for its thread.
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
    }
}

/// Starts a candidate in its own thread.
pub fn spawn_candidate(
    connect_string: &str,
    options: Options,
    dir: &str,
    name: &str,
    reports: Sender<Report>,
) -> CandidateThread {
    let crash = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (cs, dir, n) = (
        connect_string.to_string(),
        dir.to_string(),
        name.to_string(),
    );
    let (crash2, stop2) = (crash.clone(), stop.clone());
    let thread = thread::spawn(move || {
        // Either flag ends the waiting; only the crash flag skips the close.
        let stop = || crash2.load(Ordering::SeqCst) || stop2.load(Ordering::SeqCst);
        let run = || -> Result<(), Error> {
            let mut me = Candidate::volunteer(&cs, options, &dir, &n)?;
            let _ = reports.send(Report::Volunteered(n.clone(), me.session_id()));
            if me.wait_for_leadership(&stop)? {
                let _ = reports.send(Report::Leading(n.clone()));
                me.lead(&stop, &|note| {
                    let _ = reports.send(Report::Note(n.clone(), note));
                })?;
            }
            if crash2.load(Ordering::SeqCst) {
                me.crash();
            }
            Ok(())
        };
        if let Err(e) = run() {
            let _ = reports.send(Report::Failed(n.clone(), e.to_string()));
        }
    });
    CandidateThread {
        name: name.to_string(),
        crash,
        stop,
        thread,
    }
}

/// The demo's end of the report channel; reports not yet wanted wait in a backlog.
struct Reports {
    rx: Receiver<Report>,
    backlog: VecDeque<Report>,
}

impl Reports {
    /// Waits for the next report that `want` accepts, printing notes on the way.
    fn wait_for(
        &mut self,
        timeout: Duration,
        want: impl Fn(&Report) -> bool,
    ) -> Result<Report, Box<dyn StdError>> {
        if let Some(i) = self.backlog.iter().position(&want) {
            return Ok(self.backlog.remove(i).expect("in range"));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let report = self
                .rx
                .recv_timeout(left)
                .map_err(|_| format!("no expected report within {timeout:?}"))?;
            match &report {
                Report::Failed(n, e) => return Err(format!("{n} failed: {e}").into()),
                Report::Note(n, note) => println!("  {n}: {note}"),
                _ if want(&report) => return Ok(report),
                _ => self.backlog.push_back(report),
            }
        }
    }
}

/// Runs three candidates on `connect_string`, crashes the first leader and returns the
/// leaders in order (the first, then its successor). `on_leader` runs once the first
/// leader is known (the demo kills a ZooKeeper member there).
pub fn run(
    connect_string: &str,
    session_timeout: Duration,
    mut between: impl FnMut(&str) -> Result<(), Box<dyn StdError>>,
) -> Result<Vec<String>, Box<dyn StdError>> {
    let dir = format!("/election-{}", std::process::id());
    let (tx, rx) = mpsc::channel();
    let mut reports = Reports {
        rx,
        backlog: VecDeque::new(),
    };
    // Quick retries while an ensemble re-elects its own leader; the server, not the
    // client's own timer, decides when a cut-off candidate's session has expired.
    let options = Options::default()
        .session_timeout(session_timeout)
        .reconnect_backoff(Duration::from_millis(100), Duration::from_secs(1))
        .client_side_expiry(false);
    let mut candidates = Vec::new();
    for i in 1..=3 {
        let name = format!("candidate-{i}");
        candidates.push(spawn_candidate(
            connect_string,
            options.clone(),
            &dir,
            &name,
            tx.clone(),
        ));
        // One at a time, so that candidate-1 has the lowest node.
        if let Report::Volunteered(n, id) = reports.wait_for(Duration::from_secs(20), |r| {
            matches!(r, Report::Volunteered(..))
        })? {
            println!("{n} volunteered (session {id:#x})");
        }
    }
    let mut leaders = Vec::new();
    let Report::Leading(first) =
        reports.wait_for(Duration::from_secs(20), |r| matches!(r, Report::Leading(_)))?
    else {
        unreachable!()
    };
    println!("{first} is the leader");
    leaders.push(first.clone());
    between(&first)?;

    let crashed = candidates
        .iter()
        .position(|c| c.name == first)
        .expect("known");
    let started = Instant::now();
    println!("killing {first}: its process dies, its session expires after ~{session_timeout:?}");
    candidates[crashed].crash();
    let Report::Leading(next) =
        reports.wait_for(session_timeout * 4, |r| matches!(r, Report::Leading(_)))?
    else {
        unreachable!()
    };
    println!(
        "{next} is the leader now ({:.1} s after the kill)",
        started.elapsed().as_secs_f64()
    );
    leaders.push(next);
    for c in candidates {
        c.stop();
    }
    Ok(leaders)
}

/// The `--demo`: a local 3-member ensemble, three candidates, a failed ZooKeeper
/// member and a killed leader. Returns the leaders in order.
pub fn demo() -> Result<Vec<String>, Box<dyn StdError>> {
    let started = Instant::now();
    println!("starting a local 3-member ZooKeeper ensemble...");
    let options = zk_tests::ServerOptions::default().tick_time(Duration::from_millis(500));
    let mut ensemble = zk_tests::Ensemble::start(3, &options)?;
    let zk_leader = ensemble.wait_for_leader(Duration::from_secs(30))?;
    println!(
        "ensemble up in {:.1} s at {} (ZooKeeper leader: server.{zk_leader})",
        started.elapsed().as_secs_f64(),
        ensemble.connect_string()
    );
    let connect_string = ensemble.connect_string();
    let leaders = run(&connect_string, Duration::from_secs(4), |_| {
        println!("killing ZooKeeper's own leader, server.{zk_leader}: the candidates ride through");
        ensemble.member_mut(zk_leader).kill()?;
        let new = ensemble.wait_for_leader(Duration::from_secs(30))?;
        println!("ensemble re-elected: server.{new} leads ZooKeeper now");
        Ok(())
    })?;
    println!(
        "leadership went {} in {:.1} s overall",
        leaders.join(" -> "),
        started.elapsed().as_secs_f64()
    );
    Ok(leaders)
}

#[allow(dead_code)] // The test suite includes this file and calls `run` / `demo`.
fn main() -> Result<(), Box<dyn StdError>> {
    match std::env::args().nth(1).as_deref() {
        None | Some("--demo") => demo().map(|_| ()),
        Some(connect_string) => run(connect_string, Duration::from_secs(4), |_| Ok(())).map(|_| ()),
    }
}
