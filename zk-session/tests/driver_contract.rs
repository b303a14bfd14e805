//! What a driver may rely on: input and write reports for a closed connection are
//! ignored, and the session can move between threads.

mod common;

use zk_session::testing::ClientFrame;
use zk_session::{Request, SessionState};

use common::{HarnessExt, SID, T, connected, data_reply};

#[test]
fn stale_connection_input_is_ignored() {
    let mut h = connected("a,b");
    let old = h.conn.unwrap();
    h.server_close();
    h.establish(T, SID);
    let before = h.events.len();
    h.session.handle_bytes(old, &data_reply(1, 1), h.now);
    h.session
        .handle_disconnected(old, zk_session::DisconnectCause::Eof, h.now);
    h.pump();
    assert_eq!(h.events.len(), before);
    assert_eq!(h.session.state(), SessionState::Connected);
}

#[test]
fn a_late_advance_send_for_an_old_connection_is_ignored() {
    let mut h = connected("a");
    h.submit(Request::get_data("/a", false));
    let old = h.conn.unwrap();
    let unsent = h.session.send_buf().len();
    assert!(unsent > 0);
    h.server_close();
    if h.pending_connect().is_none() {
        h.run_next_timer();
    }
    h.accept();
    let handshake = h.session.send_buf().to_vec();
    h.session.advance_send(old, unsent, h.now);
    assert_eq!(h.session.send_buf(), &handshake[..], "new handshake intact");
    let f = h.flush();
    assert!(matches!(f[0], ClientFrame::Connect(_)));
}

#[test]
fn session_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<zk_session::Session>();
}
