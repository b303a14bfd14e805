//! The SASL exchange as the session runs it: first thing on every connection, with
//! ordinary xids, nothing else written until it succeeds; `Connected` only then; a
//! server error or a token the mechanism refuses ends the session `AuthFailed`.

mod common;

use bytes::Bytes;
use zk_proto::{
    ErrorCode, GetSaslRequest, KeeperState, SetSaslResponse, WireRequest, WireResponse,
};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{
    Config, HostAddr, Request, RequestError, SASL_RANDOM_LEN, SaslConfig, SaslError, SaslMechanism,
    SaslMechanismFactory, SaslStep, SessionState, StateReason,
};

use common::{HarnessExt, SID, T, config, data_reply, replies, requests, states};

/// A two-step mechanism: sends "hello", answers "challenge" with "answer", and is
/// done on "ok"; any other token is an error.
#[derive(Debug)]
struct Scripted;

struct ScriptedExchange;

impl SaslMechanismFactory for Scripted {
    fn name(&self) -> &str {
        "SCRIPTED"
    }

    fn begin(&self, _host: &HostAddr, _random: [u8; SASL_RANDOM_LEN]) -> Box<dyn SaslMechanism> {
        Box::new(ScriptedExchange)
    }
}

impl SaslMechanism for ScriptedExchange {
    fn start(&mut self) -> Result<Vec<u8>, SaslError> {
        Ok(b"hello".to_vec())
    }

    fn step(&mut self, server_token: &[u8]) -> Result<SaslStep, SaslError> {
        match server_token {
            b"challenge" => Ok(SaslStep::Respond(b"answer".to_vec())),
            b"ok" => Ok(SaslStep::Done),
            _ => Err(SaslError::new("unexpected server token")),
        }
    }
}

fn sasl_config(sasl: SaslConfig) -> Config {
    let mut c = config("a");
    c.sasl = Some(sasl);
    c
}

fn sasl_token(token: &[u8]) -> WireRequest {
    WireRequest::Sasl(GetSaslRequest {
        token: Bytes::copy_from_slice(token),
    })
}

fn server_token(xid: i32, token: &'static [u8]) -> Vec<u8> {
    let body = WireResponse::Sasl(SetSaslResponse {
        token: Bytes::from_static(token),
    });
    FakeServer::ok(xid, 0, &body)
}

/// Establishes the connection; returns the first sasl frame's xid.
fn handshake_then_first_token(h: &mut Harness) -> i32 {
    h.establish(T, SID);
    let frames = h.flush();
    assert_eq!(
        requests(&frames).len(),
        1,
        "only the sasl request: {frames:?}"
    );
    assert_eq!(frames[0].request(), &sasl_token(b"hello"));
    frames[0].xid()
}

/// Runs the scripted exchange to its end; returns what was written after it.
fn complete_exchange(h: &mut Harness) -> Vec<ClientFrame> {
    let first = handshake_then_first_token(h);
    h.deliver(&server_token(first, b"challenge"));
    let frames = h.flush();
    assert_eq!(requests(&frames), vec![(first + 1, sasl_token(b"answer"))]);
    h.deliver(&server_token(first + 1, b"ok"));
    h.flush()
}

#[test]
fn queued_requests_wait_for_the_exchange_and_connected_follows_it() {
    let mut h = Harness::new(sasl_config(SaslConfig::custom(Scripted)));
    let id = h.submit(Request::get_data("/x", false));
    let first = handshake_then_first_token(&mut h);
    assert_eq!(first, 1, "sasl takes its xid from the ordinary counter");
    assert_eq!(
        states(&h.events),
        vec![],
        "not Connected while authenticating"
    );
    h.deliver(&server_token(first, b"challenge"));
    let frames = h.flush();
    assert_eq!(requests(&frames), vec![(2, sasl_token(b"answer"))]);
    h.deliver(&server_token(2, b"ok"));
    assert_eq!(states(&h.events), vec![KeeperState::SyncConnected]);
    let frames = h.flush();
    assert_eq!(requests(&frames).len(), 1);
    assert_eq!(frames[0].xid(), 3);
    h.deliver(&data_reply(3, 5));
    assert!(matches!(replies(&h.events).as_slice(), [(got, Ok(_))] if *got == id));
}

#[test]
fn server_error_is_auth_failed_once_with_the_reason() {
    let mut h = Harness::new(sasl_config(SaslConfig::custom(Scripted)));
    let id = h.submit(Request::get_data("/x", false));
    let first = handshake_then_first_token(&mut h);
    h.deliver(&FakeServer::reply(first, 0, ErrorCode::AuthFailed, None));
    assert_eq!(h.session.state(), SessionState::AuthFailed);
    assert_eq!(states(&h.events), vec![KeeperState::AuthFailed]);
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::AuthFailed))]
    );
    let reason = h.session.state_reason().expect("a reason").to_string();
    assert!(
        reason.contains("SASL SCRIPTED") && reason.contains("AUTHFAILED"),
        "{reason}"
    );
    assert!(h.session.poll_transport(h.now).is_none(), "no redial");
}

/// A server that requires SASL answers wrong credentials with −124, as it answers a
/// session that never tried: here the credentials were refused, so the reason says
/// so (SASL failed), not that SASL must be configured.
#[test]
fn wrong_credentials_answered_with_minus_124_are_a_failed_exchange() {
    let mut h = Harness::new(sasl_config(SaslConfig::custom(Scripted)));
    let id = h.submit(Request::get_data("/x", false));
    let first = handshake_then_first_token(&mut h);
    h.deliver(&FakeServer::reply(
        first,
        0,
        ErrorCode::SessionClosedRequireSaslAuth,
        None,
    ));
    assert_eq!(h.session.state(), SessionState::AuthFailed);
    assert!(
        matches!(
            h.session.state_reason(),
            Some(StateReason::SaslFailed { .. })
        ),
        "{:?}",
        h.session.state_reason()
    );
    assert_eq!(
        replies(&h.events),
        vec![(id, Err(RequestError::AuthFailed))]
    );
}

#[test]
fn token_the_mechanism_refuses_is_auth_failed() {
    let mut h = Harness::new(sasl_config(SaslConfig::custom(Scripted)));
    let first = handshake_then_first_token(&mut h);
    h.deliver(&server_token(first, b"nonsense"));
    assert_eq!(h.session.state(), SessionState::AuthFailed);
    assert!(matches!(
        h.session.state_reason(),
        Some(StateReason::SaslFailed { reason, .. }) if reason.to_string() == "unexpected server token"
    ));
}

#[test]
fn hostile_digest_challenge_is_auth_failed() {
    let mut h = Harness::new(sasl_config(SaslConfig::digest_md5("bob", "pw")));
    h.establish(T, SID);
    let frames = h.flush();
    assert_eq!(
        requests(&frames),
        vec![(1, sasl_token(b""))],
        "no initial response"
    );
    h.deliver(&server_token(1, b"nonce=\"unterminated"));
    assert_eq!(h.session.state(), SessionState::AuthFailed);
}

#[test]
fn every_reconnect_authenticates_before_auths_and_requests() {
    let mut h = Harness::new(sasl_config(SaslConfig::custom(Scripted)));
    complete_exchange(&mut h);
    h.session
        .add_auth("digest", Bytes::from_static(b"u:p"), h.now)
        .unwrap();
    h.flush();
    h.server_close();
    h.take_events();
    let id = h.submit(Request::get_data("/x", false));
    let after = complete_exchange(&mut h);
    let ops: Vec<_> = requests(&after)
        .into_iter()
        .map(|(_, r)| r.op_code())
        .collect();
    assert_eq!(
        ops,
        vec![zk_proto::OpCode::Auth, zk_proto::OpCode::GetData],
        "the auth replay, then the queue, after the exchange"
    );
    assert_eq!(states(&h.events), vec![KeeperState::SyncConnected]);
    assert!(
        h.session.outstanding() == 1 && replies(&h.events).is_empty(),
        "{id:?} waits"
    );
}

#[test]
fn connection_lost_during_the_exchange_reports_no_disconnect() {
    let mut h = Harness::new(sasl_config(SaslConfig::custom(Scripted)));
    handshake_then_first_token(&mut h);
    h.server_close();
    assert_eq!(states(&h.events), vec![], "it never reported Connected");
    assert_eq!(h.session.state(), SessionState::Connecting);
}

#[test]
fn config_debug_redacts_the_password() {
    let shown = format!(
        "{:?}",
        sasl_config(SaslConfig::digest_md5("bob", "hunter2"))
    );
    assert!(
        shown.contains("bob") && !shown.contains("hunter2"),
        "{shown}"
    );
}
