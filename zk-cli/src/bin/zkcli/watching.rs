//! Commands that wait for events: `get -w`, `addWatch` and `watch`. Events are
//! printed one per line as they arrive, until `--count N` events or `--for SECONDS`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zk_blocking::{
    AddWatchMode, Client, Error, Event, EventType, KeeperState, StateReason, WatchHandle,
    WatchedEvent, WatcherType,
};

use crate::cli::{EventLimits, WatchMode};
use crate::failure::Failure;
use crate::interrupt;
use crate::json::object;
use crate::output::Output;
use crate::text_format;

/// Who prints the events of the watches a command sets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The command itself, until its limits (one-shot zkcli: nobody else would).
    InCommand,
    /// The shell's event printer, as they arrive; the command waits only when given
    /// `--count` or `--for`.
    InBackground,
}

impl Waiting {
    pub fn waits_for(self, limits: &EventLimits) -> bool {
        self == Waiting::InCommand || !limits.is_unlimited()
    }
}

/// How long a command keeps watching; unlimited when neither flag is given.
struct Limits {
    count: Option<u64>,
    until: Option<Instant>,
}

impl Limits {
    fn starting_now(limits: &EventLimits) -> Limits {
        Limits {
            count: limits.count,
            until: limits.duration.map(|d| Instant::now() + d),
        }
    }

    fn reached(&self, printed: u64) -> bool {
        self.count.is_some_and(|n| printed >= n)
    }
}

/// Drops the session events queued while connecting (zkcli only starts once
/// connected, so "SyncConnected" would be noise). Call it before setting a watch, so
/// that no watch event can be among them. In the shell the event printer owns the
/// queue, so nothing is dropped.
pub fn skip_connect_events(zk: &mut Client, waiting: Waiting) -> Result<(), Failure> {
    if waiting == Waiting::InBackground {
        return Ok(());
    }
    while let Some(event) = zk
        .next_event(Duration::ZERO)
        .map_err(|e| Failure::from_error(e, None))?
    {
        if let Event::Watch(_) = event {
            break;
        }
    }
    Ok(())
}

/// How long one wait for an event lasts: also how soon Ctrl-C stops a command.
const EVENT_SLICE: Duration = Duration::from_millis(250);

/// The next event, or `None` once the time limit passed. Waits in short slices so
/// that the session keeps being pumped (the client has no background thread) and
/// Ctrl-C is noticed.
fn next_event(zk: &mut Client, limits: &Limits) -> Result<Option<Event>, Failure> {
    loop {
        interrupt::check()?;
        let slice = match limits.until {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(EVENT_SLICE),
                _ => return Ok(None),
            },
            None => EVENT_SLICE,
        };
        match zk.next_event(slice) {
            Ok(Some(event)) => return Ok(Some(event)),
            Ok(None) => {}
            Err(e) => return Err(Failure::from_error(e, None)),
        }
    }
}

fn watch_event_json(event: &WatchedEvent) -> Value {
    json!({
        "event": event.event_type.to_string(),
        "state": KeeperState::SyncConnected.to_string(),
        "path": event.path,
        "zxid": event.zxid,
    })
}

fn watch_event_text(event: &WatchedEvent) -> String {
    text_format::event(
        KeeperState::SyncConnected,
        event.event_type,
        Some(&event.path),
    )
}

/// `reason` is null for the connected states.
fn session_event_json(state: KeeperState, reason: Option<&StateReason>) -> Value {
    json!({
        "event": EventType::None.to_string(),
        "state": state.to_string(),
        "path": null,
        "reason": reason.map(StateReason::to_string),
    })
}

/// Java's line, then why the session left its connection or ended, so that a user
/// sees it without `-v`.
fn session_event_text(state: KeeperState, reason: Option<&StateReason>) -> String {
    let line = text_format::event(state, EventType::None, None);
    match reason {
        Some(reason) => format!("{line} ({reason})"),
        None => line,
    }
}

/// An event as the line a watching command prints for it, for the shell's printer;
/// `None` for an overflow, which only says that events were dropped.
pub fn event_line(event: &Event, json: bool) -> Option<String> {
    Some(match (event, json) {
        (Event::Watch(event), true) => watch_event_json(event).to_string(),
        (Event::Watch(event), false) => watch_event_text(event),
        (Event::Session { state, reason }, true) => {
            session_event_json(*state, reason.as_ref()).to_string()
        }
        (Event::Session { state, reason }, false) => session_event_text(*state, reason.as_ref()),
        (Event::Overflow { .. }, _) => return None,
    })
}

fn print_watch_event(out: &mut Output, event: &WatchedEvent) -> Result<(), Failure> {
    if out.is_json() {
        out.object(object(watch_event_json(event)))?;
    } else {
        out.line(&watch_event_text(event))?;
    }
    Ok(())
}

/// Session changes are shown (they explain gaps) but not counted as events.
fn print_session_event(
    out: &mut Output,
    state: KeeperState,
    reason: Option<&StateReason>,
) -> Result<(), Failure> {
    if out.is_json() {
        out.object(object(session_event_json(state, reason)))?;
    } else {
        out.line(&session_event_text(state, reason))?;
    }
    Ok(())
}

/// `get -w`: waits for the one event of `watch`.
pub fn await_one(
    zk: &mut Client,
    watch: WatchHandle,
    limits: &EventLimits,
    out: &mut Output,
) -> Result<(), Failure> {
    let limits = Limits::starting_now(limits);
    while let Some(event) = next_event(zk, &limits)? {
        match event {
            Event::Watch(event) if event.fired(watch) => return print_watch_event(out, &event),
            // zkcli reads every event as it comes, so its queue never overflows.
            Event::Watch(_) | Event::Overflow { .. } => {}
            Event::Session { state, reason } => print_session_event(out, state, reason.as_ref())?,
        }
    }
    Ok(())
}

/// What `addWatch` was asked for.
pub struct AddWatchRequest<'a> {
    pub path: &'a str,
    pub mode: WatchMode,
    pub limits: &'a EventLimits,
}

pub fn add_watch(
    zk: &mut Client,
    request: &AddWatchRequest,
    waiting: Waiting,
    out: &mut Output,
) -> Result<(), Failure> {
    let path = request.path;
    let mode = match request.mode {
        WatchMode::Persistent => AddWatchMode::Persistent,
        WatchMode::PersistentRecursive => AddWatchMode::PersistentRecursive,
    };
    skip_connect_events(zk, waiting)?;
    let watch = zk.add_watch(path, mode).map_err(Failure::at(path))?;
    if !waiting.waits_for(request.limits) {
        return Ok(());
    }
    let limits = Limits::starting_now(request.limits);
    let mut printed = 0;
    while !limits.reached(printed) {
        match next_event(zk, &limits)? {
            None => break,
            Some(Event::Watch(event)) if event.fired(watch) => {
                print_watch_event(out, &event)?;
                printed += 1;
            }
            Some(Event::Watch(_) | Event::Overflow { .. }) => {}
            Some(Event::Session { state, reason }) => {
                print_session_event(out, state, reason.as_ref())?
            }
        }
    }
    Ok(())
}

/// `removewatches`: this session's watches of `watcher_type` on `path`, here and on
/// the server (`locally`: here at once, whatever the server answers). Their
/// *WatchRemoved events follow as events.
pub fn remove_watches(
    zk: &mut Client,
    path: &str,
    watcher_type: WatcherType,
    locally: bool,
    out: &mut Output,
) -> Result<(), Failure> {
    let removed = if locally {
        zk.remove_watches_locally(path, watcher_type)
    } else {
        zk.remove_watches(path, watcher_type)
    };
    removed.map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(object(json!({ "watches_removed": path })))?;
    }
    Ok(())
}

/// The one-shot watches `watch` keeps armed on its path.
#[derive(Default)]
struct ArmedWatches {
    /// exists/data watch: creation, deletion and data changes.
    node: Option<WatchHandle>,
    /// children watch, only while the node exists.
    children: Option<WatchHandle>,
}

impl ArmedWatches {
    /// Re-arms whichever watch fired. Works with servers older than 3.6, which have
    /// no persistent watches; changes between an event and its re-arm are not seen.
    fn arm(&mut self, zk: &mut Client, path: &str) -> Result<(), Failure> {
        let mut exists = true;
        if self.node.is_none() {
            let (stat, watch) = zk.exists_watch(path).map_err(Failure::at(path))?;
            exists = stat.is_some();
            self.node = Some(watch);
        }
        if self.children.is_none() && exists {
            match zk.get_children_watch(path) {
                Ok((_, watch)) => self.children = Some(watch),
                Err(Error::NoNode { .. }) => {}
                Err(e) => return Err(Failure::at(path)(e)),
            }
        }
        Ok(())
    }

    /// Whether `event` is ours; forgets the watches it fired.
    fn take(&mut self, event: &WatchedEvent) -> bool {
        let mut ours = false;
        for slot in [&mut self.node, &mut self.children] {
            if slot.is_some_and(|watch| event.fired(watch)) {
                *slot = None;
                ours = true;
            }
        }
        ours
    }
}

pub fn watch(
    zk: &mut Client,
    path: &str,
    limits: &EventLimits,
    waiting: Waiting,
    out: &mut Output,
) -> Result<(), Failure> {
    if !waiting.waits_for(limits) {
        return Err(Failure::Usage(
            "in the shell, watch needs --count or --for (addWatch prints events as they arrive)"
                .into(),
        ));
    }
    let limits = Limits::starting_now(limits);
    skip_connect_events(zk, waiting)?;
    let mut armed = ArmedWatches::default();
    armed.arm(zk, path)?;
    let mut printed = 0;
    while !limits.reached(printed) {
        match next_event(zk, &limits)? {
            None => break,
            Some(Event::Watch(event)) => {
                if armed.take(&event) {
                    print_watch_event(out, &event)?;
                    printed += 1;
                    armed.arm(zk, path)?;
                }
            }
            Some(Event::Overflow { .. }) => {
                armed = ArmedWatches::default();
                armed.arm(zk, path)?;
            }
            Some(Event::Session { state, reason }) => {
                print_session_event(out, state, reason.as_ref())?
            }
        }
    }
    Ok(())
}
