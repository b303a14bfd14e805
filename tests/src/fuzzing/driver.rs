//! The driver shared by the `session` and `session_server` targets: runs a
//! [`Session`] the way the crate docs tell a driver to (drain transports, events and the
//! send buffer after every input) on a virtual clock, and checks the invariants after
//! every step.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use zk_proto::{
    Acl, ConnectRequest, CreateMode, CreateRequest, CreateTtlRequest, Decode, DeleteRequest,
    Encode, FrameDecoder, GetChildrenRequest, GetDataRequest, KeeperState, MultiOp, SetDataRequest,
    xid,
};
use zk_session::{
    CloseReason, Config, ConnId, DisconnectCause, Event, HostAddr, Request, RequestError,
    RequestId, Session, SessionCredentials, SessionState, SubmitError, Transport, Version,
    WatcherType,
};

use super::input::Input;

/// `SEND_HIGH_WATER` of zk-session: user requests stop moving to the send buffer there.
const SEND_HIGH_WATER: usize = 64 * 1024;
/// The most `recv_buf` may hand out at once (zk-session's `RECV_MAX`): reads are bounded
/// whatever length a frame claims.
const RECV_MAX: usize = 1024 * 1024;

/// Paths requests use: valid, chroot-looking, special and invalid ones.
pub(crate) const PATHS: &[&str] = &[
    "/",
    "/a",
    "/a/b",
    "/app",
    "/app/x",
    "/zookeeper/config",
    "/zookeeper",
    "/a/",
    "",
    "a",
    "/a//b",
    "/a/./b",
    "/\u{e9}",
];

/// Session timeouts a config can ask for, in ms.
pub(crate) const SESSION_TIMEOUTS: &[u64] = &[1, 50, 4_000, 30_000, 40_000];

/// The connect strings a config can use.
pub(crate) const CONNECT_STRINGS: &[&str] = &[
    "h1:2181",
    "h1:2181,h2:2181,h3:2181",
    "h1:2181/app",
    "h1:2181,h2:2181/app/x",
    "h1:2181,,",
    "h1:99999",
];

/// Builds the config from the first 3 input bytes: flags, session timeout (its two
/// high bits: the SASL mechanism, see `sasl_mechanism::from_bits`), connect string
/// (see `Output::config` in `seeds` for the writer).
///
/// Flags: bit 0 read-only allowed, bit 1 client-side expiry, bit 2 a 2 s request
/// timeout, bit 3 resume a session, bit 4 a 64-byte maximum frame, bit 5 a 1 KiB one,
/// bit 6 the seed, bit 7 server bytes go in through `recv_buf`/`handle_received` and
/// `recv_buffer`/`handle_appended` (alternately) instead of `handle_bytes` (the second
/// value returned).
pub(crate) fn config(input: &mut Input) -> Option<(Config, bool)> {
    let flags = input.u8()?;
    let timeout_and_sasl = input.u8()?;
    let timeout = SESSION_TIMEOUTS[usize::from(timeout_and_sasl & 0x3f) % SESSION_TIMEOUTS.len()];
    let connect = input.pick(CONNECT_STRINGS)?;
    let mut c = Config::new(connect);
    c.read_only = flags & 1 != 0;
    c.client_side_expiry = flags & 2 != 0;
    c.request_timeout = (flags & 4 != 0).then(|| Duration::from_secs(2));
    c.resume = (flags & 8 != 0).then(|| SessionCredentials {
        session_id: 0x5e55,
        password: vec![7; 16],
    });
    c.max_frame_size = match flags & 0x30 {
        0x10 => 64,
        0x20 => 1024,
        0x30 => 63,
        _ => c.max_frame_size,
    };
    c.session_timeout = Duration::from_millis(timeout);
    c.reconnect_backoff = Duration::from_millis(10);
    c.max_reconnect_backoff = Duration::from_millis(1000);
    c.close_timeout = Duration::from_millis(500);
    c.seed = u64::from((flags >> 6) & 1);
    c.sasl = super::sasl_mechanism::from_bits(timeout_and_sasl >> 6);
    Some((c, flags & 0x80 != 0))
}

/// A frame the client wrote, decoded.
#[derive(Debug, Clone)]
pub(crate) enum ClientFrame {
    Connect(ConnectRequest),
    Request {
        xid: i32,
        request: zk_proto::WireRequest,
    },
}

/// What the client wrote on the current connection, decoded and checked.
#[derive(Debug)]
struct ClientWire {
    decoder: FrameDecoder,
    handshaken: bool,
    last_xid: i32,
}

impl ClientWire {
    fn new() -> Self {
        ClientWire {
            decoder: FrameDecoder::with_max_frame_len(1 << 26),
            handshaken: false,
            last_xid: 0,
        }
    }

    /// Every byte the client writes must form well-formed, canonical frames: the
    /// ConnectRequest first, then requests whose ordinary xids increase; no frame above
    /// the maximum frame size, except auth packets (which the session does not size).
    fn feed(&mut self, bytes: &[u8], max_frame: usize) -> Vec<ClientFrame> {
        self.decoder.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            let frame = match self.decoder.decode() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => panic!("client wrote a bad frame length: {e}"),
            };
            if !self.handshaken {
                self.handshaken = true;
                let c = ConnectRequest::decode_bytes(frame.clone())
                    .unwrap_or_else(|e| panic!("client's first frame is no ConnectRequest: {e}"));
                assert_eq!(c.to_vec(), frame, "client ConnectRequest not canonical");
                out.push(ClientFrame::Connect(c));
                continue;
            }
            let (h, request) = zk_proto::WireRequest::decode_frame(frame.clone())
                .unwrap_or_else(|e| panic!("client wrote an undecodable request: {e}"));
            let mut again = bytes::BytesMut::new();
            request.encode_frame(h.xid, &mut again);
            assert_eq!(&again[4..], &frame[..], "client request not canonical");
            assert!(
                frame.len() <= max_frame,
                "client wrote a {} byte {:?} frame, above max_frame_size {max_frame}",
                frame.len(),
                request.op_code()
            );
            match h.xid {
                xid::PING => assert_eq!(request, zk_proto::WireRequest::Ping, "xid -2"),
                xid::AUTH => assert!(matches!(request, zk_proto::WireRequest::Auth(_)), "xid -4"),
                x if x > 0 => {
                    assert!(x > self.last_xid, "xid {x} after {}", self.last_xid);
                    self.last_xid = x;
                }
                x => panic!("client used xid {x} for {request:?}"),
            }
            out.push(ClientFrame::Request {
                xid: h.xid,
                request,
            });
        }
        out
    }
}

/// A session under test, its virtual clock, and what the checks remember.
pub(crate) struct Driver {
    pub(crate) s: Session,
    pub(crate) now: Instant,
    start: Instant,
    pub(crate) max_frame: usize,
    /// The state as last observed (through events and `state()`).
    state: SessionState,
    /// A terminal state was observed.
    pub(crate) ended: bool,
    submitted: BTreeSet<RequestId>,
    completed: BTreeSet<RequestId>,
    /// Requests given up while open: the session's count of outstanding requests may
    /// then hold more than the open ones (written ones until their answer, and the
    /// session's own deletes).
    given_up: BTreeSet<RequestId>,
    /// Requests whose reply was lost (ConnectionLoss, RequestTimeout): a sequential
    /// create among them, given up with its node once its reply came, is looked for.
    lost: BTreeSet<RequestId>,
    /// Ids returned by `submit`, for watch-removal requests.
    pub(crate) ids: Vec<RequestId>,
    /// The connection the session asked for and has not closed (nor been told closed).
    pub(crate) live: Option<ConnId>,
    /// `handle_connected` was called for `live`.
    pub(crate) connected: bool,
    last_conn: Option<ConnId>,
    /// Connections that are over (for stale input).
    pub(crate) stale: Vec<ConnId>,
    wire: ClientWire,
    /// Hosts the session asked to probe.
    pub(crate) probes: Vec<HostAddr>,
    /// Bytes of every auth frame added (all are re-sent on each connection).
    auth_bytes: usize,
    /// Bound on SetWatches bytes: a share per request that may leave a watch.
    watch_bytes: usize,
    /// What `close` added to the send buffer: the requests queued before it, which go
    /// out ahead of closeSession whatever the high-water mark.
    close_bytes: usize,
    /// Events of the current step.
    pub(crate) events: Vec<Event>,
    /// Close reasons of the current step.
    pub(crate) closes: Vec<CloseReason>,
    /// A new connection was asked for in the current step.
    pub(crate) new_conn: bool,
    /// When recording a `session` input: deliveries are appended as raw server bytes.
    pub(crate) record: Option<Vec<u8>>,
    /// Deliver server bytes through `recv_buf` + `handle_received`.
    pub(crate) use_recv_buf: bool,
    /// Reads so far through `recv_buf` / `recv_buffer` (they alternate).
    reads: u64,
}

impl Driver {
    pub(crate) fn new(config: Config) -> Option<Driver> {
        let start = Instant::now();
        let max_frame = config.max_frame_size;
        let s = Session::new(config, start).ok()?;
        let mut d = Driver {
            state: s.state(),
            s,
            now: start,
            start,
            max_frame,
            ended: false,
            submitted: BTreeSet::new(),
            completed: BTreeSet::new(),
            given_up: BTreeSet::new(),
            lost: BTreeSet::new(),
            ids: Vec::new(),
            live: None,
            connected: false,
            last_conn: None,
            stale: Vec::new(),
            wire: ClientWire::new(),
            probes: Vec::new(),
            auth_bytes: 0,
            close_bytes: 0,
            watch_bytes: 0,
            events: Vec::new(),
            closes: Vec::new(),
            new_conn: false,
            record: None,
            use_recv_buf: false,
            reads: 0,
        };
        assert_eq!(
            d.state,
            SessionState::Connecting,
            "a new session is connecting"
        );
        d.pump();
        Some(d)
    }

    fn at(&self) -> Duration {
        self.now - self.start
    }

    /// With `ZK_FUZZ_TRACE` set, prints what the step did (for reading a reproducer).
    pub(crate) fn trace(&self, step: &str) {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if *ON.get_or_init(|| std::env::var_os("ZK_FUZZ_TRACE").is_some()) {
            eprintln!(
                "[{:?}] {step}: state {:?}, conn {:?}, events {:?}, closes {:?}",
                self.at(),
                self.s.state(),
                self.live,
                self.events,
                self.closes
            );
        }
    }

    /// Starts a step: forgets the previous step's events.
    pub(crate) fn begin(&mut self) {
        self.events.clear();
        self.closes.clear();
        self.new_conn = false;
    }

    fn retire(&mut self) {
        if let Some(c) = self.live.take() {
            self.stale.push(c);
            if self.stale.len() > 4 {
                self.stale.remove(0);
            }
        }
        self.connected = false;
    }

    /// Drains every output and checks the invariants.
    pub(crate) fn pump(&mut self) {
        for _ in 0..10_000 {
            let Some(t) = self.s.poll_transport(self.now) else {
                break;
            };
            match t {
                Transport::Connect { conn, timeout, .. } => {
                    assert!(!self.ended, "Connect after the session ended");
                    assert!(
                        self.live.is_none(),
                        "Connect {conn} while {:?} is open",
                        self.live
                    );
                    if let Some(last) = self.last_conn {
                        assert!(conn > last, "connection id {conn} reused");
                    }
                    assert!(!timeout.is_zero(), "zero connect timeout");
                    self.live = Some(conn);
                    self.last_conn = Some(conn);
                    self.connected = false;
                    self.wire = ClientWire::new();
                    self.new_conn = true;
                }
                Transport::Close { conn, reason } => {
                    assert_eq!(Some(conn), self.live, "Close of a connection not open");
                    self.closes.push(reason);
                    self.retire();
                }
                Transport::ProbeReadWrite { host } => {
                    if self.probes.len() < 4 {
                        self.probes.push(host);
                    }
                }
            }
        }
        assert!(
            self.s.poll_transport(self.now).is_none(),
            "poll_transport never runs dry"
        );
        let mut n = 0;
        while let Some(e) = self.s.poll_event() {
            n += 1;
            assert!(n < 1_000_000, "poll_event never runs dry");
            self.check_event(&e);
            if self.events.len() < 256 {
                self.events.push(e);
            }
        }
        let st = self.s.state();
        self.observe(st, "state()");
        if self.s.state().is_terminal() {
            self.end();
        }
        self.check();
    }

    fn check_event(&mut self, e: &Event) {
        assert!(!self.ended, "event after the session ended: {e:?}");
        // The terminal state comes first, then the replies it fails.
        assert!(
            !self.state.is_terminal() || matches!(e, Event::Reply { .. }),
            "only failed replies follow the terminal state: {e:?}"
        );
        match e {
            Event::Reply { id, result, .. } => {
                assert!(self.submitted.contains(id), "reply to unknown {id}");
                assert!(self.completed.insert(*id), "{id} completed twice: {e:?}");
                if matches!(
                    result,
                    Err(RequestError::ConnectionLoss | RequestError::RequestTimeout)
                ) {
                    self.lost.insert(*id);
                }
            }
            Event::State { state, .. } => {
                let to = match state {
                    KeeperState::SyncConnected => SessionState::Connected,
                    KeeperState::ConnectedReadOnly => SessionState::ConnectedReadOnly,
                    KeeperState::Disconnected => SessionState::Connecting,
                    KeeperState::Expired => SessionState::Expired,
                    KeeperState::AuthFailed => SessionState::AuthFailed,
                    KeeperState::Closed => SessionState::Closed,
                    other => panic!("unexpected state event {other:?}"),
                };
                self.observe(to, "event");
            }
            Event::Watch(w) => assert!(
                !w.registrations.is_empty(),
                "a watch event that fires no registration: {w:?}"
            ),
            Event::Overflow { .. } => {}
        }
    }

    fn observe(&mut self, to: SessionState, how: &str) {
        if to != self.state {
            assert!(
                self.state.can_transition_to(to),
                "illegal transition {:?} -> {to:?} ({how}) at {:?}",
                self.state,
                self.at()
            );
            self.state = to;
        }
    }

    /// The session is over and its events drained: every request has completed.
    fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        let missing: Vec<_> = self.submitted.difference(&self.completed).collect();
        assert!(
            missing.is_empty(),
            "session {:?} with requests never completed: {missing:?}",
            self.state
        );
    }

    fn check(&mut self) {
        assert_eq!(self.s.current_conn(), self.live, "current_conn");
        if self.live.is_none() {
            assert!(
                self.s.send_buf().is_empty(),
                "bytes to send without a connection"
            );
        }
        if self.ended {
            assert!(self.live.is_none(), "a connection outlives the session");
            assert!(self.s.state().is_terminal(), "terminal state is sticky");
        }
        let open = self.submitted.len() - self.completed.len();
        if !self.given_up.is_empty() {
            assert!(
                self.s.outstanding() >= open,
                "outstanding() {} below the {open} requests open",
                self.s.outstanding()
            );
        } else {
            assert_eq!(
                self.s.outstanding(),
                open,
                "outstanding() vs requests submitted and not completed"
            );
        }
        if self.ended {
            assert_eq!(
                self.s.outstanding(),
                0,
                "requests (the session's own among them) outlive the session"
            );
        }
        let bound = SEND_HIGH_WATER
            + self.max_frame
            + 4
            + 256
            + self.auth_bytes
            + self.watch_bytes
            + self.close_bytes;
        let len = self.s.send_buf().len();
        assert!(len <= bound, "send buffer {len} bytes, bound {bound}");
    }

    /// After `handle_timeout(now)` and draining: the next deadline is in the future.
    fn check_deadline(&self) {
        if let Some(t) = self.s.poll_timeout() {
            assert!(
                t > self.now,
                "poll_timeout {:?} not after now {:?} after handle_timeout (a driver would spin)",
                t.saturating_duration_since(self.start),
                self.at()
            );
        }
    }

    // ----- inputs, each followed by a pump --------------------------------------------

    pub(crate) fn advance(&mut self, d: Duration) {
        self.now += d;
        self.s.handle_timeout(self.now);
        self.pump();
        self.check_deadline();
    }

    /// Moves to the next deadline (if any) and runs it.
    pub(crate) fn run_next_timer(&mut self) {
        if let Some(t) = self.s.poll_timeout() {
            self.now = self.now.max(t);
        }
        self.s.handle_timeout(self.now);
        self.pump();
        self.check_deadline();
    }

    pub(crate) fn connect_ok(&mut self) {
        if let (Some(c), false) = (self.live, self.connected) {
            self.connected = true;
            self.s.handle_connected(c, self.now);
            self.pump();
        }
    }

    pub(crate) fn disconnect(&mut self, cause: DisconnectCause) {
        if let Some(c) = self.live {
            self.retire();
            self.s.handle_disconnected(c, cause, self.now);
            self.pump();
        }
    }

    /// Server bytes on the live connection; `stale` picks an old one instead.
    pub(crate) fn deliver(&mut self, bytes: &[u8], stale: Option<u8>) {
        let conn = match stale {
            Some(i) if !self.stale.is_empty() => self.stale[usize::from(i) % self.stale.len()],
            _ => match self.live {
                Some(c) => c,
                None => return,
            },
        };
        if let (Some(rec), None) = (&mut self.record, stale) {
            for chunk in bytes.chunks(255) {
                rec.push(super::session::OP_SERVER_BYTES);
                rec.push(chunk.len() as u8);
                rec.extend_from_slice(chunk);
            }
        }
        if Some(conn) == self.live {
            // Bytes before handle_connected count as connected.
            self.connected = true;
        }
        if self.use_recv_buf {
            self.receive(conn, bytes);
        } else {
            self.s.handle_bytes(conn, bytes, self.now);
        }
        self.pump();
    }

    /// Reads `bytes` into the session's own buffer, as much as each read is offered,
    /// alternating `recv_buf` (zero-filled space) and `recv_buffer` (appended to).
    fn receive(&mut self, conn: ConnId, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            self.reads += 1;
            if self.reads % 2 == 0 {
                let Some((buf, want)) = self.s.recv_buffer(conn) else {
                    assert!(
                        Some(conn) != self.s.current_conn(),
                        "no recv_buffer for the current connection"
                    );
                    return;
                };
                assert!(
                    (1..=RECV_MAX).contains(&want) && buf.capacity() - buf.len() >= want,
                    "recv_buffer asks for {want} bytes (1 ..= {RECV_MAX}) with room for them"
                );
                let n = want.min(bytes.len());
                buf.extend_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
                self.s.handle_appended(conn, self.now);
                continue;
            }
            let Some(buf) = self.s.recv_buf(conn) else {
                assert!(
                    Some(conn) != self.s.current_conn(),
                    "no recv_buf for the current connection"
                );
                return;
            };
            assert!(
                !buf.is_empty() && buf.len() <= RECV_MAX,
                "recv_buf of {} bytes (1 ..= {RECV_MAX})",
                buf.len()
            );
            let n = buf.len().min(bytes.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            self.s.handle_received(conn, n, self.now);
        }
    }

    /// The driver writes `n` bytes (all with `None`) of the send buffer; returns the
    /// frames they completed.
    pub(crate) fn write(&mut self, n: Option<usize>) -> Vec<ClientFrame> {
        if !self.connected {
            return Vec::new();
        }
        let buf = self.s.send_buf();
        let n = n.unwrap_or(buf.len()).min(buf.len());
        let written = buf[..n].to_vec();
        if let Some(conn) = self.s.current_conn() {
            self.s.advance_send(conn, n, self.now);
        }
        let frames = self.wire.feed(&written, self.max_frame);
        self.pump();
        frames
    }

    pub(crate) fn submit(&mut self, request: Request) {
        let may_watch = matches!(
            request,
            Request::Exists { watch: true, .. }
                | Request::GetData { watch: true, .. }
                | Request::GetChildren { watch: true, .. }
                | Request::GetConfig { watch: true }
                | Request::AddWatch { .. }
        );
        match self.s.submit(request, self.now) {
            Ok(id) => {
                assert!(!self.ended, "submit accepted after the session ended");
                assert!(self.submitted.insert(id), "{id} returned twice");
                if self.ids.len() < 64 {
                    self.ids.push(id);
                }
                if may_watch {
                    self.watch_bytes += 2 * (64 + 20);
                }
            }
            Err(SubmitError::NotAccepting { state: st, .. }) => {
                assert!(
                    st.is_terminal() || st == SessionState::Closing,
                    "NotAccepting({st:?})"
                );
            }
            Err(_) => assert!(!self.ended, "a terminal session validated a request"),
        }
        self.pump();
    }

    pub(crate) fn add_auth(&mut self, scheme: &str, auth: &[u8]) {
        let accepting = !self.s.state().is_terminal() && self.s.state() != SessionState::Closing;
        let frame_len = 8 + 4 + 4 + scheme.len() + 4 + auth.len();
        match self
            .s
            .add_auth(scheme, Bytes::copy_from_slice(auth), self.now)
        {
            Ok(()) => {
                assert!(accepting, "a closing or ended session accepted an auth");
                assert!(
                    frame_len <= self.max_frame,
                    "an auth packet over max_frame_size was accepted"
                );
                self.auth_bytes += 4 + frame_len;
            }
            Err(SubmitError::NotAccepting { .. }) => assert!(!accepting, "auth refused while open"),
            Err(SubmitError::TooLarge { size, max }) => {
                assert_eq!(size, frame_len, "auth frame length miscounted");
                assert!(size > max, "auth refused under the limit");
            }
            Err(other) => panic!("unexpected add_auth error {other:?}"),
        }
        self.pump();
    }

    pub(crate) fn close(&mut self) {
        let before = self.s.send_buf().len();
        self.s.close(self.now);
        self.close_bytes += self.s.send_buf().len().saturating_sub(before);
        self.pump();
    }

    pub(crate) fn probe_result(&mut self, i: u8, read_write: bool) {
        if self.probes.is_empty() {
            return;
        }
        let host = self.probes[usize::from(i) % self.probes.len()].clone();
        self.s.handle_probe_result(&host, read_write, self.now);
        self.pump();
    }

    /// Gives up one of the first requests submitted, plainly or (`delete`) with the
    /// node a sequential create of it made. No reply may come for it afterwards.
    pub(crate) fn abandon(&mut self, pick: u8, delete: bool) {
        let Some(&id) = self.ids.get(usize::from(pick) % self.ids.len().max(1)) else {
            return;
        };
        let was_open = if delete {
            self.s.abandon_and_delete(id, self.now)
        } else {
            self.s.abandon(id)
        };
        // Given up before, a written request still counts as outstanding until its
        // answer: either return is right then. A lost ephemeral sequential create
        // given up with its node after its reply came is looked for: true then.
        let looked_for = delete && was_open && self.lost.contains(&id);
        if !self.given_up.contains(&id) && !looked_for {
            assert_eq!(
                was_open,
                !self.completed.contains(&id),
                "abandon({id}) vs the request being open"
            );
        }
        if was_open {
            self.completed.insert(id);
            self.given_up.insert(id);
        }
        self.pump();
    }

    pub(crate) fn handle_timeout_now(&mut self) {
        self.s.handle_timeout(self.now);
        self.pump();
        self.check_deadline();
    }

    /// End of input: close, and let time run (the server silent) until the session is
    /// over. Every request must then have completed exactly once.
    pub(crate) fn finish(&mut self) {
        self.begin();
        self.close();
        for _ in 0..10_000 {
            if self.ended {
                break;
            }
            assert!(
                self.s.poll_timeout().is_some() || self.s.state().is_terminal(),
                "closing session with no deadline in state {:?}: it would hang",
                self.s.state()
            );
            self.run_next_timer();
        }
        assert!(
            self.ended,
            "session not over long after close: {:?}",
            self.s.state()
        );
        assert_eq!(self.submitted, self.completed, "requests never completed");
        assert!(
            matches!(
                self.s.submit(Request::get_data("/a", false), self.now),
                Err(SubmitError::NotAccepting { .. })
            ),
            "an ended session accepts requests"
        );
    }
}

// ----- requests --------------------------------------------------------------------

const VERSIONS: &[i32] = &[-1, 0, 1, i32::MAX];
const TTLS: &[Option<i64>] = &[
    None,
    Some(1000),
    Some(0),
    Some(-1),
    Some(zk_proto::MAX_TTL + 1),
];
/// What a user passes (the wire lists above are for multi sub-ops).
const USER_VERSIONS: &[Version] = &[
    Version::Any,
    Version::Exact(-1),
    Version::Exact(0),
    Version::Exact(1),
    Version::Exact(i32::MAX),
];
const USER_TTLS: &[Option<Duration>] = &[
    None,
    Some(Duration::from_secs(1)),
    Some(Duration::ZERO),
    Some(Duration::from_nanos(1)),
    Some(Duration::from_millis(zk_proto::MAX_TTL as u64 + 1)),
];
const WATCHER_TYPES: &[WatcherType] = &[
    WatcherType::Children,
    WatcherType::Data,
    WatcherType::Any,
    WatcherType::Persistent,
    WatcherType::PersistentRecursive,
];

fn modes() -> Vec<CreateMode> {
    let mut m = CreateMode::KNOWN.to_vec();
    m.push(CreateMode::Unknown(99));
    m
}

fn acl(input: &mut Input) -> Option<Vec<Acl>> {
    Some(match input.u8()? % 4 {
        0 => zk_proto::Acl::open_unsafe(),
        1 => Vec::new(),
        2 => zk_proto::Acl::creator_all(),
        _ => zk_proto::Acl::read_unsafe(),
    })
}

/// Node data: up to 255 bytes from the input, or (first byte 255) `n` KiB of zeros.
fn data(input: &mut Input) -> Option<Bytes> {
    let b = input.short_bytes()?;
    if b.len() == 255 {
        let kib = usize::from(input.u8()?);
        return Some(Bytes::from(vec![0; kib * 1024]));
    }
    Some(Bytes::copy_from_slice(b))
}

fn bool(input: &mut Input) -> Option<bool> {
    Some(input.u8()? & 1 == 1)
}

fn path(input: &mut Input) -> Option<String> {
    Some(input.pick(PATHS)?.to_string())
}

fn create_request(input: &mut Input) -> Option<CreateRequest> {
    Some(CreateRequest {
        path: path(input)?,
        data: data(input)?,
        acl: acl(input)?,
        flags: input.pick(&modes())?,
    })
}

fn multi_op(input: &mut Input) -> Option<MultiOp> {
    Some(match input.u8()? % 9 {
        0 => MultiOp::Create(create_request(input)?),
        1 => MultiOp::Create2(create_request(input)?),
        2 => MultiOp::CreateContainer(create_request(input)?),
        3 => {
            let c = create_request(input)?;
            MultiOp::CreateTtl(CreateTtlRequest {
                path: c.path,
                data: c.data,
                acl: c.acl,
                flags: c.flags,
                ttl: input.pick(TTLS)?.unwrap_or(1),
            })
        }
        4 => MultiOp::Delete(DeleteRequest {
            path: path(input)?,
            version: input.pick(VERSIONS)?,
        }),
        5 => MultiOp::SetData(SetDataRequest {
            path: path(input)?,
            data: data(input)?,
            version: input.pick(VERSIONS)?,
        }),
        6 => MultiOp::Check(zk_proto::CheckVersionRequest {
            path: path(input)?,
            version: input.pick(VERSIONS)?,
        }),
        7 => MultiOp::GetData(GetDataRequest {
            path: path(input)?,
            watch: bool(input)?,
        }),
        _ => MultiOp::GetChildren(GetChildrenRequest {
            path: path(input)?,
            watch: bool(input)?,
        }),
    })
}

fn multi_ops(input: &mut Input) -> Option<Vec<MultiOp>> {
    let n = input.u8()? % 4;
    (0..n).map(|_| multi_op(input)).collect()
}

/// The number of request kinds [`request`] builds (its first byte, modulo).
pub(crate) const REQUEST_KINDS: u8 = 18;

/// One request of any kind: byte 0 picks the kind (modulo [`REQUEST_KINDS`], in the
/// order of `zk_session::Request`'s variants), then its fields.
pub(crate) fn request(input: &mut Input, ids: &[RequestId]) -> Option<Request> {
    Some(match input.u8()? % REQUEST_KINDS {
        0 => Request::Create {
            path: path(input)?,
            data: data(input)?,
            acl: acl(input)?,
            mode: input.pick(&modes())?,
            ttl: input.pick(USER_TTLS)?,
            with_stat: bool(input)?,
        },
        1 => Request::Delete {
            path: path(input)?,
            version: input.pick(USER_VERSIONS)?,
        },
        2 => Request::Exists {
            path: path(input)?,
            watch: bool(input)?,
        },
        3 => Request::GetData {
            path: path(input)?,
            watch: bool(input)?,
        },
        4 => Request::SetData {
            path: path(input)?,
            data: data(input)?,
            version: input.pick(USER_VERSIONS)?,
        },
        5 => Request::GetAcl { path: path(input)? },
        6 => Request::SetAcl {
            path: path(input)?,
            acl: acl(input)?,
            version: input.pick(USER_VERSIONS)?,
        },
        7 => Request::GetChildren {
            path: path(input)?,
            watch: bool(input)?,
            with_stat: bool(input)?,
        },
        8 => Request::Sync { path: path(input)? },
        9 => Request::Multi(multi_ops(input)?),
        10 => Request::MultiRead(multi_ops(input)?),
        11 => Request::GetConfig {
            watch: bool(input)?,
        },
        12 => {
            let s = |input: &mut Input| -> Option<Option<String>> {
                Some(match input.u8()? % 3 {
                    0 => None,
                    1 => Some(String::new()),
                    _ => Some("server.4=h4:2888:3888:participant;2181".into()),
                })
            };
            Request::Reconfig {
                joining: s(input)?,
                leaving: s(input)?,
                new_members: s(input)?,
                config_id: Some(i64::from(input.pick(VERSIONS)?)),
            }
        }
        13 => Request::WhoAmI,
        14 => Request::GetEphemerals {
            prefix: path(input)?,
        },
        15 => Request::GetAllChildrenNumber { path: path(input)? },
        16 => Request::AddWatch {
            path: path(input)?,
            recursive: bool(input)?,
        },
        _ => {
            let pick = input.u8()?;
            Request::RemoveWatches {
                path: path(input)?,
                watcher_type: input.pick(WATCHER_TYPES)?,
                registration: (pick & 1 == 1 && !ids.is_empty())
                    .then(|| ids[usize::from(pick >> 1) % ids.len()]),
                local: bool(input)?,
            }
        }
    })
}

/// Auth schemes [`Driver::add_auth`] is called with.
pub(crate) const AUTH_SCHEMES: &[&str] = &["digest", "ip", "", "sasl"];

/// Disconnect causes.
pub(crate) const CAUSES: &[DisconnectCause] = &[
    DisconnectCause::Eof,
    DisconnectCause::Io,
    DisconnectCause::ConnectFailed,
];

/// The client-side steps both session targets share. Returns `None` at the end of
/// input; `Some(frames)` with the frames the client wrote in this step.
///
/// Opcodes (byte 0 of a step, values 0..16):
/// 0 connect ok, 1 connect failed, 2 advance `u8` ms, 3 advance `u16` ms, 4 run the next
/// timer, 5 submit (then a request, see [`request`]), 6 write `u16` bytes (0 = all),
/// 7 write all, 8 disconnect (cause), 9 close, 10 add auth (scheme, bytes),
/// 11 probe result (host, read-write), 12 handle_timeout now, 13 advance `u8` seconds.
pub(crate) fn client_step(d: &mut Driver, op: u8, input: &mut Input) -> Option<Vec<ClientFrame>> {
    let mut frames = Vec::new();
    match op {
        0 => d.connect_ok(),
        1 => {
            if !d.connected {
                d.disconnect(DisconnectCause::ConnectFailed);
            }
        }
        2 => d.advance(Duration::from_millis(u64::from(input.u8()?))),
        3 => d.advance(Duration::from_millis(u64::from(input.u16()?))),
        4 => d.run_next_timer(),
        5 => {
            let r = request(input, &d.ids)?;
            d.submit(r);
        }
        6 => {
            let n = input.u16()?;
            frames = d.write((n != 0).then_some(usize::from(n)));
        }
        7 => frames = d.write(None),
        8 => {
            let cause = input.pick(CAUSES)?;
            d.disconnect(cause);
        }
        9 => d.close(),
        10 => {
            let scheme = input.pick(AUTH_SCHEMES)?;
            let auth = input.short_bytes()?;
            d.add_auth(scheme, auth);
        }
        11 => {
            let i = input.u8()?;
            let rw = bool(input)?;
            d.probe_result(i, rw);
        }
        12 => d.handle_timeout_now(),
        // Giving up shares the last opcode, so that committed corpora mostly keep
        // their meaning (only advances of 240 s and more, which none of the seeds
        // makes, now give up): a byte below 240 advances that many seconds; from 240,
        // the next byte picks the request, given up with its node when the first is
        // odd.
        _ => match input.u8()? {
            secs @ ..GIVE_UP => d.advance(Duration::from_secs(u64::from(secs))),
            how => d.abandon(input.u8()?, how & 1 == 1),
        },
    }
    Some(frames)
}

/// The first operand byte of client opcode 13 that gives a request up.
pub(crate) const GIVE_UP: u8 = 240;

/// Number of client opcodes of [`client_step`].
pub(crate) const CLIENT_OPS: u8 = 14;
