//! The callers' replies, kept behind the core's lock: which requests a caller still
//! expects a reply for (with the thread blocked on it, if any), and the replies that
//! came and were not taken yet. A caller costs one small entry, not an allocation, a
//! lock and a condition variable of its own.

use std::thread::Thread;

use zk_session::{RequestId, RequestIdMap};

use zk_session::Response;

use crate::error::Result;
use crate::event::Completion;
use crate::watch::WatchHandle;

#[derive(Debug, Default)]
pub(super) struct ReplyTable {
    /// Requests whose caller expects the reply, with the thread blocked on it.
    expected: RequestIdMap<Option<Thread>>,
    /// Replies in and not yet taken, without their ids (the keys): 128 bytes move
    /// inline, where a whole `Completion` is a call to `memcpy`. (Apart from
    /// `expected`: one table of both would save a hash insert and remove per call,
    /// but every request in flight would then take a reply's 128 bytes.)
    done: RequestIdMap<(Result<Response>, Option<WatchHandle>)>,
}

impl ReplyTable {
    /// A caller will want the reply of `id`.
    pub(super) fn expect(&mut self, id: RequestId) {
        self.expected.insert(id, None);
    }

    /// How many replies callers still expect.
    pub(super) fn expected(&self) -> usize {
        self.expected.len()
    }

    /// Keeps `reply` for its caller and returns the caller's thread to unpark (once
    /// the lock is let go). A reply nobody expects (its caller gave up or dropped its
    /// handle) is dropped.
    pub(super) fn fill(&mut self, reply: Completion) -> Option<Thread> {
        let waiter = self.expected.remove(&reply.id)?;
        self.done.insert(reply.id, (reply.result, reply.watch));
        waiter
    }

    /// The reply of `id`, if it came (it is then taken).
    pub(super) fn take(&mut self, id: RequestId) -> Option<Completion> {
        let (result, watch) = self.done.remove(&id)?;
        Some(Completion { id, result, watch })
    }

    /// Whether the reply of `id` came and was not taken yet.
    pub(super) fn is_in(&self, id: RequestId) -> bool {
        self.done.contains_key(&id)
    }

    /// `thread` blocks until the reply of `id` comes: it is unparked then. False if
    /// no reply is expected for `id` (the thread must not wait for one).
    pub(super) fn wait_on(&mut self, id: RequestId, thread: Thread) -> bool {
        match self.expected.get_mut(&id) {
            Some(waiter) => {
                *waiter = Some(thread);
                true
            }
            None => false,
        }
    }

    /// The caller of `id` is gone: its reply, if it came already, else nothing (a
    /// reply that comes later is dropped).
    pub(super) fn forget(&mut self, id: RequestId) -> Option<Completion> {
        self.expected.remove(&id);
        self.take(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn reply(id: RequestId) -> Completion {
        Completion {
            id,
            result: Err(Error::Closed),
            watch: None,
        }
    }

    fn id(n: u64) -> RequestId {
        RequestId::from_u64(n)
    }

    #[test]
    fn a_reply_waits_for_its_caller_and_wakes_the_thread_blocked_on_it() {
        let mut table = ReplyTable::default();
        table.expect(id(1));
        table.expect(id(2));
        assert!(table.wait_on(id(2), std::thread::current()));
        assert!(table.fill(reply(id(1))).is_none(), "nobody blocked on 1");
        let woken = table.fill(reply(id(2))).expect("the waiting thread");
        assert_eq!(woken.id(), std::thread::current().id());
        assert_eq!(table.expected(), 0);
        assert_eq!(table.take(id(2)).map(|r| r.id), Some(id(2)));
        assert_eq!(table.take(id(1)).map(|r| r.id), Some(id(1)));
        assert!(table.take(id(1)).is_none(), "taken once");
    }

    #[test]
    fn a_forgotten_request_keeps_no_reply() {
        let mut table = ReplyTable::default();
        table.expect(id(1));
        assert!(table.forget(id(1)).is_none());
        assert!(table.fill(reply(id(1))).is_none());
        assert!(table.take(id(1)).is_none(), "the late reply is dropped");
        assert!(!table.wait_on(id(1), std::thread::current()));
    }

    #[test]
    fn only_the_replies_not_in_yet_count_as_expected() {
        let mut table = ReplyTable::default();
        for n in 1..=3 {
            table.expect(id(n));
        }
        table.fill(reply(id(1)));
        table.forget(id(2));
        assert_eq!(table.expected(), 1, "only 3 is still to come");
        assert!(table.take(id(3)).is_none(), "3 has not come");
        table.fill(reply(id(3)));
        assert_eq!(table.expected(), 0);
        assert!(
            table.fill(reply(id(3))).is_none(),
            "a second reply is dropped"
        );
        assert_eq!(table.take(id(3)).map(|r| r.id), Some(id(3)));
        assert_eq!(table.take(id(1)).map(|r| r.id), Some(id(1)));
    }

    #[test]
    fn giving_up_after_the_reply_came_still_hands_it_over() {
        let mut table = ReplyTable::default();
        table.expect(id(7));
        table.fill(reply(id(7)));
        assert_eq!(table.forget(id(7)).map(|r| r.id), Some(id(7)));
        assert!(table.forget(id(7)).is_none());
    }
}
