//! Scenarios: a chroot in the connect string, on every op, in multi results, in watch
//! events, and across a reconnect (the re-registered watches carry server paths).

mod common;

use std::time::Duration;
use zk_blocking::Version;
use zk_test_support::assert_matches;

use common::{connect, next_watch, options, queued_events, states, until_state, watch_summary};
use zk_blocking::{
    AddWatchMode, Client, CreateMode, CreateOptions, Error, Event, EventType, KeeperState,
    OpResult, ReadBatch, ReadResult, Transaction, zk_proto,
};
use zk_tests::proxy::FaultProxy;
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A client at the root, and one chrooted at `/<name>` (created first).
fn clients(name: &str, via: Option<&FaultProxy>) -> (Client, Client) {
    let server = shared_standalone();
    let mut root = connect(&server.connect_string(), options(TIMEOUT));
    root.create(&format!("/{name}"), "", CreateMode::Persistent)
        .unwrap();
    let address = via.map_or_else(|| server.connect_string(), FaultProxy::connect_string);
    let chrooted = connect(&format!("{address}/{name}"), options(TIMEOUT));
    (root, chrooted)
}

#[test]
fn every_op_of_a_chrooted_client_works_under_its_chroot() {
    let (mut root, mut zk) = clients("chroot-ops", None);
    assert_eq!(zk.create("/a", "1", CreateMode::Persistent).unwrap(), "/a");
    let (path, stat) = zk
        .create_with_stat("/b", "22", &CreateOptions::new(CreateMode::Persistent))
        .unwrap();
    assert_eq!((path.as_str(), stat.data_length), ("/b", 2));
    let seq = zk
        .create("/s-", "", CreateMode::PersistentSequential)
        .unwrap();
    assert_eq!(seq, "/s-0000000002");
    let eph = zk.create("/e", "", CreateMode::Ephemeral).unwrap();
    assert_eq!(eph, "/e");
    for server_path in ["/chroot-ops/a", "/chroot-ops/b", "/chroot-ops/s-0000000002"] {
        assert!(root.exists(server_path).unwrap().is_some(), "{server_path}");
    }

    // The chroot itself is the client's root.
    let (_, root_stat) = root.get_data("/chroot-ops").unwrap();
    assert_eq!(zk.exists("/").unwrap(), Some(root_stat));
    assert_eq!(zk.exists("/a").unwrap().unwrap().data_length, 1);
    assert_eq!(zk.get_data("/b").unwrap().0, "22");
    let stat = zk.set_data("/a", "one", Version::Exact(0)).unwrap();
    assert_eq!(
        root.get_data("/chroot-ops/a").unwrap(),
        ("one".into(), stat)
    );
    let (acl, _) = zk.get_acl("/a").unwrap();
    assert_eq!(acl, zk_proto::Acl::open_unsafe());
    zk.set_acl("/a", zk_proto::Acl::read_unsafe(), Version::Any)
        .unwrap();
    assert_eq!(
        root.get_acl("/chroot-ops/a").unwrap().0,
        zk_proto::Acl::read_unsafe()
    );
    let mut children = zk.get_children("/").unwrap();
    children.sort();
    assert_eq!(children, ["a", "b", "e", "s-0000000002"]);
    let (children, stat) = zk.get_children_with_stat("/").unwrap();
    assert_eq!((children.len(), stat.num_children), (4, 4));
    assert_eq!(zk.get_all_children_number("/").unwrap(), 4);
    // Sync answers with the server path; getEphemerals takes and gives server paths.
    assert_eq!(zk.sync("/a").unwrap(), "/a", "sync answers the client path");
    assert_eq!(zk.get_ephemerals("/chroot-ops").unwrap(), ["/chroot-ops/e"]);
    let reads = zk
        .multi_read(ReadBatch::new().get_data("/b").get_children("/"))
        .unwrap();
    assert_eq!(reads.len(), 2);
    assert!(matches!(&reads[0], Ok(ReadResult::Data { data, .. }) if data == "22"));
    assert!(matches!(&reads[1], Ok(ReadResult::Children(c)) if c.len() == 4));
    zk.delete("/b", Version::Any).unwrap();
    assert_eq!(root.exists("/chroot-ops/b").unwrap(), None);
    // Nothing outside the chroot is reachable by a client path.
    assert_matches!(zk.get_data("/chroot-ops"), Err(Error::NoNode { .. }));
    zk.close();
    root.close();
}

#[test]
fn multi_results_of_a_chrooted_client_carry_client_paths() {
    let (mut root, mut zk) = clients("chroot-multi", None);
    let results = zk
        .multi(
            Transaction::new()
                .create("/m", "", CreateMode::Persistent)
                .create("/m/seq-", "", CreateMode::PersistentSequential)
                .create_with(
                    "/m/with-stat",
                    "x",
                    &CreateOptions::new(CreateMode::Persistent),
                    true,
                )
                .set_data("/m", "data", Version::Any)
                .check("/m", Version::Exact(1))
                .delete("/m/with-stat", Version::Any),
        )
        .unwrap();
    assert_eq!(results.len(), 6);
    let created: Vec<&str> = results
        .iter()
        .filter_map(|r| match r {
            OpResult::Created { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(created, ["/m", "/m/seq-0000000000", "/m/with-stat"]);
    assert!(matches!(results[3], OpResult::DataSet(_)));
    assert_eq!(results[4], OpResult::Checked);
    assert_eq!(results[5], OpResult::Deleted);
    assert_eq!(
        root.get_children("/chroot-multi/m").unwrap(),
        ["seq-0000000000"]
    );
    zk.close();
    root.close();
}

#[test]
fn watch_events_of_a_chrooted_client_carry_client_paths() {
    let (mut root, mut zk) = clients("chroot-watch", None);
    zk.create("/w", "", CreateMode::Persistent).unwrap();
    let (_, _, data) = zk.get_data_watch("/w").unwrap();
    let (_, children) = zk.get_children_watch("/").unwrap();
    let (_, missing) = zk.exists_watch("/later").unwrap();
    let recursive = zk
        .add_watch("/w", AddWatchMode::PersistentRecursive)
        .unwrap();

    root.set_data("/chroot-watch/w", "x", Version::Any).unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDataChanged, "/w", vec![data, recursive])
    );

    root.create("/chroot-watch/later", "", CreateMode::Persistent)
        .unwrap();
    let events = [next_watch(&mut zk), next_watch(&mut zk)];
    let mut fired = events.iter().map(watch_summary).collect::<Vec<_>>();
    fired.sort_by_key(|&(_, path, _)| path);
    assert_eq!(
        fired,
        [
            (EventType::NodeChildrenChanged, "/", vec![children]),
            (EventType::NodeCreated, "/later", vec![missing]),
        ]
    );

    root.create("/chroot-watch/w/deep", "", CreateMode::Persistent)
        .unwrap();
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeCreated, "/w/deep", vec![recursive])
    );
    zk.close();
    root.close();
}

#[test]
fn a_chrooted_client_keeps_its_chroot_and_watches_across_a_reconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let (mut root, mut zk) = clients("chroot-reconnect", Some(&proxy));
    let session = zk.session_id();
    zk.create("/r", "v1", CreateMode::Persistent).unwrap();
    let (_, _, watch) = zk.get_data_watch("/r").unwrap();

    // Cut the connection and change the node before the client notices: only the
    // re-registration (with the chroot prepended) can tell it.
    proxy.close_all();
    root.set_data("/chroot-reconnect/r", "v2", Version::Any)
        .unwrap();
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(
        watch_summary(&next_watch(&mut zk)),
        (EventType::NodeDataChanged, "/r", vec![watch])
    );
    assert_eq!(zk.session_id(), session);

    assert_eq!(zk.get_data("/r").unwrap().0, "v2");
    assert_eq!(zk.create("/r2", "", CreateMode::Persistent).unwrap(), "/r2");
    assert!(root.exists("/chroot-reconnect/r2").unwrap().is_some());
    assert!(
        queued_events(&mut zk)
            .iter()
            .all(|e| !matches!(e, Event::Session { .. }))
    );
    zk.close();
    root.close();
}

#[test]
fn a_no_node_names_the_client_path_and_the_chroot() {
    let (mut root, mut zk) = clients("chroot-errors", None);
    let err = zk.get_data("/absent/child").unwrap_err();
    assert_eq!(
        err.to_string(),
        "NoNode: /absent/child (under chroot /chroot-errors): the node does not exist; create it, or its parent, first"
    );
    assert_eq!(
        (err.path(), err.chroot()),
        (Some("/absent/child"), Some("/chroot-errors"))
    );
    zk.close();
    root.close();
}

#[test]
fn a_failed_read_of_a_batch_names_the_client_path_and_the_chroot() {
    let (mut root, mut zk) = clients("chroot-read-errors", None);
    let reads = zk.multi_read(ReadBatch::new().get_data("/absent")).unwrap();
    let err = reads[0].as_ref().unwrap_err();
    assert_eq!(
        (err.path(), err.chroot()),
        (Some("/absent"), Some("/chroot-read-errors"))
    );
    assert!(
        err.to_string()
            .starts_with("NoNode: /absent (under chroot /chroot-read-errors): "),
        "{err}"
    );
    zk.close();
    root.close();
}

#[test]
fn a_chroot_missing_on_the_server_is_named_by_the_first_no_node() {
    let server = shared_standalone();
    let mut zk = connect(
        &format!("{}/chroot-never-created", server.connect_string()),
        options(TIMEOUT),
    );
    let on_root = zk.get_children("/").unwrap_err();
    assert_matches!(on_root, Error::NoNode { .. });
    assert!(
        on_root.to_string().contains(
            "the chroot /chroot-never-created does not exist on the server: create it first"
        ),
        "{on_root}"
    );
    let under_root = zk
        .create("/config", "", CreateMode::Persistent)
        .unwrap_err();
    assert!(
        under_root.to_string().contains(
            "if the chroot /chroot-never-created does not exist on the server, create it first"
        ),
        "{under_root}"
    );
    zk.close();
}

#[test]
fn a_failed_transaction_names_the_client_path_of_its_failing_op() {
    let (mut root, mut zk) = clients("chroot-tx-errors", None);
    let err = zk
        .multi(
            Transaction::new()
                .create("/fine", "", CreateMode::Persistent)
                .delete("/missing", Version::Any),
        )
        .unwrap_err();
    assert_matches!(err, Error::TransactionFailed { index: 1, .. });
    assert_eq!(
        (err.path(), err.chroot()),
        (Some("/missing"), Some("/chroot-tx-errors"))
    );
    assert!(
        err.to_string()
            .contains("sub-op 1 on /missing (under chroot /chroot-tx-errors) failed with NONODE"),
        "{err}"
    );
    zk.close();
    root.close();
}
