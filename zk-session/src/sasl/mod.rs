//! SASL authentication: the mechanism trait the session drives, without IO, over
//! ZooKeeper's `sasl` request (op 102), and the DIGEST-MD5 mechanism that ships.
//!
//! The session runs one exchange per connection, right after the handshake: it asks
//! the configured [`SaslMechanismFactory`] for a fresh [`SaslMechanism`], writes
//! its [`SaslMechanism::start`] token, and answers each server token with
//! [`SaslMechanism::step`] until the mechanism says [`SaslStep::Done`]. Nothing
//! else is written meanwhile. A mechanism never does IO, reads no clock and draws
//! no randomness of its own: the session hands it 16 bytes from its seeded
//! generator.

mod challenge;
mod digest_md5;

use std::fmt;
use std::sync::Arc;

use crate::connect_string::HostAddr;

/// Bytes of randomness the session gives each exchange ([`SaslMechanismFactory::begin`]).
pub const SASL_RANDOM_LEN: usize = 16;

/// What a mechanism does with a server token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslStep {
    /// Send this token to the server, and wait for its answer.
    Respond(Vec<u8>),
    /// Authenticated: the server proved itself where the mechanism can check it
    /// (DIGEST-MD5's `rspauth`). Nothing more is sent.
    Done,
}

/// Why an exchange failed on the client side: the session becomes `AuthFailed` with
/// this reason ([`crate::StateReason::SaslFailed`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SaslError(String);

impl SaslError {
    /// An error saying `reason` (a sentence for an operator, without secrets).
    pub fn new(reason: impl Into<String>) -> SaslError {
        SaslError(reason.into())
    }
}

/// One SASL exchange on one connection: tokens in, tokens out.
///
/// Implementations must not panic on any server token and must bound what they
/// allocate from it: the tokens come from the network.
pub trait SaslMechanism: Send {
    /// The client's first token: empty for a mechanism without an initial response
    /// (DIGEST-MD5).
    fn start(&mut self) -> Result<Vec<u8>, SaslError>;

    /// The server's next token; what to send back, or that the exchange is complete.
    fn step(&mut self, server_token: &[u8]) -> Result<SaslStep, SaslError>;
}

/// Makes a fresh [`SaslMechanism`] for every connection. `Debug` must not show
/// secrets.
pub trait SaslMechanismFactory: Send + Sync + fmt::Debug {
    /// The mechanism's SASL name, for logs (`DIGEST-MD5`).
    fn name(&self) -> &str;

    /// A new exchange with the server `host`, with `random` bytes from the
    /// session's seeded generator (nonces).
    fn begin(&self, host: &HostAddr, random: [u8; SASL_RANDOM_LEN]) -> Box<dyn SaslMechanism>;
}

/// The SASL mechanism a session authenticates with ([`crate::Config::sasl`]).
///
/// A shared factory rather than an enum of mechanisms: the config stays `Clone` and
/// `Debug` whatever the mechanism holds, and a custom mechanism
/// ([`SaslConfig::custom`]) plugs in without the session knowing it.
///
/// # GSSAPI (Kerberos)
///
/// Not shipped. It would be another [`SaslMechanismFactory`]: `begin` gets the
/// server's [`HostAddr`] (GSSAPI names the service principal
/// `zookeeper/<host>@REALM` after it), and the exchange wraps a GSS-API security
/// context (for example the `libgssapi` crate) whose `step` feeds each server token
/// to `gss_init_sec_context`. What it needs beyond this trait: the ticket-granting
/// and service tickets already in the ticket cache, since `gss_init_sec_context`
/// would otherwise ask the KDC, network IO inside a session call (a driver would
/// `kinit` and fetch the service ticket beforehand, and again before they expire);
/// and the final security
/// layer negotiation (RFC 4752 §3.1: unwrap the server's last token, answer with
/// "no security layer"), which is one more `Respond` before `Done`.
#[derive(Clone)]
pub struct SaslConfig(Arc<dyn SaslMechanismFactory>);

impl SaslConfig {
    /// DIGEST-MD5 (RFC 2831) as ZooKeeper's `DigestLoginModule` serves it (qop
    /// `auth`). The server knows the user as `sasl:<user>` (whoAmI, ACLs).
    /// `Debug` redacts the password.
    pub fn digest_md5(user: impl Into<String>, password: impl Into<String>) -> SaslConfig {
        SaslConfig(Arc::new(digest_md5::DigestMd5::new(
            user.into(),
            password.into(),
        )))
    }

    /// Another mechanism, such as GSSAPI (see above).
    pub fn custom(factory: impl SaslMechanismFactory + 'static) -> SaslConfig {
        SaslConfig(Arc::new(factory))
    }

    /// The mechanism's SASL name.
    pub fn mechanism(&self) -> &str {
        self.0.name()
    }

    /// A new exchange for a connection to `host`.
    pub(crate) fn begin(
        &self,
        host: &HostAddr,
        random: [u8; SASL_RANDOM_LEN],
    ) -> Box<dyn SaslMechanism> {
        self.0.begin(host, random)
    }
}

impl fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
