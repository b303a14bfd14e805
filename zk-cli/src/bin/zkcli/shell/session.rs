//! The shell's current session, shared by the command loop, the completer and the
//! event printer. `zk_blocking::Client` runs its session only while called, so the
//! printer's thread keeps calling `next_event` whenever no command holds the client:
//! that keeps an idle session alive and prints watch events as they arrive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use zk_blocking::Client;

use crate::failure::Failure;
use crate::watching::event_line;

/// How long the printer holds the client per call: also the longest a command or a
/// completion waits to get it.
const PUMP_SLICE: Duration = Duration::from_millis(100);
/// The printer's pause between calls, so that the command loop gets the lock.
const PUMP_PAUSE: Duration = Duration::from_millis(10);

/// Where the event printer writes a line.
pub trait EventSink: Send {
    fn print(&mut self, line: String);
}

/// The client of the current session, if connected.
#[derive(Clone, Default)]
pub struct SessionSlot(Arc<Mutex<Option<Client>>>);

impl SessionSlot {
    pub fn lock(&self) -> MutexGuard<'_, Option<Client>> {
        // A panic while holding the lock is a bug already reported; the client
        // itself stays usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `client` in (or nothing), closing the session it replaces.
    pub fn replace(&self, client: Option<Client>) {
        let old = std::mem::replace(&mut *self.lock(), client);
        if let Some(mut old) = old {
            old.close();
        }
    }
}

/// `printwatches`: whether the printer prints the events it takes (it takes them
/// either way, to keep the session running).
#[derive(Clone)]
pub struct PrintSwitch(Arc<AtomicBool>);

impl PrintSwitch {
    pub fn on() -> PrintSwitch {
        PrintSwitch(Arc::new(AtomicBool::new(true)))
    }

    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The thread that pumps the current session and prints its events.
pub struct EventPrinter {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    slot: SessionSlot,
    sink: SharedSink,
    json: bool,
    printing: PrintSwitch,
}

/// The sink, shared by the printer's thread and [`EventPrinter::drain`].
type SharedSink = Arc<Mutex<Box<dyn EventSink>>>;

impl EventPrinter {
    pub fn start(
        slot: SessionSlot,
        sink: Box<dyn EventSink>,
        json: bool,
        printing: PrintSwitch,
    ) -> EventPrinter {
        let stop = Arc::new(AtomicBool::new(false));
        let sink: SharedSink = Arc::new(Mutex::new(sink));
        let thread = {
            let (stopping, slot, sink, printing) =
                (stop.clone(), slot.clone(), sink.clone(), printing.clone());
            thread::spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    deliver(pump_once(&slot, json, PUMP_SLICE), &sink, &printing, json);
                    thread::sleep(PUMP_PAUSE);
                }
            })
        };
        EventPrinter {
            stop,
            thread: Some(thread),
            slot,
            sink,
            json,
            printing,
        }
    }

    /// Prints the events the session holds already: those a command brought (its
    /// own change firing a watch) come right after its output, before the next
    /// command runs or the shell ends, rather than whenever the thread gets the
    /// client (a script runs its next command at once, and its end closes the
    /// session).
    pub fn drain(&self) {
        loop {
            match pump_once(&self.slot, self.json, Duration::ZERO) {
                Pumped::Nothing => return,
                pumped => deliver(pumped, &self.sink, &self.printing, self.json),
            }
        }
    }
}

/// Prints what a pump brought, if printing is on; a session's end always.
fn deliver(pumped: Pumped, sink: &SharedSink, printing: &PrintSwitch, json: bool) {
    match pumped {
        Pumped::Nothing | Pumped::Skipped => {}
        Pumped::Line(line) if printing.is_on() => sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .print(line),
        Pumped::Line(_) => {}
        // On stderr like every failure; `connect` starts a new session.
        Pumped::Ended(failure) => failure.report(json),
    }
}

/// What one slice of pumping brought.
enum Pumped {
    Nothing,
    /// An event not worth a line.
    Skipped,
    Line(String),
    /// The session is over; it has been taken out of the slot.
    Ended(Failure),
}

/// One slice of waiting for an event of the current session.
fn pump_once(slot: &SessionSlot, json: bool, slice: Duration) -> Pumped {
    let mut current = slot.lock();
    let Some(zk) = current.as_mut() else {
        return Pumped::Nothing;
    };
    match zk.next_event(slice) {
        Ok(Some(event)) => event_line(&event, json).map_or(Pumped::Skipped, Pumped::Line),
        Ok(None) => Pumped::Nothing,
        Err(error) => {
            *current = None;
            Pumped::Ended(Failure::from_error(error, None))
        }
    }
}

impl Drop for EventPrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread only prints; a panic in it has been reported on stderr.
            let _ = thread.join();
        }
    }
}
