//! Request and reply headers.

use crate::{ErrorCode, OpCode};

record! {
    #[derive(Copy, Hash)]
    /// Precedes every client request after the handshake: `xid:int, type:int`.
    pub struct RequestHeader {
        /// Request id; see [`crate::xid`] for the special values.
        pub xid: i32,
        /// The operation.
        pub op: OpCode,
    }
}

record! {
    #[derive(Copy, Hash)]
    /// Precedes every server reply after the handshake: `xid:int, zxid:long, err:int`.
    ///
    /// Parse the reply body only when `err` is [`ErrorCode::Ok`].
    pub struct ReplyHeader {
        /// The xid of the request answered, or a special xid.
        pub xid: i32,
        /// The server's last processed zxid (-1 on notifications before 3.9, 0 on auth).
        pub zxid: i64,
        /// The result code.
        pub err: ErrorCode,
    }
}

impl RequestHeader {
    /// Encoded length: 8 bytes.
    pub const LEN: usize = 8;
}

impl ReplyHeader {
    /// Encoded length: 16 bytes.
    pub const LEN: usize = 16;
}
