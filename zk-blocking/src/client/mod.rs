//! The blocking client: the caller's thread runs the session. Its life cycle,
//! pipelining and events are here; the typed operations are in `ops`, the run loop in
//! `pump`.

mod given_up;
mod ops;
mod pump;

pub use given_up::Abandoner;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use zk_session::{
    EventQueue, Request, RequestId, RequestIdMap, RequestIdSet, Response, Session,
    SessionCredentials, SessionState, StateReason,
};

use crate::error::{Error, Result};
use crate::event::{Completion, Event, ExternalEvent};
use crate::link::Link;
use crate::options::Options;
use crate::watch::WatchHandle;

/// Extra time `close` and drop give the session beyond its own close timeout.
const CLOSE_SLACK: Duration = Duration::from_millis(500);

/// A ZooKeeper client that runs its session in the caller's thread (the C client's
/// "single-threaded" model): no background thread, no runtime.
///
/// Every call writes its request and then reads and processes input — pings, other
/// replies, watch events, reconnects — until its own reply arrives or its deadline
/// passes. Replies for other requests and events that arrive meanwhile are kept for
/// their own [`Client::wait`] and [`Client::next_event`].
///
/// **An idle client keeps its session alive only while some call is pumping.** Between
/// calls nothing answers the server, sends pings or notices a dead connection; if a
/// program is idle for longer than the ping interval (a third of the session timeout
/// less a second, at most 10 s), it should wait in [`Client::next_event`] (which
/// pumps) rather than sleep.
///
/// Time bounds: a call blocks until its reply, its `call_timeout`, or the end of the
/// session (while no server is reachable, a call waits for the reconnect, up to the
/// session's expiry: see [`Options::call_timeout`]; a session never established, which
/// cannot expire, is waited for at most [`Options::connect_timeout`], then the call
/// fails with [`Error::NoHosts`]). Nothing inside a call holds it past its own time
/// limit: a dial (TCP connect and TLS handshake) is waited for only until the call's
/// deadline and goes on at the next call (the session gives up on it after its
/// connect timeout, session timeout ÷ number of hosts, however many calls it spans),
/// and a read-only session's probe for a read-write server (`isro`) goes on in the
/// background of calls the same way. A write waits at most until the session's next
/// deadline. (On targets other than unix, where nothing can wait on a connecting
/// socket without `unsafe`, a dial blocks the call up to the session's connect
/// timeout, and a probe up to 1 s.)
///
/// Memory: replies wait for their `wait` (bounded by the requests submitted). Watch
/// notifications and state changes wait for [`Client::next_event`], at most
/// [`Options::max_queued_events`] of them: a program that makes calls but never reads
/// events keeps that many, then one [`Event::Overflow`] that counts the rest and names
/// the watches they concerned (only watch-removal events and the final state event
/// still queue past it).
///
/// Dropping the client closes the session (bounded by `close_timeout`);
/// [`Client::forget`] drops the connection without closing it.
#[derive(Debug)]
pub struct Client {
    session: Session,
    /// The session's socket, used blocking.
    link: Link,
    /// Replies not yet taken by a `wait`, in arrival order.
    replies: VecDeque<Completion>,
    /// Submitted requests whose replies no `wait` has taken yet.
    outstanding: RequestIdSet,
    /// Unread watch and state events, as the session gave them; bounded by
    /// `max_queued_events`, so a program that never reads events stays bounded too.
    /// (The session's own queue, emptied here after every read, is left unbounded.)
    events: EventQueue,
    /// Watches a [`Client::wait_watch`] waits on: `false` until they end, `true` after
    /// (kept while the program's queue still holds events of theirs, which were
    /// copied already).
    claimed: RequestIdMap<bool>,
    /// Copies of their events, for `wait_watch` (bounded the same way).
    claimed_events: EventQueue,
    /// [`Options::call_timeout`].
    call_timeout: Option<Duration>,
    /// [`Options::close_timeout`], which also bounds `close` and drop.
    close_timeout: Duration,
    /// Set by [`Client::forget`]: drop leaves the session to expire.
    closed_by_forget: bool,
    /// When the socket was last read (or found empty): see [`IDLE_LOOK`].
    last_looked: Instant,
    /// Requests given up through an [`Abandoner`], abandoned at the next pump or wait.
    given_up: Abandoner,
}

/// A connection not read for this long is looked at (one read that does not wait)
/// before a request is submitted. This client reads only while it is called, so a
/// connection the server dropped meanwhile would take the request and lose it
/// (`ConnectionLoss`, though no server saw it); noticed first, the request waits for
/// the next connection instead. Back-to-back calls, whose last read is fresh, pay
/// nothing.
const IDLE_LOOK: Duration = Duration::from_millis(1);

/// Most reads of one look: what came while idle is a few notifications at most, and a
/// look must not turn into a long drain of a busy socket.
const IDLE_LOOK_READS: usize = 4;

impl Client {
    // ----- life cycle ---------------------------------------------------------------

    /// Connects to `connect_string` (`host:port,host:port[/chroot]`) and returns once
    /// the session is established. Fails with [`Error::NoHosts`] when no server
    /// established a session within [`Options::connect_timeout`], with
    /// [`Error::SessionExpired`] when resuming a session the server no longer knows,
    /// with [`Error::AuthFailed`] when the server rejects [`Options::auth`], and with
    /// [`Error::Config`] for unusable options.
    ///
    /// Each host is resolved when it is dialled; each dial is bounded by the session's
    /// connect timeout (session timeout ÷ number of hosts).
    pub fn connect(connect_string: &str, options: Options) -> Result<Client> {
        let connect_deadline = options.connect_deadline();
        let confirm_auth = options.has_auth();
        let mut client = Client::start(connect_string, options)?;
        if let Err(e) = client.wait_until_connected(connect_deadline) {
            // A handshake still under way has had the connect's time: the close the
            // drop makes must not wait for its answer too.
            client.session.close_after_failed_connect(Instant::now());
            return Err(e);
        }
        if confirm_auth {
            client.confirm_auth()?;
        }
        Ok(client)
    }

    /// Creates the client without waiting for a server: nothing is dialled until a
    /// call, [`Client::pump`], [`Client::next_event`] or
    /// [`Client::wait_until_connected`] runs the session. Requests submitted meanwhile
    /// are queued and sent once connected. Fails only on unusable options.
    pub fn start(connect_string: &str, options: Options) -> Result<Client> {
        let max_queued = options.session.max_queued_events;
        // The program's queue and the copies for `wait_watch` keep at most
        // `max_queued` events each; the session's queue is emptied into them after
        // every read (see `drain_events`).
        let options = options.events_handed_out_per_read().first_session_bounded();
        Ok(Client {
            session: options.start_session(connect_string, Instant::now())?,
            link: Link::blocking(connect_string, options.link_tls()?),
            replies: VecDeque::new(),
            outstanding: RequestIdSet::default(),
            events: EventQueue::new(max_queued),
            claimed: RequestIdMap::default(),
            claimed_events: EventQueue::new(max_queued),
            call_timeout: options.call_timeout,
            close_timeout: options.session.close_timeout,
            closed_by_forget: false,
            last_looked: Instant::now(),
            given_up: Abandoner::default(),
        })
    }

    /// Runs the session until it is connected (read-write or read-only), at most
    /// `timeout`. Events on the way stay queued for [`Client::next_event`]. Fails with
    /// [`Error::NoHosts`] (naming the problems seen at each host) when time runs out, or with
    /// the session's error when it ended.
    pub fn wait_until_connected(&mut self, timeout: Duration) -> Result<()> {
        let started = self.pump_until(Some(timeout), None, |c| {
            c.session.state() != SessionState::Connecting
        });
        match self.session.state() {
            SessionState::Connected | SessionState::ConnectedReadOnly => Ok(()),
            SessionState::Connecting => Err(self.link.problems().no_hosts(started.elapsed())),
            _ => Err(Error::for_session(&self.session)),
        }
    }

    /// Closes the session: the requests submitted before it are sent first (as Java
    /// sends them; their replies keep their submit order), then closeSession, and the
    /// call returns when the server confirms or `close_timeout`
    /// passes. The server deletes the session's ephemeral nodes at once. While the
    /// first handshake is under way, the close waits for its answer (within the same
    /// bound) and closes the session the server made. Does nothing if the session is
    /// already over.
    pub fn close(&mut self) {
        if self.session.state().is_terminal() {
            self.link.release();
            return;
        }
        let now = Instant::now();
        self.session.close(now);
        self.pump_until(Some(self.close_timeout + CLOSE_SLACK), Some(now), |c| {
            c.session.state().is_terminal()
        });
        self.link.release();
    }

    /// Replaces the session's host list with the hosts of `hosts`
    /// (`host:port,host:port`; a chroot may be left out, or must be the session's),
    /// keeping the session: Java's `updateServerList`, for an ensemble that grew or
    /// shrank or was reconfigured. The client moves to another server when the new
    /// list asks for it: always when its server left the list, and when the list grew
    /// with the probability that spreads clients evenly over it (the rule is
    /// [`Session::update_hosts`]'s). A move keeps the session id, its ephemeral nodes
    /// and its watches: requests in flight get their replies from the server being
    /// left (for at most 2/3 of the session timeout; any still unanswered then fail
    /// with [`Error::ConnectionLoss`]); calls made meanwhile wait and go to the new
    /// server; watches are set again there, as on any reconnect, and
    /// [`Client::next_event`] gives `Disconnected` then `SyncConnected`. Like all of
    /// this client's IO, the move is carried out while a call (or `next_event`)
    /// pumps.
    ///
    /// Fails, changing nothing, with [`Error::Config`] for a list that does not
    /// parse, [`Error::InvalidArgument`] for another chroot, and the session's error
    /// once it is closing or over.
    pub fn update_server_list(&mut self, hosts: &str) -> Result<()> {
        crate::for_drivers::update_hosts(
            &mut self.session,
            self.link.problems_mut(),
            hosts,
            Instant::now(),
        )
    }

    /// Drops the connection without closing the session, as a killed process would:
    /// the server keeps the session (and its ephemerals) until it expires. Take
    /// [`Client::credentials`] first to resume it with [`Options::resume`].
    pub fn forget(mut self) {
        self.closed_by_forget = true;
        self.link.release();
    }

    // ----- getters ------------------------------------------------------------------

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.session.state()
    }

    /// The session id and password, to resume the session elsewhere
    /// ([`Options::resume`]).
    pub fn credentials(&self) -> Option<SessionCredentials> {
        self.session.credentials()
    }

    /// The session id (0 before the first handshake).
    pub fn session_id(&self) -> i64 {
        self.session.credentials().map_or(0, |c| c.session_id)
    }

    /// Why the session last became `Disconnected`, `Expired`, `AuthFailed` or
    /// `Closed` ("server 127.0.0.1:2181 closed the connection", "no reply from ...
    /// within the read timeout (ping)"...): the reason behind the latest such
    /// [`Event::Session`] the session went through. Each event carries the reason of
    /// its own change; this one is the latest, which may belong to an event not yet
    /// taken with [`Client::next_event`]: ask here when a call failed with
    /// `ConnectionLoss` and you do not read events. `None` before any.
    pub fn state_reason(&self) -> Option<StateReason> {
        self.session.state_reason().cloned()
    }

    /// The session timeout the server granted.
    pub fn negotiated_timeout(&self) -> Option<Duration> {
        self.session.negotiated_timeout()
    }

    /// The highest zxid seen in a reply.
    pub fn last_zxid(&self) -> i64 {
        self.session.last_zxid()
    }

    /// The session's current connection (`None` while it has none), to tell a
    /// reconnect between two looks.
    pub fn conn_id(&self) -> Option<zk_session::ConnId> {
        self.link.conn_id()
    }

    /// Submitted requests whose replies have not been taken by a `wait` yet.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// Events already received and not yet returned by [`Client::next_event`]. Events
    /// are queued in wire order, so a watch event that arrived before the reply of a
    /// call is queued by the time the call returns. At most
    /// [`Options::max_queued_events`] + 1 (see [`Client`]) unless watches are being
    /// removed or the session ended.
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// The session machine, read-only (for diagnostics).
    pub fn session(&self) -> &Session {
        &self.session
    }

    // ----- pipelining ---------------------------------------------------------------

    /// Queues a request without waiting for it; it is written at the next call that
    /// does IO (`wait`, `wait_any`, `next_event`, [`Client::flush`] or any operation;
    /// a wait answered by a reply that is already in does none).
    /// Validation happens here: an invalid path, an empty ACL or an oversized request
    /// fail at once and nothing is sent.
    pub fn submit(&mut self, request: Request) -> Result<RequestId> {
        self.submit_at(request, Instant::now())
    }

    /// [`Client::submit`] at `now`.
    pub(super) fn submit_at(&mut self, request: Request, now: Instant) -> Result<RequestId> {
        if now.saturating_duration_since(self.last_looked) >= IDLE_LOOK {
            self.look_at_socket(now);
        }
        let id = self.session.submit(request, now)?;
        self.outstanding.insert(id);
        Ok(id)
    }

    /// Reads what the socket holds without waiting: the server's close among it, so
    /// that the session knows its connection is gone before it writes to it. A close
    /// after data (a notification, then FIN) shows only to the read after the one that
    /// took the data: it reads until the socket is empty (a few reads at most).
    fn look_at_socket(&mut self, now: Instant) {
        self.last_looked = now;
        for _ in 0..IDLE_LOOK_READS {
            if self.link.conn_id().is_none() {
                break;
            }
            let read = self.link.read_once(&mut self.session, Some(now), now);
            // What came is the program's (a notification fired a watch it may wait
            // on), taken after each read: the session's queue holds one read's worth.
            self.drain_events();
            match read {
                Some(read_at) => self.last_looked = read_at,
                None => break,
            }
        }
    }

    /// Writes what is queued and processes whatever input is already there, without
    /// waiting for more.
    pub fn flush(&mut self) {
        let now = self.service(None);
        if self.link.is_connecting() {
            self.link.finish_connect(&mut self.session, now);
            self.service(None);
        } else if self.link.conn_id().is_some() {
            let read_at = self.link.read_once(&mut self.session, Some(now), now);
            self.service(read_at);
        }
    }

    /// Waits for the reply of `id` (up to `Options::call_timeout`, if set), pumping the
    /// session meanwhile. A request submitted while the session was never established
    /// waits at most [`Options::connect_timeout`] for it, then fails with
    /// [`Error::NoHosts`] (given up, never sent).
    pub fn wait(&mut self, id: RequestId) -> Result<Response> {
        self.wait_until(id, self.call_timeout, None)
            .and_then(|c| c.result)
    }

    /// Waits at most `timeout` for the reply of `id`. On [`Error::Timeout`] the request
    /// is still outstanding: wait for it again later. (Operations such as
    /// [`Client::get_data`] give up on their request when `call_timeout` passes.)
    pub fn wait_timeout(&mut self, id: RequestId, timeout: Duration) -> Result<Response> {
        self.wait_until(id, Some(timeout), None)
            .and_then(|c| c.result)
    }

    /// Like [`Client::wait_timeout`], with the whole [`Completion`]: also the watch the
    /// request set (for a watching request submitted raw).
    pub fn wait_completion(&mut self, id: RequestId, timeout: Duration) -> Result<Completion> {
        self.wait_until(id, Some(timeout), None)
    }

    /// Waits at most `timeout` for the next reply of any outstanding request, in the
    /// order replies arrived. `Ok(None)`: nothing arrived in time, or nothing is
    /// outstanding.
    pub fn wait_any(&mut self, timeout: Duration) -> Result<Option<Completion>> {
        self.abandon_given_up();
        if self.outstanding.is_empty() {
            return Ok(None);
        }
        // A reply already in is handed out without touching the clock or the socket:
        // draining a batch of pipelined replies costs no IO per reply (what was
        // submitted meanwhile goes out, in one write, when the batch is used up).
        if self.replies.is_empty() {
            self.pump_until(Some(timeout), None, |c| !c.replies.is_empty());
        }
        Ok(self.replies.pop_front().inspect(|c| {
            self.outstanding.remove(&c.id);
        }))
    }

    /// Gives up on request `id`: no wait (nor [`Client::wait_any`]) hands out its
    /// reply. Not sent if it was still queued; if sent, its reply is discarded when it
    /// comes and registers no watch. A reply already in is dropped (a watch it set
    /// stays until it fires, its event the program's as any other). For a request
    /// whose answer nobody will wait for any more: a recipe's, say, once its guard is
    /// gone. Returns whether `id` was outstanding.
    pub fn abandon(&mut self, id: RequestId) -> bool {
        if !self.outstanding.remove(&id) {
            return false;
        }
        match self.replies.iter().position(|r| r.id == id) {
            Some(i) => drop(self.replies.remove(i)),
            None => drop(self.session.abandon(id)),
        }
        true
    }

    /// Gives up on request `id` as [`Client::abandon`] does and, when it is a
    /// sequential create, has the session delete the node it made (or may have made):
    /// for a node made for a value dropped before the answer (a lock's contender
    /// node), so that it holds nobody up until the session ends. A create answered
    /// with its node has that node deleted; one whose answer was lost with its
    /// connection (or its request timeout passed) is looked for, and deleted if it is
    /// an ephemeral node of this session, also when that lost answer is already in,
    /// not yet taken (for the session's 64 most recent such creates; see
    /// [`zk_session::Session::abandon_and_delete`]: give it a name no
    /// other create of the session uses; a create of a fixed name is only given up).
    /// The deletes are the session's own requests, answered to nobody, sent as the
    /// client runs (pump or wait). Returns whether `id` was outstanding.
    pub fn abandon_and_delete(&mut self, id: RequestId) -> bool {
        if !self.outstanding.remove(&id) {
            return false;
        }
        let now = Instant::now();
        match self.replies.iter().position(|r| r.id == id) {
            Some(i) => match self.replies.remove(i).map(|c| c.result) {
                Some(Ok(created)) => drop(self.session.delete_created(&created, now)),
                // A lost answer: the session remembers the create and looks for its node.
                Some(Err(Error::ConnectionLoss | Error::RequestTimeout)) => {
                    self.session.abandon_and_delete(id, now);
                }
                _ => {}
            },
            None => drop(self.session.abandon_and_delete(id, now)),
        }
        true
    }

    /// A handle that gives this client's requests up from anywhere, without the
    /// client: see [`Abandoner`]. Every handle shares one list, which the client
    /// empties at its next pump or wait.
    pub fn abandoner(&self) -> Abandoner {
        self.given_up.clone()
    }

    /// Abandons the requests given up through an [`Abandoner`] since the last look.
    #[inline]
    fn abandon_given_up(&mut self) {
        // Every call and wait looks: the common case is one atomic load.
        if !self.given_up.is_empty() {
            self.abandon_given_up_now();
        }
    }

    #[cold]
    #[inline(never)]
    fn abandon_given_up_now(&mut self) {
        for (id, delete) in self.given_up.take() {
            if delete {
                self.abandon_and_delete(id);
            } else {
                self.abandon(id);
            }
        }
    }

    /// Runs the session for `duration` (answering pings, writing what is queued,
    /// reconnecting), keeping every reply and event that arrives for later.
    pub fn pump(&mut self, duration: Duration) {
        self.pump_until(Some(duration), None, |_| false);
    }

    // ----- events -------------------------------------------------------------------

    /// Waits at most `timeout` for the next watch event or session state change,
    /// pumping the session meanwhile (so an idle program that loops here keeps its
    /// session alive). Events come in wire order. `Ok(None)`: nothing within
    /// `timeout`. Once the session is over and its last state event was returned,
    /// fails with the session's error ([`Error::Closed`], [`Error::SessionExpired`],
    /// [`Error::AuthFailed`]).
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>> {
        self.pump_until(Some(timeout), None, |c| !c.events.is_empty());
        match self.events.pop().map(ExternalEvent::from_session) {
            Some(ExternalEvent::Event(e)) => Ok(Some(e)),
            Some(ExternalEvent::Reply(c)) => {
                unreachable!("replies wait in the client's reply list, not among events: {c:?}")
            }
            None if self.session.state().is_terminal() => Err(Error::for_session(&self.session)),
            None => Ok(None),
        }
    }

    /// Waits at most `timeout` for the next event of one watch, pumping the session
    /// meanwhile: `Ok(Some(Event::Watch(..)))` when it fired or was removed,
    /// `Ok(Some(Event::Overflow{..}))` where events it should have had were dropped
    /// for the memory bound, `Ok(None)` if nothing came in time. Fails with
    /// [`Error::NoWatcher`] for a watch this client does not hold (or whose last
    /// event was already taken), and with the session's error once the session is
    /// over and nothing of the watch is left.
    ///
    /// Each event is a copy, as [`SharedClient::wait_watch`](crate::SharedClient::wait_watch)'s
    /// are: [`Client::next_event`] still returns every event, in order. From its first
    /// `wait_watch` until it ends, a watch's events are kept for `wait_watch` too (at
    /// most [`Options::max_queued_events`] unread, then one `Overflow` stands for the
    /// rest), also those that come between two calls; the events it had before are
    /// handed out first. So a part of the program that waits on its own watch (a
    /// recipe) neither takes events from the rest nor loses its own to a
    /// `next_event` loop, nor to many other watches firing at once.
    ///
    /// Before its first `wait_watch`, a watch's events are only in the program's
    /// queue: those that overflowed it (more than `max_queued_events` unread) are
    /// gone, and the first `wait_watch` returns the `Overflow` naming the watch in
    /// their place at once (a one-shot watch then has nothing more: re-read the node).
    pub fn wait_watch(&mut self, handle: WatchHandle, timeout: Duration) -> Result<Option<Event>> {
        let id = handle.id();
        let events = &self.events;
        self.claimed
            .retain(|id, ended| !*ended || events.has_watch_event(*id));
        if let std::collections::hash_map::Entry::Vacant(claim) = self.claimed.entry(id) {
            claim.insert(false);
            for event in self.events.copies_for(id) {
                self.claimed_events.push(event);
            }
        }
        let live = |c: &Client| {
            c.session
                .registration(id)
                .is_some_and(|r| r.kind == handle.kind())
        };
        let over = |c: &Client| c.session.state().is_terminal();
        if !self.claimed_events.has_watch_event(id) && live(self) && !over(self) {
            self.pump_until(Some(timeout), None, |c| {
                c.claimed_events.has_watch_event(id) || !live(c) || over(c)
            });
        }
        if let Some(event) = self.claimed_events.take_watch_event(id) {
            let ends = match &event {
                zk_session::Event::Watch(w) => handle.kind().is_one_shot() || w.is_removal(),
                _ => false,
            };
            if ends {
                self.claimed.insert(id, true);
            }
            if let ExternalEvent::Event(event) = ExternalEvent::from_session(event) {
                return Ok(Some(event));
            }
        }
        if live(self) && !over(self) {
            return Ok(None);
        }
        self.claimed.insert(id, true);
        if over(self) {
            Err(Error::for_session(&self.session))
        } else {
            Err(Error::no_watcher())
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if !self.closed_by_forget {
            self.close();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_can_move_to_another_thread() {
        fn is_send<T: Send>() {}
        is_send::<super::Client>();
    }
}
