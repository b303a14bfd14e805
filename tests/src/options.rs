//! Per-test server settings.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use crate::tls::TlsServer;

/// Settings for a standalone server or for every member of an ensemble.
///
/// Built by chaining, starting from [`ServerOptions::default`]:
/// ```no_run
/// # use std::time::Duration;
/// # use zk_tests::ServerOptions;
/// let options = ServerOptions::default()
///     .tick_time(Duration::from_millis(200))
///     .max_session_timeout(Duration::from_secs(4));
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    tick_time: Duration,
    min_session_timeout: Option<Duration>,
    max_session_timeout: Option<Duration>,
    jute_max_buffer: Option<usize>,
    extended_types: bool,
    container_check_interval: Option<Duration>,
    read_only_mode: bool,
    local_sessions: bool,
    local_sessions_upgrading: bool,
    extra_cfg_lines: Vec<String>,
    system_properties: Vec<(String, String)>,
    start_timeout: Duration,
    tls: Option<TlsServer>,
    sasl_digest_users: Vec<(String, String)>,
    client_address: IpAddr,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            tick_time: Duration::from_millis(2000),
            min_session_timeout: None,
            max_session_timeout: None,
            jute_max_buffer: None,
            extended_types: false,
            container_check_interval: None,
            read_only_mode: false,
            local_sessions: false,
            local_sessions_upgrading: false,
            extra_cfg_lines: Vec::new(),
            system_properties: Vec::new(),
            start_timeout: Duration::from_secs(60),
            tls: None,
            sasl_digest_users: Vec::new(),
            client_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

impl ServerOptions {
    /// The defaults with a 500 ms tick, so that sessions from 1 s up are granted as
    /// asked (the default 2 s tick raises anything under 4 s).
    pub fn short_tick() -> ServerOptions {
        ServerOptions::default().tick_time(Duration::from_millis(500))
    }

    /// `tickTime` (default 2 s); the session timeout bounds default to 2 and 20 ticks.
    pub fn tick_time(mut self, tick: Duration) -> ServerOptions {
        self.tick_time = tick;
        self
    }

    /// `minSessionTimeout`: shorter session timeouts asked by clients are raised to this.
    pub fn min_session_timeout(mut self, timeout: Duration) -> ServerOptions {
        self.min_session_timeout = Some(timeout);
        self
    }

    /// `maxSessionTimeout`: longer session timeouts asked by clients are cut to this.
    pub fn max_session_timeout(mut self, timeout: Duration) -> ServerOptions {
        self.max_session_timeout = Some(timeout);
        self
    }

    /// `-Djute.maxbuffer`: the largest packet the server accepts or sends.
    pub fn jute_max_buffer(mut self, bytes: usize) -> ServerOptions {
        self.jute_max_buffer = Some(bytes);
        self
    }

    /// `-Dzookeeper.extendedTypesEnabled`: TTL nodes.
    pub fn extended_types(mut self, enabled: bool) -> ServerOptions {
        self.extended_types = enabled;
        self
    }

    /// `-Dznode.container.checkIntervalMs`: how often empty containers and expired TTL
    /// nodes are removed (default one minute).
    pub fn container_check_interval(mut self, interval: Duration) -> ServerOptions {
        self.container_check_interval = Some(interval);
        self
    }

    /// `-Dreadonlymode.enabled`: a member cut off from its quorum serves reads.
    pub fn read_only_mode(mut self, enabled: bool) -> ServerOptions {
        self.read_only_mode = enabled;
        self
    }

    /// `localSessionsEnabled` and `localSessionsUpgradingEnabled`.
    pub fn local_sessions(mut self, enabled: bool, upgrading: bool) -> ServerOptions {
        self.local_sessions = enabled;
        self.local_sessions_upgrading = upgrading;
        self
    }

    /// Appends a raw `key=value` line to `zoo.cfg`; it comes last, so it overrides the
    /// harness's own setting of the same key.
    pub fn cfg_line(mut self, line: impl Into<String>) -> ServerOptions {
        self.extra_cfg_lines.push(line.into());
        self
    }

    /// Adds `-Dkey=value` to the server JVM; it comes last, so it overrides the harness's
    /// own setting of the same property.
    pub fn system_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> ServerOptions {
        self.system_properties.push((key.into(), value.into()));
        self
    }

    /// A secure client port beside the plain one (which the harness's probes use),
    /// served by the Netty connection factory with `tls`'s certificate and client
    /// authentication; [`crate::ZkServer::secure_connect_string`] names it.
    pub fn tls(mut self, tls: TlsServer) -> ServerOptions {
        self.tls = Some(tls);
        self
    }

    /// A SASL DIGEST-MD5 user (`user_<name>="<password>"` of the JAAS `Server`
    /// section's `DigestLoginModule`); the first one also turns on
    /// `SASLAuthenticationProvider`, so an authenticated client is `sasl:<name>`.
    pub fn sasl_digest_user(
        mut self,
        name: impl Into<String>,
        password: impl Into<String>,
    ) -> ServerOptions {
        self.sasl_digest_users.push((name.into(), password.into()));
        self
    }

    /// Requires every client to authenticate with one of `schemes` (comma-separated,
    /// `sasl` for SASL) before any request: `zookeeper.enforce.auth.enabled=true` and
    /// `zookeeper.enforce.auth.schemes`. The server answers a request of a client
    /// without one with error −124 (SESSIONCLOSEDREQUIRESASLAUTH) and closes the
    /// connection.
    pub fn enforce_auth(self, schemes: &str) -> ServerOptions {
        self.system_property("zookeeper.enforce.auth.enabled", "true")
            .system_property("zookeeper.enforce.auth.schemes", schemes)
    }

    /// Clients connect on the IPv6 loopback, `[::1]`, instead of 127.0.0.1: the client
    /// ports (`clientPortAddress=::1`, the secure one's too) listen there only, and
    /// [`crate::ZkServer::connect_string`] is `[::1]:<port>`. The quorum ports of an
    /// ensemble stay on 127.0.0.1. Starting fails where the machine has no `::1`.
    pub fn ipv6_loopback(mut self) -> ServerOptions {
        self.client_address = IpAddr::V6(Ipv6Addr::LOCALHOST);
        self
    }

    /// The loopback address the client ports listen on.
    pub(crate) fn client_address(&self) -> IpAddr {
        self.client_address
    }

    /// The JAAS login configuration of the SASL users, if any.
    pub(crate) fn jaas_text(&self) -> Option<String> {
        if self.sasl_digest_users.is_empty() {
            return None;
        }
        let mut text =
            String::from("Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required");
        for (name, password) in &self.sasl_digest_users {
            // JAAS reads a quoted value with Java's StreamTokenizer: `\` escapes.
            let quoted = password.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = write!(text, "\n  user_{name}=\"{quoted}\"");
        }
        text.push_str(";\n};\n");
        Some(text)
    }

    /// Whether members get a secure client port.
    pub(crate) fn serves_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// How long a start or restart waits for a member to serve (default 60 s).
    pub fn start_timeout(mut self, timeout: Duration) -> ServerOptions {
        self.start_timeout = timeout;
        self
    }

    pub(crate) fn start_timeout_value(&self) -> Duration {
        self.start_timeout
    }

    /// The `zoo.cfg` lines every member gets, before any ensemble lines.
    pub(crate) fn cfg_text(
        &self,
        data_dir: &Path,
        client_port: u16,
        secure_port: Option<u16>,
    ) -> String {
        let mut cfg = String::new();
        let mut line = |text: String| {
            cfg.push_str(&text);
            cfg.push('\n');
        };
        line(format!("tickTime={}", self.tick_time.as_millis()));
        line(format!("dataDir={}", data_dir.display()));
        line(format!("clientPort={client_port}"));
        line(format!("clientPortAddress={}", self.client_address));
        line("maxClientCnxns=0".to_owned());
        // Durability of a throwaway data dir is not worth an fsync per write.
        line("forceSync=no".to_owned());
        line("4lw.commands.whitelist=*".to_owned());
        line("admin.enableServer=false".to_owned());
        if let Some(timeout) = self.min_session_timeout {
            line(format!("minSessionTimeout={}", timeout.as_millis()));
        }
        if let Some(timeout) = self.max_session_timeout {
            line(format!("maxSessionTimeout={}", timeout.as_millis()));
        }
        if let (Some(tls), Some(port)) = (&self.tls, secure_port) {
            tls.cfg_lines(self.client_address, port)
                .into_iter()
                .for_each(&mut line);
        }
        if !self.sasl_digest_users.is_empty() {
            line(
                "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
                    .to_owned(),
            );
        }
        if self.local_sessions {
            line("localSessionsEnabled=true".to_owned());
            line(format!(
                "localSessionsUpgradingEnabled={}",
                self.local_sessions_upgrading
            ));
        }
        cfg
    }

    /// The user's `zoo.cfg` lines, written after everything else.
    pub(crate) fn extra_cfg_text(&self) -> String {
        self.extra_cfg_lines
            .iter()
            .fold(String::new(), |mut text, line| {
                let _ = writeln!(text, "{line}");
                text
            })
    }

    /// The `-D` options of the server JVM.
    pub(crate) fn jvm_properties(&self) -> Vec<String> {
        let mut properties = vec![
            "-Dzookeeper.4lw.commands.whitelist=*".to_owned(),
            "-Dzookeeper.admin.enableServer=false".to_owned(),
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info".to_owned(),
            "-Dorg.slf4j.simpleLogger.showDateTime=true".to_owned(),
            // Every readiness probe is a four-letter word, each logged at INFO by the
            // connection class; that would push everything useful out of a log tail.
            "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.NIOServerCnxn=warn"
                .to_owned(),
            "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.NettyServerCnxn=warn"
                .to_owned(),
        ];
        if self.tls.is_some() {
            // Only the Netty connection factory serves a secure client port.
            properties.push(
                "-Dzookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory"
                    .to_owned(),
            );
        }
        if let Some(bytes) = self.jute_max_buffer {
            properties.push(format!("-Djute.maxbuffer={bytes}"));
        }
        if self.extended_types {
            properties.push("-Dzookeeper.extendedTypesEnabled=true".to_owned());
        }
        if let Some(interval) = self.container_check_interval {
            properties.push(format!(
                "-Dznode.container.checkIntervalMs={}",
                interval.as_millis()
            ));
        }
        if self.read_only_mode {
            properties.push("-Dreadonlymode.enabled=true".to_owned());
        }
        properties.extend(
            self.system_properties
                .iter()
                .map(|(key, value)| format!("-D{key}={value}")),
        );
        properties
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaas_users_are_quoted_with_escapes() {
        let options = ServerOptions::default()
            .sasl_digest_user("bob", "plain")
            .sasl_digest_user("eve", r#"q"uo\te"#);
        let jaas = options.jaas_text().expect("a JAAS file");
        assert!(jaas.starts_with("Server {\n"), "{jaas}");
        assert!(jaas.contains("user_bob=\"plain\""), "{jaas}");
        assert!(jaas.contains(r#"user_eve="q\"uo\\te";"#), "{jaas}");
        assert_eq!(ServerOptions::default().jaas_text(), None);
    }
}
