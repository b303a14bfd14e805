//! A server that serves read-only sessions, for tests of a read-only session.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use zk_tests::{Ensemble, ServerOptions, is_read_only};

/// The one member left of a 2-member ensemble, once it serves read-only (a 3.8 member
/// serves read-only sessions only as local sessions), and its ensemble, which stops
/// it when dropped.
pub fn read_only_member() -> (Ensemble, SocketAddr) {
    let mut ensemble = Ensemble::start(
        2,
        &ServerOptions::default()
            .tick_time(Duration::from_millis(500))
            .read_only_mode(true)
            .local_sessions(true, true),
    )
    .unwrap();
    ensemble.member_mut(1).kill().unwrap();
    let read_only = ensemble.member(2).address();
    let patience = Instant::now() + Duration::from_secs(40);
    while !is_read_only(read_only).unwrap_or(false) {
        assert!(Instant::now() < patience, "member 2 never served read-only");
        std::thread::sleep(Duration::from_millis(50));
    }
    (ensemble, read_only)
}
