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
//! three candidates, kills the ensemble's own leader member (every candidate loses its
//! connection and reconnects to a surviving member with its session, and so its place,
//! intact), then kills the leading candidate (its session expires and the next one
//! leads), and prints each transition as it happens.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zk_blocking::{Client, Error, Event, KeeperState, Options, StateReason};
use zk_recipes::LeaderElection;
use zk_recipes::run::Blocking;

/// One candidate: a session and its candidacy (zk-recipes' `LeaderElection`).
pub struct Candidate {
    client: Client,
    election: LeaderElection,
    connection: ConnectionWatch,
}

/// A change of a candidate's connection worth telling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// The connection dropped, for `reason` (the state event's); the session is
    /// reconnecting.
    Lost(Option<StateReason>),
    /// Connected again within the session: the candidate's node, and its place in
    /// line (or its leadership), survived.
    Regained,
}

/// Turns the session's state events into [`Connection`] changes.
#[derive(Default)]
struct ConnectionWatch {
    lost: bool,
}

impl ConnectionWatch {
    fn observe(&mut self, event: &Event, report: &dyn Fn(Connection)) {
        match event {
            Event::Session {
                state: KeeperState::Disconnected,
                reason,
            } if !self.lost => {
                self.lost = true;
                report(Connection::Lost(reason.clone()));
            }
            Event::Session {
                state: KeeperState::SyncConnected,
                ..
            } if self.lost => {
                self.lost = false;
                report(Connection::Regained);
            }
            _ => {}
        }
    }
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
        Ok(Candidate {
            client,
            election,
            connection: ConnectionWatch::default(),
        })
    }

    /// Waits until this candidate leads, or `stop` is set (then returns false).
    /// While it waits it watches its predecessor only, keeps its session alive and
    /// reports its connection's ups and downs.
    pub fn wait_for_leadership(
        &mut self,
        stop: &dyn Fn() -> bool,
        report: &dyn Fn(Connection),
    ) -> Result<bool, Error> {
        let mut driver = Blocking::new(&mut self.client);
        loop {
            let slice = Some(Duration::from_millis(100));
            let leads = self.election.run_for_leadership(&mut driver, slice)?;
            // The recipe took only its own events: the session's are the program's.
            while let Ok(Some(event)) = driver.client().next_event(Duration::ZERO) {
                self.connection.observe(&event, report);
            }
            if leads {
                return Ok(true);
            }
            if stop() {
                return Ok(false);
            }
        }
    }

    /// Serves as leader until `stop` is set, reporting its connection's ups and downs.
    pub fn lead(
        &mut self,
        stop: &dyn Fn() -> bool,
        report: &dyn Fn(Connection),
    ) -> Result<(), Error> {
        while !stop() {
            if let Some(event) = self.client.next_event(Duration::from_millis(100))? {
                self.connection.observe(&event, report);
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
    /// The candidate's connection dropped or came back.
    Connection(String, Connection),
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
            let report = |change| {
                let _ = reports.send(Report::Connection(n.clone(), change));
            };
            if me.wait_for_leadership(&stop, &report)? {
                let _ = reports.send(Report::Leading(n.clone()));
                me.lead(&stop, &report)?;
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
    /// Waits for the next report that `want` accepts; the others wait in the backlog.
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
                .map_err(|_| format!("no expected report within {} s", timeout.as_secs()))?;
            match &report {
                Report::Failed(n, e) => return Err(format!("{n} failed: {e}").into()),
                _ if want(&report) => return Ok(report),
                _ => self.backlog.push_back(report),
            }
        }
    }
}

impl Reports {
    /// Waits until each of `names` has lost its connection and regained it, printing
    /// each change as it arrives.
    fn wait_for_ride_through(
        &mut self,
        names: &[String],
        leader: &str,
        timeout: Duration,
    ) -> Result<(), Box<dyn StdError>> {
        let mut regained = Vec::new();
        let deadline = Instant::now() + timeout;
        while regained.len() < names.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Report::Connection(name, change) =
                self.wait_for(left, |r| matches!(r, Report::Connection(..)))?
            else {
                unreachable!()
            };
            match change {
                Connection::Lost(reason) => {
                    let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                    println!("  {name}: lost its ZooKeeper connection{why}; reconnecting")
                }
                Connection::Regained => {
                    let kept = if name == leader {
                        "leadership"
                    } else {
                        "place in line"
                    };
                    println!("  {name}: reconnected; its session, and so its {kept}, survived");
                    regained.push(name);
                }
            }
        }
        Ok(())
    }
}

/// Runs three candidates on `connect_string`, crashes the first leader and returns the
/// leaders in order (the first, then its successor). With an `ensemble`, its own
/// leader member is killed first, once the first candidate leads, and every candidate
/// rides through before the next act.
pub fn run(
    connect_string: &str,
    session_timeout: Duration,
    ensemble: Option<&mut zk_tests::Ensemble>,
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
    if let Some(ensemble) = ensemble {
        let zk_leader = ensemble.wait_for_leader(Duration::from_secs(30))?;
        println!("killing ZooKeeper's own leader, server.{zk_leader}: the candidates ride through");
        ensemble.member_mut(zk_leader).kill()?;
        let names: Vec<String> = candidates.iter().map(|c| c.name.clone()).collect();
        reports.wait_for_ride_through(&names, &first, Duration::from_secs(60))?;
        let new = ensemble.wait_for_leader(Duration::from_secs(30))?;
        println!("ensemble re-elected: server.{new} leads ZooKeeper now");
    }

    let crashed = candidates
        .iter()
        .position(|c| c.name == first)
        .expect("known");
    let started = Instant::now();
    println!(
        "killing {first}: its process dies, its session expires after ~{} s",
        session_timeout.as_secs()
    );
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
    let leaders = run(&connect_string, Duration::from_secs(4), Some(&mut ensemble))?;
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
        Some(connect_string) => run(connect_string, Duration::from_secs(4), None).map(|_| ()),
    }
}
