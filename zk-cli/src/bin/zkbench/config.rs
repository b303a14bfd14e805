//! The harness's `ZKB_*` environment variables, with the same defaults as every peer
//! in /work/shared/bench, plus our own: `ZKB_CLIENT_KIND` (`blocking`, `shared` or
//! `tokio`), `ZKB_SHARED_THREADS` (threads sharing the pipelined window, shared client
//! only) and TLS: `ZKB_TLS_CA` (a PEM CA bundle: speak TLS to `ZKB_HOSTS`, which must
//! then be secure client ports), `ZKB_TLS_CERT` and `ZKB_TLS_KEY` (mutual TLS).

use std::str::FromStr;

use zk_blocking::TlsConfig;

pub const ALL_WORKLOADS: &str =
    "sync_get,pipelined_get,pipelined_create_delete,large_get,watch_storm";

/// Workloads run only when `ZKB_WORKLOADS` names them (the harness's peers lack them).
pub const EXTRA_WORKLOADS: &str = "memory";

/// Which client runs the workloads (`ZKB_CLIENT_KIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `blocking` (the default): [`zk_blocking::Client`], the st model.
    Blocking,
    /// `shared`: [`zk_blocking::SharedClient`], the mt model.
    Shared,
    /// `tokio`: [`zk_tokio::Client`] on a current-thread runtime.
    Tokio,
}

impl FromStr for Kind {
    type Err = ();

    fn from_str(text: &str) -> Result<Kind, ()> {
        match text {
            "blocking" => Ok(Kind::Blocking),
            "shared" => Ok(Kind::Shared),
            "tokio" => Ok(Kind::Tokio),
            _ => Err(()),
        }
    }
}

impl Kind {
    /// The default `client` label of the JSON lines.
    fn label(self) -> &'static str {
        match self {
            Kind::Blocking => "zk-rs-blocking",
            Kind::Shared => "zk-rs-shared",
            Kind::Tokio => "zk-rs-tokio",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub kind: Kind,
    pub client: String,
    pub hosts: String,
    pub workloads: Vec<String>,
    pub sync_n: usize,
    pub pipe_n: usize,
    pub cd_n: usize,
    pub large_n: usize,
    pub large_size: usize,
    pub watch_n: usize,
    /// The memory workload's watches and requests in flight.
    pub mem_watches: usize,
    pub mem_requests: usize,
    pub outstanding: usize,
    /// Threads sharing the pipelined workloads' window (shared client only).
    pub threads: usize,
    pub warmup: bool,
    pub server_pid: Option<u32>,
    /// TLS on every connection (`ZKB_TLS_*`).
    pub tls: Option<TlsConfig>,
}

/// An unset or empty variable takes the default; anything unparsable is an error
/// rather than a silently different benchmark.
fn var<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .trim()
            .parse()
            .map_err(|_| format!("bad value for {name}: {value:?}")),
        _ => Ok(default),
    }
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let kind = var::<String>("ZKB_CLIENT_KIND", "blocking".into())?
            .parse()
            .map_err(|()| "ZKB_CLIENT_KIND must be blocking, shared or tokio".to_string())?;
        let config = Config {
            kind,
            client: var("ZKB_CLIENT", Kind::label(kind).to_string())?,
            hosts: var("ZKB_HOSTS", "127.0.0.1:2281".to_string())?,
            workloads: var("ZKB_WORKLOADS", ALL_WORKLOADS.to_string())?
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect(),
            sync_n: var("ZKB_SYNC_N", 20_000)?,
            pipe_n: var("ZKB_PIPE_N", 200_000)?,
            cd_n: var("ZKB_CD_N", 20_000)?,
            large_n: var("ZKB_LARGE_N", 500)?,
            large_size: var("ZKB_LARGE_SIZE", 1_000_000)?,
            watch_n: var("ZKB_WATCH_N", 5_000)?,
            mem_watches: var("ZKB_MEM_WATCHES", 100_000)?,
            mem_requests: var("ZKB_MEM_REQUESTS", 10_000)?,
            outstanding: var("ZKB_OUTSTANDING", 1000)?,
            threads: var("ZKB_SHARED_THREADS", 1)?,
            warmup: var::<i64>("ZKB_WARMUP", 1)? != 0,
            server_pid: std::env::var("ZKB_SERVER_PID")
                .ok()
                .and_then(|pid| pid.trim().parse().ok()),
            tls: tls_from_env()?,
        };
        if config.outstanding == 0 {
            return Err("ZKB_OUTSTANDING must be at least 1".into());
        }
        if config.threads == 0 || config.threads > config.outstanding {
            return Err("ZKB_SHARED_THREADS must be between 1 and ZKB_OUTSTANDING".into());
        }
        if config.threads > 1 && config.kind != Kind::Shared {
            return Err("ZKB_SHARED_THREADS needs ZKB_CLIENT_KIND=shared".into());
        }
        if let Some(unknown) = config.workloads.iter().find(|w| {
            !ALL_WORKLOADS
                .split(',')
                .chain(EXTRA_WORKLOADS.split(','))
                .any(|known| known == w.as_str())
        }) {
            return Err(format!(
                "unknown workload {unknown:?}; known: {ALL_WORKLOADS},{EXTRA_WORKLOADS}"
            ));
        }
        Ok(config)
    }

    pub fn wants(&self, workload: &str) -> bool {
        self.workloads.iter().any(|w| w == workload)
    }
}

/// The untimed warm-up size: a tenth of the measured size, at least `floor` (but no
/// more than the measured size).
pub fn warm_up_size(n: usize, floor: usize) -> usize {
    (n / 10).max(floor.min(n))
}

/// `ZKB_TLS_CA`, with `ZKB_TLS_CERT` and `ZKB_TLS_KEY` for mutual TLS.
fn tls_from_env() -> Result<Option<TlsConfig>, String> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (ca, cert, key) = (set("ZKB_TLS_CA"), set("ZKB_TLS_CERT"), set("ZKB_TLS_KEY"));
    let Some(ca) = ca else {
        return match (cert, key) {
            (None, None) => Ok(None),
            _ => Err("ZKB_TLS_CERT and ZKB_TLS_KEY need ZKB_TLS_CA".into()),
        };
    };
    let trust = TlsConfig::from_ca_file(&ca).map_err(|e| e.to_string())?;
    match (cert, key) {
        (None, None) => Ok(Some(trust)),
        (Some(cert), Some(key)) => trust
            .client_cert_files(cert, key)
            .map(Some)
            .map_err(|e| e.to_string()),
        _ => Err("ZKB_TLS_CERT and ZKB_TLS_KEY go together".into()),
    }
}
