//! At most `cap` requests in flight on one blocking client, with `submit` and
//! `wait_any` — no threads, no callbacks.
//!
//! When the window is full it blocks for one reply, then also takes every reply that
//! is already decoded (`wait_any` with a zero timeout reads nothing more). The window
//! is then refilled in one go, so the next call writes a whole batch of requests at
//! once instead of one write per reply.

use std::time::Duration;

use zk_blocking::{Client, Error, Request};

/// The longest a reply may take before the workload gives up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Pipeline<'a> {
    zk: &'a mut Client,
    cap: usize,
    in_flight: usize,
    /// Replies that are not errors for this workload (e.g. NodeExists in setup).
    accepted: fn(&Error) -> bool,
    pub errors: usize,
}

impl<'a> Pipeline<'a> {
    pub fn new(zk: &'a mut Client, cap: usize) -> Pipeline<'a> {
        Pipeline::accepting(zk, cap, |_| false)
    }

    pub fn accepting(zk: &'a mut Client, cap: usize, accepted: fn(&Error) -> bool) -> Pipeline<'a> {
        Pipeline {
            zk,
            cap,
            in_flight: 0,
            accepted,
            errors: 0,
        }
    }

    pub fn submit(&mut self, request: Request) -> Result<(), Error> {
        while self.in_flight >= self.cap {
            self.reap()?;
        }
        self.zk.submit(request)?;
        self.in_flight += 1;
        Ok(())
    }

    /// Waits for every reply.
    pub fn drain(&mut self) -> Result<(), Error> {
        while self.in_flight > 0 {
            self.reap()?;
        }
        Ok(())
    }

    fn reap(&mut self) -> Result<(), Error> {
        match self.zk.wait_any(REPLY_TIMEOUT)? {
            Some(completion) => self.count(completion.result.err()),
            None => return Err(Error::Timeout(REPLY_TIMEOUT)),
        }
        while self.in_flight > 0 {
            match self.zk.wait_any(Duration::ZERO)? {
                Some(completion) => self.count(completion.result.err()),
                None => break,
            }
        }
        Ok(())
    }

    fn count(&mut self, error: Option<Error>) {
        self.in_flight -= 1;
        if error.is_some_and(|e| !(self.accepted)(&e)) {
            self.errors += 1;
        }
    }
}
