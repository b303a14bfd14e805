//! A request checked and translated for the wire, as the session keeps it until
//! its reply.

use zk_proto::{RemoveWatchesRequest, WireRequest};

use crate::chroot::Chroot;
use crate::watch::WatchKind;

use super::operations::ReplyKind;
use super::prepare::{Outgoing, Removal};

/// A request checked and translated for the wire.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The wire request, with server paths.
    pub(crate) wire: WireRequest,
    /// How to read the reply.
    pub(crate) reply: ReplyKind,
    /// The client path, for watch registration, removal and chroot stripping.
    pub(crate) client_path: String,
    /// The table a successful reply registers in (exists chooses Data/Exist itself).
    pub(crate) watch: Option<WatchKind>,
    /// The watches it removes.
    pub(crate) removal: Option<Removal>,
    /// Answered by the session (empty multi, local watch removal); never written.
    pub(crate) local: bool,
}

impl Prepared {
    pub(super) fn new(reply: ReplyKind, outgoing: Outgoing) -> Prepared {
        Prepared {
            wire: outgoing.wire,
            reply,
            client_path: outgoing.client_path,
            watch: outgoing.watch,
            removal: outgoing.removal,
            local: outgoing.local,
        }
    }

    /// The key of the request's watches: the server path on the wire (getConfig's is
    /// never chrooted; a removal by id names the key of that registration).
    pub(crate) fn server_path(&self, chroot: &Chroot) -> String {
        match self.wire.path() {
            Some(path) => path.to_string(),
            None => chroot.prepend(&self.client_path),
        }
    }

    /// Aims a watch removal at `server` (where the registration is keyed). When it
    /// removes the session's only registration on the node, checkWatches becomes
    /// removeWatches, so the server stops notifying too.
    pub(crate) fn aim_removal(&mut self, server: String, only_registration: bool) {
        self.wire = match std::mem::replace(&mut self.wire, WireRequest::Ping) {
            WireRequest::CheckWatches(r) if only_registration => {
                WireRequest::RemoveWatches(RemoveWatchesRequest {
                    path: server,
                    watcher_type: r.watcher_type,
                })
            }
            WireRequest::CheckWatches(mut r) => {
                r.path = server;
                WireRequest::CheckWatches(r)
            }
            WireRequest::RemoveWatches(mut r) => {
                r.path = server;
                WireRequest::RemoveWatches(r)
            }
            other => other,
        };
    }
}
