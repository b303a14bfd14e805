//! The typed operations: the table shared with the blocking clients
//! (`zk_blocking::typed_operations!`), expanded to return [`Call`]s, plus the
//! watching reads, which return a watch future or stream instead of a handle.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use zk_blocking::for_drivers::{add_watch_request, auth_confirmed, error_for_state, wrong_reply};
use zk_blocking::{AddWatchMode, IntoData, Request, Response, Result, Stat};
use zk_session::{Session, SessionState};

use crate::call::{Call, Reply};
use crate::client::Client;
use crate::core::Shared;
use crate::watch::{OneShotWatch, WatchStream};

impl Client {
    zk_blocking::typed_operations!(@common [] Call);

    /// Like [`Client::exists`], and leaves a watch that fires when the node is
    /// created, deleted or changed.
    pub fn exists_watch(&self, path: &str) -> Call<(Option<Stat>, OneShotWatch)> {
        let shared = self.shared().clone();
        self.call_then(Ok(Request::exists(path, true)), move |reply| match reply? {
            (Response::Exists(stat), Some(w)) => Ok((stat, OneShotWatch::new(shared, w))),
            other => wrong_reply("exists with a watch", other),
        })
    }

    /// Like [`Client::get_data`], and leaves a data watch (fires on change or delete).
    pub fn get_data_watch(&self, path: &str) -> Call<(Bytes, Stat, OneShotWatch)> {
        let shared = self.shared().clone();
        self.call_then(
            Ok(Request::get_data(path, true)),
            move |reply| match reply? {
                (Response::GetData { data, stat }, Some(w)) => {
                    Ok((data, stat, OneShotWatch::new(shared, w)))
                }
                other => wrong_reply("getData with a watch", other),
            },
        )
    }

    /// Like [`Client::get_children`], and leaves a child watch (fires when a child is
    /// added or removed, or the node is deleted).
    pub fn get_children_watch(&self, path: &str) -> Call<(Vec<String>, OneShotWatch)> {
        let shared = self.shared().clone();
        self.call_then(
            Ok(Request::get_children(path, true)),
            move |reply| match reply? {
                (Response::GetChildren { children, .. }, Some(w)) => {
                    Ok((children, OneShotWatch::new(shared, w)))
                }
                other => wrong_reply("getChildren with a watch", other),
            },
        )
    }

    /// Like [`Client::get_children_with_stat`], and leaves a child watch (Java's
    /// `getChildren(path, watch, stat)`).
    pub fn get_children_with_stat_watch(
        &self,
        path: &str,
    ) -> Call<(Vec<String>, Stat, OneShotWatch)> {
        let shared = self.shared().clone();
        let request = Request::GetChildren {
            path: path.to_string(),
            watch: true,
            with_stat: true,
        };
        self.call_then(Ok(request), move |reply| match reply? {
            (
                Response::GetChildren {
                    children,
                    stat: Some(stat),
                },
                Some(w),
            ) => Ok((children, stat, OneShotWatch::new(shared, w))),
            other => wrong_reply("getChildren2 with a watch", other),
        })
    }

    /// Like [`Client::get_config`], and leaves a data watch on the config node.
    pub fn get_config_watch(&self) -> Call<(Bytes, Stat, OneShotWatch)> {
        let shared = self.shared().clone();
        self.call_then(
            Ok(Request::GetConfig { watch: true }),
            move |reply| match reply? {
                (Response::GetConfig { data, stat }, Some(w)) => {
                    Ok((data, stat, OneShotWatch::new(shared, w)))
                }
                other => wrong_reply("getConfig with a watch", other),
            },
        )
    }

    /// Adds a persistent watch on `path` (servers 3.6+): it stays after firing;
    /// `PersistentRecursive` also covers every descendant. Its events come from the
    /// returned stream.
    ///
    /// On servers before 3.9 a one-shot watch and a persistent watch of the same
    /// session on the same path interfere: the server keeps one watch mode per
    /// session and path, so the later replaces the earlier (ZOOKEEPER-4466; the Java
    /// client suffers it too). Keep them on different paths or in different sessions.
    pub fn add_watch(&self, path: &str, mode: AddWatchMode) -> Call<WatchStream> {
        let shared: Arc<Shared> = self.shared().clone();
        self.call_then(add_watch_request(path, mode), move |reply| match reply? {
            (Response::AddWatch, Some(w)) => Ok(WatchStream::new(shared, w)),
            other => wrong_reply("addWatch", other),
        })
    }

    /// Adds credentials to the session (sent again after every reconnect) and waits
    /// until the server has processed them. A rejection ends the session:
    /// [`Error::AuthFailed`](crate::Error::AuthFailed).
    pub async fn add_auth(&self, scheme: &str, auth: impl IntoData) -> Result<()> {
        let auth = auth.into_data();
        self.shared().with(|core, wakeups| {
            let state = core.session.state();
            if state.is_terminal() || state == SessionState::Closing {
                return Err(error_for_state(state, core.session.state_reason()));
            }
            core.session.add_auth(scheme, auth, Instant::now())?;
            core.wake_driver(wakeups);
            Ok(())
        })?;
        self.confirm_auth().await
    }

    /// A round trip after auth packets: the server answers them before any later
    /// request, so once it is back the credentials were accepted.
    pub(crate) async fn confirm_auth(&self) -> Result<()> {
        let reply = self.call_then(Ok(Request::exists("/", false)), |r| r.map(drop));
        let round_trip = reply.await;
        auth_confirmed(round_trip, self.state())
    }

    /// Queues `request` (or refuses it with its error) and returns the future of its
    /// unpacked reply.
    fn call_then<T>(
        &self,
        request: Result<Request>,
        unpack: impl FnOnce(Reply) -> Result<T> + Send + 'static,
    ) -> Call<T> {
        let timeout = self.call_timeout();
        match request.and_then(|r| self.submit_as(r, true)) {
            Ok(reply) => Call::waiting(reply, Box::new(unpack), timeout),
            Err(e) => Call::refused(e),
        }
    }

    fn with_session<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(&self.shared().lock().session)
    }
}
