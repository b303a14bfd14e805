//! The queue of events waiting for the application, with its bound.

use std::collections::{BTreeMap, VecDeque};

use zk_proto::KeeperState;

use crate::error::RequestError;
use crate::event::Event;
use crate::id::RequestId;
use crate::request::Response;
use crate::watch::Registration;

/// Events in wire order, bounded for an application that does not drain them.
///
/// Replies, watch removals and terminal state changes always queue: the first two
/// are bounded by the requests the application made, the last comes once. Watch
/// notifications and other state changes count against `max_notices`; beyond it
/// they are dropped and summed up in one [`Event::Overflow`], queued where the first
/// of them would have been, naming every registration they would have reached. The
/// session queues its events here; drivers that hold events for their application
/// (the blocking client does) can use one too, so the bound holds end to end.
#[derive(Debug)]
pub struct EventQueue {
    events: VecDeque<Event>,
    /// Most notices queued before they overflow.
    max_notices: usize,
    /// Watch, state and overflow events now queued.
    notices: usize,
    /// What the queued [`Event::Overflow`] marker stands for, while one is queued.
    overflow: Option<Dropped>,
}

/// Events dropped since the queued overflow marker was queued.
#[derive(Debug, Default)]
struct Dropped {
    count: u64,
    registrations: BTreeMap<RequestId, Registration>,
}

impl EventQueue {
    /// An empty queue that holds at most `max_notices` notifications and state
    /// changes (at least 1).
    pub fn new(max_notices: usize) -> EventQueue {
        EventQueue {
            events: VecDeque::new(),
            max_notices: max_notices.max(1),
            notices: 0,
            overflow: None,
        }
    }

    /// Queues `event`, or drops it into the overflow (see the type's docs).
    pub fn push(&mut self, event: Event) {
        match event {
            Event::Reply { .. } => self.events.push_back(event),
            Event::Watch(ref w) if w.is_removal() => self.push_notice(event),
            Event::State { state, .. } if is_terminal(state) => self.push_notice(event),
            Event::Watch(w) if self.is_full() => self.drop_events(1, w.registrations),
            Event::State { registrations, .. } if self.is_full() => {
                self.drop_events(1, registrations)
            }
            Event::Overflow {
                dropped,
                registrations,
            } => self.drop_events(dropped, registrations),
            Event::Watch(_) | Event::State { .. } => self.push_notice(event),
        }
    }

    /// Queues a reply (the same as [`EventQueue::push`] of an [`Event::Reply`], built
    /// in place: it is the busiest event, and large).
    pub fn push_reply(
        &mut self,
        id: RequestId,
        result: Result<Response, RequestError>,
        registration: Option<Registration>,
    ) {
        self.events.push_back(Event::Reply {
            id,
            result,
            registration,
        });
    }

    fn push_notice(&mut self, event: Event) {
        self.notices += 1;
        self.events.push_back(event);
    }

    fn is_full(&self) -> bool {
        self.overflow.is_some() || self.notices >= self.max_notices
    }

    fn drop_events(&mut self, count: u64, registrations: Vec<Registration>) {
        let dropped = match &mut self.overflow {
            Some(d) => d,
            None => {
                // The marker takes the place of the first dropped event.
                self.notices += 1;
                self.events.push_back(Event::Overflow {
                    dropped: 0,
                    registrations: Vec::new(),
                });
                self.overflow.insert(Dropped::default())
            }
        };
        dropped.count += count;
        for r in registrations {
            dropped.registrations.insert(r.id, r);
        }
    }

    /// The next event, in order.
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        Some(match event {
            Event::Reply { .. } => event,
            Event::Overflow { .. } => {
                self.notices -= 1;
                let d = self.overflow.take().unwrap_or_default();
                Event::Overflow {
                    dropped: d.count,
                    registrations: d.registrations.into_values().collect(),
                }
            }
            Event::Watch(_) | Event::State { .. } => {
                self.notices -= 1;
                event
            }
        })
    }

    /// Takes back the queued reply of `id`, if any.
    pub fn take_reply(&mut self, id: RequestId) -> Option<Event> {
        let i = self
            .events
            .iter()
            .position(|e| matches!(e, Event::Reply { id: got, .. } if *got == id))?;
        self.events.remove(i)
    }

    /// Removes the registration `id` from the queued events; a watch event left
    /// naming none is dropped (its registration was taken back with its reply).
    pub fn forget_registration(&mut self, id: RequestId) {
        self.events.retain_mut(|e| match e {
            Event::Watch(w) => {
                w.registrations.retain(|r| r.id != id);
                !w.registrations.is_empty()
            }
            _ => true,
        });
        if let Some(d) = &mut self.overflow {
            d.registrations.remove(&id);
        }
        self.notices = self
            .events
            .iter()
            .filter(|e| !matches!(e, Event::Reply { .. }))
            .count();
    }

    /// Whether an event for the registration `id` is queued: a notification or
    /// removal it is among the registrations of, or the overflow marker naming it.
    pub fn has_watch_event(&self, id: RequestId) -> bool {
        self.watch_event_of(id).is_some()
    }

    /// Where the first event for the registration `id` is queued.
    fn watch_event_of(&self, id: RequestId) -> Option<usize> {
        self.events.iter().position(|e| match e {
            Event::Watch(w) => w.registrations.iter().any(|r| r.id == id),
            Event::Overflow { .. } => self
                .overflow
                .as_ref()
                .is_some_and(|d| d.registrations.contains_key(&id)),
            _ => false,
        })
    }

    /// A copy of each queued event for the registration `id` (see
    /// [`EventQueue::has_watch_event`]), naming that registration only; the queue is
    /// left as it is.
    pub fn copies_for(&self, id: RequestId) -> Vec<Event> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Watch(w) => w.only(|r| r.id == id).map(Event::Watch),
                Event::Overflow { .. } => {
                    let dropped = self.overflow.as_ref()?;
                    let registration = dropped.registrations.get(&id)?;
                    Some(Event::Overflow {
                        dropped: dropped.count,
                        registrations: vec![registration.clone()],
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Takes out the first queued event for the registration `id` (see
    /// [`EventQueue::has_watch_event`]), naming that registration only; every other
    /// event stays queued, in order. An event that also fired other registrations
    /// stays queued for them, and the overflow marker stays for the registrations
    /// it still names: `id` is taken out of both, so it gets each event once.
    pub fn take_watch_event(&mut self, id: RequestId) -> Option<Event> {
        let i = self.watch_event_of(id)?;
        match &mut self.events[i] {
            Event::Watch(w) => {
                let event = Event::Watch(w.only(|r| r.id == id)?);
                w.registrations.retain(|r| r.id != id);
                if w.registrations.is_empty() {
                    self.events.remove(i);
                    self.notices -= 1;
                }
                Some(event)
            }
            _ => {
                let dropped = self.overflow.as_mut()?;
                let registration = dropped.registrations.remove(&id)?;
                Some(Event::Overflow {
                    dropped: dropped.count,
                    registrations: vec![registration],
                })
            }
        }
    }

    /// Events queued now.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

fn is_terminal(s: KeeperState) -> bool {
    matches!(
        s,
        KeeperState::Expired | KeeperState::AuthFailed | KeeperState::Closed
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::WatchEvent;
    use crate::watch::WatchKind;
    use zk_proto::EventType;

    fn reg(id: u64) -> Registration {
        Registration {
            id: RequestId(id),
            kind: WatchKind::Persistent,
            path: "/a".into(),
        }
    }

    fn changed(id: u64) -> Event {
        Event::Watch(WatchEvent {
            event_type: EventType::NodeDataChanged,
            path: "/a".into(),
            zxid: 1,
            registrations: vec![reg(id)],
        })
    }

    fn reply(id: u64) -> Event {
        Event::Reply {
            id: RequestId(id),
            result: Err(crate::RequestError::Closing),
            registration: None,
        }
    }

    fn changed_for(ids: &[u64]) -> Event {
        Event::Watch(WatchEvent {
            event_type: EventType::NodeDataChanged,
            path: "/a".into(),
            zxid: 1,
            registrations: ids.iter().map(|&id| reg(id)).collect(),
        })
    }

    fn registrations_of(event: &Event) -> Vec<u64> {
        match event {
            Event::Watch(w) => w.registrations.iter().map(|r| r.id.0).collect(),
            Event::Overflow { registrations, .. } => registrations.iter().map(|r| r.id.0).collect(),
            other => panic!("not a watch event: {other:?}"),
        }
    }

    #[test]
    fn a_watch_takes_its_event_and_the_others_stay_queued_in_order() {
        let mut q = EventQueue::new(10);
        q.push(changed(1));
        q.push(reply(9));
        q.push(changed(2));
        q.push(changed(1));
        assert!(q.has_watch_event(RequestId(2)));
        let taken = q.take_watch_event(RequestId(2)).expect("2's event");
        assert_eq!(registrations_of(&taken), [2]);
        assert!(!q.has_watch_event(RequestId(2)));
        assert!(q.take_watch_event(RequestId(2)).is_none());
        assert_eq!(registrations_of(&q.pop().unwrap()), [1]);
        assert!(matches!(q.pop(), Some(Event::Reply { .. })));
        assert_eq!(registrations_of(&q.pop().unwrap()), [1]);
        assert!(q.pop().is_none());
    }

    #[test]
    fn an_event_two_watches_share_stays_queued_for_the_other() {
        let mut q = EventQueue::new(1);
        q.push(changed_for(&[1, 2]));
        assert_eq!(
            registrations_of(&q.take_watch_event(RequestId(1)).unwrap()),
            [1]
        );
        assert!(q.take_watch_event(RequestId(1)).is_none(), "told once");
        // Still one notice queued: the bound counts it once.
        q.push(changed(3));
        assert_eq!(registrations_of(&q.pop().unwrap()), [2]);
        assert!(matches!(q.pop(), Some(Event::Overflow { .. })));
    }

    #[test]
    fn copies_of_a_watchs_events_leave_the_queue_as_it_was() {
        let mut q = EventQueue::new(2);
        q.push(changed_for(&[1, 2]));
        q.push(reply(9));
        q.push(changed(2));
        q.push(changed(1));
        let copies = q.copies_for(RequestId(1));
        assert_eq!(
            copies.len(),
            2,
            "its event, and the overflow marker naming it"
        );
        assert_eq!(registrations_of(&copies[0]), [1]);
        assert!(matches!(copies[1], Event::Overflow { dropped: 1, .. }));
        assert_eq!(q.len(), 4, "nothing taken");
        assert_eq!(registrations_of(&q.pop().unwrap()), [1, 2]);
    }

    #[test]
    fn a_watch_named_by_the_overflow_takes_a_copy_and_the_marker_stays_for_the_rest() {
        let mut q = EventQueue::new(1);
        q.push(changed(1));
        q.push(changed(2));
        q.push(changed(3));
        let taken = q
            .take_watch_event(RequestId(3))
            .expect("the overflow names 3");
        assert!(matches!(taken, Event::Overflow { dropped: 2, .. }));
        assert_eq!(registrations_of(&taken), [3]);
        assert!(!q.has_watch_event(RequestId(3)), "told once");
        assert_eq!(registrations_of(&q.pop().unwrap()), [1]);
        assert_eq!(registrations_of(&q.pop().unwrap()), [2]);
    }

    #[test]
    fn notifications_beyond_the_bound_become_one_overflow_naming_their_registrations() {
        let mut q = EventQueue::new(2);
        for id in 1..=5 {
            q.push(changed(id));
        }
        q.push(reply(9));
        assert_eq!(q.len(), 4, "two events, one marker, one reply");
        assert!(matches!(q.pop(), Some(Event::Watch(_))));
        assert!(matches!(q.pop(), Some(Event::Watch(_))));
        match q.pop() {
            Some(Event::Overflow {
                dropped,
                registrations,
            }) => {
                assert_eq!(dropped, 3);
                assert_eq!(registrations, vec![reg(3), reg(4), reg(5)]);
            }
            other => panic!("expected the overflow, got {other:?}"),
        }
        assert_eq!(q.pop(), Some(reply(9)), "replies are never dropped");
        q.push(changed(6));
        assert!(matches!(q.pop(), Some(Event::Watch(_))), "room again");
    }

    #[test]
    fn replies_and_asked_for_events_queue_past_the_bound() {
        let mut q = EventQueue::new(1);
        q.push(changed(1));
        for id in 0..10 {
            q.push(reply(id));
        }
        q.push(Event::State {
            state: KeeperState::Closed,
            registrations: Vec::new(),
            reason: None,
        });
        assert_eq!(q.len(), 12);
    }

    #[test]
    fn a_forgotten_registration_leaves_the_queued_events() {
        let mut q = EventQueue::new(10);
        q.push(changed(1));
        q.push(changed(2));
        q.forget_registration(RequestId(1));
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(), Some(changed(2)));
    }

    #[test]
    fn a_dropped_state_change_names_every_live_registration() {
        let mut q = EventQueue::new(1);
        q.push(changed(1));
        let state = Event::State {
            state: KeeperState::Disconnected,
            registrations: vec![reg(1), reg(2)],
            reason: None,
        };
        q.push(state);
        let _ = q.pop();
        assert!(matches!(
            q.pop(),
            Some(Event::Overflow { dropped: 1, ref registrations }) if registrations.len() == 2
        ));
    }
}
