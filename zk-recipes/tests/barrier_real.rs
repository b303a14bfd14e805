//! The barriers on a real server: a wait released by a remove (shared, blocking and
//! tokio clients), and a double barrier with five participants.

#![cfg(unix)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use zk_blocking::{Client, Options, SharedClient};
use zk_recipes::{Barrier, DoubleBarrier, run::Blocking};
use zk_tests::shared_standalone;

fn shared() -> SharedClient {
    SharedClient::connect(&shared_standalone().connect_string(), Options::new())
        .expect("connecting to the shared server")
}

#[test]
fn a_wait_on_a_shared_client_is_released_by_the_remove() {
    let zk = shared();
    let path = "/barrier-real/shared/gate";
    let mut driver = zk.clone();
    let mut gate = Barrier::new(path);
    gate.create(&mut driver).unwrap();
    gate.create(&mut driver).expect("up already is fine");

    let mut waiter_driver = zk.clone();
    let waiter = thread::spawn(move || Barrier::new(path).wait(&mut waiter_driver, None));
    thread::sleep(Duration::from_millis(300));
    assert!(
        !waiter.is_finished(),
        "the barrier holds while its node exists"
    );

    assert!(gate.remove(&mut driver).unwrap(), "this remove deleted it");
    assert_eq!(waiter.join().unwrap(), Ok(true));
    assert!(!gate.remove(&mut driver).unwrap(), "down already");
    assert_eq!(gate.wait(&mut driver, None), Ok(true), "down: no wait");
}

#[test]
fn a_wait_on_the_blocking_client_times_out_then_is_released() {
    let path = "/barrier-real/blocking/gate";
    let mut client =
        Client::connect(&shared_standalone().connect_string(), Options::new()).expect("connecting");
    let mut driver = Blocking::new(&mut client);
    let mut gate = Barrier::new(path);
    gate.create(&mut driver).unwrap();
    assert_eq!(
        gate.wait(&mut driver, Some(Duration::from_millis(300))),
        Ok(false)
    );

    let zk = shared();
    let remover = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        let mut driver = zk.clone();
        Barrier::new(path).remove(&mut driver)
    });
    assert_eq!(
        gate.wait(&mut driver, Some(Duration::from_secs(20))),
        Ok(true)
    );
    assert_eq!(remover.join().unwrap(), Ok(true));
}

#[test]
fn a_wait_on_the_tokio_client_is_released_by_the_remove() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            zk_tokio::Client::connect(&shared_standalone().connect_string(), Options::new())
                .await
                .expect("connecting");
        let path = "/barrier-real/tokio/gate";
        let mut gate = Barrier::new(path);
        gate.create_async(&client).await.unwrap();
        let remover = tokio::spawn({
            let client = client.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Barrier::new(path).remove_async(&client).await
            }
        });
        assert_eq!(gate.wait_async(&client).await, Ok(true));
        assert_eq!(remover.await.unwrap(), Ok(true));
    });
}

#[test]
fn five_participants_enter_together_and_leave_together() {
    let path = "/barrier-real/double";
    let arrived = Arc::new(AtomicUsize::new(0));
    let leaving = Arc::new(AtomicUsize::new(0));
    let participants: Vec<_> = (0..5)
        .map(|i| {
            let (arrived, leaving) = (arrived.clone(), leaving.clone());
            thread::spawn(move || {
                // Each on its own session, as separate processes would be.
                let mut driver = shared();
                let mut stage = DoubleBarrier::new(path, 5, format!("worker-{i}"));
                thread::sleep(Duration::from_millis(50 * i));
                arrived.fetch_add(1, Ordering::SeqCst);
                stage.enter(&mut driver).expect("entering");
                assert!(stage.is_participating());
                assert_eq!(
                    arrived.load(Ordering::SeqCst),
                    5,
                    "entered before all arrived"
                );

                thread::sleep(Duration::from_millis(50 * (5 - i)));
                leaving.fetch_add(1, Ordering::SeqCst);
                stage.leave(&mut driver).expect("leaving");
                assert!(!stage.is_participating());
                assert_eq!(
                    leaving.load(Ordering::SeqCst),
                    5,
                    "left before all were leaving"
                );
            })
        })
        .collect();
    for participant in participants {
        participant.join().expect("a participant");
    }
    let zk = shared();
    assert_eq!(zk.get_children(path).unwrap(), Vec::<String>::new());
}
