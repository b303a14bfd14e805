//! The typed operations, written once for every client that blocks its caller: one
//! method per ZooKeeper operation, each a request submitted and waited for, its reply
//! unpacked. `typed_operations!()` expands them in an `impl` block (`typed_operations!(mut)`
//! for a client whose calls take `&mut self`). The block must also define:
//!
//! * `fn call_watch(&[mut] self, Request) -> Result<(Response, Option<WatchHandle>)>`:
//!   submit, wait (bounded by the call timeout, giving the request up when it passes);
//! * `fn with_session<R>(&self, f: impl FnOnce(&Session) -> R) -> R`: a look at the
//!   session (for the live watches and the state);
//! * `fn send_auth(&[mut] self, scheme: &str, auth: Bytes) -> Result<()>`: add the
//!   credentials to the session (refused once it is closing or over).

use std::fmt::Debug;

use bytes::Bytes;
use zk_session::Request;

use crate::create::CreateOptions;

macro_rules! typed_operations {
    ($($mutability:ident)?) => {
        /// Creates `path` with the open ACL; returns the created path (with the sequence
        /// suffix for sequential modes, where `path` may end with `/`).
        pub fn create(
            &$($mutability)? self,
            path: &str,
            data: impl IntoData,
            mode: zk_proto::CreateMode,
        ) -> Result<String> {
            self.create_with(path, data, &CreateOptions::new(mode))
        }

        /// Creates `path` with the given mode, ACL and TTL; returns the created path.
        pub fn create_with(
            &$($mutability)? self,
            path: &str,
            data: impl IntoData,
            options: &CreateOptions,
        ) -> Result<String> {
            match self.call(create_request(path, data.into_data(), options, false))? {
                Response::Create { path, .. } => Ok(path),
                other => wrong_reply("create", other),
            }
        }

        /// Creates `path` (create2) and returns the created path and the new node's Stat.
        pub fn create_with_stat(
            &$($mutability)? self,
            path: &str,
            data: impl IntoData,
            options: &CreateOptions,
        ) -> Result<(String, Stat)> {
            match self.call(create_request(path, data.into_data(), options, true))? {
                Response::Create {
                    path,
                    stat: Some(stat),
                } => Ok((path, stat)),
                other => wrong_reply("create2", other),
            }
        }

        /// Deletes `path` if its version is `version`.
        pub fn delete(&$($mutability)? self, path: &str, version: Version) -> Result<()> {
            match self.call(Request::delete(path, version))? {
                Response::Delete => Ok(()),
                other => wrong_reply("delete", other),
            }
        }

        /// The Stat of `path`, or `None` if it does not exist.
        pub fn exists(&$($mutability)? self, path: &str) -> Result<Option<Stat>> {
            match self.call(Request::exists(path, false))? {
                Response::Exists(stat) => Ok(stat),
                other => wrong_reply("exists", other),
            }
        }

        /// Like [`Self::exists`], and leaves a watch that fires when the node is
        /// created, deleted or changed.
        pub fn exists_watch(&$($mutability)? self, path: &str) -> Result<(Option<Stat>, WatchHandle)> {
            match self.call_watch(Request::exists(path, true))? {
                (Response::Exists(stat), Some(w)) => Ok((stat, w)),
                other => wrong_reply("exists with a watch", other),
            }
        }

        /// The data and Stat of `path`.
        pub fn get_data(&$($mutability)? self, path: &str) -> Result<(Bytes, Stat)> {
            match self.call(Request::get_data(path, false))? {
                Response::GetData { data, stat } => Ok((data, stat)),
                other => wrong_reply("getData", other),
            }
        }

        /// Like [`Self::get_data`], and leaves a data watch (fires on change or delete).
        pub fn get_data_watch(&$($mutability)? self, path: &str) -> Result<(Bytes, Stat, WatchHandle)> {
            match self.call_watch(Request::get_data(path, true))? {
                (Response::GetData { data, stat }, Some(w)) => Ok((data, stat, w)),
                other => wrong_reply("getData with a watch", other),
            }
        }

        /// Sets `path`'s data if its version is `version`; returns the new Stat.
        pub fn set_data(&$($mutability)? self, path: &str, data: impl IntoData, version: Version) -> Result<Stat> {
            match self.call(Request::set_data(path, data, version))? {
                Response::SetData(stat) => Ok(stat),
                other => wrong_reply("setData", other),
            }
        }

        /// The ACL and Stat of `path`.
        pub fn get_acl(&$($mutability)? self, path: &str) -> Result<(Vec<Acl>, Stat)> {
            match self.call(Request::GetAcl {
                path: path.to_string(),
            })? {
                Response::GetAcl { acl, stat } => Ok((acl, stat)),
                other => wrong_reply("getACL", other),
            }
        }

        /// Replaces `path`'s ACL if its ACL version (the Stat's `aversion`) is `version`.
        pub fn set_acl(&$($mutability)? self, path: &str, acl: Vec<Acl>, version: Version) -> Result<Stat> {
            let request = Request::SetAcl {
                path: path.to_string(),
                acl,
                version,
            };
            match self.call(request)? {
                Response::SetAcl(stat) => Ok(stat),
                other => wrong_reply("setACL", other),
            }
        }

        /// The names of `path`'s children (unordered).
        pub fn get_children(&$($mutability)? self, path: &str) -> Result<Vec<String>> {
            match self.call(Request::get_children(path, false))? {
                Response::GetChildren { children, .. } => Ok(children),
                other => wrong_reply("getChildren", other),
            }
        }

        /// `path`'s children and its own Stat (getChildren2).
        pub fn get_children_with_stat(&$($mutability)? self, path: &str) -> Result<(Vec<String>, Stat)> {
            let request = Request::GetChildren {
                path: path.to_string(),
                watch: false,
                with_stat: true,
            };
            match self.call(request)? {
                Response::GetChildren {
                    children,
                    stat: Some(stat),
                } => Ok((children, stat)),
                other => wrong_reply("getChildren2", other),
            }
        }

        /// Like [`Self::get_children`], and leaves a child watch (fires when a child is
        /// added or removed, or the node is deleted).
        pub fn get_children_watch(&$($mutability)? self, path: &str) -> Result<(Vec<String>, WatchHandle)> {
            match self.call_watch(Request::get_children(path, true))? {
                (Response::GetChildren { children, .. }, Some(w)) => Ok((children, w)),
                other => wrong_reply("getChildren with a watch", other),
            }
        }

        /// Makes the connected server catch up with the leader for `path`; returns the
        /// path synced (a client path: the chroot stripped).
        pub fn sync(&$($mutability)? self, path: &str) -> Result<String> {
            match self.call(Request::Sync {
                path: path.to_string(),
            })? {
                Response::Sync { path } => Ok(path),
                other => wrong_reply("sync", other),
            }
        }

        /// Runs an atomic transaction; on failure nothing was applied and the error is
        /// [`Error::TransactionFailed`] naming the failing op.
        pub fn multi(&$($mutability)? self, transaction: Transaction) -> Result<Vec<OpResult>> {
            match self.call(transaction.into_request()?)? {
                Response::Multi(results) => transaction_results(results),
                other => wrong_reply("multi", other),
            }
        }

        /// Runs a batch of reads (servers 3.6+); each read has its own result.
        pub fn multi_read(&$($mutability)? self, batch: ReadBatch) -> Result<Vec<Result<ReadResult>>> {
            match self.call(batch.into_request())? {
                Response::MultiRead(results) => Ok(read_results(results)),
                other => wrong_reply("multiRead", other),
            }
        }

        /// Adds credentials to the session (sent again after every reconnect) and waits
        /// until the server has processed them. A rejection ends the session:
        /// [`Error::AuthFailed`].
        pub fn add_auth(&$($mutability)? self, scheme: &str, auth: impl IntoData) -> Result<()> {
            self.send_auth(scheme, auth.into_data())?;
            self.confirm_auth()
        }

        /// The ensemble's dynamic configuration (`/zookeeper/config`) and its Stat.
        pub fn get_config(&$($mutability)? self) -> Result<(Bytes, Stat)> {
            match self.call(Request::GetConfig { watch: false })? {
                Response::GetConfig { data, stat } => Ok((data, stat)),
                other => wrong_reply("getConfig", other),
            }
        }

        /// Like [`Self::get_config`], and leaves a data watch on the config node.
        pub fn get_config_watch(&$($mutability)? self) -> Result<(Bytes, Stat, WatchHandle)> {
            match self.call_watch(Request::GetConfig { watch: true })? {
                (Response::GetConfig { data, stat }, Some(w)) => Ok((data, stat, w)),
                other => wrong_reply("getConfig with a watch", other),
            }
        }

        /// Changes the ensemble's membership (an admin op; the server must allow it).
        /// `joining` / `leaving` are incremental changes, `new_members` a whole new list;
        /// `config_id` is the expected config version (`None`: skip the check). Returns the new
        /// config and its Stat.
        pub fn reconfig(
            &$($mutability)? self,
            joining: Option<&str>,
            leaving: Option<&str>,
            new_members: Option<&str>,
            config_id: Option<i64>,
        ) -> Result<(Bytes, Stat)> {
            let request = Request::Reconfig {
                joining: joining.map(str::to_string),
                leaving: leaving.map(str::to_string),
                new_members: new_members.map(str::to_string),
                config_id,
            };
            match self.call(request)? {
                Response::Reconfig { data, stat } => Ok((data, stat)),
                other => wrong_reply("reconfig", other),
            }
        }

        /// The identities the server associates with this connection (servers 3.7+).
        pub fn who_am_i(&$($mutability)? self) -> Result<Vec<ClientInfo>> {
            match self.call(Request::WhoAmI)? {
                Response::WhoAmI(infos) => Ok(infos),
                other => wrong_reply("whoAmI", other),
            }
        }

        /// This session's ephemeral nodes whose server path starts with `prefix` (`/` for
        /// all). Neither the prefix nor the result is chrooted (as in Java).
        pub fn get_ephemerals(&$($mutability)? self, prefix: &str) -> Result<Vec<String>> {
            match self.call(Request::GetEphemerals {
                prefix: prefix.to_string(),
            })? {
                Response::GetEphemerals(paths) => Ok(paths),
                other => wrong_reply("getEphemerals", other),
            }
        }

        /// The number of descendants of `path` (servers 3.6+).
        pub fn get_all_children_number(&$($mutability)? self, path: &str) -> Result<i32> {
            match self.call(Request::GetAllChildrenNumber {
                path: path.to_string(),
            })? {
                Response::GetAllChildrenNumber(n) => Ok(n),
                other => wrong_reply("getAllChildrenNumber", other),
            }
        }

        /// Adds a persistent watch on `path` (servers 3.6+): it stays after firing.
        /// `PersistentRecursive` also covers every descendant.
        pub fn add_watch(&$($mutability)? self, path: &str, mode: AddWatchMode) -> Result<WatchHandle> {
            let recursive = match mode {
                AddWatchMode::Persistent => false,
                AddWatchMode::PersistentRecursive => true,
                AddWatchMode::Unknown(m) => {
                    return Err(Error::InvalidArgument(format!(
                        "unknown add-watch mode {m}"
                    )));
                }
            };
            let request = Request::AddWatch {
                path: path.to_string(),
                recursive,
            };
            match self.call_watch(request)? {
                (Response::AddWatch, Some(w)) => Ok(w),
                other => wrong_reply("addWatch", other),
            }
        }

        /// Removes one watch: the server is asked (checkWatches) whether it holds a watch
        /// of that kind on the path, then the registration is dropped here. A
        /// `*WatchRemoved` event for it follows. Persistent kinds are checked as Any unless
        /// [`Options::persistent_watcher_types`](crate::Options::persistent_watcher_types) is set (servers before 3.9).
        pub fn remove_watch(&$($mutability)? self, handle: WatchHandle) -> Result<()> {
            let path = self.registered_path(handle)?;
            let kind = handle.kind().watcher_type();
            self.remove(path, kind, Some(handle.id()), false)
        }

        /// Removes one watch from this client only, without asking the server (the server
        /// may still send its event, which then fires nothing here and is dropped).
        pub fn remove_watch_locally(&$($mutability)? self, handle: WatchHandle) -> Result<()> {
            let path = self.registered_path(handle)?;
            let kind = handle.kind().watcher_type();
            self.remove(path, kind, Some(handle.id()), true)
        }

        /// Removes every watch of `watcher_type` on `path`, here and on the server
        /// (removeWatches). Fails with [`Error::NoWatcher`] if this client holds none.
        /// `Persistent` and `PersistentRecursive` go to the server as `Any` unless
        /// [`Options::persistent_watcher_types`](crate::Options::persistent_watcher_types) is set, which on servers before 3.9 (the
        /// only form they accept) removes every watch of the session on `path`, here too.
        pub fn remove_watches(&$($mutability)? self, path: &str, watcher_type: WatcherType) -> Result<()> {
            self.remove(path.to_string(), watcher_type, None, false)
        }

        /// Removes every watch of `watcher_type` on `path` from this client only.
        pub fn remove_watches_locally(&$($mutability)? self, path: &str, watcher_type: WatcherType) -> Result<()> {
            self.remove(path.to_string(), watcher_type, None, true)
        }

        /// The watches this client holds on `path` of the kinds `watcher_type` covers,
        /// oldest first. Answered from the session's registrations, without the server
        /// ([`Self::check_watches_on_server`] asks the server).
        pub fn check_watches(&self, path: &str, watcher_type: WatcherType) -> Vec<WatchHandle> {
            let mut found: Vec<WatchHandle> = self.with_session(|session| {
                session
                    .watches()
                    .filter(|r| r.path == path && watcher_type.covers(r.kind))
                    .map(WatchHandle::from_registration)
                    .collect()
            });
            found.sort_by_key(|h| h.id());
            found
        }

        /// Asks the server (checkWatches) whether it holds a watch of `watcher_type` on
        /// `path` for this session: `Ok(true)` if it does, `Ok(false)` if it answers
        /// NoWatcher. Nothing is removed, here or there. Persistent types are asked as
        /// `Any` unless [`Options::persistent_watcher_types`](crate::Options::persistent_watcher_types) is set.
        pub fn check_watches_on_server(
            &$($mutability)? self,
            path: &str,
            watcher_type: WatcherType,
        ) -> Result<bool> {
            let request = Request::CheckWatches {
                path: path.to_string(),
                watcher_type,
            };
            match self.call(request) {
                Ok(Response::CheckWatches) => Ok(true),
                Ok(other) => wrong_reply("checkWatches", other),
                Err(e) if e.code() == Some(zk_proto::ErrorCode::NoWatcher) => Ok(false),
                Err(e) => Err(e),
            }
        }

        // ----- calls --------------------------------------------------------------------

        /// `call_watch` for a request that leaves no watch.
        fn call(&$($mutability)? self, request: Request) -> Result<Response> {
            self.call_watch(request).map(|(r, _)| r)
        }

        /// Removes watches of `watcher_type` on `path` (only `registration`, if given),
        /// here and, unless `local`, on the server.
        fn remove(
            &$($mutability)? self,
            path: String,
            watcher_type: WatcherType,
            registration: Option<RequestId>,
            local: bool,
        ) -> Result<()> {
            let request = Request::RemoveWatches {
                path: path.clone(),
                watcher_type,
                registration,
                local,
            };
            match self.call(request) {
                Ok(Response::RemoveWatches) => Ok(()),
                Ok(other) => wrong_reply("removeWatches", other),
                // The server's answer when the watch fired meanwhile: the same error as
                // the local check gives.
                Err(e) if e.code() == Some(zk_proto::ErrorCode::NoWatcher) => {
                    Err(Error::NoWatcher { path })
                }
                Err(e) => Err(e),
            }
        }

        /// The path of a watch this client still holds.
        fn registered_path(&self, handle: WatchHandle) -> Result<String> {
            self.with_session(|session| {
                session
                    .registration(handle.id())
                    .filter(|r| r.kind == handle.kind())
                    .map(|r| r.path.clone())
            })
            .ok_or_else(|| Error::NoWatcher {
                path: format!("<watch {}>", handle.id()),
            })
        }

        /// A round trip after auth packets: the server answers them before any later
        /// request, so once this returns the credentials were accepted.
        pub(crate) fn confirm_auth(&$($mutability)? self) -> Result<()> {
            match self.call(Request::exists("/", false)) {
                Ok(_) => Ok(()),
                Err(_) if self.with_session(|s| s.state()) == SessionState::AuthFailed => {
                    Err(Error::AuthFailed)
                }
                Err(e) => Err(e),
            }
        }
    };
}

pub(crate) fn create_request(
    path: &str,
    data: Bytes,
    options: &CreateOptions,
    with_stat: bool,
) -> Request {
    Request::Create {
        path: path.to_string(),
        data,
        acl: options.acl.clone(),
        mode: options.mode,
        ttl: options.ttl,
        with_stat,
    }
}

/// A reply whose shape does not fit its request. The session checks every reply's
/// body against its request (a mismatch drops the connection), so this is a bug in the
/// session or in this client, never the server's doing.
pub(crate) fn wrong_reply(op: &str, reply: impl Debug) -> ! {
    unreachable!("{op} answered with {reply:?}")
}
