//! Seeded fault schedules for the chaos scenarios (`tests/chaos.rs`): a 3-member
//! ensemble reached through one [`FaultProxy`] per member, and a schedule of faults
//! drawn from a seed, run one step at a time while the clients under test work.
//!
//! The seed fixes the schedule (which faults, in which order, on which member or
//! proxy, for how long), not the timing of the clients against it: a seed that found
//! a defect replays the same faults (`CHAOS_SEED=<seed>`), which usually finds it
//! again.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zk_session::testing::SplitMix64;

use crate::proxy::{self, Direction, Fault, FaultProxy};
use crate::{Ensemble, HarnessError, ServerOptions};

/// The environment variable that replays a seed.
pub const SEED_VARIABLE: &str = "CHAOS_SEED";

/// The seed a run uses when `CHAOS_SEED` is not set: the suite runs the same
/// schedule every time (a red CI names a defect, not a draw), and passed with it.
pub const DEFAULT_SEED: u64 = 11;

/// The seed of this run: `CHAOS_SEED` if set (`random` draws one from the clock, to
/// explore), else [`DEFAULT_SEED`]. Panics on a `CHAOS_SEED` that is neither a number
/// nor `random`, rather than silently running another seed.
pub fn chaos_seed() -> u64 {
    match std::env::var(SEED_VARIABLE) {
        Ok(text) if text.trim() == "random" => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64 % 1_000_000_007),
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VARIABLE}={text:?} is neither a u64 nor \"random\"")),
        Err(_) => DEFAULT_SEED,
    }
}

/// zk-session's SplitMix64 with what the schedules and workloads draw: small,
/// seedable and good enough to pick faults and operations.
#[derive(Debug, Clone)]
pub struct ChaosRng(SplitMix64);

impl ChaosRng {
    /// A generator for `seed`; `stream` separates generators drawn from one seed (one
    /// per worker, say) so that they do not repeat each other.
    pub fn new(seed: u64, stream: u64) -> ChaosRng {
        ChaosRng(SplitMix64::new(
            seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F),
        ))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A duration in `low..high` (whole milliseconds).
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let (low, high) = (low.as_millis() as u64, high.as_millis() as u64);
        Duration::from_millis(low + self.below((high - low).max(1)))
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// The kinds of fault a schedule is made of, each once per schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Latency on one proxy, one direction.
    Delay,
    /// 1-byte writes on one proxy.
    Slice,
    /// Every connection of one proxy reset (RST).
    Reset,
    /// Every connection of one proxy closed (FIN).
    Close,
    /// Connections of one proxy closed after a few bytes toward the client: FIN in the
    /// middle of a reply frame.
    CutMidFrame,
    /// One proxy silent for less than a third of the session timeout: nothing should
    /// notice.
    ShortBlackhole,
    /// One proxy silent for more than a third and less than the whole of the session
    /// timeout: a client on it may miss pings and move to another member.
    LongBlackhole,
    /// Every proxy silent for longer than 4/3 of the session timeout: every session
    /// expires.
    Expiry,
    /// One member frozen (SIGSTOP), then resumed.
    Pause,
    /// One member killed (SIGKILL), then restarted.
    KillRestart,
    /// The leader killed, then restarted.
    KillLeader,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 11] = [
        FaultKind::Delay,
        FaultKind::Slice,
        FaultKind::Reset,
        FaultKind::Close,
        FaultKind::CutMidFrame,
        FaultKind::ShortBlackhole,
        FaultKind::LongBlackhole,
        FaultKind::Expiry,
        FaultKind::Pause,
        FaultKind::KillRestart,
        FaultKind::KillLeader,
    ];
}

/// One step of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultStep {
    /// Nothing, for this long.
    Quiet(Duration),
    /// `fault` on `direction` of proxy `proxy` (0-based) for `lasting`, then `Pass`.
    Proxy {
        /// Index into the proxies.
        proxy: usize,
        /// Which way.
        direction: Option<Direction>,
        /// What to do to the bytes.
        fault: Fault,
        /// For how long.
        lasting: Duration,
    },
    /// Every connection of proxy `proxy` reset (`reset: true`) or closed.
    Drop {
        /// Index into the proxies.
        proxy: usize,
        /// RST rather than FIN.
        reset: bool,
    },
    /// Every proxy blackholed both ways for `lasting`.
    BlackholeAll {
        /// For how long.
        lasting: Duration,
    },
    /// Member `myid` paused for `lasting`, then resumed.
    Pause {
        /// The member.
        myid: u32,
        /// For how long.
        lasting: Duration,
    },
    /// Member `myid` (or the leader of the moment, if `None`) killed, left down for
    /// `down`, then restarted.
    Kill {
        /// The member; `None` for whichever leads when the step runs.
        myid: Option<u32>,
        /// How long it stays down before the restart.
        down: Duration,
    },
}

impl fmt::Display for FaultStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultStep::Quiet(lasting) => write!(f, "quiet {lasting:?}"),
            FaultStep::Proxy {
                proxy,
                direction,
                fault,
                lasting,
            } => {
                let way = direction.map_or("both ways".to_owned(), |d| format!("{d:?}"));
                write!(f, "proxy {proxy} {fault:?} {way} for {lasting:?}")
            }
            FaultStep::Drop { proxy, reset: true } => write!(f, "proxy {proxy} RST all"),
            FaultStep::Drop {
                proxy,
                reset: false,
            } => write!(f, "proxy {proxy} FIN all"),
            FaultStep::BlackholeAll { lasting } => write!(f, "blackhole all for {lasting:?}"),
            FaultStep::Pause { myid, lasting } => write!(f, "pause server.{myid} for {lasting:?}"),
            FaultStep::Kill {
                myid: Some(myid),
                down,
            } => write!(f, "kill server.{myid}, restart after {down:?}"),
            FaultStep::Kill { myid: None, down } => {
                write!(f, "kill the leader, restart after {down:?}")
            }
        }
    }
}

/// A schedule: each kind of `kinds` once, in a seeded order and with seeded
/// parameters, with short quiet gaps between them. Durations are relative to the
/// session timeout `session` the clients negotiate.
pub fn schedule(seed: u64, kinds: &[FaultKind], session: Duration) -> Vec<FaultStep> {
    let mut rng = ChaosRng::new(seed, 0);
    let mut kinds = kinds.to_vec();
    rng.shuffle(&mut kinds);
    let third = session / 3;
    let mut steps = Vec::new();
    for kind in kinds {
        steps.push(FaultStep::Quiet(
            rng.between(Duration::from_millis(200), Duration::from_millis(900)),
        ));
        let proxy = rng.below(3) as usize;
        let myid = rng.below(3) as u32 + 1;
        let on_proxy = |direction, fault, lasting| FaultStep::Proxy {
            proxy,
            direction,
            fault,
            lasting,
        };
        steps.push(match kind {
            FaultKind::Delay => {
                let direction = match rng.below(3) {
                    0 => Some(Direction::ToServer),
                    1 => Some(Direction::ToClient),
                    _ => None,
                };
                let by = rng.between(Duration::from_millis(50), Duration::from_millis(400));
                on_proxy(
                    direction,
                    Fault::Delay(by),
                    rng.between(Duration::from_millis(800), Duration::from_millis(2000)),
                )
            }
            FaultKind::Slice => on_proxy(
                None,
                Fault::Slice,
                rng.between(Duration::from_millis(400), Duration::from_millis(1000)),
            ),
            FaultKind::Reset => FaultStep::Drop { proxy, reset: true },
            FaultKind::Close => FaultStep::Drop {
                proxy,
                reset: false,
            },
            FaultKind::CutMidFrame => on_proxy(
                Some(Direction::ToClient),
                Fault::CutAfter(rng.below(60) + 1),
                rng.between(Duration::from_millis(300), Duration::from_millis(700)),
            ),
            FaultKind::ShortBlackhole => on_proxy(
                None,
                Fault::Blackhole,
                rng.between(third / 4, third * 4 / 5),
            ),
            FaultKind::LongBlackhole => on_proxy(
                None,
                Fault::Blackhole,
                rng.between(third * 6 / 5, session * 9 / 10),
            ),
            FaultKind::Expiry => FaultStep::BlackholeAll {
                lasting: session * 4 / 3
                    + rng.between(Duration::from_millis(1000), Duration::from_millis(1800)),
            },
            FaultKind::Pause => FaultStep::Pause {
                myid,
                lasting: rng.between(Duration::from_millis(800), Duration::from_millis(2500)),
            },
            FaultKind::KillRestart => FaultStep::Kill {
                myid: Some(myid),
                down: rng.between(Duration::from_millis(300), Duration::from_millis(1500)),
            },
            FaultKind::KillLeader => FaultStep::Kill {
                myid: None,
                down: rng.between(Duration::from_millis(300), Duration::from_millis(1500)),
            },
        });
    }
    steps
}

/// A 3-member ensemble and one fault proxy in front of each member.
#[derive(Debug)]
pub struct ChaosEnsemble {
    ensemble: Ensemble,
    proxies: Vec<FaultProxy>,
    started: Instant,
}

impl ChaosEnsemble {
    /// Starts the members with `options` and a proxy for each.
    pub fn start(options: &ServerOptions) -> Result<ChaosEnsemble, HarnessError> {
        let ensemble = Ensemble::start(3, options)?;
        let addresses: Vec<_> = ensemble.members().iter().map(|m| m.address()).collect();
        let proxies = FaultProxy::start_for_each(&addresses)
            .map_err(|err| HarnessError::io("starting the fault proxies", err))?;
        Ok(ChaosEnsemble {
            ensemble,
            proxies,
            started: Instant::now(),
        })
    }

    /// The proxies' addresses, for the clients under test.
    pub fn connect_string(&self) -> String {
        proxy::connect_string(&self.proxies)
    }

    /// The members' own addresses, past the proxies.
    pub fn direct_connect_string(&self) -> String {
        self.ensemble.connect_string()
    }

    /// Runs one step to its end (the fault undone, a killed member serving again) and
    /// logs it to stdout with the time since the start.
    pub fn run(&mut self, step: &FaultStep) -> Result<(), HarnessError> {
        println!("[chaos {:>6.2?}] {step}", self.started.elapsed());
        match *step {
            FaultStep::Quiet(lasting) => std::thread::sleep(lasting),
            FaultStep::Proxy {
                proxy,
                direction,
                fault,
                lasting,
            } => {
                let proxy = &self.proxies[proxy];
                match direction {
                    Some(direction) => proxy.set_fault(direction, fault),
                    None => proxy.set_faults(fault),
                }
                std::thread::sleep(lasting);
                proxy.set_faults(Fault::Pass);
            }
            FaultStep::Drop { proxy, reset: true } => self.proxies[proxy].reset_all(),
            FaultStep::Drop {
                proxy,
                reset: false,
            } => self.proxies[proxy].close_all(),
            FaultStep::BlackholeAll { lasting } => {
                self.proxies
                    .iter()
                    .for_each(|p| p.set_faults(Fault::Blackhole));
                std::thread::sleep(lasting);
                self.proxies.iter().for_each(|p| p.set_faults(Fault::Pass));
            }
            FaultStep::Pause { myid, lasting } => {
                self.ensemble.member_mut(myid).pause()?;
                std::thread::sleep(lasting);
                self.ensemble.member_mut(myid).resume()?;
            }
            FaultStep::Kill { myid, down } => {
                let myid = match myid {
                    Some(myid) => myid,
                    None => self.ensemble.wait_for_leader(Duration::from_secs(20))?,
                };
                self.ensemble.member_mut(myid).kill()?;
                std::thread::sleep(down);
                self.ensemble.member_mut(myid).restart()?;
            }
        }
        Ok(())
    }

    /// Every proxy passing, every member running, one leader.
    pub fn heal(&mut self) -> Result<(), HarnessError> {
        println!("[chaos {:>6.2?}] heal", self.started.elapsed());
        self.proxies.iter().for_each(|p| p.set_faults(Fault::Pass));
        for myid in 1..=3 {
            let member = self.ensemble.member_mut(myid);
            if member.is_paused() {
                member.resume()?;
            } else if !member.is_running() {
                member.restart()?;
            }
        }
        self.ensemble.wait_for_leader(Duration::from_secs(30))?;
        Ok(())
    }
}
