//! One proxied connection: two sockets and, per direction, a reader and a writer thread.
//!
//! The reader timestamps each chunk it reads and queues it; the writer delivers it when
//! its delay has passed. Splitting the two keeps latency a delay of each byte rather than
//! a limit on throughput, and leaves the reader free to notice EOF or a reset at once.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use super::frames::FrameCounter;
use super::stats::Counters;
use super::{Direction, Fault, Shared};

/// The pause between the single-byte writes of [`Fault::Slice`], so that the receiver
/// sees them in separate reads rather than coalesced in its receive buffer.
const SLICE_GAP: Duration = Duration::from_millis(1);
/// How often a writer waiting out a delay checks whether the connection was closed.
const DELAY_STEP: Duration = Duration::from_millis(10);

const OPEN: u8 = 0;
const CLOSING: u8 = 1;
const RESETTING: u8 = 2;

/// Bytes read from one side, and when they may be written to the other.
struct Chunk {
    due: Instant,
    bytes: Vec<u8>,
}

/// A client connection and the backend connection made for it.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) id: u64,
    pub(crate) client_addr: SocketAddr,
    pub(crate) backend_addr: SocketAddr,
    /// Names this connection's threads: the proxy's thread prefix and the id.
    pub(crate) thread_prefix: String,
    client: TcpStream,
    server: TcpStream,
    ending: AtomicU8,
    /// Per direction, indexed by [`Direction::index`].
    pub(crate) counters: [Counters; 2],
}

impl Connection {
    pub(crate) fn new(id: u64, client: TcpStream, server: TcpStream) -> io::Result<Connection> {
        Ok(Connection {
            id,
            thread_prefix: super::thread_prefix(client.local_addr()?.port()),
            client_addr: client.peer_addr()?,
            backend_addr: server.peer_addr()?,
            client,
            server,
            ending: AtomicU8::new(OPEN),
            counters: Default::default(),
        })
    }

    fn is_open(&self) -> bool {
        self.ending.load(Ordering::Acquire) == OPEN
    }

    /// Ends both sides with FIN; both peers read EOF after any bytes already written.
    pub(crate) fn close(&self) {
        if self
            .ending
            .compare_exchange(OPEN, CLOSING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            for socket in [&self.client, &self.server] {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }

    /// Ends both sides with RST: with SO_LINGER 0 the close that follows when the threads
    /// let go of the sockets discards unsent data and sends a reset. Shutting down only
    /// the read side wakes the threads without sending a FIN first.
    pub(crate) fn reset(&self) {
        if self
            .ending
            .compare_exchange(OPEN, RESETTING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            for socket in [&self.client, &self.server] {
                let _ = socket2::SockRef::from(socket).set_linger(Some(Duration::ZERO));
                let _ = socket.shutdown(Shutdown::Read);
            }
        }
    }

    fn source(&self, direction: Direction) -> &TcpStream {
        match direction {
            Direction::ToServer => &self.client,
            Direction::ToClient => &self.server,
        }
    }

    fn destination(&self, direction: Direction) -> &TcpStream {
        match direction {
            Direction::ToServer => &self.server,
            Direction::ToClient => &self.client,
        }
    }
}

/// Forwards both directions until the connection ends, then unregisters it; the sockets
/// close when the last reference goes.
pub(crate) fn run(shared: &Shared, connection: &Connection) {
    thread::scope(|scope| {
        for (direction, tag) in [(Direction::ToServer, 's'), (Direction::ToClient, 'c')] {
            let (chunks, queue) = channel();
            let name = |role| format!("{}{}{role}{tag}", connection.thread_prefix, connection.id);
            // Without threads to forward, the connection cannot work at all: end it.
            let reader = thread::Builder::new()
                .name(name('r'))
                .spawn_scoped(scope, move || {
                    read_side(shared, connection, direction, chunks)
                });
            let writer = thread::Builder::new()
                .name(name('w'))
                .spawn_scoped(scope, move || {
                    write_side(shared, connection, direction, queue)
                });
            if reader.is_err() || writer.is_err() {
                connection.reset();
            }
        }
    });
    shared.unregister(connection.id);
}

fn read_side(
    shared: &Shared,
    connection: &Connection,
    direction: Direction,
    chunks: Sender<Chunk>,
) {
    let mut source = connection.source(direction);
    let mut frames = FrameCounter::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                // A peer's reset is passed on as a reset, so the other peer sees what a
                // direct connection would have shown it.
                if err.kind() == io::ErrorKind::ConnectionReset {
                    connection.reset();
                } else {
                    connection.close();
                }
                break;
            }
        };
        let seen = frames.feed(&buf[..read]);
        connection.counters[direction.index()].add_read(read, &seen);
        shared.counters[direction.index()].add_read(read, &seen);
        let delay = match shared.fault(direction).0 {
            Fault::Blackhole => continue,
            Fault::Delay(delay) => delay,
            Fault::Pass | Fault::Slice | Fault::CutAfter(_) => Duration::ZERO,
        };
        let chunk = Chunk {
            due: Instant::now() + delay,
            bytes: buf[..read].to_vec(),
        };
        if chunks.send(chunk).is_err() {
            break;
        }
    }
}

fn write_side(
    shared: &Shared,
    connection: &Connection,
    direction: Direction,
    queue: Receiver<Chunk>,
) {
    let mut destination = connection.destination(direction);
    // (generation of the CutAfter fault, bytes it still lets through)
    let mut cut_budget: Option<(u64, u64)> = None;
    for chunk in queue {
        while connection.is_open() {
            let left = chunk.due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            thread::sleep(left.min(DELAY_STEP));
        }
        if !connection.is_open() {
            return;
        }
        let (fault, generation) = shared.fault(direction);
        let mut bytes = chunk.bytes.as_slice();
        let mut cut_now = false;
        if let Fault::CutAfter(limit) = fault {
            let budget = match cut_budget {
                Some((seen, budget)) if seen == generation => budget,
                _ => limit,
            };
            let allowed = bytes
                .len()
                .min(usize::try_from(budget).unwrap_or(usize::MAX));
            bytes = &bytes[..allowed];
            cut_budget = Some((generation, budget - allowed as u64));
            cut_now = budget == allowed as u64;
        }
        let written = if fault == Fault::Slice {
            bytes.iter().try_for_each(|byte| {
                destination.write_all(std::slice::from_ref(byte))?;
                connection.counters[direction.index()].add_written(1);
                shared.counters[direction.index()].add_written(1);
                thread::sleep(SLICE_GAP);
                Ok(())
            })
        } else {
            destination.write_all(bytes).map(|()| {
                connection.counters[direction.index()].add_written(bytes.len());
                shared.counters[direction.index()].add_written(bytes.len());
            })
        };
        match written {
            Err(err) if err.kind() == io::ErrorKind::ConnectionReset => return connection.reset(),
            Err(_) => return connection.close(),
            Ok(()) if cut_now => return connection.close(),
            Ok(()) => {}
        }
    }
    // The source sent FIN and everything before it has been delivered: pass the half
    // close on, as a direct connection would.
    if connection.is_open() {
        let _ = destination.shutdown(Shutdown::Write);
    }
}
