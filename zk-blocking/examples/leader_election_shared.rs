//! Leader election on the [`SharedClient`] (the C client's mt model): the same recipe
//! as `leader_election.rs` (ephemeral sequential nodes, each candidate watching only its
//! predecessor), but the leader does its job — here several session timeouts of work
//! without a single ZooKeeper call — while the client's IO thread keeps the session, and
//! so the leadership, alive. With the blocking `Client` nobody would answer the pings
//! during the job: the server would expire the session and hand leadership to the next
//! candidate while the first still believed it led.
//!
//! ```sh
//! cargo run -p zk-blocking --example leader_election_shared                    # starts a local server
//! cargo run -p zk-blocking --example leader_election_shared -- 127.0.0.1:2181  # your server
//! ```
//!
//! Three candidates asking for 2 s sessions (a server grants at least twice its tick,
//! 4 s by default); each leader takes over its predecessor's result, works 6 s (longer
//! than its session timeout) on it, writes it back if it still leads, and
//! resigns; the next one takes over. Followers
//! wait in [`SharedClient::wait_watch`], which needs no pumping either. Between slices of
//! work the leader asks its `LeaderElection` how it stands (`check_leadership`, no
//! server call): it pauses while its connection is lost, as another candidate may lead
//! meanwhile, and gives up the term when its leadership is lost, to run again.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zk_blocking::{CreateMode, Error, Options, SharedClient, Version};
use zk_recipes::{LeaderElection, Leadership};

/// One candidate: a session (its IO thread keeps it alive) and its candidacy
/// (zk-recipes' `LeaderElection`).
pub struct Candidate {
    client: SharedClient,
    election: LeaderElection,
    dir: String,
    name: String,
}

/// What one leadership term achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The leader's name.
    pub name: String,
    /// How long the leader worked without any ZooKeeper call.
    pub worked: Duration,
    /// The session timeout the server granted.
    pub session_timeout: Duration,
    /// After the job: the election still says the candidate leads.
    pub still_leader: bool,
    /// The job's result, as written to `<dir>/result`.
    pub result: u64,
}

impl Candidate {
    /// Connects and enters the election under `dir` with `name` as the node's data.
    pub fn volunteer(
        connect_string: &str,
        options: Options,
        dir: &str,
        name: &str,
    ) -> Result<Candidate, Error> {
        let client = SharedClient::connect(connect_string, options)?;
        let mut election = LeaderElection::new(dir, name.to_string());
        // Takes a place in line now (not waiting to lead), so candidates lead in
        // the order they volunteered.
        election.join(&mut client.clone())?;
        Ok(Candidate {
            client,
            election,
            dir: dir.to_string(),
            name: name.to_string(),
        })
    }

    /// Waits until this candidate leads, or `stop` is set (then returns false). While
    /// it waits it watches its predecessor only; the waiting keeps nothing alive, the IO
    /// thread does.
    pub fn wait_for_leadership(&mut self, stop: &dyn Fn() -> bool) -> Result<bool, Error> {
        let mut driver = self.client.clone();
        loop {
            // The short wait is only to notice `stop`: the candidacy stays.
            let slice = Some(Duration::from_millis(200));
            if self.election.run_for_leadership(&mut driver, slice)? {
                return Ok(true);
            }
            if stop() {
                return Ok(false);
            }
        }
    }

    /// The leader's job: it reads where the previous leader left off (`<dir>/result`),
    /// computes for `work` in slices with no ZooKeeper call at all, and writes its
    /// result back if it still leads. It pauses while its leadership is
    /// uncertain, and fails with the reason if the leadership is lost (run again then).
    pub fn lead(&mut self, work: Duration) -> Result<Term, Error> {
        let mut driver = self.client.clone();
        // Take over where the previous leader stopped.
        let result_node = format!("{}/result", self.dir);
        let mut result = match self.client.get_data(&result_node) {
            Ok((data, _)) => String::from_utf8_lossy(&data).parse().unwrap_or(0),
            Err(Error::NoNode { .. }) => 0,
            Err(e) => return Err(e),
        };
        let started = Instant::now();
        while started.elapsed() < work {
            match self.election.check_leadership(&mut driver)? {
                Leadership::Leading => {
                    result = crunch(result);
                    thread::sleep(Duration::from_millis(20)); // leave the CPU to others
                }
                // Another candidate may lead meanwhile: no work until the server says.
                Leadership::Uncertain => {
                    self.election.wait_leadership_change(&mut driver, None)?;
                }
                Leadership::Lost(why) => return Err(why.into()),
                // Not elected (it resigned): no leader's work.
                Leadership::NotLeading => break,
            }
        }
        let worked = started.elapsed();
        let still_leader = self.election.check_leadership(&mut driver)? == Leadership::Leading;
        if still_leader {
            self.write_result(&result_node, result)?;
        }
        Ok(Term {
            name: self.name.clone(),
            worked,
            session_timeout: self.client.negotiated_timeout().unwrap_or_default(),
            still_leader,
            result,
        })
    }

    /// Creates or overwrites `node` with `result`.
    fn write_result(&self, node: &str, result: u64) -> Result<(), Error> {
        match self
            .client
            .create(node, result.to_string(), CreateMode::Persistent)
        {
            Err(Error::NodeExists { .. }) => self
                .client
                .set_data(node, result.to_string(), Version::Any)
                .map(drop),
            other => other.map(drop),
        }
    }

    /// The candidate's session id.
    pub fn session_id(&self) -> i64 {
        self.client.session_id()
    }

    /// Steps down: closing the session deletes the election node at once, which wakes
    /// the next candidate.
    pub fn resign(self) {
        self.client.close();
    }
}

/// A slice of "work": some arithmetic the compiler cannot skip.
fn crunch(mut x: u64) -> u64 {
    for i in 0..20_000u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i | 1);
    }
    x
}

/// What a candidate thread tells the demo.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The candidate has volunteered (its session id).
    Volunteered(String, i64),
    /// The candidate leads now.
    Leading(String),
    /// The candidate finished its term and resigns (its node goes after this report).
    Resigned(Term),
    /// The candidate's term ended early, for the reason given (its leadership was
    /// lost); it runs again.
    GaveUp(String, String),
    /// The candidate failed.
    Failed(String, String),
}

/// Starts a candidate in its own thread: volunteer, wait, lead for `work`, resign (or,
/// if the term ends early, run again).
pub fn spawn_candidate(
    connect_string: &str,
    options: Options,
    dir: &str,
    name: &str,
    work: Duration,
    stop: Arc<AtomicBool>,
    reports: Sender<Report>,
) -> JoinHandle<()> {
    let (cs, dir, name) = (
        connect_string.to_string(),
        dir.to_string(),
        name.to_string(),
    );
    thread::spawn(move || {
        let run = || -> Result<(), Error> {
            let mut me = Candidate::volunteer(&cs, options, &dir, &name)?;
            let _ = reports.send(Report::Volunteered(name.clone(), me.session_id()));
            while me.wait_for_leadership(&|| stop.load(Ordering::SeqCst))? {
                let _ = reports.send(Report::Leading(name.clone()));
                match me.lead(work) {
                    Ok(term) => {
                        // Reported before the node goes, so that the next leader's
                        // report comes after this one.
                        let _ = reports.send(Report::Resigned(term));
                        me.resign();
                        break;
                    }
                    Err(why) => {
                        let _ = reports.send(Report::GaveUp(name.clone(), why.to_string()));
                    }
                }
            }
            Ok(())
        };
        if let Err(e) = run() {
            let _ = reports.send(Report::Failed(name.clone(), e.to_string()));
        }
    })
}

/// Runs `candidates` candidates on `connect_string` with `session_timeout` sessions;
/// each leads in turn, works `work` without a ZooKeeper call, and resigns. Returns the
/// terms in order.
pub fn run(
    connect_string: &str,
    candidates: usize,
    session_timeout: Duration,
    work: Duration,
) -> Result<Vec<Term>, Box<dyn StdError>> {
    let dir = format!("/election-shared-{}", std::process::id());
    let options = Options::default().session_timeout(session_timeout);
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let outcome = (|| -> Result<Vec<Term>, Box<dyn StdError>> {
        // Reports that come before the one waited for (the first leader starts while
        // the others volunteer) wait here.
        let mut backlog = VecDeque::new();
        let next = |backlog: &mut VecDeque<Report>, timeout: Duration| match backlog.pop_front() {
            Some(report) => Ok(report),
            None => rx
                .recv_timeout(timeout)
                .map_err(|_| format!("no report within {timeout:?}")),
        };
        for i in 1..=candidates {
            let name = format!("candidate-{i}");
            threads.push(spawn_candidate(
                connect_string,
                options.clone(),
                &dir,
                &name,
                work,
                stop.clone(),
                tx.clone(),
            ));
            // One at a time, so that the candidates lead in the order they came.
            loop {
                match rx.recv_timeout(Duration::from_secs(20)) {
                    Ok(Report::Volunteered(n, id)) => {
                        println!("{n} volunteered (session {id:#x})");
                        break;
                    }
                    Ok(other) => backlog.push_back(other),
                    Err(_) => return Err("a candidate did not volunteer within 20 s".into()),
                }
            }
        }
        let mut terms = Vec::new();
        let mut leading: Option<String> = None;
        while terms.len() < candidates {
            match next(&mut backlog, work + Duration::from_secs(20))? {
                Report::Leading(n) => {
                    if let Some(other) = &leading {
                        return Err(format!("{n} leads while {other} still does").into());
                    }
                    println!("{n} leads: working {work:?} without a ZooKeeper call");
                    leading = Some(n);
                }
                Report::Resigned(term) => {
                    println!(
                        "{} worked {:.1} s on a {:.1} s session; still the leader: {}; \
                         result {:#x}; resigned",
                        term.name,
                        term.worked.as_secs_f64(),
                        term.session_timeout.as_secs_f64(),
                        term.still_leader,
                        term.result
                    );
                    leading = None;
                    terms.push(term);
                }
                Report::GaveUp(n, why) => {
                    println!("{n} gave up its term ({why}): running again");
                    leading = None;
                }
                Report::Failed(n, e) => return Err(format!("{n} failed: {e}").into()),
                other => return Err(format!("unexpected {other:?}").into()),
            }
        }
        Ok(terms)
    })();
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        let _ = t.join();
    }
    // Tidy up (the election nodes went with their sessions).
    if let Ok(zk) = SharedClient::connect(connect_string, Options::default()) {
        let _ = zk.delete(&format!("{dir}/result"), Version::Any);
        let _ = zk.delete(&dir, Version::Any);
        zk.close();
    }
    outcome
}

#[allow(dead_code)] // The test suite includes this file and calls `run`.
fn main() -> Result<(), Box<dyn StdError>> {
    let (connect_string, _server) =
        zk_tests::ZkServer::given_or_started(&zk_tests::ServerOptions::short_tick())?;
    let session_timeout = Duration::from_secs(2);
    let terms = run(&connect_string, 3, session_timeout, session_timeout * 3)?;
    let names: Vec<&str> = terms.iter().map(|t| t.name.as_str()).collect();
    println!("leadership went {}", names.join(" -> "));
    Ok(())
}
