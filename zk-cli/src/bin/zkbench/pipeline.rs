//! At most `cap` requests in flight on one client, each client in its own idiom.
//!
//! Blocking client: `submit` and `wait_any`, no threads, no callbacks. When the window
//! is full it blocks for one reply, then also takes every reply that is already decoded
//! (`wait_any` with a zero timeout reads nothing more). The window is then refilled in
//! one go, so the next call writes a whole batch of requests at once instead of one
//! write per reply.
//!
//! Shared client: `submit` returns a [`PendingReply`]; the window is a FIFO of them and,
//! when full, the caller waits for the oldest (one session answers in order). The IO
//! thread reads the replies meanwhile; with `ZKB_SHARED_THREADS` > 1 several threads
//! each keep their share of the window on the one client ([`run_split`]).

use std::collections::VecDeque;
use std::thread;
use std::time::Duration;

use zk_blocking::{Client, Completion, Error, PendingReply, Request, SharedClient};

use crate::client::Zk;

/// The longest a reply may take before the workload gives up.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

enum Window<'a> {
    Blocking {
        zk: &'a mut Client,
        in_flight: usize,
    },
    Shared {
        zk: &'a SharedClient,
        pending: VecDeque<PendingReply>,
    },
}

pub struct Pipeline<'a> {
    window: Window<'a>,
    cap: usize,
    /// Replies that are not errors for this workload (e.g. NodeExists in setup).
    accepted: fn(&Error) -> bool,
    pub errors: usize,
}

impl<'a> Pipeline<'a> {
    pub fn new(zk: &'a mut Zk, cap: usize) -> Pipeline<'a> {
        Pipeline::accepting(zk, cap, |_| false)
    }

    pub fn accepting(zk: &'a mut Zk, cap: usize, accepted: fn(&Error) -> bool) -> Pipeline<'a> {
        let window = match zk {
            Zk::Blocking(zk) => Window::Blocking { zk, in_flight: 0 },
            Zk::Shared(zk, _) => Window::Shared {
                zk,
                pending: VecDeque::with_capacity(cap),
            },
        };
        Pipeline::over(window, cap, accepted)
    }

    fn over(window: Window<'a>, cap: usize, accepted: fn(&Error) -> bool) -> Pipeline<'a> {
        Pipeline {
            window,
            cap,
            accepted,
            errors: 0,
        }
    }

    fn in_flight(&self) -> usize {
        match &self.window {
            Window::Blocking { in_flight, .. } => *in_flight,
            Window::Shared { pending, .. } => pending.len(),
        }
    }

    pub fn submit(&mut self, request: Request) -> Result<(), Error> {
        while self.in_flight() >= self.cap {
            self.reap()?;
        }
        match &mut self.window {
            Window::Blocking { zk, in_flight } => {
                zk.submit(request)?;
                *in_flight += 1;
            }
            Window::Shared { zk, pending } => pending.push_back(zk.submit(request)?),
        }
        Ok(())
    }

    /// Waits for every reply.
    pub fn drain(&mut self) -> Result<(), Error> {
        while self.in_flight() > 0 {
            self.reap()?;
        }
        Ok(())
    }

    fn reap(&mut self) -> Result<(), Error> {
        let (errors, accepted) = (&mut self.errors, self.accepted);
        match &mut self.window {
            Window::Blocking { zk, in_flight } => {
                match zk.wait_any(REPLY_TIMEOUT)? {
                    Some(completion) => count(errors, accepted, completion),
                    None => return Err(Error::Timeout(REPLY_TIMEOUT)),
                }
                *in_flight -= 1;
                while *in_flight > 0 {
                    match zk.wait_any(Duration::ZERO)? {
                        Some(completion) => count(errors, accepted, completion),
                        None => break,
                    }
                    *in_flight -= 1;
                }
            }
            Window::Shared { pending, .. } => {
                let oldest = pending.pop_front().expect("reap with requests in flight");
                count(errors, accepted, oldest.wait_timeout(REPLY_TIMEOUT)?);
            }
        }
        Ok(())
    }
}

fn count(errors: &mut usize, accepted: fn(&Error) -> bool, completion: Completion) {
    if completion.result.err().is_some_and(|e| !accepted(&e)) {
        *errors += 1;
    }
}

/// Submits `request(i)` for every `i` in `0..n` with at most `cap` in flight and waits
/// for every reply; returns the number of failed replies. A shared client with
/// `threads` > 1 splits the work: thread `t` takes every `threads`-th request from `t`
/// on, with its share of the window.
pub fn run_split(
    zk: &mut Zk,
    cap: usize,
    threads: usize,
    n: usize,
    request: impl Fn(usize) -> Request + Sync,
) -> Result<usize, Error> {
    let shared = match zk {
        Zk::Shared(shared, _) if threads > 1 => shared.clone(),
        _ => {
            let mut pipeline = Pipeline::new(zk, cap);
            for i in 0..n {
                pipeline.submit(request(i))?;
            }
            pipeline.drain()?;
            return Ok(pipeline.errors);
        }
    };
    let request = &request;
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let zk = &shared;
                // Every thread gets a share of the window; together they fill it.
                let share = cap / threads + usize::from(t < cap % threads);
                scope.spawn(move || -> Result<usize, Error> {
                    let window = Window::Shared {
                        zk,
                        pending: VecDeque::with_capacity(share),
                    };
                    let mut pipeline = Pipeline::over(window, share, |_| false);
                    for i in (t..n).step_by(threads) {
                        pipeline.submit(request(i))?;
                    }
                    pipeline.drain()?;
                    Ok(pipeline.errors)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a pipeline thread panicked"))
            .sum()
    })
}
