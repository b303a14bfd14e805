//! An application that stops reading events: what the session keeps for it is
//! bounded by `Config::max_queued_events`; notifications and connection-state changes
//! beyond the bound are summed up in one `Event::Overflow`; replies, watch removals
//! and the end of the session are never dropped.

mod common;

use std::time::Duration;

use zk_proto::{EventType, KeeperState};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{DisconnectCause, Event, Request, RequestError, StateReason, WatchKind};

use common::{
    HarnessExt, SID, T, config, connected_with, data_reply, deliver_silently, drain,
    flush_silently, pump_transports, reg, replies, reply_ids, watch_data, watch_events,
    watch_persistent,
};

/// A connected session that queues at most `max` notifications and state changes.
fn bounded(max: usize) -> Harness {
    let mut c = config("a");
    c.max_queued_events = max;
    connected_with(c)
}

#[test]
fn notifications_beyond_the_bound_become_one_overflow_and_replies_still_queue() {
    let mut h = bounded(10);
    let p = watch_persistent(&mut h, "/p");
    let q = watch_persistent(&mut h, "/q");
    h.take_events();
    // from here on the application reads nothing
    let ids: Vec<_> = (0..5)
        .map(|_| h.submit(Request::get_data("/x", false)))
        .collect();
    let xids: Vec<i32> = flush_silently(&mut h).iter().map(|f| f.xid()).collect();
    for i in 0..1_000 {
        let path = if i % 2 == 0 { "/p" } else { "/q" };
        deliver_silently(
            &mut h,
            &FakeServer::notification(EventType::NodeDataChanged, path, 10 + i),
        );
        if i % 200 == 100 {
            deliver_silently(&mut h, &data_reply(xids[(i / 200) as usize], 10 + i));
        }
        // 10 notifications, the overflow marker, and the replies so far
        let replies_so_far = if i < 100 { 0 } else { 1 + (i - 100) / 200 } as usize;
        assert!(
            h.session.queued_events() <= 10 + 1 + replies_so_far,
            "{} events queued after {i} notifications",
            h.session.queued_events()
        );
    }
    let events = drain(&mut h);
    assert_eq!(events.len(), 10 + 1 + 5);
    assert_eq!(watch_events(&events[..10]).len(), 10);
    assert_eq!(
        events[10],
        Event::Overflow {
            dropped: 990,
            registrations: vec![
                reg(p, WatchKind::Persistent, "/p"),
                reg(q, WatchKind::Persistent, "/q")
            ],
        }
    );
    assert_eq!(reply_ids(&events), ids, "every reply, in order");
    assert!(replies(&events).iter().all(|(_, r)| r.is_ok()));
    // read again: there is room again
    h.notify(EventType::NodeDataChanged, "/p", 2_000);
    assert_eq!(watch_events(&h.events).len(), 1);
}

#[test]
fn a_state_change_beyond_the_bound_is_summed_up_naming_every_registration() {
    let mut h = bounded(2);
    let d = watch_data(&mut h, "/d");
    let p = watch_persistent(&mut h, "/p");
    h.take_events();
    for zxid in [10, 11] {
        deliver_silently(
            &mut h,
            &FakeServer::notification(EventType::NodeDataChanged, "/p", zxid),
        );
    }
    // the queue is full when the connection drops: Disconnected does not fit
    let conn = h.conn.take().unwrap();
    h.session
        .handle_disconnected(conn, DisconnectCause::Eof, h.now);
    pump_transports(&mut h);
    let events = drain(&mut h);
    assert_eq!(watch_events(&events).len(), 2);
    assert_eq!(
        events[2..],
        [Event::Overflow {
            dropped: 1,
            // the untouched one-shot too: it may have missed its event
            registrations: vec![
                reg(d, WatchKind::Data, "/d"),
                reg(p, WatchKind::Persistent, "/p")
            ],
        }]
    );
    // drained: the reconnect is reported as usual
    h.establish(T, SID);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::State {
            state: KeeperState::SyncConnected,
            ..
        }
    )));
}

#[test]
fn the_end_of_the_session_and_its_failed_replies_are_never_dropped() {
    let mut h = bounded(1);
    let p = watch_persistent(&mut h, "/p");
    h.take_events();
    let written = h.submit(Request::get_data("/x", false));
    flush_silently(&mut h);
    for zxid in [10, 11, 12] {
        deliver_silently(
            &mut h,
            &FakeServer::notification(EventType::NodeDataChanged, "/p", zxid),
        );
    }
    h.session.close(h.now);
    pump_transports(&mut h);
    flush_silently(&mut h);
    h.now += Duration::from_secs(3);
    h.session.handle_timeout(h.now);
    pump_transports(&mut h);
    let events = drain(&mut h);
    assert_eq!(
        events[1..],
        [
            Event::Overflow {
                dropped: 2,
                registrations: vec![reg(p, WatchKind::Persistent, "/p")],
            },
            Event::State {
                state: KeeperState::Closed,
                registrations: vec![reg(p, WatchKind::Persistent, "/p")],
                // the close timeout passed without the server's answer
                reason: Some(StateReason::ClosedByApplication { confirmed: false }),
            },
            Event::Reply {
                id: written,
                result: Err(RequestError::Closing),
                registration: None,
            },
        ]
    );
}
