//! A new host list for a live session (`Session::update_hosts`, Java's
//! `updateServerList`): the session stays or moves as the rebalancing rule says,
//! keeps its id, lets the replies owed on the connection it leaves arrive, and
//! sends what was queued meanwhile to the new server.

mod common;

use std::time::Duration;

use zk_proto::{ErrorCode, EventType, KeeperState, WireRequest};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{
    CloseReason, Request, RequestError, SessionState, StateReason, Transport, UpdateHostsError,
};

use common::{
    HarnessExt, SID, T, closes, config, connected, connected_with, connects, data_reply, replies,
    requests, states, watch_data, watch_events,
};

/// The read timeout of a session granted `T`: 2/3 of it.
const READ_TIMEOUT: Duration = Duration::from_millis(T as u64 * 2 / 3);

fn update(h: &mut Harness, hosts: &str) {
    h.session
        .update_hosts(hosts, h.now)
        .unwrap_or_else(|e| panic!("refused {hosts:?}: {e}"));
    h.pump();
}

/// The host of the last `Connect` the session asked for.
fn last_dialled(h: &Harness) -> String {
    connects(h).last().expect("a dial").0.clone()
}

fn moved_to(h: &Harness) -> Vec<String> {
    closes(h)
        .into_iter()
        .filter_map(|r| match r {
            CloseReason::MovingToNewHost { to } => Some(to.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_session_whose_server_leaves_the_list_moves_to_a_listed_host_with_the_same_session() {
    let mut h = connected("a,b");
    let left = h.session.current_host().unwrap().clone();
    update(&mut h, "c:2181,d:2181");

    let to = moved_to(&h);
    assert_eq!(to.len(), 1, "{:?}", h.transports);
    assert!(["c:2181", "d:2181"].contains(&to[0].as_str()), "{to:?}");
    assert_eq!(last_dialled(&h), to[0], "dials the chosen host at once");
    let req = h.establish(T, SID);
    assert_eq!(req.session_id, SID, "resumes the same session");
    assert_eq!(h.session.state(), SessionState::Connected);
    assert_eq!(
        states(&h.events),
        [KeeperState::Disconnected, KeeperState::SyncConnected]
    );
    let reason = h
        .events
        .iter()
        .find_map(|e| match e {
            zk_session::Event::State {
                reason: Some(r @ StateReason::Dropped { .. }),
                ..
            } => Some(r.to_string()),
            _ => None,
        })
        .expect("the Disconnected event says why");
    assert_eq!(
        reason,
        format!("left {left} for {}, of the new host list", to[0])
    );
}

#[test]
fn requests_in_flight_during_a_move_are_answered_on_the_old_server_and_later_ones_go_to_the_new() {
    let mut h = connected("a");
    let watch = watch_data(&mut h, "/w");
    let (early, sent) = h.submit_and_flush(Request::get_data("/early", false));
    update(&mut h, "b");
    assert!(closes(&h).is_empty(), "the connection drains first");

    let late = h.submit(Request::get_data("/late", false));
    assert!(
        requests(&h.flush()).is_empty(),
        "nothing more is written to the server being left"
    );
    h.deliver(&data_reply(sent.xid(), 10));
    assert_eq!(moved_to(&h), ["b:2181"]);
    assert_eq!(last_dialled(&h), "b:2181");

    h.establish(T, SID);
    let frames = requests(&h.flush());
    assert!(
        matches!(
            frames.first(),
            Some((_, WireRequest::SetWatches(_) | WireRequest::SetWatches2(_)))
        ),
        "the watch is set again first: {frames:?}"
    );
    let (xid, late_request) = frames.last().unwrap();
    assert!(matches!(late_request, WireRequest::GetData(g) if g.path == "/late"));
    h.deliver(&FakeServer::reply(frames[0].0, 11, ErrorCode::Ok, None));
    h.deliver(&data_reply(*xid, 12));

    let answered = replies(&h.events);
    assert!(
        answered.iter().any(|(id, r)| *id == early && r.is_ok()),
        "{answered:?}"
    );
    assert!(answered.iter().any(|(id, r)| *id == late && r.is_ok()));
    assert!(
        answered.iter().all(|(_, r)| r.is_ok()),
        "no ConnectionLoss: {answered:?}"
    );
    assert!(
        h.session.registration(watch).is_some(),
        "the watch lives on"
    );
}

#[test]
fn a_drain_that_outlasts_the_read_timeout_fails_what_is_still_in_flight_and_moves_on() {
    let mut h = connected("a");
    let (stuck, _) = h.submit_and_flush(Request::get_data("/stuck", false));
    update(&mut h, "b");
    // The server keeps answering pings, so only the drain's own bound ends it.
    h.advance(READ_TIMEOUT / 2);
    h.deliver(&FakeServer::reply(-2, 0, ErrorCode::Ok, None));
    assert!(closes(&h).is_empty());
    h.advance(READ_TIMEOUT / 2);
    assert_eq!(moved_to(&h), ["b:2181"]);
    assert_eq!(
        replies(&h.events),
        [(stuck, Err(RequestError::ConnectionLoss))]
    );
    assert_eq!(last_dialled(&h), "b:2181");
}

#[test]
fn an_unchanged_or_reordered_list_keeps_the_connection() {
    let mut h = connected("a,b,c");
    let conn = h.session.current_conn();
    update(&mut h, "c,b,a");
    assert!(closes(&h).is_empty() && connects(&h).len() == 1);
    let (_, sent) = h.submit_and_flush(Request::get_data("/x", false));
    assert!(
        sent.xid() > 0,
        "requests still go out on the same connection"
    );
    assert_eq!(h.session.current_conn(), conn);
}

#[test]
fn a_grown_list_moves_about_the_share_of_sessions_that_balances_the_load() {
    // 2 → 4 hosts: 1 − 2/4 of the sessions move, each to one of the added hosts.
    let mut moved = 0;
    for seed in 0..400 {
        let mut c = config("a,b");
        c.seed = seed;
        let mut h = connected_with(c);
        update(&mut h, "a,b,c,d");
        match moved_to(&h).as_slice() {
            [] => {}
            [to] => {
                assert!(["c:2181", "d:2181"].contains(&to.as_str()), "{to}");
                moved += 1;
            }
            more => panic!("one move at most: {more:?}"),
        }
    }
    assert!((160..=240).contains(&moved), "{moved} of 400 moved");
}

#[test]
fn an_unusable_list_or_another_chroot_is_refused_and_changes_nothing() {
    let mut h = connected_with(config("a,b/app"));
    let on = h.session.current_host().unwrap().clone();
    for (hosts, wanted) in [
        ("", "no host"),
        ("c,,d", "empty host entry"),
        ("c/other", "chroot /other differs from the session's /app"),
    ] {
        let err = h.session.update_hosts(hosts, h.now).unwrap_err();
        assert!(err.to_string().contains(wanted), "{hosts:?}: {err}");
    }
    assert!(matches!(
        h.session.update_hosts("c/other", h.now),
        Err(UpdateHostsError::ChrootDiffers { .. })
    ));
    h.pump();
    assert!(closes(&h).is_empty() && connects(&h).len() == 1);
    assert_eq!(h.session.current_host(), Some(&on));
    // The old list still serves: losing the server redials one of its hosts.
    h.server_close();
    h.run_next_timer();
    assert!(["a:2181", "b:2181"].contains(&last_dialled(&h).as_str()));
}

#[test]
fn the_sessions_own_chroot_or_none_is_accepted() {
    let mut h = connected_with(config("a/app"));
    update(&mut h, "a/app");
    update(&mut h, "a,b");
    assert!(closes(&h).is_empty());
    assert_eq!(h.session.chroot().as_str(), Some("/app"));
}

#[test]
fn a_closing_session_refuses_a_new_list() {
    let mut h = connected("a");
    h.session.close(h.now);
    let err = h.session.update_hosts("b", h.now).unwrap_err();
    assert!(
        matches!(err, UpdateHostsError::NotAccepting { .. }),
        "{err}"
    );
}

#[test]
fn a_dial_of_a_removed_host_is_given_up_for_a_listed_one() {
    let mut h = Harness::new(config("a"));
    let dialling = h.pending_connect().expect("dials a");
    update(&mut h, "b");
    assert!(h.transports.iter().any(|t| matches!(
        t,
        Transport::Close { conn, reason: CloseReason::MovingToNewHost { .. } } if *conn == dialling
    )));
    assert_eq!(last_dialled(&h), "b:2181");
    h.establish(T, SID);
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn a_session_waiting_to_redial_dials_a_listed_host_when_the_wait_ends() {
    let mut h = Harness::new(config("a"));
    h.refuse();
    assert!(h.pending_connect().is_none(), "a failed pass backs off");
    update(&mut h, "b");
    assert!(h.pending_connect().is_none(), "the backoff still holds");
    h.run_next_timer();
    assert_eq!(last_dialled(&h), "b:2181");
}

#[test]
fn hosts_after_the_chosen_one_follow_the_new_list() {
    let mut h = connected("a");
    update(&mut h, "b,c");
    let first = last_dialled(&h);
    h.refuse();
    let second = last_dialled(&h);
    assert_ne!(first, second);
    assert!(["b:2181", "c:2181"].contains(&second.as_str()));
}

#[test]
fn a_notification_that_came_with_the_last_reply_owed_fires_before_the_move() {
    let mut h = connected("a");
    let watch = watch_data(&mut h, "/w");
    let (_, sent) = h.submit_and_flush(Request::get_data("/x", false));
    update(&mut h, "b");
    let mut bytes = data_reply(sent.xid(), 10);
    bytes.extend(FakeServer::notification(
        EventType::NodeDataChanged,
        "/w",
        11,
    ));
    h.deliver(&bytes);
    assert_eq!(moved_to(&h), ["b:2181"]);
    let fired = watch_events(&h.events);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0].0, EventType::NodeDataChanged);
    assert_eq!(fired[0].2[0].id, watch);
}

#[test]
fn a_close_during_a_move_sends_what_the_move_held_back_and_answers_in_submit_order() {
    let mut h = connected("a");
    let (first, sent) = h.submit_and_flush(Request::get_data("/first", false));
    update(&mut h, "b");
    let held = h.submit(Request::get_data("/held", false));
    h.session.close(h.now);
    h.pump();
    let frames = requests(&h.flush());
    assert!(matches!(&frames[0].1, WireRequest::GetData(g) if g.path == "/held"));
    assert_eq!(frames[1].1, WireRequest::CloseSession);
    h.deliver(&data_reply(sent.xid(), 10));
    h.deliver(&data_reply(frames[0].0, 11));
    h.deliver(&FakeServer::reply(frames[1].0, 12, ErrorCode::Ok, None));
    let answered: Vec<_> = replies(&h.events)
        .into_iter()
        .map(|(id, r)| (id, r.is_ok()))
        .collect();
    assert_eq!(answered, [(first, true), (held, true)]);
    assert_eq!(h.session.state(), SessionState::Closed);
    assert!(moved_to(&h).is_empty(), "no move after the close");
}
