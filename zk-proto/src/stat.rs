//! The `Stat` record.

record! {
    /// Node metadata: 11 fields, 68 bytes.
    ///
    /// Clients see `ephemeral_owner` 0 for container and TTL nodes.
    #[derive(Default, Copy, Hash)]
    pub struct Stat {
        /// Zxid of the create.
        pub czxid: i64,
        /// Zxid of the last data change.
        pub mzxid: i64,
        /// Creation time, ms since the epoch.
        pub ctime: i64,
        /// Last modification time, ms since the epoch.
        pub mtime: i64,
        /// Data version.
        pub version: i32,
        /// Children version.
        pub cversion: i32,
        /// ACL version.
        pub aversion: i32,
        /// Owning session id of an ephemeral node, else 0.
        pub ephemeral_owner: i64,
        /// Length of the data in bytes.
        pub data_length: i32,
        /// Number of children.
        pub num_children: i32,
        /// Zxid of the last change to the child list.
        pub pzxid: i64,
    }
}

impl Stat {
    /// Encoded length: 68 bytes.
    pub const LEN: usize = 68;
}
