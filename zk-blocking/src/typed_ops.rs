//! The typed operations, written once for every client: one method per ZooKeeper
//! operation, each a request and the unpacking of its reply. The macro expands them in
//! an `impl` block; it is exported (hidden) so that the async client (zk-tokio) expands
//! the same table.
//!
//! * `typed_operations!()` / `typed_operations!(mut)`: every operation of a client
//!   whose calls block (`&self` / `&mut self`), returning `Result<T>`;
//! * `typed_operations!(@common [] Call)`: the operations whose shape is the same in
//!   every client, returning `Call<T>` (an async client's future of `Result<T>`); the
//!   watching ones and `add_auth` are the client's own.
//!
//! The block must also define:
//!
//! * `fn call_then<T>(&[mut] self, request: Result<Request>, unpack: impl FnOnce(Result<(Response,
//!   Option<WatchHandle>)>) -> Result<T> + Send + 'static) -> $ret<T>`: submit (or fail
//!   with the request's error), wait for the reply and its watch, unpack it;
//! * `fn with_session<R>(&self, f: impl FnOnce(&Session) -> R) -> R`: a look at the
//!   session (for the live watches and the state);
//! * for blocking clients, `fn call_watch(&[mut] self, Request) -> Result<(Response,
//!   Option<WatchHandle>)>` and `fn send_auth(&[mut] self, scheme: &str, auth: Bytes) ->
//!   Result<()>` (refused once the session is closing or over).

use std::fmt::Debug;

use bytes::Bytes;
use zk_session::{Request, SessionState};

use crate::create::CreateOptions;
use crate::error::{Error, Result};

#[doc(hidden)]
#[macro_export]
macro_rules! typed_operations {
    ($($mutability:ident)?) => {
        $crate::typed_operations!(@common [$($mutability)?] Result);
        $crate::typed_operations!(@blocking [$($mutability)?]);
    };

    (@common [$($mutability:ident)?] $ret:ident) => {
        /// Creates `path` with the open ACL; returns the created path (with the sequence
        /// suffix for sequential modes, where `path` may end with `/`).
        pub fn create(
            &$($mutability)? self,
            path: &str,
            data: impl $crate::IntoData,
            mode: $crate::CreateMode,
        ) -> $ret<String> {
            self.create_with(path, data, &$crate::CreateOptions::new(mode))
        }

        /// Creates `path` with the given mode, ACL and TTL; returns the created path.
        pub fn create_with(
            &$($mutability)? self,
            path: &str,
            data: impl $crate::IntoData,
            options: &$crate::CreateOptions,
        ) -> $ret<String> {
            let request = $crate::for_drivers::create_request(path, data.into_data(), options, false);
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::Create { path, .. } => Ok(path),
                other => $crate::for_drivers::wrong_reply("create", other),
            })
        }

        /// Creates `path` (create2) and returns the created path and the new node's Stat.
        pub fn create_with_stat(
            &$($mutability)? self,
            path: &str,
            data: impl $crate::IntoData,
            options: &$crate::CreateOptions,
        ) -> $ret<(String, $crate::Stat)> {
            let request = $crate::for_drivers::create_request(path, data.into_data(), options, true);
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::Create {
                    path,
                    stat: Some(stat),
                } => Ok((path, stat)),
                other => $crate::for_drivers::wrong_reply("create2", other),
            })
        }

        /// Deletes `path` if its version is `version`.
        pub fn delete(&$($mutability)? self, path: &str, version: $crate::Version) -> $ret<()> {
            self.call_then(Ok($crate::Request::delete(path, version)), |reply| match reply?.0 {
                $crate::Response::Delete => Ok(()),
                other => $crate::for_drivers::wrong_reply("delete", other),
            })
        }

        /// The Stat of `path`, or `None` if it does not exist.
        pub fn exists(&$($mutability)? self, path: &str) -> $ret<Option<$crate::Stat>> {
            self.call_then(Ok($crate::Request::exists(path, false)), |reply| match reply?.0 {
                $crate::Response::Exists(stat) => Ok(stat),
                other => $crate::for_drivers::wrong_reply("exists", other),
            })
        }

        /// The data and Stat of `path`.
        pub fn get_data(&$($mutability)? self, path: &str) -> $ret<($crate::Bytes, $crate::Stat)> {
            self.call_then(Ok($crate::Request::get_data(path, false)), |reply| match reply?.0 {
                $crate::Response::GetData { data, stat } => Ok((data, stat)),
                other => $crate::for_drivers::wrong_reply("getData", other),
            })
        }

        /// Sets `path`'s data if its version is `version`; returns the new Stat.
        pub fn set_data(
            &$($mutability)? self,
            path: &str,
            data: impl $crate::IntoData,
            version: $crate::Version,
        ) -> $ret<$crate::Stat> {
            let request = $crate::Request::set_data(path, data, version);
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::SetData(stat) => Ok(stat),
                other => $crate::for_drivers::wrong_reply("setData", other),
            })
        }

        /// The ACL and Stat of `path`.
        pub fn get_acl(&$($mutability)? self, path: &str) -> $ret<(Vec<$crate::Acl>, $crate::Stat)> {
            let request = $crate::Request::GetAcl {
                path: path.to_string(),
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::GetAcl { acl, stat } => Ok((acl, stat)),
                other => $crate::for_drivers::wrong_reply("getACL", other),
            })
        }

        /// Replaces `path`'s ACL if its ACL version (the Stat's `aversion`) is `version`.
        pub fn set_acl(
            &$($mutability)? self,
            path: &str,
            acl: Vec<$crate::Acl>,
            version: $crate::Version,
        ) -> $ret<$crate::Stat> {
            let request = $crate::Request::SetAcl {
                path: path.to_string(),
                acl,
                version,
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::SetAcl(stat) => Ok(stat),
                other => $crate::for_drivers::wrong_reply("setACL", other),
            })
        }

        /// The names of `path`'s children (unordered).
        pub fn get_children(&$($mutability)? self, path: &str) -> $ret<Vec<String>> {
            self.call_then(Ok($crate::Request::get_children(path, false)), |reply| match reply?.0 {
                $crate::Response::GetChildren { children, .. } => Ok(children),
                other => $crate::for_drivers::wrong_reply("getChildren", other),
            })
        }

        /// `path`'s children and its own Stat (getChildren2).
        pub fn get_children_with_stat(
            &$($mutability)? self,
            path: &str,
        ) -> $ret<(Vec<String>, $crate::Stat)> {
            let request = $crate::Request::GetChildren {
                path: path.to_string(),
                watch: false,
                with_stat: true,
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::GetChildren {
                    children,
                    stat: Some(stat),
                } => Ok((children, stat)),
                other => $crate::for_drivers::wrong_reply("getChildren2", other),
            })
        }

        /// Makes the connected server catch up with the leader for `path`; returns the
        /// path synced (a client path: the chroot stripped).
        pub fn sync(&$($mutability)? self, path: &str) -> $ret<String> {
            let request = $crate::Request::Sync {
                path: path.to_string(),
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::Sync { path } => Ok(path),
                other => $crate::for_drivers::wrong_reply("sync", other),
            })
        }

        /// Runs an atomic transaction; on failure nothing was applied and the error is
        /// [`Error::TransactionFailed`](crate::Error::TransactionFailed) naming the failing op.
        pub fn multi(
            &$($mutability)? self,
            transaction: $crate::Transaction,
        ) -> $ret<Vec<$crate::OpResult>> {
            self.call_then(transaction.into_request(), |reply| match reply?.0 {
                $crate::Response::Multi(results) => Ok($crate::for_drivers::transaction_results(results)),
                other => $crate::for_drivers::wrong_reply("multi", other),
            })
        }

        /// Runs a batch of reads (servers 3.6+); each read has its own result.
        pub fn multi_read(
            &$($mutability)? self,
            batch: $crate::ReadBatch,
        ) -> $ret<Vec<$crate::Result<$crate::ReadResult>>> {
            let paths = batch.paths();
            let chroot = self.with_session(|session| session.chroot().as_str().map(str::to_string));
            self.call_then(Ok(batch.into_request()), move |reply| match reply?.0 {
                $crate::Response::MultiRead(results) => {
                    Ok($crate::for_drivers::read_results(results, &paths, chroot.as_deref()))
                }
                other => $crate::for_drivers::wrong_reply("multiRead", other),
            })
        }

        /// The ensemble's dynamic configuration (`/zookeeper/config`) and its Stat.
        pub fn get_config(&$($mutability)? self) -> $ret<($crate::Bytes, $crate::Stat)> {
            self.call_then(Ok($crate::Request::GetConfig { watch: false }), |reply| match reply?.0 {
                $crate::Response::GetConfig { data, stat } => Ok((data, stat)),
                other => $crate::for_drivers::wrong_reply("getConfig", other),
            })
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
        ) -> $ret<($crate::Bytes, $crate::Stat)> {
            let request = $crate::Request::Reconfig {
                joining: joining.map(str::to_string),
                leaving: leaving.map(str::to_string),
                new_members: new_members.map(str::to_string),
                config_id,
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::Reconfig { data, stat } => Ok((data, stat)),
                other => $crate::for_drivers::wrong_reply("reconfig", other),
            })
        }

        /// The identities the server associates with this connection (servers 3.7+).
        pub fn who_am_i(&$($mutability)? self) -> $ret<Vec<$crate::ClientInfo>> {
            self.call_then(Ok($crate::Request::WhoAmI), |reply| match reply?.0 {
                $crate::Response::WhoAmI(infos) => Ok(infos),
                other => $crate::for_drivers::wrong_reply("whoAmI", other),
            })
        }

        /// This session's ephemeral nodes whose server path starts with `prefix` (`/` for
        /// all). Neither the prefix nor the result is chrooted (as in Java). A prefix that
        /// is no valid path (`app`, `/app/`) fails with
        /// [`Error::InvalidPath`](crate::Error::InvalidPath), as Java refuses it.
        pub fn get_ephemerals(&$($mutability)? self, prefix: &str) -> $ret<Vec<String>> {
            let request = $crate::Request::GetEphemerals {
                prefix: prefix.to_string(),
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::GetEphemerals(paths) => Ok(paths),
                other => $crate::for_drivers::wrong_reply("getEphemerals", other),
            })
        }

        /// The number of descendants of `path` (servers 3.6+).
        pub fn get_all_children_number(&$($mutability)? self, path: &str) -> $ret<i32> {
            let request = $crate::Request::GetAllChildrenNumber {
                path: path.to_string(),
            };
            self.call_then(Ok(request), |reply| match reply?.0 {
                $crate::Response::GetAllChildrenNumber(n) => Ok(n),
                other => $crate::for_drivers::wrong_reply("getAllChildrenNumber", other),
            })
        }

        /// Removes one watch. When it is this session's only registration on the node,
        /// the server is told to drop its watch (removeWatches), so it stops notifying;
        /// else it is asked (checkWatches) whether it holds one of that kind, and the
        /// registration is dropped here. A `*WatchRemoved` event for it follows; a watch
        /// that fired meanwhile fails with [`Error::NoWatcher`](crate::Error::NoWatcher).
        /// Persistent kinds go to the server as Any unless
        /// [`Options::persistent_watcher_types`](crate::Options::persistent_watcher_types) is set (servers before 3.9).
        pub fn remove_watch(&$($mutability)? self, handle: $crate::WatchHandle) -> $ret<()> {
            let path = self.registered_path(handle);
            self.remove(path, handle.kind().watcher_type(), Some(handle.id()), false)
        }

        /// Removes one watch here at once, whether or not a server can be reached
        /// (Java's `local = true`): it fires no more and is not set again on a
        /// reconnect, its `*WatchRemoved` event follows, and the answer is `Ok` whatever
        /// the server says. While connected the server is told too (removeWatches) when
        /// this was the client's only watch on the path, so that it stops notifying;
        /// with others left there (or a watching read of the path unanswered) the
        /// server keeps its watch for them, and a notification this watch would have had
        /// fires nothing here. While disconnected nothing is sent later: the reconnect
        /// leaves the watch out.
        pub fn remove_watch_locally(&$($mutability)? self, handle: $crate::WatchHandle) -> $ret<()> {
            let path = self.registered_path(handle);
            self.remove(path, handle.kind().watcher_type(), Some(handle.id()), true)
        }

        /// Removes every watch of `watcher_type` on `path`, here and on the server
        /// (removeWatches). Fails with [`Error::NoWatcher`](crate::Error::NoWatcher) if this client holds none.
        /// `Persistent` and `PersistentRecursive` go to the server as `Any` unless
        /// [`Options::persistent_watcher_types`](crate::Options::persistent_watcher_types) is set, which on servers before 3.9 (the
        /// only form they accept) removes every watch of the session on `path`, here too.
        /// Servers 3.6–3.8 also drop a persistent watch of the session on `path` when its
        /// `Data` or `Children` watches are removed (ZOOKEEPER-4471, fixed in 3.9), while
        /// this client still holds the persistent registration: there, keep persistent
        /// and one-shot watches on different paths, or set the persistent one again.
        pub fn remove_watches(
            &$($mutability)? self,
            path: &str,
            watcher_type: $crate::WatcherType,
        ) -> $ret<()> {
            self.remove(Ok(path.to_string()), watcher_type, None, false)
        }

        /// Removes every watch of `watcher_type` on `path` here at once, whether or
        /// not a server can be reached (Java's `local = true`): they fire no more and
        /// are not set again on a reconnect, their `*WatchRemoved` events follow, and
        /// the answer is `Ok` whatever the server says. Fails with
        /// [`Error::NoWatcher`](crate::Error::NoWatcher) if this client holds none.
        /// While connected the server is told too (removeWatches), so that it stops
        /// notifying, unless that would take a watch this client still holds from
        /// it: while a watching read of `path` is unanswered, and on servers before 3.9
        /// (without [`Options::persistent_watcher_types`](crate::Options::persistent_watcher_types))
        /// for `Persistent`/`PersistentRecursive` (which go as `Any`) while other
        /// watches are left on `path`, or for the other types while a persistent watch
        /// is. Then the server keeps notifying, and what only the removed watches
        /// would have had fires nothing here. While disconnected nothing is sent later:
        /// the reconnect leaves the removed watches out.
        pub fn remove_watches_locally(
            &$($mutability)? self,
            path: &str,
            watcher_type: $crate::WatcherType,
        ) -> $ret<()> {
            self.remove(Ok(path.to_string()), watcher_type, None, true)
        }

        /// The watches this client holds on `path` of the kinds `watcher_type` covers,
        /// oldest first. Answered from the session's registrations, without the server
        /// ([`Self::check_watches_on_server`] asks the server).
        pub fn check_watches(
            &self,
            path: &str,
            watcher_type: $crate::WatcherType,
        ) -> Vec<$crate::WatchHandle> {
            let mut found: Vec<$crate::WatchHandle> = self.with_session(|session| {
                session
                    .watches_on(path)
                    .filter(|r| watcher_type.covers(r.kind))
                    .map($crate::for_drivers::watch_handle)
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
            watcher_type: $crate::WatcherType,
        ) -> $ret<bool> {
            let request = $crate::Request::CheckWatches {
                path: path.to_string(),
                watcher_type,
            };
            self.call_then(Ok(request), |reply| match reply {
                Ok(($crate::Response::CheckWatches, _)) => Ok(true),
                Ok((other, _)) => $crate::for_drivers::wrong_reply("checkWatches", other),
                Err(e) if e.code() == Some($crate::ErrorCode::NoWatcher) => Ok(false),
                Err(e) => Err(e),
            })
        }

        /// Removes watches of `watcher_type` on `path` (only `registration`, if given),
        /// here and, unless `local`, on the server.
        fn remove(
            &$($mutability)? self,
            path: $crate::Result<String>,
            watcher_type: $crate::WatcherType,
            registration: Option<$crate::RequestId>,
            local: bool,
        ) -> $ret<()> {
            // The server's NoWatcher (the watch fired meanwhile) arrives as the same
            // `Error::NoWatcher` as the session's own check gives.
            let request = path.map(|path| $crate::Request::RemoveWatches {
                path,
                watcher_type,
                registration,
                local,
            });
            self.call_then(request, |reply| match reply?.0 {
                $crate::Response::RemoveWatches => Ok(()),
                other => $crate::for_drivers::wrong_reply("removeWatches", other),
            })
        }

        /// The path of a watch this client still holds.
        fn registered_path(&self, handle: $crate::WatchHandle) -> $crate::Result<String> {
            self.with_session(|session| {
                session
                    .registration(handle.id())
                    .filter(|r| r.kind == handle.kind())
                    .map(|r| r.path.to_string())
            })
            .ok_or_else($crate::Error::no_watcher)
        }
    };

    (@blocking [$($mutability:ident)?]) => {
        /// Like [`Self::exists`], and leaves a watch that fires when the node is
        /// created, deleted or changed.
        pub fn exists_watch(
            &$($mutability)? self,
            path: &str,
        ) -> $crate::Result<(Option<$crate::Stat>, $crate::WatchHandle)> {
            self.call_then(Ok($crate::Request::exists(path, true)), |reply| match reply? {
                ($crate::Response::Exists(stat), Some(w)) => Ok((stat, w)),
                other => $crate::for_drivers::wrong_reply("exists with a watch", other),
            })
        }

        /// Like [`Self::get_data`], and leaves a data watch (fires on change or delete).
        pub fn get_data_watch(
            &$($mutability)? self,
            path: &str,
        ) -> $crate::Result<($crate::Bytes, $crate::Stat, $crate::WatchHandle)> {
            self.call_then(Ok($crate::Request::get_data(path, true)), |reply| match reply? {
                ($crate::Response::GetData { data, stat }, Some(w)) => Ok((data, stat, w)),
                other => $crate::for_drivers::wrong_reply("getData with a watch", other),
            })
        }

        /// Like [`Self::get_children`], and leaves a child watch (fires when a child is
        /// added or removed, or the node is deleted).
        pub fn get_children_watch(
            &$($mutability)? self,
            path: &str,
        ) -> $crate::Result<(Vec<String>, $crate::WatchHandle)> {
            self.call_then(Ok($crate::Request::get_children(path, true)), |reply| match reply? {
                ($crate::Response::GetChildren { children, .. }, Some(w)) => Ok((children, w)),
                other => $crate::for_drivers::wrong_reply("getChildren with a watch", other),
            })
        }

        /// Like [`Self::get_children_with_stat`], and leaves a child watch (Java's
        /// `getChildren(path, watch, stat)`).
        pub fn get_children_with_stat_watch(
            &$($mutability)? self,
            path: &str,
        ) -> $crate::Result<(Vec<String>, $crate::Stat, $crate::WatchHandle)> {
            let request = $crate::Request::GetChildren {
                path: path.to_string(),
                watch: true,
                with_stat: true,
            };
            self.call_then(Ok(request), |reply| match reply? {
                ($crate::Response::GetChildren { children, stat: Some(stat) }, Some(w)) => {
                    Ok((children, stat, w))
                }
                other => $crate::for_drivers::wrong_reply("getChildren2 with a watch", other),
            })
        }

        /// Like [`Self::get_config`], and leaves a data watch on the config node.
        pub fn get_config_watch(
            &$($mutability)? self,
        ) -> $crate::Result<($crate::Bytes, $crate::Stat, $crate::WatchHandle)> {
            self.call_then(Ok($crate::Request::GetConfig { watch: true }), |reply| match reply? {
                ($crate::Response::GetConfig { data, stat }, Some(w)) => Ok((data, stat, w)),
                other => $crate::for_drivers::wrong_reply("getConfig with a watch", other),
            })
        }

        /// Adds a persistent watch on `path` (servers 3.6+): it stays after firing.
        /// `PersistentRecursive` also covers every descendant.
        ///
        /// On servers before 3.9 a one-shot watch (`*_watch` reads) and a persistent
        /// watch of the same session on the same path interfere: the server keeps one
        /// watch mode per session and path, so the later replaces the earlier
        /// (ZOOKEEPER-4466; the Java client suffers it too). Keep them on different
        /// paths or in different sessions.
        pub fn add_watch(
            &$($mutability)? self,
            path: &str,
            mode: $crate::AddWatchMode,
        ) -> $crate::Result<$crate::WatchHandle> {
            let request = $crate::for_drivers::add_watch_request(path, mode);
            self.call_then(request, |reply| match reply? {
                ($crate::Response::AddWatch, Some(w)) => Ok(w),
                other => $crate::for_drivers::wrong_reply("addWatch", other),
            })
        }

        /// Adds credentials to the session (sent again after every reconnect) and waits
        /// until the server has processed them. A rejection ends the session:
        /// [`Error::AuthFailed`](crate::Error::AuthFailed).
        pub fn add_auth(&$($mutability)? self, scheme: &str, auth: impl $crate::IntoData) -> $crate::Result<()> {
            self.send_auth(scheme, auth.into_data())?;
            self.confirm_auth()
        }

        /// A round trip after auth packets: the server answers them before any later
        /// request, so once this returns the credentials were accepted.
        pub(crate) fn confirm_auth(&$($mutability)? self) -> $crate::Result<()> {
            let reply = self.call_watch($crate::Request::exists("/", false));
            let state = self.with_session(|s| s.state());
            $crate::for_drivers::auth_confirmed(reply.map(drop), state)
        }

        /// Submits `request` (or fails with its error), waits for the reply and unpacks it.
        fn call_then<T>(
            &$($mutability)? self,
            request: $crate::Result<$crate::Request>,
            unpack: impl FnOnce($crate::Result<($crate::Response, Option<$crate::WatchHandle>)>) -> $crate::Result<T>,
        ) -> $crate::Result<T> {
            unpack(request.and_then(|r| self.call_watch(r)))
        }
    };
}

/// The create request for `options` (create2 when `with_stat`).
pub fn create_request(
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

/// The addWatch request for `mode` (an unknown mode is refused here).
pub fn add_watch_request(path: &str, mode: zk_proto::AddWatchMode) -> Result<Request> {
    let recursive = match mode {
        zk_proto::AddWatchMode::Persistent => false,
        zk_proto::AddWatchMode::PersistentRecursive => true,
        zk_proto::AddWatchMode::Unknown(m) => {
            return Err(Error::InvalidArgument(format!(
                "unknown add-watch mode {m}"
            )));
        }
    };
    Ok(Request::AddWatch {
        path: path.to_string(),
        recursive,
    })
}

/// What the round trip after an auth packet says: the credentials were accepted, or
/// the session (`state` after it) failed them.
pub fn auth_confirmed(round_trip: Result<()>, state: SessionState) -> Result<()> {
    match round_trip {
        Ok(()) => Ok(()),
        // The server requires another scheme: that error says so.
        Err(Error::SaslRequired) => Err(Error::SaslRequired),
        Err(_) if state == SessionState::AuthFailed => Err(Error::AuthFailed),
        Err(e) => Err(e),
    }
}

/// A reply whose shape does not fit its request. The session checks every reply's
/// body against its request (a mismatch drops the connection), so this is a bug in the
/// session or in this client, never the server's doing.
pub fn wrong_reply(op: &str, reply: impl Debug) -> ! {
    unreachable!("{op} answered with {reply:?}")
}
