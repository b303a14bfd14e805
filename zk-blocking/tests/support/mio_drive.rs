//! A minimal loop for one [`ExternalDriver`] over mio (edge-triggered, as the driver
//! expects), for tests that need to drive one by hand.

use std::error::Error;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use zk_blocking::{ExternalDriver, ExternalEvent, SocketId};

/// How long [`drive`] waits for what its caller wants.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Runs the driver, handing every event to `on_event`, until `on_event` returns true;
/// fails after [`PATIENCE`].
pub fn drive(
    driver: &mut ExternalDriver,
    mut on_event: impl FnMut(&mut ExternalDriver, ExternalEvent) -> Result<bool, Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut registered: Option<SocketId> = None;
    let give_up = Instant::now() + PATIENCE;
    driver.process(false, false, Instant::now());
    loop {
        if Instant::now() > give_up {
            return Err(format!("nothing wanted came within {PATIENCE:?}").into());
        }
        while let Some(event) = driver.poll_event() {
            if on_event(driver, event)? {
                return Ok(());
            }
        }
        // A new connection, or a dial moving on to a host's next address, means a new
        // socket (the old one is closed, and with it its registration): register it.
        if driver.socket_id() != registered {
            registered = driver.socket_id();
            if let Some(fd) = driver.as_raw_fd() {
                poll.registry().register(
                    &mut SourceFd(&fd),
                    Token(0),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
            }
        }
        let timeout = driver.deadline().map_or(Duration::from_secs(1), |d| {
            d.saturating_duration_since(Instant::now())
        });
        poll.poll(&mut events, Some(timeout))?;
        let ready = !events.is_empty();
        driver.process(ready, ready, Instant::now());
    }
}
