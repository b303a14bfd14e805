//! Leader election with zk-recipes' `LeaderElection` on the blocking client: each
//! candidate holds an ephemeral sequential node under the election path; the lowest
//! is the leader, and every other candidate watches only its predecessor, so when the
//! leader's session dies exactly one candidate wakes up and takes over. The leader
//! learns of its standing from the recipe (`Leadership`): `Uncertain` when its
//! connection is lost (it stops acting as leader), `Leading` again once a reconnect
//! finds its node still there, `Lost` when its session ended or its node was deleted
//! (it runs again).
//!
//! ```sh
//! cargo run -p zk-blocking --example leader_election -- --demo             # ensemble demo
//! cargo run -p zk-blocking --example leader_election -- 127.0.0.1:2181     # your server
//! ```
//!
//! `--demo` starts a local 3-member ZooKeeper ensemble (through the test harness), runs
//! three candidates, kills the ensemble's own leader member (the leading candidate's
//! connection drops: it stops leading until it reconnects to a surviving member and
//! the server says its node is still there), then kills the leading candidate (its
//! session expires and the next one leads), then deletes the new leader's node as an
//! operator might (that leader loses its leadership, runs again, and the last
//! candidate leads), and prints each transition as it happens.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zk_blocking::{Client, Error, Options, Version};
use zk_recipes::run::Blocking;
use zk_recipes::{LeaderElection, Leadership};

/// One candidate: a session and its candidacy (zk-recipes' `LeaderElection`).
pub struct Candidate {
    client: Client,
    election: LeaderElection,
}

/// A change of a candidate's standing, as the demo tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Elected.
    Leading,
    /// The connection is lost: the leader stopped leading until the server confirms.
    Uncertain,
    /// Reconnected within the session, and the server says its node is still first;
    /// with the candidates in line then.
    LeadingAgain(Vec<String>),
    /// The leadership ended, for the reason given; the candidate runs again.
    Lost(String),
}

impl fmt::Display for Standing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Standing::Leading => write!(f, "leading"),
            Standing::Uncertain => {
                write!(f, "uncertain: stopped leading until the server confirms")
            }
            Standing::LeadingAgain(in_line) => write!(
                f,
                "leading again: its session and node survived (in line: {})",
                in_line.join(", ")
            ),
            Standing::Lost(why) => write!(f, "lost the leadership ({why}): running again"),
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
        // Takes a place in line now (not waiting to lead), so candidates lead in
        // the order they volunteered.
        election.join(&mut Blocking::new(&mut client))?;
        Ok(Candidate { client, election })
    }

    /// Waits until this candidate leads, or `stop` is set (then returns false). While
    /// it waits it watches its predecessor only and keeps its session alive; a
    /// candidate whose leadership was lost stands again here.
    pub fn wait_for_leadership(&mut self, stop: &dyn Fn() -> bool) -> Result<bool, Error> {
        let mut driver = Blocking::new(&mut self.client);
        // The short wait is only to notice `stop`: the candidacy stays.
        while !self
            .election
            .run_for_leadership(&mut driver, Some(Duration::from_millis(100)))?
        {
            if stop() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Leads until `stop` is set (`None`) or the leadership is lost (its reason),
    /// reporting each change of standing. The waits keep the session alive.
    pub fn lead(
        &mut self,
        stop: &dyn Fn() -> bool,
        report: &dyn Fn(Standing),
    ) -> Result<Option<Error>, Error> {
        let mut driver = Blocking::new(&mut self.client);
        while !stop() {
            let slice = Some(Duration::from_millis(100));
            match self.election.wait_leadership_change(&mut driver, slice)? {
                Some(Leadership::Leading) => {
                    let in_line = self.election.contenders(&mut driver)?;
                    report(Standing::LeadingAgain(in_line));
                }
                Some(Leadership::Uncertain) => report(Standing::Uncertain),
                Some(Leadership::Lost(why)) => return Ok(Some(why.into())),
                Some(Leadership::NotLeading) => return Ok(None),
                // No change: a step of the leader's work would go here while leading
                // (none while uncertain: another candidate may lead meanwhile).
                None => {}
            }
        }
        Ok(None)
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

/// Why a leadership ended, in words.
fn lost_because(why: &Error) -> String {
    match why {
        Error::NoNode { .. } => "its node was deleted".to_string(),
        other => other.to_string(),
    }
}

/// What a candidate thread tells the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The candidate has volunteered (its session id).
    Volunteered(String, i64),
    /// The candidate's standing changed.
    Standing(String, Standing),
    /// The candidate failed.
    Failed(String, String),
}

/// A running candidate thread and its controls.
pub struct CandidateThread {
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

/// Starts a candidate in its own thread: it leads whenever elected, and runs again
/// whenever its leadership is lost.
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
        let report = |standing| {
            let _ = reports.send(Report::Standing(n.clone(), standing));
        };
        let run = || -> Result<(), Error> {
            let mut me = Candidate::volunteer(&cs, options, &dir, &n)?;
            let _ = reports.send(Report::Volunteered(n.clone(), me.session_id()));
            while me.wait_for_leadership(&stop)? {
                report(Standing::Leading);
                match me.lead(&stop, &report)? {
                    Some(why) => report(Standing::Lost(lost_because(&why))),
                    None => break,
                }
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
        crash,
        stop,
        thread,
    }
}

/// The demo's end of the report channel: reports not yet wanted wait in a backlog;
/// the transitions told are printed and kept, in order.
struct Reports {
    rx: Receiver<Report>,
    backlog: VecDeque<Report>,
    told: Vec<String>,
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

    /// Waits for `name`'s next change of standing that `want` accepts, and tells it.
    fn wait_for_standing(
        &mut self,
        name: &str,
        timeout: Duration,
        want: impl Fn(&Standing) -> bool,
    ) -> Result<Standing, Box<dyn StdError>> {
        let Report::Standing(_, standing) = self.wait_for(
            timeout,
            |r| matches!(r, Report::Standing(n, s) if n == name && want(s)),
        )?
        else {
            unreachable!("only a standing is wanted")
        };
        let line = format!("{name}: {standing}");
        println!("  {line}");
        self.told.push(line);
        Ok(standing)
    }
}

/// An operator's deletion of `name`'s node in the election under `dir` (the node
/// holding `name`). Returns its path.
fn delete_node_of(connect_string: &str, dir: &str, name: &str) -> Result<String, Error> {
    let mut zk = Client::connect(connect_string, Options::default())?;
    let mut deleted = Err(Error::NoNode {
        path: Some(format!("{dir}/<{name}'s node>")),
        chroot: None,
    });
    for child in zk.get_children(dir)? {
        let node = format!("{dir}/{child}");
        if zk.get_data(&node)?.0 == name.as_bytes() {
            zk.delete(&node, Version::Any)?;
            deleted = Ok(node);
            break;
        }
    }
    zk.close();
    deleted
}

/// Runs three candidates on `connect_string`: candidate-1 leads; it crashes and
/// candidate-2 leads; its node is deleted, it runs again and candidate-3 leads. With
/// an `ensemble`, its own leader member is killed first, once candidate-1 leads, and
/// candidate-1 stops leading until it is leading again. Returns the transitions told,
/// in order (`"candidate-1: leading"`, ...).
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
        told: Vec::new(),
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
    let leading = |s: &Standing| *s == Standing::Leading;
    reports.wait_for_standing("candidate-1", Duration::from_secs(20), leading)?;
    if let Some(ensemble) = ensemble {
        let zk_leader = ensemble.wait_for_leader(Duration::from_secs(30))?;
        println!("killing ZooKeeper's own leader, server.{zk_leader}: the connections drop");
        ensemble.member_mut(zk_leader).kill()?;
        let uncertain = |s: &Standing| *s == Standing::Uncertain;
        reports.wait_for_standing("candidate-1", Duration::from_secs(20), uncertain)?;
        let again = |s: &Standing| matches!(s, Standing::LeadingAgain(_));
        reports.wait_for_standing("candidate-1", Duration::from_secs(60), again)?;
        let new = ensemble.wait_for_leader(Duration::from_secs(30))?;
        println!("ensemble re-elected: server.{new} leads ZooKeeper now");
    }

    let started = Instant::now();
    println!(
        "killing candidate-1: its process dies, its session expires after ~{} s",
        session_timeout.as_secs()
    );
    candidates[0].crash();
    reports.wait_for_standing("candidate-2", session_timeout * 4, leading)?;
    println!(
        "candidate-2 took over {:.1} s after the kill",
        started.elapsed().as_secs_f64()
    );

    let node = delete_node_of(connect_string, &dir, "candidate-2")?;
    println!("an operator deletes candidate-2's node {node}");
    let lost = |s: &Standing| matches!(s, Standing::Lost(_));
    reports.wait_for_standing("candidate-2", Duration::from_secs(20), lost)?;
    reports.wait_for_standing("candidate-3", Duration::from_secs(20), leading)?;
    for c in candidates {
        c.stop();
    }
    Ok(reports.told)
}

/// The `--demo`: a local 3-member ensemble, three candidates, a failed ZooKeeper
/// member, a killed leader and a deleted node. Returns the transitions told.
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
    let told = run(&connect_string, Duration::from_secs(4), Some(&mut ensemble))?;
    println!("done in {:.1} s overall", started.elapsed().as_secs_f64());
    Ok(told)
}

#[allow(dead_code)] // The test suite includes this file and calls `run` / `demo`.
fn main() -> Result<(), Box<dyn StdError>> {
    match std::env::args().nth(1).as_deref() {
        None | Some("--demo") => demo().map(|_| ()),
        Some(connect_string) => run(connect_string, Duration::from_secs(4), None).map(|_| ()),
    }
}
