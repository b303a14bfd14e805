//! The client and the runtimes that drive it: where it can start, and what happens to
//! its calls when its runtime goes away.

use std::time::Duration;

use zk_tests::shared_standalone;
use zk_tokio::{Client, Error, Options, SessionState};

#[test]
fn starting_a_client_outside_a_runtime_is_an_error_that_says_what_to_do() {
    let err = Client::start("127.0.0.1:1", Options::new()).unwrap_err();
    assert!(matches!(err, Error::System(_)), "{err:?}");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

#[test]
fn calls_fail_with_closed_once_the_runtime_that_drove_the_client_shut_down() {
    let cs = shared_standalone().connect_string();
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = first
        .block_on(Client::connect(&cs, Options::new()))
        .unwrap();
    drop(first);
    assert_eq!(client.state(), SessionState::Closed);

    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = second.block_on(async {
        tokio::time::timeout(Duration::from_secs(5), client.get_data("/")).await
    });
    assert_eq!(reply.expect("the call must not hang"), Err(Error::Closed));
}

#[test]
fn a_call_in_flight_when_the_runtime_shuts_down_completes_with_closed() {
    let cs = shared_standalone().connect_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(Client::connect(&cs, Options::new()))
        .unwrap();
    // Queued, never driven: the runtime goes before the driver task writes it.
    let pending = client.get_data("/");
    drop(runtime);
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply =
        other.block_on(async { tokio::time::timeout(Duration::from_secs(5), pending).await });
    assert_eq!(reply.expect("the call must not hang"), Err(Error::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_watch_and_stream_can_be_moved_into_a_spawned_task() {
    // What a service does: each request handler is its own task, holding a clone.
    let cs = shared_standalone().connect_string();
    // The connect future borrows nothing: it is spawned as it is.
    let zk = tokio::spawn(Client::connect(&cs, Options::new()))
        .await
        .unwrap()
        .unwrap();
    let path = "/tokio-spawned-everything";
    let (z, p) = (zk.clone(), path);
    tokio::spawn(async move {
        z.wait_until_connected(Duration::from_secs(5))
            .await
            .unwrap();
        z.add_auth("digest", "spawned:secret").await.unwrap();
        z.create(p, "", zk_tokio::CreateMode::Ephemeral)
            .await
            .unwrap();
    })
    .await
    .unwrap();
    let z = zk.clone();
    let (_, _, changed) = tokio::spawn(async move { z.get_data_watch(path).await })
        .await
        .unwrap()
        .unwrap();
    let z = zk.clone();
    let mut stream =
        tokio::spawn(async move { z.add_watch(path, zk_tokio::AddWatchMode::Persistent).await })
            .await
            .unwrap()
            .unwrap();
    let mut states = zk.state_changes();
    let watching = tokio::spawn(async move { (changed.await, stream.next().await) });
    let ending = tokio::spawn(async move { states.next().await });
    let z = zk.clone();
    tokio::spawn(async move { z.set_data(path, "x", zk_tokio::Version::Any).await })
        .await
        .unwrap()
        .unwrap();
    let (fired, streamed) = watching.await.unwrap();
    assert_eq!(fired.unwrap().path, path);
    assert!(matches!(streamed, Some(zk_tokio::Event::Watch(e)) if e.path == path));
    let z = zk.clone();
    tokio::spawn(async move { z.close().await }).await.unwrap();
    assert_eq!(ending.await.unwrap(), Some(zk_tokio::KeeperState::Closed));
}

/// A runtime of one worker, and a client with a call timeout connected on it.
fn client_with_a_call_timeout() -> (tokio::runtime::Runtime, Client) {
    let cs = shared_standalone().connect_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options::new().call_timeout(Duration::from_secs(10));
    let client = runtime.block_on(Client::connect(&cs, options)).unwrap();
    (runtime, client)
}

#[test]
fn a_call_with_a_timeout_made_outside_the_runtime_is_timed_once_awaited_in_it() {
    let (runtime, client) = client_with_a_call_timeout();
    // `runtime.block_on(client.exists("/"))`: the call is made here, outside it.
    let call = client.exists("/");
    assert!(runtime.block_on(call).unwrap().is_some());
    runtime.block_on(client.close());
}

#[test]
fn a_call_with_a_timeout_polled_outside_any_runtime_says_what_to_do() {
    let (runtime, client) = client_with_a_call_timeout();
    // Another executor, no tokio context: the first poll finds no timer to arm.
    let polled = poll_once(client.get_data("/never-answered-in-time"));
    match polled {
        Some(Err(Error::System(why))) => assert!(why.contains("tokio runtime"), "{why}"),
        // The reply may already be in: then there was nothing to time.
        Some(Err(Error::NoNode { .. })) => {}
        other => panic!("expected the runtime error, got {other:?}"),
    }
    runtime.block_on(client.close());
}

/// Polls `future` once on this thread, with a waker that does nothing.
fn poll_once<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}
