//! Where the driver task leaves events for the watch futures and streams and the
//! state streams: one bounded queue per watch someone holds, one per state listener.

use std::collections::{HashMap, VecDeque};
use std::task::{Context, Poll, Waker};

use zk_blocking::{Event, KeeperState, WatchHandle, WatchedEvent};
use zk_proto::EventType;
use zk_session::{RequestId, RequestIdMap, RequestIdSet, SessionState, StateReason};

use crate::core::Wakeups;

/// The queues of the watches handed out, by the request that set them.
#[derive(Debug)]
pub(crate) struct WatchQueues {
    queues: RequestIdMap<WatchQueue>,
    /// The watches of `queues` no watch future or stream holds yet (set by raw
    /// requests, waiting for `Client::watch_stream`): few, so kept apart.
    unheld: RequestIdSet,
    /// Most events kept unread per watch.
    max_queued: usize,
}

/// Three words: a program may hold very many watches, and most wait without an event.
#[derive(Debug, Default)]
struct WatchQueue {
    waker: Option<Waker>,
    /// Boxed, and only once there is something to tell.
    backlog: Option<Box<Backlog>>,
}

/// What a watch has to tell its holder.
#[derive(Debug, Default)]
struct Backlog {
    events: VecDeque<Event>,
    /// Events dropped since the queue was full, told as one `Overflow` after it.
    dropped: u64,
    /// The watch, for that `Overflow` (known once one is dropped).
    overflowed: Option<WatchHandle>,
    /// Its last event is in: it fired (one-shot) or was removed.
    finished: bool,
    /// The session ended while the watch was live: how, and why.
    ended: Option<(SessionState, Option<StateReason>)>,
}

impl WatchQueue {
    fn backlog(&mut self) -> &mut Backlog {
        self.backlog.get_or_insert_default()
    }
}

impl WatchQueues {
    pub(crate) fn new(max_queued: usize) -> WatchQueues {
        WatchQueues {
            queues: RequestIdMap::default(),
            unheld: RequestIdSet::default(),
            max_queued: max_queued.max(1),
        }
    }

    /// Starts keeping the events of `handle` (its request's reply just came); `held`:
    /// a watch future or stream takes them (else one may adopt it later).
    pub(crate) fn open(&mut self, handle: WatchHandle, held: bool) {
        self.queues.insert(handle.id(), WatchQueue::default());
        if !held {
            self.unheld.insert(handle.id());
        }
    }

    /// Hands the events of watch `id`, set by a raw request, to a new holder; false
    /// if there is no such watch or it already has one.
    pub(crate) fn adopt(&mut self, id: RequestId) -> bool {
        self.queues.contains_key(&id) && self.unheld.remove(&id)
    }

    /// Stops keeping the events of watch `id` (its holder is gone).
    pub(crate) fn close(&mut self, id: RequestId) {
        self.queues.remove(&id);
        self.unheld.remove(&id);
    }

    /// Queues a notification (or removal) for each watch it fired.
    pub(crate) fn deliver(&mut self, event: &WatchedEvent, wakeups: &mut Wakeups) {
        let removed = matches!(
            event.event_type,
            EventType::DataWatchRemoved
                | EventType::ChildWatchRemoved
                | EventType::PersistentWatchRemoved
        );
        for handle in &event.watches {
            if let Some(queue) = self.queues.get_mut(&handle.id()) {
                let backlog = queue.backlog();
                if backlog.events.len() < self.max_queued {
                    backlog.events.push_back(Event::Watch(event.clone()));
                } else {
                    backlog.dropped += 1;
                    backlog.overflowed = Some(*handle);
                }
                backlog.finished |= removed || handle.kind().is_one_shot();
                let finished = backlog.finished;
                wakeups.push(queue.waker.take());
                // A raw request's watch that ended before anyone took it: nobody will.
                if finished && self.unheld.remove(&handle.id()) {
                    self.queues.remove(&handle.id());
                }
            }
        }
    }

    /// The session dropped events for these watches (its own queue overflowed).
    pub(crate) fn overflowed(
        &mut self,
        dropped: u64,
        watches: &[WatchHandle],
        wakeups: &mut Wakeups,
    ) {
        for handle in watches {
            if let Some(queue) = self.queues.get_mut(&handle.id()) {
                let backlog = queue.backlog();
                backlog.dropped += dropped;
                backlog.overflowed = Some(*handle);
                wakeups.push(queue.waker.take());
            }
        }
    }

    /// The session is over, in `state` for `reason`: every watch ends after what it
    /// has queued.
    pub(crate) fn end(
        &mut self,
        state: SessionState,
        reason: Option<&StateReason>,
        wakeups: &mut Wakeups,
    ) {
        let unheld = std::mem::take(&mut self.unheld);
        self.queues.retain(|id, _| !unheld.contains(id));
        for queue in self.queues.values_mut() {
            let backlog = queue.backlog();
            if backlog.ended.is_none() {
                backlog.ended = Some((state, reason.cloned()));
                wakeups.push(queue.waker.take());
            }
        }
    }

    /// The next event of watch `id`: its notifications in order, an `Overflow` in the
    /// place of those dropped, then `Event::Session` with the final state (and its
    /// reason) if the
    /// session ended before the watch did; `None` once nothing more will come.
    pub(crate) fn poll_next(&mut self, id: RequestId, cx: &Context<'_>) -> Poll<Option<Event>> {
        let Some(queue) = self.queues.get_mut(&id) else {
            return Poll::Ready(None);
        };
        if let Some(backlog) = queue.backlog.as_deref_mut() {
            if let Some(event) = backlog.events.pop_front() {
                return Poll::Ready(Some(event));
            }
            if backlog.dropped > 0 {
                let dropped = std::mem::take(&mut backlog.dropped);
                return Poll::Ready(Some(Event::Overflow {
                    dropped,
                    watches: backlog.overflowed.into_iter().collect(),
                }));
            }
            if backlog.finished {
                self.queues.remove(&id);
                return Poll::Ready(None);
            }
            if let Some((state, reason)) = backlog.ended.take() {
                self.queues.remove(&id);
                return Poll::Ready(Some(Event::Session {
                    state: final_keeper_state(state),
                    reason,
                }));
            }
        }
        if !queue
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            queue.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// The state a watcher hears when the session ends in `state`.
pub(crate) fn final_keeper_state(state: SessionState) -> KeeperState {
    match state {
        SessionState::Expired => KeeperState::Expired,
        SessionState::AuthFailed => KeeperState::AuthFailed,
        _ => KeeperState::Closed,
    }
}

/// The state-change streams, each with its own queue.
#[derive(Debug)]
pub(crate) struct StateListeners {
    listeners: HashMap<u64, Listener>,
    next_id: u64,
    max_queued: usize,
}

#[derive(Debug, Default)]
struct Listener {
    /// Each change with its reason (see [`zk_session::StateReason`]).
    states: VecDeque<(KeeperState, Option<StateReason>)>,
    /// The session ended: the stream ends after what it has queued.
    ended: bool,
    waker: Option<Waker>,
}

impl StateListeners {
    pub(crate) fn new(max_queued: usize) -> StateListeners {
        StateListeners {
            listeners: HashMap::new(),
            next_id: 0,
            max_queued: max_queued.max(1),
        }
    }

    /// A new listener, hearing the changes from now on (`ended`: the session is over).
    pub(crate) fn add(&mut self, ended: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.listeners.insert(
            id,
            Listener {
                ended,
                ..Listener::default()
            },
        );
        id
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.listeners.remove(&id);
    }

    /// Queues a state change for every listener. A listener that left
    /// `max_queued_events` unread loses its oldest: the latest state is what counts.
    pub(crate) fn deliver(
        &mut self,
        state: KeeperState,
        reason: Option<StateReason>,
        wakeups: &mut Wakeups,
    ) {
        for listener in self.listeners.values_mut() {
            if listener.states.len() >= self.max_queued {
                listener.states.pop_front();
            }
            listener.states.push_back((state, reason.clone()));
            wakeups.push(listener.waker.take());
        }
    }

    pub(crate) fn end(&mut self, wakeups: &mut Wakeups) {
        for listener in self.listeners.values_mut() {
            listener.ended = true;
            wakeups.push(listener.waker.take());
        }
    }

    pub(crate) fn poll_next(
        &mut self,
        id: u64,
        cx: &Context<'_>,
    ) -> Poll<Option<(KeeperState, Option<StateReason>)>> {
        let Some(listener) = self.listeners.get_mut(&id) else {
            return Poll::Ready(None);
        };
        if let Some(change) = listener.states.pop_front() {
            return Poll::Ready(Some(change));
        }
        if listener.ended {
            return Poll::Ready(None);
        }
        if !listener
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            listener.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;

    // One per watch held: a program may hold 100,000 (bench: `zkbench` with
    // ZKB_WORKLOADS=memory and ZKB_CLIENT_KIND=tokio).
    #[test]
    fn a_watch_without_events_costs_three_words_here_and_three_in_its_holder() {
        assert_eq!(std::mem::size_of::<WatchQueue>(), 24);
        assert_eq!(std::mem::size_of::<crate::OneShotWatch>(), 24);
        assert_eq!(std::mem::size_of::<crate::WatchStream>(), 24);
    }
}
