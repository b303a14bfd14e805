//! Running zkcli on a pseudo-terminal, steered by tests/pty/drive.py (python3's
//! `pty` module), as a person at a terminal would use it.
#![allow(dead_code, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

/// How long a test waits for output it expects.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Each line of `output` (a child's stdout or stderr), as it comes.
pub fn forward_lines(output: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// zkcli on a pseudo-terminal, steered by tests/pty/drive.py.
pub struct Terminal {
    driver: Child,
    steps: ChildStdin,
    answers: Receiver<String>,
}

impl Terminal {
    /// zkcli with `args`, its history file under `home`.
    pub fn start(home: &Path, args: &[&str]) -> Terminal {
        let mut driver = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pty/drive.py"))
            .arg(PATIENCE.as_secs().to_string())
            .arg(env!("CARGO_BIN_EXE_zkcli"))
            .args(args)
            .env("HOME", home)
            .env("TERM", "xterm")
            .env_remove("ZK_HOSTS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 to drive a pseudo-terminal");
        let steps = driver.stdin.take().expect("stdin");
        let answers = forward_lines(driver.stdout.take().expect("stdout"));
        Terminal {
            driver,
            steps,
            answers,
        }
    }

    fn step(&mut self, verb: &str, text: &str) {
        writeln!(self.steps, "{verb} {text}").expect("writing a step");
        let answer = self
            .answers
            .recv_timeout(PATIENCE * 2)
            .expect("the driver answers");
        assert_eq!(answer, "ok", "{verb} {text}");
    }

    /// Types `keys` (with \t for Tab and \n for Enter, as the driver unescapes them).
    pub fn types(&mut self, keys: &str) {
        self.step("send", keys);
    }

    pub fn shows(&mut self, text: &str) {
        self.step("expect", text);
    }

    /// Ends input with Ctrl-D; the shell's exit status.
    pub fn close(mut self) -> String {
        drop(self.steps);
        let answer = self
            .answers
            .recv_timeout(PATIENCE * 3)
            .expect("the driver reports the exit");
        self.driver.wait().expect("the driver exits");
        answer
    }
}
