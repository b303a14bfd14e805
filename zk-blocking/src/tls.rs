//! TLS settings for a session's connections ([`crate::Options::tls`]): which CAs to
//! trust, and an optional client certificate for servers that ask for one (mutual
//! TLS). rustls with the ring provider; TLS 1.2 and 1.3.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::WantsClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ConfigBuilder, RootCertStore};

use crate::error::{Error, Result};

/// Where the CA bundles of common systems live, in the order they are tried by
/// [`TlsConfig::system_roots`] (after `SSL_CERT_FILE`).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/ssl/cert.pem",                  // macOS, the BSDs
];

/// How a session's connections use TLS: the CAs that may vouch for the servers, and
/// the client certificate to present when a server asks for one.
///
/// Every server is verified against the host named in the connect string (a DNS name
/// or an IP address, matched against the certificate's subject alternative names), so
/// connect with the names the certificates carry.
///
/// ```no_run
/// use zk_blocking::{Client, Options, TlsConfig};
///
/// let tls = TlsConfig::from_ca_file("/etc/zookeeper/ca.pem")?
///     .client_cert_files("/etc/zookeeper/client.pem", "/etc/zookeeper/client-key.pem")?;
/// let zk = Client::connect("zk1.example.com:2281", Options::new().tls(tls))?;
/// # Ok::<(), zk_blocking::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    roots: Arc<RootCertStore>,
    client_cert: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// A complete rustls configuration given by the program; used as it is.
    given: Option<Arc<ClientConfig>>,
}

impl TlsConfig {
    /// Trusts the CA certificates of a PEM file (one or more `CERTIFICATE` blocks).
    pub fn from_ca_file(path: impl AsRef<Path>) -> Result<TlsConfig> {
        let path = path.as_ref();
        let text = read_pem_file(path)
            .map_err(|e| tls_setup(format!("cannot read the CA file {}: {e}", path.display())))?;
        TlsConfig::from_ca_pem(&text).map_err(|e| match e {
            // The file's name before what is wrong with it, under one prefix.
            Error::TlsSetup(detail) => tls_setup(format!("{}: {detail}", path.display())),
            other => other,
        })
    }

    /// Trusts the CA certificates in `pem` (one or more `CERTIFICATE` blocks).
    pub fn from_ca_pem(pem: &[u8]) -> Result<TlsConfig> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| tls_setup(format!("not a PEM certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| tls_setup(format!("not a usable CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(tls_setup(
                "no CERTIFICATE block in the CA bundle: give the PEM file of the CA that signed the servers' certificates".into(),
            ));
        }
        Ok(TlsConfig {
            roots: Arc::new(roots),
            client_cert: None,
            given: None,
        })
    }

    /// Trusts the system's CA bundle: the file `SSL_CERT_FILE` names, or the first of
    /// the usual places (`/etc/ssl/certs/ca-certificates.crt`, ...) that exists.
    pub fn system_roots() -> Result<TlsConfig> {
        let from_env = std::env::var_os("SSL_CERT_FILE");
        let found = from_env
            .as_deref()
            .map(Path::new)
            .into_iter()
            .chain(SYSTEM_BUNDLES.iter().map(Path::new))
            .find(|path| path.is_file());
        match found {
            Some(path) => TlsConfig::from_ca_file(path),
            None => Err(tls_setup(format!(
                "no system CA bundle found (SSL_CERT_FILE unset; none of {}): install the ca-certificates package or give a CA file",
                SYSTEM_BUNDLES.join(", ")
            ))),
        }
    }

    /// A rustls configuration of the program's own (its verifier, versions, ALPN,
    /// key log, ...), used as it is for every connection.
    pub fn from_rustls(config: Arc<ClientConfig>) -> TlsConfig {
        TlsConfig {
            roots: Arc::new(RootCertStore::empty()),
            client_cert: None,
            given: Some(config),
        }
    }

    /// Presents this certificate chain (PEM, the client's certificate first) and its
    /// private key (PEM: PKCS#8, PKCS#1 or SEC1) to servers that ask for one.
    pub fn client_cert_files(
        self,
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TlsConfig> {
        let read = |path: &Path, what: &str| {
            read_pem_file(path).map_err(|e| {
                tls_setup(format!(
                    "cannot read the client {what} {}: {e}",
                    path.display()
                ))
            })
        };
        let chain = read(cert_chain.as_ref(), "certificate")?;
        let key = read(key.as_ref(), "key")?;
        self.client_cert_pem(&chain, &key)
    }

    /// [`TlsConfig::client_cert_files`] from PEM text.
    pub fn client_cert_pem(mut self, cert_chain: &[u8], key: &[u8]) -> Result<TlsConfig> {
        let chain = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| tls_setup(format!("the client certificate is not PEM: {e}")))?;
        if chain.is_empty() {
            return Err(tls_setup(
                "no CERTIFICATE block in the client certificate file".into(),
            ));
        }
        if key.windows(b"ENCRYPTED".len()).any(|w| w == b"ENCRYPTED") {
            return Err(tls_setup(
                "the client key is encrypted: give it decrypted (for example `openssl pkey -in key.pem -out plain-key.pem`), and keep that file private".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            tls_setup(format!(
                "the client key is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"
            ))
        })?;
        // Checked now, so a mismatched pair fails here and not at every connect.
        self.builder()?
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(|e| tls_setup(format!("the client certificate and key do not fit: {e}")))?;
        self.client_cert = Some((chain, Arc::new(key)));
        Ok(self)
    }

    /// Whether a client certificate is configured (to explain a server's refusal).
    pub(crate) fn has_client_cert(&self) -> bool {
        self.client_cert.is_some()
            || self
                .given
                .as_ref()
                .is_some_and(|c| c.client_auth_cert_resolver.has_certs())
    }

    /// The rustls configuration every connection of a session shares.
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>> {
        if let Some(given) = &self.given {
            return Ok(given.clone());
        }
        let builder = self.builder()?;
        let config = match &self.client_cert {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|e| {
                    tls_setup(format!("the client certificate and key do not fit: {e}"))
                })?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }

    fn builder(&self) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>> {
        // ring (no C toolchain needed, unlike aws-lc). rustls deprecates its provider
        // for lacking post-quantum key exchange, which ZooKeeper's Java servers do
        // not offer either.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_setup(format!("the ring provider refused TLS 1.2 and 1.3: {e}")))?;
        Ok(builder.with_root_certificates(self.roots.clone()))
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names what is configured, never key material.
        f.debug_struct("TlsConfig")
            .field("trusted_cas", &self.roots.len())
            .field(
                "client_cert",
                &self
                    .client_cert
                    .as_ref()
                    .map(|_| "<configured, key redacted>"),
            )
            .field("rustls_config_given", &self.given.is_some())
            .finish()
    }
}

/// The largest PEM file read: system CA bundles are a few hundred KiB.
const MAX_PEM_FILE: u64 = 16 << 20;

/// Reads a PEM file, refusing one larger than [`MAX_PEM_FILE`] (a path to a device
/// such as `/dev/zero` would otherwise be read until memory runs out).
fn read_pem_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_PEM_FILE + 1)
        .read_to_end(&mut text)?;
    if text.len() as u64 > MAX_PEM_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB: not a PEM file", MAX_PEM_FILE >> 20),
        ));
    }
    Ok(text)
}

fn tls_setup(detail: String) -> Error {
    Error::TlsSetup(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_a_certificate_is_named_once_with_what_is_wrong() {
        let path = std::env::temp_dir().join(format!("zk-ca-{}.pem", std::process::id()));
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let message = TlsConfig::from_ca_file(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            message,
            format!(
                "unusable TLS settings: {}: no CERTIFICATE block in the CA bundle: give the PEM file of the CA that signed the servers' certificates",
                path.display()
            )
        );
    }
}
