//! Requests a recipe's run left unanswered when its deadline passed, kept for the
//! recipe's next run: so that a series of bounded waits neither overruns its timeouts
//! nor gives up a question whose answer a later wait can still hear.

use std::collections::VecDeque;

use zk_blocking::RequestId;

use crate::machine::Token;

/// The requests of one recipe still out between its runs ([`Driver::run_keeping`]):
/// the next run hands their replies to the recipe first. Keep one per recipe, and
/// run that recipe on one client. Give it up with [`Driver::abandon`] when the
/// recipe will not run again: on the blocking client, dropping it would leave the
/// replies to the program's `wait_any` (elsewhere dropping it gives them up).
///
/// [`Driver::run_keeping`]: super::Driver::run_keeping
/// [`Driver::abandon`]: super::Driver::abandon
#[derive(Debug, Default)]
pub struct InFlight {
    /// The blocking client's requests ([`super::Blocking`]).
    pub(super) ids: VecDeque<(RequestId, Token)>,
    /// The shared client's.
    #[cfg(unix)]
    pub(super) replies: VecDeque<(zk_blocking::PendingReply, Token)>,
}
