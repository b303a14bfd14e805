//! Opening a session with the global options: hosts, timeout, frame size, read-only,
//! credentials, TLS.

use std::time::Duration;

use zk_blocking::{Client, Options, TlsConfig};

use crate::credentials::Credential;
use crate::failure::Failure;

/// What every session of this zkcli run is opened with.
pub struct Settings {
    pub timeout: Duration,
    /// --jute-maxbuffer.
    pub max_frame_size: usize,
    pub read_only: bool,
    pub credentials: Vec<Credential>,
    pub tls: Option<TlsConfig>,
    /// SASL DIGEST-MD5 user and password.
    pub sasl: Option<(String, String)>,
}

impl Settings {
    pub fn options(&self) -> Options {
        let mut options = Options::default()
            .session_timeout(self.timeout)
            .connect_timeout(self.timeout)
            .call_timeout(self.timeout)
            .max_frame_size(self.max_frame_size)
            .read_only(self.read_only);
        if let Some(tls) = &self.tls {
            options = options.tls(tls.clone());
        }
        if let Some((user, password)) = &self.sasl {
            options = options.sasl_digest(user.as_str(), password.as_str());
        }
        for credential in &self.credentials {
            options = options.auth(credential.scheme.as_str(), credential.secret.clone());
        }
        options
    }

    /// A session on `hosts`, once established (within --timeout).
    pub fn connect(&self, hosts: &str) -> Result<Client, Failure> {
        let schemes: Vec<&str> = self.credentials.iter().map(|c| c.scheme.as_str()).collect();
        let sasl_user = self.sasl.as_ref().map(|(user, _)| user.as_str());
        tracing::info!(
            hosts,
            ?schemes,
            ?sasl_user,
            tls = self.tls.is_some(),
            "connecting"
        );
        let client =
            Client::connect(hosts, self.options()).map_err(|e| Failure::from_error(e, None))?;
        tracing::info!(
            session_id = format!("0x{:x}", client.session_id()),
            "connected"
        );
        Ok(client)
    }

    /// A session on `hosts` that connects whenever its caller pumps it and a server
    /// answers (see `Client::start`).
    pub fn start(&self, hosts: &str) -> Result<Client, Failure> {
        Client::start(hosts, self.options()).map_err(|e| Failure::from_error(e, None))
    }
}
