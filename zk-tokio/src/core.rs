//! The state behind the client's lock: the session, the callers waiting for replies,
//! the queues of the watches and state listeners, and the driver task's waker. Every
//! clone and the driver task lock it for short, non-blocking turns; wakers are woken
//! after the lock is let go ([`Wakeups`]).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use zk_blocking::for_drivers::{ConnectProblems, error_for_state, event, watch_handle};
use zk_blocking::{Error, Event, ExternalEvent, Request, Response, Result, WatchHandle};
use zk_session::{
    ConnId, RequestId, RequestIdMap, RequestIdSet, Session, SessionState, WatcherType,
};

use crate::watch::queues::{StateListeners, WatchQueues};

/// A reply as its caller takes it: the result and the watch it set.
pub(crate) type ReplyParts = (Result<Response>, Option<WatchHandle>);

/// What a given-up create's reply already in says (see `Core::give_up_and_delete`).
enum Came {
    /// Its node: deleted.
    Created(Response),
    /// A lost answer: the node is looked for.
    Lost,
    /// Anything else: nothing to undo.
    Other,
}

/// What the clones, their futures and the driver task share.
#[derive(Debug)]
pub(crate) struct Shared {
    core: Mutex<Core>,
    /// The client's call timeout (kept here once, not in every call).
    call_timeout: Option<Duration>,
}

impl Shared {
    pub(crate) fn new(core: Core, call_timeout: Option<Duration>) -> Shared {
        Shared {
            core: Mutex::new(core),
            call_timeout,
        }
    }

    pub(crate) fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }

    /// The core. A panic while it was held (a bug) leaves it usable: every turn leaves
    /// the session consistent.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the core, then wakes whoever it made ready (after the lock is let
    /// go, so that a woken task does not block on it).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Core, &mut Wakeups) -> R) -> R {
        let mut wakeups = Wakeups::default();
        let result = f(&mut self.lock(), &mut wakeups);
        wakeups.wake_all();
        result
    }
}

/// Tasks to wake once the lock is let go. The first is kept inline: most turns wake
/// one task (a call's, or the driver after a submit), and a list for it would be an
/// allocation per call.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakeups {
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.more.push(waker);
        }
    }

    pub(crate) fn wake_all(self) {
        for waker in self.first.into_iter().chain(self.more) {
            waker.wake();
        }
    }
}

#[derive(Debug)]
pub(crate) struct Core {
    /// The session: every protocol decision.
    pub(crate) session: Session,
    /// The dial, close and IO problems, for errors that say why no server answered.
    pub(crate) problems: ConnectProblems,
    /// The callers awaiting a reply, by request, with the task to wake when it comes
    /// (small: a reply that comes moves to `done`, so the many requests in flight do
    /// not each reserve room for one).
    waiting: RequestIdMap<Option<Waker>>,
    /// Those of `waiting` submitted raw ([`crate::Client::submit`]): a watch their
    /// reply sets waits for `Client::watch_stream`, where a typed call's goes to its
    /// watch future or stream. Few programs make many, so the flag is kept apart.
    raw: RequestIdSet,
    /// Replies in and not yet taken by their callers, by request (without the id,
    /// the key: 128 bytes move inline, where a `Completion` is a call to `memcpy`).
    done: RequestIdMap<ReplyParts>,
    /// The events of the watches someone holds.
    pub(crate) watches: WatchQueues,
    /// The state-change streams.
    pub(crate) listeners: StateListeners,
    /// The removals of dropped watches sent to the server and not yet answered (by
    /// the removal's request): the path and the registration each removes.
    removals: RequestIdMap<(String, RequestId)>,
    /// How many of `removals` are under way per path (so that a drop need not scan
    /// them all: dropping many watches at once stays linear).
    removing: HashMap<String, usize>,
    /// Watches dropped while a removal on their path was under way, with their
    /// paths: taken up again when it is answered.
    deferred: Vec<(String, WatchHandle)>,
    /// Tasks waiting for the session's state to change (connect, close), each under
    /// its wait's id, so that a wait given up takes its waker back (a waker keeps its
    /// task's memory alive, and the state may not change for a long time).
    state_waiters: Vec<(u64, Waker)>,
    /// The id of the next wait for a state.
    next_state_wait: u64,
    /// The driver task, while it waits.
    driver: Option<Waker>,
    /// A second handle on the current connection's socket (plain TCP), kept by the
    /// driver task while the socket is up: a request submitted to an idle session is
    /// written with it at once, instead of waking the driver task to write it (a
    /// task switch each way per call; see [`Core::submit`]).
    pub(crate) direct: Option<(ConnId, std::net::TcpStream)>,
    /// The deadline the driver task's timer is armed for, as it left it.
    pub(crate) timer_armed: Option<Instant>,
    /// The runtime the driver task runs on: only a caller inside it writes a request
    /// itself (a call made elsewhere, say after the runtime stopped running, is left
    /// to the driver task, as before: never driven, it was never sent).
    pub(crate) runtime: Option<tokio::runtime::Id>,
}

impl Core {
    /// The core of `session`, dialling the hosts of `connect_string`.
    pub(crate) fn new(session: Session, connect_string: &str, max_queued_events: usize) -> Core {
        Core {
            session,
            problems: ConnectProblems::new(connect_string),
            waiting: RequestIdMap::default(),
            raw: RequestIdSet::default(),
            done: RequestIdMap::default(),
            watches: WatchQueues::new(max_queued_events),
            listeners: StateListeners::new(max_queued_events),
            removals: RequestIdMap::default(),
            removing: HashMap::new(),
            deferred: Vec::new(),
            state_waiters: Vec::new(),
            next_state_wait: 0,
            driver: None,
            direct: None,
            timer_armed: None,
            runtime: None,
        }
    }

    // ----- requests -----------------------------------------------------------------

    /// Queues `request` with a slot for its reply (`typed`: for a typed call); the
    /// driver task writes it.
    pub(crate) fn submit(
        &mut self,
        request: Request,
        typed: bool,
        wakeups: &mut Wakeups,
    ) -> Result<RequestId> {
        let state = self.session.state();
        if state.is_terminal() || state == SessionState::Closing {
            return Err(error_for_state(state, self.session.state_reason()));
        }
        let now = Instant::now();
        let id = self.session.submit(request, now)?;
        self.waiting.insert(id, None);
        if !typed {
            self.raw.insert(id);
        }
        if !self.wrote_alone(now) {
            wakeups.push(self.driver.take());
        }
        Ok(id)
    }

    /// Writes a request just submitted to an idle session straight to the socket;
    /// true if that left the driver task nothing to do before the reply comes: the
    /// request is the only one outstanding and went out whole, the session has no
    /// event to hand out, and its next deadline is the one the driver's timer is
    /// armed for. The receive low-water mark the driver left stays low enough: it
    /// counted the replies owed then, and this adds one. Otherwise (a busy session,
    /// whose requests the driver writes in batches; TLS; a socket that would block;
    /// an error, which the driver meets on its own write) the driver task writes.
    fn wrote_alone(&mut self, now: Instant) -> bool {
        use std::io::Write as _;

        let session = &mut self.session;
        let Some((conn, tcp)) = self.direct.as_ref() else {
            return false;
        };
        if session.current_conn() != Some(*conn)
            || !session.state().is_connected()
            || !session.just_one_outstanding()
            || session.queued_events() != 0
        {
            return false;
        }
        let here = tokio::runtime::Handle::try_current().map(|h| h.id()).ok();
        if here.is_none() || here != self.runtime {
            return false;
        }
        let mut tcp: &std::net::TcpStream = tcp;
        match tcp.write(session.send_buf()) {
            Ok(n) if n > 0 => session.advance_send(*conn, n, now),
            _ => return false,
        }
        session.send_buf().is_empty()
            && session.queued_events() == 0
            && session.poll_timeout() == self.timer_armed
    }

    /// The reply of `id` if it is in (it is then taken), else `cx` is woken when it is.
    #[inline]
    pub(crate) fn poll_reply(&mut self, id: RequestId, cx: &Context<'_>) -> Poll<ReplyParts> {
        if let Some(reply) = self.done.remove(&id) {
            return Poll::Ready(reply);
        }
        match self.waiting.get_mut(&id) {
            Some(waker) => {
                if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            // A caller leaves both maps only with its reply or when it is gone, and
            // never polls after either.
            None => Poll::Ready((Err(Error::Closed), None)),
        }
    }

    /// The caller of `id` is gone: its request still completes in the session, its
    /// reply is dropped, and a watch it set is removed (nobody holds its handle).
    pub(crate) fn forget_reply(&mut self, id: RequestId, wakeups: &mut Wakeups) {
        self.waiting.remove(&id);
        self.raw.remove(&id);
        if let Some((_, Some(handle))) = self.done.remove(&id) {
            self.drop_watch(handle, wakeups);
        }
    }

    /// The caller of `id` stopped waiting (its call timeout passed): the request is
    /// given up, its reply and any watch it would set are discarded.
    pub(crate) fn give_up(&mut self, id: RequestId, wakeups: &mut Wakeups) {
        self.forget_reply(id, wakeups);
        self.session.abandon(id);
    }

    /// The caller of `id` gives it up and the node it creates (see
    /// [`zk_blocking::Client::abandon_and_delete`]): a reply already in that names a
    /// node has the session delete it, one that says the answer was lost
    /// (ConnectionLoss, RequestTimeout) has it look for the node (the session
    /// remembers such creates); otherwise the session does when the reply comes (or
    /// looks for it when the reply is lost).
    pub(crate) fn give_up_and_delete(&mut self, id: RequestId, wakeups: &mut Wakeups) {
        let came = self.done.get(&id).map(|(result, _)| match result {
            Ok(created @ Response::Create { .. }) => Came::Created(created.clone()),
            Err(Error::ConnectionLoss | Error::RequestTimeout) => Came::Lost,
            _ => Came::Other,
        });
        self.forget_reply(id, wakeups);
        let now = Instant::now();
        match came {
            Some(Came::Created(created)) => drop(self.session.delete_created(&created, now)),
            Some(Came::Other) => {}
            // A lost answer in: the session remembers the create and looks for its node.
            Some(Came::Lost) | None => drop(self.session.abandon_and_delete(id, now)),
        }
        wakeups.push(self.driver.take());
    }

    // ----- watches ------------------------------------------------------------------

    /// Nobody holds `handle` any more: its queue goes, and its registration with it.
    /// The server is told (removeWatches, of every type, for this one registration)
    /// when no other watch of this client is left on the path, so its notifications
    /// stop, also those of watches dropped earlier beside this one; otherwise the
    /// registration is dropped here only (asking the server to remove a persistent
    /// watch would, before 3.9, remove the others on the path too) and the server's
    /// notification for it, if one comes, fires nothing.
    ///
    /// One removal at a time per path: a watch dropped while one is under way waits
    /// for its answer. Until then the registration it removes still counts as a
    /// watch on the path, so this one would go here only, and if that removal was
    /// only a check (the session asks checkWatches while a watching request for the
    /// path is unanswered), the server would keep a watch nobody holds.
    ///
    /// Returns whether a removal was queued.
    pub(crate) fn drop_watch(&mut self, handle: WatchHandle, wakeups: &mut Wakeups) -> bool {
        self.watches.close(handle.id());
        let Some(path) = self
            .session
            .registration(handle.id())
            .filter(|r| r.kind == handle.kind())
            .map(|r| r.path.to_string())
        else {
            return false;
        };
        if self.removing.contains_key(&path) {
            self.deferred.push((path, handle));
            return false;
        }
        let alone = self.session.watches_on(&path).all(|r| r.id == handle.id());
        let local = !alone || !self.session.state().is_connected();
        self.remove_watch(path, handle, local, wakeups)
    }

    /// Queues the removal of `handle`'s registration on `path`, here only (`local`)
    /// or on the server too; true if queued (refused only once the session is
    /// closing or over: its watches go with it).
    fn remove_watch(
        &mut self,
        path: String,
        handle: WatchHandle,
        local: bool,
        wakeups: &mut Wakeups,
    ) -> bool {
        // Sent, it is the last watch here on the path: nothing here needs what the
        // server holds there for this session (the session asks checkWatches instead
        // while a watching request for the path is still unanswered).
        let watcher_type = if local {
            handle.kind().watcher_type()
        } else {
            WatcherType::Any
        };
        let request = Request::RemoveWatches {
            path: path.clone(),
            watcher_type,
            registration: Some(handle.id()),
            local,
        };
        let Ok(id) = self.session.submit(request, Instant::now()) else {
            return false;
        };
        if !local {
            *self.removing.entry(path.clone()).or_default() += 1;
            self.removals.insert(id, (path, handle.id()));
        }
        wakeups.push(self.driver.take());
        true
    }

    /// The removal `id` of a dropped watch was answered. A registration it did not
    /// remove (its connection dropped first) goes here only: nobody holds it, and
    /// the session is disconnected now, so the server forgets it with the
    /// connection. The watches dropped meanwhile on the path are taken up again.
    /// Returns whether a removal was queued.
    fn removal_answered(&mut self, id: RequestId, wakeups: &mut Wakeups) -> bool {
        let Some((path, registration)) = self.removals.remove(&id) else {
            return false;
        };
        if let Some(count) = self.removing.get_mut(&path) {
            *count -= 1;
            if *count == 0 {
                self.removing.remove(&path);
            }
        }
        let mut queued = false;
        if let Some(left) = self.session.registration(registration).map(watch_handle) {
            queued |= self.remove_watch(path.clone(), left, true, wakeups);
        }
        if !self.removing.contains_key(&path) {
            let (now, later) = std::mem::take(&mut self.deferred)
                .into_iter()
                .partition(|(p, _)| *p == path);
            self.deferred = later;
            for (_, handle) in now {
                queued |= self.drop_watch(handle, wakeups);
            }
        }
        queued
    }

    // ----- the driver task ------------------------------------------------------------

    /// Hands the session's events to whoever waits for them, in wire order: replies to
    /// their slots (a reply's watch gets its queue before any later event), watch
    /// notifications to their watches' queues, state changes to the listeners.
    ///
    /// Returns whether it queued a request of its own (the removal of a watch set by a
    /// request whose caller is gone): the driver task, which is the one calling, must
    /// write it before it waits, as nobody else wakes it for that.
    pub(crate) fn dispatch(&mut self, wakeups: &mut Wakeups) -> bool {
        let mut queued = false;
        while let Some(next) = self.session.poll_event() {
            // A reply goes straight to its caller's slot (the translation would move
            // it twice more on the busiest path).
            let next = match next {
                zk_session::Event::Reply {
                    id,
                    result,
                    registration,
                } => {
                    let watch = registration.as_ref().map(watch_handle);
                    let result = result.map_err(|e| self.problems.request_error(e));
                    queued |= self.deliver_reply(id, result, watch, wakeups);
                    continue;
                }
                other => event(other),
            };
            match next {
                ExternalEvent::Reply(reply) => {
                    queued |= self.deliver_reply(reply.id, reply.result, reply.watch, wakeups);
                }
                ExternalEvent::Event(Event::Watch(watched)) => {
                    self.watches.deliver(&watched, wakeups);
                }
                ExternalEvent::Event(Event::Session { state, reason }) => {
                    self.listeners.deliver(state, reason, wakeups);
                    self.wake_state_waiters(wakeups);
                }
                ExternalEvent::Event(Event::Overflow { dropped, watches }) => {
                    self.watches.overflowed(dropped, &watches, wakeups);
                }
            }
        }
        let state = self.session.state();
        if state.is_terminal() {
            self.watches
                .end(state, self.session.state_reason(), wakeups);
            self.listeners.end(wakeups);
            self.wake_state_waiters(wakeups);
        }
        queued
    }

    /// Hands the reply of `id` to its caller; returns whether it queued the removal of
    /// the reply's watch because the caller is gone.
    fn deliver_reply(
        &mut self,
        id: RequestId,
        result: Result<Response>,
        watch: Option<WatchHandle>,
        wakeups: &mut Wakeups,
    ) -> bool {
        match self.waiting.remove(&id) {
            Some(waker) => {
                let typed = !self.raw.remove(&id);
                if let Some(handle) = watch {
                    self.watches.open(handle, typed);
                }
                wakeups.push(waker);
                self.done.insert(id, (result, watch));
                false
            }
            None => {
                let dropped = watch.is_some_and(|handle| self.drop_watch(handle, wakeups));
                self.removal_answered(id, wakeups) | dropped
            }
        }
    }

    /// Remembers the driver task's waker while it waits.
    pub(crate) fn park_driver(&mut self, waker: &Waker) {
        if !self.driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            self.driver = Some(waker.clone());
        }
    }

    /// Wakes the driver task (after the lock is let go), to write or to act.
    pub(crate) fn wake_driver(&mut self, wakeups: &mut Wakeups) {
        wakeups.push(self.driver.take());
    }

    /// `Ready` once `reached` holds for the session's state, else `cx` is woken at the
    /// next state change. `wait` is the wait's id while its waker is kept here: the
    /// wait hands it to [`Core::forget_state_wait`] when it is dropped.
    pub(crate) fn poll_state(
        &mut self,
        reached: impl Fn(SessionState) -> bool,
        wait: &mut Option<u64>,
        cx: &Context<'_>,
    ) -> Poll<SessionState> {
        let state = self.session.state();
        if reached(state) || state.is_terminal() {
            if let Some(id) = wait.take() {
                self.forget_state_wait(id);
            }
            return Poll::Ready(state);
        }
        let id = *wait.get_or_insert_with(|| {
            self.next_state_wait += 1;
            self.next_state_wait
        });
        match self.state_waiters.iter_mut().find(|(w, _)| *w == id) {
            Some((_, waker)) if waker.will_wake(cx.waker()) => {}
            Some((_, waker)) => *waker = cx.waker().clone(),
            None => self.state_waiters.push((id, cx.waker().clone())),
        }
        Poll::Pending
    }

    /// The wait `id` for a state is given up: its waker goes.
    pub(crate) fn forget_state_wait(&mut self, id: u64) {
        self.state_waiters.retain(|(w, _)| *w != id);
    }

    fn wake_state_waiters(&mut self, wakeups: &mut Wakeups) {
        for (_, waker) in self.state_waiters.drain(..) {
            wakeups.push(Some(waker));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;

    /// A waker that notes its name in a shared log when woken.
    struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);

    impl Wake for Named {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    #[test]
    fn every_waker_pushed_is_woken_once_in_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wakeups = Wakeups::default();
        for name in ["caller", "driver", "watcher"] {
            wakeups.push(Some(Waker::from(Arc::new(Named(name, log.clone())))));
            wakeups.push(None);
        }
        wakeups.wake_all();
        assert_eq!(*log.lock().unwrap(), ["caller", "driver", "watcher"]);
    }
}
