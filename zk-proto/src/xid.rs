//! Special xids (`ClientCnxn`).
//!
//! Ordinary requests use positive xids (Java: 1 to `i32::MAX - 1`, wrapping to 1). Replies
//! to them arrive in request order; the xids below are routed outside that order.

/// A server-to-client watch notification (body: [`WatcherEvent`](crate::WatcherEvent)).
pub const NOTIFICATION: i32 = -1;
/// A ping request and its reply (op 11, no body).
pub const PING: i32 = -2;
/// An auth request (op 100) and its out-of-band reply.
pub const AUTH: i32 = -4;
/// `SET_WATCHES_XID`, used by the C client for SetWatches; the server echoes it.
pub const SET_WATCHES: i32 = -8;
