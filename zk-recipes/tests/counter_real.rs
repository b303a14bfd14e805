//! The counter on a real server: many threads adding through one shared client, and
//! the blocking and tokio adapters once each; kazoo's ASCII data and Curator's bytes
//! as stored.

#![cfg(unix)]

use std::thread;

use zk_blocking::{Client, Options, SharedClient};
use zk_recipes::{Counter, run::Blocking};
use zk_tests::shared_standalone;

fn shared() -> SharedClient {
    SharedClient::connect(&shared_standalone().connect_string(), Options::new())
        .expect("connecting to the shared server")
}

#[test]
fn five_threads_adding_two_hundred_times_each_on_one_shared_client_count_exactly() {
    let zk = shared();
    let path = "/counter-real/threads/count";
    let workers: Vec<_> = (0..5)
        .map(|_| {
            let mut driver = zk.clone();
            thread::spawn(move || {
                let mut counter = Counter::new(path);
                let mut last = 0;
                for _ in 0..200 {
                    let now = counter.add(&mut driver, 1).expect("an add");
                    assert!(
                        now > last,
                        "each add sees a larger value: {now} after {last}"
                    );
                    last = now;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker");
    }
    let mut driver = zk.clone();
    assert_eq!(Counter::new(path).get(&mut driver).unwrap(), 1000);
    let (data, _) = zk.get_data(path).unwrap();
    assert_eq!(&data[..], b"1000", "kazoo's ASCII decimal");
}

#[test]
fn the_blocking_client_adds_subtracts_and_reads() {
    let mut client =
        Client::connect(&shared_standalone().connect_string(), Options::new()).expect("connecting");
    let mut driver = Blocking::new(&mut client);
    let mut counter = Counter::new("/counter-real/blocking");
    assert_eq!(counter.get(&mut driver).unwrap(), 0, "no node yet");
    assert_eq!(counter.add(&mut driver, 5).unwrap(), 5);
    assert_eq!(counter.add(&mut driver, -7).unwrap(), -2);
    assert_eq!(counter.get(&mut driver).unwrap(), -2);
    let (data, _) = driver.client().get_data("/counter-real/blocking").unwrap();
    assert_eq!(&data[..], b"-2");
}

#[test]
fn a_curator_counter_stores_four_big_endian_bytes() {
    let zk = shared();
    let mut driver = zk.clone();
    let mut counter = Counter::curator("/counter-real/curator");
    assert_eq!(counter.add(&mut driver, 258).unwrap(), 258);
    let (data, _) = zk.get_data("/counter-real/curator").unwrap();
    assert_eq!(&data[..], &[0, 0, 1, 2]);
}

#[test]
fn the_tokio_client_adds_and_reads() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            zk_tokio::Client::connect(&shared_standalone().connect_string(), Options::new())
                .await
                .expect("connecting");
        let mut counter = Counter::new("/counter-real/tokio");
        assert_eq!(counter.add_async(&client, 3).await.unwrap(), 3);
        assert_eq!(counter.add_async(&client, 4).await.unwrap(), 7);
        assert_eq!(counter.get_async(&client).await.unwrap(), 7);
    });
}

/// Three sessions add 1 again and again through a proxy that keeps cutting their
/// connections: every add that succeeded is counted once, and an add that failed with
/// ConnectionLoss (its outcome unknowable) at most once; nothing is counted twice.
#[test]
fn adds_through_cut_connections_are_counted_once_or_reported_as_unknown() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    use zk_blocking::Error;
    use zk_tests::proxy::FaultProxy;

    let direct = shared();
    let path = format!("/counter-real/cuts/count-{}", std::process::id());
    let proxy = Arc::new(FaultProxy::start(shared_standalone().address()).expect("a proxy"));
    let options = Options::new()
        .session_timeout(Duration::from_secs(20))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200));
    let stop = Arc::new(AtomicBool::new(false));
    let cutter = {
        let (proxy, stop) = (proxy.clone(), stop.clone());
        thread::spawn(move || {
            let mut cuts = 0u32;
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(150 + u64::from(cuts % 5) * 60));
                proxy.reset_all();
                cuts += 1;
            }
            cuts
        })
    };
    let until = Instant::now() + Duration::from_secs(4);
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let zk = SharedClient::connect(&proxy.connect_string(), options.clone()).unwrap();
            let path = path.clone();
            thread::spawn(move || {
                let (mut driver, mut counter) = (zk.clone(), Counter::new(&path));
                let (mut done, mut unknown) = (0i64, 0i64);
                while Instant::now() < until {
                    match counter.add(&mut driver, 1) {
                        Ok(_) => done += 1,
                        Err(Error::ConnectionLoss) => unknown += 1,
                        Err(e) => panic!("an add failed with {e}"),
                    }
                }
                zk.close();
                (done, unknown)
            })
        })
        .collect();
    let (mut done, mut unknown) = (0, 0);
    for worker in workers {
        let (d, u) = worker.join().expect("a worker");
        done += d;
        unknown += u;
    }
    stop.store(true, Ordering::Relaxed);
    let cuts = cutter.join().unwrap();
    let total = Counter::new(&path).get(&mut direct.clone()).unwrap();
    eprintln!("{cuts} cuts: {done} adds done, {unknown} unknown, total {total}");
    assert!(cuts >= 5, "the proxy cut the connections ({cuts} times)");
    assert!(
        (done..=done + unknown).contains(&total),
        "{total} is not within {done}..={}",
        done + unknown
    );
}
