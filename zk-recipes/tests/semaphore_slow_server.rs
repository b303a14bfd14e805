//! The semaphore's calls with a timeout return by it also while the server is slower
//! than that (each reply comes [`SLOW`] late through a proxy), on every client: what
//! is left unanswered stays with the `Semaphore`, and its next call finishes giving
//! up first, deleting a lease a late answer made. A zk-tokio acquire dropped while
//! its lease's create is out leaves no lease behind.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;
#[path = "slow/mod.rs"]
mod slow;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{PATIENCE, blocking, children, fresh_path, shared};
use slow::{
    SHORT, SLACK, SLOW, assert_no_reply_left_to_the_program, by_its_timeout, by_its_timeout_async,
    operator, proxy, slow_down, speed_up, tokio_client,
};
use zk_blocking::SharedClient;
use zk_recipes::Semaphore;
use zk_recipes::run::{Blocking, Driver};
use zk_tests::proxy::FaultProxy;

/// The timeout that runs out while the lease's create is out, when the server turned
/// slow while the acquire waited for a lease: the lease frees up at once, but the
/// acquire hears it `SLOW` late, its count of the leases `SLOW` later, and its
/// create's answer `SLOW` after that.
fn until_the_create_is_out() -> Duration {
    SLOW * 5 / 2
}

/// The guarding lock's path of the semaphore at `path` (kazoo's).
fn guard_of(path: &str) -> String {
    format!("{path}-__lock__")
}

/// Nothing of the semaphore at `path` is left but `leases` lease nodes: no guarding
/// lock node either.
fn leases_left(path: &str, leases: usize) {
    let operator = operator();
    assert_eq!(children(&operator, path).len(), leases, "lease nodes");
    assert_eq!(children(&operator, &guard_of(path)), Vec::<String>::new());
}

/// Waits (at most [`PATIENCE`]) until `done`.
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "{what} never happened");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Holds the only lease of the semaphore at `path` (straight to the server), until
/// the acquire through the slow proxy waits for it, holding the guarding lock; then
/// slows the server down and frees the lease.
fn hold_until_waited_for_then_free(proxy: &Arc<FaultProxy>, path: &str) -> thread::JoinHandle<()> {
    let zk = operator();
    let mut holder = Semaphore::new(path, 1, "holder");
    assert_eq!(holder.acquire(&mut zk.clone(), Some(PATIENCE)), Ok(true));
    let (proxy, path) = (Arc::clone(proxy), path.to_string());
    thread::spawn(move || {
        until("the wait for a lease", || {
            !children(&zk, &guard_of(&path)).is_empty()
        });
        // The waiter counted the leases and set its watch by now.
        thread::sleep(Duration::from_millis(200));
        slow_down(&proxy);
        holder.release(&mut zk.clone()).unwrap();
    })
}

// ----- on any blocking driver ------------------------------------------------------------

/// `Semaphore::acquire` returns by its timeout; a look right after does not wait for
/// the giving up either; once the server answers, the next acquire takes a lease.
fn a_timed_out_acquire_on_a_slow_server<D: Driver>(proxy: &Arc<FaultProxy>, driver: &mut D) {
    let path = fresh_path("slow-semaphore");
    let mut semaphore = Semaphore::new(&path, 1, "me");
    slow_down(proxy);
    let got = by_its_timeout(SHORT, || semaphore.acquire(driver, Some(SHORT)));
    assert_eq!(got, Ok(false), "the server has not answered yet");
    let looked = by_its_timeout(Duration::ZERO, || semaphore.try_acquire(driver));
    assert_eq!(looked, Ok(false), "a look does not wait for the server");
    speed_up(proxy);
    assert_eq!(semaphore.acquire(driver, Some(PATIENCE)), Ok(true));
    leases_left(&path, 1);
    semaphore.release(driver).unwrap();
    leases_left(&path, 0);
}

/// `Semaphore::acquire` whose time runs out while its lease's create is out returns
/// by then; the next call deletes the lease the late answer made, and the lock.
fn a_lease_made_after_the_timeout<D: Driver>(proxy: &Arc<FaultProxy>, driver: &mut D) {
    let path = fresh_path("slow-semaphore-late-lease");
    let freeing = hold_until_waited_for_then_free(proxy, &path);
    let mut semaphore = Semaphore::new(&path, 1, "me");
    let timeout = until_the_create_is_out();
    let got = by_its_timeout(timeout, || semaphore.acquire(driver, Some(timeout)));
    assert_eq!(got, Ok(false), "the create has not been answered yet");
    freeing.join().unwrap();
    speed_up(proxy);
    semaphore.cancel(driver).unwrap();
    leases_left(&path, 0);
}

/// Runs `scenario` on a blocking client through a fresh proxy, then checks that it
/// left no reply to the program.
fn on_the_blocking_client(scenario: impl FnOnce(&Arc<FaultProxy>, &mut Blocking<'_>)) {
    let proxy = Arc::new(proxy());
    let mut zk = blocking(&proxy.connect_string());
    scenario(&proxy, &mut Blocking::new(&mut zk));
    assert_no_reply_left_to_the_program(&mut zk);
}

/// Runs `scenario` on a shared client through a fresh proxy.
fn on_the_shared_client(scenario: fn(&Arc<FaultProxy>, &mut SharedClient)) {
    let proxy = Arc::new(proxy());
    let mut zk = shared(&proxy.connect_string());
    scenario(&proxy, &mut zk);
    zk.close();
}

#[test]
fn a_semaphore_acquire_on_the_blocking_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_blocking_client(|proxy, driver| a_timed_out_acquire_on_a_slow_server(proxy, driver));
}

#[test]
fn a_semaphore_acquire_on_the_shared_client_keeps_to_its_timeout_on_a_slow_server() {
    on_the_shared_client(a_timed_out_acquire_on_a_slow_server);
}

#[test]
fn a_lease_made_after_a_blocking_acquire_timed_out_is_deleted_by_the_next_call() {
    on_the_blocking_client(|proxy, driver| a_lease_made_after_the_timeout(proxy, driver));
}

#[test]
fn a_lease_made_after_a_shared_acquire_timed_out_is_deleted_by_the_next_call() {
    on_the_shared_client(a_lease_made_after_the_timeout);
}

#[test]
fn a_blocking_lease_guard_keeps_to_its_timeout_and_gives_the_semaphore_back() {
    let proxy = proxy();
    let mut zk = blocking(&proxy.connect_string());
    let path = fresh_path("slow-semaphore-blocking-guard");
    slow_down(&proxy);
    let leased = by_its_timeout(SHORT, || {
        Semaphore::new(&path, 1, "me")
            .lease_blocking(&mut zk, Some(SHORT))
            .map(|leased| leased.err())
    });
    let mut semaphore = leased.unwrap().expect("time ran out: the semaphore back");
    speed_up(&proxy);
    semaphore.cancel(&mut Blocking::new(&mut zk)).unwrap();
    leases_left(&path, 0);
    assert_no_reply_left_to_the_program(&mut zk);
}

#[test]
fn a_shared_lease_guard_keeps_to_its_timeout_and_gives_the_semaphore_back() {
    let proxy = proxy();
    let zk = shared(&proxy.connect_string());
    let path = fresh_path("slow-semaphore-shared-guard");
    slow_down(&proxy);
    let leased = by_its_timeout(SHORT, || {
        Semaphore::new(&path, 1, "me").lease(&zk, Some(SHORT))
    });
    let Ok(Err(mut semaphore)) = leased else {
        panic!("time ran out, yet it gave {leased:?}");
    };
    speed_up(&proxy);
    semaphore.cancel(&mut zk.clone()).unwrap();
    leases_left(&path, 0);
    zk.close();
}

// ----- zk-tokio's client ---------------------------------------------------------------

#[tokio::test]
async fn an_async_lease_guard_and_try_acquire_keep_to_their_time_on_a_slow_server() {
    let proxy = proxy();
    let zk = tokio_client(&proxy).await;
    let path = fresh_path("slow-semaphore-async");
    slow_down(&proxy);
    let leased = by_its_timeout_async(
        SHORT,
        Semaphore::new(&path, 1, "me").lease_async(&zk, Some(SHORT)),
    )
    .await;
    let Ok(Err(mut semaphore)) = leased else {
        panic!("time ran out, yet it gave {leased:?}");
    };
    let looked = by_its_timeout_async(Duration::ZERO, semaphore.try_acquire_async(&zk)).await;
    assert_eq!(looked, Ok(false), "a look does not wait for the server");
    speed_up(&proxy);
    assert_eq!(semaphore.acquire_async(&zk, Some(PATIENCE)).await, Ok(true));
    leases_left(&path, 1);
    semaphore.release_async(&zk).await.unwrap();
    leases_left(&path, 0);
    zk.close().await;
}

#[tokio::test]
async fn a_lease_made_after_an_async_acquire_timed_out_is_deleted_by_the_next_call() {
    let proxy = Arc::new(proxy());
    let zk = tokio_client(&proxy).await;
    let path = fresh_path("slow-semaphore-async-late-lease");
    let freeing = hold_until_waited_for_then_free(&proxy, &path);
    let mut semaphore = Semaphore::new(&path, 1, "me");
    let timeout = until_the_create_is_out();
    let got = by_its_timeout_async(timeout, semaphore.acquire_async(&zk, Some(timeout))).await;
    assert_eq!(got, Ok(false), "the create has not been answered yet");
    freeing.join().unwrap();
    speed_up(&proxy);
    semaphore.cancel_async(&zk).await.unwrap();
    leases_left(&path, 0);
    zk.close().await;
}

#[tokio::test]
async fn an_async_acquire_dropped_while_its_lease_create_is_out_leaves_no_lease() {
    let proxy = Arc::new(proxy());
    let zk = tokio_client(&proxy).await;
    let path = fresh_path("slow-semaphore-dropped");
    let freeing = hold_until_waited_for_then_free(&proxy, &path);
    let mut semaphore = Semaphore::new(&path, 1, "me");
    let watcher = operator();
    let lease_made = async {
        // The holder's lease is gone, and the server made ours: its answer is on the
        // way, SLOW late.
        while !freeing.is_finished() || children(&watcher, &path).is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        acquired = semaphore.acquire_async(&zk, None) => panic!("acquired before the answer came: {acquired:?}"),
        () = lease_made => {}
    }
    freeing.join().unwrap();
    speed_up(&proxy);
    // The deletes queued on drop come after the create: the lease goes, though the
    // acquire that made it is gone.
    let deadline = Instant::now() + SLOW + SLACK;
    while !children(&watcher, &path).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    leases_left(&path, 0);
    assert_eq!(semaphore.acquire_async(&zk, Some(PATIENCE)).await, Ok(true));
    semaphore.release_async(&zk).await.unwrap();
    zk.close().await;
}
