//! The ZooKeeper session as a pure state machine: bytes and timestamps in; bytes,
//! deadlines, connection actions and events out.
//!
//! No IO, no clock reads, no threads, no sleeping and no unseeded randomness: time is a
//! parameter of every call that needs it, and the host shuffle and backoff jitter come
//! from [`Config::seed`]. A driver (see `zk-blocking`) owns the sockets, DNS and the
//! clock; this crate owns every protocol decision.
//!
//! # The run loop
//!
//! After **every** input (bytes, a connection coming up or going down, a timeout, a
//! submit, a new host list or a close), drain the outputs in this order, then wait: (1) connection
//! actions ([`Session::poll_transport`]), (2) bytes to write
//! ([`Session::send_buf`] / [`Session::advance_send`]), (3) events
//! ([`Session::poll_event`]), (4) wait for the socket or [`Session::poll_timeout`],
//! whichever comes first, and feed what happened back in; then call
//! [`Session::handle_timeout`] (every time round: early calls do nothing). Here it
//! is over a `std` socket that waits in timeouts set from the session's deadlines,
//! one request, start to finish (the drivers in `zk-blocking` and `zk-tokio` are
//! this loop, made non-blocking and complete; `tests/tests/sans_io_std_driver.rs`
//! in the repository runs it over a non-blocking socket against a real server):
//!
//! ```no_run
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::{TcpStream, ToSocketAddrs};
//! use std::time::{Duration, Instant};
//!
//! use zk_session::{Config, ConnId, DisconnectCause, Event, HostAddr, Request, Session, Transport};
//!
//! fn dial(host: &HostAddr, timeout: Duration) -> std::io::Result<TcpStream> {
//!     // Resolve when dialling: the session walks the hosts, DNS may have changed.
//!     let addr = (host.host.as_str(), host.port).to_socket_addrs()?.next();
//!     let addr = addr.ok_or_else(|| std::io::Error::other("no address"))?;
//!     TcpStream::connect_timeout(&addr, timeout)
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let mut session = Session::new(Config::new("127.0.0.1:2181"), Instant::now())?;
//!     let id = session.submit(Request::get_children("/", false), Instant::now())?;
//!     let mut socket: Option<(ConnId, TcpStream)> = None;
//!     loop {
//!         // 1. connection actions
//!         while let Some(action) = session.poll_transport(Instant::now()) {
//!             match action {
//!                 Transport::Connect { conn, host, timeout } => match dial(&host, timeout) {
//!                     Ok(stream) => {
//!                         socket = Some((conn, stream));
//!                         session.handle_connected(conn, Instant::now());
//!                     }
//!                     Err(_) => {
//!                         let failed = DisconnectCause::ConnectFailed;
//!                         session.handle_disconnected(conn, failed, Instant::now());
//!                     }
//!                 },
//!                 // Never reported back: the session already counts it as gone.
//!                 Transport::Close { conn, .. } => {
//!                     if socket.as_ref().is_some_and(|(c, _)| *c == conn) {
//!                         socket = None;
//!                     }
//!                 }
//!                 // Only asked while read-only; a real driver asks `host` "isro".
//!                 Transport::ProbeReadWrite { host } => {
//!                     session.handle_probe_result(&host, false, Instant::now())
//!                 }
//!             }
//!         }
//!         // 2. bytes to write, on the current connection, until the next deadline
//!         if let Some((conn, stream)) = socket.as_mut() {
//!             let conn = *conn;
//!             while !session.send_buf().is_empty() {
//!                 // A write must not outlast the next deadline (a server that stops
//!                 // reading would block it for good): std refuses a zero timeout.
//!                 let left = session.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
//!                 stream.set_write_timeout(left.map(|w| w.max(Duration::from_millis(1))))?;
//!                 match stream.write(session.send_buf()) {
//!                     // Short writes are normal: the rest stays at the front of send_buf.
//!                     Ok(n) => session.advance_send(conn, n, Instant::now()),
//!                     Err(e) if e.kind() == ErrorKind::Interrupted => {}
//!                     // The deadline came first: on to handle_timeout, then write the rest.
//!                     Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
//!                     Err(_) => {
//!                         socket = None;
//!                         session.handle_disconnected(conn, DisconnectCause::Io, Instant::now());
//!                         break;
//!                     }
//!                 }
//!             }
//!         }
//!         // 3. events for the application
//!         while let Some(event) = session.poll_event() {
//!             if let Event::Reply { id: done, result, .. } = event {
//!                 assert_eq!(done, id);
//!                 println!("{result:?}");
//!                 return Ok(());
//!             }
//!         }
//!         // 4. wait for bytes or the next deadline, then feed back what happened
//!         let wait = session
//!             .poll_timeout()
//!             .map(|at| at.saturating_duration_since(Instant::now()));
//!         match socket.as_mut() {
//!             Some((conn, stream)) => {
//!                 let conn = *conn;
//!                 // std refuses a zero timeout (and `None` waits for ever, which only
//!                 // a terminal session asks for): wait 1 ms at least.
//!                 stream.set_read_timeout(wait.map(|w| w.max(Duration::from_millis(1))))?;
//!                 let space = session.recv_buf(conn).expect("the current connection");
//!                 match stream.read(space) {
//!                     Ok(0) => {
//!                         socket = None;
//!                         session.handle_disconnected(conn, DisconnectCause::Eof, Instant::now());
//!                     }
//!                     Ok(n) => session.handle_received(conn, n, Instant::now()),
//!                     Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
//!                     Err(e) if e.kind() == ErrorKind::Interrupted => {}
//!                     Err(_) => {
//!                         socket = None;
//!                         session.handle_disconnected(conn, DisconnectCause::Io, Instant::now());
//!                     }
//!                 }
//!             }
//!             None => std::thread::sleep(wait.unwrap_or(Duration::from_millis(10))),
//!         }
//!         session.handle_timeout(Instant::now());
//!     }
//! }
//! ```
//!
//! Reading with [`Session::recv_buf`] puts the socket's bytes straight into the
//! buffer frames are split from: a reply's payload (`Bytes`) is a slice of the
//! memory the kernel wrote, copied by nobody after that. A driver whose reads fill
//! uninitialised memory (tokio's `read_buf`) uses [`Session::recv_buffer`] and
//! [`Session::handle_appended`] instead, and spares the room its zero-filling.
//!
//! What the transport actions ask of the driver:
//! * `Connect { conn, host, timeout }`: open a socket to `host`, then report
//!   `handle_connected(conn)` or `handle_disconnected(conn, ConnectFailed)`, once.
//!   A non-blocking dial may take its time: the session times the dial and the
//!   handshake itself (`timeout` is that budget) and, when it runs out, sends
//!   `Close` for `conn` from `handle_timeout`; a driver that blocks in the dial
//!   bounds it by `timeout`.
//! * `Close { conn, .. }`: close the socket of `conn` (writing nothing more; the
//!   unwritten rest of its bytes is void) and do not report it. It comes before the
//!   `Connect` of the next connection.
//! * `ProbeReadWrite { host }`: answer with [`Session::handle_probe_result`], some
//!   time; a driver that does not probe answers `false` at once.
//!
//! Order rules:
//! * `poll_transport` before `send_buf`: a `Close` ends the connection whose buffer
//!   you would otherwise write, and a `Connect` starts the one the next bytes belong to.
//!   `send_buf` always belongs to [`Session::current_conn`].
//! * A write may take part of `send_buf`: report the count with `advance_send` and
//!   write the rest (from `send_buf` again: it starts where the socket stopped) when
//!   the socket takes more. A non-blocking driver waits for writability while
//!   `send_buf` is not empty, and for readability always.
//! * Input tagged with a stale [`ConnId`] (one whose `Close` came, or that the driver
//!   reported lost) is ignored, so a late read from a closed socket, or a late
//!   `advance_send`, is harmless (`recv_buf` answers `None` for it). The driver
//!   closes such a socket; it is never used again.
//! * `handle_received` follows the `recv_buf` it reports on, with no other input to
//!   that connection in between.
//! * `handle_timeout` may be called early or repeatedly; it only acts on what is due.
//!   Call it when `poll_timeout` passes even if the socket stayed quiet: it sends the
//!   pings that keep an idle session alive on the server (which expires a session it
//!   has not heard from for `T`) and notices dead connections. A late call acts on
//!   everything due by then (a connection silent for the read timeout is dropped,
//!   and with [`Config::client_side_expiry`] a session unheard for `4/3 T` expires).
//! * Times need not come in order: a `now` earlier than one passed before counts as
//!   that later time.
//! * `poll_timeout` changes after every input; re-read it each time round the loop.
//!   It may come before anything is due (it is not recomputed when a deadline only
//!   moves later, as the read timeout does with every reply); `handle_timeout` at
//!   such a time does nothing but compute the next one.
//! * Events come out in wire order: a watch event before the reply that followed it on
//!   the wire, and every request's reply in submit order. That holds for requests the
//!   session answers itself too (an empty multi/multiRead, a local
//!   [`Request::RemoveWatches`]): each waits for the replies of everything submitted
//!   before it (a local watch removal takes effect at submit; only its reply waits).
//! * `advance_send` names the connection it wrote to; a report for a connection the
//!   session has since closed is ignored.
//!
//! # States
//!
//! ```text
//!                   ┌───────────── connection lost ─────────────┐
//!                   v                                           │
//!   new ──> Connecting ──handshake──> Connected <──rw server── ConnectedReadOnly
//!              │  ^ └──handshake with a read-only server──────────^  │
//!              │  └──────────── connection lost ─────────────────────┘
//!   any live state ──close()──> Closing ──reply or close timeout──> Closed
//!   any live state ──handshake timeOut ≤ 0, or 4/3 T unheard──> Expired
//!   any live state ──auth reply −115──> AuthFailed
//!   any live state ──any reply −124 (the server requires SASL)──> AuthFailed
//!   Connecting ──SASL exchange fails──> AuthFailed
//! ```
//! With [`Config::sasl`] the session stays `Connecting` after the handshake until the
//! SASL exchange succeeds (see "SASL" below).
//! [`SessionState::Expired`], [`SessionState::AuthFailed`] and
//! [`SessionState::Closed`] are terminal and sticky: each comes with one
//! [`Event::State`] (queued before the replies it fails), every outstanding request
//! fails, and `submit` refuses from then on. A `Closing` session that learns from a
//! handshake that the server expired it ends `Expired`.
//! The session never opens a new session by itself after `Expired`.
//!
//! # SASL
//!
//! With [`Config::sasl`] ([`SaslConfig::digest_md5`], or a custom
//! [`SaslMechanismFactory`]) every connection runs a SASL exchange right after the
//! handshake, as Java's `ClientCnxn` does: `sasl` requests (op 102) with ordinary
//! xids, each server token answered by the [`SaslMechanism`], and **nothing else
//! written meanwhile** (no auth replay, SetWatches, queued request or ping). Requests
//! submitted meanwhile simply wait in the queue.
//!
//! Events: Java fires `SyncConnected` at the handshake and `SaslAuthenticated` (6)
//! later; this session reports [`SessionState::Connected`] (one `SyncConnected`
//! event) only once the exchange succeeds, so `Connected` always means "serving
//! requests as the authenticated identity". A connection lost during the exchange
//! reports nothing (it never was `Connected`) and the next host is dialled.
//!
//! Failure is terminal: an error reply (a 3.8 server answers a wrong DIGEST-MD5
//! password with AUTHFAILED −115 and a null token, then closes the connection) or a
//! token the mechanism refuses (malformed, or DIGEST-MD5's `rspauth` not proving that
//! the server knows the password) makes the session `AuthFailed` with
//! [`StateReason::SaslFailed`], which names the mechanism, the server and why.
//! A server with `enforce.auth.enabled` answers the first request (a ping included)
//! of a session that did not authenticate with a scheme of its
//! `enforce.auth.schemes` with SESSIONCLOSEDREQUIRESASLAUTH −124 and closes the
//! connection; every member would, so the session ends `AuthFailed` with
//! [`StateReason::AuthRequired`] (which says to configure SASL) instead of
//! redialling, and its requests fail with that code; later ones are refused with
//! [`SubmitError::NotAccepting`] carrying that reason. The same −124 answering the
//! SASL exchange itself means wrong credentials: [`StateReason::SaslFailed`].
//! Mechanisms get their nonces from the session's seeded generator
//! ([`Config::seed`]); what GSSAPI would take is in [`SaslConfig`]'s docs.
//!
//! # Deadlines (`poll_timeout` is the earliest)
//!
//! With `T` the negotiated timeout (the requested one before the first handshake):
//! * connect: `T ÷ number of hosts` per dial + handshake, then the next host;
//! * read: nothing received for `2/3 T` drops the connection;
//! * drain: a connection left for a new host list ([`Session::update_hosts`]) closes
//!   at most `2/3 T` after the move was decided, drained or not;
//! * ping: the first idle send time at which Java's `ClientCnxn` rule pings, also
//!   with requests outstanding: half the read timeout (`T/3`), less 1 s once idle
//!   over 1 s, and never more than 10 s idle (`MAX_SEND_PING_INTERVAL`). That is
//!   `T/3` for `T ≤ 3 s`, just over 1 s up to `T = 6 s`, then `T/3 − 1 s`, capped
//!   at 10 s; so idle timers of NATs and load balancers tuned to Java are met;
//! * client-side expiry ([`Config::client_side_expiry`]): nothing heard from any server
//!   for `4/3 T` reports `Expired` (not while `Closing`: a close ends `Closed`);
//! * request timeout ([`Config::request_timeout`]), close timeout
//!   ([`Config::close_timeout`]), and the read-write probe while read-only (100 ms
//!   doubling to 60 s);
//! * first session ([`Config::first_session_timeout`]): a request submitted while no
//!   session was ever established (one that cannot expire) waits that long after its
//!   `submit` for one, then fails unwritten; once a session is established no request
//!   has this deadline (a submit then pays nothing for it);
//! * reconnect: the hosts are tried in turn at once; after a full pass without
//!   success the session backs off ([`Config::reconnect_backoff`] doubling to
//!   [`Config::max_reconnect_backoff`], plus up to 100 % jitter). A connection that
//!   completes its handshake but drops within 1 s (a server refusing SetWatches, a
//!   second process resuming the same session, a broken proxy) counts as a failed
//!   attempt, so such flapping backs off too; one that served longer, or that the
//!   session dropped for a request timeout (paced by that timeout), is redialled at
//!   once. Once a session exists, no wait is longer than `T/3` nor past the point
//!   where the server expires the session, so a network that comes back in time
//!   always gets the session back (Java sleeps up to 1 s before every reconnect and
//!   has no such bound; C waits `T/60`).
//!
//! # A new host list
//!
//! [`Session::update_hosts`] replaces the hosts of a live session (Java's
//! `updateServerList`: for a growing or shrinking ensemble, or after a dynamic
//! reconfiguration). The session moves when the new list asks for it, by Java's
//! rebalancing rule (always when its server left the list; with probability
//! `1 − old size ÷ new size` when the list grew), drawing from [`Config::seed`].
//! **Unlike Java**, which closes the connection at once and fails what is in flight
//! with `ConnectionLoss`, a move first drains the connection (nothing more is
//! written but pings; the replies owed arrive, for at most the read timeout), then
//! closes it ([`CloseReason::MovingToNewHost`]) and dials the chosen host with the
//! same session; requests submitted meanwhile go out there, after the auths and the
//! watch re-registration. The events are those of any reconnect: `Disconnected`,
//! then `SyncConnected`.
//!
//! # Errors
//!
//! * [`ConfigError`]: the config cannot be used; the message says what to fix.
//! * [`UpdateHostsError`]: a new host list refused (unparsable, another chroot,
//!   session over); nothing changed.
//! * [`SubmitError`]: returned by `submit` at once (bad path, empty ACL, oversize frame,
//!   mixed multi, no such watch, session not accepting and why); nothing was queued.
//!   Errors about a node name its client path and the chroot, as [`RequestError`]s do.
//! * [`RequestError`] in [`Event::Reply`]: `Server(code)` is the server's answer;
//!   `ConnectionLoss` means the request was written but its connection dropped (it may
//!   have been applied; it is never retried); `RequestTimeout`,
//!   `NoSessionEstablished { waited }` (never written), `SessionExpired`,
//!   `AuthFailed` and `Closing` follow from timers and terminal states.
//!   `ReplyTooLarge { len, max }`: the reply's frame exceeds
//!   [`Config::max_frame_size`]; the request was executed, its answer is lost, the
//!   connection drops (other written requests fail with `ConnectionLoss`) and the
//!   session reconnects.
//! * **Unlike Java**, requests never written when a connection drops (still queued, or
//!   only partly in the send buffer) are not failed with `ConnectionLoss`: they stay
//!   queued and go out on the next connection, after the auths and the watch
//!   re-registration. Java's `ClientCnxn` fails queued and in-flight requests alike.
//!   Without [`Config::request_timeout`] such a request can wait until the session
//!   reconnects or ends (expiry, close). A request whose reply arrived is never sent
//!   again, even if the driver had not yet reported writing it.
//! * [`CloseReason`] in [`Transport::Close`]: why the session dropped a connection
//!   (read timeout, bad frame, xid out of order, an invalid handshake answer such as
//!   session id 0 or a password that is not 16 bytes...). Only the connection ends;
//!   the session reconnects by itself.
//! * A frame longer than [`Config::max_frame_size`] fails a request with
//!   `ReplyTooLarge` only when its xid (read after the length) names that request;
//!   otherwise (a notification, an unknown xid) every written request fails with
//!   `ConnectionLoss`.
//! * [`StateReason`] in [`Event::State`]: why the session became `Disconnected`
//!   (the connection's host, and the [`CloseReason`] or the driver's
//!   [`DisconnectCause`]), `Expired`, `AuthFailed` or `Closed`;
//!   [`Session::state_reason`] keeps the latest.
//! * Entering a terminal state, the [`Event::State`] comes before the replies that
//!   fail because of it (Java's order).
//! * [`Session::abandon`]: a driver whose caller gave up on a request (its own
//!   timeout) abandons it; no reply comes for it and it leaves no watch behind.
//!   [`Session::abandon_and_delete`] also deletes the node a given-up create made
//!   (with requests of the session's own, answered to nobody; a create whose
//!   answer was lost is looked for, and its node deleted if it is an ephemeral node
//!   of this session, even once a driver took that lost answer, for the session's
//!   64 most recent such creates): what a dropped lock contender needs. **Unlike
//!   Java**, whose client leaves such a node until the session ends.
//! * **Unlike Java**, `close()` while disconnected does not end at once: the session
//!   redials, within [`Config::close_timeout`], to deliver closeSession, so the
//!   server drops the session's ephemerals (and the locks they stand for) at once.
//!   If no server answers in time the session is `Closed` anyway and the server
//!   expires it after `T`.
//! * `close()` while the first handshake is under way (its ConnectRequest went out,
//!   no answer yet) waits for the answer, at most the close timeout and the
//!   handshake's connect timeout, and closes the session the server made, which
//!   would otherwise stay there until it expired (a program that gives up on a
//!   connect at once, a future of an async driver dropped). A driver whose connect
//!   ran out of time closes with [`Session::close_after_failed_connect`], which does
//!   not wait: a silent server would add the close timeout to its error.
//!
//! # Watches
//!
//! A request that leaves a watch registers it when its reply succeeds (exists and
//! addWatch also on NoNode, as in Java; servers answer addWatch on a missing node
//! with Ok anyway), under the request's [`RequestId`]; that reply's [`Event::Reply`] carries
//! the [`Registration`] (id, kind, client path), and [`Session::watches`] /
//! [`Session::registration`] list the live ones. [`Request::CheckWatches`] asks the
//! server without removing anything; [`Config::persistent_watcher_types`] says how
//! persistent types go to servers older than 3.9. Each notification becomes one
//! [`Event::Watch`] naming every [`Registration`] it fired. A notification that fires
//! no live registration (a watch removed or abandoned here that the server still
//! held; the second NodeDeleted a 3.8 server sends for a node deleted while the
//! session was disconnected) is dropped, as Java drops it, and counted
//! ([`Session::stray_notifications`]). One-shot registrations fire once; persistent
//! ones stay and are re-registered (with SetWatches/SetWatches2, after the auths) on
//! every reconnect, in batches whose frames each fit [`Config::max_frame_size`] and
//! 128 KiB. A registration whose path is too
//! long for any SetWatches frame under that limit cannot be re-registered: it is
//! dropped at the reconnect with its watch-removed event (zxid −1), as a local removal
//! would. Registrations are keyed by server path, so getConfig's watch on the
//! unchrooted `/zookeeper/config` and a watch on `/zookeeper/config` under the chroot
//! stay apart (both report the client path `/zookeeper/config`).
//! State events name every registration, so each holder hears of disconnects (events
//! may have been missed meanwhile) and of the end of the session.
//!
//! Removing watches ([`Request::RemoveWatches`]): a **local** removal takes effect at
//! submit (the registration fires no more and is not re-registered on a reconnect;
//! only its reply waits for the replies submitted before it), so it works while no
//! server can be reached, and answers Ok whatever the server says. As Java's
//! removal of all watches does, the server is still told while the session is
//! connected (removeWatches), so that it stops notifying (for one registration, when
//! it was the session's only one on the node, where Java only checks), unless that
//! would strip a watch a registration still here needs;
//! while disconnected nothing is kept for later: the reconnect's SetWatches leaves
//! the watch out. Removing one registration by its id targets the server
//! path it is keyed under (getConfig's watch too, whatever the chroot); **unlike
//! Java**, which only checks (checkWatches) and leaves the server notifying, it
//! sends removeWatches when that registration is the only one this session holds on
//! the node, so the server stops sending. A removal whose watch fired meanwhile
//! answers `NoWatcher`, as in Java.
//!
//! # Memory of unread events
//!
//! Replies are bounded by the requests the application submitted, and removal events
//! by the removals it asked for. Watch notifications and state changes are bounded by
//! [`Config::max_queued_events`]: an application that stops draining gets one
//! [`Event::Overflow`] in place of what did not fit, naming every registration that
//! may have missed an event ([`EventQueue`] holds the rule; drivers that keep events
//! for their application use it too).
//!
//! # Logging
//!
//! With the `tracing` feature (off by default) the session emits `tracing` events
//! for its decisions: `info` for dialling a host, an established session (id in hex,
//! negotiated timeout, read-only) and a close; `warn` for a dropped connection with
//! its reason, expiry and an auth failure; `debug` for backoff waits, watch
//! re-registration batches and other details. Payloads and credentials are never
//! logged. Without the feature the log calls compile to nothing.
//!
//! # Features
//!
//! * `tracing` (off by default): the logging above.
//! * `testing` (off by default): the `testing` module, a scripted fake server and a
//!   harness that drives a [`Session`] on a virtual clock, for tests of drivers and of
//!   code above the session that should run faster than real time, and the session's
//!   seeded `SplitMix64`, for tests that draw reproducible choices from a seed.
//!
//! # Inside the session
//!
//! `Session` is the protocol, written top to bottom in one `impl`; what it
//! remembers lives in values it owns, each with private fields and its own tests,
//! and no module imports its parent or closes a circle of imports:
//!
//! * `Connection` (`session/connection.rs`): one transport connection: its stage
//!   (dialling, handshaking, established), the receive buffer frames are split from,
//!   the send buffer and the byte counts that tell which requests reached the server,
//!   and the times its connect, read and ping deadlines run from.
//! * `Requests` (`session/requests.rs`): the queue of requests not yet written, the
//!   in-flight FIFO replies must answer in order, request ids and xids, and the
//!   requests the driver abandoned.
//! * `Undos` (`session/undo.rs`): the steps that delete what given-up creates made
//!   (the create's answer, a listing, a stat, a delete), each decided by the
//!   result of the one before.
//! * `Redial` (`session/redial.rs`): the shuffled host list, the backoff and its
//!   jitter, and which host to dial next and when.
//! * `ReadWriteProbe` (`session/probe.rs`): while read-only, when to ask which host
//!   whether it serves read-write.
//! * `PendingMove` (`session/moving.rs`): a move to another host that a new host
//!   list decided, while the connection it leaves drains, and until when.
//! * `FirstSessionWait` (`session/first_session.rs`): until a session is first
//!   established, the requests waiting for one and when each stops waiting.
//! * `WatchTables` (`watch/table.rs`): the live registrations, keyed by server path,
//!   and the routing of notifications.
//! * [`EventQueue`] (`event_queue.rs`): replies and events for the application, with
//!   the bound on unread notifications.
//! * `SaslExchange` (in `session/mod.rs`): the mechanism of the exchange running on
//!   the current connection; the mechanisms themselves live in `sasl/`
//!   (`digest_md5.rs`, with its token parser in `challenge.rs`).
//! * Pure functions: `set_watches::batches` (re-registration frames),
//!   `rebalance::move_target` (whether and where a new host list moves the session)
//!   and `timing` (read, ping and expiry intervals from the session timeout, derived
//!   once per timeout into a `Timing`).
//!
//! There is no timer table: each owner computes its deadline from its own state, and
//! `handle_timeout` acts on the ones due, so a deadline can never be forgotten or left
//! stale. The session keeps one instant, no later than any of them
//! ([`Session::poll_timeout`]): computed afresh when it passes, brought forward where
//! a deadline is set that may come sooner (a dial, a handshake, a submit with a
//! request timeout or before the first session, a close, a lost connection, a move
//! to another host), and
//! left alone when deadlines only move later (every read and write), so the hot path
//! computes none. Debug builds
//! check on every `poll_timeout` that no deadline comes before it.
//!
//! Every operation is one entry of the table in `request/operations.rs`: the
//! [`Request`] variant, how it is checked and put on the wire, the [`Response`] it
//! becomes, and (for some) its local or NoNode answer. The `operations!` macro turns
//! the table into those types and the functions the session calls.
//!
//! # Example: driving the session from a scripted byte source
//!
//! ```
//! use std::time::Instant;
//! use bytes::{Bytes, BytesMut};
//! use zk_session::zk_proto::{
//!     self, ConnectResponse, ErrorCode, GetDataResponse, ReplyHeader, Stat,
//! };
//! use zk_session::{Config, Event, Request, Response, Session, Transport};
//!
//! // What the "server" will send: the handshake answer, then the reply to xid 1.
//! let mut script = BytesMut::new();
//! zk_proto::encode_frame(
//!     &ConnectResponse {
//!         protocol_version: 0,
//!         timeout: 10_000,
//!         session_id: 0x42,
//!         passwd: Bytes::from_static(&[9; 16]),
//!         read_only: Some(false),
//!     },
//!     &mut script,
//! );
//! let body = zk_proto::WireResponse::GetData(GetDataResponse {
//!     data: Bytes::from_static(b"hello"),
//!     stat: Stat::default(),
//! });
//! let header = ReplyHeader { xid: 1, zxid: 7, err: ErrorCode::Ok };
//! zk_proto::WireResponse::encode_frame(&header, Some(&body), &mut script);
//! let mut incoming = script.freeze();
//!
//! let mut now = Instant::now();
//! let mut session = Session::new(Config::new("127.0.0.1:2181/app"), now).unwrap();
//! let id = session.submit(Request::get_data("/greeting", false), now).unwrap();
//! let mut conn = None;
//! let mut written = Vec::new(); // what a socket would have carried
//! let answer = loop {
//!     while let Some(t) = session.poll_transport(now) {
//!         match t {
//!             // A real driver dials here; the script "connects" at once.
//!             Transport::Connect { conn: c, .. } => {
//!                 conn = Some(c);
//!                 session.handle_connected(c, now);
//!             }
//!             Transport::Close { .. } => conn = None,
//!             Transport::ProbeReadWrite { .. } => {}
//!         }
//!     }
//!     let out = session.send_buf().to_vec();
//!     written.extend_from_slice(&out);
//!     if let Some(c) = conn {
//!         session.advance_send(c, out.len(), now);
//!     }
//!     let mut done = None;
//!     while let Some(event) = session.poll_event() {
//!         if let Event::Reply { id: got, result, .. } = event {
//!             assert_eq!(got, id);
//!             done = Some(result);
//!         }
//!     }
//!     if let Some(result) = done {
//!         break result;
//!     }
//!     if incoming.is_empty() {
//!         // nothing to read: sleep until the deadline
//!         now = session.poll_timeout().expect("a timer is armed");
//!         session.handle_timeout(now);
//!     } else {
//!         // the socket delivers 5 bytes at a time; frames may split anywhere
//!         let chunk = incoming.split_to(incoming.len().min(5));
//!         session.handle_bytes(conn.unwrap(), &chunk, now);
//!     }
//! };
//! assert!(matches!(answer, Ok(Response::GetData { ref data, .. }) if data == "hello"));
//! assert_eq!(session.last_zxid(), 7);
//! assert_eq!(written.len(), 4 + 45 + 4 + 8 + 4 + 13 + 1); // handshake, then getData
//! ```

#![forbid(unsafe_code)]

mod about;
mod chroot;
mod config;
mod connect_string;
mod data;
mod error;
mod event;
mod event_queue;
mod hosts;
mod id;
mod id_hash;
mod log;
mod rebalance;
mod request;
mod rng;
mod rounded;
mod sasl;
mod session;
mod state;
mod state_reason;
#[cfg(feature = "testing")]
pub mod testing;
mod version;
mod watch;
mod xid;

pub use about::About;
pub use chroot::Chroot;
pub use config::{Config, DEFAULT_MAX_FRAME_SIZE, MAX_DURATION, SessionCredentials};
pub use connect_string::{ConnectString, DEFAULT_PORT, HostAddr};
pub use data::IntoData;
pub use error::{
    CloseReason, ConfigError, DisconnectCause, RequestError, SubmitError, UpdateHostsError,
};
pub use event::{Event, Transport, WatchEvent};
pub use event_queue::EventQueue;
pub use id::{ConnId, RequestId};
pub use id_hash::{IdHasher, RequestIdMap, RequestIdSet};
pub use request::{CONFIG_NODE, Request, Response};
pub use rounded::Rounded;
pub use sasl::{
    SASL_RANDOM_LEN, SaslConfig, SaslError, SaslMechanism, SaslMechanismFactory, SaslStep,
};
pub use session::Session;

/// The fewest bytes a reply takes on the wire: its length prefix and reply header.
pub const MIN_REPLY_BYTES: usize = zk_proto::LENGTH_PREFIX_LEN + zk_proto::ReplyHeader::LEN;
pub use state::SessionState;
pub use state_reason::StateReason;
pub use version::Version;
pub use watch::{Registration, WatchKind, WatcherType};
pub use zk_proto;
pub use zk_proto::{
    Acl, ClientInfo, CreateMode, ErrorCode, EventType, Id, KeeperState, MultiOp, MultiResult,
    Perms, Stat,
};

/// The README's examples, compiled (and run, where not `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
