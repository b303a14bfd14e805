//! Operation codes (`ZooDefs.OpCode`).

wire_enum! {
    /// The `type` of a [`RequestHeader`](crate::RequestHeader) and of a multi header.
    pub enum OpCode {
        /// 0: server-to-client notification (never sent by a client).
        Notification = 0 => "notification",
        /// 1: create, answered with the path only.
        Create = 1 => "create",
        /// 2: delete.
        Delete = 2 => "delete",
        /// 3: exists.
        Exists = 3 => "exists",
        /// 4: getData.
        GetData = 4 => "getData",
        /// 5: setData.
        SetData = 5 => "setData",
        /// 6: getACL.
        GetAcl = 6 => "getACL",
        /// 7: setACL.
        SetAcl = 7 => "setACL",
        /// 8: getChildren.
        GetChildren = 8 => "getChildren",
        /// 9: sync.
        Sync = 9 => "sync",
        /// 11: ping (xid -2).
        Ping = 11 => "ping",
        /// 12: getChildren2 (children and Stat).
        GetChildren2 = 12 => "getChildren2",
        /// 13: check version; only valid as a multi sub-op.
        Check = 13 => "check",
        /// 14: multi (transaction).
        Multi = 14 => "multi",
        /// 15: create2, answered with path and Stat.
        Create2 = 15 => "create2",
        /// 16: reconfig.
        Reconfig = 16 => "reconfig",
        /// 17: checkWatches.
        CheckWatches = 17 => "checkWatches",
        /// 18: removeWatches.
        RemoveWatches = 18 => "removeWatches",
        /// 19: createContainer.
        CreateContainer = 19 => "createContainer",
        /// 20: deleteContainer (server-internal).
        DeleteContainer = 20 => "deleteContainer",
        /// 21: createTTL.
        CreateTtl = 21 => "createTTL",
        /// 22: multiRead (3.6+).
        MultiRead = 22 => "multiRead",
        /// 100: auth (xid -4).
        Auth = 100 => "auth",
        /// 101: setWatches.
        SetWatches = 101 => "setWatches",
        /// 102: sasl.
        Sasl = 102 => "sasl",
        /// 103: getEphemerals (3.6+).
        GetEphemerals = 103 => "getEphemerals",
        /// 104: getAllChildrenNumber (3.6+).
        GetAllChildrenNumber = 104 => "getAllChildrenNumber",
        /// 105: setWatches2 (3.6+).
        SetWatches2 = 105 => "setWatches2",
        /// 106: addWatch (3.6+).
        AddWatch = 106 => "addWatch",
        /// 107: whoAmI (3.7+).
        WhoAmI = 107 => "whoAmI",
        /// -10: createSession (server-internal).
        CreateSession = -10 => "createSession",
        /// -11: closeSession.
        CloseSession = -11 => "closeSession",
        /// -1: the type of an error result inside a multi response (and of the terminator).
        Error = -1 => "error",
    }
}

display_by_name!(OpCode);
