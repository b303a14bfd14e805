//! A zkcli shell run as a child process whose stdin the test writes while reading its
//! stdout and stderr line by line (`#[path]`-included beside `pty` and `support`).
#![allow(dead_code, missing_docs)]

use std::io::Write;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::Receiver;

use crate::pty::{PATIENCE, forward_lines};
use crate::support::zkcli_command;

pub struct ShellProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
}

impl ShellProcess {
    /// Starts the shell on `hosts` with `global` options.
    pub fn start(hosts: &str, global: &[&str]) -> ShellProcess {
        let mut child = zkcli_command()
            .args(["-server", hosts])
            .args(global)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the zkcli shell");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = forward_lines(child.stdout.take().expect("stdout"));
        let stderr = forward_lines(child.stderr.take().expect("stderr"));
        ShellProcess {
            child,
            stdin: Some(stdin),
            stdout,
            stderr,
        }
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self
            .stdin
            .as_mut()
            .expect("the shell's input is still open");
        writeln!(stdin, "{line}").expect("writing to the shell");
    }

    /// The next line on stdout, within [`PATIENCE`].
    pub fn next_line(&self) -> String {
        self.stdout
            .recv_timeout(PATIENCE)
            .expect("a line from the shell in time")
    }

    /// The next line on stderr, within [`PATIENCE`].
    pub fn next_error_line(&self) -> String {
        self.stderr
            .recv_timeout(PATIENCE)
            .expect("a line on the shell's stderr in time")
    }

    /// Types `quit`; the shell's exit code.
    pub fn quit(mut self) -> i32 {
        self.send("quit");
        self.exit_code()
    }

    /// Ends the shell's input (as at the end of a script); its exit code.
    pub fn end_input(mut self) -> i32 {
        self.stdin = None;
        self.exit_code()
    }

    fn exit_code(&mut self) -> i32 {
        let status = self.child.wait().expect("the shell exits");
        status.code().expect("an exit code")
    }
}
