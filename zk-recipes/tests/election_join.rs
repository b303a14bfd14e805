//! Joining an election takes a place in line without waiting for the turn:
//! candidates lead in the order they joined, on every client; a candidate in line
//! hears its turn as its leadership's change.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::time::Duration;

use common::{PATIENCE, blocking, fresh_path, shared};
use zk_recipes::run::Blocking;
use zk_recipes::{LeaderElection, Leadership};
use zk_tests::shared_standalone;

/// A wait the leader's standing outlasts.
const SHORT: Duration = Duration::from_millis(300);

#[test]
fn candidates_joining_on_blocking_clients_lead_in_the_order_they_joined() {
    let path = fresh_path("join-order");
    let cs = shared_standalone().connect_string();
    let mut clients: Vec<_> = (0..3).map(|_| blocking(&cs)).collect();
    let mut candidates: Vec<_> = (0..3)
        .map(|i| LeaderElection::new(&path, format!("candidate-{i}")))
        .collect();
    let joined: Vec<bool> = candidates
        .iter_mut()
        .zip(&mut clients)
        .map(|(c, zk)| c.join(&mut Blocking::new(zk)).unwrap())
        .collect();
    assert_eq!(
        joined,
        [true, false, false],
        "the first to join leads at once"
    );
    assert!(
        candidates.iter().all(|c| c.node_path().is_some()),
        "each has its place in line on return"
    );
    let mut first = Blocking::new(&mut clients[0]);
    assert!(
        candidates[0].join(&mut first).unwrap(),
        "joining again changes nothing"
    );
    assert_eq!(
        candidates[0].contenders(&mut first).unwrap(),
        ["candidate-0", "candidate-1", "candidate-2"]
    );

    for next in 1..3 {
        let (done, rest) = clients.split_at_mut(next);
        candidates[next - 1]
            .resign(&mut Blocking::new(&mut done[next - 1]))
            .unwrap();
        let mut driver = Blocking::new(&mut rest[0]);
        assert!(
            candidates[next]
                .run_for_leadership(&mut driver, Some(PATIENCE))
                .unwrap(),
            "candidate-{next} leads after its predecessor resigned"
        );
    }
}

#[test]
fn a_candidate_joining_on_a_shared_client_takes_its_place_behind_the_leader() {
    let path = fresh_path("join-shared");
    let cs = shared_standalone().connect_string();
    let (a, b) = (shared(&cs), shared(&cs));
    let mut leader = LeaderElection::new(&path, "leader");
    assert!(leader.join(&mut a.clone()).unwrap());
    let mut second = LeaderElection::new(&path, "second");
    assert!(!second.join(&mut b.clone()).unwrap());
    assert!(second.node_path().is_some());
    leader.resign(&mut a.clone()).unwrap();
    assert!(
        second
            .run_for_leadership(&mut b.clone(), Some(PATIENCE))
            .unwrap()
    );
}

/// Two async clients: the first's candidate joined and leads, the second's joined
/// behind it.
async fn leader_and_second_async(
    what: &str,
) -> (
    zk_tokio::Client,
    LeaderElection,
    zk_tokio::Client,
    LeaderElection,
) {
    let path = fresh_path(what);
    let cs = shared_standalone().connect_string();
    let first_zk = zk_tokio::Client::connect(&cs, zk_tokio::Options::new())
        .await
        .unwrap();
    let second_zk = zk_tokio::Client::connect(&cs, zk_tokio::Options::new())
        .await
        .unwrap();
    let mut first = LeaderElection::new(&path, "first");
    let mut second = LeaderElection::new(&path, "second");
    assert!(first.join_async(&first_zk).await.unwrap());
    assert!(!second.join_async(&second_zk).await.unwrap());
    (first_zk, first, second_zk, second)
}

#[tokio::test]
async fn async_candidates_lead_in_the_order_they_joined() {
    let (first_zk, mut first, second_zk, mut second) = leader_and_second_async("join-async").await;
    assert!(second.node_path().is_some());
    first.resign_async(&first_zk).await.unwrap();
    assert!(
        second
            .run_for_leadership_async(&second_zk, Some(PATIENCE))
            .await
            .unwrap()
    );
    first_zk.close().await;
    second_zk.close().await;
}

#[test]
fn a_candidate_in_line_waits_for_its_turn_as_its_leadership_change() {
    let path = fresh_path("join-wait-turn");
    let cs = shared_standalone().connect_string();
    let (mut a, mut b) = (blocking(&cs), blocking(&cs));
    let mut leader = LeaderElection::new(&path, "leader");
    assert!(leader.join(&mut Blocking::new(&mut a)).unwrap());
    let mut second = LeaderElection::new(&path, "second");
    assert!(!second.join(&mut Blocking::new(&mut b)).unwrap());
    let place = second.node_path();
    let waited = second
        .wait_leadership_change(&mut Blocking::new(&mut b), Some(SHORT))
        .unwrap();
    assert_eq!(waited, None, "the leader leads on: no change yet");
    assert_eq!(second.node_path(), place, "the candidate keeps its place");
    leader.resign(&mut Blocking::new(&mut a)).unwrap();
    let waited = second
        .wait_leadership_change(&mut Blocking::new(&mut b), Some(PATIENCE))
        .unwrap();
    assert_eq!(waited, Some(Leadership::Leading));
    assert!(second.is_leader());
}

#[test]
fn a_candidate_not_in_the_election_is_told_at_once_that_it_does_not_lead() {
    let cs = shared_standalone().connect_string();
    let mut zk = blocking(&cs);
    let mut outsider = LeaderElection::new(&fresh_path("join-outsider"), "outsider");
    let waited = outsider
        .wait_leadership_change(&mut Blocking::new(&mut zk), Some(PATIENCE))
        .unwrap();
    assert_eq!(waited, Some(Leadership::NotLeading));
}

#[tokio::test]
async fn an_async_candidate_in_line_is_told_when_its_turn_comes_and_keeps_its_place_meanwhile() {
    let (first_zk, mut first, second_zk, mut second) =
        leader_and_second_async("join-wait-turn-async").await;
    let place = second.node_path();
    let waited = tokio::time::timeout(SHORT, second.leadership_changed_async(&second_zk)).await;
    assert!(waited.is_err(), "the leader leads on: {waited:?}");
    assert_eq!(second.node_path(), place, "a dropped wait keeps the place");
    first.resign_async(&first_zk).await.unwrap();
    let changed = second.leadership_changed_async(&second_zk).await.unwrap();
    assert_eq!(changed, Leadership::Leading);
    assert!(second.is_leader());
    first_zk.close().await;
    second_zk.close().await;
}
