//! No public type prints a password, credentials or an auth token: every type that
//! can hold one is built with a known secret and formatted with `{:?}`, `{:#?}` (and
//! `Display` where it has one); neither the secret nor its hex, base64 or byte-list
//! forms may appear, while the scheme and the digest user still do.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use bytes::Bytes;
use zk_proto::redact::RedactedAuth;
use zk_proto::{
    AuthPacket, ConnectRequest, ConnectResponse, GetSaslRequest, SetSaslResponse, WireRequest,
};
use zk_session::{Config, Session, SessionCredentials};

/// The secret every value is built with: 16 bytes, the length of a session password.
const SECRET: &str = "hunter2-secret16";
const USER: &str = "alice";

/// Nowhere to connect to: the clients below are formatted, never connected.
const NOWHERE: &str = "127.0.0.1:1";

fn digest_auth() -> String {
    format!("{USER}:{SECRET}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The forms in which the secret could leak: as text, hex, base64 (of the secret
/// and of the digest credentials), and as `Debug` prints a byte list.
fn leaked_forms() -> Vec<String> {
    let secret = SECRET.as_bytes();
    let byte_list = format!("{:?}", &secret[..4]);
    vec![
        SECRET.to_string(),
        hex(secret),
        hex(secret).to_uppercase(),
        base64(secret),
        base64(digest_auth().as_bytes()),
        byte_list.trim_end_matches(']').to_string(),
    ]
}

/// Asserts that `shown` (what `what` printed) leaks no form of the secret.
fn assert_no_secret(what: &str, shown: &str) {
    for form in leaked_forms() {
        assert!(!shown.contains(&form), "{what} shows {form:?}: {shown}");
    }
}

/// `{:?}` and `{:#?}` of `value`, checked for the secret; returns the first.
fn debug_without_secret(what: &str, value: &impl Debug) -> String {
    let shown = format!("{value:?}");
    assert_no_secret(what, &shown);
    assert_no_secret(what, &format!("{value:#?}"));
    shown
}

fn assert_shows_digest_user(what: &str, shown: &str) {
    assert!(
        shown.contains(&format!("digest:{USER}:<redacted>")),
        "{what} should show the scheme and user: {shown}"
    );
}

fn credentials() -> SessionCredentials {
    SessionCredentials {
        session_id: 0x1234,
        password: SECRET.as_bytes().to_vec(),
    }
}

fn options() -> zk_blocking::Options {
    zk_blocking::Options::new()
        .auth("digest", digest_auth())
        .resume(credentials())
        .close_timeout(Duration::from_millis(50))
        .sasl_digest(USER, SECRET)
}

#[test]
fn the_auth_packet_shows_scheme_and_user_only() {
    let packet = AuthPacket::new("digest", digest_auth());
    let shown = debug_without_secret("AuthPacket", &packet);
    assert_shows_digest_user("AuthPacket", &shown);
    let request = WireRequest::Auth(Box::new(packet));
    let shown = debug_without_secret("WireRequest::Auth", &request);
    assert_shows_digest_user("WireRequest::Auth", &shown);
}

#[test]
fn redacted_auth_displays_scheme_and_user_only() {
    let auth = digest_auth();
    let shown = RedactedAuth::new("digest", auth.as_bytes()).to_string();
    assert_no_secret("RedactedAuth", &shown);
    assert_eq!(shown, format!("digest:{USER}:<redacted>"));
}

#[test]
fn sasl_tokens_are_redacted() {
    let token = Bytes::from_static(SECRET.as_bytes());
    debug_without_secret(
        "GetSaslRequest",
        &GetSaslRequest {
            token: token.clone(),
        },
    );
    debug_without_secret("SetSaslResponse", &SetSaslResponse { token });
}

#[test]
fn the_handshake_records_redact_the_password() {
    let passwd = Bytes::from_static(SECRET.as_bytes());
    let request = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        timeout: 30_000,
        session_id: 0x1234,
        passwd: passwd.clone(),
        read_only: false,
    };
    debug_without_secret("ConnectRequest", &request);
    let response = ConnectResponse {
        protocol_version: 0,
        timeout: 30_000,
        session_id: 0x1234,
        passwd,
        read_only: Some(false),
    };
    debug_without_secret("ConnectResponse", &response);
}

#[test]
fn a_frame_decoder_holding_a_handshake_shows_no_bytes() {
    let mut decoder = zk_proto::FrameDecoder::new();
    let mut frame = bytes::BytesMut::new();
    let response = ConnectResponse {
        protocol_version: 0,
        timeout: 30_000,
        session_id: 0x1234,
        passwd: Bytes::from_static(SECRET.as_bytes()),
        read_only: Some(false),
    };
    zk_proto::encode_frame(&response, &mut frame);
    // all but the last byte: the frame stays buffered
    decoder.extend_from_slice(&frame[..frame.len() - 1]);
    debug_without_secret("FrameDecoder", &decoder);
}

#[test]
fn session_credentials_show_the_id_not_the_password() {
    let shown = debug_without_secret("SessionCredentials", &credentials());
    assert!(shown.contains("0x1234"), "{shown}");
}

#[test]
fn the_session_and_its_config_redact_password_and_credentials() {
    let mut config = Config::new(NOWHERE);
    config.resume = Some(credentials());
    config.sasl = Some(zk_session::SaslConfig::digest_md5(USER, SECRET));
    debug_without_secret("Config", &config);
    let now = Instant::now();
    let mut session = Session::new(config, now).unwrap();
    session
        .add_auth("digest", Bytes::from(digest_auth()), now)
        .unwrap();
    // a dial asked for and answered: the handshake (with the password) is written
    if let Some(zk_session::Transport::Connect { conn, .. }) = session.poll_transport(now) {
        session.handle_connected(conn, now);
    }
    let shown = debug_without_secret("Session", &session);
    assert_shows_digest_user("Session", &shown);
}

#[test]
fn options_show_the_auth_scheme_and_user_only() {
    let shown = debug_without_secret("Options", &options());
    assert_shows_digest_user("Options", &shown);
}

#[test]
fn the_blocking_clients_redact_password_and_credentials() {
    let client = zk_blocking::Client::start(NOWHERE, options()).unwrap();
    debug_without_secret("Client", &client);
    client.forget();
    let driver = zk_blocking::ExternalDriver::new(NOWHERE, options()).unwrap();
    let shown = debug_without_secret("ExternalDriver", &driver);
    assert_shows_digest_user("ExternalDriver", &shown);
    let shared = zk_blocking::SharedClient::start(NOWHERE, options()).unwrap();
    debug_without_secret("SharedClient", &shared);
}

#[tokio::test]
async fn the_tokio_client_redacts_password_and_credentials() {
    let client = zk_tokio::Client::start(NOWHERE, options()).unwrap();
    debug_without_secret("zk_tokio::Client", &client);
}
