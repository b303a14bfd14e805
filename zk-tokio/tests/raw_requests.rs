//! Raw requests (`submit`) on the async client, and the watches they set.

use std::time::Duration;

use zk_tests::shared_standalone;
use zk_tokio::{Client, CreateMode, Error, Event, EventType, Options, Request, Response, Version};

const PATIENCE: Duration = Duration::from_secs(20);

async fn client() -> Client {
    Client::connect(&shared_standalone().connect_string(), Options::new())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_submitted_request_completes_with_its_typed_response() {
    let zk = client().await;
    let reply = zk.submit(Request::exists("/", false)).unwrap();
    let id = reply.id();
    let completion = tokio::time::timeout(PATIENCE, reply).await.unwrap();
    assert_eq!(completion.id, id);
    assert!(matches!(completion.result, Ok(Response::Exists(Some(_)))));
    assert_eq!(completion.watch, None);
}

#[tokio::test]
async fn an_invalid_request_is_refused_at_submit_with_nothing_sent() {
    let zk = client().await;
    let refused = zk.submit(Request::exists("no-leading-slash", false));
    assert!(
        matches!(refused, Err(Error::InvalidPath { .. })),
        "{refused:?}"
    );
    assert_eq!(zk.outstanding(), 0);
}

#[tokio::test]
async fn a_watch_set_by_a_submitted_request_streams_its_event_once_taken() {
    let zk = client().await;
    let path = "/raw-submit-watch";
    let _ = zk.delete(path, Version::Any).await;
    zk.create(path, "a", CreateMode::Ephemeral).await.unwrap();
    let completion = zk.submit(Request::get_data(path, true)).unwrap().await;
    let handle = completion.watch.expect("a getData with watch sets one");
    let mut events = zk.watch_stream(handle).unwrap();
    assert!(
        matches!(zk.watch_stream(handle), Err(Error::NoWatcher { .. })),
        "a watch's events have one holder"
    );
    zk.set_data(path, "b", Version::Any).await.unwrap();
    match tokio::time::timeout(PATIENCE, events.next()).await.unwrap() {
        Some(Event::Watch(e)) => {
            assert_eq!(e.event_type, EventType::NodeDataChanged);
            assert!(e.fired(handle));
        }
        other => panic!("expected the data change, got {other:?}"),
    }
    assert_eq!(events.next().await, None, "a one-shot watch's stream ends");
    zk.close().await;
}
