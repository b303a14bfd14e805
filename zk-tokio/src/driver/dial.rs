//! The driver's own connections: the session's dials (a fresh name lookup each time,
//! then each address in turn, TCP_NODELAY on, then the TLS handshake when the session
//! uses TLS) and the read-write probe.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use zk_blocking::for_drivers::{LinkTls, explain_tls_failure};
use zk_session::HostAddr;

use super::connection::Connection;
use super::framed::FramedTcp;

/// How long a probe may take before its host counts as not read-write.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Connects to `host` ([`dial_tcp`]) and, with `tls`, completes the TLS handshake,
/// verifying the server against `host`'s name. A failed handshake says why in TLS
/// terms. Not bounded here: the session's connect timer closes a dial that takes too
/// long. `reached` is set once the host accepted the TCP connection.
pub(super) async fn dial(
    host: HostAddr,
    tls: Option<LinkTls>,
    reached: Arc<AtomicBool>,
) -> io::Result<Connection> {
    let tcp = dial_tcp(&host).await?;
    reached.store(true, Ordering::Relaxed);
    let Some(tls) = tls else {
        return Ok(Connection::Plain(tcp));
    };
    let name = ServerName::try_from(host.host.clone()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{:?} is not a name a certificate can carry: {e}", host.host),
        )
    })?;
    match TlsConnector::from(tls.config)
        .connect(name, FramedTcp::new(tcp))
        .await
    {
        Ok(mut stream) if stream.get_ref().0.hung_up() => {
            // The server hung up as the handshake ended: what it said before is why.
            let mut byte = [0; 1];
            let e = match stream.read(&mut byte).await {
                Err(e) => e,
                Ok(_) => io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "the server hung up as the TLS handshake ended",
                ),
            };
            Err(explain_tls_failure(e, &host, tls.has_client_cert))
        }
        Ok(stream) => Ok(Connection::Tls(Box::new(stream))),
        Err(e) => Err(explain_tls_failure(e, &host, tls.has_client_cert)),
    }
}

/// Resolves `host` now and connects to its addresses in turn.
async fn dial_tcp(host: &HostAddr) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in tokio::net::lookup_host((host.host.as_str(), host.port)).await? {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} resolves to no address"),
        )
    }))
}

/// Asks `host` whether it serves read-write (`isro` on a connection of its own, over
/// TLS with `tls`: a secure client port answers four-letter words only inside TLS;
/// `rw` means yes). A failure, or no answer within [`PROBE_TIMEOUT`], counts as no.
pub(super) async fn probe(host: HostAddr, tls: Option<LinkTls>) -> bool {
    let ask = async {
        let tcp = dial_tcp(&host).await?;
        match tls {
            None => ask_isro(tcp).await,
            Some(tls) => {
                let name = ServerName::try_from(host.host.clone())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let stream = TlsConnector::from(tls.config).connect(name, tcp).await?;
                ask_isro(stream).await
            }
        }
    };
    matches!(tokio::time::timeout(PROBE_TIMEOUT, ask).await, Ok(Ok(true)))
}

/// Writes `isro` and reads the two-byte answer.
async fn ask_isro(mut stream: impl AsyncReadExt + AsyncWriteExt + Unpin) -> io::Result<bool> {
    stream.write_all(b"isro").await?;
    stream.flush().await?;
    let mut answer = [0u8; 2];
    stream.read_exact(&mut answer).await?;
    Ok(&answer == b"rw")
}
