//! A 3-member ensemble: one leader, survives a follower's death, elects a new leader
//! when the leader dies, takes members back on restart, goes read-only without a quorum,
//! and leaves nothing behind.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use zk_tests::{Ensemble, ServerMode, ServerOptions, is_alive, is_read_only};

/// Election after a kill takes a few hundred ms on loopback; the bound is for slow CI.
const ELECTION_BOUND: Duration = Duration::from_secs(30);

#[test]
fn three_members_fail_over_and_recover() {
    let options = ServerOptions::default()
        .tick_time(Duration::from_millis(500))
        .read_only_mode(true);
    let mut ensemble = Ensemble::start(3, &options).expect("3-member ensemble");
    let pids: Vec<u32> = ensemble
        .members()
        .iter()
        .map(|member| member.pid().unwrap())
        .collect();
    let dirs: Vec<PathBuf> = ensemble
        .members()
        .iter()
        .map(|member| member.dir().to_owned())
        .collect();
    assert_eq!(ensemble.connect_string().split(',').count(), 3);

    let modes: Vec<Option<ServerMode>> = ensemble
        .members()
        .iter()
        .map(|member| member.mode())
        .collect();
    let leaders = modes
        .iter()
        .filter(|mode| **mode == Some(ServerMode::Leader))
        .count();
    let followers = modes
        .iter()
        .filter(|mode| **mode == Some(ServerMode::Follower))
        .count();
    assert_eq!((leaders, followers), (1, 2), "{modes:?}");
    let leader = ensemble.leader().expect("a leader");
    assert_eq!(ensemble.wait_for_leader(ELECTION_BOUND).unwrap(), leader);

    // A follower dies: the other two are still a quorum, with the same leader.
    let follower = (1..=3).find(|id| *id != leader).unwrap();
    ensemble.member_mut(follower).kill().unwrap();
    assert!(!is_alive(pids[follower as usize - 1]));
    assert_eq!(ensemble.member(follower).mode(), None);
    assert_eq!(ensemble.wait_for_leader(ELECTION_BOUND).unwrap(), leader);
    ensemble.member_mut(follower).restart().unwrap();
    assert_eq!(ensemble.member(follower).mode(), Some(ServerMode::Follower));

    // The leader dies: the other two elect one of themselves.
    let killed_at = Instant::now();
    ensemble.member_mut(leader).kill().unwrap();
    let new_leader = ensemble.wait_for_leader(ELECTION_BOUND).unwrap();
    assert_ne!(new_leader, leader);
    eprintln!(
        "new leader elected {:?} after the kill",
        killed_at.elapsed()
    );

    // The old leader comes back on its old data dir and follows.
    ensemble.member_mut(leader).restart().unwrap();
    assert_eq!(ensemble.member(leader).mode(), Some(ServerMode::Follower));
    assert_eq!(
        ensemble.wait_for_leader(ELECTION_BOUND).unwrap(),
        new_leader
    );

    let live_pids: Vec<u32> = ensemble
        .members()
        .iter()
        .filter_map(|member| member.pid())
        .collect();
    assert_eq!(live_pids.len(), 3);

    // Without its quorum, the last member serves reads only (readonlymode.enabled).
    let last = (1..=3).find(|id| *id != new_leader).unwrap();
    for id in (1..=3).filter(|id| *id != last) {
        ensemble.member_mut(id).kill().unwrap();
    }
    let deadline = Instant::now() + ELECTION_BOUND;
    while ensemble.member(last).mode() != Some(ServerMode::ReadOnly) {
        assert!(
            Instant::now() < deadline,
            "server.{last} never went read-only"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(is_read_only(ensemble.member(last).address()).unwrap());
    assert_eq!(ensemble.leader(), None);
    drop(ensemble);
    for pid in pids.iter().chain(&live_pids) {
        assert!(!is_alive(*pid), "java {pid} survived the drop");
    }
    for dir in dirs {
        assert!(!dir.exists(), "{} survived the drop", dir.display());
    }
}
