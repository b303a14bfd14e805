//! The external-loop driver: a non-blocking handle for an event loop you own.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Instant;

use zk_session::{
    ConnId, IntoData, Request, RequestId, Response, Session, SessionCredentials, SessionState,
    StateReason,
};

use crate::connect_problems::ConnectProblems;
use crate::error::Result;
use crate::event::ExternalEvent;
use crate::link::{Link, SocketId};
use crate::options::Options;

/// Which readiness the driver waits for on its current socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interest {
    /// Call [`ExternalDriver::process`] when the socket is readable.
    pub readable: bool,
    /// Call [`ExternalDriver::process`] when the socket is writable (a connect in
    /// progress, or bytes waiting to be written).
    pub writable: bool,
}

/// A ZooKeeper session for an event loop you own (poll, epoll, mio): the analogue of
/// the C client's `zookeeper_interest` and `zookeeper_process`. (On tokio, use the
/// `zk-tokio` crate: its driver task owns a `tokio::net::TcpStream` instead of an fd.) It never blocks (except to resolve a host name, which an IP
/// address in the connect string avoids) and owns one non-blocking socket at a time
/// for the session (and, while read-only, briefly a second one for a probe).
///
/// The loop around it, for each driver (what happens inside `process` is the
/// session's run loop, described once in
/// [`zk_session`'s crate docs](zk_session#the-run-loop)):
/// 1. register [`ExternalDriver::as_raw_fd`] for [`ExternalDriver::interest`]; the
///    socket changes when the session reconnects, and also within one connection
///    when a dial moves on to the next address of a host name, which
///    [`ExternalDriver::socket_id`] tells (register the new fd whenever it changes;
///    the old one is already closed; [`ExternalDriver::conn_id`] changes only per
///    connection and misses the second case);
/// 2. wait for readiness or [`ExternalDriver::deadline`], whichever is first;
/// 3. call [`ExternalDriver::process`] with what the loop saw and the current time
///    (also when the deadline passed, with `false, false`), then drain
///    [`ExternalDriver::poll_event`].
///
/// `process` reads and writes until the socket would block, so edge-triggered loops
/// (mio, tokio) work. [`ExternalDriver::submit`] writes at once when it can; it may
/// also find the connection lost, so read [`ExternalDriver::socket_id`],
/// [`ExternalDriver::interest`] and [`ExternalDriver::deadline`] afresh before every
/// wait. `now` is the loop's clock reading: a late one (the loop was busy past the
/// deadline) is fine, as `process` reads what the socket holds before it runs the
/// timers; one earlier than a time passed before counts as that later time.
///
/// The deadline is not optional: a loop that calls `process` only on readiness
/// breaks as soon as the socket goes quiet. An idle session sends no pings, so the
/// server expires it after the session timeout; a dead server or a blackholed
/// connection is never noticed (no read timeout); a dial is never given up; after a
/// failed dial, while the session waits to redial, there is no socket to wait on at
/// all, so nothing wakes the loop again; request and close timeouts never fire.
///
/// Dropping the driver drops its socket without closing the session: the server
/// keeps the session, its ephemeral nodes and watches until it expires. Call
/// [`ExternalDriver::close`] and process until `Closed` to end it at once.
///
/// A read-only session looks for a read-write server when the session asks
/// ([`zk_session::Transport::ProbeReadWrite`]) and moves there once one answers. The probe never
/// blocks: it asks the host `isro` over a second non-blocking socket that `process`
/// carries on. That socket is not the one to register; instead, while a probe is under
/// way, [`ExternalDriver::deadline`] is at most 10 ms away, so that the loop calls
/// `process` often enough. A host that has not answered within 1 s counts as not
/// read-write.
#[derive(Debug)]
pub struct ExternalDriver {
    session: Session,
    link: Link,
}

impl ExternalDriver {
    /// A driver for a new session (or one resumed with [`Options::resume`]). Nothing
    /// happens until the first [`ExternalDriver::process`], which dials.
    pub fn new(connect_string: &str, options: Options) -> Result<ExternalDriver> {
        Ok(ExternalDriver {
            session: options.start_session(connect_string, Instant::now())?,
            link: Link::non_blocking(connect_string, options.link_tls()?),
        })
    }

    /// The current socket's fd, if there is a socket.
    pub fn as_raw_fd(&self) -> Option<RawFd> {
        self.link.stream().map(|s| s.as_raw_fd())
    }

    /// The current socket, borrowed: `try_clone_to_owned()` gives an owned duplicate
    /// for loops whose registrations must own their fd. A
    /// duplicate keeps the connection open until it is dropped too, so drop it as soon
    /// as [`ExternalDriver::socket_id`] changes.
    pub fn as_fd(&self) -> Option<BorrowedFd<'_>> {
        self.link.stream().map(|s| s.as_fd())
    }

    /// The id of the session's current connection (connecting or up; `None` between
    /// connections): it changes at every reconnect. One connection may go through
    /// several sockets while it dials a host name with several addresses: to know
    /// when to register a new fd, compare [`ExternalDriver::socket_id`] instead.
    pub fn conn_id(&self) -> Option<ConnId> {
        self.link.conn_id()
    }

    /// The id of the current socket (`None` while there is none): it changes whenever
    /// [`ExternalDriver::as_raw_fd`] is another socket, at a reconnect and when a dial
    /// moves on to a host's next address. Register the new fd when it changes (the old
    /// one is closed, and with it its registration). An fd number alone does not tell:
    /// the new socket may reuse the old one's.
    pub fn socket_id(&self) -> Option<SocketId> {
        self.link.socket_id()
    }

    /// Which readiness of [`ExternalDriver::as_raw_fd`] the driver needs now.
    pub fn interest(&self) -> Interest {
        let (readable, writable) = self.link.readiness(&self.session);
        Interest { readable, writable }
    }

    /// When to call [`ExternalDriver::process`] even if the socket stays quiet.
    /// `None` only once the session is over (`Closed`, `Expired` or `AuthFailed`,
    /// see [`SessionState::is_terminal`]), when there is no socket either: a loop
    /// that waits on after that waits for ever, so end it on `is_terminal`, not on
    /// `Closed` alone.
    pub fn deadline(&self) -> Option<Instant> {
        self.link.deadline(&self.session)
    }

    /// Does everything there is to do at `now` (one turn of the session's run loop):
    /// completes a connect, reads until the socket would block, carries on a
    /// read-write probe, runs due timers, carries out the session's transport actions
    /// and writes until the socket would block. `readable` / `writable` say what the
    /// loop saw; spurious calls are harmless. When a deadline is due at `now`, the
    /// socket is read (and a connect checked) whatever the flags say, before the
    /// timers run.
    pub fn process(&mut self, readable: bool, writable: bool, now: Instant) {
        self.process_handing_out(readable, writable, now, |_, _| {});
    }

    /// [`ExternalDriver::process`], calling `hand_out` with the session (and the
    /// problems seen connecting, for the errors of replies) after each
    /// step that may have queued events: after each read (one read may bring many
    /// notifications), and after the timers and each transport action (a state change
    /// or two each). A driver that takes the session's events there, into queues of
    /// its own, keeps at most one read's worth in the session's queue.
    pub(crate) fn process_handing_out(
        &mut self,
        readable: bool,
        writable: bool,
        now: Instant,
        mut hand_out: impl FnMut(&mut Session, &ConnectProblems),
    ) {
        // A call with a deadline due looks at the socket first, whatever the loop saw:
        // a loop that calls in late (busy elsewhere past the deadline) must not have
        // its connection timed out, or its connect given up, with the server's answer
        // unread. A read that finds nothing costs one would-block.
        let due = self.session.poll_timeout().is_some_and(|d| d <= now);
        if readable || writable || due {
            self.link.finish_connect(&mut self.session, now);
        }
        if readable || due {
            self.link
                .read_available(&mut self.session, now, &mut hand_out);
        }
        self.link.advance_probe(&mut self.session, now);
        self.session.handle_timeout(now);
        hand_out(&mut self.session, self.link.problems());
        while self.link.act(&mut self.session, now) {
            hand_out(&mut self.session, self.link.problems());
        }
        if self.link.settle_low_water(&mut self.session, now) {
            while self.link.act(&mut self.session, now) {
                hand_out(&mut self.session, self.link.problems());
            }
        }
        hand_out(&mut self.session, self.link.problems());
    }

    /// Queues a request and writes it if the socket can take it. Replies come from
    /// [`ExternalDriver::poll_event`] as [`ExternalEvent::Reply`] with the returned id.
    pub fn submit(&mut self, request: Request) -> Result<RequestId> {
        let now = Instant::now();
        let id = self.session.submit(request, now)?;
        self.link.write(&mut self.session, now);
        Ok(id)
    }

    /// Adds credentials (sent now if connected, and after every reconnect). Fails when
    /// the session is closing or over, or the auth packet exceeds `max_frame_size`.
    pub fn add_auth(&mut self, scheme: &str, auth: impl IntoData) -> Result<()> {
        let now = Instant::now();
        self.session.add_auth(scheme, auth.into_data(), now)?;
        self.link.write(&mut self.session, now);
        Ok(())
    }

    /// Replaces the session's host list with the hosts of `hosts`
    /// (`host:port,host:port`; a chroot may be left out, or must be the session's),
    /// keeping the session: Java's `updateServerList`, for an ensemble that grew or
    /// shrank or was reconfigured. The session moves to another server when the new
    /// list asks for it: always when its server left the list, and when the list grew
    /// with the probability that spreads clients evenly over it (the rule is
    /// [`Session::update_hosts`]'s). A move keeps the session id, its ephemeral nodes
    /// and its watches: calls in flight get their replies from the server being left
    /// (for at most 2/3 of the session timeout; any still unanswered then fail with
    /// [`Error::ConnectionLoss`](crate::Error::ConnectionLoss)); calls made meanwhile
    /// wait and go to the new server; watches are set again there, as on any
    /// reconnect. [`ExternalDriver::poll_event`] gives `Disconnected` then
    /// `SyncConnected`. The socket changes with the move: read
    /// [`ExternalDriver::socket_id`] afresh, as after every call.
    ///
    /// Fails, changing nothing, with [`Error::Config`](crate::Error::Config) for a
    /// list that does not parse, [`Error::InvalidArgument`](crate::Error::InvalidArgument)
    /// for another chroot, and the session's error once it is closing or over.
    pub fn update_server_list(&mut self, hosts: &str) -> Result<()> {
        let now = Instant::now();
        crate::for_drivers::update_hosts(&mut self.session, self.link.problems_mut(), hosts, now)?;
        self.process(false, false, now);
        Ok(())
    }

    /// Starts closing the session; keep processing until [`ExternalDriver::state`] is
    /// `Closed` (bounded by `close_timeout`).
    pub fn close(&mut self) {
        let now = Instant::now();
        self.session.close(now);
        self.process(false, false, now);
    }

    /// Starts closing a session whose connect gave up, without waiting for the answer
    /// to a handshake under way (see [`Session::close_after_failed_connect`]).
    pub(crate) fn close_after_failed_connect(&mut self) {
        let now = Instant::now();
        self.session.close_after_failed_connect(now);
        self.process(false, false, now);
    }

    /// Gives up on the request `id`: no reply will come for it and it leaves no watch
    /// (see [`Session::abandon`]). Returns whether it was outstanding.
    pub fn abandon(&mut self, id: RequestId) -> bool {
        self.session.abandon(id)
    }

    /// Gives up on request `id` as [`ExternalDriver::abandon`] does and, when it is a
    /// create, has the session delete the node it made (see
    /// [`Client::abandon_and_delete`](crate::Client::abandon_and_delete)). Returns
    /// whether `id` was outstanding, or was an ephemeral sequential create whose lost
    /// answer (ConnectionLoss, RequestTimeout) was already polled and whose node the
    /// session now looks for (see [`Session::abandon_and_delete`]). Call it too for
    /// such a reply held for a caller that then gave the create up (as
    /// [`ExternalDriver::delete_created`] for a create's `Ok` reply).
    pub fn abandon_and_delete(&mut self, id: RequestId) -> bool {
        let now = Instant::now();
        let outstanding = self.session.abandon_and_delete(id, now);
        self.link.write(&mut self.session, now);
        outstanding
    }

    /// Has the session delete the node a sequential create's reply names (taken from
    /// [`ExternalDriver::poll_event`] already), for a caller that then gave that
    /// create up (see [`Session::delete_created`]). Returns whether it does.
    pub fn delete_created(&mut self, created: &Response) -> bool {
        let now = Instant::now();
        let deleting = self.session.delete_created(created, now);
        if deleting {
            self.link.write(&mut self.session, now);
        }
        deleting
    }

    /// Queues a request without writing it: the next [`ExternalDriver::process`]
    /// writes it (for drivers that batch writes while replies are on their way).
    pub(crate) fn submit_unwritten(&mut self, request: Request) -> Result<RequestId> {
        Ok(self.session.submit(request, Instant::now())?)
    }

    /// Writes what is queued (see [`ExternalDriver::submit_unwritten`]) until the
    /// socket would block; false, reading no clock, when nothing was queued.
    pub(crate) fn write_queued(&mut self) -> bool {
        if self.session.send_buf().is_empty() {
            return false;
        }
        self.link.write(&mut self.session, Instant::now());
        true
    }

    /// The session, to take its events as it gives them, with the problems seen
    /// connecting, for the errors of its replies (for drivers built on this one).
    pub(crate) fn session_and_problems(&mut self) -> (&mut Session, &ConnectProblems) {
        (&mut self.session, self.link.problems())
    }

    /// The problems seen while connecting, for the errors that say why no server
    /// answered.
    pub(crate) fn problems(&self) -> &ConnectProblems {
        self.link.problems()
    }

    /// The next reply, watch event or state change, in wire order.
    pub fn poll_event(&mut self) -> Option<ExternalEvent> {
        self.session.poll_event().map(ExternalEvent::from_session)
    }

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.session.state()
    }

    /// The session id and password, to resume it elsewhere.
    pub fn credentials(&self) -> Option<SessionCredentials> {
        self.session.credentials()
    }

    /// Why the session last became `Disconnected`, `Expired`, `AuthFailed` or
    /// `Closed` ("server 127.0.0.1:2181 closed the connection", "no reply from ...
    /// within the read timeout (ping)"...): the reason behind the latest such
    /// [`crate::Event::Session`] the session went through. Each event carries the
    /// reason of its own change; this one is the latest, which may belong to an event
    /// not yet taken with [`ExternalDriver::poll_event`]: ask here when a reply failed
    /// with `ConnectionLoss` before its event was read. `None` before any.
    pub fn state_reason(&self) -> Option<StateReason> {
        self.session.state_reason().cloned()
    }

    /// The session machine, read-only.
    pub fn session(&self) -> &Session {
        &self.session
    }
}
