//! Connect strings as a user writes them: IPv6 literals in brackets, host names,
//! several hosts with spaces, and entries that can never work, refused at once with a
//! typed error rather than after the connect timeout.

use std::time::{Duration, Instant};

use zk_blocking::{Client, ConfigError, Error, Options};
use zk_test_support::assert_matches;
use zk_tests::shared_standalone;

fn quick() -> Options {
    Options::new().connect_timeout(Duration::from_secs(2))
}

#[test]
fn an_ipv6_literal_is_named_in_brackets_when_it_cannot_be_reached() {
    // Port 1 on ::1: nothing listens there.
    let err = Client::connect("[::1]:1", quick()).map(|_| ()).unwrap_err();
    assert_matches!(err, Error::NoHosts { .. });
    let msg = err.to_string();
    assert!(msg.contains("[::1]:1: "), "{msg}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_names_an_ipv6_literal_in_brackets() {
    let err = zk_tokio::Client::connect("[::1]:1", quick())
        .await
        .map(|_| ())
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("[::1]:1: "), "{msg}");
}

#[test]
fn a_host_name_and_spaces_between_hosts_work() {
    let port = shared_standalone().address().port();
    // A dead host first, spaces around the entries, a host name last.
    let cs = format!(" [::1]:1 , localhost:{port} ");
    let mut zk = Client::connect(&cs, Options::new()).unwrap();
    assert!(zk.exists("/").unwrap().is_some());
    zk.close();
}

#[test]
fn a_control_character_in_a_host_is_refused_at_once() {
    let started = Instant::now();
    let err = Client::connect("127.0.0.1\u{0}:2181", quick())
        .map(|_| ())
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    assert_matches!(err, Error::Config(ConfigError::BadHost { .. }));
    assert!(err.to_string().contains("control character"), "{err}");
}
