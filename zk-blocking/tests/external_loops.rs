//! The external-loop examples, run against the shared real server.

#[path = "../examples/mio_sessions.rs"]
mod mio_sessions;
#[path = "../examples/tokio_asyncfd.rs"]
mod tokio_asyncfd;

#[test]
fn several_sessions_share_one_mio_loop() {
    let ids = mio_sessions::run(&zk_tests::shared_standalone().connect_string(), 4).unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|id| *id != 0));
}

#[test]
fn sessions_run_under_tokio_with_async_fd() {
    let (a, b) = tokio_asyncfd::run(&zk_tests::shared_standalone().connect_string()).unwrap();
    assert!(a != 0 && b != 0 && a != b);
}
