//! The fault proxy, exercised with plain TCP against small echo backends.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use zk_tests::proxy::{self, Direction, Fault, FaultProxy, OnAccept, thread_prefix};
use zk_tests::shared_standalone;

mod raw_session;

use raw_session::RawSession;

const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Echoes every byte back on each connection; counts the connections it accepted and
/// the ones that ended with EOF, and keeps every byte it received.
struct EchoServer {
    address: SocketAddr,
    accepted: Arc<AtomicU64>,
    ended: Arc<AtomicU64>,
    received: Arc<Mutex<Vec<u8>>>,
    stopping: Arc<AtomicBool>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl EchoServer {
    fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicU64::new(0));
        let ended = Arc::new(AtomicU64::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (accepted, stopping) = (Arc::clone(&accepted), Arc::clone(&stopping));
            let (ended, received) = (Arc::clone(&ended), Arc::clone(&received));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::Relaxed);
                    let (ended, received) = (Arc::clone(&ended), Arc::clone(&received));
                    thread::spawn(move || {
                        let mut buf = [0; 4096];
                        loop {
                            match stream.read(&mut buf) {
                                Ok(0) => break ended.fetch_add(1, Ordering::Relaxed),
                                Ok(read) => {
                                    received.lock().unwrap().extend_from_slice(&buf[..read]);
                                    if stream.write_all(&buf[..read]).is_err() {
                                        break 0;
                                    }
                                }
                                Err(_) => break 0,
                            };
                        }
                    });
                }
            })
        };
        EchoServer {
            address,
            accepted,
            ended,
            received,
            stopping,
            acceptor: Some(acceptor),
        }
    }

    fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    fn ended(&self) -> u64 {
        self.ended.load(Ordering::Relaxed)
    }

    fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Release);
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn connect(proxy: &FaultProxy) -> TcpStream {
    let stream = TcpStream::connect(proxy.address()).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream
}

fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    stream.read_exact(&mut buf).unwrap();
    buf
}

fn round_trip(stream: &mut TcpStream, bytes: &[u8]) -> Duration {
    let started = Instant::now();
    stream.write_all(bytes).unwrap();
    assert_eq!(read_exactly(stream, bytes.len()), bytes);
    started.elapsed()
}

/// Waits, within a bound, until `condition` holds; for state that threads update.
fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

fn proxy_thread_count(port: u16) -> usize {
    let prefix = thread_prefix(port);
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(&prefix))
        .count()
}

#[test]
fn pass_forwards_both_ways_and_counts_bytes() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    round_trip(&mut client, b"hello");
    // Writers count after their write returns, which may be after the echo arrived.
    eventually("both writes are counted", || {
        proxy.stats(Direction::ToServer).bytes_written == 5
            && proxy.stats(Direction::ToClient).bytes_written == 5
    });
    let to_server = proxy.stats(Direction::ToServer);
    assert_eq!((to_server.bytes_read, to_server.bytes_written), (5, 5));
    assert_eq!(proxy.stats(Direction::ToClient).bytes_read, 5);
    assert_eq!(proxy.accepted(), 1);
    assert_eq!(echo.accepted(), 1);
}

#[test]
fn delay_is_added_per_direction() {
    let delay = Duration::from_millis(250);
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    assert!(round_trip(&mut client, b"warm") < delay);

    proxy.set_fault(Direction::ToServer, Fault::Delay(delay));
    let one_way = round_trip(&mut client, b"one");
    assert!(one_way >= delay && one_way < 2 * delay, "{one_way:?}");

    proxy.set_fault(Direction::ToClient, Fault::Delay(delay));
    let both_ways = round_trip(&mut client, b"two");
    assert!(both_ways >= 2 * delay, "{both_ways:?}");

    proxy.set_faults(Fault::Pass);
    assert!(round_trip(&mut client, b"back") < delay);
}

#[test]
fn blackhole_drops_bytes_and_keeps_the_connection_open() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    round_trip(&mut client, b"up");

    proxy.set_fault(Direction::ToServer, Fault::Blackhole);
    client.write_all(b"lost").unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let silent = client.read(&mut [0; 16]).unwrap_err();
    assert!(
        matches!(silent.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{silent}"
    );
    let to_server = proxy.stats(Direction::ToServer);
    assert_eq!((to_server.bytes_read, to_server.bytes_written), (6, 2));

    proxy.set_fault(Direction::ToServer, Fault::Pass);
    client.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    round_trip(&mut client, b"again");
}

#[test]
fn close_all_is_seen_as_eof() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    round_trip(&mut client, b"up");
    proxy.close_all();
    assert_eq!(client.read(&mut [0; 16]).unwrap(), 0);
}

#[test]
fn reset_all_is_seen_as_connection_reset() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    round_trip(&mut client, b"up");
    proxy.reset_all();
    let err = client.read(&mut [0; 16]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
}

#[test]
fn new_connections_can_be_closed_or_reset_on_accept() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();

    proxy.set_on_accept(OnAccept::Close);
    assert_eq!(connect(&proxy).read(&mut [0; 16]).unwrap(), 0);

    proxy.set_on_accept(OnAccept::Reset);
    // The reset may come before the read timeout is set: that call reports it then.
    let stream = TcpStream::connect(proxy.address()).unwrap();
    let err = stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .and_then(|()| (&stream).read(&mut [0; 16]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);

    assert_eq!(
        echo.accepted(),
        0,
        "refused connections never reach the backend"
    );
    proxy.set_on_accept(OnAccept::Forward);
    round_trip(&mut connect(&proxy), b"ok");
    assert_eq!(proxy.accepted(), 3);
}

#[test]
fn cut_after_n_bytes_towards_the_server() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    round_trip(&mut client, b"up");

    proxy.set_fault(Direction::ToServer, Fault::CutAfter(3));
    client.write_all(b"0123456789").unwrap();
    // The whole connection closes right after the third byte; some of the echo may
    // race back to the client before that.
    let mut received = Vec::new();
    client.read_to_end(&mut received).unwrap();
    assert!(b"012".starts_with(&received), "{received:?}");
    eventually("the backend sees EOF", || echo.ended() == 1);
    assert_eq!(echo.received(), b"up012");
    assert_eq!(proxy.stats(Direction::ToServer).bytes_written, 2 + 3);
}

#[test]
fn cut_after_n_bytes_towards_the_client() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    round_trip(&mut client, b"up");

    proxy.set_fault(Direction::ToClient, Fault::CutAfter(4));
    client.write_all(b"0123456789").unwrap();
    let mut received = Vec::new();
    client.read_to_end(&mut received).unwrap();
    assert_eq!(received, b"0123");
    eventually("the backend sees EOF", || echo.ended() == 1);
    assert_eq!(echo.received(), b"up0123456789");
}

#[test]
fn slice_delivers_the_same_bytes_in_many_reads() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    proxy.set_fault(Direction::ToClient, Fault::Slice);

    let sent: Vec<u8> = (0..40).collect();
    client.write_all(&sent).unwrap();
    let mut received = Vec::new();
    let mut reads = 0;
    while received.len() < sent.len() {
        let mut buf = [0; 64];
        let read = client.read(&mut buf).unwrap();
        assert!(read > 0, "EOF after {} bytes", received.len());
        received.extend_from_slice(&buf[..read]);
        reads += 1;
    }
    assert_eq!(received, sent);
    // About 40 expected; the bound leaves room for a busy machine coalescing some.
    assert!(reads >= 10, "40 bytes arrived in only {reads} reads");
}

#[test]
fn redirect_sends_new_connections_to_another_backend() {
    let first = EchoServer::start();
    let second = EchoServer::start();
    let proxy = FaultProxy::start(first.address).unwrap();
    let mut old = connect(&proxy);
    round_trip(&mut old, b"one");

    proxy.redirect(second.address);
    assert_eq!(proxy.backend(), second.address);
    let mut new = connect(&proxy);
    round_trip(&mut new, b"two");
    round_trip(&mut old, b"still");
    assert_eq!((first.accepted(), second.accepted()), (1, 1));
    let backends: Vec<SocketAddr> = proxy
        .connections()
        .iter()
        .map(|info| info.backend)
        .collect();
    assert_eq!(backends, [first.address, second.address]);
}

#[test]
fn frames_and_pings_are_counted_each_way() {
    fn frame(payload: &[u8]) -> Vec<u8> {
        [
            &u32::try_from(payload.len()).unwrap().to_be_bytes(),
            payload,
        ]
        .concat()
    }
    let ping = [(-2i32).to_be_bytes(), 11i32.to_be_bytes()].concat();
    let request = [5i32.to_be_bytes(), 4i32.to_be_bytes()].concat();
    // A connect request (protocol version 0 first, never a ping), two pings, a request.
    let stream = [frame(&[0; 45]), frame(&ping), frame(&request), frame(&ping)].concat();

    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut client = connect(&proxy);
    // Sliced towards the server, so the frame parser sees them a byte at a time.
    proxy.set_fault(Direction::ToServer, Fault::Slice);
    round_trip(&mut client, &stream);
    for direction in [Direction::ToServer, Direction::ToClient] {
        let stats = proxy.stats(direction);
        assert_eq!((stats.frames, stats.pings), (4, 2), "{direction:?}");
    }
    let info = &proxy.connections()[0];
    assert_eq!((info.to_server.frames, info.to_client.pings), (4, 2));
}

#[test]
fn connections_are_listed_and_closed_one_by_one() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let mut first = connect(&proxy);
    let mut second = connect(&proxy);
    round_trip(&mut first, b"1");
    round_trip(&mut second, b"2");
    let listed = proxy.connections();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].client, first.local_addr().unwrap());

    assert!(proxy.close(listed[0].id));
    assert_eq!(first.read(&mut [0; 4]).unwrap(), 0);
    round_trip(&mut second, b"alive");
    eventually("the closed connection is unlisted", || {
        proxy.connections().len() == 1
    });
    assert!(!proxy.close(listed[0].id));

    assert!(proxy.reset(listed[1].id));
    assert_eq!(
        second.read(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
}

#[test]
fn one_proxy_per_backend() {
    let echoes = [EchoServer::start(), EchoServer::start()];
    let proxies = FaultProxy::start_for_each(&[echoes[0].address, echoes[1].address]).unwrap();
    let connect_string = proxy::connect_string(&proxies);
    assert_eq!(
        connect_string,
        format!("{},{}", proxies[0].address(), proxies[1].address())
    );
    for (proxy, echo) in proxies.iter().zip(&echoes) {
        round_trip(&mut connect(proxy), b"hi");
        assert_eq!(echo.accepted(), 1);
    }
}

#[test]
fn dropping_the_proxy_closes_connections_and_joins_its_threads() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.address).unwrap();
    let port = proxy.address().port();
    let mut client = connect(&proxy);
    // A long delay in flight must not hold the drop up.
    proxy.set_fault(Direction::ToServer, Fault::Delay(Duration::from_secs(30)));
    client.write_all(b"pending").unwrap();
    eventually(
        "acceptor, connection, two readers and two writers run",
        || proxy_thread_count(port) == 6,
    );

    let started = Instant::now();
    drop(proxy);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        started.elapsed()
    );
    // A joined thread can stay listed in /proc for a moment while the kernel reaps it.
    eventually("no proxy thread is left", || proxy_thread_count(port) == 0);
    assert_eq!(client.read(&mut [0; 16]).unwrap(), 0);
    let refused = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn a_real_session_is_counted_in_frames_and_pings() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut session = RawSession::open(proxy.address());
    session.ping();
    session.watch_root();
    session.ping();
    for direction in [Direction::ToServer, Direction::ToClient] {
        let stats = proxy.stats(direction);
        // Connect request/response, two pings, one exists.
        assert_eq!((stats.frames, stats.pings), (4, 2), "{direction:?}");
    }
}
