//! Scenarios: many pipelined requests, and xids wrapping past `i32::MAX`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use common::{PATIENCE, connect, options, queued_events, states};
use zk_blocking::{CreateMode, Error, Request, Response};
use zk_session::{Config, ConnId, DisconnectCause, Event, Session, Transport};
use zk_tests::proxy::{Direction, Fault, FaultProxy};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn ten_thousand_pipelined_requests_complete_in_submit_order() {
    const N: usize = 10_000;
    // The Client does not show xids: the proxy counts the frames each way, and the
    // completions must come back in the order the requests were submitted.
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    zk.create("/pipelined", "data", CreateMode::Persistent)
        .unwrap();
    let frames = |d| {
        let s = proxy.stats(d);
        s.frames - s.pings
    };
    let (sent, received) = (frames(Direction::ToServer), frames(Direction::ToClient));

    let ids: Vec<_> = (0..N)
        .map(|i| {
            let request = if i % 2 == 0 {
                Request::get_data("/pipelined", false)
            } else {
                Request::exists(format!("/pipelined-missing-{i}"), false)
            };
            zk.submit(request).unwrap()
        })
        .collect();
    assert_eq!(zk.outstanding(), N);
    let deadline = Instant::now() + PATIENCE * 3;
    let mut completed = Vec::with_capacity(N);
    while completed.len() < N {
        assert!(Instant::now() < deadline, "{} of {N} done", completed.len());
        if let Some(c) = zk.wait_any(Duration::from_secs(1)).unwrap() {
            let i = completed.len();
            match (&c.result, i % 2) {
                (Ok(Response::GetData { data, .. }), 0) => assert_eq!(data, "data"),
                (Ok(Response::Exists(None)), 1) => {}
                (other, _) => panic!("completion {i}: {other:?}"),
            }
            completed.push(c.id);
        }
    }
    assert_eq!(completed, ids, "completions in submit order");
    assert!(completed.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(frames(Direction::ToServer), sent + N as u64);
    assert_eq!(frames(Direction::ToClient), received + N as u64);
    assert_eq!(proxy.accepted(), 1);
    assert!(queued_events(&mut zk).is_empty());
    zk.close();
}

/// The smallest driver of a raw [`Session`] over a blocking socket that records every
/// byte it writes. Used where the Client hides what is needed (the xid counter).
struct RawDriver {
    session: Session,
    link: Option<(ConnId, TcpStream)>,
    written: Vec<u8>,
    events: Vec<Event>,
}

impl RawDriver {
    fn step(&mut self) {
        let now = Instant::now();
        self.session.handle_timeout(now);
        while let Some(t) = self.session.poll_transport(now) {
            match t {
                Transport::Connect {
                    conn,
                    host,
                    timeout,
                } => {
                    let address: SocketAddr = (host.host.as_str(), host.port)
                        .to_socket_addrs()
                        .unwrap()
                        .next()
                        .unwrap();
                    let stream = TcpStream::connect_timeout(&address, timeout).unwrap();
                    stream.set_nodelay(true).unwrap();
                    self.link = Some((conn, stream));
                    self.session.handle_connected(conn, Instant::now());
                }
                Transport::Close { .. } => self.link = None,
                Transport::ProbeReadWrite { .. } => {}
            }
        }
        if let Some((conn, stream)) = &mut self.link {
            let out = self.session.send_buf().to_vec();
            stream.write_all(&out).unwrap();
            self.written.extend_from_slice(&out);
            self.session.advance_send(*conn, out.len(), Instant::now());
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push(e);
        }
        let Some((conn, stream)) = &mut self.link else {
            return;
        };
        let wait = self
            .session
            .poll_timeout()
            .map_or(Duration::from_millis(100), |d| {
                d.saturating_duration_since(Instant::now())
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        stream.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 64 * 1024];
        match stream.read(&mut buf) {
            Ok(0) => {
                let conn = *conn;
                self.link = None;
                self.session
                    .handle_disconnected(conn, DisconnectCause::Eof, Instant::now());
            }
            Ok(n) => self.session.handle_bytes(*conn, &buf[..n], Instant::now()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read: {e}"),
        }
    }

    /// The xids of the ordinary requests written (the handshake, pings and auth left
    /// out), in wire order.
    fn written_xids(&self) -> Vec<i32> {
        let mut xids = Vec::new();
        let mut rest = &self.written[..];
        let mut first = true;
        while rest.len() >= 4 {
            let len = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let frame = &rest[4..4 + len];
            if !first {
                let xid = i32::from_be_bytes(frame[..4].try_into().unwrap());
                if xid > 0 {
                    xids.push(xid);
                }
            }
            first = false;
            rest = &rest[4 + len..];
        }
        xids
    }
}

#[test]
fn xids_wrap_from_just_below_i32_max_back_to_one() {
    // The Client has no way to start its xids near i32::MAX; the session's testing
    // hook does, so a raw session is driven against the real server here.
    let mut config = Config::new(shared_standalone().connect_string());
    config.session_timeout = TIMEOUT;
    let mut session = Session::new(config, Instant::now()).unwrap();
    session.testing_set_next_xid(i32::MAX - 3);
    let ids: Vec<_> = (0..8)
        .map(|i| {
            let request = if i == 4 {
                Request::create("/xid-wrap", "", CreateMode::Ephemeral)
            } else {
                Request::exists("/", false)
            };
            session.submit(request, Instant::now()).unwrap()
        })
        .collect();
    let mut driver = RawDriver {
        session,
        link: None,
        written: Vec::new(),
        events: Vec::new(),
    };
    let deadline = Instant::now() + PATIENCE;
    let replies = |d: &RawDriver| {
        d.events
            .iter()
            .filter(|e| matches!(e, Event::Reply { .. }))
            .count()
    };
    while replies(&driver) < ids.len() {
        assert!(
            Instant::now() < deadline,
            "events so far: {:?}",
            driver.events
        );
        driver.step();
    }
    assert_eq!(
        driver.written_xids(),
        [i32::MAX - 3, i32::MAX - 2, i32::MAX - 1, 1, 2, 3, 4, 5],
        "never i32::MAX, never negative"
    );
    let replies: Vec<_> = driver
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Reply { id, result, .. } => Some((*id, result.clone())),
            _ => None,
        })
        .collect();
    for (i, (id, result)) in replies.iter().enumerate() {
        assert_eq!(*id, ids[i], "in order");
        let ok = match i {
            4 => matches!(result, Ok(Response::Create { path, .. }) if path == "/xid-wrap"),
            _ => matches!(result, Ok(Response::Exists(Some(_)))),
        };
        assert!(ok, "reply {i}: {result:?}");
    }
    // The session is intact after the wrap: one more round trip, then a clean close.
    let more = driver
        .session
        .submit(Request::exists("/xid-wrap", false), Instant::now())
        .unwrap();
    while !driver
        .events
        .iter()
        .any(|e| matches!(e, Event::Reply { id, .. } if *id == more))
    {
        assert!(Instant::now() < deadline);
        driver.step();
    }
    assert_eq!(driver.written_xids().last(), Some(&6));
    driver.session.close(Instant::now());
    while !driver.session.state().is_terminal() {
        assert!(Instant::now() < deadline);
        driver.step();
    }
    assert_eq!(driver.session.state(), zk_blocking::SessionState::Closed);
}

#[test]
fn a_cut_in_a_long_pipeline_fails_each_written_request_once_and_keeps_submit_order() {
    const N: usize = 10_000;
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let session = zk.session_id();
    // An exists of a missing node is answered with a 20-byte frame: let 500 through.
    proxy.set_fault(Direction::ToClient, Fault::CutAfter(500 * 20));
    let ids: Vec<_> = (0..N)
        .map(|_| {
            zk.submit(Request::exists("/cut-pipeline-none", false))
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + PATIENCE * 3;
    let mut completed = Vec::with_capacity(N);
    let mut lost = 0;
    while completed.len() < N {
        assert!(Instant::now() < deadline, "{} of {N} done", completed.len());
        let Some(c) = zk.wait_any(Duration::from_secs(1)).unwrap() else {
            continue;
        };
        match c.result {
            Ok(Response::Exists(None)) => {}
            Err(Error::ConnectionLoss) => {
                lost += 1;
                proxy.set_fault(Direction::ToClient, Fault::Pass);
            }
            other => panic!("request {}: {other:?}", c.id),
        }
        completed.push(c.id);
    }
    // Replies, then the written-but-unanswered ones failing (through the proxy every
    // request is soon written: it reads without back-pressure), in submit order, each
    // exactly once.
    assert_eq!(completed, ids);
    assert!(lost > 0, "the cut lost nothing");
    assert_eq!(zk.outstanding(), 0);
    assert_eq!(zk.session_id(), session);
    assert!(zk.exists("/").unwrap().is_some());
    let events = queued_events(&mut zk);
    assert!(
        states(&events).last() == Some(&zk_blocking::KeeperState::SyncConnected),
        "{events:?}"
    );
    zk.close();
}
