//! The recipe examples (lock, leader election, config watcher), run against real
//! servers.

#[path = "../examples/lock.rs"]
mod lock;

#[test]
fn the_lock_excludes_concurrent_holders() {
    let total = lock::run(&zk_tests::shared_standalone().connect_string(), 3, 8).unwrap();
    assert_eq!(total, 24);
}

#[path = "../examples/leader_election.rs"]
mod leader_election;

#[path = "../examples/config_watcher.rs"]
mod config_watcher;

#[test]
fn a_new_leader_is_elected_when_the_leaders_session_dies() {
    // The README's demo: a 3-member ensemble, one ZooKeeper member killed, then the
    // leading candidate.
    let leaders = leader_election::demo().unwrap();
    assert_eq!(leaders, ["candidate-1", "candidate-2"]);
}

#[test]
fn leader_election_on_a_standalone_server() {
    let leaders = leader_election::run(
        &zk_tests::shared_standalone().connect_string(),
        std::time::Duration::from_secs(4),
        None,
    )
    .unwrap();
    assert_eq!(leaders, ["candidate-1", "candidate-2"]);
}

#[test]
fn the_config_watcher_sees_every_change_across_a_failover() {
    let seen = config_watcher::failover_demo().unwrap();
    assert_eq!(seen, ["v1", "v2", "v3", "v4", "v5"]);
}
