//! The driver task: tokio owns the socket and the clock, the session everything else.
//! Each turn (under the core's lock, never blocking) carries on a dial or a probe,
//! reads into the session's receive buffer until the socket has nothing more, runs
//! the session's timers, carries out its transport actions, writes its send buffer
//! until the socket would block, and hands the session's events out. Then it waits
//! for the socket, the session's next deadline, or a caller's wake-up (a new request).
//!
//! This is the session's run loop (written once in
//! [`zk_session`'s crate docs](zk_session#the-run-loop)) as a future.

mod connection;
mod dial;
mod framed;

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::BufMut;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio::time::Sleep;
use zk_blocking::for_drivers::{LinkTls, LowWater, explain_handshake_loss, explain_tls_failure};
use zk_session::{ConnId, DisconnectCause, HostAddr, Session, SessionState, Transport};

use crate::core::{Core, Shared, Wakeups};
use connection::Connection;

type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The driver task's future; it ends when the session does.
pub(crate) struct Driver {
    shared: Arc<Shared>,
    /// The session's connection once it is up, with its receive low-water mark.
    socket: Option<(ConnId, Connection, LowWater)>,
    /// A dial in progress.
    dialing: Option<Dialing>,
    /// TLS on every connection, when the options ask for it.
    tls: Option<LinkTls>,
    /// A read-write probe in progress, with the host it asks.
    probe: Option<(HostAddr, Pending<bool>)>,
    /// Wakes the task at the session's next deadline.
    timer: Pin<Box<Sleep>>,
    /// The deadline `timer` is set to.
    timer_at: Option<Instant>,
    /// The waker `timer` holds for that deadline (it was polled with it).
    timer_waker: Option<Waker>,
}

/// A dial in progress: the connection it is for, its host, whether the host accepted
/// the TCP connection yet (the dial sets it; see [`dial::dial`]) and the dial itself.
struct Dialing {
    conn: ConnId,
    host: HostAddr,
    reached: Arc<AtomicBool>,
    dial: Pending<io::Result<Connection>>,
}

impl Driver {
    /// Must be made inside a tokio runtime (the timer needs its time driver).
    pub(crate) fn new(shared: Arc<Shared>, tls: Option<LinkTls>) -> Driver {
        Driver {
            shared,
            tls,
            socket: None,
            dialing: None,
            probe: None,
            timer: Box::pin(tokio::time::sleep(std::time::Duration::ZERO)),
            timer_at: None,
            timer_waker: None,
        }
    }

    /// One turn, repeated while it changes anything; true once the session is over.
    fn turn(&mut self, core: &mut Core, cx: &mut Context<'_>, wakeups: &mut Wakeups) -> bool {
        loop {
            let now = Instant::now();
            let mut again = self.poll_dial(core, cx, now);
            again |= self.poll_probe(&mut core.session, cx, now);
            again |= self.read(core, cx, wakeups, now);
            core.session.handle_timeout(now);
            while let Some(transport) = core.session.poll_transport(now) {
                self.carry_out(core, transport, now);
                again = true;
            }
            if core.session.state().is_connected() {
                core.problems.session_up();
            }
            again |= self.write(core, cx, now);
            // A request the dispatch queued (a watch removal) is written next time round.
            again |= core.dispatch(wakeups);
            if core.session.state().is_terminal() {
                self.socket = None;
                self.dialing = None;
                self.probe = None;
                return true;
            }
            if again || self.timer_due(core.session.poll_timeout(), cx) {
                continue;
            }
            if self.settle_low_water(core) {
                return false;
            }
        }
    }

    /// Arms the timer for the session's next deadline; true if it has passed already.
    /// The timer moves only when that deadline does, which is seldom: the session
    /// keeps it while its deadlines move later (the ping's, with every write). Armed
    /// for the same deadline, not elapsed, and holding this task's waker, it is not
    /// polled again: that would only register the same waker (a tenth of a sync
    /// get's driver turn).
    fn timer_due(&mut self, next: Option<Instant>, cx: &mut Context<'_>) -> bool {
        let Some(at) = next else {
            return false;
        };
        if self.timer_at != Some(at) {
            self.timer
                .as_mut()
                .reset(tokio::time::Instant::from_std(at));
            self.timer_at = Some(at);
            self.timer_waker = None;
        } else if self
            .timer_waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
            && !self.timer.is_elapsed()
        {
            return false;
        }
        // Out of tokio's cooperative budget (a turn that read much), the timer answers
        // Pending without taking the waker: it is polled again next turn.
        let registers = tokio::task::coop::has_budget_remaining();
        if self.timer.as_mut().poll(cx).is_pending() {
            if !registers {
                self.timer_waker = None;
            } else if !self
                .timer_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                self.timer_waker = Some(cx.waker().clone());
            }
            return false;
        }
        self.timer_at = None;
        self.timer_waker = None;
        true
    }

    /// After each turn: what a caller needs to write a lone request itself (see
    /// `Core::submit`), the socket's second handle, only while the socket is up (the
    /// connection closes when both are gone, so it goes in the same turn), and the
    /// deadline the timer is armed for.
    fn hand_over(&self, core: &mut Core) {
        let up = self.socket.as_ref().map(|(conn, ..)| *conn);
        if core
            .direct
            .as_ref()
            .is_some_and(|(conn, _)| Some(*conn) != up)
        {
            core.direct = None;
        }
        core.timer_armed = self.timer_at;
    }

    /// Before the task waits: sets the socket's receive low-water mark to what the
    /// server is sure to send (see zk-blocking's `LowWater`). False if that failed and the
    /// connection was dropped, leaving the session more to do.
    fn settle_low_water(&mut self, core: &mut Core) -> bool {
        let Some((_, stream, low_water)) = self.socket.as_mut() else {
            return true;
        };
        let sure = stream.sure_to_arrive(&core.session);
        match low_water.settle(stream.tcp(), sure) {
            Ok(()) => true,
            Err(e) => {
                let why = format!("setting the receive low-water mark failed: {e}");
                self.lost(core, DisconnectCause::Io, why, Instant::now());
                false
            }
        }
    }

    /// Carries on a dial; true when it ended (connected or failed).
    fn poll_dial(&mut self, core: &mut Core, cx: &mut Context<'_>, now: Instant) -> bool {
        let Some(Dialing {
            conn,
            host,
            reached,
            dial,
        }) = self.dialing.as_mut()
        else {
            return false;
        };
        let Poll::Ready(result) = dial.as_mut().poll(cx) else {
            // Where a silent host went quiet, should the connect give up.
            if reached.swap(false, Ordering::Relaxed) {
                core.problems.reached(self.tls.is_some());
            }
            return false;
        };
        let conn = *conn;
        match result {
            Ok(stream) => {
                // Connected (TLS done, if any): the session handshake is next.
                core.problems.secured();
                core.direct = stream.direct_writer().map(|tcp| (conn, tcp));
                self.socket = Some((conn, stream, LowWater::new()));
                core.session.handle_connected(conn, now);
            }
            Err(e) => {
                #[cfg(feature = "tracing")]
                tracing::warn!(
                    "could not connect to {host} ({conn} of session 0x{:x}): {e}",
                    core.session.session_id()
                );
                core.problems.record(format!("{host}: {e}"));
                core.session
                    .handle_disconnected(conn, DisconnectCause::ConnectFailed, now);
            }
        }
        self.dialing = None;
        true
    }

    /// Carries on a read-write probe; true when it answered. A session no longer
    /// read-only has no use for it.
    fn poll_probe(&mut self, session: &mut Session, cx: &mut Context<'_>, now: Instant) -> bool {
        if session.state() != SessionState::ConnectedReadOnly {
            self.probe = None;
            return false;
        }
        let Some((host, probe)) = self.probe.as_mut() else {
            return false;
        };
        let Poll::Ready(read_write) = probe.as_mut().poll(cx) else {
            return false;
        };
        session.handle_probe_result(host, read_write, now);
        self.probe = None;
        true
    }

    fn carry_out(&mut self, core: &mut Core, transport: Transport, now: Instant) {
        match transport {
            // The session's connect timer bounds the dial (it sends Close when due).
            Transport::Connect { conn, host, .. } => {
                self.socket = None;
                core.problems.dialling(&host);
                let reached = Arc::new(AtomicBool::new(false));
                let dial = dial::dial(host.clone(), self.tls.clone(), reached.clone());
                self.dialing = Some(Dialing {
                    conn,
                    host,
                    reached,
                    dial: Box::pin(dial),
                });
            }
            Transport::Close { conn, reason } => {
                if self.socket.as_ref().is_some_and(|(c, ..)| *c == conn) {
                    self.socket = None;
                }
                if self.dialing.as_ref().is_some_and(|d| d.conn == conn) {
                    self.dialing = None;
                }
                core.problems.record_close(&reason);
            }
            Transport::ProbeReadWrite { host } => {
                // A probe still under way gives way (its host counts as not read-write).
                if let Some((old, _)) = self.probe.take() {
                    core.session.handle_probe_result(&old, false, now);
                }
                self.probe = Some((host.clone(), Box::pin(dial::probe(host, self.tls.clone()))));
            }
        }
    }

    /// Reads until the socket has nothing more (tokio then watches it for us),
    /// straight into the session's receive buffer, whose room needs no zero-filling
    /// (tokio's `read_buf` reads into it uninitialised: a sixth of a 1 MB get's client
    /// CPU was spent zeroing room for it). Room is reserved only once the socket is
    /// readable (see `Connection::poll_read_ready`).
    ///
    /// What each read brings is handed out at once ([`Core::dispatch`]): the holders'
    /// queues bound the events kept (each watch's and state stream's own
    /// `max_queued_events`), so the session's queue, which the client leaves
    /// unbounded, holds one read's worth at most. Returns whether that queued a
    /// request of the client's own (see `dispatch`).
    fn read(
        &mut self,
        core: &mut Core,
        cx: &mut Context<'_>,
        wakeups: &mut Wakeups,
        now: Instant,
    ) -> bool {
        let mut queued = false;
        while let Some((conn, stream, _)) = self.socket.as_mut() {
            let conn = *conn;
            match stream.poll_read_ready(cx) {
                Poll::Pending => break,
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    let why = io_failure("read", &e, self.tls.as_ref(), &core.session);
                    self.lost(core, DisconnectCause::Io, why, now);
                    break;
                }
            }
            let Some((buf, want)) = core.session.recv_buffer(conn) else {
                break;
            };
            if want == 0 {
                break;
            }
            let mut room = buf.limit(want);
            let read = pin!(stream.read_buf(&mut room));
            match read.poll(cx) {
                Poll::Pending => break,
                Poll::Ready(Ok(0)) => {
                    let why = "the server closed the connection".to_string();
                    self.lost(core, DisconnectCause::Eof, why, now);
                    break;
                }
                Poll::Ready(Ok(_)) => {
                    core.session.handle_appended(conn, now);
                    queued |= core.dispatch(wakeups);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => {
                    let why = io_failure("read", &e, self.tls.as_ref(), &core.session);
                    self.lost(core, DisconnectCause::Io, why, now);
                    break;
                }
            }
        }
        queued
    }

    /// Writes the send buffer until it is empty or the socket would block; true if the
    /// connection was lost.
    fn write(&mut self, core: &mut Core, cx: &mut Context<'_>, now: Instant) -> bool {
        while let Some((conn, stream, _)) = self.socket.as_mut() {
            let conn = *conn;
            let session = &mut core.session;
            // The buffer is the current connection's: bytes for another never drain.
            if session.current_conn() != Some(conn) {
                return false;
            }
            if session.send_buf().is_empty() {
                // TLS records the socket did not take go out now, or when it can.
                if !stream.has_pending_output() {
                    return false;
                }
                match Pin::new(stream).poll_flush(cx) {
                    Poll::Pending | Poll::Ready(Ok(())) => return false,
                    Poll::Ready(Err(e)) => {
                        let why = io_failure("write", &e, self.tls.as_ref(), &core.session);
                        self.lost(core, DisconnectCause::Io, why, now);
                        return true;
                    }
                }
            }
            match Pin::new(stream).poll_write(cx, session.send_buf()) {
                Poll::Pending => return false,
                Poll::Ready(Ok(0)) => {
                    let why = "write failed: the socket accepts no more bytes".to_string();
                    self.lost(core, DisconnectCause::Io, why, now);
                    return true;
                }
                Poll::Ready(Ok(n)) => session.advance_send(conn, n, now),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => {
                    let why = io_failure("write", &e, self.tls.as_ref(), &core.session);
                    self.lost(core, DisconnectCause::Io, why, now);
                    return true;
                }
            }
        }
        false
    }

    /// Drops the connection and tells the session why.
    fn lost(&mut self, core: &mut Core, cause: DisconnectCause, why: String, now: Instant) {
        let refused = explain_handshake_loss(&why, cause, &core.session, self.tls.is_some());
        if let Some((conn, ..)) = self.socket.take() {
            // The session logs the loss and its host; this is the IO error behind it.
            #[cfg(feature = "tracing")]
            tracing::debug!("{conn}: {}", refused.as_deref().unwrap_or(&why));
            match refused {
                Some(explained) => core.problems.record_refused_handshake(explained),
                None => core.problems.record(why),
            }
            core.session.handle_disconnected(conn, cause, now);
        }
    }
}

impl Drop for Driver {
    /// The runtime dropped the task before the session ended (it shut down, or the
    /// task was aborted): nobody will drive this session again, so it ends now, as a
    /// close whose time ran out. Every waiting call fails with `Closed` instead of
    /// hanging, and later calls fail at once.
    fn drop(&mut self) {
        let shared = self.shared.clone();
        shared.with(|core, wakeups| {
            core.direct = None;
            if core.session.state().is_terminal() {
                return;
            }
            let now = Instant::now();
            if let Some((conn, ..)) = self.socket.take() {
                core.session
                    .handle_disconnected(conn, DisconnectCause::Io, now);
            }
            core.session.close(now);
            // Run the session's clock forward to its close deadline (a few timers at
            // most), ignoring what it asks of the network.
            let mut clock = now;
            for _ in 0..64 {
                while core.session.poll_transport(clock).is_some() {}
                match core.session.poll_timeout() {
                    Some(at) if !core.session.state().is_terminal() => {
                        clock = clock.max(at);
                        core.session.handle_timeout(clock);
                    }
                    _ => break,
                }
            }
            core.problems
                .record("the tokio runtime driving this client shut down".into());
            core.dispatch(wakeups);
        });
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = this.shared.clone();
        let mut wakeups = Wakeups::default();
        let over = {
            let mut core = shared.lock();
            let over = this.turn(&mut core, cx, &mut wakeups);
            this.hand_over(&mut core);
            if !over {
                core.park_driver(cx.waker());
            }
            over
        };
        wakeups.wake_all();
        if over { Poll::Ready(()) } else { Poll::Pending }
    }
}

/// Why a read or write of the connection failed. An error TLS raised is explained
/// like a failed handshake: a TLS 1.3 server refuses a client certificate only
/// after the client's Finished, so its alert meets the first read of the session.
fn io_failure(what: &str, e: &io::Error, tls: Option<&LinkTls>, session: &Session) -> String {
    let raised_by_tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>());
    match (tls, session.current_host(), raised_by_tls) {
        (Some(tls), Some(host), Some(tls_error)) => {
            let e = io::Error::new(e.kind(), tls_error.clone());
            format!(
                "{host}: {}",
                explain_tls_failure(e, host, tls.has_client_cert)
            )
        }
        _ => format!("{what} failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Core;
    use std::time::Duration;
    use zk_blocking::Options;
    use zk_blocking::for_drivers::start_session;

    /// A driver that is never polled: its timer alone is exercised.
    fn idle_driver() -> Driver {
        let hosts = "127.0.0.1:2181";
        let session = start_session(&Options::default(), hosts, Instant::now()).unwrap();
        let core = Core::new(session, hosts, 16);
        Driver::new(Arc::new(Shared::new(core, None)), None)
    }

    /// Spends the task's cooperative budget: tokio's resources answer Pending (and
    /// have the task polled again) until the next poll.
    fn spend_budget(cx: &mut Context<'_>) {
        while pin!(tokio::task::consume_budget()).poll(cx).is_ready() {}
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_timer_wakes_the_driver_at_a_deadline_armed_in_a_turn_out_of_budget() {
        let mut driver = idle_driver();
        let at = Instant::now() + Duration::from_millis(50);
        let mut polls = 0;
        let due = std::future::poll_fn(|cx| {
            polls += 1;
            if polls == 1 {
                // A turn that read much: the budget is gone when the timer is armed.
                spend_budget(cx);
            }
            match driver.timer_due(Some(at), cx) {
                true => Poll::Ready(polls),
                false => Poll::Pending,
            }
        });
        let polls = tokio::time::timeout(Duration::from_secs(2), due).await;
        let woken = Instant::now();
        assert!(woken >= at);
        assert!(
            woken < at + Duration::from_secs(1),
            "the timer did not wake the task ({polls:?} polls, {:?} late)",
            woken - at
        );
    }
}
