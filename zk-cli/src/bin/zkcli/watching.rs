//! Commands that wait for events: `get -w`, `addWatch` and `watch`. Events are
//! printed one per line as they arrive, until `--count N` events or `--for SECONDS`.

use std::time::{Duration, Instant};

use zk_blocking::{
    AddWatchMode, Client, Error, Event, EventType, KeeperState, WatchHandle, WatchedEvent,
};

use crate::args::CommandLine;
use crate::failure::Failure;
use crate::json::JsonObject;
use crate::output::Output;
use crate::text_format;

/// How long a command keeps watching; unlimited when neither flag is given.
pub struct Limits {
    count: Option<u64>,
    until: Option<Instant>,
}

impl Limits {
    pub fn from_line(line: &CommandLine) -> Result<Limits, Failure> {
        let count = line.number::<u64>("--count").map_err(Failure::Usage)?;
        let seconds = line.number::<f64>("--for").map_err(Failure::Usage)?;
        let until = match seconds {
            Some(s) if (0.0..1e9).contains(&s) => Some(Instant::now() + Duration::from_secs_f64(s)),
            Some(_) => {
                let text = line.value("--for").unwrap_or_default();
                return Err(Failure::Usage(format!(
                    "bad --for {text:?}: seconds, 0 up to 1e9"
                )));
            }
            None => None,
        };
        Ok(Limits { count, until })
    }

    fn reached(&self, printed: u64) -> bool {
        self.count.is_some_and(|n| printed >= n)
    }
}

/// Drops the session events queued while connecting (zkcli only starts once
/// connected, so "SyncConnected" would be noise). Call it before setting a watch, so
/// that no watch event can be among them.
pub fn skip_connect_events(zk: &mut Client) -> Result<(), Failure> {
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

/// The next event, or `None` once the time limit passed. Waits in short slices so
/// that the session keeps being pumped (the client has no background thread).
fn next_event(zk: &mut Client, limits: &Limits) -> Result<Option<Event>, Failure> {
    loop {
        let slice = match limits.until {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(Duration::from_secs(1)),
                _ => return Ok(None),
            },
            None => Duration::from_secs(1),
        };
        match zk.next_event(slice) {
            Ok(Some(event)) => return Ok(Some(event)),
            Ok(None) => {}
            Err(e) => return Err(Failure::from_error(e, None)),
        }
    }
}

fn print_watch_event(out: &mut Output, event: &WatchedEvent) -> Result<(), Failure> {
    if out.is_json() {
        out.object(
            JsonObject::new()
                .string("event", &event.event_type.to_string())
                .string("state", &KeeperState::SyncConnected.to_string())
                .string("path", &event.path)
                .number("zxid", event.zxid),
        )?;
    } else {
        out.line(&text_format::event(
            KeeperState::SyncConnected,
            event.event_type,
            Some(&event.path),
        ))?;
    }
    Ok(())
}

/// Session changes are shown (they explain gaps) but not counted as events.
fn print_session_event(out: &mut Output, state: KeeperState) -> Result<(), Failure> {
    if out.is_json() {
        out.object(
            JsonObject::new()
                .string("event", &EventType::None.to_string())
                .string("state", &state.to_string())
                .raw("path", "null"),
        )?;
    } else {
        out.line(&text_format::event(state, EventType::None, None))?;
    }
    Ok(())
}

/// `get -w`: waits for the one event of `watch`.
pub fn await_one(
    zk: &mut Client,
    watch: WatchHandle,
    limits: &Limits,
    out: &mut Output,
) -> Result<(), Failure> {
    while let Some(event) = next_event(zk, limits)? {
        match event {
            Event::Watch(event) if event.fired(watch) => return print_watch_event(out, &event),
            // zkcli reads every event as it comes, so its queue never overflows.
            Event::Watch(_) | Event::Overflow { .. } => {}
            Event::Session(state) => print_session_event(out, state)?,
        }
    }
    Ok(())
}

fn add_watch_mode(name: Option<&str>) -> Result<AddWatchMode, Failure> {
    match name.map(str::to_ascii_lowercase).as_deref() {
        None | Some("persistent_recursive") => Ok(AddWatchMode::PersistentRecursive),
        Some("persistent") => Ok(AddWatchMode::Persistent),
        Some(other) => Err(Failure::Usage(format!(
            "addWatch: unknown mode {other:?}: persistent or persistent_recursive"
        ))),
    }
}

pub fn add_watch(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Result<(), Failure> {
    let path = line.positional.first().map_or("", String::as_str);
    let mode = add_watch_mode(line.value("-m"))?;
    let limits = Limits::from_line(line)?;
    skip_connect_events(zk)?;
    let watch = zk.add_watch(path, mode).map_err(Failure::at(path))?;
    let mut printed = 0;
    while !limits.reached(printed) {
        match next_event(zk, &limits)? {
            None => break,
            Some(Event::Watch(event)) if event.fired(watch) => {
                print_watch_event(out, &event)?;
                printed += 1;
            }
            Some(Event::Watch(_) | Event::Overflow { .. }) => {}
            Some(Event::Session(state)) => print_session_event(out, state)?,
        }
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

pub fn watch(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Result<(), Failure> {
    let path = line.positional.first().map_or("", String::as_str);
    let limits = Limits::from_line(line)?;
    skip_connect_events(zk)?;
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
            Some(Event::Session(state)) => print_session_event(out, state)?,
        }
    }
    Ok(())
}
