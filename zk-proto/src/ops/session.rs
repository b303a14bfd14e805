//! auth (100), sasl (102), whoAmI (107); ping (11) and closeSession (-11) have no body.

use std::fmt;

use bytes::Bytes;

use crate::ClientInfo;
use crate::redact::{Redacted, RedactedAuth};

record! {
    secret;
    /// Request of auth (100, xid -4): `type:int (=0), scheme, auth:buffer`. No response
    /// body. `Debug` shows the scheme and a digest user, never the credentials.
    pub struct AuthPacket {
        /// Always 0.
        pub auth_type: i32,
        /// The scheme (e.g. `digest`).
        pub scheme: String,
        /// The credentials (for `digest`: `user:password`).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub auth: Bytes,
    }
}

impl fmt::Debug for AuthPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthPacket")
            .field("auth_type", &self.auth_type)
            .field("scheme", &self.scheme)
            .field("auth", &RedactedAuth::new(&self.scheme, &self.auth))
            .finish()
    }
}

impl fmt::Debug for GetSaslRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetSaslRequest")
            .field("token", &Redacted)
            .finish()
    }
}

impl fmt::Debug for SetSaslResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetSaslResponse")
            .field("token", &Redacted)
            .finish()
    }
}

impl AuthPacket {
    /// An auth packet with type 0.
    pub fn new(scheme: impl Into<String>, auth: impl Into<Bytes>) -> Self {
        AuthPacket {
            auth_type: 0,
            scheme: scheme.into(),
            auth: auth.into(),
        }
    }
}

record! {
    secret;
    /// Request of sasl (102): `token:buffer`. `Debug` redacts the token.
    pub struct GetSaslRequest {
        /// The client's SASL token.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub token: Bytes,
    }
}

record! {
    secret;
    /// Response of sasl (102): `token:buffer`. `Debug` redacts the token.
    pub struct SetSaslResponse {
        /// The server's SASL token.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub token: Bytes,
    }
}

record! {
    /// Response of whoAmI (107, 3.7+; the request has no body):
    /// `clientInfo:vector<ClientInfo>`.
    pub struct WhoAmIResponse {
        /// One entry per authenticated id of the connection.
        pub client_info: Vec<ClientInfo>,
    }
}
