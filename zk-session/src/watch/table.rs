//! The five watch tables, keyed by **server** path, and the routing rules of §7.
//!
//! Keying by the server path keeps apart what the client paths would merge: under
//! the chroot `/app`, getConfig watches the server's `/zookeeper/config` while
//! `getData("/zookeeper/config")` watches `/app/zookeeper/config`; both have the
//! client path `/zookeeper/config`. Notifications carry server paths, and SetWatches
//! sends the keys as they are. Each [`Registration`] keeps its client path.

use std::collections::HashMap;
use std::sync::Arc;

use super::ids::Ids;
use super::kinds::{Registration, WatchKind, WatcherType};
use crate::chroot::Chroot;
use crate::id::RequestId;
use crate::id_hash::RequestIdMap;

/// The node event types a server notification can carry (wire types 1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeEvent {
    Created,
    Deleted,
    DataChanged,
    ChildrenChanged,
}

const KINDS: [WatchKind; 5] = [
    WatchKind::Data,
    WatchKind::Exist,
    WatchKind::Child,
    WatchKind::Persistent,
    WatchKind::PersistentRecursive,
];

/// Registrations per table and server path, in registration order, and by id.
///
/// A watch costs one allocation: its server path, shared by the table's key and
/// (without a chroot) the registration's client path. The entry by id keeps no
/// server path: it is the chroot + client path, but for the few kept apart.
#[derive(Debug, Clone, Default)]
pub(crate) struct WatchTables {
    tables: [HashMap<Arc<str>, Ids>; 5],
    /// Every live registration by the id that made it (one request makes at most
    /// one).
    by_id: RequestIdMap<Registration>,
    /// The server paths of live registrations keyed elsewhere than under the chroot +
    /// client path (getConfig's `/zookeeper/config` under a chroot).
    elsewhere: RequestIdMap<Arc<str>>,
    chroot: Chroot,
}

impl WatchTables {
    /// Empty tables of a session under `chroot`.
    pub(crate) fn new(chroot: Chroot) -> WatchTables {
        WatchTables {
            chroot,
            ..WatchTables::default()
        }
    }

    /// Adds a registration (after its request succeeded) under `server_path` and
    /// returns it (with `client_path`).
    pub(crate) fn register(
        &mut self,
        kind: WatchKind,
        server_path: &str,
        client_path: &str,
        id: RequestId,
    ) -> Registration {
        let table = &mut self.tables[kind as usize];
        let server = match table.get_key_value(server_path) {
            Some((key, _)) => key.clone(),
            None => Arc::from(server_path),
        };
        match table.get_mut(server_path) {
            Some(ids) => ids.push(id),
            None => {
                table.insert(server.clone(), Ids::One(id));
            }
        }
        let path = if client_path == server_path {
            server.clone()
        } else {
            Arc::from(client_path)
        };
        if !self.chroot.leads_to(client_path, server_path) {
            self.elsewhere.insert(id, server);
        }
        let registration = Registration { id, kind, path };
        self.by_id.insert(id, registration.clone());
        registration
    }

    /// The live registration made by `id`.
    pub(crate) fn get(&self, id: RequestId) -> Option<&Registration> {
        self.by_id.get(&id)
    }

    /// The server path the live registration `id` is keyed under (differs from
    /// chroot + client path for getConfig's watch).
    pub(crate) fn server_path(&self, id: RequestId) -> Option<String> {
        let registration = self.by_id.get(&id)?;
        Some(match self.elsewhere.get(&id) {
            Some(server) => server.to_string(),
            None => self.chroot.prepend(&registration.path),
        })
    }

    /// Removes the registration `r` (if still live) without any event.
    pub(crate) fn unregister(&mut self, r: &Registration) {
        if let Some(server) = self.server_path(r.id) {
            self.forget(r.id);
            self.keep_ids(r.kind, &server, |id| id != r.id);
        }
    }

    /// Drops the entry by id of `id` (its table's entry goes separately).
    fn forget(&mut self, id: RequestId) {
        if self.by_id.remove(&id).is_some() && !self.elsewhere.is_empty() {
            self.elsewhere.remove(&id);
        }
    }

    /// Keeps, of the ids of table `kind` under `path`, those `keep` accepts.
    fn keep_ids(&mut self, kind: WatchKind, path: &str, keep: impl Fn(RequestId) -> bool) {
        let table = &mut self.tables[kind as usize];
        if let Some((key, ids)) = table.remove_entry(path) {
            if let Some(left) = ids.retain(keep) {
                table.insert(key, left);
            }
        }
    }

    /// How many live registrations, of any kind, are keyed under the server path
    /// `path`.
    pub(crate) fn count_at(&self, path: &str) -> usize {
        self.tables
            .iter()
            .filter_map(|t| t.get(path))
            .map(Ids::len)
            .sum()
    }

    /// The live registrations keyed under the server path `server`, of every kind.
    pub(crate) fn at<'a>(
        &'a self,
        server: &str,
    ) -> impl Iterator<Item = &'a Registration> + use<'a> {
        let lists: [Option<&Ids>; 5] = std::array::from_fn(|kind| self.tables[kind].get(server));
        lists
            .into_iter()
            .flatten()
            .flat_map(Ids::as_slice)
            .filter_map(|id| self.get(*id))
    }

    /// Every live registration, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Registration> {
        self.by_id.values()
    }

    /// Number of registrations.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// The registration `id` (listed in the table `kind` under `path`).
    fn reg(&self, id: RequestId, kind: WatchKind, path: &str) -> Registration {
        match self.by_id.get(&id) {
            Some(registration) => registration.clone(),
            None => Registration {
                id,
                kind,
                path: path.into(),
            },
        }
    }

    fn take(&mut self, kind: WatchKind, path: &str, out: &mut Vec<Registration>) {
        if let Some(ids) = self.tables[kind as usize].remove(path) {
            for &id in ids.as_slice() {
                out.push(self.reg(id, kind, path));
                self.forget(id);
            }
        }
    }

    fn peek(&self, kind: WatchKind, path: &str, out: &mut Vec<Registration>) {
        if let Some(ids) = self.tables[kind as usize].get(path) {
            out.extend(ids.as_slice().iter().map(|&id| self.reg(id, kind, path)));
        }
    }

    /// Removes every registration of `kind` on the server path `path` and returns them.
    pub(crate) fn take_all(&mut self, kind: WatchKind, path: &str) -> Vec<Registration> {
        let mut out = Vec::new();
        self.take(kind, path, &mut out);
        out
    }

    /// The registrations a notification fires, removing the one-shot ones. `path` is
    /// the server path, as the notification carries it.
    pub(crate) fn route(&mut self, event: NodeEvent, path: &str) -> Vec<Registration> {
        let mut out = Vec::new();
        match event {
            NodeEvent::Created | NodeEvent::DataChanged => {
                self.take(WatchKind::Data, path, &mut out);
                self.take(WatchKind::Exist, path, &mut out);
                self.peek(WatchKind::Persistent, path, &mut out);
                self.recursive(path, &mut out);
            }
            NodeEvent::ChildrenChanged => {
                // From 3.9.0 (ZOOKEEPER-4475) recursive watches do not see child events.
                self.take(WatchKind::Child, path, &mut out);
                self.peek(WatchKind::Persistent, path, &mut out);
            }
            NodeEvent::Deleted => {
                self.take(WatchKind::Data, path, &mut out);
                self.take(WatchKind::Exist, path, &mut out);
                self.take(WatchKind::Child, path, &mut out);
                self.peek(WatchKind::Persistent, path, &mut out);
                self.recursive(path, &mut out);
            }
        }
        out
    }

    fn recursive(&self, path: &str, out: &mut Vec<Registration>) {
        if self.tables[WatchKind::PersistentRecursive as usize].is_empty() {
            return;
        }
        let mut p = path;
        loop {
            self.peek(WatchKind::PersistentRecursive, p, out);
            if p == "/" || p.is_empty() {
                break;
            }
            p = match p.rfind('/') {
                Some(0) => "/",
                Some(i) => &p[..i],
                None => break,
            };
        }
    }

    /// Every registration, in table order (for session events).
    pub(crate) fn all(&self) -> Vec<Registration> {
        let mut out = Vec::new();
        for kind in KINDS {
            let table = &self.tables[kind as usize];
            let mut paths: Vec<&Arc<str>> = table.keys().collect();
            paths.sort();
            for p in paths {
                out.extend(table[p].as_slice().iter().map(|&id| self.reg(id, kind, p)));
            }
        }
        out
    }

    /// Removes every registration and returns them.
    pub(crate) fn clear(&mut self) -> Vec<Registration> {
        let all = self.all();
        for t in &mut self.tables {
            t.clear();
        }
        self.by_id.clear();
        self.elsewhere.clear();
        all
    }

    /// Whether any registration of a kind covered by `which` exists on the server
    /// path `path` (optionally only the one made by `id`).
    pub(crate) fn contains(&self, path: &str, which: WatcherType, id: Option<RequestId>) -> bool {
        KINDS.iter().any(|&k| {
            which.covers(k)
                && self.tables[k as usize]
                    .get(path)
                    .is_some_and(|ids| id.is_none_or(|id| ids.contains(id)))
        })
    }

    /// Removes the registrations of a kind covered by `which` on the server path
    /// `path` (only the one made by `id`, if given) and returns them.
    pub(crate) fn remove(
        &mut self,
        path: &str,
        which: WatcherType,
        id: Option<RequestId>,
    ) -> Vec<Registration> {
        let mut out = Vec::new();
        for kind in KINDS {
            if !which.covers(kind) {
                continue;
            }
            let Some(ids) = self.tables[kind as usize].get(path) else {
                continue;
            };
            let hits: Vec<RequestId> = ids
                .as_slice()
                .iter()
                .copied()
                .filter(|&r| id.is_none_or(|id| id == r))
                .collect();
            for &r in &hits {
                out.push(self.reg(r, kind, path));
                self.forget(r);
            }
            self.keep_ids(kind, path, |r| !hits.contains(&r));
        }
        out
    }

    /// The server paths of each table, sorted, for SetWatches / SetWatches2 after a
    /// reconnect: data, exist, child, persistent, persistent recursive.
    pub(crate) fn paths(&self) -> [Vec<String>; 5] {
        KINDS.map(|k| {
            let mut v: Vec<String> = self.tables[k as usize]
                .keys()
                .map(|p| p.to_string())
                .collect();
            v.sort();
            v
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: u64, kind: WatchKind) -> Registration {
        let path = match id {
            5 => "/",
            _ => "/a",
        };
        Registration {
            id: RequestId(id),
            kind,
            path: path.into(),
        }
    }

    fn tables() -> WatchTables {
        let mut t = WatchTables::default();
        t.register(WatchKind::Data, "/a", "/a", RequestId(1));
        t.register(WatchKind::Exist, "/a", "/a", RequestId(2));
        t.register(WatchKind::Child, "/a", "/a", RequestId(3));
        t.register(WatchKind::Persistent, "/a", "/a", RequestId(4));
        t.register(WatchKind::PersistentRecursive, "/", "/", RequestId(5));
        t.register(WatchKind::PersistentRecursive, "/a", "/a", RequestId(6));
        t.register(WatchKind::Data, "/a", "/a", RequestId(7));
        t
    }

    #[test]
    fn data_changed_fires_data_exist_persistent_and_recursive_ancestors() {
        let mut t = tables();
        let fired = t.route(NodeEvent::DataChanged, "/a");
        assert_eq!(
            fired,
            vec![
                r(1, WatchKind::Data),
                r(7, WatchKind::Data),
                r(2, WatchKind::Exist),
                r(4, WatchKind::Persistent),
                r(6, WatchKind::PersistentRecursive),
                r(5, WatchKind::PersistentRecursive),
            ]
        );
        // one-shots are gone, persistent ones stay
        let again = t.route(NodeEvent::DataChanged, "/a");
        assert_eq!(
            again,
            vec![
                r(4, WatchKind::Persistent),
                r(6, WatchKind::PersistentRecursive),
                r(5, WatchKind::PersistentRecursive),
            ]
        );
    }

    #[test]
    fn children_changed_fires_child_and_persistent_not_recursive() {
        let mut t = tables();
        assert_eq!(
            t.route(NodeEvent::ChildrenChanged, "/a"),
            vec![r(3, WatchKind::Child), r(4, WatchKind::Persistent)]
        );
        assert_eq!(
            t.route(NodeEvent::ChildrenChanged, "/a"),
            vec![r(4, WatchKind::Persistent)]
        );
    }

    #[test]
    fn deleted_fires_all_three_one_shot_tables() {
        let mut t = tables();
        let fired = t.route(NodeEvent::Deleted, "/a");
        assert_eq!(fired.len(), 7);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn descendants_fire_recursive_ancestors_only() {
        let mut t = tables();
        assert_eq!(
            t.route(NodeEvent::Created, "/a/b/c"),
            vec![
                r(6, WatchKind::PersistentRecursive),
                r(5, WatchKind::PersistentRecursive)
            ]
        );
        // a sibling with the same text prefix is not a descendant
        assert_eq!(
            t.route(NodeEvent::Created, "/ab"),
            vec![r(5, WatchKind::PersistentRecursive)]
        );
        assert_eq!(t.len(), 7);
    }

    #[test]
    fn remove_by_type_and_id() {
        let mut t = tables();
        assert!(t.contains("/a", WatcherType::Data, Some(RequestId(7))));
        assert!(!t.contains("/a", WatcherType::Children, Some(RequestId(7))));
        let removed = t.remove("/a", WatcherType::Data, Some(RequestId(7)));
        assert_eq!(removed, vec![r(7, WatchKind::Data)]);
        let removed = t.remove("/a", WatcherType::Data, None);
        assert_eq!(removed, vec![r(1, WatchKind::Data), r(2, WatchKind::Exist)]);
        assert_eq!(t.get(RequestId(3)), Some(&r(3, WatchKind::Child)));
        let removed = t.remove("/a", WatcherType::Any, None);
        assert_eq!(removed.len(), 3);
        assert_eq!(t.len(), 1);
        assert_eq!(t.get(RequestId(3)), None);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            [&r(5, WatchKind::PersistentRecursive)]
        );
        assert_eq!(t.paths()[4], vec!["/".to_string()]);
        assert_eq!(t.clear().len(), 1);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn keyed_by_server_path_reporting_client_paths() {
        // chroot /app: getConfig's /zookeeper/config and the user's
        // /app/zookeeper/config share a client path but not a key
        let mut t = WatchTables::default();
        let config = t.register(
            WatchKind::Data,
            "/zookeeper/config",
            "/zookeeper/config",
            RequestId(1),
        );
        let user = t.register(
            WatchKind::Data,
            "/app/zookeeper/config",
            "/zookeeper/config",
            RequestId(2),
        );
        let rec = t.register(WatchKind::PersistentRecursive, "/app", "/", RequestId(3));
        assert_eq!(
            t.paths()[0],
            vec![
                "/app/zookeeper/config".to_string(),
                "/zookeeper/config".to_string()
            ]
        );
        assert_eq!(t.paths()[4], vec!["/app".to_string()]);
        assert_eq!(
            t.route(NodeEvent::DataChanged, "/app/zookeeper/config"),
            vec![user, rec.clone()]
        );
        assert_eq!(
            t.route(NodeEvent::DataChanged, "/zookeeper/config"),
            vec![config]
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t.remove("/app", WatcherType::Any, None), vec![rec]);
    }

    #[test]
    fn under_a_chroot_each_registration_finds_its_key_also_the_config_watch() {
        let mut t = WatchTables::new(Chroot::new("/app").unwrap());
        let node = t.register(WatchKind::Data, "/app/a", "/a", RequestId(1));
        let root = t.register(WatchKind::Child, "/app", "/", RequestId(2));
        let config = t.register(
            WatchKind::Data,
            "/zookeeper/config",
            "/zookeeper/config",
            RequestId(3),
        );
        assert_eq!(t.elsewhere.len(), 1, "only the config watch is kept apart");
        assert_eq!(t.server_path(node.id).as_deref(), Some("/app/a"));
        assert_eq!(t.server_path(root.id).as_deref(), Some("/app"));
        assert_eq!(
            t.server_path(config.id).as_deref(),
            Some("/zookeeper/config")
        );
        t.unregister(&config);
        t.unregister(&root);
        assert_eq!(t.paths()[0], vec!["/app/a".to_string()]);
        assert!(t.paths()[2].is_empty());
        assert!(t.elsewhere.is_empty());
        assert_eq!(t.route(NodeEvent::Deleted, "/app/a"), vec![node]);
        assert_eq!(t.len(), 0);
    }
}
