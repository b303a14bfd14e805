//! Scenarios for the async client (zk-tokio) on a real standalone server: every
//! operation's typed result and errors, watches as futures and streams (and their order
//! relative to replies), pipelining from many tasks, cancellation by dropping futures
//! (`tokio::time::timeout`, `select!`, plain drops), and close. Those that need the
//! fault proxy, an ensemble or an expiry are in `scenario_tokio_faults.rs`.
//!
//! A representative subset runs on both tokio runtimes (`on_both_runtimes!`); the rest
//! on the current-thread runtime, where the client's driver task shares the one thread
//! with the test, unless a scenario asks for more threads.

mod common;
#[macro_use]
#[path = "common/tokio.rs"]
mod on_tokio;

use std::time::{Duration, Instant};
use zk_test_support::assert_matches;

use common::{PATIENCE, assert_kept_then_overflow, watched_paths};
use on_tokio::{
    AT_ONCE, assert_connected, barrier, connect, fired, joined, next_event, next_state, next_watch,
    no_task_left, options, queued_event, ready_now, settled, until, what, within,
};
use zk_tests::shared_standalone;
use zk_tokio::{
    Acl, AddWatchMode, Client, Completion, CreateMode, CreateOptions, Error, ErrorCode, Event,
    EventType, KeeperState, OpResult, ReadBatch, ReadResult, Request, Response, SessionState,
    StateReason, Transaction, Version, WatchKind, WatcherType,
};

/// A session timeout nothing in these scenarios comes near (the shared server grants
/// 4–40 s).
const LONG: Duration = Duration::from_secs(30);

/// A client of the shared server.
async fn client() -> Client {
    connect(&shared_standalone().connect_string(), options(LONG)).await
}

/// The `i`-th node under `root`, and the content it is created with (distinct for
/// every node).
fn node(root: &str, i: usize) -> String {
    format!("{root}/node-{i:05}")
}

fn content(i: usize) -> String {
    format!("content of node {i}: {}", i * 7919)
}

/// Creates `root` and `count` nodes under it, each with its [`content`], in a few
/// transactions.
async fn create_nodes(zk: &Client, root: &str, count: usize) {
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let indices: Vec<usize> = (0..count).collect();
    let batches: Vec<_> = indices
        .chunks(500)
        .map(|chunk| {
            let tx = chunk.iter().fold(Transaction::new(), |tx, &i| {
                tx.create(node(root, i), content(i), CreateMode::Persistent)
            });
            (chunk.len(), zk.multi(tx))
        })
        .collect();
    for (len, batch) in batches {
        assert_eq!(
            within("a batch of creates", batch).await.unwrap().len(),
            len
        );
    }
}

// ----- outside a runtime ---------------------------------------------------------------

#[test]
fn starting_a_client_outside_a_tokio_runtime_fails_with_a_system_error() {
    let started = zk_tokio::Client::start(&shared_standalone().connect_string(), options(LONG));
    assert!(
        matches!(&started, Err(Error::System(why)) if why.contains("runtime")),
        "{started:?}"
    );
}

// ----- every operation -----------------------------------------------------------------

#[tokio::test]
async fn create_returns_the_created_path_with_a_sequence_suffix_for_sequential_modes() {
    let zk = client().await;
    let root = "/tokio-create";
    assert_eq!(
        zk.create(root, "", CreateMode::Persistent).await.unwrap(),
        root
    );
    let sequential = CreateOptions::new(CreateMode::EphemeralSequential);
    let first = zk.create_with(&format!("{root}/n-"), "a", &sequential);
    let second = zk.create(&format!("{root}/n-"), "b", CreateMode::PersistentSequential);
    assert_eq!(first.await.unwrap(), format!("{root}/n-0000000000"));
    assert_eq!(second.await.unwrap(), format!("{root}/n-0000000001"));
    zk.close().await;
}

#[tokio::test]
async fn create_with_stat_returns_the_new_nodes_stat() {
    let zk = client().await;
    let path = "/tokio-create-with-stat";
    let (created, stat) = zk
        .create_with_stat(path, "four", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    assert_eq!(created, path);
    assert_eq!(
        (stat.version, stat.data_length, stat.num_children),
        (0, 4, 0)
    );
    assert_eq!(stat.ephemeral_owner, zk.session_id());
    assert_eq!(zk.exists(path).await.unwrap(), Some(stat));
    zk.close().await;
}

#[tokio::test]
async fn creating_an_existing_node_fails_with_node_exists_and_one_without_parent_with_no_node() {
    let zk = client().await;
    let path = "/tokio-create-twice";
    zk.create(path, "first", CreateMode::Persistent)
        .await
        .unwrap();
    assert_matches!(
        zk.create(path, "second", CreateMode::Persistent).await,
        Err(Error::NodeExists { .. })
    );
    assert_matches!(
        zk.create("/tokio-no-parent/child", "", CreateMode::Persistent)
            .await,
        Err(Error::NoNode { .. })
    );
    assert_eq!(zk.get_data(path).await.unwrap().0, "first");
    zk.close().await;
}

on_both_runtimes!(set_data_returns_the_new_stat_and_get_data_reads_what_it_wrote);

async fn set_data_returns_the_new_stat_and_get_data_reads_what_it_wrote(root: &str) {
    let zk = client().await;
    zk.create(root, "v0", CreateMode::Persistent).await.unwrap();
    let stat = zk
        .set_data(root, "v1 longer", Version::Exact(0))
        .await
        .unwrap();
    assert_eq!((stat.version, stat.data_length), (1, 9));
    let (data, read) = zk.get_data(root).await.unwrap();
    assert_eq!(data, "v1 longer");
    assert_eq!(read, stat);
    zk.close().await;
}

#[tokio::test]
async fn set_data_at_a_stale_version_fails_with_bad_version_and_changes_nothing() {
    let zk = client().await;
    let path = "/tokio-bad-version";
    zk.create(path, "v0", CreateMode::Persistent).await.unwrap();
    zk.set_data(path, "v1", Version::Exact(0)).await.unwrap();
    assert_matches!(
        zk.set_data(path, "stale", Version::Exact(0)).await,
        Err(Error::BadVersion { .. })
    );
    let (data, stat) = zk.get_data(path).await.unwrap();
    assert_eq!((data.as_ref(), stat.version), (&b"v1"[..], 1));
    zk.close().await;
}

#[tokio::test]
async fn exists_returns_the_stat_of_a_node_and_none_where_get_data_fails_with_no_node() {
    let zk = client().await;
    let path = "/tokio-exists";
    zk.create(path, "here", CreateMode::Ephemeral)
        .await
        .unwrap();
    let stat = zk.exists(path).await.unwrap().expect("the node exists");
    assert_eq!(
        (stat.data_length, stat.ephemeral_owner),
        (4, zk.session_id())
    );
    assert_eq!(zk.exists("/tokio-exists-not").await, Ok(None));
    assert_matches!(
        zk.get_data("/tokio-exists-not").await.unwrap_err(),
        Error::NoNode { .. }
    );
    zk.close().await;
}

#[tokio::test]
async fn delete_removes_a_node_and_refuses_a_stale_version_a_missing_node_or_children() {
    let zk = client().await;
    let root = "/tokio-delete";
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let leaf = format!("{root}/leaf");
    zk.create(&leaf, "", CreateMode::Persistent).await.unwrap();
    zk.set_data(&leaf, "v1", Version::Any).await.unwrap();

    assert_matches!(
        zk.delete(root, Version::Any).await,
        Err(Error::NotEmpty { .. })
    );
    assert_matches!(
        zk.delete(&leaf, Version::Exact(0)).await,
        Err(Error::BadVersion { .. })
    );
    assert_eq!(zk.delete(&leaf, Version::Exact(1)).await, Ok(()));
    assert_eq!(zk.exists(&leaf).await, Ok(None));
    assert_matches!(
        zk.delete(&leaf, Version::Any).await,
        Err(Error::NoNode { .. })
    );
    assert_eq!(zk.delete(root, Version::Any).await, Ok(()));
    zk.close().await;
}

#[tokio::test]
async fn get_children_lists_the_children_and_get_children_with_stat_adds_the_nodes_stat() {
    let zk = client().await;
    let root = "/tokio-children";
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    for kid in ["a", "b", "c"] {
        zk.create(&format!("{root}/{kid}"), "", CreateMode::Ephemeral)
            .await
            .unwrap();
    }
    let mut children = zk.get_children(root).await.unwrap();
    children.sort();
    assert_eq!(children, ["a", "b", "c"]);
    let (mut with_stat, stat) = zk.get_children_with_stat(root).await.unwrap();
    with_stat.sort();
    assert_eq!(with_stat, children);
    assert_eq!((stat.num_children, stat.cversion), (3, 3));
    assert_matches!(
        zk.get_children("/tokio-children-not").await,
        Err(Error::NoNode { .. })
    );
    zk.close().await;
}

#[tokio::test]
async fn an_acl_set_with_set_acl_is_read_back_by_get_acl_and_enforced() {
    let zk = client().await;
    let path = "/tokio-acl";
    zk.create(path, "open", CreateMode::Persistent)
        .await
        .unwrap();
    let (acl, stat) = zk.get_acl(path).await.unwrap();
    assert_eq!((acl, stat.aversion), (Acl::open_unsafe(), 0));
    assert_matches!(
        zk.set_acl(path, Acl::read_unsafe(), Version::Exact(3))
            .await,
        Err(Error::BadVersion { .. })
    );

    let stat = zk
        .set_acl(path, Acl::read_unsafe(), Version::Exact(0))
        .await
        .unwrap();
    assert_eq!(stat.aversion, 1);
    assert_eq!(zk.get_acl(path).await.unwrap(), (Acl::read_unsafe(), stat));
    // Read-only now, for everyone: no writes, no ACL changes.
    assert_matches!(
        zk.set_data(path, "changed", Version::Any).await,
        Err(Error::NoAuth { .. })
    );
    assert_matches!(
        zk.set_acl(path, Acl::open_unsafe(), Version::Any).await,
        Err(Error::NoAuth { .. })
    );
    assert_eq!(zk.get_data(path).await.unwrap().0, "open");
    zk.close().await;
}

#[tokio::test]
async fn add_auth_with_a_digest_makes_the_session_the_owner_of_creator_only_nodes() {
    let (zk, stranger) = (client().await, client().await);
    let path = "/tokio-alice-only";
    zk.add_auth("digest", "tokio-alice:secret").await.unwrap();
    let creator_only = CreateOptions::new(CreateMode::Persistent).acl(Acl::creator_all());
    zk.create_with(path, "hers", &creator_only).await.unwrap();

    assert_eq!(zk.get_data(path).await.unwrap().0, "hers");
    let who = zk.who_am_i().await.unwrap();
    assert!(
        who.iter()
            .any(|c| c.auth_scheme == "digest" && c.user == "tokio-alice"),
        "{who:?}"
    );
    assert_matches!(stranger.get_data(path).await, Err(Error::NoAuth { .. }));
    let theirs = stranger.who_am_i().await.unwrap();
    assert!(
        theirs.iter().all(|c| c.auth_scheme != "digest"),
        "{theirs:?}"
    );
    zk.close().await;
    stranger.close().await;
}

#[tokio::test]
async fn an_auth_the_server_rejects_ends_the_session_with_auth_failed() {
    let zk = client().await;
    let path = "/tokio-auth-failed";
    zk.create(path, "", CreateMode::Ephemeral).await.unwrap();
    let mut states = zk.state_changes();
    let (_, _, watch) = zk.get_data_watch(path).await.unwrap();
    assert_eq!(
        zk.add_auth("no-such-scheme", "x").await,
        Err(Error::AuthFailed)
    );
    assert_eq!(zk.state(), SessionState::AuthFailed);
    assert_eq!(next_state(&mut states).await, KeeperState::AuthFailed);
    assert_eq!(within("the end of the states", states.next()).await, None);
    assert_eq!(
        within("the watch's end", watch).await,
        Err(Error::AuthFailed)
    );
    assert_eq!(zk.exists("/").await, Err(Error::AuthFailed));
    no_task_left().await;

    // The same credentials given at connect time fail the connect.
    let refused = Client::connect(
        &shared_standalone().connect_string(),
        options(LONG).auth("no-such-scheme", "x"),
    )
    .await;
    assert_eq!(refused.map(drop), Err(Error::AuthFailed));
}

#[tokio::test]
async fn who_am_i_names_the_connections_ip_identity() {
    let zk = client().await;
    let who = zk.who_am_i().await.unwrap();
    assert!(
        who.iter()
            .any(|c| c.auth_scheme == "ip" && c.user == "127.0.0.1"),
        "{who:?}"
    );
    zk.close().await;
}

#[tokio::test]
async fn get_ephemerals_lists_this_sessions_ephemeral_nodes_under_a_prefix() {
    let (zk, other) = (client().await, client().await);
    let root = "/tokio-ephemerals";
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    zk.create(&format!("{root}/b"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    zk.create(&format!("{root}/a"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    zk.create(&format!("{root}/persistent"), "", CreateMode::Persistent)
        .await
        .unwrap();
    other
        .create(&format!("{root}/theirs"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    zk.create("/tokio-ephemeral-elsewhere", "", CreateMode::Ephemeral)
        .await
        .unwrap();

    let mut mine = zk.get_ephemerals(root).await.unwrap();
    mine.sort();
    assert_eq!(mine, [format!("{root}/a"), format!("{root}/b")]);
    assert_eq!(
        other.get_ephemerals(root).await.unwrap(),
        [format!("{root}/theirs")]
    );
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn get_all_children_number_counts_every_descendant() {
    let zk = client().await;
    let root = "/tokio-descendants";
    for path in ["", "/a", "/a/b", "/a/b/c", "/d"] {
        zk.create(&format!("{root}{path}"), "", CreateMode::Persistent)
            .await
            .unwrap();
    }
    assert_eq!(zk.get_all_children_number(root).await, Ok(4));
    assert_eq!(
        zk.get_all_children_number(&format!("{root}/d")).await,
        Ok(0)
    );
    zk.close().await;
}

#[tokio::test]
async fn sync_answers_with_the_path_it_synced() {
    let zk = client().await;
    zk.create("/tokio-sync", "", CreateMode::Ephemeral)
        .await
        .unwrap();
    assert_eq!(zk.sync("/tokio-sync").await.unwrap(), "/tokio-sync");
    zk.close().await;
}

#[tokio::test]
async fn a_chrooted_client_names_nodes_and_events_below_its_chroot() {
    let root = client().await;
    root.create("/tokio-chroot", "", CreateMode::Persistent)
        .await
        .unwrap();
    let zk = connect(
        &format!("{}/tokio-chroot", shared_standalone().connect_string()),
        options(LONG),
    )
    .await;
    assert_eq!(
        zk.create("/a", "x", CreateMode::Persistent).await.unwrap(),
        "/a"
    );
    assert_eq!(root.get_data("/tokio-chroot/a").await.unwrap().0, "x");
    assert_eq!(zk.get_children("/").await.unwrap(), ["a"]);
    let (_, _, watch) = zk.get_data_watch("/a").await.unwrap();
    root.set_data("/tokio-chroot/a", "y", Version::Any)
        .await
        .unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::NodeDataChanged, "/a")
    );
    zk.close().await;
    root.close().await;
}

#[tokio::test]
async fn get_config_on_a_standalone_server_reads_the_config_node() {
    let zk = client().await;
    let config = zk.get_config().await.unwrap();
    assert_eq!(config, zk.get_data("/zookeeper/config").await.unwrap());
    zk.close().await;
}

#[tokio::test]
async fn reconfig_on_a_server_without_reconfig_enabled_is_refused_with_reconfig_disabled() {
    let zk = client().await;
    assert_eq!(
        zk.reconfig(Some("server.9=127.0.0.1:1:2;3"), None, None, None)
            .await,
        Err(Error::Server {
            code: ErrorCode::ReconfigDisabled,
            path: None,
            chroot: None
        })
    );
    // The session carries on.
    assert!(zk.exists("/").await.unwrap().is_some());
    zk.close().await;
}

#[tokio::test]
async fn multi_applies_every_op_and_returns_their_results_in_order() {
    let zk = client().await;
    let path = "/tokio-multi";
    let results = zk
        .multi(
            Transaction::new()
                .create(path, "v0", CreateMode::Persistent)
                .set_data(path, "v1", Version::Exact(0))
                .check(path, Version::Exact(1))
                .create(format!("{path}-gone"), "", CreateMode::Persistent)
                .delete(format!("{path}-gone"), Version::Exact(0)),
        )
        .await
        .unwrap();
    match results.as_slice() {
        [
            OpResult::Created { path: created, .. },
            OpResult::DataSet(stat),
            OpResult::Checked,
            OpResult::Created { .. },
            OpResult::Deleted,
        ] => {
            assert_eq!(created, path);
            assert_eq!(stat.version, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(zk.get_data(path).await.unwrap().0, "v1");
    assert_eq!(zk.exists(&format!("{path}-gone")).await, Ok(None));
    zk.close().await;
}

#[tokio::test]
async fn a_failing_multi_applies_nothing_and_names_the_failing_op() {
    let zk = client().await;
    let path = "/tokio-multi-failing";
    zk.create(path, "before", CreateMode::Persistent)
        .await
        .unwrap();
    let failing = Transaction::new()
        .create(format!("{path}-first"), "", CreateMode::Persistent)
        .set_data(path, "changed", Version::Any)
        .check(path, Version::Exact(7))
        .create(format!("{path}-last"), "", CreateMode::Persistent);
    assert_matches!(
        zk.multi(failing).await,
        Err(Error::TransactionFailed {
            index: 2,
            code: ErrorCode::BadVersion,
            path: Some(failed),
            chroot: None,
        }) if failed == path
    );
    assert_eq!(zk.exists(&format!("{path}-first")).await, Ok(None));
    assert_eq!(zk.get_data(path).await.unwrap().0, "before");
    zk.close().await;
}

#[tokio::test]
async fn multi_read_gives_each_read_its_own_data_children_or_error() {
    let zk = client().await;
    let root = "/tokio-multi-read";
    zk.create(root, "parent", CreateMode::Persistent)
        .await
        .unwrap();
    zk.create(&format!("{root}/kid"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    let results = zk
        .multi_read(
            ReadBatch::new()
                .get_data(root)
                .get_children(format!("{root}/none"))
                .get_children(root)
                .get_data(format!("{root}/none")),
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        matches!(&results[0], Ok(ReadResult::Data { data, stat }) if data == "parent" && stat.num_children == 1),
        "{results:?}"
    );
    assert_matches!(results[1], Err(Error::NoNode { .. }));
    assert_eq!(
        results[2],
        Ok(ReadResult::Children(vec!["kid".to_string()]))
    );
    assert_matches!(results[3], Err(Error::NoNode { .. }));
    zk.close().await;
}

#[tokio::test]
async fn submit_resolves_to_the_raw_reply_and_refuses_an_invalid_request_at_once() {
    let zk = client().await;
    let path = "/tokio-submit";
    zk.create(path, "raw", CreateMode::Ephemeral).await.unwrap();
    let pending = zk.submit(Request::get_data(path, false)).unwrap();
    let id = pending.id();
    match within("the submitted request's reply", pending).await {
        Completion {
            id: replied,
            result: Ok(Response::GetData { data, .. }),
            watch: None,
        } => assert_eq!((replied, data.as_ref()), (id, &b"raw"[..])),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(
            zk.submit(Request::exists("no-leading-slash", false)),
            Err(Error::InvalidPath { path, .. }) if path == "no-leading-slash"
        ),
        "an invalid path is refused at submit"
    );
    zk.close().await;
}

#[tokio::test]
async fn a_watch_set_by_a_submitted_request_is_registered_and_removable_by_its_handle() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-submitted-watch";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let pending = zk.submit(Request::get_data(path, true)).unwrap();
    let completion = within("the submitted read", pending).await;
    assert!(matches!(completion.result, Ok(Response::GetData { .. })));
    let handle = completion.watch.expect("the read set a watch");
    assert_eq!(handle.kind(), WatchKind::Data);
    assert_eq!(zk.check_watches(path, WatcherType::Any), [handle]);
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(true)
    );

    zk.remove_watch(handle).await.unwrap();
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(false)
    );
    other.set_data(path, "x", Version::Any).await.unwrap();
    barrier(&zk).await;
    assert_eq!(zk.state(), SessionState::Connected);
    zk.close().await;
    other.close().await;
}

// ----- watches ------------------------------------------------------------------------

on_both_runtimes!(a_data_watch_fires_once_after_set_data);

async fn a_data_watch_fires_once_after_set_data(root: &str) {
    let (zk, other) = (client().await, client().await);
    zk.create(root, "v1", CreateMode::Persistent).await.unwrap();
    let (data, _, watch) = zk.get_data_watch(root).await.unwrap();
    assert_eq!(data, "v1");
    assert_eq!(watch.handle().kind(), WatchKind::Data);

    other.set_data(root, "v2", Version::Any).await.unwrap();
    let event = fired(watch).await;
    assert_eq!(what(&event), (EventType::NodeDataChanged, root));
    // One-shot: gone here and on the server.
    assert!(zk.check_watches(root, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(root, WatcherType::Data).await,
        Ok(false)
    );
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn an_exists_watch_on_a_missing_node_fires_when_the_node_is_created() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-exists-watch";
    let (stat, watch) = zk.exists_watch(path).await.unwrap();
    assert_eq!(stat, None);
    assert_eq!(watch.handle().kind(), WatchKind::Exist);
    other.create(path, "", CreateMode::Ephemeral).await.unwrap();
    assert_eq!(what(&fired(watch).await), (EventType::NodeCreated, path));
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn children_with_their_parents_stat_and_a_child_watch_in_one_call() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-children-stat-watch";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (children, stat, watch) = zk.get_children_with_stat_watch(path).await.unwrap();
    assert!(children.is_empty());
    assert_eq!(stat.num_children, 0);
    other
        .create(&format!("{path}/kid"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::NodeChildrenChanged, path)
    );
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_child_watch_fires_when_a_child_is_added() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-child-watch";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (children, watch) = zk.get_children_watch(path).await.unwrap();
    assert!(children.is_empty());
    other
        .create(&format!("{path}/kid"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::NodeChildrenChanged, path)
    );
    zk.close().await;
    other.close().await;
}

on_both_runtimes!(a_persistent_recursive_watch_stream_delivers_every_change_below_its_node);

async fn a_persistent_recursive_watch_stream_delivers_every_change_below_its_node(root: &str) {
    let (zk, other) = (client().await, client().await);
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let mut stream = zk
        .add_watch(root, AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    let kid = format!("{root}/kid");
    other
        .create(&kid, "", CreateMode::Persistent)
        .await
        .unwrap();
    other.set_data(&kid, "x", Version::Any).await.unwrap();
    other.set_data(root, "y", Version::Any).await.unwrap();
    other.delete(&kid, Version::Any).await.unwrap();

    let mut seen = Vec::new();
    for _ in 0..4 {
        let event = next_watch(&mut stream).await;
        assert!(event.fired(stream.handle()), "{event:?}");
        seen.push((event.event_type, event.path));
    }
    assert_eq!(
        seen,
        [
            (EventType::NodeCreated, kid.clone()),
            (EventType::NodeDataChanged, kid.clone()),
            (EventType::NodeDataChanged, root.to_string()),
            (EventType::NodeDeleted, kid),
        ]
    );
    // Persistent: still registered.
    assert_eq!(zk.check_watches(root, WatcherType::Any), [stream.handle()]);
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn check_watches_lists_the_clients_watches_and_check_watches_on_server_asks_the_server() {
    let zk = client().await;
    let path = "/tokio-check-watches";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, data) = zk.get_data_watch(path).await.unwrap();
    let (_, child) = zk.get_children_watch(path).await.unwrap();

    assert_eq!(zk.check_watches(path, WatcherType::Data), [data.handle()]);
    assert_eq!(
        zk.check_watches(path, WatcherType::Children),
        [child.handle()]
    );
    assert_eq!(
        zk.check_watches(path, WatcherType::Any),
        [data.handle(), child.handle()]
    );
    assert!(zk.check_watches("/", WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(true)
    );
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Children)
            .await,
        Ok(true)
    );
    assert_eq!(
        zk.check_watches_on_server("/", WatcherType::Any).await,
        Ok(false)
    );
    zk.close().await;
}

#[tokio::test]
async fn remove_watch_resolves_the_one_shot_watch_with_its_removal() {
    let zk = client().await;
    let path = "/tokio-remove-watch";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, watch) = zk.get_data_watch(path).await.unwrap();
    zk.remove_watch(watch.handle()).await.unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::DataWatchRemoved, path)
    );
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Any).await,
        Ok(false)
    );
    zk.close().await;
}

#[tokio::test]
async fn remove_watches_by_path_ends_a_watch_stream_with_its_removal() {
    let zk = client().await;
    let path = "/tokio-remove-watches";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let mut stream = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();
    zk.remove_watches(path, WatcherType::Any).await.unwrap();
    assert_eq!(
        what(&next_watch(&mut stream).await),
        (EventType::PersistentWatchRemoved, path)
    );
    assert_eq!(within("the stream's end", stream.next()).await, None);
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Any).await,
        Ok(false)
    );
    assert_eq!(
        zk.remove_watches(path, WatcherType::Any).await,
        Err(Error::NoWatcher {
            path: Some(path.to_string()),
            chroot: None
        })
    );
    zk.close().await;
}

#[tokio::test]
async fn remove_watch_locally_ends_the_watch_here_and_on_the_server() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-remove-locally";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, watch) = zk.get_data_watch(path).await.unwrap();
    zk.remove_watch_locally(watch.handle()).await.unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::DataWatchRemoved, path)
    );
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    // Connected, the server was told too (as Java does), so it stops notifying.
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(false)
    );
    other.set_data(path, "x", Version::Any).await.unwrap();
    barrier(&zk).await;
    assert_eq!(zk.state(), SessionState::Connected);
    zk.close().await;
    other.close().await;
}

/// A client whose watch and state streams each keep at most `events` unread.
async fn client_keeping(events: usize) -> Client {
    connect(
        &shared_standalone().connect_string(),
        options(LONG).max_queued_events(events),
    )
    .await
}

#[tokio::test]
async fn a_watch_stream_nobody_reads_keeps_max_queued_events_then_one_overflow() {
    const KEPT: usize = 5;
    const CHANGES: usize = 20;
    let zk = client_keeping(KEPT).await;
    let other = client().await;
    let path = "/tokio-overflow";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let mut stream = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();
    for i in 0..CHANGES {
        other
            .set_data(path, i.to_string(), Version::Any)
            .await
            .unwrap();
    }
    barrier(&zk).await;

    let mut events = Vec::new();
    while let Some(event) = queued_event(&mut stream) {
        events.push(event);
    }
    assert_kept_then_overflow(&events, stream.handle(), KEPT, CHANGES);
    // The watch itself lives on.
    other.set_data(path, "after", Version::Any).await.unwrap();
    assert_eq!(
        what(&next_watch(&mut stream).await),
        (EventType::NodeDataChanged, path)
    );
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn more_one_shot_watches_than_max_queued_events_fired_at_once_each_get_their_event() {
    // The bound is per watch: a program holding many watches, each with its one
    // event to come, gets every one of them however many fire together.
    const KEPT: usize = 4;
    const WATCHES: usize = 50;
    let zk = client_keeping(KEPT).await;
    let other = client().await;
    let root = "/tokio-burst-of-one-shot-watches";
    create_nodes(&other, root, WATCHES).await;
    let mut watches = Vec::new();
    for i in 0..WATCHES {
        let (_, _, watch) = zk.get_data_watch(&node(root, i)).await.unwrap();
        watches.push(watch);
    }
    // One transaction: the server sends the notifications back to back.
    let changes = (0..WATCHES).fold(Transaction::new(), |tx, i| {
        tx.set_data(node(root, i), "changed", Version::Any)
    });
    other.multi(changes).await.unwrap();

    for (i, watch) in watches.into_iter().enumerate() {
        let path = node(root, i);
        let event = within("a one-shot watch", watch).await;
        assert_eq!(
            event.as_ref().map(what),
            Ok((EventType::NodeDataChanged, path.as_str())),
            "the watch on {path}"
        );
    }
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_config_watch_resolves_with_its_removal_when_removed() {
    let zk = client().await;
    let (_, _, watch) = zk.get_config_watch().await.unwrap();
    assert_eq!(
        zk.check_watches("/zookeeper/config", WatcherType::Data),
        [watch.handle()]
    );
    zk.remove_watch(watch.handle()).await.unwrap();
    assert_eq!(
        what(&fired(watch).await),
        (EventType::DataWatchRemoved, "/zookeeper/config")
    );
    assert!(
        zk.check_watches("/zookeeper/config", WatcherType::Any)
            .is_empty()
    );
    zk.close().await;
}

// ----- events in wire order -----------------------------------------------------------

on_both_runtimes!(a_watch_event_is_ready_when_the_reply_of_a_later_read_resolves);

async fn a_watch_event_is_ready_when_the_reply_of_a_later_read_resolves(root: &str) {
    let (zk, other) = (client().await, client().await);
    zk.create(root, "v1", CreateMode::Persistent).await.unwrap();
    for round in 0..20 {
        let (_, _, mut watch) = zk.get_data_watch(root).await.unwrap();
        let mut stream = zk.add_watch(root, AddWatchMode::Persistent).await.unwrap();
        let data = format!("v{}", round + 2);
        other.set_data(root, &data, Version::Any).await.unwrap();

        // The change was made before this read was sent: the server sent the
        // notification before the read's reply, so no waiting is needed for it.
        assert_eq!(zk.get_data(root).await.unwrap().0, data);
        match ready_now(&mut watch) {
            Some(Ok(event)) => assert_eq!(what(&event), (EventType::NodeDataChanged, root)),
            other => panic!("round {round}: the one-shot watch: {other:?}"),
        }
        match queued_event(&mut stream) {
            Some(Event::Watch(event)) => {
                assert_eq!(what(&event), (EventType::NodeDataChanged, root));
            }
            other => panic!("round {round}: the watch stream: {other:?}"),
        }
    }
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_watch_event_of_the_clients_own_write_is_ready_when_the_write_resolves() {
    let zk = client().await;
    let path = "/tokio-own-write";
    zk.create(path, "v1", CreateMode::Persistent).await.unwrap();
    let (_, _, mut watch) = zk.get_data_watch(path).await.unwrap();
    zk.set_data(path, "v2", Version::Any).await.unwrap();
    match ready_now(&mut watch) {
        Some(Ok(event)) => assert_eq!(what(&event), (EventType::NodeDataChanged, path)),
        other => panic!("{other:?}"),
    }
    zk.close().await;
}

// ----- pipelining -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_pipelined_reads_from_sixteen_tasks_each_get_their_own_nodes_content() {
    const NODES: usize = 10_000;
    const TASKS: usize = 16;
    let root = "/tokio-pipelined";
    let zk = client().await;
    create_nodes(&zk, root, NODES).await;

    let readers: Vec<_> = (0..TASKS)
        .map(|task| {
            let zk = zk.clone();
            tokio::spawn(async move {
                // Every read of this task is queued before the first reply is awaited.
                let reads: Vec<_> = (task..NODES)
                    .step_by(TASKS)
                    .map(|i| (i, zk.get_data(&node(root, i))))
                    .collect();
                let count = reads.len();
                for (i, read) in reads {
                    let (data, stat) = read
                        .await
                        .unwrap_or_else(|err| panic!("task {task}, node {i}: {err}"));
                    assert_eq!(data, content(i), "task {task}, node {i}");
                    assert_eq!(stat.data_length as usize, content(i).len());
                }
                count
            })
        })
        .collect();
    let mut read = 0;
    for reader in readers {
        read += joined("a reading task", reader).await;
    }
    assert_eq!(read, NODES);
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(zk.state(), SessionState::Connected);
    zk.close().await;
}

// ----- cancellation ---------------------------------------------------------------------

on_both_runtimes!(calls_cut_short_by_a_tokio_timeout_leave_every_other_call_its_own_reply);

async fn calls_cut_short_by_a_tokio_timeout_leave_every_other_call_its_own_reply(
    root: &'static str,
) {
    const NODES: usize = 64;
    let zk = client().await;
    let session = zk.session_id();
    create_nodes(&zk, root, NODES).await;

    // Callers alongside that never give up.
    let steady: Vec<_> = (0..4)
        .map(|task| {
            let zk = zk.clone();
            tokio::spawn(async move {
                for round in 0..100 {
                    let i = (task * 17 + round) % NODES;
                    let (data, _) = zk.get_data(&node(root, i)).await.unwrap();
                    assert_eq!(data, content(i), "steady task {task}, round {round}");
                }
            })
        })
        .collect();

    // Calls cut short at every stage: before the request is written, while it is on
    // the wire, and (for the longest bound) never.
    let bounds = [
        Duration::ZERO,
        Duration::from_micros(50),
        Duration::from_millis(1),
        PATIENCE,
    ];
    let (mut answered, mut cut) = (0, 0);
    for k in 0..400 {
        let i = k % NODES;
        let bound = bounds[k % bounds.len()];
        match tokio::time::timeout(bound, zk.get_data(&node(root, i))).await {
            Ok(reply) => {
                assert_eq!(reply.unwrap().0, content(i), "call {k}");
                answered += 1;
            }
            Err(_) => {
                assert_ne!(bound, PATIENCE, "call {k} was not answered");
                cut += 1;
            }
        }
    }
    assert!(cut > 0 && answered >= 100, "{answered} answered, {cut} cut");
    for task in steady {
        joined("a steady caller", task).await;
    }

    // Every cut request still completed in the session, unseen.
    settled(&zk).await;
    assert_connected(&zk, session);
    assert_eq!(zk.get_data(&node(root, 7)).await.unwrap().0, content(7));
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_calls_cut_short_by_a_tokio_timeout_leave_no_watch_behind() {
    const NODES: usize = 16;
    let root = "/tokio-cut-watches";
    let zk = client().await;
    create_nodes(&zk, root, NODES).await;
    let bounds = [
        Duration::ZERO,
        Duration::from_micros(200),
        Duration::from_millis(2),
    ];
    let mut cut = 0;
    for k in 0..120 {
        let path = node(root, k % NODES);
        let call = zk.get_data_watch(&path);
        // A watch that did arrive is dropped at once: that removes it too.
        cut += usize::from(
            tokio::time::timeout(bounds[k % bounds.len()], call)
                .await
                .is_err(),
        );
    }
    assert!(cut > 0, "no call was cut short");
    settled(&zk).await;
    for i in 0..NODES {
        let path = node(root, i);
        assert!(
            zk.check_watches(&path, WatcherType::Any).is_empty(),
            "{path}"
        );
    }
    let held = watched_paths(shared_standalone(), zk.session_id());
    assert!(
        held.is_empty(),
        "the server still holds watches on {held:?}"
    );
    zk.close().await;
}

on_both_runtimes!(a_one_shot_watch_that_loses_a_select_keeps_its_event_for_a_later_round);

async fn a_one_shot_watch_that_loses_a_select_keeps_its_event_for_a_later_round(root: &str) {
    let (zk, other) = (client().await, client().await);
    zk.create(root, "v1", CreateMode::Persistent).await.unwrap();
    let (_, _, mut watch) = zk.get_data_watch(root).await.unwrap();
    for round in 0..3 {
        tokio::select! {
            biased;
            event = &mut watch => panic!("round {round}: fired with nothing changed: {event:?}"),
            reply = zk.exists(root) => assert!(reply.unwrap().is_some()),
        }
    }
    other.set_data(root, "v2", Version::Any).await.unwrap();
    let event = tokio::select! {
        event = &mut watch => event.unwrap(),
        reply = zk.exists("/tokio-never-created") => {
            assert_eq!(reply, Ok(None));
            within("the watch, after a lost round", &mut watch).await.unwrap()
        }
    };
    assert_eq!(what(&event), (EventType::NodeDataChanged, root));
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_get_data_watch_call_dropped_by_select_before_its_reply_leaves_no_watch() {
    let zk = client().await;
    let path = "/tokio-select-dropped";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        reply = zk.get_data_watch(path) => panic!("answered before it was sent: {reply:?}"),
    }
    // The request went out all the same; its watch is removed when its reply comes.
    settled(&zk).await;
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Any).await,
        Ok(false)
    );
    assert!(!watched_paths(shared_standalone(), zk.session_id()).contains(&path.to_string()));
    zk.close().await;
}

#[tokio::test]
async fn dropping_a_one_shot_watch_removes_it_here_and_on_the_server() {
    let zk = client().await;
    let path = "/tokio-drop-one-shot";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, watch) = zk.get_data_watch(path).await.unwrap();
    assert_eq!(zk.check_watches(path, WatcherType::Any), [watch.handle()]);
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(true)
    );
    drop(watch);
    settled(&zk).await;
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(false)
    );
    zk.close().await;
}

on_both_runtimes!(dropping_a_watch_stream_removes_it_here_and_on_the_server);

async fn dropping_a_watch_stream_removes_it_here_and_on_the_server(root: &str) {
    let zk = client().await;
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let stream = zk
        .add_watch(root, AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    let server = shared_standalone();
    assert_eq!(zk.check_watches(root, WatcherType::Any), [stream.handle()]);
    assert!(watched_paths(server, zk.session_id()).contains(&root.to_string()));

    drop(stream);
    settled(&zk).await;
    assert!(zk.check_watches(root, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(root, WatcherType::Any).await,
        Ok(false)
    );
    let held = watched_paths(server, zk.session_id());
    assert!(!held.contains(&root.to_string()), "wchc lists {held:?}");
    zk.close().await;
}

#[tokio::test]
async fn dropping_one_of_two_watches_on_a_node_leaves_the_other_firing() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-drop-one-of-two";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, dropped) = zk.get_data_watch(path).await.unwrap();
    let mut kept = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();
    drop(dropped);
    settled(&zk).await;
    assert_eq!(zk.check_watches(path, WatcherType::Any), [kept.handle()]);

    other.set_data(path, "x", Version::Any).await.unwrap();
    let event = next_watch(&mut kept).await;
    assert_eq!(what(&event), (EventType::NodeDataChanged, path));
    assert_eq!(event.watches, [kept.handle()]);
    barrier(&zk).await;
    assert_eq!(queued_event(&mut kept), None, "one event for one change");
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn dropping_the_last_watch_on_a_node_leaves_the_server_no_watch_there() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-drop-last-of-two";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, one_shot) = zk.get_data_watch(path).await.unwrap();
    let persistent = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();
    // Dropped beside the one-shot watch: removed here only, for now.
    drop(persistent);
    settled(&zk).await;
    assert_eq!(
        zk.check_watches(path, WatcherType::Any),
        [one_shot.handle()]
    );

    // The last one: the server must forget every watch of this client on the node,
    // or it would notify it of every change there for the rest of the session.
    drop(one_shot);
    settled(&zk).await;
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Any).await,
        Ok(false)
    );
    other
        .create(&format!("{path}/kid"), "", CreateMode::Ephemeral)
        .await
        .unwrap();
    barrier(&zk).await;
    assert_eq!(zk.state(), SessionState::Connected);
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn dropping_a_watch_and_then_a_call_setting_another_on_the_node_leaves_the_server_none() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-drop-two-in-a-row";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let held = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();
    let setting = zk.add_watch(path, AddWatchMode::Persistent);
    // The first removal cannot take the server's watch away from the call still
    // setting one; once that call's reply is in, nobody holds either watch.
    drop(held);
    drop(setting);
    settled(&zk).await;
    assert!(zk.check_watches(path, WatcherType::Any).is_empty());
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Any).await,
        Ok(false)
    );
    // The session carries on without a notification for anyone.
    other.set_data(path, "x", Version::Any).await.unwrap();
    barrier(&zk).await;
    assert_eq!(zk.state(), SessionState::Connected);
    zk.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_watch_dropped_while_a_new_one_on_the_node_is_being_set_leaves_the_new_one_firing() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-drop-while-rearming";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let (_, _, old) = zk.get_data_watch(path).await.unwrap();
    // The new watch's request goes out before the old one's removal.
    let new = zk.get_data_watch(path);
    drop(old);
    let (_, _, new) = new.await.unwrap();
    settled(&zk).await;
    assert_eq!(zk.check_watches(path, WatcherType::Any), [new.handle()]);
    assert_eq!(
        zk.check_watches_on_server(path, WatcherType::Data).await,
        Ok(true)
    );
    other.set_data(path, "x", Version::Any).await.unwrap();
    assert_eq!(what(&fired(new).await), (EventType::NodeDataChanged, path));
    zk.close().await;
    other.close().await;
}

// ----- close --------------------------------------------------------------------------

on_both_runtimes!(close_with_fifty_calls_in_flight_resolves_each_and_returns_in_time);

async fn close_with_fifty_calls_in_flight_resolves_each_and_returns_in_time(root: &'static str) {
    let close_timeout = Duration::from_secs(2);
    let zk = connect(
        &shared_standalone().connect_string(),
        options(LONG).close_timeout(close_timeout),
    )
    .await;
    let observer = client().await;
    zk.create(root, "", CreateMode::Persistent).await.unwrap();
    let path = |i: usize| format!("{root}/n{i:02}");
    // 200 KiB in all, more than the session buffers for the socket (64 KiB): on a
    // current-thread runtime, where the driver cannot write before this task yields,
    // the tail is still queued when close runs.
    let data = vec![b'x'; 4096];
    let calls: Vec<_> = (0..50)
        .map(|i| tokio::spawn(zk.create(&path(i), &data, CreateMode::Persistent)))
        .collect();

    let started = Instant::now();
    zk.close().await;
    let took = started.elapsed();
    assert!(
        took < close_timeout + Duration::from_secs(1),
        "close took {took:?}"
    );
    assert_eq!(zk.state(), SessionState::Closed);

    // Each call resolves: those on the wire before the closeSession with their reply,
    // the rest with Closed, so the answered ones are the first ones.
    let mut created = Vec::new();
    for (i, call) in calls.into_iter().enumerate() {
        match joined("a call in flight at close", call).await {
            Ok(created_path) => {
                assert_eq!(created_path, path(i));
                assert_eq!(created.len(), i, "call {i} answered after one that was not");
                created.push(created_path);
            }
            Err(Error::Closed | Error::ConnectionLoss) => {}
            Err(err) => panic!("call {i}: {err}"),
        }
    }
    let mut on_server: Vec<String> = observer
        .get_children(root)
        .await
        .unwrap()
        .into_iter()
        .map(|kid| format!("{root}/{kid}"))
        .collect();
    on_server.sort();
    assert_eq!(
        on_server, created,
        "the server has exactly the answered creates"
    );
    assert!(
        !created.is_empty(),
        "the buffered head went out before the close"
    );
    observer.close().await;
}

#[tokio::test]
async fn after_close_every_call_fails_at_once_with_closed_and_every_stream_ends() {
    let zk = client().await;
    let path = "/tokio-after-close";
    zk.create(path, "", CreateMode::Persistent).await.unwrap();
    let mut states = zk.state_changes();
    let (_, _, watch) = zk.get_data_watch(path).await.unwrap();
    let mut stream = zk.add_watch(path, AddWatchMode::Persistent).await.unwrap();

    zk.close().await;
    assert_eq!(next_state(&mut states).await, KeeperState::Closed);
    assert_eq!(within("the end of the states", states.next()).await, None);
    assert_eq!(within("the watch's end", watch).await, Err(Error::Closed));
    assert_eq!(
        next_event(&mut stream).await,
        Event::Session {
            state: KeeperState::Closed,
            reason: Some(StateReason::ClosedByApplication { confirmed: true })
        },
        "the stream ends on the close, and why"
    );
    assert_eq!(within("the end of the stream", stream.next()).await, None);

    let started = Instant::now();
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(zk.exists("/").await, Err(Error::Closed));
    assert_eq!(
        zk.create("/tokio-after-close-2", "", CreateMode::Ephemeral)
            .await,
        Err(Error::Closed)
    );
    assert!(matches!(zk.get_data_watch(path).await, Err(Error::Closed)));
    assert!(matches!(
        zk.add_watch(path, AddWatchMode::Persistent).await,
        Err(Error::Closed)
    ));
    assert!(matches!(
        zk.submit(Request::exists("/", false)),
        Err(Error::Closed)
    ));
    assert_eq!(zk.add_auth("digest", "late:pw").await, Err(Error::Closed));
    assert_eq!(zk.wait_until_connected(PATIENCE).await, Err(Error::Closed));
    let mut late = zk.state_changes();
    assert_eq!(within("a late state stream", late.next()).await, None);
    zk.close().await; // harmless
    let took = started.elapsed();
    assert!(took < AT_ONCE, "calls after the close took {took:?}");
    no_task_left().await;
}

#[tokio::test]
async fn the_session_lives_while_any_clone_does_and_dropping_the_last_closes_it() {
    let (zk, other) = (client().await, client().await);
    let path = "/tokio-last-clone";
    zk.create(path, "", CreateMode::Ephemeral).await.unwrap();
    let session = zk.session_id();
    let clone = zk.clone();
    drop(zk);
    assert!(clone.exists(path).await.unwrap().is_some());
    assert_connected(&clone, session);

    let dropped = Instant::now();
    drop(clone);
    // The session timeout is LONG: only a closeSession makes the server drop the
    // ephemeral this soon.
    until("the server drops the ephemeral", LONG / 2, || {
        let exists = other.exists(path);
        async move { exists.await.unwrap().is_none() }
    })
    .await;
    assert!(dropped.elapsed() < LONG / 2);
    other.close().await;
    no_task_left().await;
}
