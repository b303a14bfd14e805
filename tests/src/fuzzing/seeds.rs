//! Seed inputs for the committed corpora (`fuzz/seeds/<target>/`), built from the
//! golden frames captured from a real server (`zk-proto/tests/golden/*.hex`) and from
//! scripted exchanges. `tests/tests/fuzz_corpus.rs` rewrites the seed dirs from here
//! when run with `ZK_WRITE_SEEDS=1`.

use zk_proto::OpCode;
use zk_test_support::golden::{CONNECT_REPLIES, REPLIES, fixture};

use super::decode::{OPS, Target, targets};
use super::frame::MAXES;
use super::input::Output;

/// Named seed inputs of one target.
pub type Seeds = Vec<(String, Vec<u8>)>;

fn frame_input(max_index: usize, chunks: &[u8], stream: &[u8]) -> Vec<u8> {
    let mut o = Output::default();
    o.pick(max_index)
        .u8(chunks.len() as u8)
        .bytes(chunks)
        .bytes(stream);
    o.buf
}

fn target_index(t: Target) -> usize {
    targets()
        .iter()
        .position(|&x| x == t)
        .expect("target listed")
}

fn op_index(op: OpCode) -> usize {
    OPS.iter().position(|&x| x == op).expect("op listed")
}

/// Seeds of `frame`: the golden server stream, whole and split, under several maxima;
/// a too-long and a negative length.
pub fn frame_seeds() -> Seeds {
    let mut stream = Vec::new();
    stream.extend(fixture(CONNECT_REPLIES[0]));
    for (name, _) in REPLIES {
        stream.extend(fixture(name));
    }
    let default = MAXES.len() - 1;
    let mut seeds = vec![
        (
            "golden_whole".to_string(),
            frame_input(default, &[], &stream),
        ),
        ("golden_bytes".into(), frame_input(default, &[1], &stream)),
        (
            "golden_split_3_7_0_64".into(),
            frame_input(default, &[3, 7, 0, 64], &stream),
        ),
        ("golden_max_100".into(), frame_input(4, &[5, 200], &stream)),
        ("golden_max_16".into(), frame_input(3, &[2], &stream)),
        (
            "empty_frames_max_0".into(),
            frame_input(0, &[1, 2], &[0; 12]),
        ),
        (
            "too_long".into(),
            frame_input(5, &[2, 2], &[0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 4, 1, 9]),
        ),
        (
            "negative".into(),
            frame_input(default, &[3], &[0, 0, 0, 1, 7, 0xff, 0xff, 0xff, 0xfe]),
        ),
        (
            "huge_prefix".into(),
            frame_input(default, &[], &[0x7f, 0xff, 0xff, 0xff, 1, 2]),
        ),
    ];
    let connect_reply = fixture(CONNECT_REPLIES[0]);
    seeds.push((
        "connect_reply".into(),
        frame_input(default, &[4], &connect_reply),
    ));
    seeds
}

/// Seeds of `decode`: every golden server frame, as a whole reply frame and as a bare
/// body, plus hand-made non-canonical forms.
pub fn decode_seeds() -> Seeds {
    let mut seeds = Vec::new();
    for (name, op) in &REPLIES {
        let f = fixture(name);
        let payload = &f[4..];
        let frame_op = if *op == OpCode::Notification {
            OpCode::GetData
        } else {
            *op
        };
        let mut o = Output::default();
        o.pick(target_index(Target::Frame))
            .pick(op_index(frame_op))
            .bytes(payload);
        seeds.push((format!("frame_{name}"), o.buf));
        let body = &payload[16.min(payload.len())..];
        let mut o = Output::default();
        if *op == OpCode::Notification {
            o.pick(target_index(Target::Event)).bytes(body);
        } else {
            o.pick(target_index(Target::Body(*op))).bytes(body);
        }
        seeds.push((format!("body_{name}"), o.buf));
    }
    for name in CONNECT_REPLIES {
        let f = fixture(name);
        let mut o = Output::default();
        o.pick(target_index(Target::Connect)).bytes(&f[4..]);
        seeds.push((format!("connect_{name}"), o.buf));
    }
    // Non-canonical forms.
    let body = |op: OpCode, bytes: &[u8]| {
        let mut o = Output::default();
        o.pick(target_index(Target::Body(op))).bytes(bytes);
        o.buf
    };
    let stat = [0u8; 68];
    let mut null_data = vec![0xff; 4];
    null_data.extend_from_slice(&stat);
    seeds.push(("null_buffer".into(), body(OpCode::GetData, &null_data)));
    let mut null_children = vec![0xff; 4];
    null_children.extend_from_slice(&stat);
    seeds.push((
        "null_vector".into(),
        body(OpCode::GetChildren2, &null_children),
    ));
    seeds.push(("null_string".into(), body(OpCode::Create, &[0xff; 4])));
    seeds.push(("empty_add_watch".into(), body(OpCode::AddWatch, &[])));
    seeds.push(("add_watch".into(), body(OpCode::AddWatch, &[0, 0, 0, 0])));
    let mut acl = vec![0, 0, 0, 1, 0, 0, 0, 31, 0, 0, 0, 5];
    acl.extend_from_slice(b"world");
    acl.extend_from_slice(&[0, 0, 0, 6]);
    acl.extend_from_slice(b"anyone");
    acl.extend_from_slice(&stat);
    seeds.push(("get_acl".into(), body(OpCode::GetAcl, &acl)));
    let mut who = vec![0, 0, 0, 1, 0, 0, 0, 2];
    who.extend_from_slice(b"ip");
    who.extend_from_slice(&[0, 0, 0, 9]);
    who.extend_from_slice(b"127.0.0.1");
    seeds.push(("who_am_i".into(), body(OpCode::WhoAmI, &who)));
    // A multi terminator written (-1, 7, 0) and an error result whose header err
    // differs from its body.
    let multi = [
        0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x9b, //
        0, 0, 0, 2, 0, 0, 0, 0, 0, //
        0, 0, 0, 0, 7, 0, 0, 0, 0,
    ];
    seeds.push(("multi_odd_headers".into(), body(OpCode::MultiRead, &multi)));
    let mut connect = vec![0u8; 16];
    connect.extend_from_slice(&[0, 0, 0, 0x10]);
    connect.extend_from_slice(&[9; 16]);
    connect.push(2);
    let mut o = Output::default();
    o.pick(target_index(Target::Connect)).bytes(&connect);
    seeds.push(("connect_read_only_2".into(), o.buf));
    let mut o = Output::default();
    o.pick(target_index(Target::UnknownOp))
        .u32(9999)
        .bytes(&[0; 8]);
    seeds.push(("unknown_op".into(), o.buf));
    seeds
}

// ----- session scripts ----------------------------------------------------------------

/// Builds `session_server` inputs step by step (opcodes as documented on
/// [`super::session_server`] and `driver::client_step`).
struct Script(Output);

/// Indexes into `driver::PATHS`.
const ROOT: u8 = 0;
const A: u8 = 1;
const AB: u8 = 2;

impl Script {
    /// Config bytes: flags, session timeout index, connect string index.
    fn new(flags: u8, timeout: u8, connect: u8) -> Script {
        let mut o = Output::default();
        o.u8(flags).u8(timeout).u8(connect);
        Script(o)
    }
    fn op(&mut self, op: u8, args: &[u8]) -> &mut Self {
        self.0.u8(op).bytes(args);
        self
    }
    fn connect(&mut self) -> &mut Self {
        self.op(0, &[])
    }
    fn next_timer(&mut self) -> &mut Self {
        self.op(4, &[])
    }
    fn advance_ms(&mut self, ms: u16) -> &mut Self {
        self.0.u8(3).u16(ms);
        self
    }
    fn advance_s(&mut self, s: u8) -> &mut Self {
        self.op(13, &[s])
    }
    /// Gives up the `index`th request submitted, with the node it made (`delete`).
    fn abandon(&mut self, index: u8, delete: bool) -> &mut Self {
        self.op(13, &[super::driver::GIVE_UP | u8::from(delete), index])
    }
    /// Submit: request kind, then its field bytes.
    fn submit(&mut self, kind: u8, fields: &[u8]) -> &mut Self {
        self.op(5, &[kind]).op_bytes(fields)
    }
    fn op_bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.bytes(b);
        self
    }
    fn write_all(&mut self) -> &mut Self {
        self.op(7, &[])
    }
    fn disconnect(&mut self) -> &mut Self {
        self.op(8, &[0])
    }
    fn close(&mut self) -> &mut Self {
        self.op(9, &[])
    }
    fn auth(&mut self, scheme: u8, bytes: &[u8]) -> &mut Self {
        self.op(10, &[scheme]);
        self.0.short_bytes(bytes);
        self
    }
    fn handshake(&mut self, granted: u8, sid: u8, ro: u8) -> &mut Self {
        self.op(super::session_server::OP_HANDSHAKE, &[granted, sid, ro])
    }
    fn reply(&mut self, mode: u8, arg: u8) -> &mut Self {
        self.op(super::session_server::OP_REPLY, &[mode, arg])
    }
    fn wrong_xid(&mut self, which: u8, err: u8) -> &mut Self {
        self.op(super::session_server::OP_WRONG_XID, &[which, err])
    }
    fn notify(&mut self, event_type: u8, path: u8, prefix: u8) -> &mut Self {
        self.op(
            super::session_server::OP_NOTIFY,
            &[event_type, 0, path, prefix],
        )
    }
    fn garbage(&mut self, b: &[u8]) -> &mut Self {
        self.0.u8(super::session_server::OP_GARBAGE).short_bytes(b);
        self
    }
    fn bad_length(&mut self, which: u8) -> &mut Self {
        self.op(super::session_server::OP_BAD_LENGTH, &[which])
    }
    fn deliver(&mut self, n: u8) -> &mut Self {
        self.op(super::session_server::OP_DELIVER, &[n])
    }
    fn serve(&mut self) -> &mut Self {
        self.op(super::session_server::OP_SERVE, &[])
    }
    /// Connect and complete the handshake.
    fn establish(&mut self) -> &mut Self {
        self.connect().serve()
    }
    fn done(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0.buf)
    }
}

/// Field bytes of one request of each kind (`driver::request`), after the kind byte.
fn every_request() -> Vec<(u8, Vec<u8>)> {
    vec![
        (0, vec![A, 1, b'x', 0, 0, 0, 0]), // create /a "x" open persistent
        (0, vec![A, 0, 0, 2, 0, 1]),       // create2 /a, persistent sequential
        (0, vec![A, 0, 0, 5, 1, 0]),       // create TTL 1000
        (0, vec![A, 0, 0, 4, 0, 0]),       // container
        (1, vec![A, 0]),                   // delete /a -1
        (2, vec![A, 1]),                   // exists /a watch
        (3, vec![A, 1]),                   // getData /a watch
        (4, vec![A, 2, b'h', b'i', 1]),    // setData /a "hi" 0
        (5, vec![A]),                      // getACL
        (6, vec![A, 0, 0]),                // setACL open -1
        (7, vec![ROOT, 1, 0]),             // getChildren / watch
        (7, vec![ROOT, 0, 1]),             // getChildren2
        (8, vec![A]),                      // sync
        (9, vec![3, 0, AB, 0, 0, 0, 4, A, 0, 6, A, 1]), // multi create, delete, check
        (9, vec![0]),                      // empty multi (local)
        (10, vec![2, 7, A, 0, 8, ROOT, 0]), // multiRead getData, getChildren
        (11, vec![1]),                     // getConfig watch
        (12, vec![2, 0, 0, 0]),            // reconfig
        (13, vec![]),                      // whoAmI
        (14, vec![ROOT]),                  // getEphemerals
        (15, vec![ROOT]),                  // getAllChildrenNumber
        (16, vec![A, 1]),                  // addWatch recursive
        (17, vec![0, A, 2, 0]),            // removeWatches Any
        (17, vec![1, A, 1, 1]),            // remove one registration locally
    ]
}

/// Seeds of `session_server`: scripted exchanges.
pub fn session_server_seeds() -> Seeds {
    let mut seeds = Vec::new();
    // Handshake, a watched read, its notification, close.
    seeds.push((
        "basic".to_string(),
        Script::new(2, 3, 0)
            .establish()
            .submit(3, &[A, 1])
            .serve()
            .notify(3, A, 0)
            .deliver(0)
            .close()
            .serve()
            .done(),
    ));
    // The same through recv_buf.
    seeds.push((
        "basic_recv_buf".to_string(),
        Script::new(0x82, 3, 0)
            .establish()
            .submit(3, &[A, 1])
            .serve()
            .notify(3, A, 0)
            .deliver(0)
            .close()
            .serve()
            .done(),
    ));
    // Every request kind, answered well.
    let mut s = Script::new(2, 3, 0);
    s.establish();
    for (kind, fields) in every_request() {
        s.submit(kind, &fields).serve();
    }
    seeds.push(("every_op".into(), s.close().serve().done()));
    // The same, pipelined, then answered with errors (through recv_buf).
    let mut s = Script::new(0x82, 3, 0);
    s.establish();
    for (kind, fields) in every_request() {
        s.submit(kind, &fields);
    }
    s.write_all();
    for i in 0..24 {
        s.reply(1, i);
    }
    seeds.push(("every_op_errors".into(), s.deliver(0).done()));
    // Under a chroot, notifications inside and outside it.
    let mut s = Script::new(2, 3, 2);
    s.establish()
        .submit(7, &[ROOT, 1, 0])
        .submit(3, &[A, 1])
        .serve();
    s.notify(4, ROOT, 1)
        .notify(3, A, 1)
        .notify(3, A, 3)
        .deliver(0);
    seeds.push((
        "chroot".into(),
        s.submit(0, &[A, 0, 0, 3, 0, 1]).serve().done(),
    ));
    // Reconnect with watches and auth to replay, requests in flight.
    let mut s = Script::new(2, 3, 1);
    s.establish()
        .auth(0, b"u:p")
        .submit(3, &[A, 1])
        .submit(16, &[AB, 0])
        .serve();
    s.submit(4, &[A, 1, b'v', 0]).write_all().disconnect();
    s.next_timer().establish().serve();
    seeds.push(("reconnect".into(), s.done()));
    // Giving creates up: one answered after it was given up (the session deletes the
    // node it names), one lost with its connection (the session looks for it after
    // the reconnect), one never written.
    const EPHEMERAL_SEQUENTIAL: &[u8] = &[A, 0, 0, 3, 0, 0];
    let mut s = Script::new(2, 3, 0);
    s.establish()
        .submit(0, EPHEMERAL_SEQUENTIAL)
        .write_all()
        .abandon(0, true)
        .serve()
        .serve();
    seeds.push(("abandon_answered".into(), s.close().serve().done()));
    let mut s = Script::new(2, 3, 0);
    s.establish()
        .submit(0, EPHEMERAL_SEQUENTIAL)
        .write_all()
        .abandon(0, true)
        .disconnect();
    s.next_timer().establish().serve().serve().serve();
    seeds.push(("abandon_lost".into(), s.close().serve().done()));
    // Given up with its node after its ConnectionLoss came: still looked for.
    let mut s = Script::new(2, 3, 0);
    s.establish()
        .submit(0, EPHEMERAL_SEQUENTIAL)
        .write_all()
        .disconnect();
    s.next_timer()
        .establish()
        .abandon(0, true)
        .serve()
        .serve()
        .serve();
    seeds.push(("abandon_lost_taken".into(), s.close().serve().done()));
    let mut s = Script::new(2, 3, 0);
    s.establish()
        .submit(3, &[A, 1])
        .submit(0, EPHEMERAL_SEQUENTIAL)
        .abandon(1, true)
        .abandon(0, false)
        .serve();
    seeds.push(("abandon_unwritten".into(), s.close().serve().done()));
    // Resumed session refused: expired.
    seeds.push((
        "expired".into(),
        Script::new(10, 3, 0)
            .connect()
            .write_all()
            .handshake(5, 0, 0)
            .deliver(0)
            .done(),
    ));
    // Auth failure.
    let mut s = Script::new(2, 3, 0);
    s.establish().auth(0, b"bad").submit(3, &[A, 0]).write_all();
    seeds.push(("auth_failed".into(), s.wrong_xid(3, 6).deliver(0).done()));
    // SASL: DIGEST-MD5 answers the challenge, then fails on a second one (no
    // rspauth); the permissive mechanism completes, then a request is served.
    let mut s = Script::new(2, 3 | 0x40, 0);
    s.submit(3, &[A, 0]).establish().serve().serve();
    seeds.push(("sasl_digest_fails".into(), s.done()));
    let mut s = Script::new(2, 3 | 0x80, 0);
    s.submit(3, &[A, 0])
        .establish()
        .serve()
        .serve()
        .close()
        .serve();
    seeds.push(("sasl_completes".into(), s.done()));
    // Read-only server, then probing.
    let mut s = Script::new(3, 3, 1);
    s.connect().write_all().handshake(0, 0, 2).deliver(0);
    s.advance_ms(150).op(11, &[0, 1]).next_timer().establish();
    seeds.push(("read_only".into(), s.done()));
    // Request timeout on a written request.
    let mut s = Script::new(6, 3, 0);
    s.establish().submit(3, &[A, 0]).write_all().advance_s(3);
    seeds.push(("request_timeout".into(), s.next_timer().establish().done()));
    // Pings, read timeout, client-side expiry.
    let mut s = Script::new(2, 2, 0);
    s.establish().advance_s(2).serve().advance_s(3).advance_s(3);
    seeds.push(("ping_and_expiry".into(), s.done()));
    // Reply modes.
    let mut s = Script::new(2, 3, 0);
    s.establish();
    for mode in 2..9u8 {
        s.submit(9, &[1, 5, A, 0, 0])
            .write_all()
            .reply(mode, 1)
            .deliver(0)
            .serve();
    }
    seeds.push(("reply_modes".into(), s.done()));
    // Wrong xids and malformed frames.
    for which in 0..8u8 {
        let mut s = Script::new(2, 3, 0);
        s.establish()
            .submit(3, &[A, 0])
            .write_all()
            .wrong_xid(which, 0)
            .deliver(0);
        seeds.push((format!("wrong_xid_{which}"), s.serve().done()));
    }
    let mut s = Script::new(2, 3, 0);
    s.establish()
        .garbage(&[0, 0, 0, 3, 1])
        .deliver(2)
        .deliver(0)
        .serve();
    seeds.push(("garbage".into(), s.done()));
    for which in 0..3u8 {
        let mut s = Script::new(2 | 0x10, 3, 0);
        s.establish().bad_length(which).deliver(0).serve();
        seeds.push((format!("bad_length_{which}"), s.done()));
    }
    // Big data: past the high-water mark and past the maximum frame.
    let mut s = Script::new(2, 3, 0);
    s.establish();
    for _ in 0..3 {
        s.op(5, &[4, A, 255]).op_bytes(&[0; 255]).op_bytes(&[40, 0]);
    }
    s.op(5, &[4, A, 255])
        .op_bytes(&[0; 255])
        .op_bytes(&[255, 0]);
    s.op(6, &[0, 100]).serve();
    seeds.push(("big_data".into(), s.done()));
    // Connect failures and backoff, then close while connecting.
    let mut s = Script::new(0, 3, 1);
    s.op(1, &[])
        .next_timer()
        .op(1, &[])
        .next_timer()
        .submit(3, &[A, 0])
        .close();
    seeds.push(("connect_failures".into(), s.done()));
    seeds
}

/// Seeds of `session`: the `session_server` scripts recorded as raw server bytes.
pub fn session_seeds() -> Seeds {
    session_server_seeds()
        .into_iter()
        .filter_map(|(name, script)| Some((name, super::session_server::run(&script, true)?)))
        .collect()
}

/// Every target's seeds, by target name.
pub fn all() -> Vec<(&'static str, Seeds)> {
    vec![
        ("frame", frame_seeds()),
        ("decode", decode_seeds()),
        ("session", session_seeds()),
        ("session_server", session_server_seeds()),
    ]
}
