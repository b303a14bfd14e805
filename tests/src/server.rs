//! One ZooKeeper server process: a standalone server or one member of an ensemble.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::HarnessError;
use crate::four_letter::{ServerMode, four_letter, four_letter_with_timeout};
use crate::install::ZkInstall;
use crate::options::ServerOptions;
use crate::ports::{free_port_on, retry_on_port_clash};
use crate::process::{is_alive, send_signal, signal_until_stopped_is, wait_dead};
use crate::tempdir::TempDir;
use crate::watchdog::Watchdog;

const STANDALONE_MAIN: &str = "org.apache.zookeeper.server.ZooKeeperServerMain";
const QUORUM_MAIN: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// How long a graceful stop waits after SIGTERM before it sends SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long any wait for a SIGKILLed process to vanish may take before it is reported.
const KILL_WAIT: Duration = Duration::from_secs(10);
/// The timeout of each readiness probe; short, so a paused member does not stall a wait.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long pause and resume wait for the process to be stopped or running again.
const SIGNAL_EFFECT_WAIT: Duration = Duration::from_secs(5);
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// What "serving" means for a member.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    /// `srvr` says `Mode: standalone`.
    Standalone,
    /// `srvr` says leader, follower or observer.
    QuorumMember,
}

/// Everything needed to write a member's files and launch it.
pub(crate) struct MemberSpec<'a> {
    pub(crate) name: String,
    pub(crate) myid: Option<u32>,
    pub(crate) role: Role,
    pub(crate) dir: TempDir,
    pub(crate) client_port: u16,
    pub(crate) secure_port: Option<u16>,
    pub(crate) cfg: String,
    pub(crate) options: &'a ServerOptions,
}

/// One running (or stopped, killed, paused) ZooKeeper server process on 127.0.0.1 (or
/// `::1`: [`ServerOptions::ipv6_loopback`]), with
/// its own temp dir holding `zoo.cfg`, `data/` and `server.log`.
///
/// Dropping it kills the process and removes the dir; if this process dies without
/// dropping it, its watchdog does the same.
pub struct ZkServer {
    name: String,
    myid: Option<u32>,
    role: Role,
    address: SocketAddr,
    secure_address: Option<SocketAddr>,
    start_timeout: Duration,
    pid: Option<u32>,
    paused: bool,
    // Dropped before `dir`: the watchdog removes the dir, `dir` only covers for it.
    watchdog: Watchdog,
    dir: TempDir,
}

impl fmt::Debug for ZkServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZkServer")
            .field("name", &self.name)
            .field("pid", &self.pid)
            .field("paused", &self.paused)
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl ZkServer {
    /// For examples: the connect string given as the program's first argument, or else
    /// the one of a standalone server started now with `options` (returned too; it
    /// stops when dropped).
    pub fn given_or_started(
        options: &ServerOptions,
    ) -> Result<(String, Option<ZkServer>), HarnessError> {
        if let Some(given) = std::env::args().nth(1) {
            return Ok((given, None));
        }
        let server = ZkServer::start_standalone(options)?;
        Ok((server.connect_string(), Some(server)))
    }

    /// Starts a standalone server (`ZooKeeperServerMain`) on a free port and waits until
    /// `srvr` reports `Mode: standalone`.
    pub fn start_standalone(options: &ServerOptions) -> Result<ZkServer, HarnessError> {
        retry_on_port_clash(|| {
            let picking = |err| HarnessError::io("picking a port", err);
            let address = options.client_address();
            let client_port = free_port_on(address).map_err(picking)?;
            let secure_port = match options.serves_tls() {
                true => Some(free_port_on(address).map_err(picking)?),
                false => None,
            };
            let dir = TempDir::new("standalone")?;
            let cfg = options.cfg_text(&dir.path().join("data"), client_port, secure_port)
                + &options.extra_cfg_text();
            let server = ZkServer::launch(MemberSpec {
                name: format!(
                    "standalone server ({})",
                    SocketAddr::from((address, client_port))
                ),
                myid: None,
                role: Role::Standalone,
                dir,
                client_port,
                secure_port,
                cfg,
                options,
            })?;
            server.wait_serving()?;
            Ok(server)
        })
    }

    /// Writes the member's files and launches it under a watchdog, without waiting.
    pub(crate) fn launch(spec: MemberSpec<'_>) -> Result<ZkServer, HarnessError> {
        let install = ZkInstall::cached()?;
        let dir = spec.dir.path();
        let data_dir = dir.join("data");
        std::fs::create_dir_all(&data_dir)
            .map_err(|err| HarnessError::io(format!("creating {}", data_dir.display()), err))?;
        if let Some(myid) = spec.myid {
            write_file(&data_dir.join("myid"), &format!("{myid}\n"))?;
        }
        let cfg_path = dir.join("zoo.cfg");
        write_file(&cfg_path, &spec.cfg)?;

        let main_class = match spec.role {
            Role::Standalone => STANDALONE_MAIN,
            Role::QuorumMember => QUORUM_MAIN,
        };
        let mut command: Vec<OsString> = vec![install.java().into()];
        // A small heap, the serial collector and C1 only: servers here hold little data,
        // and JVM start-up time is most of a test's set-up time.
        // No perf data: a SIGKILLed JVM would leave its hsperfdata file behind in /tmp.
        for arg in [
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
        ] {
            command.push(arg.into());
        }
        command.extend(
            spec.options
                .jvm_properties()
                .into_iter()
                .map(OsString::from),
        );
        if let Some(jaas) = spec.options.jaas_text() {
            let jaas_path = dir.join("jaas.conf");
            write_file(&jaas_path, &jaas)?;
            command
                .push(format!("-Djava.security.auth.login.config={}", jaas_path.display()).into());
        }
        command.extend([
            "-cp".into(),
            install.classpath().into(),
            main_class.into(),
            cfg_path.into(),
        ]);

        let mut watchdog = Watchdog::spawn(dir, &dir.join("server.log"), &command)?;
        let pid = watchdog.launch()?;
        Ok(ZkServer {
            name: spec.name,
            myid: spec.myid,
            role: spec.role,
            address: SocketAddr::from((spec.options.client_address(), spec.client_port)),
            secure_address: spec
                .secure_port
                .map(|port| SocketAddr::from((spec.options.client_address(), port))),
            start_timeout: spec.options.start_timeout_value(),
            pid: Some(pid),
            paused: false,
            watchdog,
            dir: spec.dir,
        })
    }

    /// A name for messages, e.g. `server.2 (127.0.0.1:40123)`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The member's `myid` in an ensemble; `None` for a standalone server.
    pub fn myid(&self) -> Option<u32> {
        self.myid
    }

    /// The client address, `127.0.0.1:<port>` (or `[::1]:<port>`).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The connect string of this server alone, `127.0.0.1:<port>` (or `[::1]:<port>`).
    pub fn connect_string(&self) -> String {
        self.address.to_string()
    }

    /// The secure (TLS) client address, when started with [`ServerOptions::tls`].
    pub fn secure_address(&self) -> Option<SocketAddr> {
        self.secure_address
    }

    /// The connect string of the secure client port; panics when the server was not
    /// started with [`ServerOptions::tls`] (a test's own mistake).
    pub fn secure_connect_string(&self) -> String {
        self.secure_address
            .unwrap_or_else(|| {
                panic!(
                    "{} has no secure client port: start it with ServerOptions::tls",
                    self.name
                )
            })
            .to_string()
    }

    /// The pid of the java process, while the harness considers it started.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Whether the java process is alive (paused counts as alive).
    pub fn is_running(&self) -> bool {
        self.pid.is_some_and(is_alive)
    }

    /// Whether [`ZkServer::pause`] stopped it and no resume, stop or kill followed.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The member's temp dir (`zoo.cfg`, `data/`, `server.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log; restarts append to it.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The last `lines` lines of the server's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Sends a four-letter word to this server; see [`crate::four_letter()`].
    pub fn four_letter(&self, command: &str) -> io::Result<String> {
        four_letter(self.address, command)
    }

    /// Stops the server gracefully: SIGTERM, then SIGKILL if it is still alive after
    /// 10 s. Its data dir stays for [`ZkServer::restart`]. Does nothing if it is stopped.
    pub fn stop(&mut self) -> Result<(), HarnessError> {
        let Some(pid) = self.pid.take() else {
            return Ok(());
        };
        self.signal(pid, "TERM")?;
        if std::mem::take(&mut self.paused) {
            // A stopped process only acts on the SIGTERM once it runs again.
            self.signal_until_stopped_is(pid, "CONT", false)?;
        }
        if !wait_dead(pid, STOP_GRACE) {
            self.signal(pid, "KILL")?;
            self.wait_gone(pid)?;
        }
        Ok(())
    }

    /// Kills the server with SIGKILL and waits until it is gone; its data dir stays for
    /// [`ZkServer::restart`]. Does nothing if it is stopped.
    pub fn kill(&mut self) -> Result<(), HarnessError> {
        let Some(pid) = self.pid.take() else {
            return Ok(());
        };
        self.paused = false;
        self.signal(pid, "KILL")?;
        self.wait_gone(pid)
    }

    /// Freezes the server with SIGSTOP: its sockets stay open but nothing answers.
    pub fn pause(&mut self) -> Result<(), HarnessError> {
        let pid = self.running_pid("pause")?;
        self.signal_until_stopped_is(pid, "STOP", true)?;
        self.paused = true;
        Ok(())
    }

    /// Lets a paused server run again with SIGCONT.
    pub fn resume(&mut self) -> Result<(), HarnessError> {
        let pid = self.running_pid("resume")?;
        self.signal_until_stopped_is(pid, "CONT", false)?;
        self.paused = false;
        Ok(())
    }

    /// Stops the server if it runs, starts it again on the same ports and data dir, and
    /// waits until it serves (an ensemble member: until it has joined a quorum).
    pub fn restart(&mut self) -> Result<(), HarnessError> {
        self.stop()?;
        self.pid = Some(self.watchdog.launch()?);
        self.wait_serving()
    }

    /// Waits until the server serves in its role, up to the start timeout of its options.
    pub fn wait_serving(&self) -> Result<(), HarnessError> {
        let started = Instant::now();
        let mut last_seen = "no answer to ruok".to_owned();
        loop {
            if !self.is_running() {
                return Err(self.not_serving(
                    "its java process is not running".to_owned(),
                    started.elapsed(),
                ));
            }
            if let Some(mode) = self.mode() {
                let serving = match self.role {
                    Role::Standalone => mode == ServerMode::Standalone,
                    Role::QuorumMember => mode.in_quorum(),
                };
                if serving {
                    return Ok(());
                }
                last_seen = format!("srvr says {mode:?}");
            }
            if started.elapsed() >= self.start_timeout {
                return Err(self.not_serving(last_seen, started.elapsed()));
            }
            thread::sleep(PROBE_INTERVAL);
        }
    }

    /// The mode `srvr` reports; `None` when it does not answer `ruok` and `srvr` within
    /// a second each, or is not serving.
    pub fn mode(&self) -> Option<ServerMode> {
        let ok = four_letter_with_timeout(self.address, "ruok", PROBE_TIMEOUT)
            .is_ok_and(|r| r == "imok");
        if !ok {
            return None;
        }
        let srvr = four_letter_with_timeout(self.address, "srvr", PROBE_TIMEOUT).ok()?;
        ServerMode::from_srvr(&srvr)
    }

    pub(crate) fn not_serving(&self, detail: String, waited: Duration) -> HarnessError {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        HarnessError::NotServing {
            member: self.name.clone(),
            detail,
            waited,
            log_tail: self.log_tail(30),
            // A BindException; searched in the whole log, as the tail may have moved on.
            port_taken: log.contains("Address already in use"),
        }
    }

    fn running_pid(&self, action: &str) -> Result<u32, HarnessError> {
        self.pid.ok_or_else(|| {
            HarnessError::Io(format!("cannot {action} {}: it is not running", self.name))
        })
    }

    fn signal(&self, pid: u32, signal: &str) -> Result<(), HarnessError> {
        send_signal(pid, signal)
            .map_err(|err| HarnessError::io(format!("signalling {}", self.name), err))
    }

    fn signal_until_stopped_is(
        &self,
        pid: u32,
        signal: &str,
        stopped: bool,
    ) -> Result<(), HarnessError> {
        match signal_until_stopped_is(pid, signal, stopped, SIGNAL_EFFECT_WAIT) {
            Ok(true) => Ok(()),
            Ok(false) => Err(HarnessError::Io(format!(
                "{} (pid {pid}) ignored SIG{signal} for {SIGNAL_EFFECT_WAIT:?}",
                self.name
            ))),
            Err(err) => Err(HarnessError::io(format!("signalling {}", self.name), err)),
        }
    }

    fn wait_gone(&self, pid: u32) -> Result<(), HarnessError> {
        if wait_dead(pid, KILL_WAIT) {
            Ok(())
        } else {
            Err(HarnessError::Io(format!(
                "{} (pid {pid}) survived SIGKILL for {KILL_WAIT:?}",
                self.name
            )))
        }
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        // The data is thrown away, so there is nothing to shut down gracefully for.
        if let Some(pid) = self.pid.take() {
            let _ = send_signal(pid, "KILL");
            wait_dead(pid, KILL_WAIT);
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), HarnessError> {
    std::fs::write(path, text)
        .map_err(|err| HarnessError::io(format!("writing {}", path.display()), err))
}
