//! A standalone server shared by every test in the process that just needs "a server".

use std::sync::OnceLock;

use crate::options::ServerOptions;
use crate::server::ZkServer;

/// A standalone server with default settings, started by the first caller and shared by
/// the rest of the process. It is only lent out (`&`), so no test can stop or pause it;
/// tests that need to do that start their own.
///
/// Statics are never dropped: the server's watchdog kills it and removes its dir when
/// the test process exits. Panics (with the install hint or the log tail) if it cannot
/// start.
pub fn shared_standalone() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        ZkServer::start_standalone(&ServerOptions::default())
            .unwrap_or_else(|err| panic!("starting the shared standalone ZooKeeper: {err}"))
    })
}
