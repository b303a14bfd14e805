//! Helpers for the async client's scenarios (`scenario_tokio*.rs`), included next to
//! [`super::common`] as `#[macro_use] #[path = "common/tokio.rs"] mod on_tokio;`.
//!
//! Every wait is an async, bounded wait (tokio's timer, never a blocked thread, so a
//! current-thread runtime keeps driving the client meanwhile) and returns as soon as
//! its condition holds; the bound is [`PATIENCE`] unless a scenario says otherwise.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::task::JoinHandle;

use zk_tokio::{
    Client, Event, KeeperState, OneShotWatch, Options, SessionState, StateChanges, WatchStream,
    WatchedEvent,
};

use crate::common::PATIENCE;

/// "At once", for a call that must not wait for anything: generous (the machine may be
/// loaded), yet far below every timeout that could make such a call return.
pub const AT_ONCE: Duration = Duration::from_secs(2);

/// Runs one scenario, `async fn name(root: &str)`, on both tokio runtimes: as the
/// tests `name::on_current_thread` and `name::on_multi_thread`, each under its own
/// root node, so that the two can share a server.
macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "current_thread")]
            async fn on_current_thread() {
                super::$name(concat!("/tokio-", stringify!($name), "-ct")).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_multi_thread() {
                super::$name(concat!("/tokio-", stringify!($name), "-mt")).await;
            }
        }
    )*};
}

/// [`crate::common::options`] with every call bounded: a call not answered within
/// [`PATIENCE`] fails with `Error::Timeout` instead of hanging the scenario.
pub fn options(session_timeout: Duration) -> Options {
    crate::common::options(session_timeout).call_timeout(PATIENCE)
}

/// Connects (bounded by the options' connect timeout), panicking with the reason.
pub async fn connect(connect_string: &str, options: Options) -> Client {
    Client::connect(connect_string, options)
        .await
        .unwrap_or_else(|err| panic!("connecting to {connect_string}: {err}"))
}

/// `future`'s output, or a panic naming `what` after [`PATIENCE`].
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    within_for(what, PATIENCE, future).await
}

/// `future`'s output, or a panic naming `what` after `bound`.
pub async fn within_for<F: Future>(what: &str, bound: Duration, future: F) -> F::Output {
    tokio::time::timeout(bound, future)
        .await
        .unwrap_or_else(|_| panic!("not within {bound:?}: {what}"))
}

/// Checks `condition` every 10 ms until it holds; panics naming `what` after `patience`.
pub async fn eventually(what: &str, patience: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + patience;
    while !condition() {
        assert!(Instant::now() < deadline, "not within {patience:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Calls `condition` (a round trip, say) every 20 ms until it yields true; panics
/// naming `what` after `patience`.
pub async fn until<F, Fut>(what: &str, patience: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    while !condition().await {
        assert!(Instant::now() < deadline, "not within {patience:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The output of a spawned task, within [`PATIENCE`]; its panic is the test's.
pub async fn joined<T>(what: &str, task: JoinHandle<T>) -> T {
    match within(what, task).await {
        Ok(output) => output,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("{what}: {err}"),
        },
    }
}

/// Waits until every request of `zk` (its own and those it made itself, such as the
/// removal of a dropped watch) has been answered.
pub async fn settled(zk: &Client) {
    eventually("no request left outstanding", PATIENCE, || {
        zk.outstanding() == 0
    })
    .await;
}

/// A round trip. The server sends a session its notifications before the reply to
/// any later request, and the client queues each event before it hands out the reply
/// that followed it, so once this returns every notification caused by a change that
/// completed before it is in its watch's queue.
pub async fn barrier(zk: &Client) {
    within("a barrier round trip", zk.exists("/"))
        .await
        .expect("barrier round trip");
}

/// Waits until no task is left on this runtime: the client's driver task has ended
/// (it ends with the session). The scenario must have joined its own tasks.
pub async fn no_task_left() {
    let metrics = tokio::runtime::Handle::current().metrics();
    eventually("the driver task ends with the session", PATIENCE, || {
        metrics.num_alive_tasks() == 0
    })
    .await;
}

/// The next state change, within [`PATIENCE`].
pub async fn next_state(states: &mut StateChanges) -> KeeperState {
    within("the next state change", states.next())
        .await
        .expect("the state stream ended")
}

/// The next event of a watch stream, within [`PATIENCE`].
pub async fn next_event(stream: &mut WatchStream) -> Event {
    within("the next event of a watch stream", stream.next())
        .await
        .expect("the watch stream ended")
}

/// The next event of a watch stream as a watch notification; panics on anything else.
pub async fn next_watch(stream: &mut WatchStream) -> WatchedEvent {
    match next_event(stream).await {
        Event::Watch(event) => event,
        other => panic!("expected a watch notification, got {other:?}"),
    }
}

/// The event that fires a one-shot watch, within [`PATIENCE`].
pub async fn fired(watch: OneShotWatch) -> WatchedEvent {
    within("a one-shot watch firing", watch)
        .await
        .expect("the watch fired")
}

/// The output of `future` if it is ready without waiting (polled once, not consumed).
pub fn ready_now<F: Future + Unpin>(future: &mut F) -> Option<F::Output> {
    future.now_or_never()
}

/// The next event of a watch stream if one is queued, without waiting; panics if the
/// stream has ended.
pub fn queued_event(stream: &mut WatchStream) -> Option<Event> {
    futures::StreamExt::next(stream)
        .now_or_never()
        .map(|next| next.expect("the watch stream ended"))
}

/// The next state change if one is queued, without waiting; panics if the stream has
/// ended.
pub fn queued_state(states: &mut StateChanges) -> Option<KeeperState> {
    futures::StreamExt::next(states)
        .now_or_never()
        .map(|next| next.expect("the state stream ended"))
}

/// What a watch notification is, as one comparable value.
pub fn what(event: &WatchedEvent) -> (zk_tokio::EventType, &str) {
    (event.event_type, event.path.as_str())
}

/// Asserts that the client is connected read-write with this session.
pub fn assert_connected(zk: &Client, session_id: i64) {
    assert_eq!(zk.state(), SessionState::Connected);
    assert_eq!(zk.session_id(), session_id, "the same session");
}
