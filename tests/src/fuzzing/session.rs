//! `session`: a session driven by arbitrary inputs, the server side raw bytes.

use super::driver::{self, CLIENT_OPS, Driver};
use super::input::Input;

/// Opcode of a step delivering raw server bytes on the live connection.
pub(crate) const OP_SERVER_BYTES: u8 = CLIENT_OPS;
/// Opcode of a step delivering raw server bytes on an old connection.
pub(crate) const OP_STALE_BYTES: u8 = CLIENT_OPS + 1;
const OPS: u8 = CLIENT_OPS + 2;

/// Input: 3 config bytes (see `driver::config`), then steps until the input ends, each
/// an opcode byte (modulo 16) and its operands: 0..14 the client steps of
/// `driver::client_step` (connect results, time, submits of every op kind, writes,
/// disconnects, close, auth, probe results, giving a request up with or without the
/// node it made), 14 server bytes (a length byte, then
/// that many bytes) on the live connection, 15 the same on an old connection (an
/// index byte first). Then the session is closed and time runs until it ends.
///
/// Invariants, after every step (see `Driver`):
/// * no panic, no debug assertion (the session checks its own state transitions);
/// * every reply names a request that was submitted, and completes it at most once;
///   none comes for a request given up; `outstanding()` equals the requests not yet
///   completed (once one was given up, at least those: written ones count until
///   their answer, and so do the session's own deletes); when the session reaches a
///   terminal state every request has completed, `outstanding()` is 0, and nothing
///   happens after that;
/// * state changes (events and `state()`) follow `SessionState::can_transition_to`;
/// * at most one connection at a time, ids never reused, `Close` only for the open one,
///   no bytes to send without a connection;
/// * the send buffer stays below the high-water mark + one frame + what the client
///   itself added (auth packets, watch re-registration): server input cannot bloat it;
/// * every byte the client writes decodes as canonical request frames with increasing
///   xids, none above the maximum frame size (auth packets excepted);
/// * after `handle_timeout(now)` and draining, `poll_timeout()` is after `now`;
/// * at the end, `close()` and running the timers ends the session.
pub fn session(data: &[u8]) {
    let mut input = Input::new(data);
    let Some((config, recv_buf)) = driver::config(&mut input) else {
        return;
    };
    let Some(mut d) = Driver::new(config) else {
        return;
    };
    d.use_recv_buf = recv_buf;
    while let Some(op) = input.u8() {
        d.begin();
        let op = op % OPS;
        let done = match op {
            OP_SERVER_BYTES => input.short_bytes().map(|b| d.deliver(b, None)),
            OP_STALE_BYTES => input
                .u8()
                .and_then(|i| input.short_bytes().map(|b| d.deliver(b, Some(i)))),
            _ => driver::client_step(&mut d, op, &mut input).map(drop),
        };
        if done.is_none() {
            break;
        }
        d.trace(&format!("op {op}"));
    }
    d.finish();
}
