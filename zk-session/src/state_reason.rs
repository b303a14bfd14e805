//! Why the session left a connection or ended: what an [`crate::Event::State`] says
//! besides the new state, so that an application can tell "server closed the
//! connection" from "no reply within the read timeout" without reading logs.

use std::fmt;
use std::time::Duration;

use crate::connect_string::HostAddr;
use crate::error::{CloseReason, DisconnectCause};
use crate::sasl::SaslError;

/// Why the session became `Disconnected`, `Expired`, `AuthFailed` or `Closed`.
/// Its `Display` is a sentence for a log line or an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateReason {
    /// The session dropped its connection to `host` (see [`CloseReason`]).
    Dropped {
        /// The server the connection went to.
        host: HostAddr,
        /// What the session saw.
        reason: CloseReason,
    },
    /// The driver reported that the connection to `host` ended.
    Lost {
        /// The server the connection went to.
        host: HostAddr,
        /// How it ended, as the driver saw it.
        cause: DisconnectCause,
    },
    /// `host` answered the handshake with "this session has expired".
    ExpiredByServer {
        /// The server that answered.
        host: HostAddr,
    },
    /// No server was heard from for `silent_for` (4/3 of the session timeout, see
    /// [`crate::Config::client_side_expiry`]): the client ended the session, as the
    /// servers will have expired it. That is the client's judgement: an ensemble that
    /// was electing a leader meanwhile (no server serving) may keep the session up to
    /// the session timeout after it serves again, and its ephemeral nodes with it. A
    /// program that creates them again on a new session should expect `NodeExists`
    /// for an ephemeral node of the old session until then (its `ephemeral_owner`
    /// says whose it is).
    ExpiredUnheard {
        /// How long nothing was heard.
        silent_for: Duration,
    },
    /// `host` rejected an auth packet (error −115).
    AuthRejected {
        /// The server that rejected it.
        host: HostAddr,
    },
    /// `host` requires clients to authenticate before any request
    /// (`enforce.auth.enabled`, with the schemes of `enforce.auth.schemes`, usually
    /// `sasl`), answered one of this session's requests with error −124
    /// (SESSIONCLOSEDREQUIRESASLAUTH) and closed the connection: every server of the
    /// ensemble would, so the session ends instead of redialling.
    AuthRequired {
        /// The server that required it.
        host: HostAddr,
    },
    /// SASL authentication with `host` failed: the server refused the credentials,
    /// or its tokens were malformed or failed to prove it knows them.
    SaslFailed {
        /// The server of the exchange.
        host: HostAddr,
        /// The mechanism's SASL name (`DIGEST-MD5`).
        mechanism: String,
        /// What went wrong.
        reason: SaslError,
    },
    /// The application closed the session. `confirmed`: a server answered
    /// closeSession (the session's ephemeral nodes are gone); otherwise the close
    /// timeout passed, or no server held the session yet.
    ClosedByApplication {
        /// Whether a server confirmed the close.
        confirmed: bool,
    },
}

impl fmt::Display for StateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateReason::Dropped { host, reason } => match reason {
                CloseReason::ReadTimeout => {
                    write!(f, "no reply from {host} within the read timeout (ping)")
                }
                CloseReason::ConnectTimeout => {
                    write!(
                        f,
                        "no handshake answer from {host} within the connect timeout"
                    )
                }
                CloseReason::RequestTimeout => {
                    write!(
                        f,
                        "a request to {host} got no reply within the request timeout"
                    )
                }
                CloseReason::MovingToReadWrite => {
                    write!(f, "left read-only server {host} for a read-write one")
                }
                CloseReason::MovingToNewHost { to } => {
                    write!(f, "left {host} for {to}, of the new host list")
                }
                CloseReason::SessionEnded => write!(f, "session ended (connection to {host})"),
                other => write!(f, "dropped the connection to {host}: {other}"),
            },
            StateReason::Lost { host, cause } => match cause {
                DisconnectCause::ConnectFailed => write!(f, "could not connect to {host}"),
                DisconnectCause::Eof => write!(f, "server {host} closed the connection"),
                DisconnectCause::Io => write!(f, "reading from or writing to {host} failed"),
            },
            StateReason::ExpiredByServer { host } => {
                write!(f, "server {host} reports the session expired")
            }
            StateReason::ExpiredUnheard { silent_for } => write!(
                f,
                "no server heard from for {} ms, 4/3 of the session timeout",
                silent_for.as_millis()
            ),
            StateReason::AuthRejected { host } => {
                write!(f, "server {host} rejected the credentials")
            }
            StateReason::AuthRequired { host } => write!(
                f,
                "server {host} requires SASL authentication before any request \
                 (SESSIONCLOSEDREQUIRESASLAUTH, -124: its enforce.auth.enabled) and closed \
                 the session: configure SASL in the client's options (sasl_digest), or \
                 authenticate with a scheme the server's enforce.auth.schemes lists, and \
                 connect again"
            ),
            StateReason::SaslFailed {
                host,
                mechanism,
                reason,
            } => write!(
                f,
                "SASL {mechanism} authentication with {host} failed: {reason}"
            ),
            StateReason::ClosedByApplication { confirmed: true } => {
                write!(f, "closed by the application")
            }
            StateReason::ClosedByApplication { confirmed: false } => write!(
                f,
                "closed by the application, without a server's confirmation"
            ),
        }
    }
}
