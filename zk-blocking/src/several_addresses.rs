//! Scenarios against a real server reached through a host name with several
//! addresses, the first of which takes long to refuse: the dial moves on to the next
//! address, on a new socket, within the same connection of the session, after the
//! driver went back to waiting. (A unit test module: only this crate's tests can make
//! a name resolve to several addresses.)

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use zk_session::SessionState;

use crate::link::fake_dns;
use crate::{ExternalDriver, Options, SharedClient};

/// A loopback address whose connects hang (its listener's backlog is full) until
/// [`SlowRefusal::refuse`], after which they fail at the next SYN retransmit (about
/// 1 s): a first address that refuses late, as a remote host's does.
struct SlowRefusal {
    listener: TcpListener,
    fillers: Vec<std::net::TcpStream>,
}

impl SlowRefusal {
    fn new() -> SlowRefusal {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&any.into()).expect("a free port");
        socket.listen(0).expect("listening");
        let listener: TcpListener = socket.into();
        let addr = listener.local_addr().unwrap();
        // One connection fills the backlog: later SYNs go unanswered.
        let fillers = vec![TcpStream::connect(addr).expect("the filler")];
        SlowRefusal { listener, fillers }
    }

    fn addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap()
    }

    /// Connects pending on the address fail at their next retransmit.
    fn refuse(self) {
        drop(self.fillers);
        drop(self.listener);
    }
}

/// `name` resolves to `first`, then to the shared test server; a connect string for it.
fn host_then_server(name: &str, first: SocketAddr) -> String {
    let server = zk_tests::shared_standalone().address();
    fake_dns::set(name, vec![first, server]);
    format!("{name}:2181")
}

fn options() -> Options {
    Options::new()
        .session_timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(20))
}

/// How long the move to the second address may take once the first refused.
const PROMPTLY: Duration = Duration::from_secs(4);

#[test]
fn a_shared_client_whose_first_address_refuses_late_connects_through_the_second() {
    let first = SlowRefusal::new();
    let hosts = host_then_server("late-refusal-shared.test", first.addr());
    let zk = SharedClient::start(&hosts, options()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(zk.state(), SessionState::Connecting, "the first dial hangs");
    first.refuse();
    zk.wait_until_connected(PROMPTLY)
        .expect("connected through the host's second address soon after the first refused");
    zk.get_children("/").expect("a call on the new session");
    zk.close();
}

#[test]
fn an_external_loop_that_registers_each_new_socket_connects_when_the_first_address_refuses_late() {
    let first = SlowRefusal::new();
    let hosts = host_then_server("late-refusal-external.test", first.addr());
    let mut zk = ExternalDriver::new(&hosts, options()).unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut registered = None;
    let mut first = Some(first);
    let started = Instant::now();
    let mut refused_at = None;
    zk.process(false, false, Instant::now());
    while zk.state() != SessionState::Connected {
        if first.is_some() && started.elapsed() > Duration::from_millis(300) {
            first.take().unwrap().refuse();
            refused_at = Some(Instant::now());
        }
        if let Some(at) = refused_at {
            assert!(
                at.elapsed() < PROMPTLY,
                "not connected {:?} after the first address refused",
                at.elapsed()
            );
        }
        // The loop as the crate docs write it: register the socket whenever it changes.
        if zk.socket_id() != registered {
            registered = zk.socket_id();
            if let Some(fd) = zk.as_raw_fd() {
                let both = Interest::READABLE | Interest::WRITABLE;
                poll.registry()
                    .register(&mut SourceFd(&fd), Token(0), both)
                    .unwrap();
            }
        }
        let timeout = zk
            .deadline()
            .map_or(Duration::from_millis(100), |at| {
                at.saturating_duration_since(Instant::now())
            })
            .min(Duration::from_millis(100));
        poll.poll(&mut events, Some(timeout)).unwrap();
        zk.process(!events.is_empty(), !events.is_empty(), Instant::now());
    }
}

/// Connect timeout of each dial in the scenarios whose first address never answers:
/// the session timeout, with one host.
const DIAL: Duration = Duration::from_secs(2);

fn blackholed_first(name: &str) -> (SlowRefusal, String) {
    // Its connects hang for as long as it lives.
    let first = SlowRefusal::new();
    let hosts = host_then_server(name, first.addr());
    (first, hosts)
}

fn dial_options() -> Options {
    Options::new()
        .session_timeout(DIAL)
        .connect_timeout(DIAL * 4)
}

#[test]
fn a_shared_client_whose_first_address_never_answers_connects_through_the_second() {
    let (_first, hosts) = blackholed_first("blackholed-first-shared.test");
    SharedClient::connect(&hosts, dial_options())
        .expect("connected through the second address once a dial of the first timed out")
        .close();
}

#[test]
fn a_blocking_client_whose_first_address_never_answers_connects_through_the_second() {
    let (_first, hosts) = blackholed_first("blackholed-first-blocking.test");
    crate::Client::connect(&hosts, dial_options())
        .expect("connected through the second address once a dial of the first timed out")
        .close();
}
