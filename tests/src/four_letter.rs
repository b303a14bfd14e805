//! Four-letter words: a 4-byte command instead of a length prefix, a plain-text reply,
//! then the server closes the connection.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long [`four_letter`] waits for the connection and for the whole reply.
pub const FOUR_LETTER_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `command` (e.g. `"srvr"`) to the server at `addr` and returns its whole reply.
pub fn four_letter(addr: SocketAddr, command: &str) -> io::Result<String> {
    four_letter_with_timeout(addr, command, FOUR_LETTER_TIMEOUT)
}

/// [`four_letter`] with a bound on the connect and on the whole exchange; a server that
/// stays silent (paused, or behind a blackhole) yields `TimedOut` or `WouldBlock`.
pub fn four_letter_with_timeout(
    addr: SocketAddr,
    command: &str,
    timeout: Duration,
) -> io::Result<String> {
    if command.len() != 4 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a four-letter word has 4 bytes, not {command:?}"),
        ));
    }
    let deadline = Instant::now() + timeout;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(command.as_bytes())?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{command} to {addr}"),
            ));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf)? {
            0 => break,
            n => reply.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8(reply).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
}

/// Whether the server answers `ruok` with `imok`: its process serves connections (which
/// says nothing about a quorum).
pub fn is_ok(addr: SocketAddr) -> bool {
    four_letter(addr, "ruok").is_ok_and(|reply| reply == "imok")
}

/// The role a server reports in the `Mode:` line of `srvr` or `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerMode {
    /// A single server, not part of an ensemble.
    Standalone,
    /// The ensemble member that orders writes.
    Leader,
    /// A voting ensemble member following the leader.
    Follower,
    /// A non-voting ensemble member.
    Observer,
    /// A member cut off from its quorum, serving reads only (`readonlymode.enabled`).
    ReadOnly,
}

impl ServerMode {
    /// Finds the `Mode:` line in `srvr` or `stat` output; `None` when there is none, as
    /// from a member that is not serving ("This ZooKeeper instance is not currently
    /// serving requests").
    pub fn from_srvr(text: &str) -> Option<ServerMode> {
        let mode = text.lines().find_map(|line| line.strip_prefix("Mode: "))?;
        match mode.trim() {
            "standalone" => Some(ServerMode::Standalone),
            "leader" => Some(ServerMode::Leader),
            "follower" => Some(ServerMode::Follower),
            "observer" => Some(ServerMode::Observer),
            "read-only" => Some(ServerMode::ReadOnly),
            _ => None,
        }
    }

    /// Whether a member in this mode is part of a working quorum.
    pub fn in_quorum(self) -> bool {
        matches!(
            self,
            ServerMode::Leader | ServerMode::Follower | ServerMode::Observer
        )
    }
}

/// Asks `srvr` and parses its mode; `Ok(None)` when the server answers but is not serving.
pub fn server_mode(addr: SocketAddr) -> io::Result<Option<ServerMode>> {
    four_letter(addr, "srvr").map(|text| ServerMode::from_srvr(&text))
}

/// Asks `isro`: `true` for `ro` (read-only), `false` for `rw`.
pub fn is_read_only(addr: SocketAddr) -> io::Result<bool> {
    match four_letter(addr, "isro")?.trim() {
        "ro" => Ok(true),
        "rw" => Ok(false),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("isro answered {other:?}"),
        )),
    }
}

/// Asks `mntr` and returns its `key<TAB>value` lines as a map (e.g. `zk_znode_count`).
pub fn mntr(addr: SocketAddr) -> io::Result<BTreeMap<String, String>> {
    four_letter(addr, "mntr").map(|text| parse_mntr(&text))
}

/// Parses `mntr` output; lines without a tab are skipped.
pub fn parse_mntr(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(key, value)| (key.to_owned(), value.trim().to_owned()))
        .collect()
}
