//! Telling a peer that does not speak ZooKeeper from one that does, on its first
//! bytes. A ZooKeeper server answers the handshake with a frame of a few dozen bytes,
//! so the length prefix starts with zero bytes; a server of a text protocol (HTTP,
//! SMTP, Redis...) starts with printable characters, which read as a length of
//! hundreds of megabytes. Saying "not ZooKeeper" beats "frame too long".

use crate::connect_string::HostAddr;
use crate::error::CloseReason;

/// Bytes that decide: the length prefix.
const PREFIX: usize = zk_proto::LENGTH_PREFIX_LEN;
/// Most characters of the answer quoted in the message.
const QUOTED: usize = 40;

/// Why to drop a handshaking connection whose `received` bytes are text, not a frame:
/// the first 4 bytes are all printable ASCII (space to `~`). `None` while fewer than 4
/// bytes are in, or when they could be a ZooKeeper frame.
pub(super) fn answer_is_text(host: &HostAddr, received: &[u8]) -> Option<CloseReason> {
    let prefix = received.get(..PREFIX)?;
    if !prefix.iter().all(|b| is_printable(*b)) {
        return None;
    }
    let line_len = received
        .iter()
        .take(QUOTED)
        .take_while(|b| is_printable(**b))
        .count();
    let text = String::from_utf8_lossy(&received[..line_len]).into_owned();
    Some(CloseReason::NotZooKeeper {
        host: host.clone(),
        text,
        cut: received.len() > line_len,
    })
}

fn is_printable(byte: u8) -> bool {
    (b' '..=b'~').contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostAddr {
        HostAddr {
            host: "127.0.0.1".to_string(),
            port: 8080,
        }
    }

    #[test]
    fn an_http_answer_is_quoted_up_to_its_line_end() {
        let reason = answer_is_text(
            &host(),
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n",
        );
        assert_eq!(
            reason.map(|r| r.to_string()).as_deref(),
            Some(
                "the server at 127.0.0.1:8080 does not speak the ZooKeeper protocol (it sent text: \"HTTP/1.1 400 Bad Request\"…): check the host and port of the connect string"
            )
        );
    }

    #[test]
    fn a_handshake_answer_is_not_text() {
        let mut answer = vec![0, 0, 0, 36];
        answer.extend_from_slice(&[0; 36]);
        assert_eq!(answer_is_text(&host(), &answer), None);
    }

    #[test]
    fn fewer_than_four_bytes_decide_nothing() {
        assert_eq!(answer_is_text(&host(), b"HTT"), None);
    }

    #[test]
    fn a_long_line_is_cut_at_forty_characters() {
        let line = "x".repeat(100);
        let Some(CloseReason::NotZooKeeper { text, cut, .. }) =
            answer_is_text(&host(), line.as_bytes())
        else {
            panic!("a line of text is text");
        };
        assert_eq!((text.len(), cut), (40, true));
    }

    #[test]
    fn an_answer_that_is_all_text_is_quoted_whole() {
        let Some(CloseReason::NotZooKeeper { text, cut, .. }) = answer_is_text(&host(), b"+PONG")
        else {
            panic!("a line of text is text");
        };
        assert_eq!((text.as_str(), cut), ("+PONG", false));
    }
}
