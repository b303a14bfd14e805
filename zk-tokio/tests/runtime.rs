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
