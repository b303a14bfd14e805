//! Parties on a real server, on the shared, blocking and tokio clients: members join
//! and are listed, leave, and are gone with their session; the wait for a change sees
//! another client's join and times out quietly; and kazoo's parties (`Party`,
//! `ShallowParty`, driven through `tests/kazoo/helper.py`) and ours list each other.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Kazoo, PATIENCE, blocking, expire, fresh_path, shared};
use zk_recipes::run::Blocking;
use zk_recipes::{Party, ShallowParty};
use zk_tests::shared_standalone;

/// How long a wait that should see no change waits.
const QUIET: Duration = Duration::from_millis(300);

fn hosts() -> String {
    shared_standalone().connect_string()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn three_members_join_and_are_listed_then_one_leaves_and_ones_session_closes() {
    let path = fresh_path("party-three");
    let clients: Vec<_> = (0..3).map(|_| shared(&hosts())).collect();
    let mut members: Vec<(Party, _)> = ["a", "b", "c"]
        .iter()
        .zip(&clients)
        .map(|(id, zk)| (Party::new(&path, id), zk.clone()))
        .collect();
    for (member, driver) in &mut members {
        member.join(driver).expect("joining");
        member.join(driver).expect("joining again is no error");
    }
    let (watcher, driver) = &mut members[0];
    assert_eq!(watcher.members(driver).unwrap(), names(&["a", "b", "c"]));
    assert_eq!(
        watcher.len(driver).unwrap(),
        3,
        "no second node for a second join"
    );

    let (b, driver) = &mut members[1];
    b.leave(driver).unwrap();
    clients[2].close();
    let (watcher, driver) = &mut members[0];
    assert_eq!(watcher.members(driver).unwrap(), names(&["a"]));
    assert_eq!(watcher.len(driver).unwrap(), 1);
}

#[test]
fn shallow_members_are_listed_from_their_names_on_the_blocking_client() {
    let path = fresh_path("party-shallow");
    let mut clients: Vec<_> = (0..3).map(|_| blocking(&hosts())).collect();
    let mut members: Vec<_> = ["x-1", "y", "z"]
        .iter()
        .map(|id| ShallowParty::new(&path, id))
        .collect();
    for (member, zk) in members.iter_mut().zip(&mut clients) {
        member.join(&mut Blocking::new(zk)).expect("joining");
    }
    let mut first = Blocking::new(&mut clients[0]);
    assert_eq!(
        members[0].members(&mut first).unwrap(),
        names(&["x-1", "y", "z"])
    );
    members[0].leave(&mut first).unwrap();
    clients[1].close();
    let mut last = Blocking::new(&mut clients[2]);
    assert_eq!(members[2].members(&mut last).unwrap(), names(&["z"]));
}

#[test]
fn an_expired_members_node_is_gone_and_a_join_on_a_new_session_joins_again() {
    let path = fresh_path("party-expiry");
    let observer = shared(&hosts());
    let mut looking = Party::new(&path, "observer");
    let zk = shared(&hosts());
    let mut member = Party::new(&path, "worker");
    member.join(&mut zk.clone()).unwrap();
    assert_eq!(
        looking.members(&mut observer.clone()).unwrap(),
        names(&["worker"])
    );

    expire(&zk);
    assert_eq!(looking.members(&mut observer.clone()).unwrap(), names(&[]));
    assert!(member.join(&mut zk.clone()).is_err(), "its session is over");

    let again = shared(&hosts());
    member
        .join(&mut again.clone())
        .expect("joining on a new session");
    assert_eq!(
        looking.members(&mut observer.clone()).unwrap(),
        names(&["worker"])
    );
}

#[test]
fn a_wait_sees_another_clients_join_and_returns_none_on_a_quiet_timeout() {
    let path = fresh_path("party-wait");
    let zk = shared(&hosts());
    let mut driver = zk.clone();
    let mut me = Party::new(&path, "me");
    me.join(&mut driver).unwrap();
    assert_eq!(me.members(&mut driver).unwrap(), names(&["me"]));

    let started = Instant::now();
    assert_eq!(
        me.wait_members_change(&mut driver, Some(QUIET)).unwrap(),
        None
    );
    assert!(started.elapsed() < PATIENCE, "bounded by its timeout");

    let other = shared(&hosts());
    let mut newcomer = Party::new(&path, "newcomer");
    newcomer.join(&mut other.clone()).unwrap();
    assert_eq!(
        me.wait_members_change(&mut driver, Some(PATIENCE)).unwrap(),
        Some(names(&["me", "newcomer"]))
    );
    other.close();
    assert_eq!(
        me.wait_members_change(&mut driver, Some(PATIENCE)).unwrap(),
        Some(names(&["me"]))
    );
    assert_eq!(
        me.wait_members_change(&mut driver, Some(QUIET)).unwrap(),
        None
    );
}

#[test]
fn on_the_tokio_client_members_join_leave_and_a_wait_sees_a_join_or_times_out() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let path = fresh_path("party-tokio");
        let options = common::options();
        let client = zk_tokio::Client::connect(&hosts(), options.clone())
            .await
            .unwrap();
        let other = zk_tokio::Client::connect(&hosts(), options).await.unwrap();
        let mut me = ShallowParty::new(&path, "me");
        me.join_async(&client).await.unwrap();
        assert_eq!(me.members_async(&client).await.unwrap(), names(&["me"]));
        assert_eq!(
            me.wait_members_change_async(&client, Some(QUIET))
                .await
                .unwrap(),
            None
        );

        let mut newcomer = Party::new(&path, "ignored-by-shallow");
        let mut shallow_newcomer = ShallowParty::new(&path, "newcomer");
        shallow_newcomer.join_async(&other).await.unwrap();
        assert_eq!(
            me.wait_members_change_async(&client, Some(PATIENCE))
                .await
                .unwrap(),
            Some(names(&["me", "newcomer"]))
        );
        assert_eq!(me.len_async(&client).await.unwrap(), 2);

        newcomer.join_async(&other).await.unwrap();
        assert_eq!(
            newcomer.members_async(&other).await.unwrap(),
            names(&["ignored-by-shallow"]),
            "a Party lists only its own kind of node"
        );
        shallow_newcomer.leave_async(&other).await.unwrap();
        me.leave_async(&client).await.unwrap();
        assert_eq!(
            newcomer.len_async(&other).await.unwrap(),
            1,
            "only the Party member is left"
        );
        client.close().await;
        other.close().await;
    });
}

/// Kazoo's member `theirs` of a party of `kind` (`party` or `shallow`) and ours,
/// `mine` (joined by `join`, the members read by `members`), list each other on `path`.
fn kazoo_and_ours_list_each_other(
    kind: &str,
    path: &str,
    (mine, theirs): (&str, &str),
    mut members: impl FnMut() -> Vec<String>,
) {
    let mut kazoo = Kazoo::start(&["party", &hosts(), path, kind, theirs]);
    kazoo.expect_line("joined");
    kazoo.send("members");
    kazoo.expect_line(&format!("[\"{theirs}\", \"{mine}\"]"));
    assert_eq!(members(), names(&[theirs, mine]));
    kazoo.send("leave");
    kazoo.expect_line("left");
    kazoo.assert_exits_ok();
    assert_eq!(members(), names(&[mine]));
}

#[test]
fn kazoos_party_lists_our_members_and_ours_lists_kazoos() {
    let path = fresh_path("party-kazoo");
    let mut driver = shared(&hosts());
    let mut ours = Party::new(&path, "ours");
    ours.join(&mut driver).unwrap();
    kazoo_and_ours_list_each_other("party", &path, ("ours", "kazoo"), || {
        ours.members(&mut driver).unwrap()
    });
}

#[test]
fn kazoos_shallow_party_lists_our_members_and_ours_lists_kazoos() {
    let path = fresh_path("shallow-party-kazoo");
    let mut driver = shared(&hosts());
    let mut ours = ShallowParty::new(&path, "ours-1");
    ours.join(&mut driver).unwrap();
    kazoo_and_ours_list_each_other("shallow", &path, ("ours-1", "kazoo-1"), || {
        ours.members(&mut driver).unwrap()
    });
}

#[test]
fn a_tokio_wait_cut_short_by_its_timeout_loses_no_later_change() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let path = fresh_path("party-tokio-cut");
        let client = zk_tokio::Client::connect(&hosts(), common::options())
            .await
            .unwrap();
        let mut me = Party::new(&path, "me");
        me.join_async(&client).await.unwrap();
        assert_eq!(me.members_async(&client).await.unwrap(), names(&["me"]));
        // Cut short before the server answers its first request.
        assert_eq!(
            me.wait_members_change_async(&client, Some(Duration::ZERO))
                .await
                .unwrap(),
            None
        );

        let other = shared(&hosts());
        Party::new(&path, "newcomer")
            .join(&mut other.clone())
            .unwrap();
        assert_eq!(
            me.wait_members_change_async(&client, Some(PATIENCE))
                .await
                .unwrap(),
            Some(names(&["me", "newcomer"]))
        );
        client.close().await;
    });
}
