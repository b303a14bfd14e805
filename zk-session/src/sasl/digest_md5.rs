//! DIGEST-MD5 (RFC 2831) as ZooKeeper's `DigestLoginModule` and
//! `SASLAuthenticationProvider` speak it: service `zookeeper`, server name
//! `zk-sasl-md5` (hard-wired on both sides, whatever host the client dialled),
//! qop `auth`, UTF-8 credentials. The client sends no initial response, answers the
//! challenge with its digest, and checks the server's `rspauth`, which proves the
//! server knows the password too, before it calls the exchange complete.

use std::fmt;

use md5::{Digest, Md5};
use zk_proto::redact::Redacted;

use super::challenge::{self, Directive};
use super::{SASL_RANDOM_LEN, SaslError, SaslMechanism, SaslMechanismFactory, SaslStep};
use crate::connect_string::HostAddr;

/// The SASL service ZooKeeper registers.
const SERVICE: &str = "zookeeper";
/// The server name ZooKeeper's DIGEST-MD5 server uses, whatever its host.
const SERVER_NAME: &str = "zk-sasl-md5";
/// The nonce count: one authentication per nonce.
const NONCE_COUNT: &str = "00000001";
/// The receive buffer size announced; irrelevant without a security layer.
const MAX_BUF: u32 = 65536;

/// The DIGEST-MD5 factory: user and password. `Debug` redacts the password.
pub(super) struct DigestMd5 {
    user: String,
    password: String,
}

impl DigestMd5 {
    pub(super) fn new(user: String, password: String) -> DigestMd5 {
        DigestMd5 { user, password }
    }
}

impl fmt::Debug for DigestMd5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestMd5")
            .field("user", &self.user)
            .field("password", &Redacted)
            .finish()
    }
}

impl SaslMechanismFactory for DigestMd5 {
    fn name(&self) -> &str {
        "DIGEST-MD5"
    }

    fn begin(&self, _host: &HostAddr, random: [u8; SASL_RANDOM_LEN]) -> Box<dyn SaslMechanism> {
        Box::new(Exchange::new(
            &self.user,
            &self.password,
            format!("{SERVICE}/{SERVER_NAME}"),
            hex(&random),
        ))
    }
}

/// Where an exchange is.
enum Stage {
    /// Waiting for the server's challenge.
    Challenge,
    /// The digest was sent; waiting for the server's `rspauth`, which must equal this.
    ServerProof(String),
    /// Complete, or failed: no further token is acceptable.
    Over,
}

/// One DIGEST-MD5 exchange.
struct Exchange {
    user: String,
    password: String,
    digest_uri: String,
    cnonce: String,
    stage: Stage,
}

impl Exchange {
    fn new(user: &str, password: &str, digest_uri: String, cnonce: String) -> Exchange {
        Exchange {
            user: user.to_string(),
            password: password.to_string(),
            digest_uri,
            cnonce,
            stage: Stage::Challenge,
        }
    }

    /// The response to `challenge`, and the `rspauth` the server must answer with.
    fn respond(&self, challenge: &[u8]) -> Result<(String, String), SaslError> {
        let directives = challenge::parse(challenge)?;
        let realm = first(&directives, "realm").unwrap_or("");
        let nonce = only(&directives, "nonce")?
            .ok_or_else(|| SaslError::new("the challenge has no nonce"))?;
        if let Some(qop) = only(&directives, "qop")? {
            if !qop.split(',').any(|q| q.trim() == "auth") {
                return Err(SaslError::new(format!(
                    "the server offers qop {qop:?}, not \"auth\""
                )));
            }
        }
        match only(&directives, "algorithm")? {
            Some("md5-sess") => {}
            other => {
                return Err(SaslError::new(format!(
                    "the challenge's algorithm is {other:?}, not \"md5-sess\""
                )));
            }
        }
        let utf8 = only(&directives, "charset")? == Some("utf-8");
        // Without `charset=utf-8` the strings are ISO 8859-1; ASCII is the same in both.
        let ascii = self.user.is_ascii() && self.password.is_ascii() && realm.is_ascii();
        if !utf8 && !ascii {
            return Err(SaslError::new(
                "the server does not accept UTF-8, and the credentials are not ASCII",
            ));
        }
        let response = self.digest(realm, nonce, "AUTHENTICATE");
        let rspauth = self.digest(realm, nonce, "");
        let mut token = String::new();
        if utf8 {
            token.push_str("charset=utf-8,");
        }
        token.push_str(&format!("username={}", challenge::quote(&self.user)));
        if !realm.is_empty() {
            token.push_str(&format!(",realm={}", challenge::quote(realm)));
        }
        token.push_str(&format!(
            ",nonce={},nc={NONCE_COUNT},cnonce={},digest-uri={},maxbuf={MAX_BUF},response={response},qop=auth",
            challenge::quote(nonce),
            challenge::quote(&self.cnonce),
            challenge::quote(&self.digest_uri),
        ));
        Ok((token, rspauth))
    }

    /// RFC 2831 §2.1.2.1: the `response` value with `method` "AUTHENTICATE"; the
    /// `rspauth` value with an empty one.
    fn digest(&self, realm: &str, nonce: &str, method: &str) -> String {
        let secret = md5(format!("{}:{realm}:{}", self.user, self.password).as_bytes());
        let mut a1 = secret.to_vec();
        a1.extend_from_slice(format!(":{nonce}:{}", self.cnonce).as_bytes());
        let ha1 = hex(&md5(&a1));
        let ha2 = hex(&md5(format!("{method}:{}", self.digest_uri).as_bytes()));
        let kd = format!("{ha1}:{nonce}:{NONCE_COUNT}:{}:auth:{ha2}", self.cnonce);
        hex(&md5(kd.as_bytes()))
    }
}

impl SaslMechanism for Exchange {
    fn start(&mut self) -> Result<Vec<u8>, SaslError> {
        Ok(Vec::new())
    }

    fn step(&mut self, server_token: &[u8]) -> Result<SaslStep, SaslError> {
        match std::mem::replace(&mut self.stage, Stage::Over) {
            // A server without SASL (no JAAS `Server` section) answers the first
            // token with an empty, or null, one: its SASL server is missing.
            Stage::Challenge if server_token.is_empty() => Err(SaslError::new(
                "the server answered with an empty challenge: it has no SASL configured \
                 (it needs a JAAS `Server` section with DigestLoginModule users, and \
                 authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider); \
                 configure it there, or connect without SASL",
            )),
            Stage::Challenge => {
                let (response, rspauth) = self.respond(server_token)?;
                self.stage = Stage::ServerProof(rspauth);
                Ok(SaslStep::Respond(response.into_bytes()))
            }
            Stage::ServerProof(expected) => {
                let directives = challenge::parse(server_token)?;
                match only(&directives, "rspauth")? {
                    Some(got) if got == expected => Ok(SaslStep::Done),
                    Some(_) => Err(SaslError::new(
                        "the server's rspauth is wrong: it does not know the password",
                    )),
                    None => Err(SaslError::new("the server's last token has no rspauth")),
                }
            }
            Stage::Over => Err(SaslError::new(
                "the server sent a token after the exchange ended",
            )),
        }
    }
}

/// The value of the first directive `key` (realm may repeat: the first is used).
fn first<'a>(directives: &'a [Directive], key: &str) -> Option<&'a str> {
    directives
        .iter()
        .find(|d| d.key == key)
        .map(|d| d.value.as_str())
}

/// The value of the directive `key`, which must not repeat (RFC 2831 §2.1.1).
fn only<'a>(directives: &'a [Directive], key: &str) -> Result<Option<&'a str>, SaslError> {
    let mut found = directives.iter().filter(|d| d.key == key);
    let value = found.next().map(|d| d.value.as_str());
    if found.next().is_some() {
        return Err(SaslError::new(format!("directive {key:?} appears twice")));
    }
    Ok(value)
}

fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2831 §4's example: user "chris", password "secret".
    fn rfc_exchange() -> Exchange {
        Exchange::new(
            "chris",
            "secret",
            "imap/elwood.innosoft.com".to_string(),
            "OA6MHXh6VqTrRk".to_string(),
        )
    }

    const RFC_CHALLENGE: &str = r#"realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8"#;

    fn respond(exchange: &mut Exchange, token: &str) -> String {
        match exchange.step(token.as_bytes()).unwrap() {
            SaslStep::Respond(bytes) => String::from_utf8(bytes).unwrap(),
            SaslStep::Done => panic!("expected a response"),
        }
    }

    #[test]
    fn rfc_2831_example_response() {
        let mut exchange = rfc_exchange();
        assert_eq!(exchange.start().unwrap(), b"");
        let response = respond(&mut exchange, RFC_CHALLENGE);
        assert_eq!(
            response,
            "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",\
             nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\",\
             digest-uri=\"imap/elwood.innosoft.com\",maxbuf=65536,\
             response=d388dad90d4bbd760a152321f2143af7,qop=auth"
        );
    }

    #[test]
    fn rfc_2831_example_rspauth_completes() {
        let mut exchange = rfc_exchange();
        respond(&mut exchange, RFC_CHALLENGE);
        let done = exchange.step(b"rspauth=ea40f60335c427b5527b84dbabcdfffd");
        assert_eq!(done, Ok(SaslStep::Done));
    }

    #[test]
    fn an_empty_challenge_says_the_server_has_no_sasl() {
        let mut exchange = rfc_exchange();
        let err = exchange.step(b"").unwrap_err();
        assert!(err.to_string().contains("has no SASL configured"), "{err}");
    }

    #[test]
    fn wrong_rspauth_fails() {
        let mut exchange = rfc_exchange();
        respond(&mut exchange, RFC_CHALLENGE);
        let err = exchange
            .step(b"rspauth=00000000000000000000000000000000")
            .unwrap_err();
        assert!(
            err.to_string().contains("does not know the password"),
            "{err}"
        );
    }

    #[test]
    fn token_after_completion_fails() {
        let mut exchange = rfc_exchange();
        respond(&mut exchange, RFC_CHALLENGE);
        exchange
            .step(b"rspauth=ea40f60335c427b5527b84dbabcdfffd")
            .unwrap();
        assert!(exchange.step(b"").is_err());
    }

    #[test]
    fn zookeeper_digest_uri_and_realm() {
        let factory = DigestMd5::new("bob".to_string(), "pw".to_string());
        let host = HostAddr {
            host: "127.0.0.1".to_string(),
            port: 2181,
        };
        let mut exchange = factory.begin(&host, [0xab; SASL_RANDOM_LEN]);
        let challenge = br#"realm="zk-sasl-md5",nonce="n1",charset=utf-8,algorithm=md5-sess"#;
        let Ok(SaslStep::Respond(response)) = exchange.step(challenge) else {
            panic!("expected a response");
        };
        let response = String::from_utf8(response).unwrap();
        assert!(response.contains(r#"digest-uri="zookeeper/zk-sasl-md5""#));
        assert!(response.contains(r#"realm="zk-sasl-md5""#));
        assert!(response.contains(&format!(r#"cnonce="{}""#, "ab".repeat(16))));
    }

    #[test]
    fn hostile_challenges_fail_without_panic() {
        let hostile: [&[u8]; 8] = [
            b"",
            b"realm=x",
            br#"nonce="a",nonce="b",algorithm=md5-sess"#,
            br#"nonce="a",qop="auth-conf",algorithm=md5-sess"#,
            br#"nonce="a",algorithm=md5"#,
            br#"nonce="a",algorithm=md5-sess,charset="utf-8",charset=x"#,
            b"nonce=\"\xff\",algorithm=md5-sess",
            &[b'='; 5000],
        ];
        for token in hostile {
            let mut exchange = rfc_exchange();
            assert!(
                exchange.step(token).is_err(),
                "{:?} should fail",
                String::from_utf8_lossy(token)
            );
            assert!(exchange.step(RFC_CHALLENGE.as_bytes()).is_err(), "no retry");
        }
    }

    #[test]
    fn non_ascii_credentials_need_utf8() {
        let mut exchange = Exchange::new("jürgen", "pw", "x/y".to_string(), "c".to_string());
        let err = exchange
            .step(br#"nonce="n",algorithm=md5-sess"#)
            .unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn debug_redacts_the_password() {
        let shown = format!("{:?}", DigestMd5::new("bob".into(), "hunter2".into()));
        assert!(
            shown.contains("bob") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
