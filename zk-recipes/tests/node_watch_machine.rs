//! The node watch machine, scripted: persistent and one-shot watching, catch-up after
//! a reconnect, and the fall-back for servers without addWatch.

mod common;

use common::*;
use zk_blocking::ErrorCode;
use zk_blocking::{Bytes, Error, EventType, KeeperState, Request, Response, Stat};
use zk_recipes::{NodeValue, NodeWatchMachine, Recipe};

const PATH: &str = "/config";

fn add_watch() -> Request {
    Request::AddWatch {
        path: PATH.into(),
        recursive: false,
    }
}

fn read(watch: bool) -> Request {
    Request::get_data(PATH, watch)
}

fn value(data: &'static [u8], version: i32) -> Result<Response, Error> {
    Ok(Response::GetData {
        data: Bytes::from_static(data),
        stat: Stat {
            version,
            mzxid: i64::from(version),
            ..Stat::default()
        },
    })
}

fn told(m: &mut NodeWatchMachine) -> Option<String> {
    match m.poll_output() {
        Some(Ok(NodeValue::Data(data, _))) => Some(String::from_utf8_lossy(&data).into()),
        Some(Ok(NodeValue::Missing)) => Some("<missing>".into()),
        Some(other) => panic!("unexpected output {other:?}"),
        None => None,
    }
}

#[test]
fn a_persistent_watch_is_set_once_and_each_change_is_read_without_a_new_watch() {
    let mut watches = Watches::new();
    let watch = watches.persistent(PATH);
    let mut m = NodeWatchMachine::data(PATH, true);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    expect_then(&mut m, read(false), value(b"v1", 1));
    assert_eq!(told(&mut m).as_deref(), Some("v1"));
    assert_eq!(m.watch(), Some(watch));

    m.handle_watch(&fired(watch, EventType::NodeDataChanged, PATH));
    expect_then(&mut m, read(false), value(b"v2", 2));
    assert_eq!(told(&mut m).as_deref(), Some("v2"));
    m.handle_watch(&fired(watch, EventType::NodeDeleted, PATH));
    expect_then(
        &mut m,
        read(false),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    assert_eq!(told(&mut m).as_deref(), Some("<missing>"));
}

#[test]
fn a_change_while_a_read_is_out_is_read_again_after_it() {
    let mut watches = Watches::new();
    let watch = watches.persistent(PATH);
    let mut m = NodeWatchMachine::data(PATH, true);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    let (token, request) = sent(&mut m);
    assert_eq!(request, read(false));
    m.handle_watch(&fired(watch, EventType::NodeDataChanged, PATH));
    assert!(m.poll_submit().is_none(), "one read at a time");
    m.handle_reply(token, value(b"v1", 1).map(|r| (r, None)));
    expect_then(&mut m, read(false), value(b"v2", 2));
    assert_eq!(told(&mut m).as_deref(), Some("v1"));
    assert_eq!(told(&mut m).as_deref(), Some("v2"));
}

#[test]
fn a_reconnect_reads_again_to_catch_up_on_what_the_persistent_watch_missed() {
    let mut watches = Watches::new();
    let watch = watches.persistent(PATH);
    let mut m = NodeWatchMachine::data(PATH, true);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    expect_then(&mut m, read(false), value(b"v1", 1));
    assert_eq!(told(&mut m).as_deref(), Some("v1"));

    m.handle_session(KeeperState::Disconnected);
    assert!(m.poll_submit().is_none());
    m.handle_session(KeeperState::SyncConnected);
    expect_then(&mut m, read(false), value(b"v3", 3));
    assert_eq!(told(&mut m).as_deref(), Some("v3"));
}

#[test]
fn a_server_without_add_watch_gets_one_shot_watches() {
    let mut watches = Watches::new();
    let mut m = NodeWatchMachine::data(PATH, true);
    expect_then(&mut m, add_watch(), Err(Error::Unimplemented));
    let one_shot = watches.exist(PATH);
    expect_then_watched(&mut m, read(true), value(b"v1", 1), Some(one_shot));
    assert_eq!(told(&mut m).as_deref(), Some("v1"));
    assert_eq!(m.watch(), Some(one_shot));
    m.handle_watch(&fired(one_shot, EventType::NodeDataChanged, PATH));
    expect_then(&mut m, read(true), value(b"v2", 2));
    assert_eq!(told(&mut m).as_deref(), Some("v2"));
}

#[test]
fn an_unchanged_value_read_again_is_not_told_twice() {
    let mut watches = Watches::new();
    let watch = watches.persistent(PATH);
    let mut m = NodeWatchMachine::data(PATH, true);
    expect_then_watched(&mut m, add_watch(), Ok(Response::AddWatch), Some(watch));
    expect_then(&mut m, read(false), value(b"v1", 1));
    assert_eq!(told(&mut m).as_deref(), Some("v1"));
    m.handle_session(KeeperState::Disconnected);
    m.handle_session(KeeperState::SyncConnected);
    expect_then(&mut m, read(false), value(b"v1", 1));
    assert_eq!(told(&mut m), None);
}
