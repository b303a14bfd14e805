//! The session's state changes, a copy for each subscriber ([`StateChanges`]), where
//! the event channel gives each event to one receiver only. The core hands every state
//! event to [`StateListeners`] as it hands events to the channel; with no subscriber
//! that costs one atomic load per batch.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use zk_proto::KeeperState;
use zk_session::StateReason;

use super::events::{Sleepers, wait};
use super::sync::lock;
use crate::error::{Error, Result};

/// One state change and why it happened (`None` for the connected states).
type Change = (KeeperState, Option<StateReason>);

/// The subscribers of a client, each with its own queue of changes.
#[derive(Debug)]
pub(super) struct StateListeners {
    state: Mutex<ListenerState>,
    /// Notified, while someone waits, when a change is queued or the session ends.
    ready: Condvar,
    /// Subscribers registered, read without the lock: a batch of events with no
    /// subscriber to give it to costs this load and nothing else.
    subscribers: AtomicUsize,
}

#[derive(Debug)]
struct ListenerState {
    listeners: HashMap<u64, VecDeque<Change>>,
    next_id: u64,
    /// Most changes one subscriber keeps unread.
    bound: usize,
    /// The session's error, once it is over: each subscriber gets it after its queue.
    ended: Option<Error>,
    /// Subscribers waiting on the condvar.
    sleepers: usize,
}

impl Sleepers for ListenerState {
    fn sleepers(&mut self) -> &mut usize {
        &mut self.sleepers
    }
}

impl StateListeners {
    /// Subscribers keep at most `bound` unread changes each (at least one).
    pub(super) fn new(bound: usize) -> StateListeners {
        StateListeners {
            state: Mutex::new(ListenerState {
                listeners: HashMap::new(),
                next_id: 0,
                bound: bound.max(1),
                ended: None,
                sleepers: 0,
            }),
            ready: Condvar::new(),
            subscribers: AtomicUsize::new(0),
        }
    }

    /// A new subscriber, hearing the changes handed out from now on.
    fn add(&self) -> u64 {
        let mut state = lock(&self.state);
        let id = state.next_id;
        state.next_id += 1;
        state.listeners.insert(id, VecDeque::new());
        self.subscribers
            .store(state.listeners.len(), Ordering::Relaxed);
        id
    }

    /// Forgets a subscriber and what it left unread.
    fn remove(&self, id: u64) {
        let mut state = lock(&self.state);
        state.listeners.remove(&id);
        self.subscribers
            .store(state.listeners.len(), Ordering::Relaxed);
    }

    /// Queues every state change among `events` (in order) for every subscriber, under
    /// one lock; a subscriber that left `bound` unread loses its oldest (the latest
    /// state is what counts, and the session's last one is always kept).
    pub(super) fn deliver_all(&self, events: &[zk_session::Event]) {
        if self.subscribers.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut changes = events
            .iter()
            .filter_map(|event| match event {
                zk_session::Event::State { state, reason, .. } => Some((*state, reason)),
                _ => None,
            })
            .peekable();
        if changes.peek().is_none() {
            return;
        }
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        for (keeper_state, reason) in changes {
            for queue in state.listeners.values_mut() {
                if queue.len() >= state.bound {
                    queue.pop_front();
                }
                queue.push_back((keeper_state, reason.clone()));
            }
        }
        let wake = state.sleepers > 0;
        drop(guard);
        if wake {
            self.ready.notify_all();
        }
    }

    /// The session is over with `error`: each subscriber gets it once its queue is
    /// empty, and so does every later one at once.
    pub(super) fn end(&self, error: Error) {
        let mut state = lock(&self.state);
        if state.ended.is_some() {
            return;
        }
        state.ended = Some(error);
        let wake = state.sleepers > 0;
        drop(state);
        if wake {
            self.ready.notify_all();
        }
    }

    fn next(state: &mut ListenerState, id: u64) -> Option<Result<Change>> {
        let change = state.listeners.get_mut(&id).and_then(VecDeque::pop_front);
        match change {
            Some(change) => Some(Ok(change)),
            None => state.ended.clone().map(Err),
        }
    }

    fn recv_until(&self, id: u64, deadline: Option<Instant>) -> Result<Option<Change>> {
        let mut state = lock(&self.state);
        loop {
            if let Some(next) = StateListeners::next(&mut state, id) {
                return next.map(Some);
            }
            state = match wait(&self.ready, state, deadline) {
                Some(state) => state,
                None => return Ok(None),
            };
        }
    }
}

/// One subscriber of a [`crate::SharedClient`]'s session state changes
/// ([`crate::SharedClient::state_changes`]): Curator's `ConnectionStateListener`, or
/// zk-tokio's `StateChanges`, for threads. It gets every change handed out after it
/// was made, in order: `SyncConnected`, `ConnectedReadOnly`, `Disconnected`, and last
/// `Expired`, `AuthFailed` or `Closed`, each with its [`StateReason`] (why the session
/// left its connection or ended, as in [`crate::Event::Session`]; `None` for the
/// connected states). Every subscriber gets its own copy, so two components that each
/// need every change do not split them, as receivers of
/// [`crate::SharedClient::events`] do; the changes still go to that channel too.
///
/// It does not replay what came before it was made (ask
/// [`crate::SharedClient::state`] for the state now), and carries no watch events.
/// Once the session is over and its last change was taken, every receive fails with
/// the session's error ([`Error::Closed`], [`Error::SessionExpired`],
/// [`Error::AuthFailed`]), at once for a subscriber made after the end. A subscriber
/// that outlives the client gets `Closed` then that error, as dropping the last clone
/// closes the session.
///
/// Memory is bounded: a subscriber keeps at most [`crate::Options::max_queued_events`]
/// changes unread; past that the oldest are dropped, with no marker (the latest state
/// is what counts, and the final one is always kept). Dropping the subscriber
/// unregisters it and drops its queue.
pub struct StateChanges {
    listeners: Arc<StateListeners>,
    id: u64,
}

impl StateChanges {
    pub(super) fn new(listeners: Arc<StateListeners>) -> StateChanges {
        let id = listeners.add();
        StateChanges { listeners, id }
    }

    /// The next state change, waiting as long as it takes. Fails with the session's
    /// error once the session is over and its last change (the final state) was taken.
    pub fn recv(&self) -> Result<(KeeperState, Option<StateReason>)> {
        self.listeners
            .recv_until(self.id, None)
            .map(|change| change.expect("no deadline"))
    }

    /// The next state change, waiting at most `timeout`; `Ok(None)` if none came.
    /// Fails as [`StateChanges::recv`] does.
    pub fn recv_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<(KeeperState, Option<StateReason>)>> {
        self.listeners
            .recv_until(self.id, Instant::now().checked_add(timeout))
    }

    /// The next state change if one is queued, without waiting. Fails as
    /// [`StateChanges::recv`] does.
    pub fn try_recv(&self) -> Result<Option<(KeeperState, Option<StateReason>)>> {
        StateListeners::next(&mut lock(&self.listeners.state), self.id).transpose()
    }

    /// Changes queued for this subscriber and not taken yet.
    pub fn len(&self) -> usize {
        lock(&self.listeners.state)
            .listeners
            .get(&self.id)
            .map_or(0, VecDeque::len)
    }

    /// Whether no change is queued for this subscriber.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `for (state, reason) in zk.state_changes()`: each change as
/// [`StateChanges::recv`] takes it; the iteration ends once the session is over and
/// its last change (the final state) was taken.
impl Iterator for StateChanges {
    type Item = (KeeperState, Option<StateReason>);

    fn next(&mut self) -> Option<Self::Item> {
        self.recv().ok()
    }
}

impl Drop for StateChanges {
    fn drop(&mut self) {
        self.listeners.remove(self.id);
    }
}

impl fmt::Debug for StateChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateChanges").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_event(state: KeeperState) -> zk_session::Event {
        zk_session::Event::State {
            state,
            registrations: Vec::new(),
            reason: None,
        }
    }

    fn registered(listeners: &StateListeners) -> usize {
        lock(&listeners.state).listeners.len()
    }

    #[test]
    fn a_dropped_subscriber_is_forgotten_and_keeps_no_queue() {
        let listeners = Arc::new(StateListeners::new(16));
        let kept = StateChanges::new(listeners.clone());
        let dropped = StateChanges::new(listeners.clone());
        listeners.deliver_all(&[state_event(KeeperState::Disconnected)]);
        drop(dropped);
        assert_eq!(registered(&listeners), 1);
        assert_eq!(listeners.subscribers.load(Ordering::Relaxed), 1);
        listeners.deliver_all(&[state_event(KeeperState::SyncConnected)]);
        assert_eq!(kept.len(), 2, "the one left still gets every change");

        drop(kept);
        assert_eq!(registered(&listeners), 0);
        assert_eq!(listeners.subscribers.load(Ordering::Relaxed), 0);
        listeners.deliver_all(&[state_event(KeeperState::Disconnected)]);
        assert_eq!(registered(&listeners), 0, "nothing is queued for nobody");
    }

    #[test]
    fn iterating_takes_every_change_and_ends_with_the_session() {
        let listeners = Arc::new(StateListeners::new(16));
        let changes = StateChanges::new(listeners.clone());
        listeners.deliver_all(&[
            state_event(KeeperState::Disconnected),
            state_event(KeeperState::SyncConnected),
            state_event(KeeperState::Closed),
        ]);
        listeners.end(Error::Closed);
        let states: Vec<KeeperState> = changes.map(|(state, _)| state).collect();
        assert_eq!(
            states,
            [
                KeeperState::Disconnected,
                KeeperState::SyncConnected,
                KeeperState::Closed
            ]
        );
    }

    #[test]
    fn a_slow_subscriber_keeps_the_latest_changes_within_its_bound() {
        let listeners = Arc::new(StateListeners::new(3));
        let slow = StateChanges::new(listeners.clone());
        for _ in 0..1000 {
            listeners.deliver_all(&[
                state_event(KeeperState::Disconnected),
                state_event(KeeperState::SyncConnected),
            ]);
        }
        listeners.deliver_all(&[state_event(KeeperState::Closed)]);
        listeners.end(Error::Closed);
        assert_eq!(slow.len(), 3);
        let states: Vec<_> = (0..4)
            .map(|_| slow.try_recv().map(|change| change.map(|(state, _)| state)))
            .collect();
        assert_eq!(
            states,
            [
                Ok(Some(KeeperState::Disconnected)),
                Ok(Some(KeeperState::SyncConnected)),
                Ok(Some(KeeperState::Closed)),
                Err(Error::Closed),
            ],
            "the newest three, the final state last, then the session's error"
        );
    }
}
