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
    /// The table a successful reply registers in (exists chooses Data/Exist itself).
    pub(crate) watch: Option<WatchKind>,
    /// Answered by the session (empty multi, a local watch removal the server is
    /// not told of); never written.
    pub(crate) local: bool,
    /// A local watch removal the server is told of too (see
    /// [`Prepared::tell_server`]): written, and answered Ok whatever comes back.
    pub(crate) tells_server: bool,
    /// What few requests need, boxed: every request the session holds carries the
    /// field, so a small request stays small.
    rare: Option<Box<Rare>>,
}

/// The parts of a request most requests lack.
#[derive(Debug, Clone, Default)]
struct Rare {
    /// The client path, when it is not the chroot-stripped wire path (getConfig under
    /// a chroot that covers `/zookeeper`, a removal aimed at a registration's key).
    client_path: Option<String>,
    /// The watches it removes.
    removal: Option<Removal>,
}

impl Prepared {
    pub(super) fn new(reply: ReplyKind, outgoing: Outgoing, chroot: &Chroot) -> Prepared {
        let derived = || outgoing.wire.path().map_or("", |p| chroot.strip_str(p));
        let client_path = outgoing.client_path.filter(|p| p != derived());
        let rare = (client_path.is_some() || outgoing.removal.is_some()).then(|| {
            Box::new(Rare {
                client_path,
                removal: outgoing.removal,
            })
        });
        Prepared {
            wire: outgoing.wire,
            reply,
            watch: outgoing.watch,
            local: outgoing.local,
            tells_server: false,
            rare,
        }
    }

    /// Makes a local watch removal (which took effect here at submit) go to the
    /// server too, so that it stops notifying: it is written in its turn, and its
    /// answer is Ok whatever the server says (NoWatcher, a refusal) and if the
    /// connection is lost before the reply, as Java's local removal is.
    pub(crate) fn tell_server(&mut self) {
        debug_assert!(self.local && self.removal().is_some());
        self.local = false;
        self.tells_server = true;
    }

    /// A local watch removal meant for the server goes back to being answered here
    /// only: its connection was lost, and the next one is not told (its SetWatches
    /// leaves the removed watch out).
    pub(crate) fn untell_server(&mut self) {
        if self.tells_server {
            self.local = true;
            self.tells_server = false;
        }
    }

    /// The client path, for watch registration, removal and error messages (empty
    /// for a request that names no node).
    pub(crate) fn client_path<'a>(&'a self, chroot: &Chroot) -> &'a str {
        match self.rare.as_ref().and_then(|r| r.client_path.as_deref()) {
            Some(path) => path,
            None => self.wire.path().map_or("", |p| chroot.strip_str(p)),
        }
    }

    /// The watches it removes.
    pub(crate) fn removal(&self) -> Option<Removal> {
        self.rare.as_ref().and_then(|r| r.removal)
    }

    /// The key of the request's watches: the server path on the wire (getConfig's is
    /// never chrooted; a removal by id names the key of that registration).
    pub(crate) fn server_path(&self, chroot: &Chroot) -> String {
        match self.wire.path() {
            Some(path) => path.to_string(),
            None => chroot.prepend(self.client_path(chroot)),
        }
    }

    /// Aims a watch removal at `server` (where the registration is keyed). When it
    /// removes the session's only registration on the node, checkWatches becomes
    /// removeWatches, so the server stops notifying too.
    pub(crate) fn aim_removal(&mut self, server: String, only_registration: bool, chroot: &Chroot) {
        let client_path = self.client_path(chroot).to_string();
        self.rare.get_or_insert_default().client_path = Some(client_path);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{CONFIG_NODE, Context, Request, prepare};

    fn prepared(request: Request, chroot: &Chroot) -> Prepared {
        let cx = Context {
            chroot,
            persistent_types: false,
        };
        prepare(request, &cx).unwrap()
    }

    #[test]
    fn a_chrooted_path_is_derived_from_the_wire_without_a_copy() {
        let chroot = Chroot::new("/app").unwrap();
        let p = prepared(Request::get_data("/a/b", true), &chroot);
        assert_eq!(p.wire.path(), Some("/app/a/b"));
        assert_eq!(p.client_path(&chroot), "/a/b");
        assert!(p.rare.is_none());
        let root = prepared(Request::get_data("/", false), &chroot);
        assert_eq!(root.client_path(&chroot), "/");
        // The root's special server paths still give the client path back.
        let create = Request::create("/", "", zk_proto::CreateMode::PersistentSequential);
        let create = prepared(create, &chroot);
        assert_eq!(create.wire.path(), Some("/app/"));
        assert_eq!(create.client_path(&chroot), "/");
        let delete = prepared(Request::delete("/", crate::Version::Any), &chroot);
        assert_eq!(delete.wire.path(), Some("/"));
        assert_eq!(delete.client_path(&chroot), "/");
    }

    #[test]
    fn a_client_path_the_wire_does_not_give_back_is_kept() {
        // Under the chroot /zookeeper, getConfig's unchrooted /zookeeper/config would
        // strip to /config.
        let chroot = Chroot::new("/zookeeper").unwrap();
        let p = prepared(Request::GetConfig { watch: true }, &chroot);
        assert_eq!(p.wire.path(), Some(CONFIG_NODE));
        assert_eq!(p.client_path(&chroot), CONFIG_NODE);
        assert_eq!(p.server_path(&chroot), CONFIG_NODE);
    }
}
