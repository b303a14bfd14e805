//! The tree cache machine, scripted against a model of the server's tree: the first
//! load, each event, a subtree deleted, reads overtaken by events, the reload after a
//! reconnect, the session's end, and a root that appears later.

mod common;

use std::collections::BTreeMap;

use common::*;
use zk_blocking::{Bytes, Error, ErrorCode, EventType, KeeperState, Request, Response, Stat};
use zk_blocking::{WatchHandle, WatchedEvent};
use zk_recipes::{Recipe, TreeCacheMachine, TreeEvent};

const ROOT: &str = "/t";

/// The server's tree as the script changes it, answering the machine's reads.
struct Tree {
    nodes: BTreeMap<String, (Bytes, Stat)>,
    zxid: i64,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            nodes: BTreeMap::new(),
            zxid: 100,
        }
    }

    fn create(&mut self, path: &str, data: &str) {
        self.zxid += 1;
        let stat = Stat {
            czxid: self.zxid,
            mzxid: self.zxid,
            ..Stat::default()
        };
        self.nodes
            .insert(path.into(), (Bytes::from(data.to_string()), stat));
    }

    fn set(&mut self, path: &str, data: &str) {
        self.zxid += 1;
        let (old, stat) = self.nodes.get_mut(path).expect("set of a node there");
        *old = Bytes::from(data.to_string());
        stat.mzxid = self.zxid;
        stat.version += 1;
    }

    /// Deletes `path` and what is under it.
    fn delete(&mut self, path: &str) {
        self.zxid += 1;
        let under = format!("{path}/");
        self.nodes
            .retain(|p, _| p != path && !p.starts_with(&under));
    }

    fn answer(&self, request: &Request) -> Result<Response, Error> {
        let no_node = || Err(Error::from_code(ErrorCode::NoNode));
        match request {
            Request::GetData { path, watch: false } => match self.nodes.get(path) {
                Some((data, stat)) => Ok(Response::GetData {
                    data: data.clone(),
                    stat: *stat,
                }),
                None => no_node(),
            },
            Request::GetChildren { path, .. } if self.nodes.contains_key(path) => {
                let under = format!("{path}/");
                let children = self
                    .nodes
                    .keys()
                    .filter_map(|p| p.strip_prefix(&under))
                    .filter(|rest| !rest.contains('/'))
                    .map(String::from)
                    .collect();
                Ok(Response::GetChildren {
                    children,
                    stat: None,
                })
            }
            Request::GetChildren { .. } => no_node(),
            other => panic!("a tree cache sends only reads here, not {other:?}"),
        }
    }
}

/// Answers the requests the machine has queued now (not those their replies queue),
/// from `tree`; returns them.
fn answer_queued(m: &mut TreeCacheMachine, tree: &Tree) -> Vec<Request> {
    let queued: Vec<_> = std::iter::from_fn(|| m.poll_submit()).collect();
    queued
        .into_iter()
        .map(|submit| {
            let reply = tree.answer(&submit.request);
            m.handle_reply(submit.token, reply.map(|r| (r, None)));
            submit.request
        })
        .collect()
}

/// Answers every request the machine sends, from `tree`, until it sends no more.
fn serve(m: &mut TreeCacheMachine, tree: &Tree) {
    while let Some(submit) = m.poll_submit() {
        let reply = tree.answer(&submit.request);
        m.handle_reply(submit.token, reply.map(|r| (r, None)));
    }
}

fn add_watch() -> Request {
    Request::AddWatch {
        path: ROOT.into(),
        recursive: true,
    }
}

/// A machine whose watch is set and whose first load `tree` answered; its events
/// taken.
fn loaded(tree: &Tree) -> (TreeCacheMachine, WatchHandle) {
    let watch = Watches::new().persistent_recursive(ROOT);
    let mut m = TreeCacheMachine::new(ROOT);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    serve(&mut m, tree);
    assert_eq!(told(&mut m).last().map(String::as_str), Some("initialized"));
    (m, watch)
}

/// The events told, as `added /t/a=data`, `updated ...`, `removed /t/a`, `initialized`.
fn told(m: &mut TreeCacheMachine) -> Vec<String> {
    let mut events = Vec::new();
    while let Some(output) = m.poll_output() {
        let data = |node: &zk_recipes::CachedNode| String::from_utf8_lossy(&node.data).into_owned();
        events.push(match output.expect("no error") {
            TreeEvent::NodeAdded(path, node) => format!("added {path}={}", data(&node)),
            TreeEvent::NodeUpdated(path, node) => format!("updated {path}={}", data(&node)),
            TreeEvent::NodeRemoved(path, _) => format!("removed {path}"),
            TreeEvent::Initialized => "initialized".into(),
        });
    }
    events
}

/// Asserts that the cache holds exactly the model's nodes, data, Stats and children.
fn agrees(m: &TreeCacheMachine, tree: &Tree) {
    let cached: Vec<(&str, &Bytes, Stat)> = m.iter().map(|(p, n)| (p, &n.data, n.stat)).collect();
    let there: Vec<(&str, &Bytes, Stat)> = tree
        .nodes
        .iter()
        .map(|(p, (data, stat))| (p.as_str(), data, *stat))
        .collect();
    assert_eq!(cached, there);
    for path in tree.nodes.keys() {
        let Response::GetChildren { children, .. } = tree
            .answer(&Request::get_children(path.as_str(), false))
            .unwrap()
        else {
            unreachable!()
        };
        assert_eq!(m.children(path).unwrap(), children, "children of {path}");
    }
}

fn event(watch: WatchHandle, event_type: EventType, path: &str) -> WatchedEvent {
    fired(watch, event_type, path)
}

/// The server creates `path`, the watch tells it, and the machine's reads are
/// answered.
fn created(m: &mut TreeCacheMachine, tree: &mut Tree, watch: WatchHandle, path: &str, data: &str) {
    tree.create(path, data);
    m.handle_watch(&event(watch, EventType::NodeCreated, path));
    serve(m, tree);
}

/// Like [`created`], for a change of `path`'s data.
fn changed(m: &mut TreeCacheMachine, tree: &mut Tree, watch: WatchHandle, path: &str, data: &str) {
    tree.set(path, data);
    m.handle_watch(&event(watch, EventType::NodeDataChanged, path));
    serve(m, tree);
}

/// A tree of `/t` (data "root"), `/t/a`, `/t/b` and `/t/b/x`.
fn sample() -> Tree {
    let mut tree = Tree::new();
    tree.create(ROOT, "root");
    tree.create("/t/a", "a1");
    tree.create("/t/b", "b1");
    tree.create("/t/b/x", "x1");
    tree
}

#[test]
fn the_first_load_tells_every_node_then_initialized_and_the_cache_matches_the_tree() {
    let tree = sample();
    let watch = Watches::new().persistent_recursive(ROOT);
    let mut m = TreeCacheMachine::new(ROOT);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    assert_eq!(m.watch(), Some(watch), "one watch for the whole subtree");
    assert_eq!(
        answer_queued(&mut m, &tree),
        [
            Request::get_data(ROOT, false),
            Request::get_children(ROOT, false)
        ],
        "the root's data and children, sent together and setting no watch"
    );
    serve(&mut m, &tree);
    assert_eq!(
        told(&mut m),
        [
            "added /t=root",
            "added /t/a=a1",
            "added /t/b=b1",
            "added /t/b/x=x1",
            "initialized"
        ]
    );
    agrees(&m, &tree);
    assert_eq!(m.children("/t/a"), Some(vec![]));
    assert_eq!(m.children("/t/nothing"), None);
}

#[test]
fn a_node_deleted_during_the_first_load_is_simply_absent() {
    let mut tree = sample();
    let watch = Watches::new().persistent_recursive(ROOT);
    let mut m = TreeCacheMachine::new(ROOT);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    // The root's reads are answered; then /t/b goes before its own are.
    answer_queued(&mut m, &tree);
    tree.delete("/t/b");
    serve(&mut m, &tree);
    assert_eq!(
        told(&mut m),
        ["added /t=root", "added /t/a=a1", "initialized"]
    );
    agrees(&m, &tree);
}

#[test]
fn a_created_node_is_read_and_told_added_and_so_is_a_child_created_under_it() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    created(&mut m, &mut tree, watch, "/t/c", "c1");
    // A recursive watch tells no child-list change: the child's own creation it does.
    created(&mut m, &mut tree, watch, "/t/c/d", "d1");
    assert_eq!(told(&mut m), ["added /t/c=c1", "added /t/c/d=d1"]);
    agrees(&m, &tree);
}

#[test]
fn a_data_change_is_read_and_told_updated_with_the_new_data_and_stat() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    tree.set("/t/a", "a2");
    m.handle_watch(&event(watch, EventType::NodeDataChanged, "/t/a"));
    expect_then(
        &mut m,
        Request::get_data("/t/a", false),
        tree.answer(&Request::get_data("/t/a", false)),
    );
    assert_eq!(told(&mut m), ["updated /t/a=a2"]);
    assert_eq!(m.get("/t/a").unwrap().stat.version, 1);
    agrees(&m, &tree);
}

#[test]
fn a_deleted_subtree_is_dropped_and_each_node_told_removed_deepest_first() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    // A deleteall: the children's deletions first, each its own event.
    tree.delete("/t/b");
    m.handle_watch(&event(watch, EventType::NodeDeleted, "/t/b/x"));
    m.handle_watch(&event(watch, EventType::NodeDeleted, "/t/b"));
    assert!(m.poll_submit().is_none(), "a deletion needs no read");
    assert_eq!(told(&mut m), ["removed /t/b/x", "removed /t/b"]);
    agrees(&m, &tree);

    // The root's deletion alone drops all that is under it.
    tree.delete(ROOT);
    m.handle_watch(&event(watch, EventType::NodeDeleted, ROOT));
    assert_eq!(told(&mut m), ["removed /t/a", "removed /t"]);
    assert!(m.is_empty());
}

#[test]
fn a_read_answered_from_before_a_deletion_does_not_bring_the_node_back() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    tree.set("/t/b", "b2");
    m.handle_watch(&event(watch, EventType::NodeDataChanged, "/t/b"));
    let (token, _) = sent(&mut m);
    let before = tree.answer(&Request::get_data("/t/b", false));
    // The deletion's event is handed over before the read's answer, which the server
    // gave before it deleted the node.
    tree.delete("/t/b");
    m.handle_watch(&event(watch, EventType::NodeDeleted, "/t/b/x"));
    m.handle_watch(&event(watch, EventType::NodeDeleted, "/t/b"));
    m.handle_reply(token, before.map(|r| (r, None)));
    assert_eq!(told(&mut m), ["removed /t/b/x", "removed /t/b"]);
    assert_eq!(m.get("/t/b"), None);
    agrees(&m, &tree);
}

#[test]
fn a_children_listing_answered_from_before_a_deletion_loads_nothing_under_it() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    tree.create("/t/n", "n1");
    m.handle_watch(&event(watch, EventType::NodeCreated, "/t/n"));
    let data = m.poll_submit().unwrap();
    let list = m.poll_submit().unwrap();
    m.handle_reply(data.token, tree.answer(&data.request).map(|r| (r, None)));
    tree.create("/t/n/m", "m1");
    let listing = tree.answer(&list.request);
    tree.delete("/t/n");
    m.handle_watch(&event(watch, EventType::NodeCreated, "/t/n/m"));
    m.handle_watch(&event(watch, EventType::NodeDeleted, "/t/n/m"));
    m.handle_watch(&event(watch, EventType::NodeDeleted, "/t/n"));
    m.handle_reply(list.token, listing.map(|r| (r, None)));
    serve(&mut m, &tree);
    assert_eq!(told(&mut m), ["added /t/n=n1", "removed /t/n"]);
    agrees(&m, &tree);
}

#[test]
fn an_older_read_answered_after_a_newer_one_leaves_the_newer_data() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    tree.set("/t/a", "a2");
    m.handle_watch(&event(watch, EventType::NodeDataChanged, "/t/a"));
    let (first, _) = sent(&mut m);
    let older = tree.answer(&Request::get_data("/t/a", false));
    tree.set("/t/a", "a3");
    m.handle_watch(&event(watch, EventType::NodeDataChanged, "/t/a"));
    let (second, _) = sent(&mut m);
    let newer = tree.answer(&Request::get_data("/t/a", false));
    m.handle_reply(second, newer.map(|r| (r, None)));
    m.handle_reply(first, older.map(|r| (r, None)));
    assert_eq!(told(&mut m), ["updated /t/a=a3"]);
    agrees(&m, &tree);
}

#[test]
fn an_event_whose_zxid_the_cache_has_seen_reads_nothing() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    changed(&mut m, &mut tree, watch, "/t/a", "a2");
    assert_eq!(told(&mut m), ["updated /t/a=a2"]);
    // A 3.9 server's event names the change's zxid: the cache holds it already.
    let mut late = event(watch, EventType::NodeDataChanged, "/t/a");
    late.zxid = tree.zxid;
    m.handle_watch(&late);
    assert!(m.poll_submit().is_none());
}

#[test]
fn a_reconnect_reloads_and_tells_what_changed_while_disconnected() {
    let mut tree = sample();
    let (mut m, _) = loaded(&tree);
    m.handle_session(KeeperState::Disconnected);
    assert!(
        m.poll_submit().is_none(),
        "nothing to read while disconnected"
    );
    tree.create("/t/c", "c1");
    tree.set("/t/a", "a2");
    tree.delete("/t/b");
    tree.create("/t/b", "b-again");
    m.handle_session(KeeperState::SyncConnected);
    serve(&mut m, &tree);
    let mut events = told(&mut m);
    events.sort();
    assert_eq!(
        events,
        [
            "added /t/c=c1",
            "removed /t/b/x",
            "updated /t/a=a2",
            "updated /t/b=b-again"
        ],
        "the differences, and no second Initialized"
    );
    agrees(&m, &tree);
}

#[test]
fn a_reconnect_that_finds_the_root_gone_removes_everything() {
    let mut tree = sample();
    let (mut m, _) = loaded(&tree);
    m.handle_session(KeeperState::Disconnected);
    tree.delete(ROOT);
    m.handle_session(KeeperState::SyncConnected);
    serve(&mut m, &tree);
    assert_eq!(
        told(&mut m),
        [
            "removed /t/b/x",
            "removed /t/b",
            "removed /t/a",
            "removed /t"
        ]
    );
    assert!(m.is_empty());
}

#[test]
fn the_session_end_fails_the_cache_with_its_error() {
    let tree = sample();
    let (mut m, _) = loaded(&tree);
    m.handle_session_end(Error::SessionExpired);
    assert!(matches!(m.poll_output(), Some(Err(Error::SessionExpired))));
    assert_eq!(m.watch(), None, "nothing left to wait for");
    assert!(m.poll_output().is_none());
}

#[test]
fn a_missing_root_is_an_empty_cache_until_it_is_created() {
    let mut tree = Tree::new();
    let (mut m, watch) = loaded(&tree);
    assert!(m.is_empty());
    created(&mut m, &mut tree, watch, ROOT, "born");
    created(&mut m, &mut tree, watch, "/t/kid", "k");
    assert_eq!(told(&mut m), ["added /t=born", "added /t/kid=k"]);
    agrees(&m, &tree);
}

#[test]
fn a_read_whose_connection_was_lost_is_asked_again() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    tree.set("/t/a", "a2");
    m.handle_watch(&event(watch, EventType::NodeDataChanged, "/t/a"));
    expect_then(
        &mut m,
        Request::get_data("/t/a", false),
        Err(Error::ConnectionLoss),
    );
    serve(&mut m, &tree);
    assert_eq!(told(&mut m), ["updated /t/a=a2"]);
}

#[test]
fn a_server_without_persistent_recursive_watches_fails_the_cache_with_unimplemented() {
    let mut m = TreeCacheMachine::new(ROOT);
    expect_then(&mut m, add_watch(), Err(Error::Unimplemented));
    assert!(matches!(m.poll_output(), Some(Err(Error::Unimplemented))));
    assert!(m.poll_submit().is_none());
}

#[test]
fn a_path_the_client_would_refuse_fails_at_once_and_sends_nothing() {
    let mut m = TreeCacheMachine::new("t/");
    assert!(m.poll_submit().is_none());
    assert!(matches!(
        m.poll_output(),
        Some(Err(Error::InvalidPath { path, .. })) if path == "t/"
    ));
}

#[test]
fn someone_removing_the_watch_gets_it_set_again_and_the_subtree_read() {
    let mut tree = sample();
    let (mut m, watch) = loaded(&tree);
    tree.create("/t/c", "c1");
    m.handle_watch(&event(watch, EventType::PersistentWatchRemoved, ROOT));
    let again = Watches::new().persistent_recursive(ROOT);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(again));
    serve(&mut m, &tree);
    assert_eq!(told(&mut m), ["added /t/c=c1"]);
    assert_eq!(m.watch(), Some(again));
}

#[test]
fn a_node_this_session_may_not_read_is_left_out_and_the_rest_stays_cached() {
    let mut tree = sample();
    let watch = Watches::new().persistent_recursive(ROOT);
    let mut m = TreeCacheMachine::new(ROOT);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    // /t/b's ACL lets this session read neither its data nor its children.
    let secret = |request: &Request| match request {
        Request::GetData { path, .. } | Request::GetChildren { path, .. } => path == "/t/b",
        _ => false,
    };
    while let Some(submit) = m.poll_submit() {
        let reply = match secret(&submit.request) {
            true => Err(Error::from_code(ErrorCode::NoAuth)),
            false => tree.answer(&submit.request),
        };
        m.handle_reply(submit.token, reply.map(|r| (r, None)));
    }
    assert_eq!(
        told(&mut m),
        ["added /t=root", "added /t/a=a1", "initialized"],
        "the cache goes on without the node it may not read"
    );
    assert!(m.get("/t/b").is_none());
    changed(&mut m, &mut tree, watch, "/t/a", "a2");
    assert_eq!(told(&mut m), ["updated /t/a=a2"], "and stays current");
}
