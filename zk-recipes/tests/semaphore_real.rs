//! The semaphore on a real server: two leases and three holders on each client
//! (shared, blocking, tokio), the third waiting until one is released; a holder's
//! session closing frees its lease; a timed acquire giving up in time and leaving
//! nothing; a try taking a free lease and leaving nothing on a full semaphore; and kazoo's `Semaphore` on the same path (kazoo's side is
//! `tests/kazoo/helper.py`): never more than two leases held between them.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{Kazoo, PATIENCE, blocking, children, fresh_path, options, shared};
use zk_blocking::SharedClient;
use zk_recipes::run::Blocking;
use zk_recipes::{Semaphore, SemaphoreError};
use zk_tests::shared_standalone;

/// How long a waiter is watched to show that it keeps waiting.
const STILL_WAITING: Duration = Duration::from_millis(400);

/// The guarding lock's path of the semaphore at `path` (kazoo's).
fn guard_of(path: &str) -> String {
    format!("{path}-__lock__")
}

/// The lease holders' identifiers, sorted.
fn holders(zk: &SharedClient, semaphore: &Semaphore) -> Vec<String> {
    let mut found = semaphore
        .lease_holders(&mut zk.clone())
        .expect("lease holders");
    found.sort();
    found
}

/// Nothing of a semaphore is left but `leases` lease nodes: no guarding lock node.
fn leases_left(zk: &SharedClient, path: &str, leases: usize) {
    assert_eq!(children(zk, path).len(), leases, "lease nodes of {path}");
    assert_eq!(
        children(zk, &guard_of(path)),
        Vec::<String>::new(),
        "the guarding lock is free"
    );
}

#[test]
fn with_two_leases_on_a_shared_client_the_third_holder_waits_until_one_is_released() {
    let zk = shared(&shared_standalone().connect_string());
    let path = fresh_path("sem-shared");
    let mut first = Semaphore::new(&path, 2, "first");
    let mut second = Semaphore::new(&path, 2, "second");
    assert_eq!(first.acquire(&mut zk.clone(), Some(PATIENCE)), Ok(true));
    assert_eq!(second.acquire(&mut zk.clone(), Some(PATIENCE)), Ok(true));
    assert_eq!(holders(&zk, &first), ["first", "second"]);

    let mut driver = zk.clone();
    let (waiter_path, waiter_zk) = (path.clone(), zk.clone());
    let third = thread::spawn(move || {
        let mut third = Semaphore::new(&waiter_path, 2, "third");
        let acquired = third.acquire(&mut waiter_zk.clone(), Some(PATIENCE));
        (acquired, third)
    });
    thread::sleep(STILL_WAITING);
    assert!(
        !third.is_finished(),
        "the third waits while both leases are held"
    );

    first.release(&mut driver).expect("releasing");
    let (acquired, mut third) = third.join().expect("the third holder");
    assert_eq!(acquired, Ok(true));
    assert_eq!(holders(&zk, &second), ["second", "third"]);
    leases_left(&zk, &path, 2);
    second.release(&mut driver).expect("releasing");
    third.release(&mut driver).expect("releasing");
    leases_left(&zk, &path, 0);
}

#[test]
fn with_two_leases_on_blocking_clients_the_third_holder_waits_until_one_is_released() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("sem-blocking");
    let (mut one, mut two) = (blocking(&server), blocking(&server));
    let first = Semaphore::new(&path, 2, "first")
        .lease_blocking(&mut one, Some(PATIENCE))
        .expect("the first lease")
        .expect("held");
    let mut second = Semaphore::new(&path, 2, "second");
    assert_eq!(
        second.acquire(&mut Blocking::new(&mut two), Some(PATIENCE)),
        Ok(true)
    );

    let (waiter_server, waiter_path) = (server.clone(), path.clone());
    let third = thread::spawn(move || {
        let mut client = blocking(&waiter_server);
        let mut third = Semaphore::new(&waiter_path, 2, "third");
        let acquired = third.acquire(&mut Blocking::new(&mut client), Some(PATIENCE));
        let released = third.release(&mut Blocking::new(&mut client));
        (acquired, released)
    });
    thread::sleep(STILL_WAITING);
    assert!(
        !third.is_finished(),
        "the third waits while both leases are held"
    );

    drop(first);
    assert_eq!(third.join().expect("the third holder"), (Ok(true), Ok(())));
    second
        .release(&mut Blocking::new(&mut two))
        .expect("releasing");
    leases_left(&zk, &path, 0);
}

#[test]
fn with_two_leases_on_the_tokio_client_the_third_holder_waits_until_one_is_released() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("sem-tokio");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = zk_tokio::Client::connect(&server, options())
            .await
            .expect("connecting zk-tokio");
        let first = Semaphore::new(&path, 2, "first")
            .lease_async(&client, Some(PATIENCE))
            .await
            .expect("the first lease")
            .expect("held");
        let mut second = Semaphore::new(&path, 2, "second");
        assert_eq!(
            second.acquire_async(&client, Some(PATIENCE)).await,
            Ok(true)
        );
        assert_eq!(
            second.lease_holders_async(&client).await.map(|mut h| {
                h.sort();
                h
            }),
            Ok(vec!["first".to_string(), "second".to_string()])
        );

        let (waiter_client, waiter_path) = (client.clone(), path.clone());
        let third = tokio::spawn(async move {
            let mut third = Semaphore::new(&waiter_path, 2, "third");
            let acquired = third.acquire_async(&waiter_client, Some(PATIENCE)).await;
            (acquired, third.release_async(&waiter_client).await)
        });
        tokio::time::sleep(STILL_WAITING).await;
        assert!(
            !third.is_finished(),
            "the third waits while both leases are held"
        );

        first.release().await.expect("releasing");
        assert_eq!(third.await.expect("the third holder"), (Ok(true), Ok(())));
        second.release_async(&client).await.expect("releasing");
    });
    leases_left(&zk, &path, 0);
}

#[test]
fn a_holders_session_closing_frees_its_lease_for_a_waiter() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("sem-session");
    let leaving = shared(&server);
    let mut gone = Semaphore::new(&path, 1, "leaving");
    assert_eq!(gone.acquire(&mut leaving.clone(), Some(PATIENCE)), Ok(true));

    let (waiter_zk, waiter_path) = (zk.clone(), path.clone());
    let waiter = thread::spawn(move || {
        Semaphore::new(&waiter_path, 1, "waiter").acquire(&mut waiter_zk.clone(), Some(PATIENCE))
    });
    thread::sleep(STILL_WAITING);
    assert!(!waiter.is_finished(), "the only lease is held");
    leaving.close();
    assert_eq!(waiter.join().expect("the waiter"), Ok(true));
    assert_eq!(children(&zk, &path).len(), 1, "the waiter's lease alone");
}

#[test]
fn a_timed_acquire_on_a_full_semaphore_returns_false_in_time_and_leaves_no_node() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("sem-timeout");
    let mut holder = Semaphore::new(&path, 1, "holder");
    assert_eq!(holder.acquire(&mut zk, Some(PATIENCE)), Ok(true));

    let timeout = Duration::from_millis(300);
    let mut waiter = Semaphore::new(&path, 1, "waiter");
    let started = Instant::now();
    assert_eq!(waiter.acquire(&mut zk.clone(), Some(timeout)), Ok(false));
    let took = started.elapsed();
    assert!(took >= timeout, "gave up after {took:?}");
    assert!(
        took < timeout + Duration::from_secs(2),
        "gave up only after {took:?}"
    );
    assert!(!waiter.is_held());
    leases_left(&zk, &path, 1);

    let mut client = blocking(&server);
    assert_eq!(
        waiter.acquire(&mut Blocking::new(&mut client), Some(timeout)),
        Ok(false)
    );
    leases_left(&zk, &path, 1);
    holder.release(&mut zk).expect("releasing");
}

#[test]
fn another_limit_on_the_same_path_is_refused_and_takes_nothing() {
    let mut zk = shared(&shared_standalone().connect_string());
    let path = fresh_path("sem-limit");
    let mut two = Semaphore::new(&path, 2, "two");
    assert_eq!(two.acquire(&mut zk, Some(PATIENCE)), Ok(true));
    let mut three = Semaphore::new(&path, 3, "three");
    assert_eq!(
        three.acquire(&mut zk, Some(PATIENCE)),
        Err(SemaphoreError::MaxLeasesMismatch {
            path: path.clone(),
            stored: 2,
            wanted: 3
        })
    );
    leases_left(&zk, &path, 1);
    two.release(&mut zk).expect("releasing");
}

#[test]
fn kazoo_holds_one_of_two_leases_ours_takes_the_other_and_our_third_waits() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("sem-kazoo");
    let mut kazoo = Kazoo::start(&["lease", &server, &path, "2", "kazoo"]);
    kazoo.expect_line("leased");
    let mut ours = Semaphore::new(&path, 2, "ours");
    assert_eq!(ours.acquire(&mut zk.clone(), Some(PATIENCE)), Ok(true));
    assert_eq!(holders(&zk, &ours), ["kazoo", "ours"]);
    kazoo.send("holders");
    assert_eq!(kazoo.line(), r#"["kazoo", "ours"]"#, "kazoo lists ours");

    let (waiter_zk, waiter_path) = (zk.clone(), path.clone());
    let third = thread::spawn(move || {
        Semaphore::new(&waiter_path, 2, "third").acquire(&mut waiter_zk.clone(), Some(PATIENCE))
    });
    thread::sleep(STILL_WAITING);
    assert!(!third.is_finished(), "kazoo's lease counts");

    kazoo.send("release");
    kazoo.expect_line("released");
    kazoo.assert_exits_ok();
    assert_eq!(third.join().expect("the third holder"), Ok(true));
    assert_eq!(holders(&zk, &ours), ["ours", "third"]);
    ours.release(&mut zk.clone()).expect("releasing");
}

#[test]
fn while_we_hold_both_leases_a_kazoo_holder_waits_until_we_release_one() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("sem-kazoo-waits");
    let mut first = Semaphore::new(&path, 2, "first");
    let mut second = Semaphore::new(&path, 2, "second");
    assert_eq!(first.acquire(&mut zk, Some(PATIENCE)), Ok(true));
    assert_eq!(second.acquire(&mut zk, Some(PATIENCE)), Ok(true));

    let mut kazoo = Kazoo::start(&["lease", &server, &path, "2", "kazoo"]);
    // kazoo waits holding the guarding lock, which our acquire would queue behind.
    let deadline = Instant::now() + PATIENCE;
    while children(&zk, &guard_of(&path)).is_empty() {
        assert!(
            Instant::now() < deadline,
            "kazoo never took the guarding lock"
        );
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(STILL_WAITING);
    assert_eq!(children(&zk, &path).len(), 2, "kazoo took no third lease");

    first.release(&mut zk).expect("releasing");
    kazoo.expect_line("leased");
    assert_eq!(holders(&zk, &second), ["kazoo", "second"]);
    let mut mismatched = Kazoo::start(&["lease", &server, &path, "3", "kazoo-3"]);
    mismatched.expect_line("mismatch");
    kazoo.send("release");
    kazoo.expect_line("released");
    kazoo.assert_exits_ok();
    second.release(&mut zk).expect("releasing");
    leases_left(&zk, &path, 0);
}

#[test]
fn an_async_acquire_dropped_while_waiting_frees_the_guarding_lock_for_the_next() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("sem-dropped");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = zk_tokio::Client::connect(&server, options())
            .await
            .expect("connecting zk-tokio");
        let mut holder = Semaphore::new(&path, 1, "holder");
        assert_eq!(
            holder.acquire_async(&client, Some(PATIENCE)).await,
            Ok(true)
        );
        let mut waiter = Semaphore::new(&path, 1, "waiter");
        let given_up = tokio::time::timeout(STILL_WAITING, waiter.acquire_async(&client, None));
        assert!(
            given_up.await.is_err(),
            "it waited while the lease was held"
        );

        // The next acquirer is not kept out by a guarding lock node left behind.
        holder.release_async(&client).await.expect("releasing");
        let mut next = Semaphore::new(&path, 1, "next");
        assert_eq!(next.acquire_async(&client, Some(PATIENCE)).await, Ok(true));
        next.release_async(&client).await.expect("releasing");
    });
    leases_left(&zk, &path, 0);
}

#[test]
fn a_try_takes_a_free_lease_and_on_a_full_semaphore_says_no_at_once_leaving_nothing() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let path = fresh_path("sem-try");
    let mut first = Semaphore::new(&path, 1, "first");
    assert_eq!(first.try_acquire(&mut zk.clone()), Ok(true));
    let mut client = blocking(&server);
    let mut second = Semaphore::new(&path, 1, "second");
    assert_eq!(
        second.try_acquire(&mut Blocking::new(&mut client)),
        Ok(false)
    );
    assert!(!second.is_held());
    assert_eq!(holders(&zk, &first), ["first"]);
    leases_left(&zk, &path, 1);

    first.release(&mut zk.clone()).expect("releasing");
    assert_eq!(
        second.try_acquire(&mut Blocking::new(&mut client)),
        Ok(true)
    );
    assert_eq!(holders(&zk, &second), ["second"]);
    second
        .release(&mut Blocking::new(&mut client))
        .expect("releasing");
    leases_left(&zk, &path, 0);
}

#[tokio::test]
async fn an_async_try_takes_a_free_lease_and_on_a_full_semaphore_says_no_at_once() {
    let server = shared_standalone().connect_string();
    let (zk, client) = (
        shared(&server),
        zk_tokio::Client::connect(&server, options()),
    );
    let client = client.await.expect("connecting zk-tokio");
    let path = fresh_path("sem-try-async");
    let mut first = Semaphore::new(&path, 1, "first");
    assert_eq!(first.try_acquire_async(&client).await, Ok(true));
    let mut second = Semaphore::new(&path, 1, "second");
    assert_eq!(second.try_acquire_async(&client).await, Ok(false));
    leases_left(&zk, &path, 1);
    first.release_async(&client).await.expect("releasing");
    assert_eq!(second.try_acquire_async(&client).await, Ok(true));
    assert_eq!(holders(&zk, &second), ["second"]);
    second.release_async(&client).await.expect("releasing");
    leases_left(&zk, &path, 0);
}
