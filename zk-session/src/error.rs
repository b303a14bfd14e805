//! Every error type of the crate, and what each means.

use std::time::Duration;

use crate::about::About;
use crate::rounded::Rounded;

/// The configuration cannot be used. The message says which field is wrong and how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The connect string names no host.
    #[error("connect string has no host: write `host:port[,host:port...][/chroot]`")]
    NoHosts,
    /// One host entry of the connect string is malformed.
    #[error("connect string host entry {entry:?} is invalid: {why}")]
    BadHost {
        /// The offending entry.
        entry: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The chroot suffix is not a valid path.
    #[error(
        "connect string chroot {chroot:?} is invalid: {why} (write it like `/app`, or leave it out)"
    )]
    BadChroot {
        /// The offending chroot.
        chroot: String,
        /// What is wrong with it.
        why: String,
    },
    /// The session timeout is zero or does not fit the wire's i32 milliseconds.
    #[error(
        "session_timeout {} is invalid: use 1 ms ..= i32::MAX ms (servers clamp it, typically to 4 s ..= 40 s)",
        Rounded(*.0)
    )]
    BadSessionTimeout(Duration),
    /// The credentials to resume are unusable.
    #[error("resume credentials are invalid: {0}")]
    BadResume(&'static str),
    /// The frame limit is out of range.
    #[error(
        "max_frame_size {0} is invalid: use 64 ..= i32::MAX bytes (servers default to 1048575)"
    )]
    BadMaxFrameSize(usize),
    /// A duration that must be positive is zero.
    #[error("{0} must not be zero: use None to turn it off where allowed, or a positive duration")]
    ZeroDuration(&'static str),
    /// A duration is longer than [`crate::MAX_DURATION`] (i32::MAX ms).
    #[error(
        "{field} {} is too long: use at most i32::MAX ms (about 24.8 days), the limit session_timeout has too",
        Rounded(*.value)
    )]
    DurationTooLong {
        /// The config field.
        field: &'static str,
        /// The value given.
        value: Duration,
    },
    /// The backoff bounds are inverted.
    #[error(
        "reconnect_backoff is larger than max_reconnect_backoff: make the first no larger than the cap"
    )]
    BadBackoff,
    /// `max_queued_events` is 0.
    #[error("max_queued_events is 0: allow at least one queued event (default 100,000)")]
    ZeroQueuedEvents,
}

/// A request refused by [`crate::Session::submit`] before anything was queued. Nothing
/// was sent and no reply event will follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The session is closing or in a terminal state; it accepts no more requests.
    /// `reason` is why it ended (its [`crate::Session::state_reason`]): a session
    /// that ended `AuthFailed` because the server requires SASL
    /// ([`crate::StateReason::AuthRequired`]) says so to every later call too.
    #[error(
        "session is {state:?}{}: no more requests are accepted",
        .reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
    )]
    NotAccepting {
        /// The session's state.
        state: crate::SessionState,
        /// Why it ended, when it said.
        reason: Option<crate::StateReason>,
    },
    /// A path failed client-side validation (protocol.md §8.5).
    #[error("invalid path {path:?}: {why}")]
    InvalidPath {
        /// The client path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The encoded request exceeds the frame limit; the server would drop the
    /// connection, so it is never sent.
    #[error(
        "request frame of {size} bytes exceeds max_frame_size {max}: send less data per request"
    )]
    TooLarge {
        /// Frame length (header + body) in bytes.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// Create mode and TTL do not go together, or the mode is unknown.
    #[error("invalid create: {0}")]
    InvalidCreate(zk_proto::CreateModeError),
    /// `Version::Exact(-1)`: on the wire −1 means any version, so the write would
    /// not be conditional at all.
    #[error(
        "Version::Exact(-1) is not a version a node can have; pass Version::Any to skip the check"
    )]
    AmbiguousVersion,
    /// An empty ACL list, in a create, a setACL or a sub-op of a multi (the server
    /// would answer INVALIDACL; Java's client refuses it before sending too).
    #[error(
        "empty ACL list{}: pass at least one entry, e.g. zk_proto::Acl::open_unsafe()",
        About::on_path(.path, .chroot)
    )]
    EmptyAcl {
        /// The client path of the create or setACL.
        path: String,
        /// The session's chroot, if it has one.
        chroot: Option<String>,
    },
    /// A read sub-op in multi, or a write sub-op in multiRead.
    #[error(
        "sub-op {index} does not belong here: multi takes only writes and checks, multiRead only getData/getChildren"
    )]
    MixedMulti {
        /// Index of the offending sub-op.
        index: usize,
    },
    /// Removing watches that are not registered on this client.
    #[error("no watch of that type is registered{}", About::on_path(.path, .chroot))]
    NoWatcher {
        /// The client path.
        path: String,
        /// The session's chroot, if it has one.
        chroot: Option<String>,
    },
}

/// Why a submitted request failed. Delivered in its [`crate::Event::Reply`].
///
/// The server's answers name the node they are about: the client path the request
/// named (the one given to `submit`, without the chroot) and the session's chroot.
/// Both are moved or copied out of the request only when it fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server answered with this error code.
    #[error("server error{}: {code}", About::on(.path, .chroot))]
    Server {
        /// The code.
        code: zk_proto::ErrorCode,
        /// The client path of the request; `None` for requests that name no node
        /// (whoAmI, reconfig, getEphemerals).
        path: Option<String>,
        /// The session's chroot, if it has one.
        chroot: Option<String>,
    },
    /// A multi transaction was rolled back because its sub-op `index` failed with
    /// `code`; nothing was applied (the other sub-ops' results say only that).
    #[error(
        "transaction rolled back: sub-op {index}{} failed with {code}",
        About::on(.path, .chroot)
    )]
    TransactionFailed {
        /// Index of the failing sub-op.
        index: usize,
        /// Its error code.
        code: zk_proto::ErrorCode,
        /// The failing sub-op's client path.
        path: Option<String>,
        /// The session's chroot, if it has one.
        chroot: Option<String>,
    },
    /// The request was written but the connection dropped before its reply: it may or
    /// may not have been applied. The session reconnects by itself.
    #[error("connection lost before the reply: the request may or may not have been applied")]
    ConnectionLoss,
    /// The session expired; the request was not (or not knowingly) applied.
    #[error("session expired")]
    SessionExpired,
    /// Authentication failed; the session is dead.
    #[error("authentication failed")]
    AuthFailed,
    /// The session was closed (or is closing) before the reply.
    #[error("session closed before the reply")]
    Closing,
    /// The reply's frame is longer than `max_frame_size`: the server executed the
    /// request, but its answer cannot be read. The connection is dropped (the stream
    /// cannot be resynchronised past the frame) and the session reconnects.
    #[error(
        "reply of {len} bytes exceeds max_frame_size {max}: the request was executed but its reply cannot be read; raise max_frame_size (up to the server's jute.maxbuffer) or ask for less per request"
    )]
    ReplyTooLarge {
        /// The reply frame's announced length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// No reply within `request_timeout`. If it had been written, the connection was
    /// dropped too (Java semantics).
    #[error("request timed out")]
    RequestTimeout,
    /// Submitted before any session was established, the request waited
    /// [`crate::Config::first_session_timeout`] for one and no server established
    /// one: it was taken out of the queue, never written. The session keeps dialling
    /// (a driver knows which hosts it dialled and the last problem seen: say so).
    #[error(
        "no server established a session within {}: the request was not sent",
        Rounded(*.waited)
    )]
    NoSessionEstablished {
        /// How long it waited since its `submit`.
        waited: Duration,
    },
}

/// A new host list refused by [`crate::Session::update_hosts`]. Nothing changed: the
/// session keeps its hosts and its connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateHostsError {
    /// The host list does not parse (no host, or a malformed entry).
    #[error("the new host list is unusable, the session keeps its hosts: {0}")]
    Invalid(ConfigError),
    /// The new connect string names another chroot than the session's. A session's
    /// paths live under one chroot for good.
    #[error(
        "the new host list's chroot {given} differs from the session's {}: a session keeps its chroot; give the hosts without a chroot{}, or start a new session for {given}",
        .session.as_deref().unwrap_or("(none)"),
        .session.as_ref().map(|c| format!(" (or with {c})")).unwrap_or_default()
    )]
    ChrootDiffers {
        /// The session's chroot, if it has one.
        session: Option<String>,
        /// The chroot the new connect string names.
        given: String,
    },
    /// The session is closing or in a terminal state: it connects nowhere again.
    #[error(
        "session is {state:?}{}: its host list no longer matters",
        .reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
    )]
    NotAccepting {
        /// The session's state.
        state: crate::SessionState,
        /// Why it ended, when it said.
        reason: Option<crate::StateReason>,
    },
}

/// Why the session asks the driver to close a connection (see
/// [`crate::Transport::Close`]). None of these ends the session by itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The handshake did not complete within the connect timeout.
    #[error("connect timeout")]
    ConnectTimeout,
    /// Nothing received for 2/3 of the session timeout.
    #[error("read timeout")]
    ReadTimeout,
    /// A bad frame length.
    #[error("bad frame: {0}")]
    Frame(zk_proto::FrameError),
    /// A frame that does not decode.
    #[error("undecodable frame: {0}")]
    Decode(String),
    /// A reply whose xid is not the head of the in-flight FIFO.
    #[error("reply xid {got} out of order (expected {expected})")]
    XidOutOfOrder {
        /// The xid at the head of the FIFO.
        expected: i32,
        /// The xid received.
        got: i32,
    },
    /// A second reply for the xid just answered.
    #[error("duplicate reply for xid {0}")]
    DuplicateReply(i32),
    /// A reply while nothing was in flight.
    #[error("unsolicited reply with xid {0}")]
    UnsolicitedReply(i32),
    /// A written request exceeded `request_timeout`.
    #[error("request timeout")]
    RequestTimeout,
    /// A read-write server was found while connected read-only.
    #[error("moving to a read-write server")]
    MovingToReadWrite,
    /// A new host list ([`crate::Session::update_hosts`]) moves the session to `to`:
    /// to spread the clients over the new list, or because this server left it.
    #[error("moving to {to}, of the new host list")]
    MovingToNewHost {
        /// The server the session moves to.
        to: crate::HostAddr,
    },
    /// The server's handshake answer cannot start a session: session id 0 with a
    /// positive timeout, or a password that is not 16 bytes. The next host is tried.
    #[error("invalid handshake answer: {0}")]
    InvalidHandshake(&'static str),
    /// The server answered the handshake with an error reply instead of a session:
    /// `NotReadOnly` from a read-only 3.8 member asked for a new session without
    /// `localSessionsEnabled` (it starts none until its ensemble has a quorum again).
    /// The next host is tried.
    #[error(
        "the server refused the handshake with {code}{}",
        if *.code == zk_proto::ErrorCode::NotReadOnly {
            ": it is read-only (its ensemble has no quorum) and starts no new session unless it runs with localSessionsEnabled=true; wait for the quorum, or connect to a member that has it"
        } else {
            ""
        }
    )]
    HandshakeRefused {
        /// The error the server answered with.
        code: zk_proto::ErrorCode,
    },
    /// The session reached a terminal state.
    #[error("session ended")]
    SessionEnded,
    /// The peer answered the handshake with text, not a ZooKeeper frame: something
    /// else listens on that port (an HTTP server, say). The next host is tried.
    #[error(
        "the server at {host} does not speak the ZooKeeper protocol (it sent text: {text:?}{}): check the host and port of the connect string",
        if *.cut { "…" } else { "" }
    )]
    NotZooKeeper {
        /// The host that answered.
        host: crate::HostAddr,
        /// The start of its answer, up to its first line end.
        text: String,
        /// More followed `text`.
        cut: bool,
    },
}

/// How a connection ended, as the driver saw it ([`crate::Session::handle_disconnected`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectCause {
    /// The dial failed (DNS, refused, unreachable, timed out).
    ConnectFailed,
    /// The peer closed the stream (EOF).
    Eof,
    /// A read or write error (reset, broken pipe...).
    Io,
}
