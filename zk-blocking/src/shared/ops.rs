//! The shared client's typed operations (see `typed_ops`): each submits its request
//! and waits on its own reply slot.

use bytes::Bytes;
use zk_session::{Request, Response, Session, SessionState};

use super::SharedClient;
use super::sync::lock;
use crate::error::{Error, Result};
use crate::watch::WatchHandle;

impl SharedClient {
    crate::typed_operations!();

    /// Submits `request` and waits for its reply and watch, at most `call_timeout`;
    /// a call that times out gives up on its request.
    fn call_watch(&self, request: Request) -> Result<(Response, Option<WatchHandle>)> {
        let reply = self.submit(request)?.wait()?;
        reply.result.map(|r| (r, reply.watch))
    }

    fn with_session<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        self.with_driver(|d| f(d.session()))
    }

    fn send_auth(&self, scheme: &str, auth: Bytes) -> Result<()> {
        let shared = self.shared();
        let mut core = lock(&shared.core);
        let state = core.driver.state();
        if state.is_terminal() || state == SessionState::Closing {
            return Err(Error::for_session(core.driver.session()));
        }
        core.driver.add_auth(scheme, auth)?;
        shared.wake_io_if_needed(&core);
        Ok(())
    }
}
