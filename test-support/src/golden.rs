//! The golden exchange: the requests a scripted raw-socket conversation with a real
//! server sends (zk-tests' `golden_capture` sends them and records every frame;
//! zk-proto's `golden` test encodes them and compares the bytes with the recording),
//! and the fixture files that hold the recording, in `zk-proto/tests/golden/` (see its
//! README).

use std::path::Path;

use bytes::Bytes;
use zk_proto::{
    Acl, AuthPacket, CheckVersionRequest, CreateMode, CreateRequest, DeleteRequest, ExistsRequest,
    GetChildren2Request, GetDataRequest, MultiOp, MultiRequest, OpCode, SetDataRequest,
    WireRequest, xid,
};

/// The directory of the fixture files.
pub const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../zk-proto/tests/golden");

/// One request of the exchange.
#[derive(Debug, Clone)]
pub struct ScriptedRequest {
    /// Names its fixtures: `NN_<slug>_request` and `NN_<slug>_reply`, `NN` the
    /// position in the capture.
    pub slug: &'static str,
    /// The xid it is sent with.
    pub xid: i32,
    /// What is sent.
    pub request: WireRequest,
    /// One line on what it is, for the fixture's comment header.
    pub what: &'static str,
}

fn scripted(
    slug: &'static str,
    xid: i32,
    request: WireRequest,
    what: &'static str,
) -> ScriptedRequest {
    ScriptedRequest {
        slug,
        xid,
        request,
        what,
    }
}

fn create(path: &str, data: &'static [u8]) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: Bytes::from_static(data),
        acl: Acl::open_unsafe(),
        flags: CreateMode::Persistent,
    }
}

/// The requests of the main session after its handshake, in the order sent, each
/// answered before the next is sent; the last one, closeSession, ends the session.
pub fn main_session_requests() -> Vec<ScriptedRequest> {
    vec![
        scripted(
            "create",
            1,
            WireRequest::Create(Box::new(create("/golden", b"golden"))),
            "create (op 1) of /golden, data \"golden\", OPEN_ACL_UNSAFE, persistent",
        ),
        scripted(
            "create2",
            2,
            WireRequest::Create2(Box::new(create("/golden/c2", b"c2"))),
            "create2 (op 15) of /golden/c2, data \"c2\", OPEN_ACL_UNSAFE, persistent",
        ),
        scripted(
            "get_data",
            3,
            WireRequest::GetData(GetDataRequest {
                path: "/golden".into(),
                watch: true,
            }),
            "getData (op 4) of /golden, watch true",
        ),
        scripted(
            "get_children2",
            4,
            WireRequest::GetChildren2(GetChildren2Request {
                path: "/golden".into(),
                watch: false,
            }),
            "getChildren2 (op 12) of /golden, watch false",
        ),
        scripted(
            "set_data",
            5,
            WireRequest::SetData(Box::new(SetDataRequest {
                path: "/golden".into(),
                data: Bytes::from_static(b"golden-v1"),
                version: -1,
            })),
            "setData (op 5) of /golden, data \"golden-v1\", version -1 (fires the getData watch)",
        ),
        scripted(
            "delete",
            6,
            WireRequest::Delete(DeleteRequest {
                path: "/golden/c2".into(),
                version: -1,
            }),
            "delete (op 2) of /golden/c2, version -1",
        ),
        scripted(
            "exists_missing",
            7,
            WireRequest::Exists(ExistsRequest {
                path: "/missing".into(),
                watch: false,
            }),
            "exists (op 3) of /missing, watch false",
        ),
        scripted(
            "multi",
            8,
            WireRequest::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create2(create("/golden/m1", b"m1")),
                    MultiOp::SetData(SetDataRequest {
                        path: "/golden/m1".into(),
                        data: Bytes::from_static(b"m1-v1"),
                        version: 0,
                    }),
                    MultiOp::Check(CheckVersionRequest {
                        path: "/golden/m1".into(),
                        version: 1,
                    }),
                ],
            }),
            "multi (op 14) that succeeds: create2 /golden/m1, setData /golden/m1 version 0, check /golden/m1 version 1",
        ),
        scripted(
            "multi_failing",
            9,
            WireRequest::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create(create("/golden/m", b"")),
                    MultiOp::Delete(DeleteRequest {
                        path: "/nonexistent".into(),
                        version: -1,
                    }),
                    MultiOp::Create(create("/golden/m2", b"")),
                ],
            }),
            "multi (op 14) that fails on its second op: create /golden/m, delete /nonexistent, create /golden/m2",
        ),
        scripted("ping", xid::PING, WireRequest::Ping, "ping (op 11)"),
        scripted(
            "close_session",
            10,
            WireRequest::CloseSession,
            "closeSession (op -11)",
        ),
    ]
}

/// The one request of the auth connection (a fresh session of its own): an auth with
/// a scheme the server does not know, which it answers AuthFailed and then closes.
pub fn auth_failure_request() -> ScriptedRequest {
    scripted(
        "auth_failed",
        xid::AUTH,
        WireRequest::Auth(Box::new(AuthPacket::new("nosuchscheme", &b"anything"[..]))),
        "auth (op 100) with an unknown scheme, on a fresh session",
    )
}

/// Every server frame after a handshake, in capture order, with the op of the request
/// it answers (`OpCode::Notification` for the notification).
pub const REPLIES: [(&str, OpCode); 13] = [
    ("04_create_reply", OpCode::Create),
    ("06_create2_reply", OpCode::Create2),
    ("08_get_data_reply", OpCode::GetData),
    ("10_get_children2_reply", OpCode::GetChildren2),
    ("12_notification", OpCode::Notification),
    ("13_set_data_reply", OpCode::SetData),
    ("15_delete_reply", OpCode::Delete),
    ("17_exists_missing_reply", OpCode::Exists),
    ("19_multi_reply", OpCode::Multi),
    ("21_multi_failing_reply", OpCode::Multi),
    ("23_ping_reply", OpCode::Ping),
    ("25_close_session_reply", OpCode::CloseSession),
    ("29_auth_failed_reply", OpCode::Auth),
];

/// The ConnectResponse frames: with the readOnly byte, then without.
pub const CONNECT_REPLIES: [&str; 2] = ["02_connect_reply", "27_connect_without_read_only_reply"];

/// The names of the `.hex` files in `dir`, without the extension, sorted.
pub fn fixture_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            (path.extension()? == "hex").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

/// Parses fixture text: `#` lines are comments, whitespace is ignored.
pub fn parse_fixture(text: &str) -> Result<Vec<u8>, String> {
    let hex: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect();
    if hex.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", hex.len()));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|err| format!("at {i}: {err}")))
        .collect()
}

/// The whole frame (length prefix included) of the committed fixture `name`; panics if
/// it is missing or not hex.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(FIXTURE_DIR).join(format!("{name}.hex"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    parse_fixture(&text).unwrap_or_else(|err| panic!("{name}: {err}"))
}
