//! `-v` / `-vv`: logs of zkcli and the client library on stderr, at info or debug
//! level. `RUST_LOG`, when set, chooses the filter instead.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn install(verbosity: u8) {
    if verbosity == 0 && std::env::var_os(EnvFilter::DEFAULT_ENV).is_none() {
        return;
    }
    let level = match verbosity {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // Another subscriber could only be there if zkcli installed one already.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only where a person reads them, not in a captured log.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
