//! The async recipes when their future is dropped before it finishes (what
//! `tokio::time::timeout`, `select!` or an aborted task do): nothing is left behind
//! that blocks others (a lock's contender node), and the recipe's next call works as
//! if the dropped one had never been made.

use std::time::Duration;

use zk_blocking::Bytes;
use zk_recipes::{Barrier, Counter, DoubleBarrier, LeaderElection, Lock, Queue};
use zk_tests::shared_standalone;
use zk_tokio::{Client, Options};

const PATIENCE: Duration = Duration::from_secs(20);

async fn client() -> Client {
    Client::connect(&shared_standalone().connect_string(), Options::new())
        .await
        .expect("connected")
}

fn fresh(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "/recipes-async-cancel/{what}-{}-{nanos}",
        std::process::id()
    )
}

#[tokio::test]
async fn an_acquire_dropped_by_a_timeout_behind_a_holder_leaves_no_node_and_can_run_again() {
    let (holder, other) = (client().await, client().await);
    let path = fresh("lock");
    let mut held = Lock::new(&path, "holder");
    assert!(held.acquire_async(&holder).await.unwrap());

    let mut waiting = Lock::new(&path, "other");
    let timed_out = tokio::time::timeout(Duration::from_millis(300), waiting.acquire_async(&other));
    assert!(timed_out.await.is_err(), "the holder keeps it");
    // The same session's next request is answered after the delete queued on drop.
    assert_eq!(
        other.get_children(&path).await.unwrap().len(),
        1,
        "only the holder's node is left"
    );
    assert_eq!(waiting.node_path(), None);

    held.release_async(&holder).await.unwrap();
    let again = tokio::time::timeout(PATIENCE, waiting.acquire_async(&other)).await;
    assert!(again.expect("acquired in time").unwrap());
    waiting.release_async(&other).await.unwrap();
    holder.close().await;
    other.close().await;
}

#[tokio::test]
async fn an_election_dropped_while_waiting_withdraws_the_candidate() {
    let (leader_client, other) = (client().await, client().await);
    let path = fresh("election");
    let mut leader = LeaderElection::new(&path, "leader");
    assert!(
        leader
            .run_for_leadership_async(&leader_client, None)
            .await
            .unwrap()
    );
    let mut candidate = LeaderElection::new(&path, "candidate");
    let waited = tokio::time::timeout(
        Duration::from_millis(300),
        candidate.run_for_leadership_async(&other, None),
    );
    assert!(waited.await.is_err());
    assert_eq!(
        leader.contenders_async(&other).await.unwrap(),
        ["leader"],
        "the dropped candidate is not in line"
    );
    leader_client.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_queue_get_dropped_before_its_reply_does_not_break_the_next_get() {
    let zk = client().await;
    let path = fresh("queue");
    let mut queue = Queue::new(&path);
    queue.put_async(&zk, "one").await.unwrap();
    // The first poll sends the request; the elapsed timer drops the future then.
    let _ = tokio::time::timeout(Duration::ZERO, queue.get_async(&zk)).await;
    let mut taken = Vec::new();
    while let Some(item) = queue.get_async(&zk).await.unwrap() {
        taken.push(item);
    }
    assert!(taken.len() <= 1, "{taken:?}");
    zk.close().await;
}

#[tokio::test]
async fn a_counter_add_dropped_before_its_reply_does_not_break_the_next_add() {
    let zk = client().await;
    let mut counter = Counter::new(&fresh("counter"));
    let _ = tokio::time::timeout(Duration::ZERO, counter.add_async(&zk, 1)).await;
    let now = counter.add_async(&zk, 1).await.unwrap();
    assert!(now == 1 || now == 2, "{now}");
    assert_eq!(counter.get_async(&zk).await.unwrap(), now);
    zk.close().await;
}

#[tokio::test]
async fn a_barrier_wait_dropped_by_a_timeout_can_wait_again() {
    let zk = client().await;
    let path = fresh("barrier");
    let mut barrier = Barrier::new(&path);
    barrier.create_async(&zk).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(200), barrier.wait_async(&zk));
    assert!(waited.await.is_err(), "the barrier is up");
    Barrier::new(&path).remove_async(&zk).await.unwrap();
    let again = tokio::time::timeout(PATIENCE, barrier.wait_async(&zk)).await;
    assert!(again.expect("in time").unwrap());
    zk.close().await;
}

#[tokio::test]
async fn a_double_barrier_enter_dropped_while_waiting_leaves_no_participant_behind() {
    let zk = client().await;
    let path = fresh("double");
    let mut first = DoubleBarrier::new(&path, 2, Bytes::from_static(b"first"));
    let entered = tokio::time::timeout(Duration::from_millis(300), first.enter_async(&zk));
    assert!(entered.await.is_err(), "alone: waits for the second");
    assert_eq!(
        zk.get_children(&path).await.unwrap(),
        Vec::<String>::new(),
        "the dropped participant's node is gone"
    );
    zk.close().await;
}

/// The children of `path`, as a client of its own sees them.
async fn children_of(path: &str) -> Vec<String> {
    let zk = client().await;
    let children = zk.get_children(path).await.unwrap_or_default();
    zk.close().await;
    children
}

/// Waits until nothing is left under `path`; returns what is left if time runs out.
async fn emptied(path: &str) -> Vec<String> {
    let until = tokio::time::Instant::now() + PATIENCE;
    loop {
        let left = children_of(path).await;
        if left.is_empty() || tokio::time::Instant::now() > until {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn acquires_dropped_at_every_moment_of_their_create_leave_no_node_in_line() {
    let (mine, other) = (client().await, client().await);
    let path = fresh("lock-sweep");
    let mut lock = Lock::new(&path, "me");
    // Cut short at every moment from before the create is sent to after its answer.
    for micros in (0..3_000).step_by(60) {
        let dropped =
            tokio::time::timeout(Duration::from_micros(micros), lock.acquire_async(&mine)).await;
        if let Ok(acquired) = dropped {
            assert!(acquired.unwrap());
            lock.release_async(&mine).await.unwrap();
        }
    }
    let free = tokio::time::timeout(PATIENCE, lock.acquire_async(&mine)).await;
    assert!(free.expect("the lock is free").unwrap());
    lock.release_async(&mine).await.unwrap();
    let left = emptied(&path).await;
    assert!(left.is_empty(), "contender nodes left in line: {left:?}");
    let mut next = Lock::new(&path, "other");
    let taken = tokio::time::timeout(PATIENCE, next.acquire_async(&other)).await;
    assert!(taken.unwrap().unwrap(), "another client takes the lock");
    next.release_async(&other).await.unwrap();
}

#[tokio::test]
async fn a_tree_cache_whose_reads_are_cut_short_still_sees_every_change() {
    let (reader, writer) = (client().await, client().await);
    let root = fresh("tree-cut-short");
    zk_recipes::tree::create_all_async(&writer, &root)
        .await
        .unwrap();
    let mut cache = zk_recipes::TreeCache::new(&root);
    while !matches!(
        cache.next_event_async(&reader).await.unwrap(),
        Some(zk_recipes::TreeEvent::Initialized)
    ) {}
    for i in 0..100 {
        writer
            .create(
                &format!("{root}/n{i}"),
                "",
                zk_tokio::CreateMode::Persistent,
            )
            .await
            .unwrap();
    }
    // Every call cut short after 200 µs for a while, then calls that finish.
    let cutting = tokio::time::Instant::now() + Duration::from_secs(1);
    while tokio::time::Instant::now() < cutting {
        tokio::select! {
            event = cache.next_event_async(&reader) => drop(event.unwrap()),
            () = tokio::time::sleep(Duration::from_micros(200)) => {}
        }
    }
    let until = tokio::time::Instant::now() + PATIENCE;
    while cache.len() < 101 && tokio::time::Instant::now() < until {
        let _ =
            tokio::time::timeout(Duration::from_millis(200), cache.next_event_async(&reader)).await;
    }
    assert_eq!(cache.len(), 101, "the root and its 100 children");
}
