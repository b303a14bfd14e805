//! Several ZooKeeper sessions in one mio event loop, each an `ExternalDriver`.
//!
//! Every session creates an ephemeral node, watches its neighbour's node, then changes
//! its own; each must see its neighbour's change. Then all close.
//!
//! ```sh
//! cargo run -p zk-blocking --example mio_sessions -- 127.0.0.1:2181   # your server
//! cargo run -p zk-blocking --example mio_sessions                     # starts one
//! ```

use std::error::Error;
use std::time::{Duration, Instant};
use zk_blocking::Version;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use zk_blocking::{
    CreateMode, Event, EventType, ExternalDriver, ExternalEvent, Options, Request, SessionState,
    SocketId,
};

/// Where the whole group is; each phase waits for every session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Creating the nodes.
    Creating,
    /// Setting the watches (every watch must be set before any node changes).
    Watching,
    /// Changing the nodes and waiting for the neighbours' events.
    Changing,
    /// Closing.
    Closing,
}

/// Runs `count` sessions against `connect_string` in one mio loop; returns the session
/// ids once every session saw its neighbour's change and closed.
pub fn run(connect_string: &str, count: usize) -> Result<Vec<i64>, Box<dyn Error>> {
    let tag = std::process::id();
    let node = |i: usize| format!("/mio-{tag}-{i}");
    let mut drivers = (0..count)
        .map(|_| ExternalDriver::new(connect_string, Options::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut phase = Phase::Creating;
    let mut replies = vec![0usize; count]; // successful replies per session
    let mut saw_neighbour = vec![false; count];
    let mut closed = vec![false; count];
    let mut registered: Vec<Option<SocketId>> = vec![None; count];
    let mut session_ids = vec![0; count];
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(64);
    let give_up = Instant::now() + Duration::from_secs(30);

    // Queue the creates; they go out once each session is connected.
    for (i, d) in drivers.iter_mut().enumerate() {
        d.submit(Request::create(node(i), "0", CreateMode::Ephemeral))?;
        d.process(false, false, Instant::now());
    }

    while closed.iter().any(|c| !c) {
        // The socket changes when a session (re)connects, or its dial moves on to a
        // host's next address: register the new one.
        for (i, d) in drivers.iter().enumerate() {
            if d.socket_id() != registered[i] {
                registered[i] = d.socket_id();
                if let Some(fd) = d.as_raw_fd() {
                    poll.registry().register(
                        &mut SourceFd(&fd),
                        Token(i),
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                }
            }
        }
        let now = Instant::now();
        if now > give_up {
            return Err(
                format!("stuck in {phase:?}: replies {replies:?}, saw {saw_neighbour:?}").into(),
            );
        }
        let next = drivers.iter().filter_map(ExternalDriver::deadline).min();
        let timeout = next
            .map_or(give_up, |d| d.min(give_up))
            .saturating_duration_since(now);
        poll.poll(&mut events, Some(timeout))?;

        let now = Instant::now();
        let mut ready = vec![false; count];
        for event in events.iter() {
            ready[event.token().0] = true;
        }
        for (i, d) in drivers.iter_mut().enumerate() {
            // Edge-triggered: the driver reads and writes until the socket would block.
            d.process(ready[i], ready[i], now);
        }

        // Application logic, per session, driven by its events.
        for i in 0..count {
            while let Some(event) = drivers[i].poll_event() {
                match event {
                    ExternalEvent::Reply(reply) => {
                        reply.result.map_err(|e| format!("session {i}: {e}"))?;
                        replies[i] += 1;
                    }
                    ExternalEvent::Event(Event::Watch(w))
                        if w.event_type == EventType::NodeDataChanged =>
                    {
                        assert_eq!(w.path, node((i + 1) % count));
                        saw_neighbour[i] = true;
                    }
                    ExternalEvent::Event(Event::Watch(_) | Event::Overflow { .. }) => {}
                    ExternalEvent::Event(Event::Session { .. }) => {
                        closed[i] = drivers[i].state() == SessionState::Closed;
                    }
                }
            }
        }
        let all_replied = |n: usize| replies.iter().all(|r| *r == n);
        if phase == Phase::Creating && all_replied(1) {
            for (i, d) in drivers.iter_mut().enumerate() {
                d.submit(Request::get_data(node((i + 1) % count), true))?;
            }
            phase = Phase::Watching;
        } else if phase == Phase::Watching && all_replied(2) {
            for (i, d) in drivers.iter_mut().enumerate() {
                d.submit(Request::set_data(node(i), "1", Version::Any))?;
            }
            phase = Phase::Changing;
        } else if phase == Phase::Changing && all_replied(3) && saw_neighbour.iter().all(|s| *s) {
            for (i, d) in drivers.iter_mut().enumerate() {
                session_ids[i] = d.credentials().map_or(0, |c| c.session_id);
                d.close();
            }
            phase = Phase::Closing;
        }
    }
    Ok(session_ids)
}
#[allow(dead_code)] // The test suite includes this file and calls `run` directly.
fn main() -> Result<(), Box<dyn Error>> {
    let (connect_string, _server) = zk_tests::ZkServer::given_or_started(&Default::default())?;
    let ids = run(&connect_string, 4)?;
    for id in ids {
        println!("session {id:#x}: saw its neighbour's change, closed");
    }
    Ok(())
}
