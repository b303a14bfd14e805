//! The one error type of the crate, and the mapping from the session's errors to it.

use std::time::Duration;

use zk_proto::ErrorCode;
use zk_session::{
    About, ConfigError, RequestError, Rounded, Session, SessionState, StateReason, SubmitError,
    UpdateHostsError,
};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call: the server's answers and the client's own
/// conditions. Every message says what happened and what to do about it.
///
/// Server codes that a program usually handles have their own variant (for example
/// [`Error::NoNode`]); the rest arrive as [`Error::Server`]. [`Error::code`] gives the
/// ZooKeeper code of any variant that has one.
///
/// The server's answers about a node name it: `path` is the path the call was given
/// (the client path, without the chroot) and `chroot` the session's chroot, so that
/// the message reads `NoNode: /x (under chroot /app): ...`. Match on the kind with
/// `Error::NoNode { .. }`; [`Error::path`] and [`Error::chroot`] read them from any
/// variant. Both are `None` when the error came without a request that names a node
/// (whoAmI, reconfig, [`Error::from_code`]); a failed read of a
/// [`ReadBatch`](crate::ReadBatch) names its own path.
/// They are copied out of the request only when it fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- the server's answers -----------------------------------------------------
    /// NONODE (-101). Under a chroot, a NoNode on `/` (the chroot node itself) says
    /// that the chroot does not exist on the server; one on a node right under it says
    /// that the chroot may be missing.
    #[error("NoNode{}: {}", About::new(.path, .chroot), no_node_advice(.path, .chroot))]
    NoNode {
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// NODEEXISTS (-110).
    #[error(
        "NodeExists{}: the node already exists; pick another path, or use a sequential mode",
        About::new(.path, .chroot)
    )]
    NodeExists {
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// BADVERSION (-103).
    #[error(
        "BadVersion{}: the node's version is not the one expected; re-read it and retry, or pass Version::Any",
        About::new(.path, .chroot)
    )]
    BadVersion {
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// NOAUTH (-102).
    #[error(
        "NoAuth{}: this session may not do that to the node; authenticate as an identity its ACL allows (get_acl lists them, who_am_i this session's): add_auth for digest, or SASL at connect for sasl",
        About::new(.path, .chroot)
    )]
    NoAuth {
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// NOTEMPTY (-111).
    #[error(
        "NotEmpty{}: the node has children; delete them first",
        About::new(.path, .chroot)
    )]
    NotEmpty {
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// NOCHILDRENFOREPHEMERALS (-108).
    #[error(
        "NoChildrenForEphemerals{}: ephemeral nodes cannot have children; make the parent persistent",
        About::new(.path, .chroot)
    )]
    NoChildrenForEphemerals {
        /// The client path (the child's).
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// INVALIDACL (-114): the server refused the ACL, or the client did before
    /// sending anything because the list is empty (as Java's client does).
    #[error(
        "InvalidAcl{}: the ACL list is empty, or the server refused it; pass at least one entry, such as Acl::open_unsafe() or Acl::creator_all(), with a scheme the server knows and a well-formed id (an `auth` or `creator_all` ACL needs credentials first: add_auth)",
        About::new(.path, .chroot)
    )]
    InvalidAcl {
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// NOTREADONLY (-119): about the server, not a node.
    #[error(
        "the connected server is read-only (NOTREADONLY): wait for a read-write server and retry"
    )]
    NotReadOnly,
    /// UNIMPLEMENTED (-6): the server is too old for the operation, or has it switched
    /// off (TTL creates, op 21, need `zookeeper.extendedTypesEnabled=true`). About the
    /// server, not a node.
    #[error(
        "the server does not implement this operation (UNIMPLEMENTED): either it is too old for it, or the feature is switched off on the server (TTL nodes need the server started with zookeeper.extendedTypesEnabled=true)"
    )]
    Unimplemented,
    /// Any other server code.
    #[error(
        "the request{} failed: the server answered {code}{}",
        About::on(.path, .chroot),
        then_advice(*.code)
    )]
    Server {
        /// The code.
        code: ErrorCode,
        /// The client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// A multi transaction was rolled back because sub-op `index` failed.
    #[error(
        "the transaction was rolled back, nothing was applied: sub-op {index}{} failed with {code}{}",
        About::on(.path, .chroot),
        then_advice(*.code)
    )]
    TransactionFailed {
        /// Index of the failing sub-op.
        index: usize,
        /// Its error code.
        code: ErrorCode,
        /// The failing sub-op's client path.
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },

    // ----- the client's conditions --------------------------------------------------
    /// The connection dropped after the request was written and before its reply; it may
    /// or may not have been applied. The session reconnects by itself.
    #[error(
        "connection lost before the reply (CONNECTIONLOSS): the request may or may not have been applied; check, then retry"
    )]
    ConnectionLoss,
    /// The session expired: its ephemerals and watches are gone.
    #[error(
        "the session expired (SESSIONEXPIRED): connect a new client and re-create ephemerals and watches"
    )]
    SessionExpired,
    /// The session was closed (by `close`, or while closing).
    #[error("the session is closed: connect a new client")]
    Closed,
    /// The server rejected the credentials; the session is dead.
    #[error(
        "authentication failed (AUTHFAILED): the session is dead; fix the scheme or credentials (or configure them where the server requires them: the client's state_reason says which) and connect again"
    )]
    AuthFailed,
    /// SESSIONCLOSEDREQUIRESASLAUTH (-124): the server requires clients to
    /// authenticate before any request (`enforce.auth.enabled`, with the schemes of
    /// `enforce.auth.schemes`, usually `sasl`) and this session did not; the server
    /// closed it and the session is over (`AuthFailed`, with
    /// [`StateReason::AuthRequired`](zk_session::StateReason::AuthRequired)).
    #[error(
        "the server requires SASL authentication before any request (SESSIONCLOSEDREQUIRESASLAUTH, its enforce.auth.enabled) and closed the session: configure SASL with Options::sasl_digest (or authenticate with a scheme the server's enforce.auth.schemes lists) and connect again"
    )]
    SaslRequired,
    /// The call's own timeout (`Options::call_timeout` or the `wait` timeout, which
    /// it carries) passed before the reply. An operation gave up on its request (its
    /// reply and any watch are discarded); after `wait` / `wait_timeout` it is still
    /// outstanding. Either way the server may yet apply it.
    #[error(
        "no reply within {}: the request may yet be applied; check the server, or allow more time (Options::call_timeout, or the wait's timeout)",
        Rounded(*.0)
    )]
    Timeout(Duration),
    /// The session's `request_timeout` passed; the connection was dropped.
    #[error(
        "the request timed out (REQUESTTIMEOUT) and the connection was reset: retry, or raise request_timeout"
    )]
    RequestTimeout,
    /// No server of the connect string could be reached before the connect deadline.
    #[error(
        "no ZooKeeper server of {hosts:?} established a session within {}: check that a server runs there and is reachable; what was seen: {detail}",
        Rounded(*.waited)
    )]
    NoHosts {
        /// The connect string.
        hosts: String,
        /// How long `connect` tried.
        waited: Duration,
        /// The dial or handshake problems seen: each host's last, when more than one
        /// host had one.
        detail: String,
    },
    /// The request would exceed the frame limit; it was not sent.
    #[error(
        "the request is {size} bytes, more than max_frame_size {max}: send less data per request, or raise max_frame_size (Options) if the server's jute.maxbuffer was raised to match"
    )]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The reply to this request is longer than the client's frame limit: the server
    /// executed the request, but its answer could not be read. The connection was
    /// reset (other requests in flight got `ConnectionLoss`) and the session
    /// reconnects; retrying as is fails the same way.
    #[error(
        "the reply is {len} bytes, more than max_frame_size {max}: the request was executed but its reply could not be read and the connection was reset; raise max_frame_size (Options), or ask for less per call (smaller data, fewer children)"
    )]
    ReplyTooLarge {
        /// The reply frame's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A path failed validation before anything was sent.
    #[error("invalid path {path:?}: {why}; paths look like /a/b")]
    InvalidPath {
        /// The path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// Arguments that cannot make a valid request (a TTL with a mode that has none, a
    /// read in a write transaction...). Nothing was sent. (An empty ACL is
    /// [`Error::InvalidAcl`], as from the server.)
    #[error("invalid request: {0}")]
    InvalidArgument(String),
    /// NOWATCHER (-121): removing (or waiting for) a watch that this client does not
    /// hold, found by the client or by the server (Java's `NoWatcherException`).
    #[error(
        "NoWatcher{}: this client holds no such watch; it already fired or was removed",
        About::new(.path, .chroot)
    )]
    NoWatcher {
        /// The client path of the removal; `None` for a watch named by its handle
        /// whose watch is gone, and its path with it ([`Error::no_watcher`]).
        path: Option<String>,
        /// The session's chroot.
        chroot: Option<String>,
    },
    /// The options or connect string are unusable.
    #[error("bad configuration: {0}")]
    Config(#[from] ConfigError),
    /// The operating system refused what a client needs to run (a thread, a poller);
    /// usually a process limit on threads or open files.
    #[error("the system refused to {0}; check the process's limits on threads and open files")]
    System(String),
    /// `wait` was given an id this client is not waiting for.
    #[error(
        "request {0} is not outstanding: it was never submitted here, or its reply was already taken"
    )]
    UnknownRequest(zk_session::RequestId),
    /// The TLS settings ([`crate::TlsConfig`]) are unusable: a file that cannot be read
    /// or holds no usable certificate or key, or a key that does not fit its
    /// certificate.
    #[error("unusable TLS settings: {0}")]
    TlsSetup(String),
}

impl Error {
    /// [`Error::NoWatcher`] for a watch named by its handle whose watch is gone: its
    /// path went with it.
    pub fn no_watcher() -> Error {
        Error::NoWatcher {
            path: None,
            chroot: None,
        }
    }

    /// What to do about the server's code of an [`Error::Server`] or a
    /// [`Error::TransactionFailed`], as the message says it (for the codes without a
    /// variant of their own, such as QUOTAEXCEEDED); `None` for other errors and for
    /// codes whose name says it all.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            Error::Server { code, .. } | Error::TransactionFailed { code, .. } => {
                server_advice(*code)
            }
            _ => None,
        }
    }

    /// The ZooKeeper code of this error, for variants that have one.
    pub fn code(&self) -> Option<ErrorCode> {
        Some(match self {
            Error::NoNode { .. } => ErrorCode::NoNode,
            Error::NodeExists { .. } => ErrorCode::NodeExists,
            Error::BadVersion { .. } => ErrorCode::BadVersion,
            Error::NoAuth { .. } => ErrorCode::NoAuth,
            Error::NotEmpty { .. } => ErrorCode::NotEmpty,
            Error::NoChildrenForEphemerals { .. } => ErrorCode::NoChildrenForEphemerals,
            Error::InvalidAcl { .. } => ErrorCode::InvalidAcl,
            Error::NotReadOnly => ErrorCode::NotReadOnly,
            Error::Unimplemented => ErrorCode::Unimplemented,
            Error::Server { code, .. } | Error::TransactionFailed { code, .. } => *code,
            Error::ConnectionLoss => ErrorCode::ConnectionLoss,
            Error::SessionExpired => ErrorCode::SessionExpired,
            Error::AuthFailed => ErrorCode::AuthFailed,
            Error::SaslRequired => ErrorCode::SessionClosedRequireSaslAuth,
            Error::RequestTimeout => ErrorCode::RequestTimeout,
            Error::NoWatcher { .. } => ErrorCode::NoWatcher,
            Error::InvalidPath { .. } | Error::InvalidArgument(_) | Error::TooLarge { .. } => {
                ErrorCode::BadArguments
            }
            Error::Closed => ErrorCode::Closing,
            _ => return None,
        })
    }

    /// The client path the error is about: the node a server answer concerns (for a
    /// failed transaction, its failing sub-op's), an invalid path, a watch's path.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::NoNode { path, .. }
            | Error::NodeExists { path, .. }
            | Error::BadVersion { path, .. }
            | Error::NoAuth { path, .. }
            | Error::NotEmpty { path, .. }
            | Error::NoChildrenForEphemerals { path, .. }
            | Error::InvalidAcl { path, .. }
            | Error::NoWatcher { path, .. }
            | Error::Server { path, .. }
            | Error::TransactionFailed { path, .. } => path.as_deref(),
            Error::InvalidPath { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The chroot of the session a server answer came from, if it has one: the
    /// server's path is the chroot followed by [`Error::path`].
    pub fn chroot(&self) -> Option<&str> {
        match self {
            Error::NoNode { chroot, .. }
            | Error::NodeExists { chroot, .. }
            | Error::BadVersion { chroot, .. }
            | Error::NoAuth { chroot, .. }
            | Error::NotEmpty { chroot, .. }
            | Error::NoChildrenForEphemerals { chroot, .. }
            | Error::InvalidAcl { chroot, .. }
            | Error::NoWatcher { chroot, .. }
            | Error::Server { chroot, .. }
            | Error::TransactionFailed { chroot, .. } => chroot.as_deref(),
            _ => None,
        }
    }

    /// Whether the session is over: every later call fails too, and a new client is
    /// needed.
    pub fn is_session_over(&self) -> bool {
        matches!(
            self,
            Error::SessionExpired | Error::Closed | Error::AuthFailed | Error::SaslRequired
        )
    }

    /// The error for a server code, about no particular node (`Ok` is not an error and
    /// maps to `Server { code: Ok, .. }`).
    pub fn from_code(code: ErrorCode) -> Error {
        Error::about(code, None, None)
    }

    /// The error for a server code about the client `path` of a session rooted at
    /// `chroot`.
    pub fn about(code: ErrorCode, path: Option<String>, chroot: Option<String>) -> Error {
        match code {
            ErrorCode::NoNode => Error::NoNode { path, chroot },
            ErrorCode::NodeExists => Error::NodeExists { path, chroot },
            ErrorCode::BadVersion => Error::BadVersion { path, chroot },
            ErrorCode::NoAuth => Error::NoAuth { path, chroot },
            ErrorCode::NotEmpty => Error::NotEmpty { path, chroot },
            ErrorCode::NoChildrenForEphemerals => Error::NoChildrenForEphemerals { path, chroot },
            ErrorCode::InvalidAcl => Error::InvalidAcl { path, chroot },
            ErrorCode::NoWatcher => Error::NoWatcher { path, chroot },
            ErrorCode::NotReadOnly => Error::NotReadOnly,
            ErrorCode::Unimplemented => Error::Unimplemented,
            ErrorCode::ConnectionLoss => Error::ConnectionLoss,
            ErrorCode::SessionExpired => Error::SessionExpired,
            ErrorCode::AuthFailed => Error::AuthFailed,
            ErrorCode::SessionClosedRequireSaslAuth => Error::SaslRequired,
            ErrorCode::RequestTimeout => Error::RequestTimeout,
            code => Error::Server { code, path, chroot },
        }
    }

    /// The error a session in a terminal (or closing) `state` gives every call;
    /// `reason` is why it ended. A session the server ended for want of SASL
    /// ([`StateReason::AuthRequired`]) gives [`Error::SaslRequired`], as its requests
    /// in flight got.
    pub(crate) fn for_ending(state: SessionState, reason: Option<&StateReason>) -> Error {
        match (state, reason) {
            (SessionState::Expired, _) => Error::SessionExpired,
            (SessionState::AuthFailed, Some(StateReason::AuthRequired { .. })) => {
                Error::SaslRequired
            }
            (SessionState::AuthFailed, _) => Error::AuthFailed,
            _ => Error::Closed,
        }
    }

    /// The error a closing or ended `session` gives every call.
    pub(crate) fn for_session(session: &Session) -> Error {
        Error::for_ending(session.state(), session.state_reason())
    }
}

/// What to do about a server code that arrives as [`Error::Server`] (or fails a
/// transaction's sub-op); `None` where the code's name says it all. NoAuth and
/// Unimplemented have variants of their own: their advice here is only for a
/// transaction's sub-op.
fn server_advice(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::BadArguments => {
            "the server refuses to delete `/` or a node under `/zookeeper`, and requests it finds malformed: check the path and the arguments"
        }
        ErrorCode::QuotaExceeded => {
            "a hard quota on this node or an ancestor (setquota) limits its node count or bytes: delete data, or raise the quota"
        }
        ErrorCode::ThrottledOp => "the request was not applied: retry after a pause",
        ErrorCode::SessionMoved => {
            "the session is served through another connection now and this request was not applied: retry it"
        }
        ErrorCode::ReconfigDisabled => {
            "start the servers with reconfigEnabled=true to change the ensemble's membership"
        }
        ErrorCode::Unimplemented => {
            "the server is too old for the operation or has it switched off (TTL nodes need zookeeper.extendedTypesEnabled=true)"
        }
        ErrorCode::NoAuth => {
            "the node's ACL does not grant this session the permission: add_auth with a credential it names"
        }
        _ => return None,
    })
}

/// [`server_advice`] as a message ends with it: after `; `, or nothing.
fn then_advice(code: ErrorCode) -> String {
    server_advice(code).map_or_else(String::new, |advice| format!("; {advice}"))
}

/// What to do about a NoNode on `path`: under a chroot, `/` is the chroot node itself,
/// so the chroot is missing; right under it, the chroot may be.
fn no_node_advice(path: &Option<String>, chroot: &Option<String>) -> String {
    const CREATE: &str = "the node does not exist; create it, or its parent, first";
    let (Some(path), Some(chroot)) = (path.as_deref(), chroot.as_deref()) else {
        return CREATE.to_string();
    };
    if path == "/" {
        format!(
            "the chroot {chroot} does not exist on the server: create it first (from a client connected without the chroot)"
        )
    } else if path.rfind('/') == Some(0) {
        format!("{CREATE} (if the chroot {chroot} does not exist on the server, create it first)")
    } else {
        CREATE.to_string()
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Error {
        match e {
            RequestError::Server { code, path, chroot } => Error::about(code, path, chroot),
            RequestError::TransactionFailed {
                index,
                code,
                path,
                chroot,
            } => Error::TransactionFailed {
                index,
                code,
                path,
                chroot,
            },
            RequestError::ConnectionLoss => Error::ConnectionLoss,
            RequestError::SessionExpired => Error::SessionExpired,
            RequestError::AuthFailed => Error::AuthFailed,
            RequestError::Closing => Error::Closed,
            RequestError::RequestTimeout => Error::RequestTimeout,
            RequestError::ReplyTooLarge { len, max } => Error::ReplyTooLarge { len, max },
            // The drivers name the hosts and the problems seen
            // (`ConnectProblems::request_error`); here only the session's words are known.
            e @ RequestError::NoSessionEstablished { waited } => Error::NoHosts {
                hosts: String::new(),
                waited,
                detail: e.to_string(),
            },
            // RequestError is non_exhaustive: a future variant is a lost request.
            _ => Error::ConnectionLoss,
        }
    }
}

impl From<SubmitError> for Error {
    fn from(e: SubmitError) -> Error {
        match e {
            SubmitError::NotAccepting { state, reason } => {
                Error::for_ending(state, reason.as_ref())
            }
            SubmitError::InvalidPath { path, why } => Error::InvalidPath { path, why },
            SubmitError::TooLarge { size, max } => Error::TooLarge { size, max },
            // Found before sending: the same errors as the server's answers.
            SubmitError::NoWatcher { path, chroot } => Error::NoWatcher {
                path: Some(path),
                chroot,
            },
            SubmitError::EmptyAcl { path, chroot } => Error::InvalidAcl {
                path: Some(path),
                chroot,
            },
            other => Error::InvalidArgument(other.to_string()),
        }
    }
}

impl From<UpdateHostsError> for Error {
    fn from(e: UpdateHostsError) -> Error {
        match e {
            UpdateHostsError::Invalid(e) => Error::Config(e),
            UpdateHostsError::NotAccepting { state, reason } => {
                Error::for_ending(state, reason.as_ref())
            }
            other => Error::InvalidArgument(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_watch_is_named_by_its_path_as_the_server_names_it() {
        let found_here = Error::from(SubmitError::NoWatcher {
            path: "/x".into(),
            chroot: Some("/app".into()),
        });
        let found_there = about(ErrorCode::NoWatcher, "/x", Some("/app"));
        assert_eq!(found_here, found_there);
        assert_eq!(
            found_here.to_string(),
            "NoWatcher: /x (under chroot /app): this client holds no such watch; it already fired or was removed"
        );
        assert_eq!(
            (found_here.path(), found_here.chroot()),
            (Some("/x"), Some("/app"))
        );

        let gone = Error::no_watcher();
        assert_eq!(
            gone.to_string(),
            "NoWatcher: this client holds no such watch; it already fired or was removed"
        );
        assert_eq!(gone.path(), None, "no path to name");
    }

    #[test]
    fn an_empty_acl_is_the_invalid_acl_the_server_would_answer() {
        let found_here = Error::from(SubmitError::EmptyAcl {
            path: "/n".into(),
            chroot: None,
        });
        assert_eq!(found_here, about(ErrorCode::InvalidAcl, "/n", None));
        assert_eq!(found_here.code(), Some(ErrorCode::InvalidAcl));
        let msg = found_here.to_string();
        assert!(
            msg.starts_with("InvalidAcl: /n: the ACL list is empty")
                && msg.contains("Acl::open_unsafe()"),
            "{msg}"
        );
    }

    #[test]
    fn calls_after_the_server_required_sasl_are_told_to_configure_it() {
        let required = StateReason::AuthRequired {
            host: zk_session::HostAddr {
                host: "127.0.0.1".into(),
                port: 2181,
            },
        };
        let refused = Error::from(SubmitError::NotAccepting {
            state: SessionState::AuthFailed,
            reason: Some(required),
        });
        assert_eq!(refused, Error::SaslRequired);
        let rejected = Error::from(SubmitError::NotAccepting {
            state: SessionState::AuthFailed,
            reason: None,
        });
        assert_eq!(rejected, Error::AuthFailed);
    }

    #[test]
    fn codes_round_trip_through_variants() {
        for code in [
            ErrorCode::NoNode,
            ErrorCode::NodeExists,
            ErrorCode::BadVersion,
            ErrorCode::NoAuth,
            ErrorCode::NotEmpty,
            ErrorCode::SessionMoved,
        ] {
            assert_eq!(Error::from_code(code).code(), Some(code));
        }
        assert!(Error::SessionExpired.is_session_over());
        assert!(!Error::ConnectionLoss.is_session_over());
    }

    #[test]
    fn messages_say_what_to_do() {
        let msg = Error::TooLarge { size: 10, max: 5 }.to_string();
        assert!(msg.contains("send less data"), "{msg}");
        let msg = Error::from_code(ErrorCode::NoNode).to_string();
        assert!(msg.contains("create it"), "{msg}");
        let msg = Error::Unimplemented.to_string();
        assert!(
            msg.contains("too old") && msg.contains("zookeeper.extendedTypesEnabled=true"),
            "{msg}"
        );
        // Said to every client's calls: an operation's request was given up, so only
        // more time helps (no "wait again").
        let msg = Error::Timeout(Duration::from_secs(5)).to_string();
        assert!(
            msg.contains("within 5 s") && msg.contains("Options::call_timeout"),
            "{msg}"
        );
    }

    #[test]
    fn messages_name_what_this_crate_exports() {
        let msg = Error::from(SubmitError::EmptyAcl {
            path: "/n".into(),
            chroot: None,
        })
        .to_string();
        assert!(
            msg.contains("Acl::open_unsafe()") && !msg.contains("zk_proto"),
            "{msg}"
        );
        let msg = Error::from(SubmitError::AmbiguousVersion).to_string();
        assert!(msg.contains("Version::Any"), "{msg}");
        let msg = Error::from_code(ErrorCode::BadVersion).to_string();
        assert!(msg.contains("Version::Any"), "{msg}");
    }

    fn about(code: ErrorCode, path: &str, chroot: Option<&str>) -> Error {
        Error::from(RequestError::Server {
            code,
            path: Some(path.to_string()),
            chroot: chroot.map(str::to_string),
        })
    }

    #[test]
    fn a_server_error_names_the_client_path_and_the_chroot() {
        let e = about(ErrorCode::NoNode, "/a/b", Some("/app"));
        assert!(matches!(e, Error::NoNode { .. }));
        assert_eq!((e.path(), e.chroot()), (Some("/a/b"), Some("/app")));
        assert_eq!(
            e.to_string(),
            "NoNode: /a/b (under chroot /app): the node does not exist; create it, or its parent, first"
        );
        let e = about(ErrorCode::NotEmpty, "/a", None);
        assert_eq!(
            e.to_string(),
            "NotEmpty: /a: the node has children; delete them first"
        );
    }

    #[test]
    fn a_no_node_on_the_chroot_says_the_chroot_is_missing() {
        let msg = about(ErrorCode::NoNode, "/", Some("/app")).to_string();
        assert!(
            msg.contains("the chroot /app does not exist on the server: create it first"),
            "{msg}"
        );
    }

    #[test]
    fn a_no_node_right_under_the_chroot_suspects_the_chroot() {
        let msg = about(ErrorCode::NoNode, "/x", Some("/app")).to_string();
        assert!(
            msg.contains("if the chroot /app does not exist on the server, create it first"),
            "{msg}"
        );
        let msg = about(ErrorCode::NoNode, "/x/y", Some("/app")).to_string();
        assert!(!msg.contains("if the chroot"), "{msg}");
    }

    #[test]
    fn a_server_code_without_a_variant_says_what_to_do() {
        let msg = about(ErrorCode::BadArguments, "/", None).to_string();
        assert!(msg.contains("refuses to delete `/`"), "{msg}");
        let msg = about(ErrorCode::QuotaExceeded, "/q/n", None).to_string();
        assert!(msg.contains("raise the quota"), "{msg}");
        let throttled = about(ErrorCode::ThrottledOp, "/t", None);
        let msg = throttled.to_string();
        assert!(msg.contains("retry after a pause"), "{msg}");
        assert!(msg.ends_with(throttled.advice().unwrap()), "{msg}");
        assert_eq!(about(ErrorCode::NotEmpty, "/t", None).advice(), None);
        let msg = Error::from(RequestError::TransactionFailed {
            index: 0,
            code: ErrorCode::Unimplemented,
            path: Some("/ttl".to_string()),
            chroot: None,
        })
        .to_string();
        assert!(msg.contains("extendedTypesEnabled=true"), "{msg}");
    }

    #[test]
    fn a_failed_transaction_names_its_failing_sub_op() {
        let e = Error::from(RequestError::TransactionFailed {
            index: 1,
            code: ErrorCode::BadVersion,
            path: Some("/cfg".to_string()),
            chroot: None,
        });
        assert_eq!(
            (e.code(), e.path()),
            (Some(ErrorCode::BadVersion), Some("/cfg"))
        );
        assert!(
            e.to_string()
                .contains("sub-op 1 on /cfg failed with BADVERSION"),
            "{e}"
        );
    }

    #[test]
    fn durations_print_rounded() {
        let msg = Error::Timeout(std::time::Duration::from_nanos(30_000_083_584)).to_string();
        assert!(msg.starts_with("no reply within 30 s:"), "{msg}");
    }

    #[test]
    fn reply_too_large_keeps_its_numbers_and_names_the_limit() {
        let e = Error::from(RequestError::ReplyTooLarge {
            len: 204_900,
            max: 65_536,
        });
        assert_eq!(
            e,
            Error::ReplyTooLarge {
                len: 204_900,
                max: 65_536
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains("204900") && msg.contains("max_frame_size 65536"),
            "{msg}"
        );
        assert_eq!(e.code(), None);
        assert!(!e.is_session_over());
    }
}
