//! The shared client: many threads, one session kept alive by a background IO thread
//! (the C client's "multi-threaded" model, Java's send thread). The protocol stays in
//! the session; this adds threads and locks, nothing else.
//!
//! Pieces: [`core`] (the session with its socket and the callers' replies, behind
//! one lock), [`io_thread`] (waits on the socket, the session's deadlines and wake-ups,
//! and moves the session on), [`reader`] (a waiting caller that reads the socket
//! itself while few calls are in flight), [`reply_table`] (which replies callers
//! expect, and those in), [`reply`] (one caller's wait), [`events`] (the event channel and
//! per-watch mailboxes), [`state_changes`] (a copy of every state change for each
//! subscriber), `ops` (the typed operations).

mod core;
mod events;
mod io_thread;
mod ops;
mod reader;
mod reply;
mod reply_table;
mod state_changes;
mod sync;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::{Poll, Registry, Waker};
use zk_session::{Request, RequestId, SessionCredentials, SessionState, StateReason};

use crate::error::{Error, Result};
use crate::event::{Completion, Event};
use crate::external::ExternalDriver;
use crate::options::Options;
use crate::watch::WatchHandle;

use self::core::{Core, Outlets, Replies, Waiting};
pub use events::Events;
use reader::ReaderPoll;
pub use reply::PendingReply;
use reply_table::ReplyTable;
pub use state_changes::StateChanges;
use sync::lock;

/// Requests outstanding from which a new one waits for the IO thread's next write
/// (due within one reply's time) instead of costing a write of its own.
pub(super) const BATCH_DEPTH: usize = 32;
/// Extra time `close` gives the session beyond its own close timeout.
const CLOSE_SLACK: Duration = Duration::from_millis(500);

/// A ZooKeeper client that many threads share (the C client's "multi-threaded" model):
/// a background IO thread keeps the session alive (pings, reconnects, watch and
/// credential replay) whether or not anyone calls, and every thread's requests go out
/// pipelined in the one session.
///
/// `Clone` is cheap (all clones are the same client) and the client is `Send + Sync`:
/// hand a clone to each thread, or share a reference. Each call blocks only its own
/// thread, until its reply, [`Options::call_timeout`] (then [`Error::Timeout`], and
/// the request is given up), or the end of the session (while no server is reachable,
/// a call waits for the reconnect, up to the session's expiry: see
/// [`Options::call_timeout`]). A session that was never established cannot expire: a
/// call waits for it at most [`Options::connect_timeout`] (as
/// [`SharedClient::connect`] does), then fails with [`Error::NoHosts`] and its request
/// is given up. A request is written from the calling thread at once
/// when the socket takes it, else by the IO thread as soon as the socket can; the IO
/// thread also wakes at once when a call needs it sooner (a reconnect, a nearer
/// deadline). It never runs user code. While fewer than 32 calls are in flight, a
/// waiting caller reads its reply from the socket itself (handing out what else came,
/// replies and events alike, as the IO thread would): a synchronous call then costs
/// one wake-up, as with [`crate::Client`], instead of the IO thread's and its own.
///
/// Events: watch notifications and session state changes go, in wire order, to one
/// channel ([`SharedClient::events`], or callbacks on one event thread with
/// [`SharedClient::on_event`]); [`SharedClient::wait_watch`] waits for the events of
/// one watch; [`SharedClient::state_changes`] gives each subscriber its own copy of
/// every state change. Memory of events nobody takes is bounded: the channel by
/// [`Options::max_queued_events`] (then one [`Event::Overflow`] for the rest); the
/// per-watch copies by one event (and its removal) per live one-shot watch, plus the
/// unread events of at most 4,096 ended ones, and by `max_queued_events` per persistent
/// watch someone waits on and per state-change subscriber. The bound is per holder:
/// events that come together (many watches fired by one transaction) each reach their
/// watch's copies whatever the channel kept, as the IO thread hands them out after
/// every read.
///
/// Life cycle: [`SharedClient::close`] from any thread closes the session (bounded by
/// the close timeout); after `Closed`, `Expired` or `AuthFailed` every call fails at once
/// with that error. Dropping the last clone closes the session and joins the threads:
/// like `close`, it blocks until the server confirms, at most the close timeout (plus
/// half a second) when no server answers.
///
/// Unix only (it waits on the socket with `mio`), like [`crate::ExternalDriver`].
#[derive(Debug, Clone)]
pub struct SharedClient {
    owner: Arc<Owner>,
}

/// Held by every clone; its drop (the last clone's) ends the client.
#[derive(Debug)]
struct Owner {
    shared: Arc<Shared>,
    io_thread: Mutex<Option<JoinHandle<()>>>,
    event_thread: Mutex<Option<JoinHandle<()>>>,
    close_timeout: Duration,
}

/// What the clones and the IO thread share.
#[derive(Debug)]
pub(crate) struct Shared {
    core: Mutex<Core>,
    /// Signalled after every turn of the IO thread (state changes).
    state_changed: Condvar,
    /// Interrupts the IO thread's wait.
    waker: Waker,
    /// The IO thread's poller, where a caller that reads the socket itself takes it
    /// out and gives it back (see [`reader`]).
    registry: Registry,
    /// The poller a caller reading the socket waits on.
    reader_poll: Mutex<ReaderPoll>,
    /// Interrupts the wait of a caller reading the socket.
    reader_waker: Waker,
    /// Where the events go: the channel, the watches' mailboxes, the subscribers.
    outlets: Outlets,
    /// [`Options::call_timeout`]: kept here once, not in every [`PendingReply`].
    call_timeout: Option<Duration>,
}

impl Shared {
    /// Gives up on `id` after its caller's timeout: no reply will be handed out and
    /// no watch stays registered by it; the call fails with `why`.
    /// If the reply came meanwhile, it is returned instead.
    fn give_up(&self, id: RequestId, why: Error) -> Result<Completion> {
        let mut core = lock(&self.core);
        match core.replies.forget(id) {
            Some(came) => Ok(came),
            None => {
                core.driver.abandon(id);
                Err(why)
            }
        }
    }

    /// Gives up on `id` and the node it creates (see
    /// [`crate::Client::abandon_and_delete`]), from a caller that no longer waits.
    fn give_up_and_delete(&self, id: RequestId) {
        let mut core = lock(&self.core);
        match core.replies.forget(id) {
            Some(Completion {
                result: Ok(created),
                ..
            }) => drop(core.driver.delete_created(&created)),
            // A lost answer: the session remembers the create and looks for its node.
            Some(Completion {
                result: Err(Error::ConnectionLoss | Error::RequestTimeout),
                ..
            }) => drop(core.driver.abandon_and_delete(id)),
            Some(_) => {}
            None => drop(core.driver.abandon_and_delete(id)),
        }
        self.wake_io_if_needed(&core);
    }

    /// Wakes the IO thread, and the caller reading the socket if one does, if what
    /// they wait for is out of date.
    fn wake_io_if_needed(&self, core: &Core) {
        if core.io_must_wake() {
            // A failed wake leaves the IO thread to its own deadline.
            let _ = self.waker.wake();
        }
        self.wake_reader_if_needed(core);
    }

    /// Wakes the caller reading the socket, if one does and must look again.
    fn wake_reader_if_needed(&self, core: &Core) {
        if reader::reader_must_wake(core) {
            // A failed wake leaves the reader to its deadline.
            let _ = self.reader_waker.wake();
        }
    }
}

impl SharedClient {
    // ----- life cycle ---------------------------------------------------------------

    /// Connects to `connect_string` (`host:port,host:port[/chroot]`) and returns once
    /// the session is established, with the same errors as [`crate::Client::connect`]:
    /// [`Error::NoHosts`], [`Error::SessionExpired`], [`Error::AuthFailed`],
    /// [`Error::Config`].
    pub fn connect(connect_string: &str, options: Options) -> Result<SharedClient> {
        let connect_deadline = options.connect_deadline();
        let confirm_auth = options.has_auth();
        let client = SharedClient::start(connect_string, options)?;
        if let Err(e) = client.wait_until_connected(connect_deadline) {
            // A handshake still under way has had the connect's time: the close the
            // drop makes must not wait for its answer too.
            client.owner.close_after_failed_connect();
            return Err(e);
        }
        if confirm_auth {
            client.confirm_auth()?;
        }
        Ok(client)
    }

    /// Starts the IO thread, which dials at once, and returns without waiting for a
    /// server. Requests submitted meanwhile go out once connected. Fails only on
    /// unusable options (or if the OS refuses a poller or a thread).
    pub fn start(connect_string: &str, options: Options) -> Result<SharedClient> {
        let call_timeout = options.call_timeout;
        let close_timeout = options.session.close_timeout;
        let budget = options.session.max_queued_events;
        // The channel, each mailbox and each state subscriber keep at most `budget`
        // events unread; the session's queue is emptied into them after every read
        // (`Core::process`).
        let options = options.events_handed_out_per_read().first_session_bounded();
        let driver = ExternalDriver::new(connect_string, options)?;
        let poll = Poll::new().map_err(|e| Error::System(format!("create a poller ({e})")))?;
        let waker = Waker::new(poll.registry(), io_thread::WAKE)
            .map_err(|e| Error::System(format!("create a waker ({e})")))?;
        let registry = poll
            .registry()
            .try_clone()
            .map_err(|e| Error::System(format!("share the poller ({e})")))?;
        let (reader_poll, reader_waker) =
            ReaderPoll::new().map_err(|e| Error::System(format!("create a poller ({e})")))?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                driver,
                replies: ReplyTable::default(),
                waiting: Waiting::default(),
                stopping: false,
                reader: None,
                io_registered: None,
            }),
            state_changed: Condvar::new(),
            waker,
            registry,
            reader_poll: Mutex::new(reader_poll),
            reader_waker,
            outlets: Outlets::new(budget),
            call_timeout,
        });
        let io_shared = shared.clone();
        let io_thread = std::thread::Builder::new()
            .name("zk-io".into())
            .spawn(move || io_thread::run(io_shared, poll))
            .map_err(|e| Error::System(format!("start the IO thread ({e})")))?;
        Ok(SharedClient {
            owner: Arc::new(Owner {
                shared,
                io_thread: Mutex::new(Some(io_thread)),
                event_thread: Mutex::new(None),
                close_timeout,
            }),
        })
    }

    /// Waits until the session is connected (read-write or read-only), at most
    /// `timeout`. Fails with [`Error::NoHosts`] (naming the problems seen at each host) when
    /// time runs out, or with the session's error when it ended.
    pub fn wait_until_connected(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        let state = self.wait_for_state(started.checked_add(timeout), |s| {
            s != SessionState::Connecting
        });
        match state {
            SessionState::Connected | SessionState::ConnectedReadOnly => Ok(()),
            SessionState::Connecting => {
                let core = lock(&self.shared().core);
                Err(core.driver.problems().no_hosts(started.elapsed()))
            }
            _ => Err(self.with_driver(|d| Error::for_session(d.session()))),
        }
    }

    /// Closes the session, from any thread: the requests submitted before it are
    /// sent first (as Java sends them; their replies keep their submit order), then
    /// closeSession, and the call returns when the server
    /// confirms or the close timeout passes (calls still waiting then fail with
    /// [`Error::Closed`]). The server deletes the session's ephemeral nodes at once.
    /// While the first handshake is under way, the close waits for its answer (within
    /// the same bound) and closes the session the server made. Does nothing if the
    /// session is already over.
    pub fn close(&self) {
        self.owner.close();
    }

    /// Replaces the session's host list with the hosts of `hosts`
    /// (`host:port,host:port`; a chroot may be left out, or must be the session's),
    /// keeping the session, from any thread: Java's `updateServerList`, for an
    /// ensemble that grew or shrank or was reconfigured. The client moves to another
    /// server when the new list asks for it: always when its server left the list,
    /// and when the list grew with the probability that spreads clients evenly over it
    /// (the rule is [`zk_session::Session::update_hosts`]'s). A move keeps the session
    /// id, its ephemeral nodes and its watches: calls in flight get their replies from
    /// the server being left (for at most 2/3 of the session timeout; any still
    /// unanswered then fail with [`Error::ConnectionLoss`]); calls made meanwhile wait
    /// and go to the new server; watches are set again there, as on any reconnect,
    /// and [`SharedClient::events`] gives `Disconnected` then `SyncConnected`.
    ///
    /// Fails, changing nothing, with [`Error::Config`] for a list that does not
    /// parse, [`Error::InvalidArgument`] for another chroot, and the session's error
    /// once it is closing or over.
    pub fn update_server_list(&self, hosts: &str) -> Result<()> {
        self.owner.update_server_list(hosts)
    }

    // ----- getters ------------------------------------------------------------------

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.with_driver(|d| d.state())
    }

    /// The session id and password, to resume the session elsewhere
    /// ([`Options::resume`]).
    pub fn credentials(&self) -> Option<SessionCredentials> {
        self.with_driver(|d| d.credentials())
    }

    /// The session id (0 before the first handshake).
    pub fn session_id(&self) -> i64 {
        self.credentials().map_or(0, |c| c.session_id)
    }

    /// Why the session last became `Disconnected`, `Expired`, `AuthFailed` or
    /// `Closed` ("server 127.0.0.1:2181 closed the connection", "no reply from ...
    /// within the read timeout (ping)"...): the reason behind the latest such
    /// [`Event::Session`] the session went through. Each event carries the reason of
    /// its own change; this one is the latest, which may be newer than the last event
    /// your thread took: ask here when a call failed with `ConnectionLoss` and
    /// another receiver, or nobody, reads the events. `None` before any.
    pub fn state_reason(&self) -> Option<StateReason> {
        self.with_driver(|d| d.session().state_reason().cloned())
    }

    /// The session timeout the server granted.
    pub fn negotiated_timeout(&self) -> Option<Duration> {
        self.with_driver(|d| d.session().negotiated_timeout())
    }

    /// The highest zxid seen in a reply.
    pub fn last_zxid(&self) -> i64 {
        self.with_driver(|d| d.session().last_zxid())
    }

    /// The id of the session's current connection: it changes at every reconnect
    /// (`None` while no connection is up or being made).
    pub fn conn_id(&self) -> Option<zk_session::ConnId> {
        self.with_driver(|d| d.conn_id())
    }

    /// Requests submitted and not answered yet (by all threads).
    pub fn outstanding(&self) -> usize {
        self.with_driver(|d| d.session().outstanding())
    }

    // ----- pipelining ---------------------------------------------------------------

    /// Queues a request without waiting for its reply: it is written at once when the
    /// socket takes it. Validation happens here (an invalid path, an empty ACL or an
    /// oversized request fail at once, nothing sent); after the session ended, its
    /// error. The [`PendingReply`] waits for the reply: [`PendingReply::wait`] and
    /// [`PendingReply::wait_timeout`] give the request up when time runs out,
    /// [`PendingReply::wait_timeout_keeping`] keeps it for a later wait.
    pub fn submit(&self, request: Request) -> Result<PendingReply> {
        let shared = self.shared();
        let mut core = lock(&shared.core);
        let state = core.driver.state();
        if state.is_terminal() || state == SessionState::Closing {
            return Err(Error::for_session(core.driver.session()));
        }
        // Deep in a pipeline the IO thread writes at its next reply, many requests
        // per write; otherwise the request goes out now, from this thread.
        // (Every outstanding request has its caller's entry: counting them is free.)
        let id = if core.replies.expected() >= BATCH_DEPTH {
            core.driver.submit_unwritten(request)?
        } else {
            core.driver.submit(request)?
        };
        core.replies.expect(id);
        // A request answered locally (an empty multi) is answered by now.
        let mut replies = Replies::default();
        core.dispatch(&shared.outlets, &mut replies);
        shared.wake_io_if_needed(&core);
        drop(core);
        replies.deliver();
        Ok(PendingReply::new(id, shared.clone()))
    }

    // ----- events -------------------------------------------------------------------

    /// A receiver of this client's events (see [`Events`]).
    pub fn events(&self) -> Events {
        Events::new(self.shared().outlets.channel.clone())
    }

    /// A new subscriber to the session's state changes: it gets every change from now
    /// on, each with its reason, whoever else reads [`SharedClient::events`] or
    /// subscribes (see [`StateChanges`]).
    pub fn state_changes(&self) -> StateChanges {
        let shared = self.shared();
        // Made under the core's lock, which the IO thread holds while it hands events
        // out: a change comes either before the subscriber (and `state` tells it) or to
        // it, never in between.
        let _core = lock(&shared.core);
        StateChanges::new(shared.outlets.states.clone())
    }

    /// Waits at most `timeout` for the next event of one watch (a copy: the event
    /// also goes to the channel): `Ok(Some(Event::Watch(..)))` when it fired or was
    /// removed, `Ok(Some(Event::Overflow{..}))` in the place of events dropped for the
    /// memory bound, `Ok(None)` if nothing came in time. Fails with
    /// [`Error::NoWatcher`] for a watch this client does not hold (or whose last
    /// event was already taken), and with the session's error once the session is
    /// over and nothing of the watch is left.
    ///
    /// A one-shot watch's event is kept for this from the moment the watch is set, so
    /// waiting after it fired still returns it. A persistent watch's events are kept
    /// from its first `wait_watch` on, at most [`Options::max_queued_events`] of them
    /// unread (then one `Overflow` stands for the rest); before that they are in the
    /// channel only.
    pub fn wait_watch(&self, handle: WatchHandle, timeout: Duration) -> Result<Option<Event>> {
        let live = self.with_driver(|d| {
            d.session()
                .registration(handle.id())
                .is_some_and(|r| r.kind == handle.kind())
        });
        self.shared()
            .outlets
            .mailboxes
            .wait(handle, live, Instant::now().checked_add(timeout))
    }

    /// Runs `callback` for every event, in wire order, on one event thread of its
    /// own (the C client's completion thread): a slow callback delays the next
    /// callbacks, never the IO. It takes events from the same channel as
    /// [`SharedClient::events`]. A panic in the callback is caught, and the next event
    /// still gets its call. The thread ends after the session's last event; dropping
    /// the last clone joins it (a callback that keeps a clone keeps the client alive
    /// until [`SharedClient::close`]). At most one per client: a second call fails with
    /// [`Error::InvalidArgument`].
    pub fn on_event(&self, mut callback: impl FnMut(Event) + Send + 'static) -> Result<()> {
        let mut slot = lock(&self.owner.event_thread);
        if slot.is_some() {
            return Err(Error::InvalidArgument(
                "on_event was already called for this client: one event thread per client".into(),
            ));
        }
        let events = self.events();
        let thread = std::thread::Builder::new()
            .name("zk-events".into())
            .spawn(move || {
                while let Ok(event) = events.recv() {
                    // The panic was the callback's to report; the next event goes on.
                    let _ = catch_unwind(AssertUnwindSafe(|| callback(event)));
                }
            })
            .map_err(|e| Error::System(format!("start the event thread ({e})")))?;
        *slot = Some(thread);
        Ok(())
    }

    // ----- internals ----------------------------------------------------------------

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    fn with_driver<R>(&self, f: impl FnOnce(&ExternalDriver) -> R) -> R {
        f(&lock(&self.shared().core).driver)
    }

    /// Waits until `done(state)` or `deadline`; returns the state then.
    fn wait_for_state(
        &self,
        deadline: Option<Instant>,
        done: impl Fn(SessionState) -> bool,
    ) -> SessionState {
        self.owner.wait_for_state(deadline, done)
    }
}

impl Owner {
    fn update_server_list(&self, hosts: &str) -> Result<()> {
        let shared = &self.shared;
        let mut replies = Replies::default();
        {
            let mut core = lock(&shared.core);
            core.driver.update_server_list(hosts)?;
            core.dispatch(&shared.outlets, &mut replies);
            shared.wake_reader_if_needed(&core);
        }
        replies.deliver();
        // The IO thread carries the move on (the drain, the dial).
        let _ = shared.waker.wake();
        Ok(())
    }

    /// Ends a session whose connect gave up, without waiting for the answer to a
    /// handshake under way (see [`Session::close_after_failed_connect`]).
    ///
    /// [`Session::close_after_failed_connect`]: zk_session::Session::close_after_failed_connect
    fn close_after_failed_connect(&self) {
        let shared = &self.shared;
        let mut replies = Replies::default();
        {
            let mut core = lock(&shared.core);
            core.driver.close_after_failed_connect();
            core.dispatch(&shared.outlets, &mut replies);
            shared.wake_reader_if_needed(&core);
        }
        replies.deliver();
        let _ = shared.waker.wake();
    }

    fn close(&self) {
        let shared = &self.shared;
        let mut replies = Replies::default();
        {
            let mut core = lock(&shared.core);
            if core.driver.state().is_terminal() {
                return;
            }
            core.driver.close();
            core.dispatch(&shared.outlets, &mut replies);
            shared.wake_reader_if_needed(&core);
        }
        replies.deliver();
        // The IO thread carries the close on (a reconnect to deliver it, the timeout).
        let _ = shared.waker.wake();
        let deadline = Instant::now().checked_add(self.close_timeout + CLOSE_SLACK);
        self.wait_for_state(deadline, |s| s.is_terminal());
    }

    fn wait_for_state(
        &self,
        deadline: Option<Instant>,
        done: impl Fn(SessionState) -> bool,
    ) -> SessionState {
        let shared = &self.shared;
        let mut core = lock(&shared.core);
        loop {
            let state = core.driver.state();
            if done(state) {
                return state;
            }
            core = match deadline {
                None => shared
                    .state_changed
                    .wait(core)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return state;
                    }
                    shared
                        .state_changed
                        .wait_timeout(core, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.close();
        lock(&self.shared.core).stopping = true;
        let _ = self.shared.waker.wake();
        if let Some(io) = lock(&self.io_thread).take() {
            // The IO thread runs none of the user's code: it cannot have panicked
            // with anything worth passing on.
            let _ = io.join();
        }
        if let Some(events) = lock(&self.event_thread).take() {
            // A callback that dropped the last clone runs on the event thread itself,
            // which ends by itself now that the session is over.
            if events.thread().id() != std::thread::current().id() {
                let _ = events.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_shared_client_is_send_sync_and_clone() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<super::SharedClient>();
        fn movable<T: Send>() {}
        movable::<super::PendingReply>();
        movable::<super::Events>();
        fn shared<T: Send + Sync>() {}
        shared::<super::StateChanges>();
    }
}
