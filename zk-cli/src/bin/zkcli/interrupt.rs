//! Ctrl-C while a shell command runs on a terminal: the command stops at its next
//! step and the shell goes on, as Ctrl-C at the prompt drops the line (the line
//! editor takes that one itself). A second Ctrl-C before the command notices, as
//! while one call waits on the server, ends zkcli as usual.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::SIGINT;
use signal_hook::flag;

use crate::failure::Failure;

/// Set by SIGINT once `catch` was called; never set otherwise.
static REQUESTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// From now on, a first Ctrl-C asks the running command to stop.
pub fn catch() -> io::Result<()> {
    let requested = REQUESTED.get_or_init(Arc::default);
    // Registered first, so that it sees the flag as it was before this signal.
    flag::register_conditional_default(SIGINT, Arc::clone(requested))?;
    flag::register(SIGINT, Arc::clone(requested))?;
    Ok(())
}

/// Forgets a Ctrl-C meant for an earlier command.
pub fn clear() {
    if let Some(requested) = REQUESTED.get() {
        requested.store(false, Ordering::SeqCst);
    }
}

/// `Interrupted` once Ctrl-C was pressed during the running command.
pub fn check() -> Result<(), Failure> {
    match REQUESTED.get() {
        Some(requested) if requested.load(Ordering::SeqCst) => Err(Failure::Interrupted),
        _ => Ok(()),
    }
}
