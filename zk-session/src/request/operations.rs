//! The table of operations: for each, the request users build, how it is checked and
//! put on the wire, the response it becomes, and (for some) its local or NoNode
//! answer. Adding an operation is one entry here.

use std::time::Duration;

use bytes::Bytes;
use zk_proto::{
    Acl, AddWatchMode, AddWatchRequest, CheckWatchesRequest, ClientInfo, CreateMode, DeleteRequest,
    ExistsRequest, GetAclRequest, GetAllChildrenNumberRequest, GetChildren2Request,
    GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, MultiOp, MultiRequest, MultiResponse,
    MultiResult, ReconfigRequest, RemoveWatchesRequest, SetAclRequest, SetDataRequest, Stat,
    SyncRequest, WireRequest as W, WireResponse, WireResponse as R,
};

use crate::chroot::{Chroot, PathUse};
use crate::error::SubmitError;
use crate::id::RequestId;
use crate::version::Version;
use crate::watch::{WatchKind, WatcherType};

use super::prepare::{
    CONFIG_NODE, Context, Outgoing, Removal, check_acl, check_path, check_version, prepare_multi,
    ttl_millis,
};

/// A multi's results with the chroot stripped from created paths.
fn client_results(m: MultiResponse, chroot: &Chroot) -> Vec<MultiResult> {
    m.results
        .into_iter()
        .map(|res| match res {
            MultiResult::Create(mut c) => {
                c.path = chroot.strip(c.path);
                MultiResult::Create(c)
            }
            MultiResult::Create2(mut c) => {
                c.path = chroot.strip(c.path);
                MultiResult::Create2(c)
            }
            other => other,
        })
        .collect()
}

operations! {
    /// Create a node. The op code follows the mode: createTTL (21) for TTL modes,
    /// createContainer (19) for containers, else create2 (15) when `with_stat`, else
    /// create (1). `ttl` is required for TTL modes and refused otherwise.
    Create {
        /// Client path (may end with `/` for sequential modes).
        path: String,
        /// Node data.
        data: Bytes,
        /// Must not be empty.
        acl: Vec<Acl>,
        /// Create mode.
        mode: CreateMode,
        /// How long the node may stay childless and unmodified (TTL modes only;
        /// whole milliseconds, at most [`zk_proto::MAX_TTL`] ms).
        ttl: Option<Duration>,
        /// Ask for the new node's Stat.
        with_stat: bool,
    }
    prepare(cx) {
        let ttl = ttl.map(ttl_millis);
        mode.validate_ttl(ttl).map_err(SubmitError::InvalidCreate)?;
        check_path(&path, mode.is_sequential())?;
        check_acl(&acl, &path, cx.chroot)?;
        let use_ = if mode.is_sequential() {
            PathUse::SequentialCreate
        } else {
            PathUse::Other
        };
        let server = cx.chroot.server_path_owned(path, use_);
        let wire = W::create(server, data, acl, mode, ttl, with_stat)
            .map_err(SubmitError::InvalidCreate)?;
        cx.send_derived(wire, None)
    }
    =>
    /// The created node's client path (with any sequence suffix), and its Stat when
    /// asked for (always present for container and TTL creates).
    {
        /// Client path of the new node.
        path: String,
        /// Stat, for create2/container/TTL.
        stat: Option<Stat>,
    }
    reply(chroot) {
        R::Create(r) => Response::Create { path: chroot.strip(r.path), stat: None },
        R::Create2(r) => Response::Create { path: chroot.strip(r.path), stat: Some(r.stat) },
    };

    /// Delete a node.
    Delete {
        /// Client path.
        path: String,
        /// Expected data version.
        version: Version,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::Delete(DeleteRequest {
            path: cx.chroot.server_path_owned(path, PathUse::Delete),
            version: check_version(version)?,
        });
        cx.send_derived(wire, None)
    }
    =>
    /// The node was deleted.
    reply(chroot) { R::Empty => Response::Delete };

    /// Stat a node; with `watch`, registers a data watch (node exists) or an exist
    /// watch (node missing).
    Exists {
        /// Client path.
        path: String,
        /// Leave a watch.
        watch: bool,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::Exists(ExistsRequest { path: cx.chroot.prepend_owned(path), watch });
        cx.send_derived(wire, watch.then_some(WatchKind::Data))
    }
    =>
    /// The node's Stat, or `None` when it does not exist (the server's NoNode).
    (Option<Stat>)
    reply(chroot) { R::Exists(r) => Response::Exists(Some(r.stat)) }
    // A missing node is an answer, and an exist watch waits for its creation.
    on_no_node(watch) { (watch.map(|_| WatchKind::Exist), Response::Exists(None)) };

    /// Read data and Stat; with `watch`, registers a data watch.
    GetData {
        /// Client path.
        path: String,
        /// Leave a watch.
        watch: bool,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::GetData(GetDataRequest { path: cx.chroot.prepend_owned(path), watch });
        cx.send_derived(wire, watch.then_some(WatchKind::Data))
    }
    =>
    /// Data and Stat.
    {
        /// Node data.
        data: Bytes,
        /// Node Stat.
        stat: Stat,
    }
    reply(chroot) { R::GetData(r) => Response::GetData { data: r.data, stat: r.stat } };

    /// Write data.
    SetData {
        /// Client path.
        path: String,
        /// New data.
        data: Bytes,
        /// Expected data version.
        version: Version,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::SetData(Box::new(SetDataRequest {
            path: cx.chroot.prepend_owned(path),
            data,
            version: check_version(version)?,
        }));
        cx.send_derived(wire, None)
    }
    =>
    /// The new Stat.
    (Stat)
    reply(chroot) { R::SetData(r) => Response::SetData(r.stat) };

    /// Read the ACL.
    GetAcl {
        /// Client path.
        path: String,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::GetAcl(GetAclRequest { path: cx.chroot.prepend_owned(path) });
        cx.send_derived(wire, None)
    }
    =>
    /// ACL and Stat.
    {
        /// The ACL.
        acl: Vec<Acl>,
        /// Node Stat.
        stat: Stat,
    }
    reply(chroot) { R::GetAcl(r) => Response::GetAcl { acl: r.acl, stat: r.stat } };

    /// Replace the ACL.
    SetAcl {
        /// Client path.
        path: String,
        /// New ACL, not empty.
        acl: Vec<Acl>,
        /// Expected ACL version (the Stat's `aversion`).
        version: Version,
    }
    prepare(cx) {
        check_path(&path, false)?;
        check_acl(&acl, &path, cx.chroot)?;
        let wire = W::SetAcl(Box::new(SetAclRequest {
            path: cx.chroot.prepend_owned(path),
            acl,
            version: check_version(version)?,
        }));
        cx.send_derived(wire, None)
    }
    =>
    /// The new Stat.
    (Stat)
    reply(chroot) { R::SetAcl(r) => Response::SetAcl(r.stat) };

    /// List children (op 12 with `with_stat`, else 8); with `watch`, registers a
    /// child watch.
    GetChildren {
        /// Client path.
        path: String,
        /// Leave a watch.
        watch: bool,
        /// Also return the parent's Stat.
        with_stat: bool,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let server = cx.chroot.prepend_owned(path);
        let wire = if with_stat {
            W::GetChildren2(GetChildren2Request { path: server, watch })
        } else {
            W::GetChildren(GetChildrenRequest { path: server, watch })
        };
        cx.send_derived(wire, watch.then_some(WatchKind::Child))
    }
    =>
    /// Child names (unordered), and the parent's Stat when asked for.
    {
        /// Child names, relative.
        children: Vec<String>,
        /// Parent Stat, with `with_stat`.
        stat: Option<Stat>,
    }
    reply(chroot) {
        R::GetChildren(r) => Response::GetChildren { children: r.children, stat: None },
        R::GetChildren2(r) => Response::GetChildren { children: r.children, stat: Some(r.stat) },
    };

    /// Sync the connected server with the leader for this path.
    Sync {
        /// Client path.
        path: String,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::Sync(SyncRequest { path: cx.chroot.prepend_owned(path) });
        cx.send_derived(wire, None)
    }
    =>
    /// The synced path, as a client path (chroot stripped, as C does and as Java's
    /// callback reports it).
    {
        /// Client path.
        path: String,
    }
    reply(chroot) { R::Sync(r) => Response::Sync { path: chroot.strip(r.path) } };

    /// An atomic transaction of create/delete/setData/check sub-ops (client paths).
    /// An empty list is answered locally with an empty result, as Java does (in
    /// submit order: after the replies of every request submitted before it).
    Multi(Vec<MultiOp>) as (ops)
    prepare(cx) {
        if ops.is_empty() {
            cx.answer_locally(W::Multi(MultiRequest { ops }), "")
        } else {
            cx.send(W::Multi(prepare_multi(ops, false, cx.chroot)?), "", None)
        }
    }
    =>
    /// One result per sub-op; created paths are client paths. A failed (rolled back)
    /// transaction is no `Multi` but [`crate::RequestError::TransactionFailed`],
    /// naming the failing sub-op.
    (Vec<MultiResult>)
    reply(chroot) { R::Multi(m) => Response::Multi(client_results(m, chroot)) }
    local { Response::Multi(Vec::new()) };

    /// Independent reads: getData / getChildren sub-ops (client paths; the watch
    /// flags are ignored by the server).
    MultiRead(Vec<MultiOp>) as (ops)
    prepare(cx) {
        if ops.is_empty() {
            cx.answer_locally(W::MultiRead(MultiRequest { ops }), "")
        } else {
            cx.send(W::MultiRead(prepare_multi(ops, true, cx.chroot)?), "", None)
        }
    }
    =>
    /// One result per read; each may be an `Error`.
    (Vec<MultiResult>)
    reply(chroot) { R::Multi(m) => Response::MultiRead(client_results(m, chroot)) }
    local { Response::MultiRead(Vec::new()) };

    /// Read `/zookeeper/config` (never chrooted), optionally watching it.
    GetConfig {
        /// Leave a data watch on the config node.
        watch: bool,
    }
    prepare(cx) {
        let wire = W::GetData(GetDataRequest { path: CONFIG_NODE.to_string(), watch });
        cx.send(wire, CONFIG_NODE, watch.then_some(WatchKind::Data))
    }
    =>
    /// The config text and the config node's Stat.
    {
        /// Config text.
        data: Bytes,
        /// Stat.
        stat: Stat,
    }
    reply(chroot) { R::GetData(r) => Response::GetConfig { data: r.data, stat: r.stat } };

    /// Change the ensemble (admin op); `None` strings are sent as null.
    Reconfig {
        /// Servers to add.
        joining: Option<String>,
        /// Servers to remove.
        leaving: Option<String>,
        /// A whole new membership.
        new_members: Option<String>,
        /// Expected config version; `None` skips the check.
        config_id: Option<i64>,
    }
    prepare(cx) {
        let wire = W::Reconfig(Box::new(ReconfigRequest {
            joining_servers: joining,
            leaving_servers: leaving,
            new_members,
            cur_config_id: config_id.unwrap_or(-1),
        }));
        cx.send(wire, "", None)
    }
    =>
    /// The new config text and Stat.
    {
        /// Config text.
        data: Bytes,
        /// Stat.
        stat: Stat,
    }
    reply(chroot) { R::Reconfig(r) => Response::Reconfig { data: r.data, stat: r.stat } };

    /// Ask the server which identities this connection has (3.7+).
    WhoAmI
    prepare(cx) { cx.send(W::WhoAmI, "", None) }
    =>
    /// The identities of this connection.
    (Vec<ClientInfo>)
    reply(chroot) { R::WhoAmI(r) => Response::WhoAmI(r.client_info) };

    /// This session's ephemeral nodes whose **server** path starts with `prefix` (the
    /// prefix is not chrooted and results are server paths, as in Java). A prefix
    /// other than the empty one must be a valid path, as Java checks it: `app` or
    /// `/app/` would match nothing and only hide the mistake.
    GetEphemerals {
        /// Server path prefix; `/` or empty for all.
        prefix: String,
    }
    prepare(cx) {
        if !prefix.is_empty() {
            check_path(&prefix, false)?;
        }
        cx.send(W::GetEphemerals(GetEphemeralsRequest { prefix_path: prefix }), "", None)
    }
    =>
    /// Server paths of this session's ephemerals.
    (Vec<String>)
    reply(chroot) { R::GetEphemerals(r) => Response::GetEphemerals(r.ephemerals) };

    /// Count all descendants of a node.
    GetAllChildrenNumber {
        /// Client path.
        path: String,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::GetAllChildrenNumber(GetAllChildrenNumberRequest {
            path: cx.chroot.prepend_owned(path),
        });
        cx.send_derived(wire, None)
    }
    =>
    /// Number of descendants.
    (i32)
    reply(chroot) {
        R::GetAllChildrenNumber(r) => Response::GetAllChildrenNumber(r.total_number),
    };

    /// Add a persistent (or persistent recursive) watch (3.6+).
    AddWatch {
        /// Client path.
        path: String,
        /// Watch the whole subtree.
        recursive: bool,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let (mode, kind) = if recursive {
            (AddWatchMode::PersistentRecursive, WatchKind::PersistentRecursive)
        } else {
            (AddWatchMode::Persistent, WatchKind::Persistent)
        };
        let wire = W::AddWatch(AddWatchRequest { path: cx.chroot.prepend_owned(path), mode });
        cx.send_derived(wire, Some(kind))
    }
    =>
    /// The watch was added.
    reply(chroot) { R::AddWatch(_) => Response::AddWatch }
    // Java's AddWatchRegistration registers on NoNode too, though servers answer
    // addWatch Ok on missing nodes.
    on_no_node(watch) { (watch, Response::AddWatch) };

    /// Remove watches on `path`. With `registration`, only that registration is
    /// removed (at the server path it is keyed under, which for getConfig's watch is
    /// `/zookeeper/config` whatever the chroot): the server is sent removeWatches (18)
    /// when it is this session's only registration on the node, so it stops
    /// notifying, else checkWatches (17). Without, every registration of the type is
    /// removed with removeWatches. Either way, if the registrations fired meanwhile
    /// the reply is `Server(NoWatcher)`. With `local` (Java's `local = true`), the
    /// registrations must exist at submit and are removed then (they fire no more and
    /// are not re-registered), and the reply is Ok, in submit order, whatever the
    /// server answers or if the connection is lost (a request timeout or the end of
    /// the session still fail it). While connected the server is told
    /// too, as the non-local form would tell it (removeWatches for the type; for one
    /// registration only when it was the session's only one on the node), so that it
    /// stops notifying; not when that would strip a watch a registration still here
    /// needs: while a watching request on the node is pending, and on the pre-3.9
    /// wire (no [`crate::Config::persistent_watcher_types`]) for a persistent type
    /// (sent as Any) while other registrations remain on the node, or for another
    /// type while a persistent one remains (such servers keep one watch per session
    /// and node). While disconnected nothing is kept for later (the reconnect's
    /// SetWatches leaves the removed watch out), nor is a removal its lost
    /// connection never carried sent on the next.
    /// Removed registrations get a watch-removed event.
    /// Persistent types go to the server as Any unless
    /// [`crate::Config::persistent_watcher_types`] is set; a non-local removal of
    /// every persistent registration that way also removes the path's other
    /// registrations (see there).
    RemoveWatches {
        /// Client path.
        path: String,
        /// Which tables.
        watcher_type: WatcherType,
        /// Only this registration.
        registration: Option<RequestId>,
        /// Remove here at submit and answer Ok whatever the server says (it is told
        /// while connected, when that strips nothing still needed here).
        local: bool,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let server = cx.chroot.prepend(&path);
        let removal = Removal { watcher_type, registration, removes: watcher_type };
        if local {
            // Removed here at submit; the session decides whether the server is told
            // too (this wire then goes out; else it is never written).
            let wire = W::RemoveWatches(RemoveWatchesRequest {
                path: server,
                watcher_type: cx.wire_watcher_type(watcher_type),
            });
            cx.answer_locally(wire, path).map(|o| o.removing(removal))
        } else {
            // removeWatches sent as Any (persistent type, pre-3.9 wire) removes every
            // watch of this session on the path from the server; a success then drops
            // the same here, so that no registration is left the server no longer
            // backs.
            let widened = registration.is_none()
                && watcher_type.is_persistent()
                && !cx.persistent_types;
            let removes = if widened { WatcherType::Any } else { watcher_type };
            let watcher_type = cx.wire_watcher_type(watcher_type);
            let wire = if registration.is_some() {
                W::CheckWatches(CheckWatchesRequest { path: server, watcher_type })
            } else {
                W::RemoveWatches(RemoveWatchesRequest { path: server, watcher_type })
            };
            cx.send(wire, path, None).map(|o| o.removing(Removal { removes, ..removal }))
        }
    }
    =>
    /// The watches were removed (their removal events are delivered separately).
    reply(chroot) { R::Empty => Response::RemoveWatches }
    local { Response::RemoveWatches };

    /// Ask the server whether it holds a watch of `watcher_type` on `path` for this
    /// session (checkWatches, op 17), without removing anything here or there.
    /// Answers [`Response::CheckWatches`], or `Server(NoWatcher)` when the server
    /// holds none. The local registrations are not consulted (see
    /// [`crate::Session::watches`]). Persistent types follow
    /// [`crate::Config::persistent_watcher_types`].
    CheckWatches {
        /// Client path.
        path: String,
        /// Which kinds to look for.
        watcher_type: WatcherType,
    }
    prepare(cx) {
        check_path(&path, false)?;
        let wire = W::CheckWatches(CheckWatchesRequest {
            path: cx.chroot.prepend_owned(path),
            watcher_type: cx.wire_watcher_type(watcher_type),
        });
        cx.send_derived(wire, None)
    }
    =>
    /// The server holds a watch of the type asked for.
    reply(chroot) { R::Empty => Response::CheckWatches };
}
