//! Leader election on the async client with zk-recipes' `LeaderElection`: each
//! candidate holds an ephemeral sequential node and watches only its predecessor (no
//! herd effect). The leader then works for
//! several session timeouts without a single ZooKeeper call while the client's driver
//! task keeps the session, and so the leadership, alive. The election tells the leader
//! at once how it stands (`leadership_changed_async`, raced against the job): the job
//! pauses while the connection is lost, as another candidate may lead meanwhile, and
//! ends when the leadership is lost (the candidate then runs again).
//!
//! ```sh
//! cargo run -p zk-tokio --example tokio_leader_election                    # starts a local server
//! cargo run -p zk-tokio --example tokio_leader_election -- 127.0.0.1:2181  # your server
//! ```
//!
//! Three candidates (tasks on one current-thread runtime, one session each) on 2 s
//! sessions; each leader takes over its predecessor's result, works 6 s on it, writes
//! it back if it still leads and resigns (closing its session deletes its node, which wakes the next).

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use zk_recipes::{LeaderElection, Leadership};
use zk_tokio::{Client, CreateMode, Error, Options, Version};

/// One candidate: a session and its candidacy (zk-recipes' `LeaderElection`).
pub struct Candidate {
    client: Client,
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
    pub async fn volunteer(
        connect_string: &str,
        options: Options,
        dir: &str,
        name: &str,
    ) -> Result<Candidate, Error> {
        let client = Client::connect(connect_string, options).await?;
        let mut election = LeaderElection::new(dir, name);
        // Takes a place in line now (not waiting to lead), so candidates lead in
        // the order they volunteered.
        election.join_async(&client).await?;
        Ok(Candidate {
            client,
            election,
            dir: dir.to_string(),
            name: name.to_string(),
        })
    }

    /// Returns once this candidate leads. Meanwhile it watches its predecessor only.
    pub async fn wait_for_leadership(&mut self) -> Result<(), Error> {
        while !self
            .election
            .run_for_leadership_async(&self.client, None)
            .await?
        {}
        Ok(())
    }

    /// The leader's job: it reads where the previous leader left off, computes for
    /// `work` with no ZooKeeper call at all, and writes its result back if it still
    /// leads. The job pauses while the leadership is uncertain; a lost leadership ends
    /// it with the reason (run again then).
    pub async fn lead(&mut self, work: Duration) -> Result<Term, Error> {
        let result_node = format!("{}/result", self.dir);
        let result = match self.client.get_data(&result_node).await {
            Ok((data, _)) => String::from_utf8_lossy(&data).parse().unwrap_or(0),
            Err(Error::NoNode { .. }) => 0,
            Err(e) => return Err(e),
        };
        let started = Instant::now();
        let job = async move {
            let mut result = result;
            while started.elapsed() < work {
                result = crunch(result);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            result
        };
        tokio::pin!(job);
        let result = loop {
            tokio::select! {
                result = &mut job => break result,
                changed = self.election.leadership_changed_async(&self.client) => {
                    match changed? {
                        Leadership::Lost(why) => return Err(why.into()),
                        // Another candidate may lead meanwhile: the job is not
                        // polled until the next change (leading again, or lost).
                        Leadership::Uncertain => {
                            if let Leadership::Lost(why) =
                                self.election.leadership_changed_async(&self.client).await?
                            {
                                return Err(why.into());
                            }
                        }
                        Leadership::Leading | Leadership::NotLeading => {}
                    }
                }
            }
        };
        let worked = started.elapsed();
        let still_leader =
            self.election.check_leadership_async(&self.client).await? == Leadership::Leading;
        if still_leader {
            self.write_result(&result_node, result).await?;
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
    async fn write_result(&self, node: &str, result: u64) -> Result<(), Error> {
        let value = result.to_string();
        match self
            .client
            .create(node, value.as_str(), CreateMode::Persistent)
            .await
        {
            Err(Error::NodeExists { .. }) => self
                .client
                .set_data(node, value, Version::Any)
                .await
                .map(drop),
            other => other.map(drop),
        }
    }

    /// Steps down: closing the session deletes the election node at once, which wakes
    /// the next candidate.
    pub async fn resign(self) {
        self.client.close().await;
    }
}

/// A slice of "work": some arithmetic the compiler cannot skip.
fn crunch(mut x: u64) -> u64 {
    for i in 0..20_000u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i | 1);
    }
    x
}

/// Runs `candidates` candidates, one task and session each, on `connect_string` until
/// each has led a whole term; returns the terms in the order they were held.
pub async fn run(
    connect_string: &str,
    candidates: usize,
    session_timeout: Duration,
    work: Duration,
) -> Result<Vec<Term>, Error> {
    let dir = format!("/election-{}", std::process::id());
    let options = Options::new().session_timeout(session_timeout);
    let mut tasks: Vec<tokio::task::JoinHandle<Result<Term, Error>>> = Vec::new();
    for i in 1..=candidates {
        let mut candidate = Candidate::volunteer(
            connect_string,
            options.clone(),
            &dir,
            &format!("candidate-{i}"),
        )
        .await?;
        tasks.push(tokio::spawn(async move {
            loop {
                // A candidate whose session ended fails here.
                candidate.wait_for_leadership().await?;
                match candidate.lead(work).await {
                    Ok(term) => {
                        candidate.resign().await;
                        return Ok(term);
                    }
                    Err(why) => {
                        println!("{} gave up its term ({why}): running again", candidate.name)
                    }
                }
            }
        }));
    }
    let mut terms = Vec::new();
    for task in tasks {
        let term = task
            .await
            .map_err(|e| Error::System(format!("a candidate failed: {e}")))??;
        println!(
            "{} led for {:?} (session timeout {:?}), still leader: {}, result {}",
            term.name, term.worked, term.session_timeout, term.still_leader, term.result
        );
        terms.push(term);
    }
    let cleanup = Client::connect(connect_string, Options::new()).await?;
    let _ = cleanup.delete(&format!("{dir}/result"), Version::Any).await;
    let _ = cleanup.delete(&dir, Version::Any).await;
    cleanup.close().await;
    Ok(terms)
}

#[allow(dead_code)] // The test suite includes this file and calls `run`.
fn main() -> Result<(), Box<dyn StdError>> {
    let (connect_string, _server) =
        zk_tests::ZkServer::given_or_started(&zk_tests::ServerOptions::short_tick())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let session = Duration::from_secs(2);
    runtime.block_on(run(&connect_string, 3, session, session * 3))?;
    Ok(())
}
