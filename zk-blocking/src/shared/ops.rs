//! The shared client's typed operations (see `typed_ops`): each submits its request
//! and waits on its own reply slot.

use bytes::Bytes;
use zk_proto::{Acl, AddWatchMode, ClientInfo, Stat};
use zk_session::{
    IntoData, Request, RequestId, Response, Session, SessionState, Version, WatcherType,
};

use super::SharedClient;
use super::sync::lock;
use crate::create::CreateOptions;
use crate::error::{Error, Result};
use crate::multi::{
    OpResult, ReadBatch, ReadResult, Transaction, read_results, transaction_results,
};
use crate::typed_ops::{create_request, wrong_reply};
use crate::watch::WatchHandle;

impl SharedClient {
    typed_operations!();

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
            return Err(Error::for_state(state));
        }
        core.driver.add_auth(scheme, auth)?;
        shared.wake_io_if_needed(&core);
        Ok(())
    }
}
