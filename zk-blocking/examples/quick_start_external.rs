//! The README's quick start: the external driver in an event loop of your own (mio).

use mio::{Events, Interest, Poll, Token, unix::SourceFd};
use std::time::Instant;
use zk_blocking::{ExternalDriver, ExternalEvent, Options, Request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hosts = std::env::args().nth(1);
    let mut zk = ExternalDriver::new(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
    let (mut poll, mut events, mut registered) = (Poll::new()?, Events::with_capacity(8), None);
    zk.submit(Request::get_children("/", false))?; // written once connected
    zk.process(false, false, Instant::now()); // dials
    while !zk.state().is_terminal() {
        // Each (re)connect, or a dial's next address, brings a new socket: register it.
        if zk.socket_id() != registered {
            registered = zk.socket_id();
            if let Some(fd) = zk.as_raw_fd() {
                let both = Interest::READABLE | Interest::WRITABLE;
                poll.registry()
                    .register(&mut SourceFd(&fd), Token(0), both)?;
            }
        }
        let timeout = zk
            .deadline()
            .map(|at| at.saturating_duration_since(Instant::now()));
        poll.poll(&mut events, timeout)?;
        zk.process(!events.is_empty(), !events.is_empty(), Instant::now());
        while let Some(event) = zk.poll_event() {
            if let ExternalEvent::Reply(reply) = event {
                println!("{:?}", reply.result?);
                zk.close(); // the loop runs on until the session is over
            }
        }
    }
    Ok(())
}
