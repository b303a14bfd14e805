//! Wall clock, CPU and latency accounting, and the one JSON line per workload.
//!
//! CPU (client and server) is the time the process's threads ran, in nanoseconds, from
//! `/proc/<pid>/task/*/schedstat` (std has no getrusage and the workspace forbids the
//! `unsafe` a libc call needs). It counts the threads alive at both ends of a workload,
//! which for every driver are all that do its work. Where schedstat is missing, it falls
//! back to `/proc/<pid>/stat` (utime + stime, in 10 ms clock ticks: coarse on short runs).

use std::sync::OnceLock;
use std::time::Instant;

use crate::config::Config;

/// Clock ticks per second, asked of `getconf CLK_TCK` once; 100 if that fails.
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse::<f64>().ok())
            .filter(|ticks| *ticks > 0.0)
            .unwrap_or(100.0)
    })
}

/// CPU seconds of a process: see the module docs.
fn cpu_seconds(proc_dir: &str) -> Option<f64> {
    scheduled_seconds(proc_dir).or_else(|| stat_seconds(proc_dir))
}

/// The time every live thread of a process ran, from its schedstat.
fn scheduled_seconds(proc_dir: &str) -> Option<f64> {
    let mut nanos = 0u64;
    for task in std::fs::read_dir(format!("/proc/{proc_dir}/task")).ok()? {
        let Ok(text) = std::fs::read_to_string(task.ok()?.path().join("schedstat")) else {
            continue; // the thread ended meanwhile
        };
        nanos += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    (nanos > 0).then(|| nanos as f64 / 1e9)
}

/// user + sys CPU seconds of a process from `/proc/<pid>/stat`.
fn stat_seconds(proc_dir: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{proc_dir}/stat")).ok()?;
    // The command name may hold spaces; the fields after its `)` are fixed.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 2..)?
        .split_whitespace()
        .collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / ticks_per_second())
}

pub struct Meter {
    started: Instant,
    client_cpu: Option<f64>,
    server_cpu: Option<f64>,
    server_pid: Option<u32>,
}

pub struct Measured {
    pub seconds: f64,
    pub client_cpu: Option<f64>,
    pub server_cpu: Option<f64>,
}

impl Meter {
    pub fn start(config: &Config) -> Meter {
        ticks_per_second(); // ask getconf outside the timed part
        let server_cpu = config
            .server_pid
            .and_then(|pid| cpu_seconds(&pid.to_string()));
        let client_cpu = cpu_seconds("self");
        Meter {
            started: Instant::now(),
            client_cpu,
            server_cpu,
            server_pid: config.server_pid,
        }
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn stop(&self) -> Measured {
        self.stop_at(Instant::now())
    }

    /// CPU up to now, wall time up to `end` (watch_storm's last event).
    pub fn stop_at(&self, end: Instant) -> Measured {
        let client_cpu = cpu_seconds("self");
        let server_cpu = self
            .server_pid
            .and_then(|pid| cpu_seconds(&pid.to_string()));
        let delta = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
        Measured {
            seconds: end.saturating_duration_since(self.started).as_secs_f64(),
            client_cpu: delta(self.client_cpu, client_cpu),
            server_cpu: delta(self.server_cpu, server_cpu),
        }
    }
}

/// Nearest-rank percentile of nanosecond samples, in µs; `samples` must be sorted.
pub fn percentile_us(sorted: &[u64], quantile: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1] as f64 / 1000.0)
}

fn number(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "null".to_string(),
    }
}

/// One workload's result line.
pub struct Report<'a> {
    pub workload: &'a str,
    pub ops: usize,
    pub measured: Measured,
    /// Per-call latencies in ns, for the one-at-a-time workloads.
    pub latencies: Option<Vec<u64>>,
    pub errors: usize,
    /// Extra fields, values already JSON.
    pub extra: Vec<(&'static str, String)>,
}

impl Report<'_> {
    /// The harness's field names, order and precision.
    pub fn json_line(mut self, config: &Config) -> String {
        let (p50, p99) = match self.latencies.as_mut() {
            Some(samples) if !samples.is_empty() => {
                samples.sort_unstable();
                (percentile_us(samples, 0.50), percentile_us(samples, 0.99))
            }
            _ => (None, None),
        };
        let m = &self.measured;
        let mut line = format!(
            "{{\"client\":{},\"workload\":\"{}\",\"ops\":{},\"seconds\":{:.6},\"ops_per_s\":{:.1},\
             \"p50_us\":{},\"p99_us\":{},\"client_cpu_s\":{},\"server_cpu_s\":{},\"errors\":{}",
            json_string(&config.client),
            self.workload,
            self.ops,
            m.seconds,
            self.ops as f64 / m.seconds,
            number(p50, 1),
            number(p99, 1),
            number(m.client_cpu, 6),
            number(m.server_cpu, 4),
            self.errors
        );
        for (key, value) in &self.extra {
            line.push_str(&format!(",\"{key}\":{value}"));
        }
        line.push('}');
        line
    }
}

/// The label comes from the environment, so it is escaped.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let samples: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_us(&samples, 0.50), Some(50.0));
        assert_eq!(percentile_us(&samples, 0.99), Some(99.0));
        assert_eq!(percentile_us(&[7000], 0.99), Some(7.0));
        assert_eq!(percentile_us(&[], 0.5), None);
    }

    #[test]
    fn own_process_cpu_is_readable() {
        assert!(cpu_seconds("self").is_some_and(|s| s >= 0.0));
    }
}
