//! The queue against a real server: priorities, emptiness, and producers and
//! consumers racing with every item taken exactly once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread;

use zk_blocking::{Options, SharedClient};
use zk_recipes::Queue;
use zk_recipes::tree::delete_all;
use zk_tests::shared_standalone;

/// Items the race puts through the queue (the size).
const ITEMS: usize = 10_000;
const PRODUCERS: usize = 3;
const CONSUMERS: usize = 3;

fn client() -> SharedClient {
    SharedClient::connect(&shared_standalone().connect_string(), Options::new()).unwrap()
}

#[tokio::test]
async fn on_the_tokio_client_a_put_without_a_priority_takes_the_default_as_the_blocking_put_does() {
    let zk = zk_tokio::Client::connect(
        &shared_standalone().connect_string(),
        zk_tokio::Options::new(),
    )
    .await
    .unwrap();
    let path = "/queue-async-priorities";
    let mut queue = Queue::new(path);
    let below_default = Queue::DEFAULT_PRIORITY + 1;
    queue
        .put_with_priority_async(&zk, "after", below_default)
        .await
        .unwrap();
    queue.put_async(&zk, "default").await.unwrap();
    queue
        .put_with_priority_async(&zk, "before", Queue::DEFAULT_PRIORITY - 1)
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(item) = queue.get_async(&zk).await.unwrap() {
        out.push(String::from_utf8_lossy(&item).into_owned());
    }
    assert_eq!(out, ["before", "default", "after"]);
    zk.close().await;
}

#[test]
fn items_come_out_by_priority_then_in_the_order_they_went_in() {
    let mut zk = client();
    let path = "/queue-priorities";
    delete_all(&mut zk, path).unwrap();
    let mut queue = Queue::new(path);
    queue.put_with_priority(&mut zk, "late", 500).unwrap();
    queue.put(&mut zk, "first-default").unwrap();
    queue.put_with_priority(&mut zk, "urgent", 1).unwrap();
    queue.put(&mut zk, "second-default").unwrap();
    let mut out = Vec::new();
    while let Some(item) = queue.get(&mut zk).unwrap() {
        out.push(String::from_utf8_lossy(&item).into_owned());
    }
    assert_eq!(out, ["urgent", "first-default", "second-default", "late"]);
    assert_eq!(
        queue.get(&mut zk).unwrap(),
        None,
        "an empty queue gives nothing"
    );
    delete_all(&mut zk, path).unwrap();
}

#[test]
fn a_priority_beyond_999_is_refused_and_nothing_is_added() {
    let mut zk = client();
    let mut queue = Queue::new("/queue-bad-priority");
    let refused = queue.put_with_priority(&mut zk, "x", 1000);
    assert!(
        matches!(refused, Err(zk_blocking::Error::InvalidArgument(_))),
        "{refused:?}"
    );
    assert!(zk.exists("/queue-bad-priority").unwrap().is_none());
}

#[test]
fn every_item_of_three_producers_is_taken_exactly_once_by_three_consumers() {
    let mut zk = client();
    let path = "/queue-race";
    delete_all(&mut zk, path).unwrap();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let mut zk = zk.clone();
            thread::spawn(move || {
                let mut queue = Queue::new(path);
                for i in (p..ITEMS).step_by(PRODUCERS) {
                    queue.put(&mut zk, i.to_string()).unwrap();
                }
            })
        })
        .collect();
    let taken = Arc::new(Mutex::new(Vec::new()));
    let produced = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (mut zk, taken, produced) = (zk.clone(), taken.clone(), produced.clone());
            thread::spawn(move || {
                let mut queue = Queue::new(path);
                loop {
                    let done = produced.load(std::sync::atomic::Ordering::SeqCst);
                    match queue.get(&mut zk).unwrap() {
                        Some(item) => taken.lock().unwrap().push(item),
                        None if done => return,
                        None => thread::sleep(std::time::Duration::from_millis(5)),
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    produced.store(true, std::sync::atomic::Ordering::SeqCst);
    for c in consumers {
        c.join().unwrap();
    }
    let taken = taken.lock().unwrap();
    let distinct: HashSet<&[u8]> = taken.iter().map(|b| &b[..]).collect();
    assert_eq!(taken.len(), ITEMS, "every item taken once, none twice");
    assert_eq!(distinct.len(), ITEMS);
    delete_all(&mut zk, path).unwrap();
}
