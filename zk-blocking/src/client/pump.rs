//! The blocking client's run loop: the caller's thread pumps the session until what
//! it waits for arrives or its deadline passes.

use std::time::{Duration, Instant};

use zk_session::RequestId;

use super::Client;
use crate::error::{Error, Result};
use crate::event::Completion;
use crate::link::earliest;

impl Client {
    /// Pumps until the reply of `id` arrives (and takes it) or `limit` passes
    /// ([`Error::Timeout`]; the request stays outstanding). `None`: no limit. `now`:
    /// a clock reading taken just before (the submit's), to start from.
    pub(super) fn wait_until(
        &mut self,
        id: RequestId,
        limit: Option<Duration>,
        now: Option<Instant>,
    ) -> Result<Completion> {
        self.abandon_given_up();
        if !self.outstanding.contains(&id) {
            return Err(Error::UnknownRequest(id));
        }
        let mut started = None;
        if !self.replies.iter().any(|r| r.id == id) {
            started = Some(self.pump_until(limit, now, |c| c.replies.iter().any(|r| r.id == id)));
        }
        // A lone call's reply is the only one in: the front.
        let reply = match self.replies.front() {
            Some(r) if r.id == id => self.replies.pop_front(),
            _ => match self.replies.iter().position(|r| r.id == id) {
                Some(i) => self.replies.remove(i),
                None => None,
            },
        };
        match reply {
            Some(reply) => {
                self.outstanding.remove(&id);
                Ok(reply)
            }
            None => {
                Err(Error::Timeout(limit.unwrap_or_else(|| {
                    started.map_or(Duration::ZERO, |t| t.elapsed())
                })))
            }
        }
    }

    /// Runs the session until `done` holds or `limit` has passed (`None`: no limit);
    /// returns when it started. Also returns when nothing can happen any more (the
    /// session is over and its connection closed). The limit counts from `now`, a
    /// clock reading the caller took just before (the submit's), or else from the
    /// run's first clock read: a wait costs no clock read of its own.
    pub(super) fn pump_until(
        &mut self,
        limit: Option<Duration>,
        now: Option<Instant>,
        done: impl Fn(&Client) -> bool,
    ) -> Instant {
        // The first clock read is the service's first (resolving a host name to dial
        // may then take a while: the limit counts from before).
        let started = now.unwrap_or_else(Instant::now);
        let mut now = self.service(Some(started));
        // A limit too long for the clock means none.
        let deadline = limit.and_then(|t| started.checked_add(t));
        loop {
            if done(self) || deadline.is_some_and(|d| d <= now) {
                return started;
            }
            let wake = earliest(self.link.deadline(&self.session), deadline);
            let mut read_at = None;
            if self.link.is_connecting() {
                // Waits for the dial at most until this call's deadline: a dial that
                // takes longer goes on at the next call, bounded by the session.
                read_at = Some(self.link.wait_for_dial(&mut self.session, wake, now));
            } else if self.link.conn_id().is_some() {
                read_at = self.link.read_once(&mut self.session, wake, now);
            } else if let Some(wake) = wake {
                std::thread::sleep(wake.saturating_duration_since(now));
            } else {
                return started;
            }
            now = self.service(read_at);
            self.last_looked = now;
        }
    }

    /// Runs due timers, carries out connection actions, writes what is queued and
    /// drains the session's events, until the session has nothing more to do now.
    /// `now`: a clock reading taken just before (after a submit or a read), for the
    /// first turn. Returns the time it last read: the caller's "now" (a sync call reads
    /// the clock 3 times instead of ~9; each read is ~1 % of its CPU on a VM).
    pub(super) fn service(&mut self, mut now: Option<Instant>) -> Instant {
        self.abandon_given_up();
        loop {
            let now = now.take().unwrap_or_else(Instant::now);
            // A read-write probe under way (read-only sessions only) goes on.
            self.link.advance_probe(&mut self.session, now);
            self.session.handle_timeout(now);
            let acted = self.link.act(&mut self.session, now);
            self.drain_events();
            if !acted {
                return now;
            }
        }
    }

    pub(super) fn drain_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match event {
                zk_session::Event::Reply {
                    id,
                    result,
                    registration,
                } => {
                    let result = result.map_err(|e| self.link.problems().request_error(e));
                    let reply = Completion::new(id, result, registration.as_ref());
                    self.replies.push_back(reply);
                }
                // Kept as the session gave them, so the queue's bound and overflow
                // marker work as the session's own do; a copy for each watch a
                // `wait_watch` waits on.
                event => {
                    let claimed =
                        |r: &&zk_session::Registration| self.claimed.get(&r.id) == Some(&false);
                    // (Most programs wait on no watch: nothing to look up then.)
                    if !self.claimed.is_empty() {
                        if let Some(copy) = event.only(claimed) {
                            self.claimed_events.push(copy);
                        }
                    }
                    self.events.push(event);
                }
            }
        }
    }
}
