//! The blocking client: the caller's thread runs the session.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use zk_proto::{Acl, AddWatchMode, ClientInfo, Stat};
use zk_session::{
    EventQueue, IntoData, Request, RequestId, Response, Session, SessionCredentials, SessionState,
    Version, WatcherType,
};

use crate::create::CreateOptions;
use crate::error::{Error, Result};
use crate::event::{Completion, Event, ExternalEvent};
use crate::link::{Link, earliest};
use crate::multi::{
    OpResult, ReadBatch, ReadResult, Transaction, read_results, transaction_results,
};
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
/// session; a dial inside a call blocks at most the session's connect timeout (session
/// timeout ÷ number of hosts), a write at most until the session's next deadline, and
/// a read-only session's probe for a read-write server (`isro`) at most 1 s.
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
    link: Link,
    replies: VecDeque<Completion>,
    outstanding: HashSet<RequestId>,
    /// Unread watch and state events, as the session gave them; bounded like the
    /// session's own queue, so a program that never reads events stays bounded too.
    events: EventQueue,
    call_timeout: Option<Duration>,
    close_timeout: Duration,
    connect_string: String,
    closed_by_forget: bool,
}

impl Client {
    // ----- life cycle ---------------------------------------------------------------

    /// Connects to `connect_string` (`host:port,host:port[/chroot]`) and returns once
    /// the session is established. Fails with [`Error::NoHosts`] when no server
    /// established a session within `options.connect_timeout`, with
    /// [`Error::SessionExpired`] when resuming a session the server no longer knows,
    /// with [`Error::AuthFailed`] when the server rejects `options.auth`, and with
    /// [`Error::Config`] for unusable options.
    ///
    /// Each host is resolved when it is dialled; each dial is bounded by the session's
    /// connect timeout (session timeout ÷ number of hosts).
    pub fn connect(connect_string: &str, options: Options) -> Result<Client> {
        let mut client = Client::start(connect_string, &options)?;
        client.wait_until_connected(options.connect_deadline())?;
        if !options.auth.is_empty() {
            client.confirm_auth()?;
        }
        Ok(client)
    }

    /// Creates the client without waiting for a server: nothing is dialled until a
    /// call, [`Client::pump`], [`Client::next_event`] or
    /// [`Client::wait_until_connected`] runs the session. Requests submitted meanwhile
    /// are queued and sent once connected. Fails only on unusable options.
    pub fn start(connect_string: &str, options: &Options) -> Result<Client> {
        let now = Instant::now();
        let mut session = Session::new(options.session_config(connect_string), now)?;
        for (scheme, auth) in &options.auth {
            session.add_auth(scheme, auth.clone(), now)?;
        }
        Ok(Client {
            session,
            link: Link::blocking(),
            replies: VecDeque::new(),
            outstanding: HashSet::new(),
            events: EventQueue::new(options.max_queued_events),
            call_timeout: options.call_timeout,
            close_timeout: options.close_timeout,
            connect_string: connect_string.to_string(),
            closed_by_forget: false,
        })
    }

    /// Runs the session until it is connected (read-write or read-only), at most
    /// `timeout`. Events on the way stay queued for [`Client::next_event`]. Fails with
    /// [`Error::NoHosts`] (naming the last problem seen) when time runs out, or with
    /// the session's error when it ended.
    pub fn wait_until_connected(&mut self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        self.pump_until(started.checked_add(timeout), |c| {
            c.session.state() != SessionState::Connecting
        });
        match self.session.state() {
            SessionState::Connected | SessionState::ConnectedReadOnly => Ok(()),
            SessionState::Connecting => Err(Error::NoHosts {
                hosts: self.connect_string.clone(),
                waited: started.elapsed(),
                detail: self.link.last_problem().unwrap_or("no answer").to_string(),
            }),
            state => Err(Error::for_state(state)),
        }
    }

    /// Closes the session: unsent requests fail with [`Error::Closed`], closeSession
    /// is sent, and the call returns when the server confirms or `close_timeout`
    /// passes. The server deletes the session's ephemeral nodes at once. Does nothing
    /// if the session is already over.
    pub fn close(&mut self) {
        if self.session.state().is_terminal() {
            self.link.release();
            return;
        }
        let now = Instant::now();
        self.session.close(now);
        let deadline = now + self.close_timeout + CLOSE_SLACK;
        self.pump_until(Some(deadline), |c| c.session.state().is_terminal());
        self.link.release();
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

    /// The session timeout the server granted.
    pub fn negotiated_timeout(&self) -> Option<Duration> {
        self.session.negotiated_timeout()
    }

    /// The highest zxid seen in a reply.
    pub fn last_zxid(&self) -> i64 {
        self.session.last_zxid()
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
    /// does IO (`wait`, `wait_any`, `next_event`, [`Client::flush`] or any operation).
    /// Validation happens here: an invalid path, an empty ACL or an oversized request
    /// fail at once and nothing is sent.
    pub fn submit(&mut self, request: Request) -> Result<RequestId> {
        let id = self.session.submit(request, Instant::now())?;
        self.outstanding.insert(id);
        Ok(id)
    }

    /// Writes what is queued and processes whatever input is already there, without
    /// waiting for more.
    pub fn flush(&mut self) {
        self.service();
        if self.link.conn_id().is_some() {
            self.link.read_once(&mut self.session, Some(Instant::now()));
            self.service();
        }
    }

    /// Waits for the reply of `id` (up to `Options::call_timeout`, if set), pumping the
    /// session meanwhile.
    pub fn wait(&mut self, id: RequestId) -> Result<Response> {
        let deadline = self
            .call_timeout
            .and_then(|t| Instant::now().checked_add(t));
        self.wait_until(id, deadline).and_then(|c| c.result)
    }

    /// Waits at most `timeout` for the reply of `id`. On [`Error::Timeout`] the request
    /// is still outstanding: wait for it again later. (Operations such as
    /// [`Client::get_data`] give up on their request when `call_timeout` passes.)
    pub fn wait_timeout(&mut self, id: RequestId, timeout: Duration) -> Result<Response> {
        self.wait_until(id, Instant::now().checked_add(timeout))
            .and_then(|c| c.result)
    }

    /// Waits at most `timeout` for the next reply of any outstanding request, in the
    /// order replies arrived. `Ok(None)`: nothing arrived in time, or nothing is
    /// outstanding.
    pub fn wait_any(&mut self, timeout: Duration) -> Result<Option<Completion>> {
        if self.outstanding.is_empty() {
            return Ok(None);
        }
        // A timeout too long for the clock means no deadline.
        let deadline = Instant::now().checked_add(timeout);
        self.pump_until(deadline, |c| !c.replies.is_empty());
        Ok(self.replies.pop_front().inspect(|c| {
            self.outstanding.remove(&c.id);
        }))
    }

    /// Runs the session for `duration` (answering pings, writing what is queued,
    /// reconnecting), keeping every reply and event that arrives for later.
    pub fn pump(&mut self, duration: Duration) {
        let deadline = Instant::now().checked_add(duration);
        self.pump_until(deadline, |_| false);
    }

    // ----- events -------------------------------------------------------------------

    /// Waits at most `timeout` for the next watch event or session state change,
    /// pumping the session meanwhile (so an idle program that loops here keeps its
    /// session alive). Events come in wire order. `Ok(None)`: nothing within
    /// `timeout`. Once the session is over and its last state event was returned,
    /// fails with the session's error ([`Error::Closed`], [`Error::SessionExpired`],
    /// [`Error::AuthFailed`]).
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>> {
        let deadline = Instant::now().checked_add(timeout);
        self.pump_until(deadline, |c| !c.events.is_empty());
        match self.events.pop().map(ExternalEvent::from_session) {
            Some(ExternalEvent::Event(e)) => Ok(Some(e)),
            Some(ExternalEvent::Reply(c)) => {
                unreachable!("replies wait in the client's reply list, not among events: {c:?}")
            }
            None if self.session.state().is_terminal() => {
                Err(Error::for_state(self.session.state()))
            }
            None => Ok(None),
        }
    }

    // ----- operations ---------------------------------------------------------------

    /// Creates `path` with the open ACL; returns the created path (with the sequence
    /// suffix for sequential modes, where `path` may end with `/`).
    pub fn create(
        &mut self,
        path: &str,
        data: impl IntoData,
        mode: zk_proto::CreateMode,
    ) -> Result<String> {
        self.create_with(path, data, &CreateOptions::new(mode))
    }

    /// Creates `path` with the given mode, ACL and TTL; returns the created path.
    pub fn create_with(
        &mut self,
        path: &str,
        data: impl IntoData,
        options: &CreateOptions,
    ) -> Result<String> {
        match self.call(create_request(path, data.into_data(), options, false))? {
            Response::Create { path, .. } => Ok(path),
            other => Err(unexpected(other)),
        }
    }

    /// Creates `path` (create2) and returns the created path and the new node's Stat.
    pub fn create_with_stat(
        &mut self,
        path: &str,
        data: impl IntoData,
        options: &CreateOptions,
    ) -> Result<(String, Stat)> {
        match self.call(create_request(path, data.into_data(), options, true))? {
            Response::Create {
                path,
                stat: Some(stat),
            } => Ok((path, stat)),
            other => Err(unexpected(other)),
        }
    }

    /// Deletes `path` if its version is `version`.
    pub fn delete(&mut self, path: &str, version: Version) -> Result<()> {
        match self.call(Request::delete(path, version))? {
            Response::Delete => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// The Stat of `path`, or `None` if it does not exist.
    pub fn exists(&mut self, path: &str) -> Result<Option<Stat>> {
        match self.call(Request::exists(path, false))? {
            Response::Exists(stat) => Ok(stat),
            other => Err(unexpected(other)),
        }
    }

    /// Like [`Client::exists`], and leaves a watch that fires when the node is
    /// created, deleted or changed.
    pub fn exists_watch(&mut self, path: &str) -> Result<(Option<Stat>, WatchHandle)> {
        match self.call_watch(Request::exists(path, true))? {
            (Response::Exists(stat), Some(w)) => Ok((stat, w)),
            (other, _) => Err(unexpected(other)),
        }
    }

    /// The data and Stat of `path`.
    pub fn get_data(&mut self, path: &str) -> Result<(Bytes, Stat)> {
        match self.call(Request::get_data(path, false))? {
            Response::GetData { data, stat } => Ok((data, stat)),
            other => Err(unexpected(other)),
        }
    }

    /// Like [`Client::get_data`], and leaves a data watch (fires on change or delete).
    pub fn get_data_watch(&mut self, path: &str) -> Result<(Bytes, Stat, WatchHandle)> {
        match self.call_watch(Request::get_data(path, true))? {
            (Response::GetData { data, stat }, Some(w)) => Ok((data, stat, w)),
            (other, _) => Err(unexpected(other)),
        }
    }

    /// Sets `path`'s data if its version is `version`; returns the new Stat.
    pub fn set_data(&mut self, path: &str, data: impl IntoData, version: Version) -> Result<Stat> {
        match self.call(Request::set_data(path, data, version))? {
            Response::SetData(stat) => Ok(stat),
            other => Err(unexpected(other)),
        }
    }

    /// The ACL and Stat of `path`.
    pub fn get_acl(&mut self, path: &str) -> Result<(Vec<Acl>, Stat)> {
        match self.call(Request::GetAcl {
            path: path.to_string(),
        })? {
            Response::GetAcl { acl, stat } => Ok((acl, stat)),
            other => Err(unexpected(other)),
        }
    }

    /// Replaces `path`'s ACL if its ACL version (the Stat's `aversion`) is `version`.
    pub fn set_acl(&mut self, path: &str, acl: Vec<Acl>, version: Version) -> Result<Stat> {
        let request = Request::SetAcl {
            path: path.to_string(),
            acl,
            version,
        };
        match self.call(request)? {
            Response::SetAcl(stat) => Ok(stat),
            other => Err(unexpected(other)),
        }
    }

    /// The names of `path`'s children (unordered).
    pub fn get_children(&mut self, path: &str) -> Result<Vec<String>> {
        match self.call(Request::get_children(path, false))? {
            Response::GetChildren { children, .. } => Ok(children),
            other => Err(unexpected(other)),
        }
    }

    /// `path`'s children and its own Stat (getChildren2).
    pub fn get_children_with_stat(&mut self, path: &str) -> Result<(Vec<String>, Stat)> {
        let request = Request::GetChildren {
            path: path.to_string(),
            watch: false,
            with_stat: true,
        };
        match self.call(request)? {
            Response::GetChildren {
                children,
                stat: Some(stat),
            } => Ok((children, stat)),
            other => Err(unexpected(other)),
        }
    }

    /// Like [`Client::get_children`], and leaves a child watch (fires when a child is
    /// added or removed, or the node is deleted).
    pub fn get_children_watch(&mut self, path: &str) -> Result<(Vec<String>, WatchHandle)> {
        match self.call_watch(Request::get_children(path, true))? {
            (Response::GetChildren { children, .. }, Some(w)) => Ok((children, w)),
            (other, _) => Err(unexpected(other)),
        }
    }

    /// Makes the connected server catch up with the leader for `path`; returns the
    /// path synced (a client path: the chroot stripped).
    pub fn sync(&mut self, path: &str) -> Result<String> {
        match self.call(Request::Sync {
            path: path.to_string(),
        })? {
            Response::Sync { path } => Ok(path),
            other => Err(unexpected(other)),
        }
    }

    /// Runs an atomic transaction; on failure nothing was applied and the error is
    /// [`Error::TransactionFailed`] naming the failing op.
    pub fn multi(&mut self, transaction: Transaction) -> Result<Vec<OpResult>> {
        match self.call(transaction.into_request()?)? {
            Response::Multi(results) => transaction_results(results),
            other => Err(unexpected(other)),
        }
    }

    /// Runs a batch of reads (servers 3.6+); each read has its own result.
    pub fn multi_read(&mut self, batch: ReadBatch) -> Result<Vec<Result<ReadResult>>> {
        match self.call(batch.into_request())? {
            Response::MultiRead(results) => Ok(read_results(results)),
            other => Err(unexpected(other)),
        }
    }

    /// Adds credentials to the session (sent again after every reconnect) and waits
    /// until the server has processed them. A rejection ends the session:
    /// [`Error::AuthFailed`].
    pub fn add_auth(&mut self, scheme: &str, auth: impl Into<Bytes>) -> Result<()> {
        let state = self.session.state();
        if state.is_terminal() || state == SessionState::Closing {
            return Err(Error::for_state(state));
        }
        self.session.add_auth(scheme, auth.into(), Instant::now())?;
        self.confirm_auth()
    }

    /// The ensemble's dynamic configuration (`/zookeeper/config`) and its Stat.
    pub fn get_config(&mut self) -> Result<(Bytes, Stat)> {
        match self.call(Request::GetConfig { watch: false })? {
            Response::GetConfig { data, stat } => Ok((data, stat)),
            other => Err(unexpected(other)),
        }
    }

    /// Like [`Client::get_config`], and leaves a data watch on the config node.
    pub fn get_config_watch(&mut self) -> Result<(Bytes, Stat, WatchHandle)> {
        match self.call_watch(Request::GetConfig { watch: true })? {
            (Response::GetConfig { data, stat }, Some(w)) => Ok((data, stat, w)),
            (other, _) => Err(unexpected(other)),
        }
    }

    /// Changes the ensemble's membership (an admin op; the server must allow it).
    /// `joining` / `leaving` are incremental changes, `new_members` a whole new list;
    /// `config_id` is the expected config version (`None`: skip the check). Returns the new
    /// config and its Stat.
    pub fn reconfig(
        &mut self,
        joining: Option<&str>,
        leaving: Option<&str>,
        new_members: Option<&str>,
        config_id: Option<i64>,
    ) -> Result<(Bytes, Stat)> {
        let request = Request::Reconfig {
            joining: joining.map(str::to_string),
            leaving: leaving.map(str::to_string),
            new_members: new_members.map(str::to_string),
            config_id,
        };
        match self.call(request)? {
            Response::Reconfig { data, stat } => Ok((data, stat)),
            other => Err(unexpected(other)),
        }
    }

    /// The identities the server associates with this connection (servers 3.7+).
    pub fn who_am_i(&mut self) -> Result<Vec<ClientInfo>> {
        match self.call(Request::WhoAmI)? {
            Response::WhoAmI(infos) => Ok(infos),
            other => Err(unexpected(other)),
        }
    }

    /// This session's ephemeral nodes whose server path starts with `prefix` (`/` for
    /// all). Neither the prefix nor the result is chrooted (as in Java).
    pub fn get_ephemerals(&mut self, prefix: &str) -> Result<Vec<String>> {
        match self.call(Request::GetEphemerals {
            prefix: prefix.to_string(),
        })? {
            Response::GetEphemerals(paths) => Ok(paths),
            other => Err(unexpected(other)),
        }
    }

    /// The number of descendants of `path` (servers 3.6+).
    pub fn get_all_children_number(&mut self, path: &str) -> Result<i32> {
        match self.call(Request::GetAllChildrenNumber {
            path: path.to_string(),
        })? {
            Response::GetAllChildrenNumber(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    /// Adds a persistent watch on `path` (servers 3.6+): it stays after firing.
    /// `PersistentRecursive` also covers every descendant.
    pub fn add_watch(&mut self, path: &str, mode: AddWatchMode) -> Result<WatchHandle> {
        let recursive = match mode {
            AddWatchMode::Persistent => false,
            AddWatchMode::PersistentRecursive => true,
            AddWatchMode::Unknown(m) => {
                return Err(Error::InvalidArgument(format!(
                    "unknown add-watch mode {m}"
                )));
            }
        };
        let request = Request::AddWatch {
            path: path.to_string(),
            recursive,
        };
        match self.call_watch(request)? {
            (Response::AddWatch, Some(w)) => Ok(w),
            (other, _) => Err(unexpected(other)),
        }
    }

    /// Removes one watch: the server is asked (checkWatches) whether it holds a watch
    /// of that kind on the path, then the registration is dropped here. A
    /// `*WatchRemoved` event for it follows. Persistent kinds are checked as Any unless
    /// [`Options::persistent_watcher_types`] is set (servers before 3.9).
    pub fn remove_watch(&mut self, handle: WatchHandle) -> Result<()> {
        let path = self.registered_path(handle)?;
        let kind = handle.kind().watcher_type();
        self.remove(path, kind, Some(handle.id()), false)
    }

    /// Removes one watch from this client only, without asking the server (the server
    /// may still send its event, which then fires nothing here and is dropped).
    pub fn remove_watch_locally(&mut self, handle: WatchHandle) -> Result<()> {
        let path = self.registered_path(handle)?;
        let kind = handle.kind().watcher_type();
        self.remove(path, kind, Some(handle.id()), true)
    }

    /// Removes every watch of `watcher_type` on `path`, here and on the server
    /// (removeWatches). Fails with [`Error::NoWatcher`] if this client holds none.
    /// `Persistent` and `PersistentRecursive` go to the server as `Any` unless
    /// [`Options::persistent_watcher_types`] is set, which on servers before 3.9 (the
    /// only form they accept) removes every watch of the session on `path`, here too.
    pub fn remove_watches(&mut self, path: &str, watcher_type: WatcherType) -> Result<()> {
        self.remove(path.to_string(), watcher_type, None, false)
    }

    /// Removes every watch of `watcher_type` on `path` from this client only.
    pub fn remove_watches_locally(&mut self, path: &str, watcher_type: WatcherType) -> Result<()> {
        self.remove(path.to_string(), watcher_type, None, true)
    }

    /// The watches this client holds on `path` of the kinds `watcher_type` covers,
    /// oldest first. Answered from the session's registrations, without the server
    /// ([`Client::check_watches_on_server`] asks the server).
    pub fn check_watches(&self, path: &str, watcher_type: WatcherType) -> Vec<WatchHandle> {
        let mut found: Vec<WatchHandle> = self
            .session
            .watches()
            .filter(|r| r.path == path && watcher_type.covers(r.kind))
            .map(WatchHandle::from_registration)
            .collect();
        found.sort_by_key(|h| h.id());
        found
    }

    /// Asks the server (checkWatches) whether it holds a watch of `watcher_type` on
    /// `path` for this session: `Ok(true)` if it does, `Ok(false)` if it answers
    /// NoWatcher. Nothing is removed, here or there. Persistent types are asked as
    /// `Any` unless [`Options::persistent_watcher_types`] is set.
    pub fn check_watches_on_server(
        &mut self,
        path: &str,
        watcher_type: WatcherType,
    ) -> Result<bool> {
        let request = Request::CheckWatches {
            path: path.to_string(),
            watcher_type,
        };
        match self.call(request) {
            Ok(Response::CheckWatches) => Ok(true),
            Ok(other) => Err(unexpected(other)),
            Err(e) if e.code() == Some(zk_proto::ErrorCode::NoWatcher) => Ok(false),
            Err(e) => Err(e),
        }
    }

    // ----- internals: calls ---------------------------------------------------------

    fn call(&mut self, request: Request) -> Result<Response> {
        self.call_watch(request).map(|(r, _)| r)
    }

    fn call_watch(&mut self, request: Request) -> Result<(Response, Option<WatchHandle>)> {
        let id = self.submit(request)?;
        let deadline = self
            .call_timeout
            .and_then(|t| Instant::now().checked_add(t));
        match self.wait_until(id, deadline) {
            Ok(c) => c.result.map(|r| (r, c.watch)),
            Err(e) => {
                if matches!(e, Error::Timeout(_)) {
                    // The caller never gets this reply or its watch handle: the
                    // session must not register a watch nobody can remove.
                    self.outstanding.remove(&id);
                    self.session.abandon(id);
                }
                Err(e)
            }
        }
    }

    fn remove(
        &mut self,
        path: String,
        watcher_type: WatcherType,
        registration: Option<RequestId>,
        local: bool,
    ) -> Result<()> {
        let request = Request::RemoveWatches {
            path: path.clone(),
            watcher_type,
            registration,
            local,
        };
        match self.call(request) {
            Ok(Response::RemoveWatches) => Ok(()),
            Ok(other) => Err(unexpected(other)),
            // The server's answer when the watch fired meanwhile: the same error as
            // the local check gives.
            Err(e) if e.code() == Some(zk_proto::ErrorCode::NoWatcher) => {
                Err(Error::NoWatcher { path })
            }
            Err(e) => Err(e),
        }
    }

    fn registered_path(&self, handle: WatchHandle) -> Result<String> {
        self.session
            .registration(handle.id())
            .filter(|r| r.kind == handle.kind())
            .map(|r| r.path.clone())
            .ok_or_else(|| Error::NoWatcher {
                path: format!("<watch {}>", handle.id()),
            })
    }

    /// A round trip after auth packets: the server answers them before any later
    /// request, so once this returns the credentials were accepted.
    fn confirm_auth(&mut self) -> Result<()> {
        match self.call(Request::exists("/", false)) {
            Ok(_) => Ok(()),
            Err(_) if self.session.state() == SessionState::AuthFailed => Err(Error::AuthFailed),
            Err(e) => Err(e),
        }
    }

    fn wait_until(&mut self, id: RequestId, deadline: Option<Instant>) -> Result<Completion> {
        if !self.outstanding.contains(&id) {
            return Err(Error::UnknownRequest(id));
        }
        let started = Instant::now();
        self.pump_until(deadline, |c| c.replies.iter().any(|r| r.id == id));
        match self.replies.iter().position(|r| r.id == id) {
            Some(i) => {
                self.outstanding.remove(&id);
                Ok(self.replies.remove(i).expect("position is in range"))
            }
            None => Err(Error::Timeout(started.elapsed())),
        }
    }

    // ----- internals: the run loop --------------------------------------------------

    /// Runs the session until `done` holds or `deadline` passes; returns whether `done`
    /// held. Also returns (false) when nothing can happen any more (the session is
    /// over and its connection closed).
    fn pump_until(&mut self, deadline: Option<Instant>, done: impl Fn(&Client) -> bool) -> bool {
        loop {
            self.service();
            if done(self) {
                return true;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| d <= now) {
                return false;
            }
            let wake = earliest(self.link.deadline(&self.session), deadline);
            if self.link.conn_id().is_some() {
                self.link.read_once(&mut self.session, wake);
            } else if let Some(wake) = wake {
                std::thread::sleep(wake.saturating_duration_since(now));
            } else {
                return false;
            }
        }
    }

    /// Runs due timers, carries out connection actions, writes what is queued and
    /// drains the session's events, until the session has nothing more to do now.
    fn service(&mut self) {
        loop {
            let now = Instant::now();
            self.session.handle_timeout(now);
            let acted = self.link.act(&mut self.session, now);
            self.drain_events();
            if !acted {
                return;
            }
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match event {
                zk_session::Event::Reply {
                    id,
                    result,
                    registration,
                } => {
                    let reply = Completion::new(id, result, registration.as_ref());
                    self.replies.push_back(reply);
                }
                // Kept as the session gave them, so the queue's bound and overflow
                // marker work as the session's own do.
                event => self.events.push(event),
            }
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

fn create_request(path: &str, data: Bytes, options: &CreateOptions, with_stat: bool) -> Request {
    Request::Create {
        path: path.to_string(),
        data,
        acl: options.acl.clone(),
        mode: options.mode,
        ttl: options.ttl,
        with_stat,
    }
}

/// A reply of the wrong shape: only a broken server (or session) produces one.
fn unexpected(response: Response) -> Error {
    Error::InvalidArgument(format!(
        "the reply does not match the request: {response:?}"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_can_move_to_another_thread() {
        fn is_send<T: Send>() {}
        is_send::<super::Client>();
    }
}
