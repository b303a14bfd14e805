//! A server that takes connections (the kernel does) and never answers the session
//! handshake, and how long a connect to it may take.

use std::time::{Duration, Instant};

use zk_blocking::{Error, Options};

/// `connect` (a client's connect, its client dropped) against a silent server fails
/// with `NoHosts` in its connect timeout, not that plus the close timeout.
pub fn fails_in_its_connect_timeout(connect: impl FnOnce(&str, Options) -> Result<(), Error>) {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let connect_timeout = Duration::from_secs(1);
    // One host: the session gives its dial and handshake the whole session timeout,
    // so the handshake is still under way when the connect gives up; the close that
    // follows must not wait for its answer (that would add the close timeout).
    let options = Options::default()
        .session_timeout(Duration::from_secs(30))
        .connect_timeout(connect_timeout)
        .close_timeout(Duration::from_secs(10));
    let started = Instant::now();
    let err = connect(&silent.local_addr().unwrap().to_string(), options).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::NoHosts { .. }), "{err}");
    assert!(
        took >= connect_timeout && took < connect_timeout + Duration::from_secs(2),
        "{took:?}"
    );
}
