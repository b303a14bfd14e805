//! `Debug` for [`Session`] without secrets: the session password and the
//! credentials replayed after every handshake are redacted (auth shows its scheme and
//! a digest user), and the connection's buffers, which hold the handshake and auth
//! packets as written, are left out. Queues show their lengths.

use std::fmt;

use zk_proto::redact::{Redacted, RedactedAuth};

use crate::id::HexSessionId;

use super::Session;

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auths: Vec<RedactedAuth<'_>> = self
            .auths
            .iter()
            .map(|(scheme, auth)| RedactedAuth::new(scheme, auth))
            .collect();
        let conn = self
            .conn
            .as_ref()
            .map(|c| (c.id(), c.host().to_string(), c.stage()));
        f.debug_struct("Session")
            .field("settings", &self.settings)
            .field("chroot", &self.chroot)
            .field("state", &self.state)
            .field("session_id", &HexSessionId(self.session_id))
            .field("password", &Redacted)
            .field("known_to_quorum", &self.known_to_quorum)
            .field("negotiated", &self.negotiated)
            .field("last_zxid", &self.last_zxid)
            .field("last_heard", &self.last_heard)
            .field("latest_now", &self.latest_now)
            .field("conn", &conn)
            .field("redial", &self.redial)
            .field("probe", &self.probe)
            .field("outstanding", &self.requests.outstanding())
            .field("auths", &auths)
            .field("watches", &self.watches.len())
            .field("transports", &self.transports)
            .field("queued_events", &self.events.len())
            .field("stray_notifications", &self.stray_notifications)
            .field("state_reason", &self.state_reason)
            .field("close_deadline", &self.close_deadline)
            .field("close_pending", &self.close_pending)
            .field("sasl_exchange_running", &self.sasl_exchange.is_some())
            .finish()
    }
}
