//! `srvr`, `ruok`, `mntr`: four-letter words sent to the first host of the connect
//! string, outside any session (the server answers and closes the connection).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::json;

use crate::failure::Failure;
use crate::json::object;
use crate::output::Output;

const DEFAULT_PORT: u16 = 2181;
/// `mntr` of a busy server is a few KiB; anything past this is not a four-letter reply.
const MAX_REPLY: u64 = 1 << 20;

/// `host:port` of the first host, without the chroot; the port defaults to 2181.
fn first_host(hosts: &str) -> String {
    let first = hosts.split(',').next().unwrap_or("");
    let first = first.split('/').next().unwrap_or("");
    let has_port = match first.rfind(']') {
        Some(bracket) => first[bracket..].contains(':'),
        None => first.contains(':'),
    };
    if has_port {
        first.to_string()
    } else {
        format!("{first}:{DEFAULT_PORT}")
    }
}

pub fn run(word: &str, hosts: &str, timeout: Duration, out: &mut Output) -> Result<(), Failure> {
    let host = first_host(hosts);
    let unreachable = |why: String| Failure::Unreachable(format!("{host}: {why}"));
    let addrs: Vec<_> = host
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .collect();
    let mut last_error = String::from("no address");
    for addr in addrs {
        match ask(addr, word, timeout) {
            Ok(reply) => {
                if out.is_json() {
                    out.object(object(json!({
                        "command": word,
                        "server": addr.to_string(),
                        "response": reply,
                    })))?;
                } else {
                    out.data(reply.as_bytes())?;
                }
                return Ok(());
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(unreachable(last_error))
}

fn ask(addr: std::net::SocketAddr, word: &str, timeout: Duration) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(word.as_bytes())?;
    let mut reply = Vec::new();
    stream.take(MAX_REPLY).read_to_end(&mut reply)?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_host_drops_others_and_the_chroot() {
        assert_eq!(first_host("a:1,b:2/x"), "a:1");
        assert_eq!(first_host("a/x"), "a:2181");
        assert_eq!(first_host("[::1]:5"), "[::1]:5");
        assert_eq!(first_host("[::1]"), "[::1]:2181");
    }
}
