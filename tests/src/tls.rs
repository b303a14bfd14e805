//! Certificates for TLS tests, made fresh per test run: a CA, server certificates
//! (valid, expired, not yet valid, for another name), a client certificate, and a
//! second CA that signed none of them but a client certificate of its own. All PEM files in one temp dir, removed on drop.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, date_time_ymd,
};

use crate::HarnessError;
use crate::tempdir::TempDir;
use crate::watchdog::Watchdog;

/// Which certificate a TLS server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCert {
    /// Signed by the test CA, for `127.0.0.1`, `::1` and `localhost`, valid now.
    Valid,
    /// Like `Valid`, but its validity ended in 2001.
    Expired,
    /// Like `Valid`, but valid only from 2090 on (a server clock far ahead, or a
    /// client clock far behind).
    NotYetValid,
    /// Signed by the test CA, valid, but only for `zookeeper.invalid`.
    WrongName,
}

/// Whether a TLS server asks clients for a certificate (`ssl.clientAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Never asks.
    None,
    /// Asks, and refuses a client without one the test CA signed.
    Need,
}

/// What a server needs to serve TLS: its key store (key and chain in one PEM file),
/// its trust store (the CAs client certificates must come from), and whether it asks
/// for one.
#[derive(Debug, Clone)]
pub struct TlsServer {
    pub(crate) key_store: PathBuf,
    pub(crate) trust_store: PathBuf,
    pub(crate) client_auth: ClientAuth,
}

/// A throwaway public key infrastructure in a temp dir.
#[derive(Debug)]
pub struct TestPki {
    dir: TempDir,
    /// Removes the dir when this process ends without dropping it: the shared PKI is
    /// a static (never dropped), and a signal skips destructors.
    _cleanup: Watchdog,
}

impl TestPki {
    /// One PKI for the whole test process, generated on first use.
    ///
    /// # Panics
    ///
    /// If the certificates cannot be generated or written.
    pub fn shared() -> &'static TestPki {
        static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
        PKI.get_or_init(|| TestPki::generate().expect("generating test certificates"))
    }

    /// Generates every key and certificate (ECDSA P-256) and writes the PEM files.
    pub fn generate() -> Result<TestPki, HarnessError> {
        let dir = TempDir::new("pki")?;
        let cleanup = Watchdog::spawn(dir.path(), Path::new("/dev/null"), &[])?;
        let pki = TestPki {
            dir,
            _cleanup: cleanup,
        };
        let ca = authority("zk-tests CA")?;
        let other_ca = authority("zk-tests other CA")?;
        pki.write("ca.pem", &ca.pem())?;
        pki.write("other-ca.pem", &other_ca.pem())?;
        let names = ["127.0.0.1", "::1", "localhost"].map(String::from).to_vec();
        for (file, names, validity) in [
            ("server.pem", names.clone(), Validity::Now),
            ("server-expired.pem", names.clone(), Validity::Past),
            ("server-not-yet-valid.pem", names, Validity::Future),
            (
                "server-wrong-name.pem",
                vec!["zookeeper.invalid".into()],
                Validity::Now,
            ),
        ] {
            let (key, cert) = leaf(&ca, names, ExtendedKeyUsagePurpose::ServerAuth, validity)?;
            // ZooKeeper's PEM key store: the private key, then the certificate chain.
            pki.write(file, &format!("{key}{cert}{}", ca.pem()))?;
        }
        let (key, cert) = leaf(
            &ca,
            vec!["zk-tests client".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
            Validity::Now,
        )?;
        pki.write("client-key.pem", &key)?;
        pki.write("client-cert.pem", &cert)?;
        let (key, cert) = leaf(
            &other_ca,
            vec!["zk-tests stranger".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
            Validity::Now,
        )?;
        pki.write("stranger-key.pem", &key)?;
        pki.write("stranger-cert.pem", &cert)?;
        let (key, cert) = leaf(
            &ca,
            vec!["zk-tests expired client".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
            Validity::Past,
        )?;
        pki.write("expired-client-key.pem", &key)?;
        pki.write("expired-client-cert.pem", &cert)?;
        Ok(pki)
    }

    /// The CA that signed the servers' and the client's certificates (PEM).
    pub fn ca(&self) -> PathBuf {
        self.path("ca.pem")
    }

    /// A CA that signed nothing here: trusting only it must fail every handshake.
    pub fn other_ca(&self) -> PathBuf {
        self.path("other-ca.pem")
    }

    /// The client certificate (PEM), signed by [`TestPki::ca`].
    pub fn client_cert(&self) -> PathBuf {
        self.path("client-cert.pem")
    }

    /// The client certificate's private key (PKCS#8 PEM).
    pub fn client_key(&self) -> PathBuf {
        self.path("client-key.pem")
    }

    /// A client certificate (PEM) signed by [`TestPki::other_ca`], which no server
    /// trusts.
    pub fn stranger_cert(&self) -> PathBuf {
        self.path("stranger-cert.pem")
    }

    /// A client certificate (PEM) signed by [`TestPki::ca`] whose validity ended in
    /// 2001.
    pub fn expired_client_cert(&self) -> PathBuf {
        self.path("expired-client-cert.pem")
    }

    /// [`TestPki::expired_client_cert`]'s private key (PKCS#8 PEM).
    pub fn expired_client_key(&self) -> PathBuf {
        self.path("expired-client-key.pem")
    }

    /// [`TestPki::stranger_cert`]'s private key (PKCS#8 PEM).
    pub fn stranger_key(&self) -> PathBuf {
        self.path("stranger-key.pem")
    }

    /// A server presenting `cert` and trusting client certificates from [`TestPki::ca`].
    pub fn server(&self, cert: ServerCert, client_auth: ClientAuth) -> TlsServer {
        let key_store = match cert {
            ServerCert::Valid => "server.pem",
            ServerCert::Expired => "server-expired.pem",
            ServerCert::NotYetValid => "server-not-yet-valid.pem",
            ServerCert::WrongName => "server-wrong-name.pem",
        };
        TlsServer {
            key_store: self.path(key_store),
            trust_store: self.ca(),
            client_auth,
        }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    fn write(&self, file: &str, text: &str) -> Result<(), HarnessError> {
        let path = self.path(file);
        std::fs::write(&path, text)
            .map_err(|err| HarnessError::io(format!("writing {}", path.display()), err))
    }
}

fn tls_error(what: &str, err: rcgen::Error) -> HarnessError {
    HarnessError::Io(format!("generating {what}: {err}"))
}

/// A self-signed CA certificate named `name`.
fn authority(name: &str) -> Result<CertifiedIssuer<'static, KeyPair>, HarnessError> {
    let mut params = CertificateParams::new(Vec::new()).map_err(|e| tls_error(name, e))?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().map_err(|e| tls_error(name, e))?;
    CertifiedIssuer::self_signed(params, key).map_err(|e| tls_error(name, e))
}

/// When a leaf certificate is valid.
#[derive(Clone, Copy)]
enum Validity {
    /// From before now to after it (rcgen's default).
    Now,
    /// 2000 to 2001.
    Past,
    /// 2090 to 2091.
    Future,
}

/// A key and a certificate for `names`, signed by `ca`: (key PEM, certificate PEM).
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    names: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
    validity: Validity,
) -> Result<(String, String), HarnessError> {
    let what = names.join(", ");
    let mut params = CertificateParams::new(names).map_err(|e| tls_error(&what, e))?;
    params
        .distinguished_name
        .push(DnType::CommonName, what.as_str());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    match validity {
        Validity::Now => {}
        Validity::Past => {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        Validity::Future => {
            params.not_before = date_time_ymd(2090, 1, 1);
            params.not_after = date_time_ymd(2091, 1, 1);
        }
    }
    let key = KeyPair::generate().map_err(|e| tls_error(&what, e))?;
    let cert = params
        .signed_by(&key, &**ca)
        .map_err(|e| tls_error(&what, e))?;
    Ok((key.serialize_pem(), cert.pem()))
}

impl TlsServer {
    /// The `zoo.cfg` lines of a secure client port (ZooKeeper reads unknown keys as
    /// `zookeeper.`-prefixed system properties).
    pub(crate) fn cfg_lines(&self, address: IpAddr, secure_port: u16) -> Vec<String> {
        let auth = match self.client_auth {
            ClientAuth::None => "none",
            ClientAuth::Need => "need",
        };
        vec![
            format!("secureClientPort={secure_port}"),
            format!("secureClientPortAddress={address}"),
            format!("ssl.keyStore.location={}", self.key_store.display()),
            "ssl.keyStore.type=PEM".to_owned(),
            format!("ssl.trustStore.location={}", self.trust_store.display()),
            "ssl.trustStore.type=PEM".to_owned(),
            format!("ssl.clientAuth={auth}"),
        ]
    }

    /// The key store file, for messages.
    pub fn key_store(&self) -> &Path {
        &self.key_store
    }
}
