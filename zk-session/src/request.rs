//! User-facing requests and their typed results, and their translation to wire records.

use std::time::Duration;

use bytes::Bytes;
use zk_proto::{
    Acl, AddWatchMode, CheckWatchesRequest, ClientInfo, CreateMode, DeleteRequest, ExistsRequest,
    GetAclRequest, GetAllChildrenNumberRequest, GetChildren2Request, GetChildrenRequest,
    GetDataRequest, GetEphemeralsRequest, MultiOp, MultiRequest, MultiResult, ReconfigRequest,
    RemoveWatchesRequest, SetAclRequest, SetDataRequest, Stat, SyncRequest, validate_path,
};

use crate::chroot::{Chroot, PathUse};
use crate::data::IntoData;
use crate::error::SubmitError;
use crate::id::RequestId;
use crate::version::Version;
use crate::watch::{WatchKind, WatcherType};

/// The path of the dynamic configuration node; never chrooted.
pub const CONFIG_NODE: &str = "/zookeeper/config";

/// One client operation. Paths are client paths: the chroot is prepended by the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
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
    },
    /// Delete a node.
    Delete {
        /// Client path.
        path: String,
        /// Expected data version.
        version: Version,
    },
    /// Stat a node; with `watch`, registers a data watch (node exists) or an exist watch
    /// (node missing).
    Exists {
        /// Client path.
        path: String,
        /// Leave a watch.
        watch: bool,
    },
    /// Read data and Stat; with `watch`, registers a data watch.
    GetData {
        /// Client path.
        path: String,
        /// Leave a watch.
        watch: bool,
    },
    /// Write data.
    SetData {
        /// Client path.
        path: String,
        /// New data.
        data: Bytes,
        /// Expected data version.
        version: Version,
    },
    /// Read the ACL.
    GetAcl {
        /// Client path.
        path: String,
    },
    /// Replace the ACL.
    SetAcl {
        /// Client path.
        path: String,
        /// New ACL, not empty.
        acl: Vec<Acl>,
        /// Expected ACL version (the Stat's `aversion`).
        version: Version,
    },
    /// List children (op 12 with `with_stat`, else 8); with `watch`, registers a child
    /// watch.
    GetChildren {
        /// Client path.
        path: String,
        /// Leave a watch.
        watch: bool,
        /// Also return the parent's Stat.
        with_stat: bool,
    },
    /// Sync the connected server with the leader for this path.
    Sync {
        /// Client path.
        path: String,
    },
    /// An atomic transaction of create/delete/setData/check sub-ops (client paths).
    /// An empty list is answered locally with an empty result, as Java does (in submit
    /// order: after the replies of every request submitted before it).
    Multi(Vec<MultiOp>),
    /// Independent reads: getData / getChildren sub-ops (client paths; the watch flags
    /// are ignored by the server).
    MultiRead(Vec<MultiOp>),
    /// Read `/zookeeper/config` (never chrooted), optionally watching it.
    GetConfig {
        /// Leave a data watch on the config node.
        watch: bool,
    },
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
    },
    /// Ask the server which identities this connection has (3.7+).
    WhoAmI,
    /// This session's ephemeral nodes whose **server** path starts with `prefix` (the
    /// prefix is not chrooted and results are server paths, as in Java).
    GetEphemerals {
        /// Server path prefix; `/` or empty for all.
        prefix: String,
    },
    /// Count all descendants of a node.
    GetAllChildrenNumber {
        /// Client path.
        path: String,
    },
    /// Add a persistent (or persistent recursive) watch (3.6+).
    AddWatch {
        /// Client path.
        path: String,
        /// Watch the whole subtree.
        recursive: bool,
    },
    /// Remove watches on `path`. With `registration`, only that registration is
    /// removed (at the server path it is keyed under, which for getConfig's watch is
    /// `/zookeeper/config` whatever the chroot): the server is sent removeWatches (18)
    /// when it is this session's only registration on the node, so it stops
    /// notifying, else checkWatches (17). Without, every registration of the type is
    /// removed with removeWatches. Either way, if the registrations fired meanwhile
    /// the reply is `Server(NoWatcher)`. With `local`, the server is not contacted
    /// at all: the registrations must exist at submit and are removed then (they fire
    /// no more and are not re-registered); only the reply keeps submit order.
    /// Removed registrations get a watch-removed event.
    /// Persistent types go to the server as Any unless
    /// [`crate::Config::persistent_watcher_types`] is set; removing every persistent
    /// registration that way also removes the path's other registrations (see there).
    RemoveWatches {
        /// Client path.
        path: String,
        /// Which tables.
        watcher_type: WatcherType,
        /// Only this registration.
        registration: Option<RequestId>,
        /// Remove locally without asking the server.
        local: bool,
    },
    /// Ask the server whether it holds a watch of `watcher_type` on `path` for this
    /// session (checkWatches, op 17), without removing anything here or there. Answers
    /// [`Response::CheckWatches`], or `Server(NoWatcher)` when the server holds none.
    /// The local registrations are not consulted (see [`crate::Session::watches`]).
    /// Persistent types follow [`crate::Config::persistent_watcher_types`].
    CheckWatches {
        /// Client path.
        path: String,
        /// Which kinds to look for.
        watcher_type: WatcherType,
    },
}

impl Request {
    /// `getData(path)`, optionally leaving a data watch.
    pub fn get_data(path: impl Into<String>, watch: bool) -> Request {
        Request::GetData {
            path: path.into(),
            watch,
        }
    }

    /// `exists(path)`, optionally leaving a watch.
    pub fn exists(path: impl Into<String>, watch: bool) -> Request {
        Request::Exists {
            path: path.into(),
            watch,
        }
    }

    /// `getChildren(path)` without Stat, optionally leaving a child watch.
    pub fn get_children(path: impl Into<String>, watch: bool) -> Request {
        Request::GetChildren {
            path: path.into(),
            watch,
            with_stat: false,
        }
    }

    /// `create(path, data, OPEN_ACL_UNSAFE, mode)` without Stat.
    pub fn create(path: impl Into<String>, data: impl IntoData, mode: CreateMode) -> Request {
        Request::Create {
            path: path.into(),
            data: data.into_data(),
            acl: Acl::open_unsafe(),
            mode,
            ttl: None,
            with_stat: false,
        }
    }

    /// `setData(path, data, version)`.
    pub fn set_data(path: impl Into<String>, data: impl IntoData, version: Version) -> Request {
        Request::SetData {
            path: path.into(),
            data: data.into_data(),
            version,
        }
    }

    /// `delete(path, version)`.
    pub fn delete(path: impl Into<String>, version: Version) -> Request {
        Request::Delete {
            path: path.into(),
            version,
        }
    }
}

/// The successful result of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// The created node's client path (with any sequence suffix), and its Stat when
    /// asked for (always present for container and TTL creates).
    Create {
        /// Client path of the new node.
        path: String,
        /// Stat, for create2/container/TTL.
        stat: Option<Stat>,
    },
    /// The node was deleted.
    Delete,
    /// The node's Stat, or `None` when it does not exist (the server's NoNode).
    Exists(Option<Stat>),
    /// Data and Stat.
    GetData {
        /// Node data.
        data: Bytes,
        /// Node Stat.
        stat: Stat,
    },
    /// The new Stat.
    SetData(Stat),
    /// ACL and Stat.
    GetAcl {
        /// The ACL.
        acl: Vec<Acl>,
        /// Node Stat.
        stat: Stat,
    },
    /// The new Stat.
    SetAcl(Stat),
    /// Child names (unordered), and the parent's Stat when asked for.
    GetChildren {
        /// Child names, relative.
        children: Vec<String>,
        /// Parent Stat, with `with_stat`.
        stat: Option<Stat>,
    },
    /// The synced path, as a client path (chroot stripped, as C does and as Java's
    /// callback reports it).
    Sync {
        /// Client path.
        path: String,
    },
    /// One result per sub-op; created paths are client paths. A failed transaction has
    /// every result an `Error` (see [`zk_proto::MultiResponse::first_error`]).
    Multi(Vec<MultiResult>),
    /// One result per read; each may be an `Error`.
    MultiRead(Vec<MultiResult>),
    /// The config text and the config node's Stat.
    GetConfig {
        /// Config text.
        data: Bytes,
        /// Stat.
        stat: Stat,
    },
    /// The new config text and Stat.
    Reconfig {
        /// Config text.
        data: Bytes,
        /// Stat.
        stat: Stat,
    },
    /// The identities of this connection.
    WhoAmI(Vec<ClientInfo>),
    /// Server paths of this session's ephemerals.
    GetEphemerals(Vec<String>),
    /// Number of descendants.
    GetAllChildrenNumber(i32),
    /// The watch was added.
    AddWatch,
    /// The watches were removed (their removal events are delivered separately).
    RemoveWatches,
    /// The server holds a watch of the type asked for.
    CheckWatches,
}

/// How to turn a reply into a [`Response`], and what to register when it succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    Create,
    Delete,
    Exists,
    GetData,
    SetData,
    GetAcl,
    SetAcl,
    GetChildren,
    Sync,
    Multi,
    MultiRead,
    GetConfig,
    Reconfig,
    WhoAmI,
    GetEphemerals,
    GetAllChildrenNumber,
    AddWatch,
    RemoveWatches {
        /// What the caller asked to remove (checked locally at submit).
        watcher_type: WatcherType,
        registration: Option<RequestId>,
        /// What a success removes locally: `watcher_type`, or Any when a persistent
        /// type went to the server as Any with removeWatches.
        removes: WatcherType,
    },
    CheckWatches,
}

/// A request checked and translated for the wire.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The wire request, with server paths.
    pub(crate) wire: zk_proto::WireRequest,
    /// How to read the reply.
    pub(crate) expect: Expect,
    /// The client path, for watch registration, removal and chroot stripping.
    pub(crate) client_path: String,
    /// The table a successful reply registers in (exists chooses Data/Exist itself).
    pub(crate) watch: Option<WatchKind>,
}

/// What `prepare` decided.
pub(crate) enum Prepare {
    /// Send it.
    Send(Prepared),
    /// Answer without the server (empty multi, local watch removal), once every
    /// request submitted before it is answered. `wire` is what it stands for; it is
    /// never written.
    Local(Prepared),
}

fn check_path(path: &str, sequential: bool) -> Result<(), SubmitError> {
    validate_path(path, sequential).map_err(|e| SubmitError::InvalidPath {
        path: path.to_string(),
        why: e.to_string(),
    })
}

/// The wire version; `Exact(-1)` would silently mean "any" on the wire.
fn check_version(version: Version) -> Result<i32, SubmitError> {
    match version {
        Version::Exact(-1) => Err(SubmitError::AmbiguousVersion),
        v => Ok(v.wire()),
    }
}

/// A TTL in whole milliseconds, saturating (an over-long TTL fails validation).
fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

fn check_acl(acl: &[Acl]) -> Result<(), SubmitError> {
    if acl.is_empty() {
        Err(SubmitError::EmptyAcl)
    } else {
        Ok(())
    }
}

fn multi_op_path(op: &mut MultiOp) -> &mut String {
    match op {
        MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => &mut r.path,
        MultiOp::CreateTtl(r) => &mut r.path,
        MultiOp::Delete(r) => &mut r.path,
        MultiOp::SetData(r) => &mut r.path,
        MultiOp::Check(r) => &mut r.path,
        MultiOp::GetData(r) => &mut r.path,
        MultiOp::GetChildren(r) => &mut r.path,
    }
}

fn multi_op_path_use(op: &MultiOp) -> PathUse {
    let sequential = match op {
        MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
            r.flags.is_sequential()
        }
        MultiOp::CreateTtl(r) => r.flags.is_sequential(),
        MultiOp::Delete(_) => return PathUse::Delete,
        _ => false,
    };
    if sequential {
        PathUse::SequentialCreate
    } else {
        PathUse::Other
    }
}

fn prepare_multi(
    mut ops: Vec<MultiOp>,
    reads: bool,
    chroot: &Chroot,
) -> Result<MultiRequest, SubmitError> {
    for (index, op) in ops.iter_mut().enumerate() {
        if op.is_read() != reads {
            return Err(SubmitError::MixedMulti { index });
        }
        match op {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
                check_acl(&r.acl)?;
                r.flags
                    .validate_ttl(None)
                    .map_err(SubmitError::InvalidCreate)?;
            }
            MultiOp::CreateTtl(r) => {
                check_acl(&r.acl)?;
                r.flags
                    .validate_ttl(Some(r.ttl))
                    .map_err(SubmitError::InvalidCreate)?;
            }
            _ => {}
        }
        let use_ = multi_op_path_use(op);
        let path = multi_op_path(op);
        check_path(path, use_ == PathUse::SequentialCreate)?;
        *path = chroot.server_path(path, use_);
    }
    Ok(MultiRequest { ops })
}

/// The watcher type to put on the wire: servers before 3.9 do not know 4 and 5, so
/// unless `persistent_types` is set they are sent as Any (3), which those servers
/// apply to persistent watches too.
fn wire_watcher_type(t: WatcherType, persistent_types: bool) -> zk_proto::WireWatcherType {
    let t = if t.is_persistent() && !persistent_types {
        WatcherType::Any
    } else {
        t
    };
    zk_proto::WireWatcherType::from_i32(t.code())
}

fn local_answer(wire: zk_proto::WireRequest, expect: Expect, client_path: String) -> Prepared {
    Prepared {
        wire,
        expect,
        client_path,
        watch: None,
    }
}

/// Validates `req` and builds its wire form with server paths. `persistent_types`:
/// see [`crate::Config::persistent_watcher_types`].
pub(crate) fn prepare(
    req: Request,
    chroot: &Chroot,
    persistent_types: bool,
) -> Result<Prepare, SubmitError> {
    use zk_proto::WireRequest as W;
    let send = |wire, expect, client_path: String, watch| {
        Ok(Prepare::Send(Prepared {
            wire,
            expect,
            client_path,
            watch,
        }))
    };
    let w = |watch: bool, kind| if watch { Some(kind) } else { None };
    match req {
        Request::Create {
            path,
            data,
            acl,
            mode,
            ttl,
            with_stat,
        } => {
            let ttl = ttl.map(ttl_millis);
            mode.validate_ttl(ttl).map_err(SubmitError::InvalidCreate)?;
            check_path(&path, mode.is_sequential())?;
            check_acl(&acl)?;
            let use_ = if mode.is_sequential() {
                PathUse::SequentialCreate
            } else {
                PathUse::Other
            };
            let wire = W::create(
                chroot.server_path(&path, use_),
                data,
                acl,
                mode,
                ttl,
                with_stat,
            )
            .map_err(SubmitError::InvalidCreate)?;
            send(wire, Expect::Create, path, None)
        }
        Request::Delete { path, version } => {
            check_path(&path, false)?;
            send(
                W::Delete(DeleteRequest {
                    path: chroot.server_path(&path, PathUse::Delete),
                    version: check_version(version)?,
                }),
                Expect::Delete,
                path,
                None,
            )
        }
        Request::Exists { path, watch } => {
            check_path(&path, false)?;
            let wire = W::Exists(ExistsRequest {
                path: chroot.prepend(&path),
                watch,
            });
            send(wire, Expect::Exists, path, w(watch, WatchKind::Data))
        }
        Request::GetData { path, watch } => {
            check_path(&path, false)?;
            let wire = W::GetData(GetDataRequest {
                path: chroot.prepend(&path),
                watch,
            });
            send(wire, Expect::GetData, path, w(watch, WatchKind::Data))
        }
        Request::SetData {
            path,
            data,
            version,
        } => {
            check_path(&path, false)?;
            let wire = W::SetData(SetDataRequest {
                path: chroot.prepend(&path),
                data,
                version: check_version(version)?,
            });
            send(wire, Expect::SetData, path, None)
        }
        Request::GetAcl { path } => {
            check_path(&path, false)?;
            let wire = W::GetAcl(GetAclRequest {
                path: chroot.prepend(&path),
            });
            send(wire, Expect::GetAcl, path, None)
        }
        Request::SetAcl { path, acl, version } => {
            check_path(&path, false)?;
            check_acl(&acl)?;
            let wire = W::SetAcl(SetAclRequest {
                path: chroot.prepend(&path),
                acl,
                version: check_version(version)?,
            });
            send(wire, Expect::SetAcl, path, None)
        }
        Request::GetChildren {
            path,
            watch,
            with_stat,
        } => {
            check_path(&path, false)?;
            let server = chroot.prepend(&path);
            let wire = if with_stat {
                W::GetChildren2(GetChildren2Request {
                    path: server,
                    watch,
                })
            } else {
                W::GetChildren(GetChildrenRequest {
                    path: server,
                    watch,
                })
            };
            send(wire, Expect::GetChildren, path, w(watch, WatchKind::Child))
        }
        Request::Sync { path } => {
            check_path(&path, false)?;
            let wire = W::Sync(SyncRequest {
                path: chroot.prepend(&path),
            });
            send(wire, Expect::Sync, path, None)
        }
        Request::Multi(ops) => {
            if ops.is_empty() {
                let wire = W::Multi(MultiRequest { ops });
                return Ok(Prepare::Local(local_answer(
                    wire,
                    Expect::Multi,
                    String::new(),
                )));
            }
            let m = prepare_multi(ops, false, chroot)?;
            send(W::Multi(m), Expect::Multi, String::new(), None)
        }
        Request::MultiRead(ops) => {
            if ops.is_empty() {
                let wire = W::MultiRead(MultiRequest { ops });
                return Ok(Prepare::Local(local_answer(
                    wire,
                    Expect::MultiRead,
                    String::new(),
                )));
            }
            let m = prepare_multi(ops, true, chroot)?;
            send(W::MultiRead(m), Expect::MultiRead, String::new(), None)
        }
        Request::GetConfig { watch } => {
            let wire = W::GetData(GetDataRequest {
                path: CONFIG_NODE.to_string(),
                watch,
            });
            send(
                wire,
                Expect::GetConfig,
                CONFIG_NODE.to_string(),
                w(watch, WatchKind::Data),
            )
        }
        Request::Reconfig {
            joining,
            leaving,
            new_members,
            config_id,
        } => {
            let wire = W::Reconfig(ReconfigRequest {
                joining_servers: joining,
                leaving_servers: leaving,
                new_members,
                cur_config_id: config_id.unwrap_or(-1),
            });
            send(wire, Expect::Reconfig, String::new(), None)
        }
        Request::WhoAmI => send(W::WhoAmI, Expect::WhoAmI, String::new(), None),
        Request::GetEphemerals { prefix } => {
            let wire = W::GetEphemerals(GetEphemeralsRequest {
                prefix_path: prefix,
            });
            send(wire, Expect::GetEphemerals, String::new(), None)
        }
        Request::GetAllChildrenNumber { path } => {
            check_path(&path, false)?;
            let wire = W::GetAllChildrenNumber(GetAllChildrenNumberRequest {
                path: chroot.prepend(&path),
            });
            send(wire, Expect::GetAllChildrenNumber, path, None)
        }
        Request::AddWatch { path, recursive } => {
            check_path(&path, false)?;
            let (mode, kind) = if recursive {
                (
                    AddWatchMode::PersistentRecursive,
                    WatchKind::PersistentRecursive,
                )
            } else {
                (AddWatchMode::Persistent, WatchKind::Persistent)
            };
            let wire = W::AddWatch(zk_proto::AddWatchRequest {
                path: chroot.prepend(&path),
                mode,
            });
            send(wire, Expect::AddWatch, path, Some(kind))
        }
        Request::RemoveWatches {
            path,
            watcher_type,
            registration,
            local,
        } => {
            check_path(&path, false)?;
            // removeWatches sent as Any (persistent type, pre-3.9 wire) removes every
            // watch of this session on the path from the server; a success then drops
            // the same here, so that no registration is left the server no longer backs.
            let widened =
                registration.is_none() && watcher_type.is_persistent() && !persistent_types;
            let expect = Expect::RemoveWatches {
                watcher_type,
                registration,
                removes: if widened {
                    WatcherType::Any
                } else {
                    watcher_type
                },
            };
            if local {
                let expect = Expect::RemoveWatches {
                    watcher_type,
                    registration,
                    removes: watcher_type,
                };
                let wire = W::RemoveWatches(RemoveWatchesRequest {
                    path: chroot.prepend(&path),
                    watcher_type: zk_proto::WireWatcherType::from_i32(watcher_type.code()),
                });
                return Ok(Prepare::Local(local_answer(wire, expect, path)));
            }
            let server = chroot.prepend(&path);
            let wt = wire_watcher_type(watcher_type, persistent_types);
            let wire = if registration.is_some() {
                W::CheckWatches(CheckWatchesRequest {
                    path: server,
                    watcher_type: wt,
                })
            } else {
                W::RemoveWatches(RemoveWatchesRequest {
                    path: server,
                    watcher_type: wt,
                })
            };
            send(wire, expect, path, None)
        }
        Request::CheckWatches { path, watcher_type } => {
            check_path(&path, false)?;
            let wire = W::CheckWatches(CheckWatchesRequest {
                path: chroot.prepend(&path),
                watcher_type: wire_watcher_type(watcher_type, persistent_types),
            });
            send(wire, Expect::CheckWatches, path, None)
        }
    }
}

/// Turns a successful wire response into the user's [`Response`], stripping the
/// chroot from created paths. `None` if the body does not fit the request (a broken
/// server).
pub(crate) fn finish(
    expect: &Expect,
    body: zk_proto::WireResponse,
    chroot: &Chroot,
) -> Option<Response> {
    use zk_proto::WireResponse as R;
    Some(match (expect, body) {
        (Expect::Create, R::Create(r)) => Response::Create {
            path: chroot.strip(r.path),
            stat: None,
        },
        (Expect::Create, R::Create2(r)) => Response::Create {
            path: chroot.strip(r.path),
            stat: Some(r.stat),
        },
        (Expect::Delete, R::Empty) => Response::Delete,
        (Expect::Exists, R::Exists(r)) => Response::Exists(Some(r.stat)),
        (Expect::GetData, R::GetData(r)) => Response::GetData {
            data: r.data,
            stat: r.stat,
        },
        (Expect::GetConfig, R::GetData(r)) => Response::GetConfig {
            data: r.data,
            stat: r.stat,
        },
        (Expect::SetData, R::SetData(r)) => Response::SetData(r.stat),
        (Expect::GetAcl, R::GetAcl(r)) => Response::GetAcl {
            acl: r.acl,
            stat: r.stat,
        },
        (Expect::SetAcl, R::SetAcl(r)) => Response::SetAcl(r.stat),
        (Expect::GetChildren, R::GetChildren(r)) => Response::GetChildren {
            children: r.children,
            stat: None,
        },
        (Expect::GetChildren, R::GetChildren2(r)) => Response::GetChildren {
            children: r.children,
            stat: Some(r.stat),
        },
        (Expect::Sync, R::Sync(r)) => Response::Sync {
            path: chroot.strip(r.path),
        },
        (Expect::Multi | Expect::MultiRead, R::Multi(m)) => {
            let results = m
                .results
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
                .collect();
            if *expect == Expect::Multi {
                Response::Multi(results)
            } else {
                Response::MultiRead(results)
            }
        }
        (Expect::Reconfig, R::Reconfig(r)) => Response::Reconfig {
            data: r.data,
            stat: r.stat,
        },
        (Expect::WhoAmI, R::WhoAmI(r)) => Response::WhoAmI(r.client_info),
        (Expect::GetEphemerals, R::GetEphemerals(r)) => Response::GetEphemerals(r.ephemerals),
        (Expect::GetAllChildrenNumber, R::GetAllChildrenNumber(r)) => {
            Response::GetAllChildrenNumber(r.total_number)
        }
        (Expect::AddWatch, R::AddWatch(_)) => Response::AddWatch,
        (Expect::RemoveWatches { .. }, R::Empty) => Response::RemoveWatches,
        (Expect::CheckWatches, R::Empty) => Response::CheckWatches,
        _ => return None,
    })
}
