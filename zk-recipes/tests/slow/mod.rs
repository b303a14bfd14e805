//! What the slow-server suites (`slow_server_waits.rs`, `slow_server_timeouts.rs`,
//! `semaphore_slow_server.rs`) share: a proxy that hands the server's replies over
//! [`SLOW`] late, the timeouts they give calls (and the checks that a call kept to
//! its own), clients through the proxy and straight to the server, a hold's check
//! left out by a slow reconnect, and the check that a recipe left nothing to the
//! program.
//!
//! A suite includes `servers/mod.rs` as `common` beside it.

#![allow(dead_code)]

use std::fmt::Debug;
use std::time::{Duration, Instant};

use zk_blocking::Result;
use zk_tests::proxy::{Direction, Fault, FaultProxy, OnAccept};
use zk_tests::shared_standalone;

/// How late the proxy hands each reply over while the server is slow.
pub const SLOW: Duration = Duration::from_secs(3);
/// The caller's timeout: much shorter than a reply takes.
pub const SHORT: Duration = Duration::from_millis(300);
/// What a call may take beyond its timeout (scheduling on a loaded machine).
pub const SLACK: Duration = Duration::from_millis(700);

/// A proxy to the shared server.
pub fn proxy() -> FaultProxy {
    FaultProxy::start(shared_standalone().address()).expect("a proxy")
}

/// The server answers [`SLOW`] late through `proxy`.
pub fn slow_down(proxy: &FaultProxy) {
    proxy.set_fault(Direction::ToClient, Fault::Delay(SLOW));
}

/// Runs `call`, which was given `timeout`, and asserts it returned by then.
pub fn by_its_timeout<T>(timeout: Duration, call: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let returned = call();
    let took = started.elapsed();
    assert!(
        took < timeout + SLACK,
        "a call given {timeout:?} took {took:?}"
    );
    returned
}

/// Nothing a recipe asked is left for the program's `wait_any` on `zk`, even once
/// the server answered all (its answers come [`SLOW`] late).
pub fn assert_no_reply_left_to_the_program(zk: &mut zk_blocking::Client) {
    let stray = zk.wait_any(SLOW + SLACK).unwrap();
    assert!(stray.is_none(), "the program got {stray:?}");
    assert_eq!(zk.outstanding(), 0);
}

/// The server answers at once through `proxy` again.
pub fn speed_up(proxy: &FaultProxy) {
    proxy.set_fault(Direction::ToClient, Fault::Pass);
}

/// A client straight to the server, to look at what the recipes left there.
pub fn operator() -> zk_blocking::SharedClient {
    super::common::shared(&shared_standalone().connect_string())
}

/// A zk-tokio client through `proxy`.
#[cfg(feature = "tokio")]
pub async fn tokio_client(proxy: &FaultProxy) -> zk_tokio::Client {
    zk_tokio::Client::connect(&proxy.connect_string(), zk_tokio::Options::new())
        .await
        .unwrap()
}

/// Runs `call`, given `timeout`, and asserts it returned by then.
#[cfg(feature = "tokio")]
pub async fn by_its_timeout_async<T>(
    timeout: Duration,
    call: impl std::future::Future<Output = T>,
) -> T {
    let started = Instant::now();
    let returned = call.await;
    let took = started.elapsed();
    assert!(
        took < timeout + SLACK,
        "a call given {timeout:?} took {took:?}"
    );
    returned
}

/// Lets connections through `proxy` again, each reply [`SLOW`] late.
pub fn reconnect_slowly(proxy: &FaultProxy) {
    slow_down(proxy);
    proxy.set_on_accept(OnAccept::Forward);
}

/// Cuts `subject`'s connection (its `wait` says `uncertain` then), lets it reconnect
/// slowly (`reconnected` returns once it has), then calls `wait` with [`SHORT`] once:
/// it returns by its timeout with no change (`None`: still `uncertain`), and leaves
/// the check of the node after the reconnect out (the server's answer takes
/// [`SLOW`]).
pub fn leave_a_check_out<S, T: PartialEq + Debug>(
    proxy: &FaultProxy,
    subject: &mut S,
    uncertain: &T,
    mut wait: impl FnMut(&mut S, Duration) -> Result<Option<T>>,
    reconnected: impl FnOnce(&mut S),
) {
    super::common::cut_off(proxy);
    assert_eq!(
        wait(subject, super::common::PATIENCE).unwrap().as_ref(),
        Some(uncertain)
    );
    reconnect_slowly(proxy);
    reconnected(subject);
    let started = Instant::now();
    let now = wait(subject, SHORT).unwrap();
    let took = started.elapsed();
    assert!(took < SHORT + SLACK, "a {SHORT:?} wait took {took:?}");
    assert_eq!(now, None, "the server has not answered yet");
}
