//! Requests given up from elsewhere than the client's own thread (a recipe's object
//! dropped without the client at hand): a list the client empties at its next pump
//! or wait, looked at with one atomic load while it is empty.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use zk_session::RequestId;

/// A handle to a blocking [`Client`](super::Client) that gives its requests up from
/// anywhere, without the client ([`Client::abandoner`](super::Client::abandoner)):
/// what a value that keeps requests of its own (a recipe's) holds, so that dropping
/// it leaves no reply to the program's `wait_any`. Cheap to clone; it outlives the
/// client harmlessly.
#[derive(Debug, Clone, Default)]
pub struct Abandoner {
    list: Arc<GivenUp>,
}

#[derive(Debug, Default)]
struct GivenUp {
    /// Whether `ids` may hold something: the client's hot path loads only this.
    any: AtomicBool,
    /// Each with whether the node it creates is to be deleted.
    ids: Mutex<Vec<(RequestId, bool)>>,
}

impl Abandoner {
    /// Gives up request `id` as [`Client::abandon`](super::Client::abandon) does, at
    /// the client's next pump or wait (no wait nor `wait_any` hands out its reply
    /// after this call, even one already in). An id the client does not know (its
    /// reply taken already) is ignored then.
    pub fn abandon(&self, id: RequestId) {
        self.give_up(id, false);
    }

    /// Gives up request `id` as
    /// [`Client::abandon_and_delete`](super::Client::abandon_and_delete) does (a
    /// create's node is deleted), at the client's next pump or wait.
    pub fn abandon_and_delete(&self, id: RequestId) {
        self.give_up(id, true);
    }

    fn give_up(&self, id: RequestId, delete: bool) {
        // A poisoned lock only means another holder panicked mid-push: the list is
        // still a list.
        let mut ids = self.list.ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.push((id, delete));
        self.list.any.store(true, Ordering::Release);
    }

    /// Whether nothing was given up since the last [`Abandoner::take`]: one atomic
    /// load, the client's hot path.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        !self.list.any.load(Ordering::Acquire)
    }

    /// The requests given up since the last call, each with whether the node it
    /// creates is to be deleted.
    pub(super) fn take(&self) -> Vec<(RequestId, bool)> {
        if !self.list.any.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        let mut ids = self.list.ids.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *ids)
    }
}
