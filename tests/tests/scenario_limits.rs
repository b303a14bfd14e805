//! Scenarios: the frame size limit — a 1 MiB payload with raised limits, a request over
//! the limit, and a reply over the client's limit.

mod common;

use std::time::Duration;
use zk_blocking::Version;

use common::{connect, fast_server, options, states, until_state};
use zk_blocking::{CreateMode, Error, KeeperState, SessionState};
use zk_tests::proxy::{Direction, FaultProxy};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);
const MIB: usize = 1024 * 1024;

#[test]
fn a_one_mebibyte_payload_round_trips_when_both_limits_allow_it() {
    let limit = MIB + 64 * 1024;
    let server = fast_server(|o| o.jute_max_buffer(limit));
    let mut zk = connect(
        &server.connect_string(),
        options(TIMEOUT).max_frame_size(limit),
    );
    let payload: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    zk.create("/big", payload.clone(), CreateMode::Persistent)
        .unwrap();
    let (data, stat) = zk.get_data("/big").unwrap();
    assert_eq!(stat.data_length as usize, MIB);
    assert!(data == payload, "the payload came back changed");

    let reversed: Vec<u8> = payload.iter().rev().copied().collect();
    zk.set_data("/big", reversed.clone(), Version::Exact(0))
        .unwrap();
    let (data, stat) = zk.get_data("/big").unwrap();
    assert_eq!(stat.version, 1);
    assert!(data == reversed, "the new payload came back changed");
    assert_eq!(zk.state(), SessionState::Connected);
    zk.close();
}

#[test]
fn a_request_over_the_frame_limit_fails_locally_and_sends_nothing() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let sent = proxy.stats(Direction::ToServer);
    let err = zk
        .create("/too-big", vec![0u8; 2 * MIB], CreateMode::Ephemeral)
        .unwrap_err();
    match &err {
        Error::TooLarge { size, max } => {
            assert!(*size > 2 * MIB, "{size}");
            assert_eq!(*max, 0xfffff);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("max_frame_size"), "{err}");
    assert_eq!(zk.outstanding(), 0);
    // One round trip later the proxy has seen everything sent before it: just that.
    assert!(zk.exists("/").unwrap().is_some());
    let after = proxy.stats(Direction::ToServer);
    assert_eq!(after.frames - after.pings, sent.frames - sent.pings + 1);
    assert_eq!(after.bytes_read - sent.bytes_read, 4 + 8 + 4 + 1 + 1);
    zk.close();
}

#[test]
fn a_reply_over_the_client_limit_drops_that_connection_and_the_session_goes_on() {
    let server = shared_standalone();
    let proxy = FaultProxy::start(server.address()).unwrap();
    let mut writer = connect(&server.connect_string(), options(TIMEOUT));
    writer
        .create("/over-limit", vec![1u8; 200 * 1024], CreateMode::Persistent)
        .unwrap();
    let mut zk = connect(
        &proxy.connect_string(),
        options(TIMEOUT).max_frame_size(64 * 1024),
    );
    let session = zk.session_id();

    let err = zk.get_data("/over-limit").unwrap_err();
    assert!(
        matches!(err, Error::ReplyTooLarge { len, max: 65_536 } if len > 200 * 1024),
        "{err:?}"
    );
    let events = until_state(&mut zk, KeeperState::SyncConnected);
    assert_eq!(
        states(&events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    assert_eq!(events.len(), 2);
    assert_eq!(zk.session_id(), session, "the same session");
    assert_eq!(proxy.accepted(), 2, "one reconnect");
    // Everything that fits works.
    let stat = zk.exists("/over-limit").unwrap().unwrap();
    assert_eq!(stat.data_length, 200 * 1024);
    assert_eq!(zk.outstanding(), 0);
    zk.close();
    writer.close();
}

#[test]
fn a_reply_over_the_client_limit_is_reported_with_an_error_naming_the_limit() {
    let server = shared_standalone();
    let mut writer = connect(&server.connect_string(), options(TIMEOUT));
    writer
        .create(
            "/over-limit-named",
            vec![1u8; 200 * 1024],
            CreateMode::Persistent,
        )
        .unwrap();
    let mut zk = connect(
        &server.connect_string(),
        options(TIMEOUT).max_frame_size(64 * 1024),
    );
    // Retrying cannot help, so the caller must be told why, not just "connection lost".
    let err = zk.get_data("/over-limit-named").unwrap_err();
    assert!(
        matches!(err, Error::ReplyTooLarge { len, max: 65_536 } if len > 200 * 1024),
        "{err:?}"
    );
    // The session reconnects and goes on.
    assert!(zk.exists("/over-limit-named").unwrap().is_some());
    let message = err.to_string();
    assert!(
        message.contains("max_frame_size") || message.contains("65536"),
        "the error does not say the reply exceeded the frame limit: {err:?} ({message})"
    );
    zk.close();
    writer.close();
}
