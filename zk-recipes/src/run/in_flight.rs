//! Requests a recipe's run left unanswered when its deadline passed, kept for the
//! recipe's next run: so that a series of bounded waits neither overruns its timeouts
//! nor gives up a question whose answer a later wait can still hear.

use std::collections::VecDeque;

use zk_blocking::{Abandoner, RequestId};

use crate::machine::Token;

/// The requests of one recipe still out between its runs ([`Driver::run_keeping`]):
/// the next run hands their replies to the recipe first. Keep one per recipe, and
/// run that recipe on one client. Dropping it gives its requests up, on every client:
/// their replies are discarded when they come, never handed to the program (on the
/// blocking client at its next pump or wait, through its [`Abandoner`]).
/// [`Driver::abandon`] gives them up at once.
///
/// [`Driver::run_keeping`]: super::Driver::run_keeping
/// [`Driver::abandon`]: super::Driver::abandon
#[derive(Debug, Default)]
pub struct InFlight {
    /// The blocking client's requests ([`super::Blocking`]).
    pub(super) ids: VecDeque<(RequestId, Token)>,
    /// Gives up `ids` when this is dropped: the blocking client's, once a run set it.
    pub(super) abandoner: Option<Abandoner>,
    /// The shared client's (a dropped one gives itself up).
    #[cfg(unix)]
    pub(super) replies: VecDeque<(zk_blocking::PendingReply, Token)>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(abandoner) = &self.abandoner {
            for (id, _) in self.ids.drain(..) {
                abandoner.abandon(id);
            }
        }
    }
}
