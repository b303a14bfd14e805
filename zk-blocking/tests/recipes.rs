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
fn the_leader_stops_leading_while_its_connection_is_lost_and_the_next_leads_when_it_dies() {
    // The README's demo: a 3-member ensemble, one ZooKeeper member killed, then the
    // leading candidate, then the next leader's node.
    let told = leader_election::demo().unwrap();
    assert_eq!(told.len(), 6, "{told:#?}");
    assert_eq!(told[0], "candidate-1: leading");
    assert_eq!(
        told[1],
        "candidate-1: uncertain: stopped leading until the server confirms"
    );
    // Every session survived the member's death, and so every place in line.
    assert_eq!(
        told[2],
        "candidate-1: leading again: its session and node survived \
         (in line: candidate-1, candidate-2, candidate-3)"
    );
    assert_eq!(told[3], "candidate-2: leading");
    assert_the_deleted_leader_runs_again_and_the_last_leads(&told[4..]);
}

#[test]
fn on_a_standalone_server_the_next_leads_when_the_leader_dies_or_its_node_is_deleted() {
    let told = leader_election::run(
        &zk_tests::shared_standalone().connect_string(),
        std::time::Duration::from_secs(4),
        None,
    )
    .unwrap();
    assert_eq!(told.len(), 4, "{told:#?}");
    assert_eq!(told[..2], ["candidate-1: leading", "candidate-2: leading"]);
    assert_the_deleted_leader_runs_again_and_the_last_leads(&told[2..]);
}

/// The last act: candidate-2's node deleted, it is told why and stands again, and
/// candidate-3 leads.
fn assert_the_deleted_leader_runs_again_and_the_last_leads(told: &[String]) {
    assert_eq!(
        told,
        [
            "candidate-2: lost the leadership (its node was deleted): running again",
            "candidate-3: leading",
        ]
    );
}

#[test]
fn the_config_watcher_sees_every_change_across_a_failover() {
    let seen = config_watcher::failover_demo().unwrap();
    assert_eq!(seen, ["v1", "v2", "v3", "v4", "v5"]);
}
