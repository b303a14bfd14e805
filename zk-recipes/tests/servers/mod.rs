//! Helpers shared by the recipes' real-server suites (`lock_real.rs`, `lock_kazoo.rs`,
//! `lock_faults.rs`, `leadership_real.rs`): fresh paths, sessions ended behind a
//! client's back, a counter node incremented under a lock (read, sleep, write), the
//! ledger of who held a lock when, and kazoo's and Curator's helper processes.
//!
//! Every wait is bounded by [`PATIENCE`]; everything connects to 127.0.0.1 only.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zk_blocking::{
    Client, CreateMode, Error, Options, Result, SessionState, SharedClient, Stat, Version,
};
use zk_recipes::Lock;
use zk_recipes::run::{Blocking, Driver};

/// How long anything that should happen "soon" may take before a test fails: generous,
/// the machine may be loaded with JVMs and other test processes.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How long a holder sleeps between reading the counter and writing it back, so that a
/// second holder (if the lock let one in) would overwrite an increment.
pub const HOLD: Duration = Duration::from_millis(5);

/// Client options: a session timeout no scenario comes near, a quick reconnect.
pub fn options() -> Options {
    Options::default()
        .session_timeout(Duration::from_secs(20))
        .connect_timeout(PATIENCE)
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
}

/// A path no other test (or earlier run) uses: `/recipes-real/<what>-<pid>-<n>`.
pub fn fresh_path(what: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "/recipes-real/{what}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates `path` and its parents (persistent, empty) with `data` on the last one.
pub fn create_all(zk: &SharedClient, path: &str, data: &[u8]) {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for depth in 1..=parts.len() {
        let partial = format!("/{}", parts[..depth].join("/"));
        let bytes = if depth == parts.len() { data } else { &[] };
        match zk.create(&partial, bytes.to_vec(), CreateMode::Persistent) {
            Ok(_) | Err(Error::NodeExists { .. }) => {}
            Err(e) => panic!("creating {partial}: {e}"),
        }
    }
}

/// A counter's value as the tests store it: ASCII decimal.
pub fn parse_counter(data: &[u8]) -> u64 {
    std::str::from_utf8(data)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("a counter holds ASCII decimal, not {data:?}"))
}

/// The counter's value (read on a fresh round trip).
pub fn counter_value(zk: &SharedClient, path: &str) -> u64 {
    let (data, _) = zk.get_data(path).expect("reading the counter");
    parse_counter(&data)
}

/// Reading and writing the counter node on whatever client a driver runs on.
pub trait Counting {
    /// The counter's data and Stat.
    fn get(&mut self, path: &str) -> Result<(zk_blocking::Bytes, Stat)>;
    /// Writes `data` if the node's version is `version`.
    fn set(&mut self, path: &str, data: Vec<u8>, version: i32) -> Result<Stat>;
}

impl Counting for Blocking<'_> {
    fn get(&mut self, path: &str) -> Result<(zk_blocking::Bytes, Stat)> {
        self.client().get_data(path)
    }
    fn set(&mut self, path: &str, data: Vec<u8>, version: i32) -> Result<Stat> {
        self.client().set_data(path, data, Version::Exact(version))
    }
}

impl Counting for SharedClient {
    fn get(&mut self, path: &str) -> Result<(zk_blocking::Bytes, Stat)> {
        self.get_data(path)
    }
    fn set(&mut self, path: &str, data: Vec<u8>, version: i32) -> Result<Stat> {
        self.set_data(path, data, Version::Exact(version))
    }
}

/// Calls `op` again while it fails with ConnectionLoss (a cut connection), at most
/// [`PATIENCE`].
fn retrying<T>(what: &str, mut op: impl FnMut() -> Result<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match op() {
            Ok(value) => return value,
            Err(Error::ConnectionLoss) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

/// Read, sleep [`HOLD`], write value + 1 (only the lock holder writes, so a write
/// whose reply was lost is known by the version it left).
pub fn increment<C: Counting>(zk: &mut C, path: &str) {
    let (data, stat) = retrying("reading the counter", || zk.get(path));
    let value = parse_counter(&data);
    std::thread::sleep(HOLD);
    let next = (value + 1).to_string().into_bytes();
    loop {
        match zk.set(path, next.clone(), stat.version) {
            Ok(_) => return,
            Err(Error::ConnectionLoss) => {
                // Did it land? Only we write while we hold the lock.
                let (now, after) = retrying("re-reading the counter", || zk.get(path));
                if after.version != stat.version {
                    assert_eq!(parse_counter(&now), value + 1, "only the holder writes");
                    return;
                }
            }
            Err(e) => panic!("writing the counter: {e}"),
        }
    }
}

/// When one holder held the lock: from just after its acquire returned to just
/// before its release was asked.
pub type Held = (Instant, Instant);

/// One contender's loop until `until`: acquire, increment the counter, release.
/// Returns when it held the lock.
pub fn contend<D: Driver + Counting>(
    driver: &mut D,
    lock_path: &str,
    counter: &str,
    identifier: &str,
    until: Instant,
) -> Vec<Held> {
    contend_on(
        driver,
        Lock::new(lock_path, identifier),
        counter,
        identifier,
        until,
    )
}

/// [`contend`] with `lock` (made by any of its constructors).
pub fn contend_on<D: Driver + Counting>(
    driver: &mut D,
    mut lock: Lock,
    counter: &str,
    identifier: &str,
    until: Instant,
) -> Vec<Held> {
    let mut held = Vec::new();
    while Instant::now() < until {
        let acquired = lock
            .acquire(driver, Some(PATIENCE))
            .unwrap_or_else(|e| panic!("{identifier} acquiring: {e}"));
        assert!(acquired, "{identifier} acquired within {PATIENCE:?}");
        let start = Instant::now();
        increment(driver, counter);
        let end = Instant::now();
        lock.release(driver)
            .unwrap_or_else(|e| panic!("{identifier} releasing: {e}"));
        held.push((start, end));
    }
    held
}

/// Asserts no two holds overlap; returns how many there were.
pub fn assert_disjoint(mut held: Vec<Held>) -> u64 {
    held.sort();
    for pair in held.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "two holders at once: one held {:?}..{:?}, the next from {:?}",
            pair[0].0,
            pair[0].1,
            pair[1].0
        );
    }
    held.len() as u64
}

/// The children of `path` (none if it does not exist).
pub fn children(zk: &SharedClient, path: &str) -> Vec<String> {
    match zk.get_children(path) {
        Ok(children) => children,
        Err(Error::NoNode { .. }) => Vec::new(),
        Err(e) => panic!("listing {path}: {e}"),
    }
}

/// Ends the session of `credentials` behind its client's back: a second client
/// attaches to it and closes it (what the server then tells the first client is that
/// its session expired).
pub fn end_session(credentials: zk_blocking::SessionCredentials) {
    let mut thief = Client::connect(
        &zk_tests::shared_standalone().connect_string(),
        options().resume(credentials),
    )
    .expect("attaching to the session");
    thief.close();
}

/// Ends `zk`'s session behind its back ([`end_session`]), and waits until `zk` knows.
pub fn expire(zk: &SharedClient) {
    end_session(zk.credentials().expect("a session"));
    let deadline = Instant::now() + PATIENCE;
    while zk.state() != SessionState::Expired {
        assert!(
            Instant::now() < deadline,
            "the session expired: {:?}",
            zk.state()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Connects a shared client (waits until connected).
pub fn shared(connect_string: &str) -> SharedClient {
    let zk = SharedClient::connect(connect_string, options())
        .unwrap_or_else(|e| panic!("connecting to {connect_string}: {e}"));
    zk.wait_until_connected(PATIENCE).expect("connected");
    zk
}

/// Connects a blocking client (waits until connected).
pub fn blocking(connect_string: &str) -> Client {
    let mut zk = Client::connect(connect_string, options())
        .unwrap_or_else(|e| panic!("connecting to {connect_string}: {e}"));
    zk.wait_until_connected(PATIENCE).expect("connected");
    zk
}

/// Cuts every connection through `proxy` and refuses new ones.
pub fn cut_off(proxy: &zk_tests::proxy::FaultProxy) {
    proxy.set_on_accept(zk_tests::proxy::OnAccept::Reset);
    proxy.reset_all();
}

// ----- kazoo and Curator ---------------------------------------------------------------

/// The Python that has Debian's `python3-kazoo` (see `.ci/install`).
pub const PYTHON: &str = "/usr/bin/python3";

/// The helper script, `tests/kazoo/helper.py`.
pub fn helper_script() -> String {
    format!("{}/tests/kazoo/helper.py", env!("CARGO_MANIFEST_DIR"))
}

/// kazoo's helper process (`tests/kazoo/helper.py`).
pub type Kazoo = Helper;

/// A running helper process (kazoo's or Curator's): its stdout lines come through a
/// channel so that every read is bounded; killed (and reaped) when dropped.
pub struct Helper {
    /// Whose helper it is, for messages.
    whose: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Helper {
    /// Starts kazoo's `helper.py` with `args`.
    pub fn start(args: &[&str]) -> Helper {
        let mut command = Command::new(PYTHON);
        command.arg(helper_script()).args(args);
        Helper::spawn("kazoo", command, || {
            format!("starting {PYTHON} (kazoo: run .ci/install, or apt-get install python3-kazoo)")
        })
    }

    /// Starts `command` with piped stdin and stdout; `hint` says what to install when it
    /// does not start.
    pub fn spawn(whose: &'static str, mut command: Command, hint: impl Fn() -> String) -> Helper {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", hint()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stdin = child.stdin.take();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::io::Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Helper {
            whose,
            child,
            stdin,
            lines,
        }
    }

    /// The next line the helper prints; panics after `patience` or if it exits.
    pub fn line_within(&mut self, patience: Duration) -> String {
        match self.lines.recv_timeout(patience) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!("{} helper: no line within {patience:?}", self.whose)
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{} helper exited: {:?}", self.whose, self.child.wait())
            }
        }
    }

    /// Asserts the helper prints nothing for `quiet` (it is still waiting).
    pub fn says_nothing_for(&mut self, quiet: Duration) {
        match self.lines.recv_timeout(quiet) {
            Ok(line) => panic!(
                "{} helper printed {line:?}, expected nothing yet",
                self.whose
            ),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{} helper exited: {:?}", self.whose, self.child.wait())
            }
        }
    }

    /// The next line, within [`PATIENCE`].
    pub fn line(&mut self) -> String {
        self.line_within(PATIENCE)
    }

    /// Waits for the line `expected`, failing on any other.
    pub fn expect_line(&mut self, expected: &str) {
        let line = self.line();
        assert_eq!(line, expected, "the {} helper's next line", self.whose);
    }

    /// Sends one command line to the helper.
    pub fn send(&mut self, line: &str) {
        let whose = self.whose;
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").unwrap_or_else(|e| panic!("writing to the {whose} helper: {e}"));
        stdin
            .flush()
            .unwrap_or_else(|e| panic!("flushing to the {whose} helper: {e}"));
    }

    /// Sends `command` and waits for the line `expected`.
    pub fn ask(&mut self, command: &str, expected: &str) {
        self.send(command);
        self.expect_line(expected);
    }

    /// Waits (bounded) for the helper to exit; asserts it succeeded.
    pub fn assert_exits_ok(mut self) {
        self.stdin = None;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let status = self.child.try_wait();
            let status = status.unwrap_or_else(|e| panic!("{} helper status: {e}", self.whose));
            if let Some(status) = status {
                assert!(
                    status.success(),
                    "{} helper exited with {status}",
                    self.whose
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} helper still running",
                self.whose
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where Debian keeps the Java libraries.
pub const JAVA_LIBS: &str = "/usr/share/java";

/// The jars Curator 5.4's helper needs, in [`JAVA_LIBS`], with the Debian package of
/// each (Debian's Curator jars name the others in their manifests; no netty nor
/// jackson is loaded by a client that uses neither).
pub const CURATOR_JARS: &[(&str, &str)] = &[
    ("curator-recipes.jar", "libcurator-recipes-java"),
    ("curator-framework.jar", "libcurator-framework-java"),
    ("curator-client.jar", "libcurator-client-java"),
    ("zookeeper.jar", "libzookeeper-java"),
    ("zookeeper-jute.jar", "libzookeeper-java"),
    ("guava.jar", "libguava-java"),
    ("slf4j-api.jar", "libslf4j-java"),
    ("slf4j-nop.jar", "libslf4j-java"),
];

/// Curator's helper (`tests/curator/Helper.java`), compiled once per test process.
pub struct Curator;

impl Curator {
    /// Starts the helper with `args` (`HOSTS mutex|latch PATH ID`) and waits until it is
    /// connected ("ready"). A missing jar or JDK fails the test, saying what to install.
    pub fn start(args: &[&str]) -> Helper {
        let classpath = Curator::classpath();
        let mut command = Command::new("java");
        command
            .arg("-Xmx64m")
            .arg("-XX:+UseSerialGC")
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-cp")
            .arg(classpath)
            .arg("Helper")
            .args(args);
        let mut helper = Helper::spawn("Curator", command, || {
            "starting java for Curator's helper (run .ci/install)".to_string()
        });
        helper.expect_line("ready");
        helper
    }

    /// The helper's classes and the jars, compiled at the first call.
    fn classpath() -> String {
        static CLASSES: OnceLock<String> = OnceLock::new();
        let classes = CLASSES.get_or_init(Curator::compile);
        let mut parts = vec![classes.clone()];
        parts.extend(Curator::jars());
        parts.join(":")
    }

    /// The jars' paths; fails naming the packages of those missing.
    fn jars() -> Vec<String> {
        let mut missing: Vec<&str> = Vec::new();
        let mut found = Vec::new();
        for (jar, package) in CURATOR_JARS {
            let path = format!("{JAVA_LIBS}/{jar}");
            if std::path::Path::new(&path).is_file() {
                found.push(path);
            } else if !missing.contains(package) {
                missing.push(package);
            }
        }
        assert!(
            missing.is_empty(),
            "Curator's interop tests need Curator 5.4's jars in {JAVA_LIBS}: run .ci/install, or \
             apt-get install -y {} (missing: {})",
            missing.join(" "),
            CURATOR_JARS
                .iter()
                .filter(|(jar, _)| !std::path::Path::new(&format!("{JAVA_LIBS}/{jar}")).is_file())
                .map(|(jar, _)| *jar)
                .collect::<Vec<_>>()
                .join(", ")
        );
        found
    }

    /// Compiles `tests/curator/Helper.java` into a directory of the target's: its path.
    fn compile() -> String {
        let jars = Curator::jars().join(":");
        let out = format!("{}/curator-helper", env!("CARGO_TARGET_TMPDIR"));
        let source = format!("{}/tests/curator/Helper.java", env!("CARGO_MANIFEST_DIR"));
        let status = Command::new("javac")
            .args(["-d", &out, "-cp", &jars, &source])
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "running javac for Curator's helper (a JDK: apt-get install -y \
                     default-jdk-headless, or run .ci/install): {e}"
                )
            });
        assert!(status.success(), "javac {source}: {status}");
        out
    }
}
