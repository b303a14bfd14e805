//! A TLS connection over a TCP socket, as the link's `Read` / `Write`: rustls holds the
//! protocol state, this type moves records between it and the socket. Reads hand out
//! plaintext straight from rustls's buffer into the session's (one copy after
//! decryption); writes take plaintext only when earlier records have left, so a slow
//! server pushes back instead of growing a buffer.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, ClientConfig, ClientConnection};
use zk_session::HostAddr;

use super::record_framing::RecordFraming;

/// One TLS connection: the socket and rustls's state for it.
pub(super) struct TlsStream {
    pub(super) tcp: TcpStream,
    conn: ClientConnection,
    /// The record framing of what was read from `tcp`.
    framing: RecordFraming,
    /// Whether the session's TLS settings hold a client certificate (to explain a
    /// server's refusal).
    has_client_cert: bool,
    /// The server, for messages.
    pub(super) host: HostAddr,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("tcp", &self.tcp)
            .field("host", &self.host)
            .field("handshaking", &self.conn.is_handshaking())
            .finish()
    }
}

/// Where a non-blocking handshake is.
pub(super) enum Handshake {
    Done,
    InProgress,
    Failed(io::Error),
}

impl TlsStream {
    /// Starts TLS on a connected socket; the server is verified against `host`'s name
    /// (a DNS name or an IP address). Nothing is sent yet.
    pub(super) fn start(
        tcp: TcpStream,
        config: &Arc<ClientConfig>,
        host: &HostAddr,
        has_client_cert: bool,
    ) -> io::Result<TlsStream> {
        let peer = host.to_string();
        let name = ServerName::try_from(host.host.clone()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "TLS to {peer}: {:?} is not a name a certificate can carry: {e}",
                    host.host
                ),
            )
        })?;
        let conn = ClientConnection::new(config.clone(), name)
            .map_err(|e| io::Error::other(format!("TLS to {peer}: {e}")))?;
        Ok(TlsStream {
            tcp,
            conn,
            framing: RecordFraming::default(),
            has_client_cert,
            host: host.clone(),
        })
    }

    /// Runs the whole handshake on a blocking socket, by `deadline`.
    pub(super) fn handshake_blocking(&mut self, deadline: Instant) -> io::Result<()> {
        while self.conn.is_handshaking() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(handshake_timed_out());
            }
            self.tcp.set_read_timeout(Some(left))?;
            self.tcp.set_write_timeout(Some(left))?;
            if let Err(e) = self
                .conn
                .complete_io(&mut Framed::new(&mut self.tcp, &mut self.framing))
            {
                // The socket's timeout passed (Linux says WouldBlock).
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) {
                    return Err(handshake_timed_out());
                }
                let e = self.alert_behind(e);
                return Err(self.explain(e));
            }
        }
        self.tcp.set_write_timeout(None)?;
        Ok(())
    }

    /// Carries a handshake on as far as a non-blocking socket allows.
    pub(super) fn handshake_step(&mut self) -> Handshake {
        while self.conn.is_handshaking() {
            if self.conn.wants_write() {
                match self.conn.write_tls(&mut self.tcp) {
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Handshake::InProgress;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let e = self.alert_behind(e);
                        return Handshake::Failed(self.explain(e));
                    }
                }
            }
            match self
                .conn
                .read_tls(&mut Framed::new(&mut self.tcp, &mut self.framing))
            {
                Ok(0) => return Handshake::Failed(self.explain(eof())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Handshake::InProgress,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Handshake::Failed(self.explain(e)),
            }
            if let Err(e) = self.conn.process_new_packets() {
                // The alert that says why goes out before the socket closes.
                let _ = self.conn.write_tls(&mut self.tcp);
                return Handshake::Failed(self.explain(tls_error(e)));
            }
        }
        // The last flight (Finished) may still be queued.
        match self.flush_records() {
            Ok(()) => Handshake::Done,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Handshake::Done,
            Err(e) => Handshake::Failed(self.explain(e)),
        }
    }

    /// Whether rustls wants to read records (while handshaking).
    pub(super) fn wants_read(&self) -> bool {
        self.conn.wants_read()
    }

    /// Whether records are waiting to be written to the socket.
    pub(super) fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// The framing of the records read so far.
    pub(super) fn framing(&self) -> &RecordFraming {
        &self.framing
    }

    /// Writes queued records until none are left or the socket would block (or its
    /// write timeout passes: `WouldBlock` / `TimedOut`).
    pub(super) fn flush_records(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.tcp) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.alert_behind(e)),
            }
        }
        Ok(())
    }

    /// A write that failed because the server closed the connection may have an alert
    /// behind it that says why (a server refusing a missing client certificate sends
    /// its alert and closes while the client may still be writing its last flight or,
    /// under TLS 1.3, its first request): reads what the socket still holds and
    /// explains that alert, else returns `e`. The connection is over either way, so
    /// the socket is left non-blocking.
    fn alert_behind(&mut self, e: io::Error) -> io::Error {
        use io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
        if !matches!(e.kind(), BrokenPipe | ConnectionReset | ConnectionAborted)
            || self.tcp.set_nonblocking(true).is_err()
        {
            return e;
        }
        while let Ok(1..) = self
            .conn
            .read_tls(&mut Framed::new(&mut self.tcp, &mut self.framing))
        {
            if let Err(alert) = self.conn.process_new_packets() {
                return self.explain(tls_error(alert));
            }
        }
        e
    }

    /// Turns a failure into one that says what went wrong in TLS terms.
    fn explain(&self, e: io::Error) -> io::Error {
        explain(e, &self.host, self.has_client_cert)
    }
}

/// The socket as rustls reads and writes it, with the framing of what is read
/// noted on the way.
struct Framed<'a> {
    tcp: &'a mut TcpStream,
    framing: &'a mut RecordFraming,
}

impl<'a> Framed<'a> {
    fn new(tcp: &'a mut TcpStream, framing: &'a mut RecordFraming) -> Framed<'a> {
        Framed { tcp, framing }
    }
}

impl Read for Framed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.framing.observe(&buf[..n]);
        Ok(n)
    }
}

impl Write for Framed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

impl Read for TlsStream {
    /// Plaintext from records already decrypted, else one read of the socket and what
    /// it brings; `WouldBlock` / `TimedOut` when the socket has nothing.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                // The peer closed the socket without close_notify: to the session, the
                // server closed the connection.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self
                .conn
                .read_tls(&mut Framed::new(&mut self.tcp, &mut self.framing))?
                == 0
            {
                // Tells rustls the stream ended; the next reader call says how.
                self.conn
                    .process_new_packets()
                    .map_err(|e| self.explain(tls_error(e)))?;
                return Ok(0);
            }
            if let Err(e) = self.conn.process_new_packets() {
                let _ = self.conn.write_tls(&mut self.tcp);
                return Err(self.explain(tls_error(e)));
            }
            // A key update or a TLS 1.3 ticket acknowledgement may want an answer.
            match self.flush_records() {
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
                _ => {}
            }
        }
    }
}

impl Write for TlsStream {
    /// Takes plaintext only once earlier records have left (else `WouldBlock`), then
    /// sends what the socket takes now; the rest goes with the next write or flush.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_records()?;
        let taken = self.conn.writer().write(buf)?;
        match self.flush_records() {
            Err(e)
                if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::TimedOut =>
            {
                Err(e)
            }
            _ if taken == 0 && !buf.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
            _ => Ok(taken),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_records()
    }
}

/// A blocking handshake that ran out of time.
fn handshake_timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the server did not answer the TLS handshake within the connect timeout: check that it is reachable and serves TLS on this port (secureClientPort)",
    )
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn eof() -> io::Error {
    io::ErrorKind::UnexpectedEof.into()
}

/// Turns a failed TLS handshake or read into an error that says what went wrong in
/// TLS terms and what to do (drivers put `host:port: ` in front). `has_client_cert`:
/// whether the session presents one, to tell "a certificate is required" from "this
/// certificate is refused".
pub(crate) fn explain(e: io::Error, host: &HostAddr, has_client_cert: bool) -> io::Error {
    const PLAINTEXT: &str =
        "is it a plaintext port? (ZooKeeper serves TLS on its secureClientPort)";
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => io::Error::new(
                e.kind(),
                format!("the server closed the connection during the TLS handshake: {PLAINTEXT}"),
            ),
            _ => e,
        };
    };
    let what = match tls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is not signed by a CA this client trusts: give TlsConfig the CA that signed the server certificates".to_owned()
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the server's certificate is not valid for the name {:?}: connect with a name or address the certificate lists",
            host.host
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired: the server needs a new one".to_owned(),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "the server's certificate is not valid yet: check the clocks".to_owned(),
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::HandshakeFailure
            | AlertDescription::BadCertificate,
        ) if !has_client_cert => {
            "the server refused the TLS handshake: it requires a client certificate (mutual TLS): give one with TlsConfig::client_cert_files".to_owned()
        }
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateRequired),
        ) => format!(
            "the server refused this client's certificate ({alert:?}): it must be signed by a CA in the server's trust store, be valid now (not expired) and allow client authentication"
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("the server did not answer in TLS: {PLAINTEXT}")
        }
        other => format!("TLS failed: {other}"),
    };
    io::Error::new(io::ErrorKind::InvalidData, what)
}
