//! The client handle: life cycle, getters, raw requests and the state stream. The
//! typed operations are in `ops`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use zk_blocking::for_drivers::{
    call_timeout, close_timeout, connect_deadline, events_handed_out_per_read,
    first_session_bounded, has_auth, link_tls, max_queued_events, start_session, update_hosts,
};
use zk_blocking::{Error, Options, Request, Result, WatchHandle};
use zk_session::{SessionCredentials, SessionState, StateReason};

use crate::call::PendingReply;
use crate::core::{Core, Shared};
use crate::driver::Driver;
use crate::watch::{StateChanges, WatchStream};

/// Extra time `close` gives the session beyond its own close timeout.
const CLOSE_SLACK: Duration = Duration::from_millis(500);

/// An async ZooKeeper client (see the [crate docs](crate) for the driving model).
///
/// `Clone` is cheap (all clones are the same client and session) and the client is
/// `Send + Sync`. Every operation of the blocking client is here, with the same typed
/// results and errors, as a method returning a future ([`Call`](crate::Call)): the
/// request is queued when the method is called, so calls reach the server in the order
/// they were made, however their futures are awaited, and requests of every clone and
/// task go out pipelined in the one session.
///
/// # Watches
/// The watching reads return a [`OneShotWatch`](crate::OneShotWatch) beside the data:
/// a future of the event. [`Client::add_watch`] returns a
/// [`WatchStream`](crate::WatchStream). Each keeps its watch's events from the moment
/// the reply came, in wire order relative to replies (an event the server sent before
/// a reply is in the watch's queue when that reply's future resolves). Dropping one
/// removes its watch: when no other watch of this client is on the path and the
/// session is connected, a removeWatches goes to the server (it forgets this
/// session's watches on the path and stops notifying); otherwise only the
/// registration here goes (a later notification then fires nothing and is dropped;
/// the server forgets the watch at the next reconnect, when it fires if it is a
/// one-shot watch, or when the client's last watch on the path is dropped).
///
/// # Life cycle
/// [`Client::close`] closes the session, bounded by the close timeout. Dropping the
/// last clone closes it too, in the background (the driver task sends closeSession and
/// ends). After `Closed`, `Expired` or `AuthFailed` every call fails at once with that
/// state's error.
#[derive(Clone)]
pub struct Client {
    owner: Arc<Owner>,
}

/// Held by every clone; its drop (the last clone's) closes the session, in the
/// background: the driver task carries the close out. A [`Client::connect`] future
/// dropped while the server answers its handshake ends here too, and the close waits
/// for that answer (the server may have made the session), then closes the session
/// the server made.
struct Owner {
    shared: Arc<Shared>,
    connect_string: String,
    close_timeout: Duration,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.with(|core, wakeups| {
            if !core.session.state().is_terminal() {
                core.session.close(Instant::now());
                core.wake_driver(wakeups);
            }
        });
    }
}

impl Client {
    // ----- life cycle ---------------------------------------------------------------

    /// Connects to `connect_string` (`host:port,host:port[/chroot]`) and returns once
    /// the session is established (and credentials from [`Options::auth`] were
    /// accepted), with the blocking client's errors: [`Error::NoHosts`] (no server
    /// answered within the connect timeout, naming the problems seen at each host),
    /// [`Error::SessionExpired`] (a resumed session is gone), [`Error::AuthFailed`],
    /// [`Error::Config`]. Must be awaited inside a tokio runtime (current-thread or
    /// multi-thread): it spawns the driver task there. The future borrows nothing, so
    /// it can be spawned: `tokio::spawn(Client::connect(&hosts, options))`.
    pub fn connect(
        connect_string: &str,
        options: Options,
    ) -> impl Future<Output = Result<Client>> + Send + 'static {
        let connect_string = connect_string.to_string();
        async move {
            let deadline = connect_deadline(&options);
            let confirm_auth = has_auth(&options);
            let client = Client::start(&connect_string, options)?;
            if let Err(e) = client.wait_until_connected(deadline).await {
                // A handshake still under way has had the connect's time: its answer
                // is not waited for (a future dropped before this point is, by the
                // close the last clone's drop makes: see `Owner`).
                client.close_after_failed_connect();
                return Err(e);
            }
            if confirm_auth {
                client.confirm_auth().await?;
            }
            Ok(client)
        }
    }

    /// Spawns the driver task, which dials at once, and returns without waiting for a
    /// server; requests made meanwhile go out once connected. Fails on unusable
    /// options, or outside a tokio runtime ([`Error::System`]).
    ///
    /// A session never established cannot expire: a call (or a raw request of
    /// [`Client::submit`]) made before the first one waits for it at most
    /// [`Options::connect_timeout`] (as [`Client::connect`] does), then fails with
    /// [`Error::NoHosts`] and its request is given up; the driver keeps dialling, and
    /// calls made later wait afresh.
    pub fn start(connect_string: &str, options: Options) -> Result<Client> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::System(
                "zk_tokio::Client needs a tokio runtime: call connect/start from inside one \
                 (#[tokio::main], Runtime::block_on or a task)"
                    .to_string(),
            )
        })?;
        let tls = link_tls(&options)?;
        let (max_queued, call_timeout, close_timeout) = (
            max_queued_events(&options),
            call_timeout(&options),
            close_timeout(&options),
        );
        // Events leave the session's queue as soon as each read brings them (see
        // the driver's `read`), into the queue of the watch or state stream they are
        // for, which keeps at most `max_queued_events` of them unread.
        let options = first_session_bounded(events_handed_out_per_read(options));
        let session = start_session(&options, connect_string, Instant::now())?;
        let mut core = Core::new(session, connect_string, max_queued);
        core.runtime = Some(runtime.id());
        let shared = Arc::new(Shared::new(core, call_timeout));
        let driver = {
            let _entered = runtime.enter();
            Driver::new(shared.clone(), tls)
        };
        runtime.spawn(driver);
        Ok(Client {
            owner: Arc::new(Owner {
                shared,
                connect_string: connect_string.to_string(),
                close_timeout,
            }),
        })
    }

    /// Waits until the session is connected (read-write or read-only), at most
    /// `timeout`. Fails with [`Error::NoHosts`] (naming the problems seen at each host) when
    /// time runs out, or with the session's error when it is closing
    /// ([`Error::Closed`]) or ended.
    pub async fn wait_until_connected(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        let shared = self.shared();
        let connected = StateReached::new(shared, |s| s != SessionState::Connecting);
        match tokio::time::timeout(timeout, connected).await {
            Ok(SessionState::Connected | SessionState::ConnectedReadOnly) => Ok(()),
            // Closing or over: that state's error (Closed while closing).
            Ok(state) if state != SessionState::Connecting => Err(
                zk_blocking::for_drivers::error_for_state(state, self.state_reason().as_ref()),
            ),
            _ => Err(shared.lock().problems.no_hosts(started.elapsed())),
        }
    }

    /// Ends a session whose connect gave up, without waiting for the answer to a
    /// handshake under way (see [`zk_session::Session::close_after_failed_connect`]).
    fn close_after_failed_connect(&self) {
        self.shared().with(|core, wakeups| {
            if !core.session.state().is_terminal() {
                core.session.close_after_failed_connect(Instant::now());
                core.wake_driver(wakeups);
            }
        });
    }

    /// Closes the session: the requests submitted before it are sent first (as Java
    /// sends them; their replies keep their submit order), then closeSession, and the
    /// future resolves when the server confirms or the
    /// close timeout passes (calls still waiting then fail with [`Error::Closed`]).
    /// The server deletes the session's ephemeral nodes at once. While the first
    /// handshake is under way, the close waits for its answer (within the same bound)
    /// and closes the session the server made. Does nothing if the session is already
    /// over.
    pub async fn close(&self) {
        let shared = self.shared();
        shared.with(|core, wakeups| {
            if !core.session.state().is_terminal() {
                core.session.close(Instant::now());
                core.wake_driver(wakeups);
            }
        });
        let over = StateReached::new(shared, SessionState::is_terminal);
        // The session bounds the close itself; the slack covers a stalled runtime.
        let _ = tokio::time::timeout(self.owner.close_timeout + CLOSE_SLACK, over).await;
    }

    /// Replaces the session's host list with the hosts of `hosts`
    /// (`host:port,host:port`; a chroot may be left out, or must be the session's),
    /// keeping the session, from any clone: Java's `updateServerList`, for an
    /// ensemble that grew or shrank or was reconfigured. The client moves to another
    /// server when the new list asks for it: always when its server left the list,
    /// and when the list grew with the probability that spreads clients evenly over it
    /// (the rule is [`zk_session::Session::update_hosts`]'s). A move keeps the session
    /// id, its ephemeral nodes and its watches: calls in flight get their replies from
    /// the server being left (for at most 2/3 of the session timeout; any still
    /// unanswered then fail with [`Error::ConnectionLoss`]); calls made meanwhile wait
    /// and go to the new server; watch futures and streams stay live, their watches
    /// set again there as on any reconnect; state listeners see `Disconnected` then
    /// `SyncConnected`. The driver task carries the move out; this returns at once.
    ///
    /// Fails, changing nothing, with [`Error::Config`] for a list that does not
    /// parse, [`Error::InvalidArgument`] for another chroot, and the session's error
    /// once it is closing or over.
    pub fn update_server_list(&self, hosts: &str) -> Result<()> {
        self.shared().with(|core, wakeups| {
            update_hosts(&mut core.session, &mut core.problems, hosts, Instant::now())?;
            core.wake_driver(wakeups);
            Ok(())
        })
    }

    // ----- getters ------------------------------------------------------------------

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.shared().lock().session.state()
    }

    /// The session id and password, to resume the session elsewhere
    /// ([`Options::resume`]).
    pub fn credentials(&self) -> Option<SessionCredentials> {
        self.shared().lock().session.credentials()
    }

    /// The session id (0 before the first handshake).
    pub fn session_id(&self) -> i64 {
        self.credentials().map_or(0, |c| c.session_id)
    }

    /// The session timeout the server granted.
    pub fn negotiated_timeout(&self) -> Option<Duration> {
        self.shared().lock().session.negotiated_timeout()
    }

    /// Why the session last became `Disconnected`, `Expired`, `AuthFailed` or
    /// `Closed`; `None` before any. [`StateChanges::next_with_reason`] gives each
    /// change with its own reason.
    pub fn state_reason(&self) -> Option<StateReason> {
        self.shared().lock().session.state_reason().cloned()
    }

    /// The highest zxid seen in a reply.
    pub fn last_zxid(&self) -> i64 {
        self.shared().lock().session.last_zxid()
    }

    /// The id of the session's current connection: it changes at every reconnect
    /// (`None` while no connection is up or being made), as on the blocking clients.
    pub fn conn_id(&self) -> Option<zk_session::ConnId> {
        self.shared().lock().session.current_conn()
    }

    /// Requests submitted and not answered yet (by every clone).
    pub fn outstanding(&self) -> usize {
        self.shared().lock().session.outstanding()
    }

    // ----- raw requests and events ----------------------------------------------------

    /// Queues a request; the returned future resolves to its reply. Validation happens
    /// here (an invalid path, an empty ACL or an oversized request fail at once,
    /// nothing sent); after the session ended, its error. `call_timeout` does not
    /// apply. The events of a watch the request sets are kept, from its reply on,
    /// for [`Client::watch_stream`]; if nobody takes them before the watch ends (it
    /// fires, or `remove_watch` removes it), they are dropped.
    pub fn submit(&self, request: Request) -> Result<PendingReply> {
        self.submit_as(request, false)
    }

    /// [`Client::submit`] for a typed call (`typed`) or a raw request.
    pub(crate) fn submit_as(&self, request: Request, typed: bool) -> Result<PendingReply> {
        let shared = self.shared();
        let id = shared.with(|core, wakeups| core.submit(request, typed, wakeups))?;
        Ok(PendingReply::new(shared.clone(), id))
    }

    /// The events of a watch set by a request of [`Client::submit`] (its
    /// [`Completion`](crate::Completion)`::watch`), as a stream from its first event on
    /// (a one-shot watch's stream ends after its one event). Fails with
    /// [`Error::NoWatcher`] if this client holds no such watch, or its events already
    /// have a holder (a typed call's watch future or stream, or an earlier stream).
    pub fn watch_stream(&self, handle: WatchHandle) -> Result<WatchStream> {
        if self.shared().lock().watches.adopt(handle.id()) {
            Ok(WatchStream::new(self.shared().clone(), handle))
        } else {
            Err(Error::no_watcher())
        }
    }

    /// A stream of the session's state changes from now on (see [`StateChanges`]).
    pub fn state_changes(&self) -> StateChanges {
        StateChanges::new(self.shared().clone())
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    pub(crate) fn call_timeout(&self) -> Option<Duration> {
        self.owner.shared.call_timeout()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("connect_string", &self.owner.connect_string)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// A wait until the session's state satisfies `reached` (or the session is over): its
/// output is that state. Dropped before then, it takes its waker back.
struct StateReached<'a, F> {
    shared: &'a Shared,
    reached: F,
    /// Its id while its waker is kept in the core.
    wait: Option<u64>,
}

impl<'a, F: Fn(SessionState) -> bool + Unpin> StateReached<'a, F> {
    fn new(shared: &'a Shared, reached: F) -> StateReached<'a, F> {
        StateReached {
            shared,
            reached,
            wait: None,
        }
    }
}

impl<F: Fn(SessionState) -> bool + Unpin> Future for StateReached<'_, F> {
    type Output = SessionState;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SessionState> {
        let this = self.get_mut();
        this.shared
            .lock()
            .poll_state(&this.reached, &mut this.wait, cx)
    }
}

impl<F> Drop for StateReached<'_, F> {
    fn drop(&mut self) {
        if let Some(id) = self.wait.take() {
            self.shared.lock().forget_state_wait(id);
        }
    }
}
