//! Interop with kazoo's other recipes on the same paths (kazoo's side is
//! `tests/kazoo/helper.py`): the queue's items and priorities both ways, the election
//! (kazoo leads, ours waits, then leads once kazoo resigns), a barrier set and removed
//! by either side, and a double barrier with a kazoo participant.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::time::Duration;

use common::{Kazoo, PATIENCE, fresh_path, shared};
use zk_blocking::Bytes;
use zk_recipes::{Barrier, DoubleBarrier, LeaderElection, Queue};
use zk_tests::shared_standalone;

#[test]
fn kazoo_takes_our_queue_items_by_priority_and_we_take_kazoos() {
    let hosts = shared_standalone().connect_string();
    let zk = shared(&hosts);
    let path = fresh_path("kazoo-queue");
    let mut queue = Queue::new(&path);
    let mut driver = zk.clone();
    queue.put(&mut driver, "late").unwrap();
    queue.put_with_priority(&mut driver, "urgent", 1).unwrap();
    queue.put(&mut driver, "later").unwrap();
    let mut kazoo = Kazoo::start(&["take", &hosts, &path]);
    kazoo.expect_line(r#"["urgent", "late", "later"]"#);
    kazoo.assert_exits_ok();

    let mut kazoo = Kazoo::start(&["put", &hosts, &path, "100", "a", "b"]);
    kazoo.expect_line("put");
    kazoo.assert_exits_ok();
    let mut kazoo = Kazoo::start(&["put", &hosts, &path, "5", "first"]);
    kazoo.expect_line("put");
    kazoo.assert_exits_ok();
    let mut taken = Vec::new();
    while let Some(item) = queue.get(&mut driver).unwrap() {
        taken.push(item);
    }
    assert_eq!(
        taken,
        [b"first".as_slice(), b"a", b"b"].map(Bytes::from_static)
    );
}

#[test]
fn our_candidate_waits_behind_kazoos_leader_and_leads_once_it_resigns() {
    let hosts = shared_standalone().connect_string();
    let zk = shared(&hosts);
    let path = fresh_path("kazoo-election");
    let mut kazoo = Kazoo::start(&["lead", &hosts, &path, "kazoo-leader"]);
    kazoo.expect_line("leading");

    let mut ours = LeaderElection::new(&path, "ours");
    let short = Some(Duration::from_millis(300));
    assert!(!ours.run_for_leadership(&mut zk.clone(), short).unwrap());
    assert_eq!(
        ours.contenders(&mut zk.clone()).unwrap(),
        ["kazoo-leader", "ours"]
    );
    kazoo.send("resign");
    kazoo.expect_line("resigned");
    assert!(
        ours.run_for_leadership(&mut zk.clone(), Some(PATIENCE))
            .unwrap()
    );
    kazoo.assert_exits_ok();
    ours.resign(&mut zk.clone()).unwrap();
}

#[test]
fn a_kazoo_participant_and_ours_enter_and_leave_a_double_barrier_together() {
    let hosts = shared_standalone().connect_string();
    let zk = shared(&hosts);
    let path = fresh_path("kazoo-double");
    let mut kazoo = Kazoo::start(&["double", &hosts, &path, "2", "kazoo"]);
    let mut ours = DoubleBarrier::new(&path, 2, "ours");
    ours.enter(&mut zk.clone()).unwrap();
    kazoo.expect_line("entered");
    kazoo.send("leave");
    ours.leave(&mut zk.clone()).unwrap();
    kazoo.expect_line("left");
    kazoo.assert_exits_ok();
    assert!(!ours.is_participating());
}

#[test]
fn kazoos_barrier_holds_ours_and_ours_holds_kazoos_until_removed() {
    let hosts = shared_standalone().connect_string();
    let mut zk = shared(&hosts);
    let path = fresh_path("kazoo-barrier");
    let mut kazoo = Kazoo::start(&["barrier", &hosts, &path]);
    let mut ours = Barrier::new(&path);
    let short = Some(Duration::from_millis(300));

    kazoo.send("create");
    kazoo.expect_line("created");
    assert!(
        !ours.wait(&mut zk, short).unwrap(),
        "kazoo's barrier holds ours"
    );
    kazoo.send("remove");
    kazoo.expect_line("removed True");
    assert!(ours.wait(&mut zk, Some(PATIENCE)).unwrap());

    ours.create(&mut zk).unwrap();
    kazoo.send("wait");
    kazoo.expect_line("waiting");
    std::thread::sleep(Duration::from_millis(300));
    assert!(ours.remove(&mut zk).unwrap());
    kazoo.expect_line("cleared True");
    kazoo.send("quit");
    kazoo.assert_exits_ok();
}
