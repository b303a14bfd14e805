//! Server and client error codes (`KeeperException.Code`, C `ZOO_ERRORS`).

wire_enum! {
    /// The `err` of a [`ReplyHeader`](crate::ReplyHeader), a multi result or an
    /// [`ErrorResponse`](crate::ErrorResponse). `Display` gives name, code and meaning.
    pub enum ErrorCode {
        /// 0: success.
        Ok = 0 => "OK",
        /// -1: system-range marker; never thrown.
        SystemError = -1 => "SYSTEMERROR",
        /// -2: runtime inconsistency; multi ops after a failed one.
        RuntimeInconsistency = -2 => "RUNTIMEINCONSISTENCY",
        /// -3: data inconsistency.
        DataInconsistency = -3 => "DATAINCONSISTENCY",
        /// -4: connection lost (client-side).
        ConnectionLoss = -4 => "CONNECTIONLOSS",
        /// -5: (de)serialization failed.
        MarshallingError = -5 => "MARSHALLINGERROR",
        /// -6: operation not implemented by the server.
        Unimplemented = -6 => "UNIMPLEMENTED",
        /// -7: operation timeout.
        OperationTimeout = -7 => "OPERATIONTIMEOUT",
        /// -8: invalid arguments.
        BadArguments = -8 => "BADARGUMENTS",
        /// -9: bad handle state (C client only).
        InvalidState = -9 => "ZINVALIDSTATE",
        /// -12: unknown session (server-internal).
        UnknownSession = -12 => "UNKNOWNSESSION",
        /// -13: reconfig: the new config has no quorum.
        NewConfigNoQuorum = -13 => "NEWCONFIGNOQUORUM",
        /// -14: reconfig: another one is in progress.
        ReconfigInProgress = -14 => "RECONFIGINPROGRESS",
        /// -15: SSL failure (C client only).
        SslConnectionError = -15 => "ZSSLCONNECTIONERROR",
        /// -100: API-range marker.
        ApiError = -100 => "APIERROR",
        /// -101: no such node.
        NoNode = -101 => "NONODE",
        /// -102: not permitted.
        NoAuth = -102 => "NOAUTH",
        /// -103: version mismatch.
        BadVersion = -103 => "BADVERSION",
        /// -108: ephemeral nodes cannot have children.
        NoChildrenForEphemerals = -108 => "NOCHILDRENFOREPHEMERALS",
        /// -110: the node already exists.
        NodeExists = -110 => "NODEEXISTS",
        /// -111: the node has children.
        NotEmpty = -111 => "NOTEMPTY",
        /// -112: the session has expired.
        SessionExpired = -112 => "SESSIONEXPIRED",
        /// -113: invalid callback (client-side).
        InvalidCallback = -113 => "INVALIDCALLBACK",
        /// -114: invalid ACL.
        InvalidAcl = -114 => "INVALIDACL",
        /// -115: authentication failed.
        AuthFailed = -115 => "AUTHFAILED",
        /// -116: the handle is closing (C client only).
        Closing = -116 => "ZCLOSING",
        /// -117: nothing to process (C client only).
        Nothing = -117 => "ZNOTHING",
        /// -118: the session moved to another server.
        SessionMoved = -118 => "SESSIONMOVED",
        /// -119: a write on a read-only server.
        NotReadOnly = -119 => "NOTREADONLY",
        /// -120: an ephemeral node on a local session.
        EphemeralOnLocalSession = -120 => "EPHEMERALONLOCALSESSION",
        /// -121: no such watcher.
        NoWatcher = -121 => "NOWATCHER",
        /// -122: client request timeout.
        RequestTimeout = -122 => "REQUESTTIMEOUT",
        /// -123: reconfig is disabled.
        ReconfigDisabled = -123 => "RECONFIGDISABLED",
        /// -124: required SASL authentication not done; session closed.
        SessionClosedRequireSaslAuth = -124 => "SESSIONCLOSEDREQUIRESASLAUTH",
        /// -125: hard quota exceeded (3.7+).
        QuotaExceeded = -125 => "QUOTAEXCEEDED",
        /// -127: the server is overloaded; retry with backoff (3.7+).
        ThrottledOp = -127 => "THROTTLEDOP",
    }
}

impl ErrorCode {
    /// Whether this is [`ErrorCode::Ok`].
    pub const fn is_ok(self) -> bool {
        matches!(self, ErrorCode::Ok)
    }

    /// A short human-readable meaning.
    pub const fn meaning(self) -> &'static str {
        match self {
            ErrorCode::Ok => "success",
            ErrorCode::SystemError => "system error",
            ErrorCode::RuntimeInconsistency => "runtime inconsistency",
            ErrorCode::DataInconsistency => "data inconsistency",
            ErrorCode::ConnectionLoss => "connection lost",
            ErrorCode::MarshallingError => "error while marshalling or unmarshalling data",
            ErrorCode::Unimplemented => "operation not implemented by the server",
            ErrorCode::OperationTimeout => "operation timed out",
            ErrorCode::BadArguments => "invalid arguments",
            ErrorCode::InvalidState => "invalid handle state",
            ErrorCode::UnknownSession => "unknown session",
            ErrorCode::NewConfigNoQuorum => "no quorum of the new config is connected",
            ErrorCode::ReconfigInProgress => "another reconfiguration is in progress",
            ErrorCode::SslConnectionError => "SSL connection error",
            ErrorCode::ApiError => "API error",
            ErrorCode::NoNode => "no node",
            ErrorCode::NoAuth => "not authenticated for this operation",
            ErrorCode::BadVersion => "version mismatch",
            ErrorCode::NoChildrenForEphemerals => "ephemeral nodes may not have children",
            ErrorCode::NodeExists => "node already exists",
            ErrorCode::NotEmpty => "node has children",
            ErrorCode::SessionExpired => "session expired",
            ErrorCode::InvalidCallback => "invalid callback",
            ErrorCode::InvalidAcl => "invalid ACL",
            ErrorCode::AuthFailed => "authentication failed",
            ErrorCode::Closing => "handle is closing",
            ErrorCode::Nothing => "nothing to process",
            ErrorCode::SessionMoved => "session moved to another server",
            ErrorCode::NotReadOnly => "not a read-only call, and the server is read-only",
            ErrorCode::EphemeralOnLocalSession => "ephemeral node on a local session",
            ErrorCode::NoWatcher => "no such watcher",
            ErrorCode::RequestTimeout => "request timed out",
            ErrorCode::ReconfigDisabled => "reconfiguration is disabled",
            ErrorCode::SessionClosedRequireSaslAuth => {
                "session closed: SASL authentication is required"
            }
            ErrorCode::QuotaExceeded => "quota exceeded",
            ErrorCode::ThrottledOp => "operation throttled: the server is overloaded",
            ErrorCode::Unknown(_) => "unknown error code",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.to_i32(), self.meaning())
    }
}

/// Every code is an `Error`, [`ErrorCode::Ok`] included, so a reply's code can be
/// returned or wrapped (`?`, `Box<dyn Error>`) as it is. Nothing here turns `Ok` into
/// an error: check [`ErrorCode::is_ok`] first, and report only the codes that are not.
impl std::error::Error for ErrorCode {}
