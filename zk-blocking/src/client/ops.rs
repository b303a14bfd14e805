//! The blocking client's typed operations (see `typed_ops`), over its own pump.

use std::time::Instant;

use bytes::Bytes;
use zk_session::{Request, Response, Session, SessionState};

use super::Client;
use crate::error::{Error, Result};
use crate::watch::WatchHandle;

impl Client {
    crate::typed_operations!(mut);

    /// Submits `request` and waits for its reply and watch, at most `call_timeout`;
    /// a call that times out gives up on its request.
    fn call_watch(&mut self, request: Request) -> Result<(Response, Option<WatchHandle>)> {
        let now = Instant::now();
        let id = self.submit_at(request, now)?;
        match self.wait_until(id, self.call_timeout, Some(now)) {
            Ok(c) => c.result.map(|r| (r, c.watch)),
            Err(e) => {
                if matches!(e, Error::Timeout(_) | Error::NoHosts { .. }) {
                    // The caller never gets this reply or its watch handle: the
                    // session must not register a watch nobody can remove.
                    self.abandon(id);
                }
                Err(e)
            }
        }
    }

    fn with_session<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(&self.session)
    }

    fn send_auth(&mut self, scheme: &str, auth: Bytes) -> Result<()> {
        let state = self.session.state();
        if state.is_terminal() || state == SessionState::Closing {
            return Err(Error::for_session(&self.session));
        }
        Ok(self.session.add_auth(scheme, auth, Instant::now())?)
    }
}
