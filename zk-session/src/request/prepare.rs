//! What every operation's `prepare` shares: the context it runs in, what it
//! produces, and the checks on paths, ACLs, versions, TTLs and multi sub-ops.

use std::time::Duration;

use zk_proto::{Acl, MultiOp, MultiRequest, WireRequest, validate_path};

use crate::chroot::{Chroot, PathUse};
use crate::error::SubmitError;
use crate::id::RequestId;
use crate::version::Version;
use crate::watch::{WatchKind, WatcherType};

/// The path of the dynamic configuration node; never chrooted.
pub const CONFIG_NODE: &str = "/zookeeper/config";

/// What a request is prepared with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The session's chroot.
    pub(crate) chroot: &'a Chroot,
    /// [`crate::Config::persistent_watcher_types`].
    pub(crate) persistent_types: bool,
}

impl Context<'_> {
    /// Send `wire`; `client_path` keys its watches and removal events, `watch` is
    /// the table a successful reply registers in.
    pub(crate) fn send(
        &self,
        wire: WireRequest,
        client_path: impl Into<String>,
        watch: Option<WatchKind>,
    ) -> Result<Outgoing, SubmitError> {
        Ok(Outgoing {
            wire,
            client_path: Some(client_path.into()),
            watch,
            removal: None,
            local: false,
        })
    }

    /// [`Context::send`] for a request whose client path is its wire path with the
    /// chroot stripped (every path made by [`Chroot::prepend_owned`] or
    /// [`Chroot::server_path_owned`]): no copy of it is made or kept.
    pub(crate) fn send_derived(
        &self,
        wire: WireRequest,
        watch: Option<WatchKind>,
    ) -> Result<Outgoing, SubmitError> {
        Ok(Outgoing {
            wire,
            client_path: None,
            watch,
            removal: None,
            local: false,
        })
    }

    /// Answer without the server, once every request submitted before it is
    /// answered. `wire` is what it stands for; it is never written.
    pub(crate) fn answer_locally(
        &self,
        wire: WireRequest,
        client_path: impl Into<String>,
    ) -> Result<Outgoing, SubmitError> {
        Ok(Outgoing {
            local: true,
            ..self.send(wire, client_path, None)?
        })
    }

    /// The watcher type to put on the wire: servers before 3.9 do not know 4 and 5,
    /// so unless `persistent_types` is set they are sent as Any (3), which those
    /// servers apply to persistent watches too.
    pub(crate) fn wire_watcher_type(&self, t: WatcherType) -> zk_proto::WireWatcherType {
        let t = if t.is_persistent() && !self.persistent_types {
            WatcherType::Any
        } else {
            t
        };
        zk_proto::WireWatcherType::from_i32(t.code())
    }
}

/// A watch removal: what the caller asked to remove (checked against the live
/// registrations at submit) and what a success removes here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removal {
    pub(crate) watcher_type: WatcherType,
    /// Only this registration.
    pub(crate) registration: Option<RequestId>,
    /// `watcher_type`, or Any when a persistent type went to the server as Any with
    /// removeWatches (which removes every watch of the session on the path there).
    pub(crate) removes: WatcherType,
}

/// What an operation's `prepare` produces.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(super) wire: WireRequest,
    /// `None`: the wire path with the chroot stripped.
    pub(super) client_path: Option<String>,
    pub(super) watch: Option<WatchKind>,
    pub(super) removal: Option<Removal>,
    pub(super) local: bool,
}

impl Outgoing {
    /// It removes watches.
    pub(crate) fn removing(self, removal: Removal) -> Outgoing {
        Outgoing {
            removal: Some(removal),
            ..self
        }
    }
}

pub(crate) fn check_path(path: &str, sequential: bool) -> Result<(), SubmitError> {
    validate_path(path, sequential).map_err(|e| SubmitError::InvalidPath {
        path: path.to_string(),
        why: e.to_string(),
    })
}

/// Refuses an empty ACL for the node at client `path`.
pub(crate) fn check_acl(acl: &[Acl], path: &str, chroot: &Chroot) -> Result<(), SubmitError> {
    if acl.is_empty() {
        Err(SubmitError::EmptyAcl {
            path: path.to_string(),
            chroot: chroot.for_error(),
        })
    } else {
        Ok(())
    }
}

/// The wire version; `Exact(-1)` would silently mean "any" on the wire.
pub(crate) fn check_version(version: Version) -> Result<i32, SubmitError> {
    match version {
        Version::Exact(-1) => Err(SubmitError::AmbiguousVersion),
        v => Ok(v.wire()),
    }
}

/// A TTL in whole milliseconds, saturating (an over-long TTL fails validation).
pub(crate) fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
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

/// Checks the sub-ops of a multi (`reads`: of a multiRead) and chroots their paths.
pub(crate) fn prepare_multi(
    mut ops: Vec<MultiOp>,
    reads: bool,
    chroot: &Chroot,
) -> Result<MultiRequest, SubmitError> {
    for (index, op) in ops.iter_mut().enumerate() {
        if op.is_read() != reads {
            return Err(SubmitError::MixedMulti { index });
        }
        let use_ = multi_op_path_use(op);
        check_path(multi_op_path(op), use_ == PathUse::SequentialCreate)?;
        match op {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
                check_acl(&r.acl, &r.path, chroot)?;
                r.flags
                    .validate_ttl(None)
                    .map_err(SubmitError::InvalidCreate)?;
            }
            MultiOp::CreateTtl(r) => {
                check_acl(&r.acl, &r.path, chroot)?;
                r.flags
                    .validate_ttl(Some(r.ttl))
                    .map_err(SubmitError::InvalidCreate)?;
            }
            _ => {}
        }
        let path = multi_op_path(op);
        *path = chroot.server_path(path, use_);
    }
    Ok(MultiRequest { ops })
}
