//! The queue machine, scripted: what it asks and what it makes of every answer.

mod common;

use common::*;
use zk_blocking::ErrorCode;
use zk_blocking::{Bytes, CreateMode, Error, Request, Response, Stat};
use zk_recipes::{QueueEvent, QueueMachine, Recipe};

fn read(path: &str) -> Request {
    Request::get_data(path, false)
}

fn data(value: &'static [u8]) -> Result<Response, Error> {
    Ok(Response::GetData {
        data: Bytes::from_static(value),
        stat: Stat::default(),
    })
}

#[test]
fn a_put_creates_a_sequential_entry_named_by_its_priority() {
    let mut q = QueueMachine::new("/q");
    q.put(Bytes::from_static(b"job"), 7);
    expect_then(
        &mut q,
        create("/q/entry-007-", b"job", CreateMode::PersistentSequential),
        created("/q/entry-007-0000000000"),
    );
    assert_eq!(
        q.poll_output(),
        Some(QueueEvent::Put("/q/entry-007-0000000000".into()))
    );
}

#[test]
fn a_put_whose_reply_was_lost_is_reported_not_repeated() {
    let mut q = QueueMachine::new("/q");
    q.put(Bytes::from_static(b"job"), 100);
    expect_then(
        &mut q,
        create("/q/entry-100-", b"job", CreateMode::PersistentSequential),
        Err(Error::ConnectionLoss),
    );
    assert_eq!(
        q.poll_output(),
        Some(QueueEvent::Failed(Error::ConnectionLoss))
    );
    assert!(q.poll_submit().is_none());
}

#[test]
fn a_get_takes_the_first_entry_in_name_order() {
    let mut q = QueueMachine::new("/q");
    q.get();
    expect_then(
        &mut q,
        children("/q"),
        listing(&["entry-100-0000000002", "entry-001-0000000009", "other"]),
    );
    expect_then(&mut q, read("/q/entry-001-0000000009"), data(b"urgent"));
    expect_then(&mut q, delete("/q/entry-001-0000000009"), deleted());
    assert_eq!(
        q.poll_output(),
        Some(QueueEvent::Got(Some(Bytes::from_static(b"urgent"))))
    );
}

#[test]
fn an_entry_another_consumer_took_first_is_skipped() {
    let mut q = QueueMachine::new("/q");
    q.get();
    expect_then(
        &mut q,
        children("/q"),
        listing(&["entry-100-0000000001", "entry-100-0000000002"]),
    );
    expect_then(&mut q, read("/q/entry-100-0000000001"), data(b"a"));
    expect_then(
        &mut q,
        delete("/q/entry-100-0000000001"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    expect_then(&mut q, read("/q/entry-100-0000000002"), data(b"b"));
    expect_then(&mut q, delete("/q/entry-100-0000000002"), deleted());
    assert_eq!(
        q.poll_output(),
        Some(QueueEvent::Got(Some(Bytes::from_static(b"b"))))
    );
}

#[test]
fn a_delete_whose_reply_was_lost_hands_the_item_out_rather_than_losing_it() {
    let mut q = QueueMachine::new("/q");
    q.get();
    expect_then(&mut q, children("/q"), listing(&["entry-100-0000000001"]));
    expect_then(&mut q, read("/q/entry-100-0000000001"), data(b"a"));
    expect_then(
        &mut q,
        delete("/q/entry-100-0000000001"),
        Err(Error::ConnectionLoss),
    );
    expect_then(
        &mut q,
        delete("/q/entry-100-0000000001"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    assert_eq!(
        q.poll_output(),
        Some(QueueEvent::Got(Some(Bytes::from_static(b"a"))))
    );
}

#[test]
fn an_empty_or_missing_queue_gives_nothing() {
    let mut q = QueueMachine::new("/q");
    q.get();
    expect_then(&mut q, children("/q"), listing(&[]));
    assert_eq!(q.poll_output(), Some(QueueEvent::Got(None)));
    q.get();
    expect_then(
        &mut q,
        children("/q"),
        Err(Error::from_code(ErrorCode::NoNode)),
    );
    assert_eq!(q.poll_output(), Some(QueueEvent::Got(None)));
}
