//! Picking free loopback ports that no other test in this process will be handed.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener};
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
    free_port_on(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// [`free_port`] on `address`, a loopback address (`::1` for an IPv6 server).
pub(crate) fn free_port_on(address: IpAddr) -> io::Result<u16> {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    loop {
        let port = TcpListener::bind((address, 0))?.local_addr()?.port();
        if handed_out.insert(port) {
            return Ok(port);
        }
    }
}

/// Panics, saying why and what to do, where this machine cannot listen on `[::1]`: a
/// test of IPv6 must fail there, not pass without having run.
pub fn require_ipv6_loopback() {
    if let Err(err) = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) {
        panic!(
            "this machine has no usable IPv6 loopback (binding [::1]:0 failed: {err}); the \
             [::1] tests need one: `ip -6 addr show lo` should list ::1 (enable it with \
             `sysctl net.ipv6.conf.lo.disable_ipv6=0`)"
        );
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::HarnessError;

    fn not_serving(port_taken: bool) -> HarnessError {
        HarnessError::NotServing {
            member: "server".to_owned(),
            detail: "exited".to_owned(),
            waited: Duration::ZERO,
            log_tail: String::new(),
            port_taken,
        }
    }

    #[test]
    fn a_taken_port_is_retried_with_a_bound() {
        let mut attempts = 0;
        let result: Result<(), _> = retry_on_port_clash(|| {
            attempts += 1;
            Err(not_serving(true))
        });
        assert!(result.is_err());
        assert_eq!(attempts, PORT_CLASH_ATTEMPTS);

        let mut attempts = 0;
        let result = retry_on_port_clash(|| {
            attempts += 1;
            if attempts == 1 {
                Err(not_serving(true))
            } else {
                Ok(attempts)
            }
        });
        assert_eq!(result.unwrap(), 2);
    }

    #[test]
    fn other_failures_are_not_retried() {
        let mut attempts = 0;
        let result: Result<(), _> = retry_on_port_clash(|| {
            attempts += 1;
            Err(not_serving(false))
        });
        assert!(result.is_err());
        assert_eq!(attempts, 1);
    }

    #[test]
    fn ports_are_never_handed_out_twice() {
        let ports: HashSet<u16> = (0..200).map(|_| free_port().unwrap()).collect();
        assert_eq!(ports.len(), 200);
    }
}
