//! An `ExternalDriver` under tokio: the session's socket is watched with `AsyncFd`,
//! its deadline with `sleep_until`. Two sessions run concurrently on one thread.
//!
//! ```sh
//! cargo run -p zk-blocking --example tokio_asyncfd -- 127.0.0.1:2181   # your server
//! cargo run -p zk-blocking --example tokio_asyncfd                     # starts one
//! ```

use std::error::Error;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};
use zk_blocking::Version;

use tokio::io::unix::AsyncFd;
use zk_blocking::{
    ConnId, CreateMode, Event, EventType, ExternalDriver, ExternalEvent, Options, Request,
    RequestId, SessionState,
};

/// Registers a duplicate of the driver's socket with tokio. The `AsyncFd` owns the
/// duplicate, so the fd it registered stays open and means the same socket for the
/// registration's whole life, even after the driver drops its own copy: that is the
/// contract of tokio's (unsafe) `AsyncFd::register`. This workspace forbids `unsafe`,
/// so it uses the safe constructor that newer tokio deprecates for callers that cannot
/// promise this; an owned fd can.
fn register(fd: BorrowedFd<'_>) -> std::io::Result<AsyncFd<OwnedFd>> {
    #[allow(deprecated)]
    AsyncFd::new(fd.try_clone_to_owned()?)
}

/// Runs the driver, handing every event to `on_event`, until `on_event` returns true.
pub async fn drive(
    driver: &mut ExternalDriver,
    mut on_event: impl FnMut(&mut ExternalDriver, ExternalEvent) -> Result<bool, Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let mut socket: Option<(ConnId, AsyncFd<OwnedFd>)> = None;
    driver.process(false, false, Instant::now());
    loop {
        while let Some(event) = driver.poll_event() {
            if on_event(driver, event)? {
                return Ok(());
            }
        }
        // A new connection means a new socket: drop the old registration (and with it
        // the duplicate that kept the old connection open), register the new one.
        if socket.as_ref().map(|(id, _)| *id) != driver.conn_id() {
            socket = None;
            if let (Some(id), Some(fd)) = (driver.conn_id(), driver.as_fd()) {
                socket = Some((id, register(fd)?));
            }
        }
        let interest = driver.interest();
        let deadline = driver
            .deadline()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        let sleep = tokio::time::sleep_until(deadline.into());
        match &socket {
            Some((_, fd)) => tokio::select! {
                guard = fd.readable(), if interest.readable => {
                    let mut guard = guard?;
                    driver.process(true, false, Instant::now());
                    // The driver read until the socket would block.
                    guard.clear_ready();
                }
                guard = fd.writable(), if interest.writable => {
                    let mut guard = guard?;
                    driver.process(false, true, Instant::now());
                    if driver.interest().writable {
                        guard.clear_ready(); // it stopped at "would block"
                    }
                }
                _ = sleep => driver.process(false, false, Instant::now()),
            },
            None => {
                sleep.await;
                driver.process(false, false, Instant::now());
            }
        }
    }
}

/// One session: create an ephemeral node, watch it, change it, see the watch event
/// before the change's own reply, close. Returns the session id.
async fn session(connect_string: &str, name: &str) -> Result<i64, Box<dyn Error>> {
    let path = format!("/tokio-{}-{name}", std::process::id());
    let mut driver = ExternalDriver::new(connect_string, Options::default())?;
    let create = driver.submit(Request::create(&path, "0", CreateMode::Ephemeral))?;
    let watch = driver.submit(Request::get_data(&path, true))?;
    let mut set: Option<RequestId> = None;
    let mut handle = None;
    let mut saw_watch = false;
    drive(&mut driver, |d, event| {
        match event {
            ExternalEvent::Reply(reply) => {
                reply.result.map_err(|e| format!("{name}: {e}"))?;
                let id = reply.id;
                if id == watch {
                    handle = reply.watch;
                    set = Some(d.submit(Request::set_data(&path, "1", Version::Any))?);
                } else if Some(id) == set {
                    assert!(saw_watch, "the notification comes before the reply");
                    return Ok(true);
                } else {
                    assert_eq!(id, create);
                }
            }
            ExternalEvent::Event(Event::Watch(w)) => {
                assert_eq!(
                    (w.event_type, w.path.as_str()),
                    (EventType::NodeDataChanged, path.as_str())
                );
                assert!(
                    handle.is_some_and(|h| w.fired(h)),
                    "the event names the watch the getData reply handed out"
                );
                saw_watch = true;
            }
            ExternalEvent::Event(Event::Session(_) | Event::Overflow { .. }) => {}
        }
        Ok(false)
    })
    .await?;
    let id = driver.credentials().map_or(0, |c| c.session_id);
    driver.close();
    drive(&mut driver, |d, _| Ok(d.state() == SessionState::Closed)).await?;
    Ok(id)
}

/// Runs two sessions concurrently on a current-thread runtime; returns their ids.
pub fn run(connect_string: &str) -> Result<(i64, i64), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (a, b) = tokio::join!(session(connect_string, "a"), session(connect_string, "b"));
        Ok((a?, b?))
    })
}

#[allow(dead_code)] // The test suite includes this file and calls `run` directly.
fn main() -> Result<(), Box<dyn Error>> {
    let (connect_string, _server) = zk_tests::ZkServer::given_or_started(&Default::default())?;
    let (a, b) = run(&connect_string)?;
    println!("sessions {a:#x} and {b:#x}: watched, changed, closed under tokio");
    Ok(())
}
