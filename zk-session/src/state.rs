//! Session states and their legal transitions.

/// Where the session is. `Expired`, `AuthFailed` and `Closed` are terminal and sticky.
///
/// ```text
///            ┌──────────────── connection lost ───────────────┐
///            v                                                │
///   ──> Connecting ──handshake──> Connected <──rw found── ConnectedReadOnly
///        │   ^  └──handshake (ro server)──────────────────────^ │
///        │   └──────────── connection lost ─────────────────────┘
///        │
///   any live state ── close() ──> Closing ──reply / timeout──> Closed
///   any live state ── timeOut ≤ 0 / client-side expiry ──> Expired
///   any live state ── auth reply −115 ──> AuthFailed
///   any live state ── any reply −124 (server requires SASL) ──> AuthFailed
///   Connecting ── SASL exchange fails ──> AuthFailed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// No established connection: dialling, handshaking or waiting out a backoff.
    /// Requests are queued.
    Connecting,
    /// Connected to a read-write server.
    Connected,
    /// Connected to a read-only server: reads work, writes fail with NotReadOnly, and
    /// the session looks for a read-write server in the background.
    ConnectedReadOnly,
    /// `close` was called: closeSession is on its way, no new requests are accepted.
    Closing,
    /// The server (or the client-side expiry timer) declared the session expired.
    Expired,
    /// The server rejected an auth packet (error −115).
    AuthFailed,
    /// The session was closed by `close`.
    Closed,
}

impl SessionState {
    /// Whether the state is final.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SessionState::Expired | SessionState::AuthFailed | SessionState::Closed
        )
    }

    /// Whether a server connection is established.
    pub fn is_connected(self) -> bool {
        matches!(
            self,
            SessionState::Connected | SessionState::ConnectedReadOnly
        )
    }

    /// Whether the session may go from `self` to `to`.
    pub fn can_transition_to(self, to: SessionState) -> bool {
        use SessionState::*;
        if self.is_terminal() {
            return false;
        }
        match (self, to) {
            (Closing, Closed | Expired | AuthFailed) => true,
            (Closing, _) => false,
            (_, Closing | Closed | Expired | AuthFailed) => true,
            (Connecting, Connected | ConnectedReadOnly) => true,
            (Connected | ConnectedReadOnly, Connecting) => true,
            (ConnectedReadOnly, Connected) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SessionState::*;

    #[test]
    fn transitions() {
        assert!(Connecting.can_transition_to(Connected));
        assert!(Connecting.can_transition_to(ConnectedReadOnly));
        assert!(ConnectedReadOnly.can_transition_to(Connected));
        assert!(Connected.can_transition_to(Connecting));
        assert!(!Connected.can_transition_to(ConnectedReadOnly));
        assert!(Connected.can_transition_to(Closing));
        assert!(Closing.can_transition_to(Closed));
        assert!(!Closing.can_transition_to(Connected));
        for t in [Expired, AuthFailed, Closed] {
            assert!(t.is_terminal());
            for to in [Connecting, Connected, Closed, Expired] {
                assert!(!t.can_transition_to(to));
            }
        }
        assert!(!Connecting.is_connected() && ConnectedReadOnly.is_connected());
    }
}
