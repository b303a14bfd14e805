//! One transport connection as the session sees it: how far it has come (dialling,
//! handshaking, established), its receive buffer, its send buffer with the byte
//! accounting that tells which requests reached the server, and the times its
//! deadlines are measured from.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zk_proto::{ConnectRequest, FrameDecoder, FrameError, WireRequest};

use crate::connect_string::HostAddr;
use crate::error::CloseReason;
use crate::id::ConnId;

use super::timing::later;

/// Receive-buffer space [`Connection::recv_buf`] hands out while the next frame's
/// length is unknown or its rest is small: enough for many small replies per read.
const RECV_CHUNK: usize = 16 * 1024;
/// Most space handed out at once inside a large frame: the whole rest of a reply up
/// to the default maximum frame (`jute.maxbuffer`, 1 MB). The drivers' receive
/// low-water mark holds the reader back until that rest is in (the kernel grows the
/// socket's receive buffer to hold it, so the server sends it at full speed), and
/// one read then takes it, instead of a wake-up and a read per 64 KiB.
const RECV_MAX: usize = 1024 * 1024;
/// How long a connection must carry the session before its loss counts as a fresh
/// start (an immediate redial) rather than a failed attempt (backoff).
const STABLE: Duration = Duration::from_secs(1);

/// How far a connection has come towards carrying the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Waiting for the driver's `handle_connected`.
    Dialing,
    /// ConnectRequest written, waiting for the ConnectResponse.
    Handshaking,
    /// Session established on this connection.
    Established,
}

/// The session's view of one transport connection.
#[derive(Debug)]
pub(super) struct Connection {
    id: ConnId,
    /// The server dialled: named in logs, in the reason of a disconnect and in
    /// messages about what it answered.
    host: HostAddr,
    stage: Stage,
    /// Splits frames off the receive buffer.
    decoder: FrameDecoder,
    /// The length of the space `recv_buf` handed out, until a read is reported.
    recv_handed_out: Option<usize>,
    /// Bytes for the driver to write.
    out: BytesMut,
    /// Bytes appended to `out` since the connection started.
    queued: u64,
    /// Bytes the driver reported written.
    written: u64,
    /// End of the last request answered on this connection: the server read up to
    /// here, whatever the driver has reported yet.
    answered: u64,
    /// Deadline of the dial, then of the handshake.
    connect_deadline: Instant,
    last_recv: Instant,
    last_send: Instant,
    /// When the handshake completed on it.
    established_at: Option<Instant>,
}

impl Connection {
    /// A connection to `host` being dialled, given `timeout` to come up.
    pub(super) fn dial(
        id: ConnId,
        host: HostAddr,
        max_frame: usize,
        timeout: Duration,
        now: Instant,
    ) -> Self {
        Connection {
            id,
            host,
            stage: Stage::Dialing,
            decoder: FrameDecoder::with_max_frame_len(max_frame),
            recv_handed_out: None,
            out: BytesMut::new(),
            queued: 0,
            written: 0,
            answered: 0,
            connect_deadline: later(now, timeout),
            last_recv: now,
            last_send: now,
            established_at: None,
        }
    }

    // ----- getters -------------------------------------------------------------------
    pub(super) fn id(&self) -> ConnId {
        self.id
    }

    pub(super) fn host(&self) -> &HostAddr {
        &self.host
    }

    pub(super) fn stage(&self) -> Stage {
        self.stage
    }

    pub(super) fn is_established(&self) -> bool {
        self.stage == Stage::Established
    }

    pub(super) fn send_buf(&self) -> &[u8] {
        &self.out
    }

    /// Bytes of output the driver reported written.
    pub(super) fn written(&self) -> u64 {
        self.written
    }

    /// The end of the output stream so far: a request appended last ends here.
    pub(super) fn end_of_output(&self) -> u64 {
        self.queued
    }

    /// How much of the output the server has certainly read: what the driver
    /// reported written, or more when a later request was answered already.
    pub(super) fn reached_server(&self) -> u64 {
        self.written.max(self.answered)
    }

    /// Whether the whole handshake went out and its answer has not come: the server
    /// may be creating a session for it.
    pub(super) fn handshake_sent(&self) -> bool {
        self.stage == Stage::Handshaking && self.out.is_empty()
    }

    /// Whether it carried the session long enough that losing it is a fresh start.
    pub(super) fn served_stably(&self, now: Instant) -> bool {
        self.established_at
            .is_some_and(|t| now.saturating_duration_since(t) >= STABLE)
    }

    /// Unsent output is waiting for the driver.
    pub(super) fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Output buffered, not yet taken by the driver.
    pub(super) fn buffered_output(&self) -> usize {
        self.out.len()
    }

    // ----- deadlines -----------------------------------------------------------------
    /// When the dial or handshake has taken too long (not once established).
    pub(super) fn connect_deadline(&self) -> Option<Instant> {
        (!self.is_established()).then_some(self.connect_deadline)
    }

    /// When silence on an established connection drops it.
    pub(super) fn read_deadline(&self, read_timeout: Duration) -> Option<Instant> {
        self.is_established()
            .then(|| later(self.last_recv, read_timeout))
    }

    /// When an established connection whose send side stayed idle needs a ping.
    pub(super) fn ping_deadline(&self, interval: Duration) -> Option<Instant> {
        self.is_established()
            .then(|| later(self.last_send, interval))
    }

    // ----- the stages ----------------------------------------------------------------
    /// The transport is up: the handshake goes out, with `timeout` to be answered.
    pub(super) fn start_handshake(
        &mut self,
        req: &ConnectRequest,
        timeout: Duration,
        now: Instant,
    ) {
        self.stage = Stage::Handshaking;
        self.connect_deadline = later(now, timeout);
        self.last_recv = now;
        zk_proto::encode_frame(req, &mut self.out);
        self.queued = self.out.len() as u64;
        self.last_send = now;
    }

    /// The handshake was answered: the connection carries the session.
    pub(super) fn establish(&mut self, now: Instant) {
        self.stage = Stage::Established;
        self.established_at = Some(now);
    }

    // ----- receiving -----------------------------------------------------------------
    /// Space to read into; see `Session::recv_buf` for the sizing rules.
    pub(super) fn recv_buf(&mut self) -> &mut [u8] {
        let want = self.recv_want();
        self.recv_handed_out = Some(want);
        self.decoder.read_space(want)
    }

    /// The buffer itself, with room for the next read reserved, and that read's size;
    /// see `Session::recv_buffer`.
    pub(super) fn recv_buffer(&mut self) -> (&mut BytesMut, usize) {
        let want = self.recv_want();
        self.recv_handed_out = None;
        let buf = self.decoder.buffer_mut();
        buf.reserve(want);
        (buf, want)
    }

    /// How much the next read should take: see `Session::recv_buf`.
    fn recv_want(&self) -> usize {
        let rest = self.frame_bytes_due();
        if rest == 0 {
            RECV_CHUNK
        } else if rest >= RECV_CHUNK {
            // Room for the whole frame is reserved already; what a read leaves of
            // this space is not initialised again for the next.
            rest.min(RECV_MAX)
        } else {
            // Room for the whole frame is reserved already: use what is there, never
            // more (growing now would move the frame).
            rest.max(self.decoder.room().min(RECV_CHUNK))
        }
    }

    /// The bytes still to come of the frame being assembled, once its length is in.
    pub(super) fn frame_bytes_due(&self) -> usize {
        if self.decoder.buffered_len() < zk_proto::LENGTH_PREFIX_LEN {
            return 0;
        }
        self.decoder.bytes_needed()
    }

    /// `n` bytes were read into the space `recv_buf` handed out. Returns whether any
    /// arrived (false also when no space was handed out).
    pub(super) fn received(&mut self, n: usize) -> bool {
        let Some(handed_out) = self.recv_handed_out.take() else {
            return false;
        };
        let n = n.min(handed_out);
        self.decoder.commit(n);
        n > 0
    }

    /// Bytes read by the driver into its own buffer.
    pub(super) fn received_copy(&mut self, data: &[u8]) {
        self.recv_handed_out = None;
        self.decoder.extend_from_slice(data);
    }

    /// The next complete frame, if any; `now` counts as traffic when there is one.
    pub(super) fn next_frame(&mut self, now: Instant) -> Result<Option<Bytes>, FrameError> {
        let frame = self.decoder.decode()?;
        if frame.is_some() {
            self.last_recv = now;
        }
        Ok(frame)
    }

    /// Why to drop it if what it received so far is text, not a ZooKeeper frame.
    pub(super) fn answered_with_text(&mut self) -> Option<CloseReason> {
        self.recv_handed_out = None;
        super::not_zookeeper::answer_is_text(&self.host, self.decoder.buffer_mut())
    }

    /// The xid of the frame whose length was refused, once its header has arrived.
    pub(super) fn refused_frame_xid(&mut self) -> Option<i32> {
        let buf = self.decoder.buffer_mut();
        (buf.len() >= 8).then(|| i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]))
    }

    /// A request that ended at `end` in the output stream was answered.
    pub(super) fn answered_up_to(&mut self, end: u64) {
        self.answered = self.answered.max(end);
    }

    // ----- sending -------------------------------------------------------------------
    /// Appends one request frame; returns where it ends in the output stream.
    pub(super) fn write_frame(&mut self, req: &WireRequest, xid: i32, now: Instant) -> u64 {
        req.encode_frame(xid, &mut self.out);
        self.queued += (zk_proto::LENGTH_PREFIX_LEN
            + zk_proto::RequestHeader::LEN
            + zk_proto::Encode::encoded_len(req)) as u64;
        self.last_send = now;
        self.queued
    }

    /// The driver wrote `n` bytes of `send_buf`. Returns whether any were taken.
    pub(super) fn advance_send(&mut self, n: usize, now: Instant) -> bool {
        let n = n.min(self.out.len());
        if n == 0 {
            return false;
        }
        let _ = self.out.split_to(n);
        self.written += n as u64;
        self.last_send = now;
        true
    }

    /// A ping is due but output is already waiting: it counts as traffic.
    pub(super) fn defer_ping(&mut self, now: Instant) {
        self.last_send = now;
    }
}
