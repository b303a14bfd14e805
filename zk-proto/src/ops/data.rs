//! exists (3), getData (4), setData (5).

use bytes::Bytes;

use crate::Stat;

record! {
    /// Request of exists (3): `path, watch:boolean`.
    pub struct ExistsRequest {
        /// The path.
        pub path: String,
        /// Leave a watch (a data watch if the node exists, an exist watch if not).
        pub watch: bool,
    }
}

record! {
    /// Response of exists (3): the Stat. A missing node is err NONODE, not a null Stat.
    pub struct ExistsResponse {
        /// The node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// Request of getData (4): `path, watch:boolean`.
    pub struct GetDataRequest {
        /// The path.
        pub path: String,
        /// Leave a data watch.
        pub watch: bool,
    }
}

record! {
    /// Response of getData (4) and reconfig (16): `data:buffer, stat`.
    ///
    /// `data` is a zero-copy slice of the received frame.
    pub struct GetDataResponse {
        /// The node's data.
        ///
        /// Null data (a node created with `null`, sent as buffer length -1, which Java's
        /// getData returns as `null`) reads as empty: this type cannot tell the two
        /// apart, and encoding always writes a length of 0 or more.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub data: Bytes,
        /// The node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// Request of setData (5): `path, data:buffer, version:int` (-1 = any).
    pub struct SetDataRequest {
        /// The path.
        pub path: String,
        /// The new data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::bytes))]
        pub data: Bytes,
        /// Expected data version, or -1.
        pub version: i32,
    }
}

record! {
    /// Response of setData (5): the new Stat.
    pub struct SetDataResponse {
        /// The node's Stat after the write.
        pub stat: Stat,
    }
}
