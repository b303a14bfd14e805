//! Signals and liveness of server processes, through `kill(1)` and `/proc` (no libc).

use std::io;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Sends `signal` (a name such as `STOP`) to `pid`.
pub(crate) fn send_signal(pid: u32, signal: &str) -> io::Result<()> {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "kill -s {signal} {pid} failed: {status}"
        )))
    }
}

/// Whether `pid` is a live process: whether any of its threads is neither a zombie nor
/// dead. The main thread of a JVM can be a zombie while the others still run.
pub fn is_alive(pid: u32) -> bool {
    thread_states(pid).any(|state| !matches!(state, 'Z' | 'X'))
}

/// Whether every live thread of `pid` is stopped by a signal (SIGSTOP), and it has one.
pub(crate) fn is_stopped(pid: u32) -> bool {
    let mut live = thread_states(pid)
        .filter(|state| !matches!(state, 'Z' | 'X'))
        .peekable();
    live.peek().is_some() && live.all(|state| state == 'T')
}

/// The state letters of the threads of `pid` (none once it has been reaped).
fn thread_states(pid: u32) -> impl Iterator<Item = char> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
        .filter_map(|stat| {
            // The state follows the command name, which is in parentheses and may itself
            // contain ") ", so look after the last one.
            let end = stat.rfind(')')?;
            stat[end + 1..].trim_start().chars().next()
        })
}

/// Sends `signal` until `pid` is in the wanted state (`is_stopped(pid) == stopped`), at
/// most for `timeout`; returns whether it got there. A single SIGSTOP right after a
/// SIGCONT was seen to leave a JVM running, so the state is checked, not assumed.
pub(crate) fn signal_until_stopped_is(
    pid: u32,
    signal: &str,
    stopped: bool,
    timeout: Duration,
) -> io::Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        send_signal(pid, signal)?;
        let resend_at = Instant::now() + Duration::from_millis(100);
        while Instant::now() < resend_at {
            if is_stopped(pid) == stopped {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Waits up to `timeout` for `pid` to die; returns whether it did.
pub(crate) fn wait_dead(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while is_alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
    true
}
