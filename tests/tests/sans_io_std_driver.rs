//! The session's documented run loop (zk-session's crate docs, "The run loop"), written
//! over nothing but a `std` non-blocking `TcpStream`: no poller, no sleeping (the
//! loop waits in socket timeouts set from the session's deadlines), against a real
//! server. The socket's send buffer is made small, so that writes come back short and
//! would-block, as they do for any driver sooner or later.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use zk_session::{
    Config, ConnId, CreateMode, DisconnectCause, Event, EventType, HostAddr, Request, RequestId,
    Response, Session, SessionState, Transport, Version,
};

/// How long a scenario waits for what it wants.
const PATIENCE: Duration = Duration::from_secs(30);

/// A minimal driver: the session and the socket of its current connection.
struct StdDriver {
    session: Session,
    socket: Option<(ConnId, TcpStream)>,
    /// Writes that came back short or would block, to show the loop met them.
    short_writes: usize,
}

fn dial(host: &HostAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    let addr = (host.host.as_str(), host.port).to_socket_addrs()?.next();
    let addr = addr.ok_or_else(|| std::io::Error::other("no address"))?;
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_nodelay(true)?;
    // A small send buffer: large requests take several writes, some would block.
    socket2::SockRef::from(&stream).set_send_buffer_size(4096)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

impl StdDriver {
    fn new(connect_string: &str) -> StdDriver {
        let mut config = Config::new(connect_string);
        config.session_timeout = Duration::from_secs(10);
        StdDriver {
            session: Session::new(config, Instant::now()).unwrap(),
            socket: None,
            short_writes: 0,
        }
    }

    fn lost(&mut self, conn: ConnId, cause: DisconnectCause) {
        self.socket = None;
        self.session
            .handle_disconnected(conn, cause, Instant::now());
    }

    /// Steps 1 and 2 of the run loop: connection actions, then bytes to write, until
    /// the socket would block. Returns whether bytes are left to write.
    fn act_and_write(&mut self) -> bool {
        while let Some(action) = self.session.poll_transport(Instant::now()) {
            match action {
                Transport::Connect {
                    conn,
                    host,
                    timeout,
                } => match dial(&host, timeout) {
                    Ok(stream) => {
                        self.socket = Some((conn, stream));
                        self.session.handle_connected(conn, Instant::now());
                    }
                    Err(_) => {
                        let failed = DisconnectCause::ConnectFailed;
                        self.session
                            .handle_disconnected(conn, failed, Instant::now());
                    }
                },
                Transport::Close { conn, .. } => {
                    if self.socket.as_ref().is_some_and(|(c, _)| *c == conn) {
                        self.socket = None;
                    }
                }
                Transport::ProbeReadWrite { host } => {
                    self.session
                        .handle_probe_result(&host, false, Instant::now())
                }
            }
        }
        let Some((conn, stream)) = self.socket.as_mut() else {
            return false;
        };
        let conn = *conn;
        while !self.session.send_buf().is_empty() {
            let want = self.session.send_buf().len();
            match stream.write(self.session.send_buf()) {
                Ok(n) => {
                    if n < want {
                        self.short_writes += 1;
                    }
                    self.session.advance_send(conn, n, Instant::now());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.short_writes += 1;
                    return true;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.lost(conn, DisconnectCause::Io);
                    return false;
                }
            }
        }
        false
    }

    /// Step 4: waits for the socket (readable, or writable while bytes are left) or
    /// the session's next deadline, whichever comes first, and feeds back what
    /// happened; then runs what is due.
    fn wait_and_feed(&mut self, write_pending: bool) {
        let deadline = self.session.poll_timeout();
        let wait = deadline.map(|at| {
            // std refuses a zero timeout: wait 1 ms at least.
            at.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        if let Some((conn, stream)) = self.socket.as_mut() {
            let conn = *conn;
            // Blocking with a timeout is std's only way to wait on one socket.
            stream.set_nonblocking(false).unwrap();
            let outcome = if write_pending {
                stream.set_write_timeout(wait).unwrap();
                match stream.write(self.session.send_buf()) {
                    Ok(n) => {
                        self.session.advance_send(conn, n, Instant::now());
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            } else {
                stream.set_read_timeout(wait).unwrap();
                let space = self.session.recv_buf(conn).expect("the current connection");
                match stream.read(space) {
                    Ok(0) => Err(ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        self.session.handle_received(conn, n, Instant::now());
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            };
            if let Some((_, stream)) = self.socket.as_mut() {
                stream.set_nonblocking(true).unwrap();
            }
            match outcome {
                Ok(()) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                    self.lost(conn, DisconnectCause::Eof)
                }
                Err(_) => self.lost(conn, DisconnectCause::Io),
            }
        } else if let Some(wait) = wait {
            // No socket: the session waits to redial (its backoff).
            std::thread::sleep(wait);
        }
        self.session.handle_timeout(Instant::now());
    }

    /// Runs the loop until `wanted` accepts an event (returned), or fails after
    /// [`PATIENCE`].
    fn until(&mut self, mut wanted: impl FnMut(&Event) -> bool) -> Event {
        let give_up = Instant::now() + PATIENCE;
        loop {
            assert!(
                Instant::now() < give_up,
                "nothing wanted within {PATIENCE:?}"
            );
            let write_pending = self.act_and_write();
            // 3. events
            while let Some(event) = self.session.poll_event() {
                if wanted(&event) {
                    return event;
                }
            }
            self.wait_and_feed(write_pending);
        }
    }

    fn call(&mut self, request: Request) -> Response {
        let id = self.session.submit(request, Instant::now()).unwrap();
        match self.until(|e| matches!(e, Event::Reply { id: got, .. } if *got == id)) {
            Event::Reply { result, .. } => result.unwrap(),
            _ => unreachable!(),
        }
    }
}

fn unique_path(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("/{what}-{}-{nanos}", std::process::id())
}

#[test]
fn the_documented_run_loop_over_a_std_socket_connects_creates_reads_watches_and_closes() {
    let server = zk_tests::shared_standalone();
    let mut driver = StdDriver::new(&server.connect_string());
    let path = unique_path("std-driver");

    // Large enough to take many writes through a 4 KiB send buffer.
    let data = vec![b'x'; 256 * 1024];
    let created = driver.call(Request::create(&path, data.clone(), CreateMode::Ephemeral));
    assert!(matches!(created, Response::Create { path: ref p, .. } if *p == path));
    assert!(
        driver.short_writes > 0,
        "the socket took the request in parts"
    );

    let watch: RequestId = driver
        .session
        .submit(Request::get_data(&path, true), Instant::now())
        .unwrap();
    match driver.until(|e| matches!(e, Event::Reply { id, .. } if *id == watch)) {
        Event::Reply {
            result: Ok(Response::GetData { data: got, .. }),
            registration: Some(_),
            ..
        } => assert_eq!(got, data),
        other => panic!("getData with a watch answered {other:?}"),
    }

    // The change's notification comes before setData's reply, in wire order.
    let set = driver
        .session
        .submit(
            Request::set_data(&path, "small", Version::Any),
            Instant::now(),
        )
        .unwrap();
    let mut seen = Vec::new();
    driver.until(|e| {
        match e {
            Event::Watch(w) => seen.push((w.event_type, w.path.clone())),
            Event::Reply { id, .. } if *id == set => seen.push((EventType::None, String::new())),
            _ => {}
        }
        matches!(e, Event::Reply { id, .. } if *id == set)
    });
    assert_eq!(
        seen,
        [
            (EventType::NodeDataChanged, path.clone()),
            (EventType::None, String::new())
        ]
    );

    driver.session.close(Instant::now());
    driver.until(|e| matches!(e, Event::State { .. }) && driver_closed(e));
    assert_eq!(driver.session.state(), SessionState::Closed);
    // Closed: the session asks to close the socket, and sets no deadline.
    assert!(!driver.act_and_write());
    assert!(driver.socket.is_none(), "the socket was closed");
    assert_eq!(driver.session.poll_timeout(), None);
}

fn driver_closed(event: &Event) -> bool {
    matches!(
        event,
        Event::State {
            state: zk_session::KeeperState::Closed,
            ..
        }
    )
}
