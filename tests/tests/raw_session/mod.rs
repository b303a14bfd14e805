//! A hand-rolled ZooKeeper session: just enough of the wire protocol to give a server or
//! a proxy real traffic, independent of the client crates under test.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const PING_XID: i32 = -2;
const OP_PING: i32 = 11;
const OP_EXISTS: i32 = 3;

/// One session on one connection; requests are sent one at a time.
pub struct RawSession {
    stream: TcpStream,
}

impl RawSession {
    /// Connects and sends a ConnectRequest for a new 30 s session; returns once the
    /// ConnectResponse is in.
    pub fn open(server: SocketAddr) -> RawSession {
        let stream = TcpStream::connect(server).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut session = RawSession { stream };
        let mut connect = Vec::new();
        connect.extend_from_slice(&0i32.to_be_bytes()); // protocol version
        connect.extend_from_slice(&0i64.to_be_bytes()); // last zxid seen
        connect.extend_from_slice(&30_000i32.to_be_bytes()); // session timeout, ms
        connect.extend_from_slice(&0i64.to_be_bytes()); // session id: a new session
        connect.extend_from_slice(&16i32.to_be_bytes()); // password length
        connect.extend_from_slice(&[0; 16]);
        connect.push(0); // not read-only
        session.send_frame(&connect);
        let response = session.read_frame();
        assert!(
            response.len() >= 36,
            "ConnectResponse of {} bytes",
            response.len()
        );
        session
    }

    /// Sends a ping and waits for its reply.
    pub fn ping(&mut self) {
        self.send_frame(&[PING_XID.to_be_bytes(), OP_PING.to_be_bytes()].concat());
        let reply = self.read_frame();
        assert_eq!(
            reply[..4],
            PING_XID.to_be_bytes(),
            "a ping reply carries the ping xid"
        );
    }

    /// Sets an exists-watch on `/` (xid 1) and waits for the reply.
    pub fn watch_root(&mut self) {
        let mut exists = Vec::new();
        exists.extend_from_slice(&1i32.to_be_bytes()); // xid
        exists.extend_from_slice(&OP_EXISTS.to_be_bytes());
        exists.extend_from_slice(&1i32.to_be_bytes()); // path length
        exists.push(b'/');
        exists.push(1); // watch
        self.send_frame(&exists);
        let reply = self.read_frame();
        assert_eq!(reply[..4], 1i32.to_be_bytes());
    }

    fn send_frame(&mut self, payload: &[u8]) {
        let length = i32::try_from(payload.len()).unwrap();
        self.stream.write_all(&length.to_be_bytes()).unwrap();
        self.stream.write_all(payload).unwrap();
    }

    fn read_frame(&mut self) -> Vec<u8> {
        let mut length = [0; 4];
        self.stream.read_exact(&mut length).unwrap();
        let mut payload = vec![0; usize::try_from(i32::from_be_bytes(length)).unwrap()];
        self.stream.read_exact(&mut payload).unwrap();
        payload
    }
}
