//! Where the IO thread leaves watch and session events for the application: the
//! client's one event channel, and a mailbox per watch for `wait_watch`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use zk_session::{EventQueue, RequestId, RequestIdMap};

use super::sync::lock;
use crate::error::{Error, Result};
use crate::event::{Event, ExternalEvent};
use crate::watch::{WatchHandle, WatchedEvent};

/// Mailboxes of ended watches still holding events nobody took; beyond this many the
/// oldest are dropped (a program that never calls `wait_watch` stays bounded).
const ENDED_MAILBOXES_KEPT: usize = 4096;

/// The event channel: watch notifications and state changes in wire order, bounded
/// like the blocking client's queue (one `Overflow` in place of what did not fit).
#[derive(Debug)]
pub(super) struct EventChannel {
    state: Mutex<ChannelState>,
    ready: Condvar,
}

#[derive(Debug)]
struct ChannelState {
    queue: EventQueue,
    /// The terminal state, once the session is over.
    ended: Option<Error>,
    /// Receivers waiting on the condvar.
    sleepers: usize,
}

/// State behind a mutex whose condvar is notified only while someone waits on it: a
/// notification is a system call even when nobody waits, and a watch storm would
/// pay two per event.
pub(super) trait Sleepers {
    /// How many threads wait on the condvar (counted by [`wait`]).
    fn sleepers(&mut self) -> &mut usize;
}

impl Sleepers for ChannelState {
    fn sleepers(&mut self) -> &mut usize {
        &mut self.sleepers
    }
}

impl EventChannel {
    pub(super) fn new(max_queued_events: usize) -> EventChannel {
        EventChannel {
            state: Mutex::new(ChannelState {
                queue: EventQueue::new(max_queued_events),
                ended: None,
                sleepers: 0,
            }),
            ready: Condvar::new(),
        }
    }

    /// Queues `events` (in order) under one lock, and wakes as many waiting
    /// receivers as there are events, at most.
    pub(super) fn push_all(&self, events: Vec<zk_session::Event>) {
        if events.is_empty() {
            return;
        }
        let count = events.len();
        let sleepers = {
            let mut state = lock(&self.state);
            for event in events {
                state.queue.push(event);
            }
            state.sleepers
        };
        match sleepers.min(count) {
            0 => {}
            1 => self.ready.notify_one(),
            _ => self.ready.notify_all(),
        }
    }

    /// The session is over: receivers get what is queued, then its `error`.
    pub(super) fn end(&self, error: Error) {
        lock(&self.state).ended = Some(error);
        self.ready.notify_all();
    }

    fn next(state: &mut ChannelState) -> Option<Result<Event>> {
        match state.queue.pop().map(ExternalEvent::from_session) {
            Some(ExternalEvent::Event(e)) => Some(Ok(e)),
            Some(ExternalEvent::Reply(c)) => {
                unreachable!("replies go to their callers, never to the channel: {c:?}")
            }
            None => state.ended.clone().map(Err),
        }
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<Option<Event>> {
        let mut state = lock(&self.state);
        loop {
            if let Some(next) = EventChannel::next(&mut state) {
                return next.map(Some);
            }
            state = match wait(&self.ready, state, deadline) {
                Some(state) => state,
                None => return Ok(None),
            };
        }
    }
}

/// Waits on `cv` until notified or `deadline` (`None`: no deadline); `None` once the
/// deadline has passed.
pub(super) fn wait<'a, T: Sleepers>(
    cv: &Condvar,
    mut guard: MutexGuard<'a, T>,
    deadline: Option<Instant>,
) -> Option<MutexGuard<'a, T>> {
    let left = match deadline {
        None => None,
        Some(at) => {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            Some(left)
        }
    };
    *guard.sleepers() += 1;
    let mut guard = match left {
        None => cv.wait(guard).unwrap_or_else(|e| e.into_inner()),
        Some(left) => {
            cv.wait_timeout(guard, left)
                .unwrap_or_else(|e| e.into_inner())
                .0
        }
    };
    *guard.sleepers() -= 1;
    Some(guard)
}

/// A receiver of a [`crate::SharedClient`]'s events: watch notifications (and removals)
/// and session state changes, in wire order. Every receiver and every clone of the
/// client share one channel; each event is taken by one receiver (components that each
/// need every state change subscribe with [`crate::SharedClient::state_changes`]
/// instead). Unread events are bounded by [`crate::Options::max_queued_events`]: past
/// it, one [`Event::Overflow`] stands for the rest (watch removals and the final state
/// change still queue).
#[derive(Debug, Clone)]
pub struct Events {
    channel: Arc<EventChannel>,
}

impl Events {
    pub(super) fn new(channel: Arc<EventChannel>) -> Events {
        Events { channel }
    }

    /// The next event, waiting as long as it takes. Once the session is over and its
    /// last events were taken (the final `Event::Session` first), fails with the
    /// session's error ([`Error::Closed`], [`Error::SessionExpired`],
    /// [`Error::AuthFailed`]).
    pub fn recv(&self) -> Result<Event> {
        self.channel
            .recv_until(None)
            .map(|e| e.expect("no deadline"))
    }

    /// The next event, waiting at most `timeout`; `Ok(None)` if none came.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Event>> {
        self.channel.recv_until(Instant::now().checked_add(timeout))
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&self) -> Result<Option<Event>> {
        EventChannel::next(&mut lock(&self.channel.state)).transpose()
    }

    /// Events queued and not taken yet.
    pub fn len(&self) -> usize {
        lock(&self.channel.state).queue.len()
    }

    /// Whether no event is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The events of one watch, for [`crate::SharedClient::wait_watch`], in wire order.
/// Events that did not fit are one `Overflow` in their place (consecutive ones merge).
#[derive(Debug)]
struct Mailbox {
    /// Boxed, and only from the first event: most watches wait without one, and a
    /// program may hold very many (8 bytes here instead of a 32-byte empty deque).
    #[allow(clippy::box_collection)]
    events: Option<Box<VecDeque<Event>>>,
    /// Watch events held (overflow markers not counted).
    held: usize,
    /// The registration may still fire.
    live: bool,
}

impl Mailbox {
    fn new() -> Mailbox {
        Mailbox {
            events: None,
            held: 0,
            live: true,
        }
    }

    fn keep(&mut self, event: &Event, handle: WatchHandle, bound: usize) {
        let events = self.events.get_or_insert_default();
        if self.held < bound {
            events.push_back(event.clone());
            self.held += 1;
            return;
        }
        match events.back_mut() {
            Some(Event::Overflow { dropped, .. }) => *dropped += 1,
            _ => events.push_back(Event::Overflow {
                dropped: 1,
                watches: vec![handle],
            }),
        }
    }

    fn take(&mut self) -> Option<Event> {
        let event = self.events.as_mut()?.pop_front()?;
        if matches!(event, Event::Watch(_)) {
            self.held -= 1;
        }
        Some(event)
    }

    fn is_empty(&self) -> bool {
        self.events.as_ref().is_none_or(|events| events.is_empty())
    }
}

/// A mailbox per watch: copies of the events that fired it. A one-shot watch gets its
/// mailbox when it is registered (its one event is never missed); a persistent one
/// from the first `wait_watch` on (its events until then are in the channel only).
#[derive(Debug)]
pub(super) struct Mailboxes {
    state: Mutex<MailboxState>,
    ready: Condvar,
}

#[derive(Debug)]
struct MailboxState {
    boxes: RequestIdMap<Mailbox>,
    /// Ended watches whose mailboxes still hold events, oldest first.
    ended: VecDeque<RequestId>,
    /// Most events one mailbox holds.
    bound: usize,
    session_ended: Option<Error>,
    /// Callers of `wait_watch` waiting on the condvar.
    sleepers: usize,
}

impl Sleepers for MailboxState {
    fn sleepers(&mut self) -> &mut usize {
        &mut self.sleepers
    }
}

impl Mailboxes {
    pub(super) fn new(bound: usize) -> Mailboxes {
        Mailboxes {
            state: Mutex::new(MailboxState {
                boxes: RequestIdMap::default(),
                ended: VecDeque::new(),
                bound,
                session_ended: None,
                sleepers: 0,
            }),
            ready: Condvar::new(),
        }
    }

    /// A watch was registered: a one-shot one's events are kept from now on.
    pub(super) fn registered(&self, handle: WatchHandle) {
        if handle.kind().is_one_shot() {
            lock(&self.state).boxes.insert(handle.id(), Mailbox::new());
        }
    }

    /// Keeps a copy of each watch event among `events` for every watch it fired that
    /// has a mailbox, under one lock (a copy is made only for a watch with a mailbox);
    /// waiting callers are woken once, if any copy was kept.
    pub(super) fn deliver_all(&self, events: &[zk_session::Event]) {
        let mut watch_events = events
            .iter()
            .filter_map(|event| match event {
                zk_session::Event::Watch(watched) => Some(watched),
                _ => None,
            })
            .peekable();
        if watch_events.peek().is_none() {
            return;
        }
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let mut kept = false;
        for watched in watch_events {
            let removal = watched.is_removal();
            let mut copy = None;
            for registration in &watched.registrations {
                let handle = WatchHandle::from_registration(registration);
                let Some(mailbox) = state.boxes.get_mut(&handle.id()) else {
                    continue;
                };
                let event = copy.get_or_insert_with(|| {
                    Event::Watch(WatchedEvent::from_session(watched.clone()))
                });
                mailbox.keep(event, handle, state.bound);
                kept = true;
                if removal || handle.kind().is_one_shot() {
                    mailbox.live = false;
                    state.ended.push_back(handle.id());
                }
            }
        }
        while state.ended.len() > ENDED_MAILBOXES_KEPT {
            if let Some(id) = state.ended.pop_front() {
                if state.boxes.get(&id).is_some_and(|b| !b.live) {
                    state.boxes.remove(&id);
                }
            }
        }
        let wake = kept && state.sleepers > 0;
        drop(guard);
        if wake {
            self.ready.notify_all();
        }
    }

    /// The session is over: every watch ended.
    pub(super) fn end(&self, error: Error) {
        let mut state = lock(&self.state);
        state.session_ended = Some(error);
        state.boxes.retain(|_, b| !b.is_empty());
        for mailbox in state.boxes.values_mut() {
            mailbox.live = false;
        }
        self.ready.notify_all();
    }

    /// The next event of `handle`'s watch, waiting until `deadline`. `live`: whether
    /// the session still holds the registration (a persistent watch gets its mailbox
    /// now if it has none).
    pub(super) fn wait(
        &self,
        handle: WatchHandle,
        live: bool,
        deadline: Option<Instant>,
    ) -> Result<Option<Event>> {
        let mut state = lock(&self.state);
        if live && state.session_ended.is_none() {
            state.boxes.entry(handle.id()).or_insert_with(Mailbox::new);
        }
        loop {
            let s = &mut *state;
            let Some(mailbox) = s.boxes.get_mut(&handle.id()) else {
                return Err(s.session_ended.clone().unwrap_or_else(Error::no_watcher));
            };
            let next = mailbox.take();
            let finished = !mailbox.live && mailbox.is_empty();
            if finished {
                s.boxes.remove(&handle.id());
            }
            if let Some(event) = next {
                return Ok(Some(event));
            }
            if finished {
                continue;
            }
            state = match wait(&self.ready, state, deadline) {
                Some(state) => state,
                None => return Ok(None),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use zk_proto::KeeperState;
    use zk_session::{Registration, WatchEvent, WatchKind};

    use super::*;
    use zk_proto::EventType;

    const PATIENCE: Duration = Duration::from_secs(10);

    fn state_event(state: KeeperState) -> zk_session::Event {
        zk_session::Event::State {
            state,
            registrations: Vec::new(),
            reason: None,
        }
    }

    fn watch_event(path: &str, fired: &[Registration]) -> zk_session::Event {
        zk_session::Event::Watch(WatchEvent {
            event_type: EventType::NodeDataChanged,
            path: path.to_string(),
            zxid: 7,
            registrations: fired.to_vec(),
        })
    }

    fn registration(id: u64, path: &str) -> Registration {
        Registration {
            id: RequestId::from_u64(id),
            kind: WatchKind::Data,
            path: path.into(),
        }
    }

    /// Waits until `count` threads sleep on the state behind `state`.
    fn until_asleep<T: Sleepers>(state: &Mutex<T>, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        while *lock(state).sleepers() < count {
            assert!(Instant::now() < deadline, "the receivers never waited");
            thread::yield_now();
        }
    }

    #[test]
    fn every_waiting_receiver_gets_an_event_of_one_batch() {
        let channel = Arc::new(EventChannel::new(100));
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let events = Events::new(channel.clone());
                thread::spawn(move || events.recv_timeout(PATIENCE))
            })
            .collect();
        until_asleep(&channel.state, 2);
        channel.push_all(vec![
            state_event(KeeperState::Disconnected),
            state_event(KeeperState::SyncConnected),
        ]);
        for receiver in receivers {
            let event = receiver.join().unwrap().unwrap();
            assert!(matches!(event, Some(Event::Session { .. })), "{event:?}");
        }
    }

    #[test]
    fn a_batch_keeps_wire_order() {
        let channel = Arc::new(EventChannel::new(100));
        channel.push_all(vec![
            state_event(KeeperState::Disconnected),
            state_event(KeeperState::SyncConnected),
        ]);
        let events = Events::new(channel);
        let states: Vec<_> = (0..2)
            .map(|_| match events.try_recv() {
                Ok(Some(Event::Session { state, .. })) => state,
                other => panic!("expected a state change, got {other:?}"),
            })
            .collect();
        assert_eq!(
            states,
            [KeeperState::Disconnected, KeeperState::SyncConnected]
        );
    }

    #[test]
    fn a_watch_waited_on_gets_its_event_and_other_watches_get_no_copy() {
        let mailboxes = Arc::new(Mailboxes::new(16));
        let (waited, other) = (registration(1, "/a"), registration(2, "/b"));
        let handle = WatchHandle::from_registration(&waited);
        mailboxes.registered(handle);
        let waiter = {
            let mailboxes = mailboxes.clone();
            thread::spawn(move || mailboxes.wait(handle, true, Some(Instant::now() + PATIENCE)))
        };
        until_asleep(&mailboxes.state, 1);
        mailboxes.deliver_all(&[
            state_event(KeeperState::SyncConnected),
            watch_event("/b", &[other]),
            watch_event("/a", &[waited]),
        ]);
        match waiter.join().unwrap() {
            Ok(Some(Event::Watch(event))) => {
                assert_eq!(event.path, "/a");
                assert_eq!(event.watches, [handle]);
            }
            other => panic!("expected the watch event of /a, got {other:?}"),
        }
        assert_eq!(
            lock(&mailboxes.state).boxes.len(),
            0,
            "the one-shot watch's mailbox ended with its event taken, and /b had none"
        );
    }
}
