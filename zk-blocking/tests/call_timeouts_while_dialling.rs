//! A call's time limit holds while the blocking client dials: a host that drops
//! connects, or a TLS port that never answers the handshake, holds a call no longer
//! than its timeout, and the dial goes on across calls, so the client connects once
//! the server answers. Only loopback: a port whose accept queue is full drops SYNs
//! the way a black-holed address does.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

#[path = "support/read_only.rs"]
mod read_only;
use zk_blocking::{Client, Error, Options, TlsConfig};
use zk_test_support::assert_matches;
use zk_tests::{ClientAuth, ServerCert, ServerOptions, TestPki, ZkServer};

const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// Long enough that a dial bounded only by the session (10 s with one host) shows.
const SESSION_TIMEOUT: Duration = Duration::from_secs(10);

/// What a call bounded by [`CALL_TIMEOUT`] may take at most, scheduling included.
const ON_TIME: Duration = Duration::from_millis(1800);

/// A 127.0.0.1 port that does not answer until told to, then forwards every
/// connection (those waiting included) to a server.
struct LateServer {
    listener: TcpListener,
    /// The connection that fills the accept queue of a port that drops connects.
    filler: Option<TcpStream>,
}

impl LateServer {
    /// Its connects stall: it listens with a backlog of 0 and one connection nobody
    /// accepts fills that, so the kernel drops every further SYN and the client
    /// retransmits, as to an address that never answers.
    fn dropping_connects() -> LateServer {
        let listener = listen(0);
        let filler = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        LateServer {
            listener,
            filler: Some(filler),
        }
    }

    /// Connects complete (the kernel takes them) but nothing is read or answered: to
    /// a TLS client, a handshake that gets no answer.
    fn silent_after_connect() -> LateServer {
        LateServer {
            listener: listen(16),
            filler: None,
        }
    }

    fn connect_string(&self) -> String {
        self.listener.local_addr().unwrap().to_string()
    }

    /// From now on every connection goes through to `server`.
    fn answer_as(mut self, server: SocketAddr) -> Forwarding {
        self.filler = None;
        let address = self.listener.local_addr().unwrap();
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let stopping = Arc::clone(&stopping);
            thread::spawn(move || {
                for client in self.listener.incoming() {
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    if let Ok(client) = client {
                        let _ = forward(client, server);
                    }
                }
            })
        };
        Forwarding {
            address,
            stopping,
            acceptor: Some(acceptor),
        }
    }
}

/// A listener on a free 127.0.0.1 port with this accept backlog.
fn listen(backlog: i32) -> TcpListener {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any_port.into()).unwrap();
    socket.listen(backlog).unwrap();
    socket.into()
}

/// Copies bytes both ways between `client` and a new connection to `server`, each way
/// in a thread of its own that ends with its connection.
fn forward(client: TcpStream, server: SocketAddr) -> io::Result<()> {
    let server = TcpStream::connect(server)?;
    let pipe = |mut from: TcpStream, mut to: TcpStream| {
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Both);
        })
    };
    pipe(client.try_clone()?, server.try_clone()?);
    pipe(server, client);
    Ok(())
}

/// A [`LateServer`] that answers; dropping it stops taking connections.
struct Forwarding {
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Release);
        // The acceptor sits in accept(); a connection of our own wakes it to see the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn options() -> Options {
    Options::new()
        .session_timeout(SESSION_TIMEOUT)
        .call_timeout(CALL_TIMEOUT)
}

fn trusting_the_ca() -> TlsConfig {
    TlsConfig::from_ca_file(TestPki::shared().ca()).unwrap()
}

/// Makes a call to `zk` (a read of "/") and asserts it timed out on time.
fn a_call_times_out_on_time(zk: &mut Client) {
    let started = Instant::now();
    let result = zk.get_data("/");
    let took = started.elapsed();
    assert_matches!(result, Err(Error::Timeout(_)));
    assert!(
        took >= CALL_TIMEOUT && took < ON_TIME,
        "a call with a {CALL_TIMEOUT:?} timeout took {took:?} while the client dialled"
    );
}

/// Makes calls with the short timeout until one succeeds, or panics after `within`.
fn calls_succeed_again_within(zk: &mut Client, within: Duration) {
    let started = Instant::now();
    loop {
        match zk.get_data("/") {
            Ok(_) => return,
            Err(Error::Timeout(_)) if started.elapsed() < within => {}
            Err(e) => panic!(
                "no call succeeded {:?} after the server answered: {e:?}",
                started.elapsed()
            ),
        }
    }
}

#[test]
fn a_call_returns_at_its_timeout_while_the_only_host_drops_connects() {
    let host = LateServer::dropping_connects();
    let mut zk = Client::start(&host.connect_string(), options()).unwrap();
    a_call_times_out_on_time(&mut zk);
    a_call_times_out_on_time(&mut zk);

    let started = Instant::now();
    let waited = zk.wait_until_connected(CALL_TIMEOUT);
    assert_matches!(waited, Err(Error::NoHosts { .. }));
    assert!(started.elapsed() < ON_TIME, "took {:?}", started.elapsed());

    let started = Instant::now();
    assert_matches!(zk.next_event(CALL_TIMEOUT), Ok(None));
    assert!(started.elapsed() < ON_TIME, "took {:?}", started.elapsed());
}

#[test]
fn a_tls_handshake_that_gets_no_answer_does_not_hold_a_call_past_its_timeout() {
    let host = LateServer::silent_after_connect();
    let options = options().tls(trusting_the_ca());
    let mut zk = Client::start(&host.connect_string(), options).unwrap();
    a_call_times_out_on_time(&mut zk);
    a_call_times_out_on_time(&mut zk);
}

#[test]
fn a_client_whose_calls_timed_out_while_dialling_connects_once_the_server_answers() {
    let host = LateServer::dropping_connects();
    let mut zk = Client::start(&host.connect_string(), options()).unwrap();
    a_call_times_out_on_time(&mut zk);
    a_call_times_out_on_time(&mut zk);

    let _forwarding = host.answer_as(zk_tests::shared_standalone().address());
    // The dial under way gets through at the client's next SYN (1 s, 3 s, 7 s after
    // it started): well within the session's 10 s for it.
    calls_succeed_again_within(&mut zk, SESSION_TIMEOUT);
    zk.get_data("/").unwrap();
    zk.close();
}

#[test]
fn a_tls_handshake_answered_after_calls_timed_out_completes_and_calls_succeed() {
    let options =
        ServerOptions::default().tls(TestPki::shared().server(ServerCert::Valid, ClientAuth::None));
    let server = ZkServer::start_standalone(&options).unwrap();
    let host = LateServer::silent_after_connect();
    let options = self::options().tls(trusting_the_ca());
    let mut zk = Client::start(&host.connect_string(), options).unwrap();
    a_call_times_out_on_time(&mut zk);
    a_call_times_out_on_time(&mut zk);

    let _forwarding = host.answer_as(server.secure_address().unwrap());
    calls_succeed_again_within(&mut zk, SESSION_TIMEOUT);
    zk.get_data("/").unwrap();
    zk.close();
}

#[test]
fn a_read_only_sessions_probe_of_a_host_that_drops_connects_does_not_hold_its_calls() {
    let (_ensemble, survivor) = read_only::read_only_member();
    // The session probes its other host for read-write at growing intervals (0.1 s,
    // 0.2 s, 0.4 s...): here one whose connects never complete.
    let stalled = LateServer::dropping_connects();
    let connect_string = format!("{survivor},{}", stalled.connect_string());
    let options = options()
        .read_only(true)
        .connect_timeout(Duration::from_secs(30));
    let mut zk = Client::connect(&connect_string, options).unwrap();

    let short = Duration::from_millis(200);
    let probing = Instant::now() + Duration::from_secs(4);
    while Instant::now() < probing {
        let started = Instant::now();
        let _ = zk.next_event(short);
        let took = started.elapsed();
        assert!(
            took < short * 3,
            "next_event({short:?}) took {took:?} while the session probed {stalled}",
            stalled = stalled.connect_string()
        );
    }
    zk.close();
}
