//! Finding a ZooKeeper installation and a `java` to run it with.

use std::env;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::HarnessError;

/// How to get a ZooKeeper onto this machine; part of every "not installed" error.
const INSTALL_HINT: &str = "install it with `apt-get update && apt-get install -y zookeeper` \
     (Debian's package puts the jars in /usr/share/java and pulls in java), \
     or set ZOOKEEPER_HOME to an unpacked Apache ZooKeeper release (with lib/*.jar) \
     and JAVA_HOME or PATH to a java";

/// Where Debian's `zookeeper` package and its dependencies put their jars.
const DEBIAN_JAVA_DIR: &str = "/usr/share/java";

/// The jars a ZooKeeper 3.8 server needs, as Debian names them (unversioned symlinks).
const DEBIAN_JARS: &[&str] = &[
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "slf4j-api.jar",
    "slf4j-simple.jar",
    "netty-handler.jar",
    "netty-common.jar",
    "netty-buffer.jar",
    "netty-transport.jar",
    "netty-codec.jar",
    "netty-resolver.jar",
    "netty-transport-native-epoll.jar",
    "netty-transport-native-unix-common.jar",
    "metrics-core.jar",
    "snappy-java.jar",
    "commons-cli.jar",
];

/// A `java` executable and the classpath of a ZooKeeper server.
#[derive(Debug, Clone)]
pub struct ZkInstall {
    java: PathBuf,
    classpath: Vec<PathBuf>,
}

impl ZkInstall {
    /// Looks for ZooKeeper (`$ZOOKEEPER_HOME/lib/*.jar`, else Debian's jars in
    /// /usr/share/java) and java (`$JAVA_HOME/bin/java`, else `java` on `PATH`).
    ///
    /// The error says how to install what is missing.
    pub fn locate() -> Result<ZkInstall, HarnessError> {
        let classpath = match env::var_os("ZOOKEEPER_HOME") {
            Some(home) => home_classpath(Path::new(&home))?,
            None => debian_classpath()?,
        };
        let java = find_java()?;
        Ok(ZkInstall { java, classpath })
    }

    /// The installation found by [`ZkInstall::locate`], looked up once per process.
    pub fn cached() -> Result<&'static ZkInstall, HarnessError> {
        static INSTALL: OnceLock<Result<ZkInstall, HarnessError>> = OnceLock::new();
        INSTALL
            .get_or_init(ZkInstall::locate)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The `java` executable.
    pub fn java(&self) -> &Path {
        &self.java
    }

    /// The server classpath as one `:`-separated string for `java -cp`.
    pub fn classpath(&self) -> String {
        let parts: Vec<_> = self
            .classpath
            .iter()
            .map(|jar| jar.to_string_lossy())
            .collect();
        parts.join(":")
    }
}

fn not_installed(what: String) -> HarnessError {
    HarnessError::NotInstalled(format!("{what}; {INSTALL_HINT}"))
}

fn home_classpath(home: &Path) -> Result<Vec<PathBuf>, HarnessError> {
    let lib = home.join("lib");
    let entries = std::fs::read_dir(&lib).map_err(|err| {
        not_installed(format!(
            "ZOOKEEPER_HOME is set but {} cannot be read ({err})",
            lib.display()
        ))
    })?;
    let mut jars: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "jar"))
        .collect();
    jars.sort();
    let has_server = jars.iter().any(|jar| {
        jar.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("zookeeper-3"))
            || jar.ends_with("zookeeper.jar")
    });
    if !has_server {
        return Err(not_installed(format!(
            "ZOOKEEPER_HOME is set but {} holds no zookeeper jar",
            lib.display()
        )));
    }
    Ok(jars)
}

fn debian_classpath() -> Result<Vec<PathBuf>, HarnessError> {
    let dir = Path::new(DEBIAN_JAVA_DIR);
    let jars: Vec<PathBuf> = DEBIAN_JARS.iter().map(|jar| dir.join(jar)).collect();
    let missing: Vec<_> = jars.iter().filter(|jar| !jar.is_file()).collect();
    if missing.is_empty() {
        Ok(jars)
    } else {
        Err(not_installed(format!(
            "ZooKeeper not found: ZOOKEEPER_HOME is unset and {} is missing",
            missing[0].display()
        )))
    }
}

fn find_java() -> Result<PathBuf, HarnessError> {
    if let Some(home) = env::var_os("JAVA_HOME") {
        let java = Path::new(&home).join("bin/java");
        if java.is_file() {
            return Ok(java);
        }
    }
    env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .map(|dir| dir.join("java"))
        .find(|java| java.is_file())
        .ok_or_else(|| not_installed("no java in JAVA_HOME/bin or on PATH".to_owned()))
}
