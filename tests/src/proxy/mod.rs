//! A TCP fault proxy for loopback tests: put it between a client and a server and change,
//! while connections are live, what it does to their bytes.
//!
//! ```no_run
//! # use std::time::Duration;
//! # use zk_tests::proxy::{Direction, Fault, FaultProxy};
//! let server = zk_tests::shared_standalone();
//! let proxy = FaultProxy::start(server.address()).unwrap();
//! // ... connect a client to proxy.connect_string() ...
//! proxy.set_fault(Direction::ToClient, Fault::Delay(Duration::from_millis(300)));
//! proxy.set_faults(Fault::Blackhole);
//! proxy.reset_all();
//! assert!(proxy.stats(Direction::ToServer).pings > 0);
//! ```
//!
//! Each accepted connection gets its own backend connection and four threads (a reader
//! and a writer per direction); dropping the proxy closes every connection and joins
//! every thread.

mod connection;
mod frames;
mod stats;

use std::collections::BTreeMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use connection::Connection;
use stats::Counters;
pub use stats::TrafficStats;

/// How long the proxy waits for a backend to accept a connection.
const BACKEND_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One way through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server: requests, pings, the ConnectRequest.
    ToServer,
    /// Server to client: replies, watch events, the ConnectResponse.
    ToClient,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// What the proxy does to the bytes going one way. Applies to live connections at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward unchanged.
    Pass,
    /// Forward each chunk this long after it was read (latency, not a throughput limit).
    Delay(Duration),
    /// Read and drop; the connection stays open and the sender notices nothing.
    Blackhole,
    /// Forward in 1-byte writes about a millisecond apart, so the receiver gets them in
    /// many small reads.
    Slice,
    /// Forward exactly this many more bytes, then close the whole connection with FIN.
    /// Each connection counts for itself, from when it first sees the fault; with 0 it is
    /// closed when the next byte would have been forwarded.
    CutAfter(u64),
}

/// What happens to newly accepted connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnAccept {
    /// Connect to the backend and forward, subject to the faults.
    Forward,
    /// Accept and close at once with FIN: the client reads EOF.
    Close,
    /// Accept and close at once with RST: the client sees a connection reset.
    Reset,
}

/// A snapshot of one live connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Identifies the connection to [`FaultProxy::close`] and [`FaultProxy::reset`].
    pub id: u64,
    /// The client's address (its side of the connection to the proxy).
    pub client: SocketAddr,
    /// The backend this connection was forwarded to.
    pub backend: SocketAddr,
    /// Traffic from the client.
    pub to_server: TrafficStats,
    /// Traffic from the backend.
    pub to_client: TrafficStats,
}

/// State shared by the proxy handle, its acceptor and its connections.
#[derive(Debug)]
struct Shared {
    backend: Mutex<SocketAddr>,
    /// Per direction: the fault and a generation that changes with every `set_fault`.
    faults: Mutex<[(Fault, u64); 2]>,
    on_accept: Mutex<OnAccept>,
    connections: Mutex<BTreeMap<u64, Arc<Connection>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    counters: [Counters; 2],
    accepted: AtomicU64,
    stopping: AtomicBool,
}

impl Shared {
    fn fault(&self, direction: Direction) -> (Fault, u64) {
        lock(&self.faults)[direction.index()]
    }

    fn unregister(&self, id: u64) {
        lock(&self.connections).remove(&id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A proxy listening on one 127.0.0.1 port and forwarding to one backend.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on a free 127.0.0.1 port and forwards every connection to `backend`,
    /// passing bytes unchanged until told otherwise.
    pub fn start(backend: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            backend: Mutex::new(backend),
            faults: Mutex::new([(Fault::Pass, 0); 2]),
            on_accept: Mutex::new(OnAccept::Forward),
            connections: Mutex::new(BTreeMap::new()),
            threads: Mutex::new(Vec::new()),
            counters: Default::default(),
            accepted: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("{}acc", thread_prefix(address.port())))
                .spawn(move || accept_loop(&listener, &shared))?
        };
        Ok(FaultProxy {
            address,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// One proxy per backend, in the same order; e.g. one per ensemble member.
    pub fn start_for_each(backends: &[SocketAddr]) -> io::Result<Vec<FaultProxy>> {
        backends
            .iter()
            .map(|backend| FaultProxy::start(*backend))
            .collect()
    }

    /// The address clients connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `127.0.0.1:<port>` of the proxy, for a client's connect string.
    pub fn connect_string(&self) -> String {
        self.address.to_string()
    }

    /// Where new connections are forwarded.
    pub fn backend(&self) -> SocketAddr {
        *lock(&self.shared.backend)
    }

    /// Forwards new connections to `backend`; live ones keep theirs.
    pub fn redirect(&self, backend: SocketAddr) {
        *lock(&self.shared.backend) = backend;
    }

    /// Sets the fault for one direction, on live and new connections.
    pub fn set_fault(&self, direction: Direction, fault: Fault) {
        let mut faults = lock(&self.shared.faults);
        let (_, generation) = faults[direction.index()];
        faults[direction.index()] = (fault, generation + 1);
    }

    /// Sets the same fault for both directions.
    pub fn set_faults(&self, fault: Fault) {
        self.set_fault(Direction::ToServer, fault);
        self.set_fault(Direction::ToClient, fault);
    }

    /// The fault currently applied to one direction.
    pub fn fault(&self, direction: Direction) -> Fault {
        self.shared.fault(direction).0
    }

    /// Decides what happens to connections accepted from now on.
    pub fn set_on_accept(&self, policy: OnAccept) {
        *lock(&self.shared.on_accept) = policy;
    }

    /// The live connections.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        lock(&self.shared.connections)
            .values()
            .map(|connection| ConnectionInfo {
                id: connection.id,
                client: connection.client_addr,
                backend: connection.backend_addr,
                to_server: connection.counters[Direction::ToServer.index()].snapshot(),
                to_client: connection.counters[Direction::ToClient.index()].snapshot(),
            })
            .collect()
    }

    /// Closes one connection with FIN on both sides; `false` if it is already gone.
    pub fn close(&self, id: u64) -> bool {
        self.with_connection(id, |connection| connection.close())
    }

    /// Resets one connection with RST on both sides; `false` if it is already gone.
    pub fn reset(&self, id: u64) -> bool {
        self.with_connection(id, |connection| connection.reset())
    }

    /// Closes every live connection with FIN on both sides.
    pub fn close_all(&self) {
        self.live().iter().for_each(|connection| connection.close());
    }

    /// Resets every live connection with RST on both sides.
    pub fn reset_all(&self) {
        self.live().iter().for_each(|connection| connection.reset());
    }

    /// Traffic one way, summed over every connection since the proxy started.
    pub fn stats(&self, direction: Direction) -> TrafficStats {
        self.shared.counters[direction.index()].snapshot()
    }

    /// How many connections the proxy has accepted, whatever it did with them.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    fn live(&self) -> Vec<Arc<Connection>> {
        lock(&self.shared.connections).values().cloned().collect()
    }

    fn with_connection(&self, id: u64, action: impl FnOnce(&Connection)) -> bool {
        let connection = lock(&self.shared.connections).get(&id).cloned();
        connection.map(|connection| action(&connection)).is_some()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        // The acceptor sits in accept(); a connection of our own wakes it to see the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.close_all();
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut next_id = 0;
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::Acquire) {
            break;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::Relaxed);
        let policy = *lock(&shared.on_accept);
        match policy {
            OnAccept::Close => {
                let _ = client.shutdown(Shutdown::Both);
            }
            OnAccept::Reset => reset_now(&client),
            OnAccept::Forward => {
                next_id += 1;
                forward(shared, client, next_id);
            }
        }
    }
}

/// Connects `client` to the backend and starts its threads; a backend that cannot be
/// reached gets the client a reset, the nearest thing to the refusal it would have seen.
fn forward(shared: &Arc<Shared>, client: TcpStream, id: u64) {
    let backend = *lock(&shared.backend);
    let Ok(server) = TcpStream::connect_timeout(&backend, BACKEND_CONNECT_TIMEOUT) else {
        return reset_now(&client);
    };
    // Faults such as slicing rely on each write leaving at once.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let Ok(connection) = Connection::new(id, client, server).map(Arc::new) else {
        return;
    };
    lock(&shared.connections).insert(id, Arc::clone(&connection));
    let thread_shared = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name(format!("{}{id}", connection.thread_prefix))
        .spawn(move || connection::run(&thread_shared, &connection));
    let mut threads = lock(&shared.threads);
    threads.retain(|thread| !thread.is_finished());
    match spawned {
        Ok(thread) => threads.push(thread),
        Err(_) => shared.unregister(id),
    }
}

/// The start of the name of every thread of the proxy listening on `port`, so that a test
/// can look for them in `/proc/self/task/*/comm` (which keeps 15 bytes of a name).
pub fn thread_prefix(port: u16) -> String {
    format!("zkp{port}-")
}

fn reset_now(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

/// `addr1,addr2,...` of several proxies, e.g. from [`FaultProxy::start_for_each`].
pub fn connect_string(proxies: &[FaultProxy]) -> String {
    let addresses: Vec<String> = proxies.iter().map(FaultProxy::connect_string).collect();
    addresses.join(",")
}
