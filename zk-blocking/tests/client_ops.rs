//! Every `Client` operation once, against the shared real server.

use std::time::Duration;
use zk_blocking::Version;
use zk_test_support::assert_matches;

use zk_blocking::{
    AddWatchMode, Client, CreateMode, CreateOptions, Error, Event, EventType, KeeperState,
    OpResult, Options, ReadBatch, ReadResult, StateReason, Transaction, WatchKind, WatcherType,
    zk_proto,
};

fn connect() -> Client {
    Client::connect(
        &zk_tests::shared_standalone().connect_string(),
        Options::default().session_timeout(Duration::from_secs(10)),
    )
    .expect("connecting to the shared server")
}

/// A fresh persistent node for one test.
fn root(client: &mut Client, name: &str) -> String {
    let path = format!("/ops-{name}");
    client
        .create(&path, "", CreateMode::Persistent)
        .expect("creating the test root");
    path
}

/// The next watch event within 5 s, skipping session events.
fn next_watch(client: &mut Client) -> zk_blocking::WatchedEvent {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if let Some(Event::Watch(e)) = client.next_event(Duration::from_millis(200)).unwrap() {
            return e;
        }
    }
    panic!("no watch event within 5 s");
}

#[test]
fn create_in_every_mode_with_and_without_stat() {
    let mut zk = connect();
    let root = root(&mut zk, "create");
    assert_eq!(
        zk.create(&format!("{root}/p"), "d", CreateMode::Persistent)
            .unwrap(),
        format!("{root}/p")
    );
    let e = zk
        .create(&format!("{root}/e"), "d", CreateMode::Ephemeral)
        .unwrap();
    let s1 = zk
        .create(&format!("{root}/s-"), "", CreateMode::PersistentSequential)
        .unwrap();
    let s2 = zk
        .create(&format!("{root}/s-"), "", CreateMode::EphemeralSequential)
        .unwrap();
    assert!(
        s1 < s2 && s1.starts_with(&format!("{root}/s-")),
        "{s1} {s2}"
    );
    let (c, stat) = zk
        .create_with_stat(
            &format!("{root}/c"),
            "xy",
            &CreateOptions::new(CreateMode::Container),
        )
        .unwrap();
    assert_eq!(
        (c.as_str(), stat.data_length),
        (format!("{root}/c").as_str(), 2)
    );
    let (_, stat) = zk
        .create_with_stat(
            &format!("{root}/p2"),
            "abc",
            &CreateOptions::new(CreateMode::Persistent),
        )
        .unwrap();
    assert_eq!(stat.data_length, 3);
    let eph = zk.exists(&e).unwrap().unwrap();
    assert_eq!(eph.ephemeral_owner, zk.session_id());
    // TTL modes need extended types on the server; a TTL with a plain mode is refused here.
    let bad = zk.create_with(
        &format!("{root}/t"),
        "",
        &CreateOptions::new(CreateMode::Persistent).ttl(Duration::from_millis(5)),
    );
    assert!(matches!(bad, Err(Error::InvalidArgument(_))), "{bad:?}");
    zk.close();
}

#[test]
fn ttl_nodes_on_a_server_with_extended_types() {
    let server = zk_tests::ZkServer::start_standalone(
        &zk_tests::ServerOptions::default().extended_types(true),
    )
    .unwrap();
    let mut zk = Client::connect(&server.connect_string(), Options::default()).unwrap();
    let opts = CreateOptions::new(CreateMode::PersistentWithTtl).ttl(Duration::from_secs(60));
    let (path, stat) = zk.create_with_stat("/ttl", "x", &opts).unwrap();
    assert_eq!((path.as_str(), stat.data_length), ("/ttl", 1));
    let seq =
        CreateOptions::new(CreateMode::PersistentSequentialWithTtl).ttl(Duration::from_secs(60));
    assert!(
        zk.create_with("/ttl/s-", "", &seq)
            .unwrap()
            .starts_with("/ttl/s-")
    );
}

#[test]
fn read_write_delete_children_acl_and_counts() {
    let mut zk = connect();
    let root = root(&mut zk, "rw");
    let a = format!("{root}/a");
    zk.create(&a, "one", CreateMode::Persistent).unwrap();
    zk.create(&format!("{a}/x"), "", CreateMode::Persistent)
        .unwrap();
    zk.create(&format!("{root}/b"), "", CreateMode::Ephemeral)
        .unwrap();

    let (data, stat) = zk.get_data(&a).unwrap();
    assert_eq!((&data[..], stat.version), (&b"one"[..], 0));
    let stat = zk.set_data(&a, "two", Version::Exact(0)).unwrap();
    assert_eq!(stat.version, 1);
    assert_eq!(zk.exists(&a).unwrap().unwrap().version, 1);
    assert_eq!(zk.exists(&format!("{root}/none")).unwrap(), None);

    let mut children = zk.get_children(&root).unwrap();
    children.sort();
    assert_eq!(children, ["a", "b"]);
    let (children, stat) = zk.get_children_with_stat(&root).unwrap();
    assert_eq!((children.len(), stat.num_children), (2, 2));
    assert_eq!(zk.get_all_children_number(&root).unwrap(), 3);
    assert_eq!(zk.get_ephemerals(&root).unwrap(), [format!("{root}/b")]);
    assert_eq!(zk.sync(&root).unwrap(), root);

    let (acl, _) = zk.get_acl(&a).unwrap();
    assert_eq!(acl, zk_proto::Acl::open_unsafe());
    let read_admin = vec![zk_blocking::Acl::new(
        zk_blocking::Perms(zk_blocking::Perms::READ.bits() | zk_blocking::Perms::ADMIN.bits()),
        zk_blocking::Id::anyone(),
    )];
    let stat = zk
        .set_acl(&a, read_admin.clone(), Version::Exact(0))
        .unwrap();
    assert_eq!(stat.aversion, 1);
    assert_eq!(zk.get_acl(&a).unwrap().0, read_admin);
    assert_matches!(
        zk.set_data(&a, "three", Version::Any),
        Err(Error::NoAuth { .. })
    );
    zk.set_acl(&a, zk_proto::Acl::open_unsafe(), Version::Exact(1))
        .unwrap();

    zk.delete(&format!("{a}/x"), Version::Any).unwrap();
    zk.delete(&a, Version::Exact(1)).unwrap();
    assert_eq!(zk.exists(&a).unwrap(), None);

    let me = zk.who_am_i().unwrap();
    assert!(me.iter().any(|i| i.auth_scheme == "ip"), "{me:?}");
    zk.close();
}

#[test]
fn config_and_reconfig_on_a_standalone_server() {
    let mut zk = connect();
    // Standalone servers keep an (empty) config node and refuse reconfig.
    match zk.get_config() {
        Ok(_) | Err(Error::NoNode { .. }) => {}
        Err(e) => panic!("get_config: {e}"),
    }
    match zk.get_config_watch() {
        Ok((_, _, w)) => assert_eq!(w.kind(), WatchKind::Data),
        Err(e) => assert_matches!(e, Error::NoNode { .. }),
    }
    let r = zk.reconfig(Some("server.9=127.0.0.1:1:2;3"), None, None, None);
    assert!(
        matches!(
            r,
            Err(Error::Server { code: _, .. } | Error::Unimplemented | Error::NoAuth { .. })
        ),
        "{r:?}"
    );
    zk.close();
}

#[test]
fn multi_and_multi_read_have_typed_results() {
    let mut zk = connect();
    let root = root(&mut zk, "multi");
    let results = zk
        .multi(
            Transaction::new()
                .create(format!("{root}/a"), "1", CreateMode::Persistent)
                .create_with(
                    format!("{root}/s-"),
                    "",
                    &CreateOptions::new(CreateMode::PersistentSequential),
                    true,
                )
                .set_data(format!("{root}/a"), "2", Version::Exact(0))
                .check(format!("{root}/a"), Version::Exact(1))
                .delete(format!("{root}/a"), Version::Exact(1)),
        )
        .unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(
        results[0],
        OpResult::Created {
            path: format!("{root}/a"),
            stat: None
        }
    );
    assert!(
        // 3.8 servers answer a create2 sub-op without the Stat (result type 1).
        matches!(&results[1], OpResult::Created { path, .. } if path.starts_with(&format!("{root}/s-")))
    );
    assert!(matches!(results[2], OpResult::DataSet(s) if s.version == 1));
    assert_eq!(results[3], OpResult::Checked);
    assert_eq!(results[4], OpResult::Deleted);

    let failed = zk.multi(
        Transaction::new()
            .create(format!("{root}/b"), "", CreateMode::Persistent)
            .check(format!("{root}/nope"), Version::Exact(0)),
    );
    assert_matches!(
        failed,
        Err(Error::TransactionFailed {
            index: 1,
            code: zk_blocking::ErrorCode::NoNode,
            path: Some(failed),
            ..
        }) if failed == format!("{root}/nope")
    );
    assert_eq!(
        zk.exists(&format!("{root}/b")).unwrap(),
        None,
        "rolled back"
    );
    assert_eq!(zk.multi(Transaction::new()).unwrap(), []);

    zk.create(&format!("{root}/c"), "cc", CreateMode::Persistent)
        .unwrap();
    let reads = zk
        .multi_read(
            ReadBatch::new()
                .get_data(format!("{root}/c"))
                .get_children(root.clone())
                .get_data(format!("{root}/none")),
        )
        .unwrap();
    assert!(matches!(&reads[0], Ok(ReadResult::Data { data, .. }) if &data[..] == b"cc"));
    assert!(matches!(&reads[1], Ok(ReadResult::Children(c)) if c.len() == 2));
    assert_matches!(reads[2], Err(Error::NoNode { .. }));
    zk.close();
}

#[test]
fn one_shot_watches_fire_with_their_handles() {
    let mut zk = connect();
    let mut other = connect();
    let root = root(&mut zk, "watch");
    let a = format!("{root}/a");

    let (stat, exist) = zk.exists_watch(&a).unwrap();
    assert_eq!((stat, exist.kind()), (None, WatchKind::Exist));
    let (_, child) = zk.get_children_watch(&root).unwrap();
    other.create(&a, "1", CreateMode::Persistent).unwrap();
    let mut seen = [next_watch(&mut zk), next_watch(&mut zk)];
    seen.sort_by_key(|e| e.path.clone());
    assert_eq!(
        (seen[0].event_type, seen[0].path.as_str()),
        (EventType::NodeChildrenChanged, root.as_str())
    );
    assert!(seen[0].fired(child));
    assert_eq!(
        (seen[1].event_type, seen[1].path.as_str()),
        (EventType::NodeCreated, a.as_str())
    );
    assert!(seen[1].fired(exist));

    let (_, _, data) = zk.get_data_watch(&a).unwrap();
    let (_, exists_on_node) = zk.exists_watch(&a).unwrap();
    assert_eq!(exists_on_node.kind(), WatchKind::Data);
    other.set_data(&a, "2", Version::Any).unwrap();
    let e = next_watch(&mut zk);
    assert_eq!(e.event_type, EventType::NodeDataChanged);
    assert!(e.fired(data) && e.fired(exists_on_node), "{e:?}");
    assert!(
        zk.check_watches(&a, WatcherType::Any).is_empty(),
        "one-shot watches are gone"
    );
    zk.close();
    other.close();
}

#[test]
fn persistent_watches_stay_and_can_be_removed() {
    let mut zk = connect();
    let root = root(&mut zk, "persistent");
    let p = format!("{root}/p");
    zk.create(&p, "", CreateMode::Persistent).unwrap();
    // The server keeps one watch mode per path and connection, so use two paths.
    let recursive = zk
        .add_watch(&root, AddWatchMode::PersistentRecursive)
        .unwrap();
    let plain = zk.add_watch(&p, AddWatchMode::Persistent).unwrap();
    assert_eq!(zk.check_watches(&root, WatcherType::Any), [recursive]);
    assert_eq!(zk.check_watches(&p, WatcherType::Any), [plain]);
    zk.create(&format!("{p}/x"), "", CreateMode::Persistent)
        .unwrap();
    zk.create(&format!("{root}/q"), "", CreateMode::Persistent)
        .unwrap();
    let mut fired_recursive = 0;
    for _ in 0..3 {
        let e = next_watch(&mut zk);
        if e.fired(recursive) {
            fired_recursive += 1;
            assert_eq!(e.event_type, EventType::NodeCreated);
        } else {
            assert!(
                e.fired(plain) && e.event_type == EventType::NodeChildrenChanged,
                "{e:?}"
            );
        }
    }
    assert_eq!(fired_recursive, 2, "created p/x and q");

    zk.remove_watch(plain).unwrap();
    let e = next_watch(&mut zk);
    assert_eq!(
        (e.event_type, e.watches.as_slice()),
        (EventType::PersistentWatchRemoved, &[plain][..])
    );
    assert_eq!(zk.check_watches(&root, WatcherType::Any), [recursive]);
    zk.remove_watch_locally(recursive).unwrap();
    assert_eq!(next_watch(&mut zk).watches, [recursive]);
    assert_eq!(zk.remove_watch(recursive), Err(Error::no_watcher()));

    let (_, _, _) = zk.get_data_watch(&root).unwrap();
    let (_, _) = zk.get_children_watch(&root).unwrap();
    zk.remove_watches(&root, WatcherType::Data).unwrap();
    assert_eq!(next_watch(&mut zk).event_type, EventType::DataWatchRemoved);
    zk.remove_watches_locally(&root, WatcherType::Children)
        .unwrap();
    assert_eq!(next_watch(&mut zk).event_type, EventType::ChildWatchRemoved);
    assert!(matches!(
        zk.remove_watches(&root, WatcherType::Any),
        Err(Error::NoWatcher { .. })
    ));
    zk.close();
}

#[test]
fn auth_identities_and_no_auth() {
    let mut owner = connect();
    owner.add_auth("digest", "alice:secret").unwrap();
    let me = owner.who_am_i().unwrap();
    assert!(
        me.iter()
            .any(|i| i.auth_scheme == "digest" && i.user == "alice"),
        "{me:?}"
    );
    let opts = CreateOptions::new(CreateMode::Ephemeral).acl(zk_proto::Acl::creator_all());
    owner.create_with("/ops-private", "secret", &opts).unwrap();

    let mut stranger = connect();
    assert_matches!(stranger.get_data("/ops-private"), Err(Error::NoAuth { .. }));
    let mut friend = Client::connect(
        &zk_tests::shared_standalone().connect_string(),
        Options::default().auth("digest", "alice:secret"),
    )
    .unwrap();
    assert_eq!(&friend.get_data("/ops-private").unwrap().0[..], b"secret");
    owner.close();
    stranger.close();
    friend.close();
}

#[test]
fn next_event_reports_session_states_then_the_end() {
    let mut zk = connect();
    assert_eq!(
        zk.next_event(Duration::ZERO).unwrap(),
        Some(Event::Session {
            state: KeeperState::SyncConnected,
            reason: None
        })
    );
    assert_eq!(zk.next_event(Duration::from_millis(50)).unwrap(), None);
    zk.close();
    assert_eq!(
        zk.next_event(Duration::ZERO).unwrap(),
        Some(Event::Session {
            state: KeeperState::Closed,
            reason: Some(StateReason::ClosedByApplication { confirmed: true })
        })
    );
    assert_eq!(zk.next_event(Duration::ZERO), Err(Error::Closed));
    assert_eq!(zk.exists("/"), Err(Error::Closed));
}

#[test]
fn timeouts_too_long_for_the_clock_mean_no_deadline() {
    let mut zk = Client::connect(
        &zk_tests::shared_standalone().connect_string(),
        Options::default()
            .session_timeout(Duration::from_secs(10))
            .call_timeout(Duration::MAX),
    )
    .expect("connecting to the shared server");
    let path = root(&mut zk, "huge-timeouts");
    assert!(zk.exists(&path).unwrap().is_some());
    let id = zk
        .submit(zk_blocking::Request::get_data(path.as_str(), false))
        .unwrap();
    assert!(zk.wait_timeout(id, Duration::MAX).is_ok());
    let id = zk
        .submit(zk_blocking::Request::get_data(path.as_str(), false))
        .unwrap();
    assert!(
        zk.wait_any(Duration::MAX)
            .unwrap()
            .is_some_and(|c| c.id == id)
    );
    zk.delete(&path, Version::Any).unwrap();
    zk.close();
}
