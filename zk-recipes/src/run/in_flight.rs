//! Requests a recipe's run left unanswered when its deadline passed, kept for the
//! recipe's next run: so that a series of bounded waits neither overruns its timeouts
//! nor gives up a question whose answer a later wait can still hear.

use std::collections::VecDeque;

use zk_blocking::{Abandoner, Request, RequestId};

use crate::machine::Token;

/// The requests of one recipe still out between its runs ([`Driver::run_keeping`]):
/// the next run hands their replies to the recipe first. Keep one per recipe, and
/// run that recipe on one client. Dropping it gives its requests up, on every client:
/// their replies are discarded when they come, never handed to the program (on the
/// blocking client at its next pump or wait, through its [`Abandoner`]), and the
/// node an ephemeral create among them made is deleted
/// ([`zk_blocking::Client::abandon_and_delete`]): a contender, lease or member node
/// whose create was still unanswered holds nobody up.
/// [`Driver::abandon`] gives them up at once.
///
/// [`Driver::run_keeping`]: super::Driver::run_keeping
/// [`Driver::abandon`]: super::Driver::abandon
#[derive(Debug, Default)]
pub struct InFlight {
    /// The blocking client's requests ([`super::Blocking`]), each with whether its
    /// node goes if it is given up ([`deletes_if_given_up`]).
    pub(super) ids: VecDeque<(RequestId, Token, bool)>,
    /// Gives up `ids` when this is dropped: the blocking client's, once a run set it.
    pub(super) abandoner: Option<Abandoner>,
    /// The shared client's (a dropped one gives itself up), as `ids`.
    #[cfg(unix)]
    pub(super) replies: VecDeque<(zk_blocking::PendingReply, Token, bool)>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(abandoner) = &self.abandoner {
            for (id, _, delete) in self.ids.drain(..) {
                if delete {
                    abandoner.abandon_and_delete(id);
                } else {
                    abandoner.abandon(id);
                }
            }
        }
        #[cfg(unix)]
        for (reply, _, delete) in self.replies.drain(..) {
            if delete {
                reply.abandon_and_delete();
            }
        }
    }
}

/// Whether giving `request` up unanswered also deletes the node it may make: an
/// ephemeral sequential create's (a lock's or an election's contender), which would
/// hold the others up until the session ends, and whose name is nobody else's. A
/// fixed name (a lease, a member) may be created again before the answer, by the
/// recipe's next call: its machine queues that delete itself, in order. A persistent
/// node is another's to use (a parent made on the way, a queue's item) and stays.
pub(super) fn deletes_if_given_up(request: &Request) -> bool {
    matches!(request, Request::Create { mode, .. } if mode.is_ephemeral() && mode.is_sequential())
}
