//! The `sh` process that launches a member's java and cleans up after it (or, never
//! asked to launch anything, only removes a directory: the test PKI's).
//!
//! Destructors do not run when a test process exits through `std::process::exit`, an
//! abort or a signal, and statics are never dropped at all. The watchdog covers those
//! cases: its stdin is a pipe whose only writer is this process, so the kernel closes it
//! whenever this process goes away, and on that EOF the watchdog SIGKILLs the java it
//! launched, reaps it and removes the member's directory.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::HarnessError;

/// Reads one command per line. `start` launches the server command given as arguments and
/// answers with its pid. EOF means the test process is done with this member.
/// SIGPIPE is ignored so that answering a test process that just died cannot kill the
/// watchdog before it has cleaned up.
const SCRIPT: &str = r#"
trap '' PIPE
dir=$1; log=$2; shift 2
pid=
while IFS= read -r command; do
  case $command in
    start) "$@" </dev/null >>"$log" 2>&1 & pid=$!; echo "$pid" ;;
  esac
done
[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
wait
rm -rf "$dir"
"#;

/// One member's watchdog process.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    commands: Option<ChildStdin>,
    answers: BufReader<ChildStdout>,
}

impl Watchdog {
    /// Starts a watchdog that owns `dir` and runs `server_command` (program and arguments)
    /// with its output appended to `log`.
    pub(crate) fn spawn(
        dir: &Path,
        log: &Path,
        server_command: &[OsString],
    ) -> Result<Watchdog, HarnessError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("zk-tests-watchdog")
            .arg(dir)
            .arg(log)
            .args(server_command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C in the terminal then reaches only the test
            // process, whose exit closes the pipe and so still triggers the cleanup.
            .process_group(0)
            .spawn()
            .map_err(|err| HarnessError::io("spawning the watchdog sh", err))?;
        let commands = child.stdin.take();
        let answers = child.stdout.take().map(BufReader::new);
        match answers {
            Some(answers) => Ok(Watchdog {
                child,
                commands,
                answers,
            }),
            None => Err(HarnessError::Io(
                "watchdog sh has no stdout pipe".to_owned(),
            )),
        }
    }

    /// Launches the server process and returns its pid.
    pub(crate) fn launch(&mut self) -> Result<u32, HarnessError> {
        let commands = self
            .commands
            .as_mut()
            .ok_or_else(|| HarnessError::Io("watchdog already finished".to_owned()))?;
        commands
            .write_all(b"start\n")
            .and_then(|()| commands.flush())
            .map_err(|err| HarnessError::io("asking the watchdog to start java", err))?;
        let mut line = String::new();
        self.answers
            .read_line(&mut line)
            .map_err(|err| HarnessError::io("reading the java pid from the watchdog", err))?;
        line.trim()
            .parse()
            .map_err(|_| HarnessError::Io(format!("watchdog answered {line:?} instead of a pid")))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Closing the pipe is the signal to kill java and remove the directory; waiting
        // for the watchdog makes that cleanup finished when drop returns.
        drop(self.commands.take());
        let _ = self.child.wait();
    }
}
