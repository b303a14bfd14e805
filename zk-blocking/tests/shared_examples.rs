//! The shared-client examples (leader election and lock doing work without pumping,
//! eight threads on one client), run against real servers.

use std::sync::OnceLock;
use std::time::Duration;

#[path = "../examples/leader_election_shared.rs"]
mod leader_election_shared;

#[path = "../examples/lock_shared.rs"]
mod lock_shared;

#[path = "../examples/shared_threads.rs"]
mod shared_threads;

/// A server with a 500 ms tick, so that 2 s sessions are granted as asked (the shared
/// standalone's 2 s tick would raise them to 4 s).
fn short_tick_server() -> &'static zk_tests::ZkServer {
    static SERVER: OnceLock<zk_tests::ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::short_tick())
            .unwrap_or_else(|e| panic!("starting a short-tick ZooKeeper: {e}"))
    })
}

const SESSION: Duration = Duration::from_secs(2);

#[test]
fn leaders_work_several_session_timeouts_without_a_call_and_keep_leadership() {
    let work = SESSION * 2;
    let terms =
        leader_election_shared::run(&short_tick_server().connect_string(), 3, SESSION, work)
            .unwrap();
    let names: Vec<&str> = terms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["candidate-1", "candidate-2", "candidate-3"]);
    for term in &terms {
        assert_eq!(term.session_timeout, SESSION, "{term:?}");
        assert!(term.worked >= work, "{term:?}");
        assert!(term.still_leader, "{term:?}");
    }
    // Each leader went on from its predecessor's result.
    assert!(terms.windows(2).all(|w| w[0].result != w[1].result));
}

#[test]
fn a_leader_whose_node_is_deleted_gives_up_its_term_at_once_and_can_run_again() {
    use zk_blocking::{Error, Options, SharedClient, Version};
    let cs = short_tick_server().connect_string();
    let dir = "/election-shared-node-deleted";
    let options = Options::default().session_timeout(SESSION);
    let mut leader =
        leader_election_shared::Candidate::volunteer(&cs, options, dir, "candidate-1").unwrap();
    assert!(leader.wait_for_leadership(&|| false).unwrap());
    let operator = SharedClient::connect(&cs, Options::default()).unwrap();
    let node = format!("{dir}/{}", operator.get_children(dir).unwrap()[0]);
    let deleting = std::thread::spawn({
        let operator = operator.clone();
        move || {
            std::thread::sleep(Duration::from_millis(500));
            operator.delete(&node, Version::Any).unwrap();
        }
    });
    let started = std::time::Instant::now();
    let work = SESSION * 3;
    let ended = leader.lead(work);
    deleting.join().unwrap();
    assert!(matches!(ended, Err(Error::NoNode { .. })), "{ended:?}");
    assert!(
        started.elapsed() < work,
        "worked on for {:?}",
        started.elapsed()
    );
    // Nothing was written for the lost term; running again, it leads again.
    assert!(operator.exists(&format!("{dir}/result")).unwrap().is_none());
    assert!(leader.wait_for_leadership(&|| false).unwrap());
    leader.resign();
    operator.delete(dir, Version::Any).unwrap();
    operator.close();
}

#[test]
fn the_lock_holder_works_three_session_timeouts_and_keeps_the_lock() {
    let outcome = lock_shared::run(
        &short_tick_server().connect_string(),
        3,
        4,
        SESSION,
        SESSION * 3,
    )
    .unwrap();
    assert_eq!(outcome.counter, 12);
    assert_eq!(outcome.session_timeout, SESSION);
    assert!(outcome.longest_hold >= SESSION * 3, "{outcome:?}");
}

#[test]
fn eight_threads_share_one_client() {
    let rounds = 50;
    let summary =
        shared_threads::run(&zk_tests::shared_standalone().connect_string(), 8, rounds).unwrap();
    assert_eq!(
        summary,
        shared_threads::Summary {
            // per thread: the directory, 3 per round, the listing, the directory's delete
            calls: 8 * (3 * rounds + 3),
            // per thread: every node read once in a batch, and deleted
            pipelined: 8 * 2 * rounds,
            watches_fired: 8 * rounds,
            events_seen: 8 * rounds,
            same_session: true,
        }
    );
}
