//! The async examples (leader election, config watcher) run against a real server.

use std::sync::OnceLock;
use std::time::Duration;

#[path = "../examples/tokio_leader_election.rs"]
mod leader_election;

#[path = "../examples/tokio_config_watcher.rs"]
mod config_watcher;

/// A server with a 500 ms tick, so that 2 s sessions are granted as asked.
fn short_tick_server() -> &'static zk_tests::ZkServer {
    static SERVER: OnceLock<zk_tests::ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::short_tick())
            .unwrap_or_else(|e| panic!("starting a short-tick ZooKeeper: {e}"))
    })
}

const SESSION: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "current_thread")]
async fn leaders_take_turns_and_keep_leadership_through_work_longer_than_the_session() {
    let cs = short_tick_server().connect_string();
    let work = SESSION * 2;
    let terms = leader_election::run(&cs, 3, SESSION, work).await.unwrap();
    let names: Vec<&str> = terms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["candidate-1", "candidate-2", "candidate-3"]);
    for term in &terms {
        assert_eq!(term.session_timeout, SESSION, "{term:?}");
        assert!(term.worked >= work, "{term:?}");
        assert!(term.still_leader, "{term:?}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_leader_whose_node_is_deleted_gives_up_its_term_at_once_and_can_run_again() {
    use zk_tokio::{Client, Error, Options, Version};
    let cs = short_tick_server().connect_string();
    let dir = "/tokio-election-node-deleted";
    let options = Options::new().session_timeout(SESSION);
    let mut leader = leader_election::Candidate::volunteer(&cs, options, dir, "candidate-1")
        .await
        .unwrap();
    leader.wait_for_leadership().await.unwrap();
    let operator = Client::connect(&cs, Options::new()).await.unwrap();
    let node = format!("{dir}/{}", operator.get_children(dir).await.unwrap()[0]);
    let deleting = tokio::spawn({
        let operator = operator.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            operator.delete(&node, Version::Any).await.unwrap();
        }
    });
    let started = std::time::Instant::now();
    let work = SESSION * 3;
    let ended = leader.lead(work).await;
    deleting.await.unwrap();
    assert!(matches!(ended, Err(Error::NoNode { .. })), "{ended:?}");
    assert!(
        started.elapsed() < work,
        "worked on for {:?}",
        started.elapsed()
    );
    // Nothing was written for the lost term; running again, it leads again.
    let result = format!("{dir}/result");
    assert!(operator.exists(&result).await.unwrap().is_none());
    leader.wait_for_leadership().await.unwrap();
    leader.resign().await;
    operator.delete(dir, Version::Any).await.unwrap();
    operator.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_watcher_sees_every_version_in_order_and_ends_on_the_last() {
    let cs = short_tick_server().connect_string();
    let client = zk_tokio::Client::connect(&cs, zk_tokio::Options::new())
        .await
        .unwrap();
    let seen = config_watcher::run(client.clone(), "/config-watcher-test", 5)
        .await
        .unwrap();
    assert_eq!(seen.last().map(String::as_str), Some("v5"));
    let versions: Vec<u32> = seen.iter().map(|v| v[1..].parse().unwrap()).collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "versions seen out of order: {seen:?}"
    );
    client
        .delete("/config-watcher-test", zk_tokio::Version::Any)
        .await
        .unwrap();
    client.close().await;
}
