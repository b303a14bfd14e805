//! sync (9), reconfig (16).

record! {
    /// Request of sync (9): `path`.
    pub struct SyncRequest {
        /// The path.
        pub path: String,
    }
}

record! {
    /// Response of sync (9): `path` (the server path, echoed).
    pub struct SyncResponse {
        /// The path.
        pub path: String,
    }
}

record! {
    /// Request of reconfig (16): three nullable strings and `curConfigId:long`.
    /// The response is a [`GetDataResponse`](crate::GetDataResponse) with the new config.
    pub struct ReconfigRequest {
        /// Servers to add (incremental), or `None`.
        pub joining_servers: Option<String>,
        /// Server ids to remove (incremental), or `None`.
        pub leaving_servers: Option<String>,
        /// The whole new membership (non-incremental), or `None`.
        pub new_members: Option<String>,
        /// Expected config version, or -1 to skip the check.
        pub cur_config_id: i64,
    }
}
