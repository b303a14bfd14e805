//! The handshake: the first frame each way, with no header.

use std::fmt;

use bytes::{BufMut, Bytes};

use crate::jute::{Decode, DecodeError, Encode, Field, Reader};
use crate::redact::Redacted;

/// Length of a session password.
pub const PASSWORD_LEN: usize = 16;

/// The first client frame (45 bytes with the readOnly byte, which [`Encode`] always writes).
///
/// Decoding accepts the 44-byte form without the readOnly byte (it reads as `false`).
/// `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ConnectRequest {
    /// Always 0.
    pub protocol_version: i32,
    /// Highest zxid seen (0 when fresh).
    pub last_zxid_seen: i64,
    /// Requested session timeout in ms.
    pub timeout: i32,
    /// 0 for a new session, else the id to re-attach.
    pub session_id: i64,
    /// Session password (16 zero bytes for a new session).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
    pub passwd: Bytes,
    /// Whether the client accepts a read-only server.
    pub read_only: bool,
}

impl ConnectRequest {
    /// Encoded length with a 16-byte password: 45 bytes.
    pub const LEN: usize = 45;

    /// A request for a new session with the given timeout.
    pub fn new_session(timeout_ms: i32, read_only: bool) -> Self {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout: timeout_ms,
            session_id: 0,
            passwd: Bytes::from_static(&[0; PASSWORD_LEN]),
            read_only,
        }
    }
}

impl Encode for ConnectRequest {
    fn encoded_len(&self) -> usize {
        4 + 8 + 4 + 8 + self.passwd.field_len() + 1
    }
    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_i32(self.protocol_version);
        buf.put_i64(self.last_zxid_seen);
        buf.put_i32(self.timeout);
        buf.put_i64(self.session_id);
        self.passwd.put(buf);
        self.read_only.put(buf);
    }
}

impl Decode for ConnectRequest {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        const R: &str = "ConnectRequest";
        let protocol_version = r.read_i32(R, "protocol_version")?;
        let last_zxid_seen = r.read_i64(R, "last_zxid_seen")?;
        let timeout = r.read_i32(R, "timeout")?;
        let session_id = r.read_i64(R, "session_id")?;
        let passwd = Bytes::take(r, R, "passwd")?;
        let read_only = if r.is_empty() {
            false
        } else {
            r.read_bool(R, "read_only")?
        };
        Ok(ConnectRequest {
            protocol_version,
            last_zxid_seen,
            timeout,
            session_id,
            passwd,
            read_only,
        })
    }
}

/// The first server frame: 36 bytes without the readOnly byte (servers answering an
/// "old" client) or 37 with it. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ConnectResponse {
    /// Always 0.
    pub protocol_version: i32,
    /// Negotiated session timeout in ms; **<= 0 means the session is invalid or expired**.
    pub timeout: i32,
    /// The session id (0 on failure).
    pub session_id: i64,
    /// The session password (16 bytes; zeros on failure).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
    pub passwd: Bytes,
    /// The readOnly byte: `None` if the server left it out (36-byte reply).
    /// Encoding writes it only when `Some`.
    pub read_only: Option<bool>,
}

impl fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("protocol_version", &self.protocol_version)
            .field("last_zxid_seen", &self.last_zxid_seen)
            .field("timeout", &self.timeout)
            .field("session_id", &self.session_id)
            .field("passwd", &Redacted)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl fmt::Debug for ConnectResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectResponse")
            .field("protocol_version", &self.protocol_version)
            .field("timeout", &self.timeout)
            .field("session_id", &self.session_id)
            .field("passwd", &Redacted)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl ConnectResponse {
    /// Whether the server is in read-only mode (a missing byte reads as `false`).
    pub fn is_read_only(&self) -> bool {
        self.read_only.unwrap_or(false)
    }

    /// Whether the server refused the session (timeout <= 0): it has expired or the
    /// password was wrong.
    pub fn is_expired(&self) -> bool {
        self.timeout <= 0
    }
}

impl Encode for ConnectResponse {
    fn encoded_len(&self) -> usize {
        4 + 4 + 8 + self.passwd.field_len() + usize::from(self.read_only.is_some())
    }
    fn encode(&self, buf: &mut impl BufMut) {
        buf.put_i32(self.protocol_version);
        buf.put_i32(self.timeout);
        buf.put_i64(self.session_id);
        self.passwd.put(buf);
        if let Some(ro) = self.read_only {
            ro.put(buf);
        }
    }
}

impl Decode for ConnectResponse {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        const R: &str = "ConnectResponse";
        let protocol_version = r.read_i32(R, "protocol_version")?;
        let timeout = r.read_i32(R, "timeout")?;
        let session_id = r.read_i64(R, "session_id")?;
        let passwd = Bytes::take(r, R, "passwd")?;
        let read_only = if r.is_empty() {
            None
        } else {
            Some(r.read_bool(R, "read_only")?)
        };
        Ok(ConnectResponse {
            protocol_version,
            timeout,
            session_id,
            passwd,
            read_only,
        })
    }
}
