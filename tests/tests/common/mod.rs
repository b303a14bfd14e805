//! Helpers shared by the scenario suites (`scenario_*.rs`): connecting, waiting for
//! events without fixed sleeps, ordering barriers, and finding a session on a server.
//!
//! Every wait here is bounded and returns as soon as its condition holds; the bounds are
//! generous because the machine running the suite may be loaded.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use zk_blocking::{
    Client, Error, Event, EventType, KeeperState, Options, SessionState, WatchHandle, WatchedEvent,
};
use zk_tests::{Ensemble, ServerOptions, ZkServer};

/// How long any wait for something that should happen "soon" may take before the test
/// fails. Generous: two cores shared with JVMs and other test processes.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Server options with a small tick, so that session timeouts of 1–4 s are allowed and
/// time-based scenarios stay short.
pub fn fast_server_options() -> ServerOptions {
    ServerOptions::default().tick_time(Duration::from_millis(200))
}

/// A standalone server with [`fast_server_options`] and `tweak` applied.
pub fn fast_server(tweak: impl FnOnce(ServerOptions) -> ServerOptions) -> ZkServer {
    ZkServer::start_standalone(&tweak(fast_server_options()))
        .unwrap_or_else(|err| panic!("starting a standalone server: {err}"))
}

/// Client options for scenarios: the given session timeout, a quick reconnect and a
/// generous connect deadline.
pub fn options(session_timeout: Duration) -> Options {
    Options::default()
        .session_timeout(session_timeout)
        .connect_timeout(PATIENCE)
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(500))
}

/// Connects and takes the initial `SyncConnected` event, so that later event checks see
/// only what the scenario caused.
pub fn connect(connect_string: &str, options: Options) -> Client {
    let mut client = Client::connect(connect_string, options)
        .unwrap_or_else(|err| panic!("connecting to {connect_string}: {err}"));
    let first = client.next_event(Duration::ZERO).expect("a live session");
    assert_eq!(
        first,
        Some(Event::Session {
            state: KeeperState::SyncConnected,
            reason: None
        }),
        "the first event of a new client"
    );
    client
}

/// Every event already queued, without waiting for more.
pub fn queued_events(client: &mut Client) -> Vec<Event> {
    let mut events = Vec::new();
    while client.queued_events() > 0 {
        match client.next_event(Duration::ZERO) {
            Ok(Some(event)) => events.push(event),
            _ => break,
        }
    }
    events
}

/// Pumps the session until an event satisfies `wanted`; returns every event seen on the
/// way, the wanted one last. Panics after [`PATIENCE`].
pub fn events_until(client: &mut Client, wanted: impl Fn(&Event) -> bool) -> Vec<Event> {
    events_until_within(client, PATIENCE, wanted)
}

/// [`events_until`] with an explicit bound.
pub fn events_until_within(
    client: &mut Client,
    patience: Duration,
    wanted: impl Fn(&Event) -> bool,
) -> Vec<Event> {
    let deadline = Instant::now() + patience;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no wanted event within {patience:?}; saw {seen:?} (state {:?})",
            client.state()
        );
        match client.next_event(left.min(Duration::from_millis(500))) {
            Ok(Some(event)) => {
                let done = wanted(&event);
                seen.push(event);
                if done {
                    return seen;
                }
            }
            Ok(None) => {}
            Err(err) => panic!(
                "the session ended ({err}) before the wanted event; saw {seen:?} (state {:?})",
                client.state()
            ),
        }
    }
}

/// Pumps until the session state event `state` arrives; returns the events on the way.
pub fn until_state(client: &mut Client, state: KeeperState) -> Vec<Event> {
    events_until(client, |e| state_of(e) == Some(state))
}

/// Pumps until a watch event arrives and returns it; panics if any other event (a
/// session event) comes first.
pub fn next_watch(client: &mut Client) -> WatchedEvent {
    let events = events_until(client, |e| matches!(e, Event::Watch(_)));
    match events.as_slice() {
        [Event::Watch(e)] => e.clone(),
        other => panic!("expected only a watch event, got {other:?}"),
    }
}

/// The state a session event moved to; `None` for any other event. Scenarios that
/// are not about the reason compare only this.
pub fn state_of(event: &Event) -> Option<KeeperState> {
    match event {
        Event::Session { state, .. } => Some(*state),
        Event::Watch(_) | Event::Overflow { .. } => None,
    }
}

/// Only the session states among `events`.
pub fn states(events: &[Event]) -> Vec<KeeperState> {
    events.iter().filter_map(state_of).collect()
}

/// The states of `events`, every one of which must be a session event.
pub fn only_states(events: &[Event]) -> Vec<KeeperState> {
    events
        .iter()
        .map(|e| state_of(e).unwrap_or_else(|| panic!("not a session event: {e:?}")))
        .collect()
}

/// A round trip on `client`. The server sends a session its notifications before the
/// reply to any later request, so once this returns every notification caused by a
/// change that completed before the call is queued: "nothing else happened" can then be
/// checked with [`queued_events`] instead of a sleep. (On an ensemble, pass a `sync`
/// path with [`barrier_synced`] so the member has caught up first.)
pub fn barrier(client: &mut Client) {
    client.exists("/").expect("barrier round trip");
}

/// [`barrier`] for an ensemble member that may lag: sync, then a round trip.
pub fn barrier_synced(client: &mut Client) {
    client.sync("/").expect("barrier sync");
    barrier(client);
}

/// A watch event as one comparable value: its type, its path and the watches it fired,
/// sorted by id (the order within one event is not part of the API).
pub fn watch_summary(event: &WatchedEvent) -> (EventType, &str, Vec<WatchHandle>) {
    let mut fired = event.watches.clone();
    fired.sort_by_key(|w| w.id());
    (event.event_type, event.path.as_str(), fired)
}

/// The [`watch_summary`] of each event; panics on an event that is not a watch event.
pub fn watch_summaries(events: &[Event]) -> Vec<(EventType, &str, Vec<WatchHandle>)> {
    events
        .iter()
        .map(|e| match e {
            Event::Watch(w) => watch_summary(w),
            other => panic!("only watch events expected, got {other:?} in {events:?}"),
        })
        .collect()
}

/// Calls `op` until it stops failing with ConnectionLoss (an ensemble electing a leader),
/// at most [`PATIENCE`].
pub fn retrying<T>(client: &mut Client, mut op: impl FnMut(&mut Client) -> Result<T, Error>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match op(client) {
            Ok(value) => return value,
            Err(Error::ConnectionLoss) if Instant::now() < deadline => {
                client.pump(Duration::from_millis(100));
            }
            Err(err) => panic!("operation failed: {err} (state {:?})", client.state()),
        }
    }
}

/// Polls `condition` every 20 ms until it holds; panics with `what` after `patience`.
/// For conditions outside any client (proxy counters, four-letter words).
pub fn eventually(what: &str, patience: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + patience;
    while !condition() {
        assert!(Instant::now() < deadline, "not within {patience:?}: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The session id as the server prints it (`0x...`, lower-case hex).
pub fn session_hex(session_id: i64) -> String {
    format!("0x{session_id:x}")
}

/// The `myid` of the running member that holds a connection of this session
/// (`cons`), if any.
pub fn member_holding(ensemble: &Ensemble, session_id: i64) -> Option<u32> {
    let needle = format!("sid={},", session_hex(session_id));
    ensemble
        .members()
        .iter()
        .filter(|m| m.is_running() && !m.is_paused())
        .find(|m| {
            m.four_letter("cons")
                .is_ok_and(|cons| cons.contains(&needle))
        })
        .and_then(ZkServer::myid)
}

/// The sessions a standalone `server` holds, as `dump` lists them (`0x...`): those of
/// its session tracker, live connections or not, until each is closed or expires.
pub fn sessions_held(server: &ZkServer) -> Vec<String> {
    let dump = server.four_letter("dump").expect("dump");
    let tracker = dump
        .split_once("SessionTracker dump:")
        .map_or("", |(_, rest)| rest);
    let tracker = tracker
        .split_once("ephemeral nodes dump:")
        .map_or(tracker, |(sessions, _)| sessions);
    tracker
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("0x"))
        .map(str::to_string)
        .collect()
}

/// The paths `wchc` lists under this session on `server`.
pub fn watched_paths(server: &ZkServer, session_id: i64) -> Vec<String> {
    let wchc = server.four_letter("wchc").expect("wchc");
    let header = session_hex(session_id);
    let mut paths = Vec::new();
    let mut mine = false;
    for line in wchc.lines() {
        if let Some(path) = line.strip_prefix('\t') {
            if mine {
                paths.push(path.trim().to_string());
            }
        } else if !line.trim().is_empty() {
            mine = line.trim() == header;
        }
    }
    paths
}

/// Asserts the client is connected read-write with this session.
pub fn assert_connected(client: &Client, session_id: i64) {
    assert_eq!(client.state(), SessionState::Connected);
    assert_eq!(client.session_id(), session_id, "the same session");
}

/// Asserts what an unread event queue bounded at `kept` holds after `changes` data
/// changes of one persistent `watch`: the first `kept` changes, then one `Overflow`
/// counting the rest and naming the watch.
#[allow(dead_code)]
pub fn assert_kept_then_overflow(
    events: &[Event],
    watch: WatchHandle,
    kept: usize,
    changes: usize,
) {
    assert_eq!(events.len(), kept + 1, "{events:?}");
    assert!(
        events[..kept].iter().all(|e| matches!(
            e,
            Event::Watch(w) if w.event_type == EventType::NodeDataChanged && w.fired(watch)
        )),
        "{events:?}"
    );
    assert_eq!(
        events[kept],
        Event::Overflow {
            dropped: (changes - kept) as u64,
            watches: vec![watch],
        }
    );
}
