//! Picking free loopback ports that no other test in this process will be handed.

use std::collections::HashSet;
use std::io;
use std::net::TcpListener;
use std::sync::{Mutex, PoisonError};

/// Returns a port on 127.0.0.1 that was free a moment ago and that this process has
/// never handed out before.
///
/// The kernel picks the port (bind to port 0), so concurrent test binaries rarely
/// collide; a clash that happens anyway shows up as a bind failure in the server log,
/// and the server start retries with fresh ports. Remembering every port handed out
/// stops two tests in this process from getting the same one between the probe and the
/// server's own bind.
pub fn free_port() -> io::Result<u16> {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    loop {
        let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
        if handed_out.insert(port) {
            return Ok(port);
        }
    }
}

/// How often a start is tried again with fresh ports after another process took one.
const PORT_CLASH_ATTEMPTS: u32 = 3;

/// Runs `start` (which picks its own ports) again while it fails because one of its
/// ports was taken between [`free_port`] and the server's bind.
pub(crate) fn retry_on_port_clash<T>(
    mut start: impl FnMut() -> Result<T, crate::HarnessError>,
) -> Result<T, crate::HarnessError> {
    let mut attempt = 1;
    loop {
        match start() {
            Err(err) if err.is_port_clash() && attempt < PORT_CLASH_ATTEMPTS => attempt += 1,
            result => return result,
        }
    }
}
