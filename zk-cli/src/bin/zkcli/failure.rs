//! Why a command failed, the exit status that tells scripts which kind it was, and
//! how it is reported: one stderr line, or one JSON object with `--json`.

use std::io;

use serde_json::json;

/// clap's report of a bad command line, without its `error: ` lead, which zkcli's
/// own prefix replaces.
impl From<clap::Error> for Failure {
    fn from(error: clap::Error) -> Failure {
        let text = error.render().to_string();
        Failure::CommandLine(text.trim_start_matches("error: ").trim_end().to_string())
    }
}
use zk_blocking::Error;

pub const EXIT_ZOOKEEPER: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
pub const EXIT_LOCAL_IO: u8 = 4;
/// As a shell reports a command ended by SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug)]
pub enum Failure {
    /// Bad command line: exit 2.
    Usage(String),
    /// The command line parser's own report (with its suggestions): exit 2.
    CommandLine(String),
    /// ZooKeeper refused or failed the operation on `path`: exit 1.
    ZooKeeper { error: Error, path: Option<String> },
    /// No server answered: exit 3.
    Unreachable(String),
    /// zkcli refused the command, or a part of it, for what it found on the server (a
    /// quota where one may not be, before changing anything; a node `ls -R` may not
    /// list below): exit 1, as for ZooKeeper's own refusals. `name` leads the stderr
    /// line as an error code's name does.
    Refused {
        name: &'static str,
        path: String,
        /// The session's chroot, which the stderr line names after `path`, as for
        /// ZooKeeper's errors.
        chroot: Option<String>,
        why: String,
    },
    /// A shell command without a session (after `close`, or once the session ended),
    /// whose hosts were `hosts`: exit 1, as for a closed session.
    NotConnected { hosts: String },
    /// Ctrl-C stopped a shell command: exit 130.
    Interrupted,
    /// Reading stdin or a file, or writing stdout, failed here, whatever the server
    /// did: exit 4.
    Io(io::Error),
    /// Several failures of one command that went on past them (`ls -R`'s unreadable
    /// nodes), reported one line (or JSON object) each; the highest exit status.
    Several(Vec<Failure>),
}

impl Failure {
    pub fn at(path: &str) -> impl FnOnce(Error) -> Failure + '_ {
        move |error| Failure::from_error(error, Some(path.to_string()))
    }

    /// A local read or write of `what` (stdin, a named file) that failed.
    pub fn local(what: &str) -> impl FnOnce(io::Error) -> Failure + '_ {
        move |error| Failure::Io(io::Error::new(error.kind(), format!("{what}: {error}")))
    }

    pub fn from_error(error: Error, path: Option<String>) -> Failure {
        match error {
            Error::NoHosts { .. } => Failure::Unreachable(with_flags(&error.to_string())),
            // Rejected before anything was sent: the arguments are at fault.
            Error::InvalidPath { .. } | Error::InvalidArgument(_) | Error::Config(_) => {
                Failure::Usage(error.to_string())
            }
            error => Failure::ZooKeeper { error, path },
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::CommandLine(_) => EXIT_USAGE,
            Failure::Unreachable(_) => EXIT_UNREACHABLE,
            Failure::ZooKeeper { .. } | Failure::Refused { .. } | Failure::NotConnected { .. } => {
                EXIT_ZOOKEEPER
            }
            Failure::Io(_) => EXIT_LOCAL_IO,
            Failure::Interrupted => EXIT_INTERRUPTED,
            Failure::Several(failures) => failures
                .iter()
                .map(Failure::exit_code)
                .max()
                .unwrap_or(EXIT_ZOOKEEPER),
        }
    }

    /// A closed pipe (`zkcli ls -R / | head`) is not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Failure::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The kind of failure: ZooKeeper's name for the code (`NoNode`, `BadVersion`),
    /// the client's (`Timeout`, `Closed`), or zkcli's (`Usage`, `Unreachable`, `Io`).
    pub fn name(&self) -> String {
        match self {
            Failure::Usage(_) | Failure::CommandLine(_) => "Usage".into(),
            Failure::Unreachable(_) => "Unreachable".into(),
            Failure::NotConnected { .. } => "NotConnected".into(),
            Failure::Io(_) => "Io".into(),
            Failure::Interrupted => "Interrupted".into(),
            Failure::Refused { name, .. } => (*name).into(),
            Failure::Several(failures) => match failures.first() {
                Some(first) => first.name(),
                None => "Several".into(),
            },
            Failure::ZooKeeper { error, .. } => match (error, error.code()) {
                (Error::Timeout(_), _) => "Timeout".into(),
                (Error::Closed, _) => "Closed".into(),
                (_, Some(code)) => format!("{code:?}"),
                (_, None) => "ClientError".into(),
            },
        }
    }

    /// The node the failure is about, as the user named it.
    fn path(&self) -> Option<&str> {
        match self {
            Failure::ZooKeeper { error, path } => error.path().or(path.as_deref()),
            Failure::Refused { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The path for the stderr line, with the session's chroot, if any, after it.
    fn place(&self) -> Option<String> {
        let path = self.path()?;
        let chroot = match self {
            Failure::ZooKeeper { error, .. } => error.chroot(),
            Failure::Refused { chroot, .. } => chroot.as_deref(),
            _ => None,
        };
        Some(match chroot {
            Some(chroot) => format!("{path} (under chroot {chroot})"),
            None => path.to_string(),
        })
    }

    /// What happened and what to do, without the name and place that lead the
    /// stderr line and have fields of their own in JSON.
    fn detail(&self) -> String {
        match self {
            Failure::Usage(why) | Failure::CommandLine(why) | Failure::Unreachable(why) => {
                why.clone()
            }
            Failure::ZooKeeper { error, .. } => explanation(error),
            Failure::Refused { why, .. } => why.clone(),
            Failure::NotConnected { hosts } => {
                format!("`connect` opens a session on {hosts} again, `connect HOSTS` one elsewhere")
            }
            Failure::Io(e) => e.to_string(),
            Failure::Interrupted => "stopped by Ctrl-C; the session goes on".into(),
            Failure::Several(failures) => each_line(failures, Failure::detail),
        }
    }

    /// The stderr line. ZooKeeper errors lead with the code's name (`NoNode`), which
    /// scripts can match, then the path, each once.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(why) => format!("zkcli: {why} (--help for usage)"),
            Failure::CommandLine(text) => format!("zkcli: {text}"),
            Failure::Unreachable(why) => format!("zkcli: unreachable: {why}"),
            Failure::NotConnected { .. } => format!("zkcli: not connected: {}", self.detail()),
            Failure::ZooKeeper { .. } | Failure::Refused { .. } => {
                let (name, detail) = (self.name(), self.detail());
                match self.place() {
                    Some(place) => format!("zkcli: {name}: {place}: {detail}"),
                    None => format!("zkcli: {name}: {detail}"),
                }
            }
            Failure::Io(e) => format!("zkcli: local I/O: {e}"),
            Failure::Interrupted => format!("zkcli: interrupted: {}", self.detail()),
            Failure::Several(failures) => each_line(failures, Failure::message),
        }
    }

    /// `--json`'s error object: `{"error": name, "path": path or null, "message": ...}`;
    /// one a line for `Several`.
    pub fn json(&self) -> String {
        if let Failure::Several(failures) = self {
            return each_line(failures, Failure::json);
        }
        json!({
            "error": self.name(),
            "path": self.path(),
            "message": self.detail(),
            "exit_code": self.exit_code(),
        })
        .to_string()
    }

    /// Writes the failure to stderr the way the user asked for.
    pub fn report(&self, json: bool) {
        if self.is_broken_pipe() {
            return;
        }
        if json {
            eprintln!("{}", self.json());
        } else {
            eprintln!("{}", self.message());
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// `show` of each failure, a line each.
fn each_line(failures: &[Failure], show: fn(&Failure) -> String) -> String {
    failures.iter().map(show).collect::<Vec<_>>().join("\n")
}

/// The client's message for `error` as a zkcli user can act on it: without its lead
/// (`NoNode: /a: `), which `Failure::message` writes once, and with advice about the
/// Rust API (`Version::Any`, `add_auth`, `Options`) replaced by zkcli's flags and
/// commands.
fn explanation(error: &Error) -> String {
    match error {
        Error::BadVersion { .. } => "the node's version is not the one expected; re-read it and \
             retry, or leave out -v (or give -v -1) to accept any version"
            .into(),
        Error::NoAuth { .. } => "this session may not do that to the node; authenticate as an \
             identity its ACL allows: addauth SCHEME AUTH in the shell, or --auth \
             SCHEME:CREDENTIALS (see getAcl PATH)"
            .into(),
        Error::InvalidAcl { .. } => "the ACL is empty or the server refused it: give at least \
             one scheme:id:perms entry with a scheme the server knows and a well-formed id, \
             such as world:anyone:cdrwa; an auth ACL needs credentials first: addauth SCHEME \
             AUTH in the shell, or --auth SCHEME:CREDENTIALS"
            .into(),
        Error::AuthFailed => "the server rejected the credentials and ended the session: \
             check each SCHEME:CREDENTIALS of --auth, --auth-file, $ZKCLI_AUTH or addauth \
             (a scheme the server knows, such as digest:user:password) and --sasl-user's \
             password, then run the command again (in the shell: connect)"
            .into(),
        Error::SaslRequired => "the server requires SASL authentication before any request \
             (its enforce.auth.enabled) and closed the session: give --sasl-user USER with its \
             password in --sasl-password-file or $ZKCLI_SASL_PASSWORD (or --auth, for a scheme \
             its enforce.auth.schemes lists)"
            .into(),
        Error::Timeout(waited) => format!(
            "no reply within {} ms: the request may yet be applied; check the server \
             (zkcli srvr), or allow more time with --timeout MS",
            waited.as_millis()
        ),
        Error::SessionExpired => "the session expired: its ephemeral nodes and watches are \
             gone; run the command again (in the shell: connect)"
            .into(),
        Error::Closed => {
            "the session is closed; run the command again (in the shell: connect)".into()
        }
        Error::RequestTimeout => "the request timed out and the connection was reset: retry".into(),
        Error::TooLarge { size, max } => format!(
            "the request is {size} bytes, more than zkcli's limit of {max}: raise it with \
             --jute-maxbuffer BYTES (the server's jute.maxbuffer must allow as much), or send \
             less data"
        ),
        Error::ReplyTooLarge { len, max } => format!(
            "the reply is {len} bytes, more than zkcli's limit of {max}: the request was \
             executed but its reply could not be read; raise the limit with --jute-maxbuffer \
             BYTES, or ask for less (smaller data, fewer children)"
        ),
        Error::Server { code, .. } => match error.advice() {
            Some(advice) => format!("the server refused the request with {code}; {advice}"),
            None => format!("the server refused the request with {code}"),
        },
        Error::NoWatcher { .. } => {
            "this session has no such watch on the node: it already fired or was removed".into()
        }
        other => without_code(&without_lead(other), other),
    }
}

/// A dial problem's advice with zkcli's flags for the library's settings.
fn with_flags(text: &str) -> String {
    text.replace("connect with Options::tls", "give --tls-ca PATH")
        .replace(
            "give TlsConfig the CA that signed",
            "give --tls-ca a PEM file with the CA that signed",
        )
        .replace("(Options::read_only)", "(-r)")
        .replace(
            "give one with TlsConfig::client_cert_files",
            "give one with --tls-cert and --tls-key",
        )
}

/// `text` without the ` (CONNECTIONLOSS)` that names `error`'s code, which the name
/// that leads zkcli's line already says.
fn without_code(text: &str, error: &Error) -> String {
    match error.code() {
        Some(code) => text.replacen(&format!(" ({})", code.name()), "", 1),
        None => text.to_string(),
    }
}

/// The client's message without its `Name: /path (under chroot /c): ` lead, when it
/// has one (a single word, then the place); any other message whole.
fn without_lead(error: &Error) -> String {
    let text = error.to_string();
    let place = match (error.path(), error.chroot()) {
        (Some(path), Some(chroot)) => format!(": {path} (under chroot {chroot})"),
        (Some(path), None) => format!(": {path}"),
        (None, _) => String::new(),
    };
    match text.split_once(&format!("{place}: ")) {
        Some((name, rest)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
            rest.to_string()
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zk_blocking::ErrorCode;

    use super::*;

    fn about(code: ErrorCode, path: &str, chroot: Option<&str>) -> Failure {
        let error = Error::about(code, Some(path.into()), chroot.map(str::to_string));
        Failure::at(path)(error)
    }

    #[test]
    fn a_server_error_names_its_code_and_path_once() {
        assert_eq!(
            about(ErrorCode::NotEmpty, "/a", None).message(),
            "zkcli: NotEmpty: /a: the node has children; delete them first"
        );
        assert_eq!(
            about(ErrorCode::NoNode, "/a/b", Some("/app")).message(),
            "zkcli: NoNode: /a/b (under chroot /app): the node does not exist; create it, or its parent, first"
        );
    }

    #[test]
    fn an_error_without_a_path_gets_the_commands_path_once() {
        let failure = Failure::at("/gone")(Error::from_code(ErrorCode::NoNode));
        assert_eq!(
            failure.message(),
            "zkcli: NoNode: /gone: the node does not exist; create it, or its parent, first"
        );
    }

    #[test]
    fn advice_names_zkcli_flags_and_commands_not_the_rust_api() {
        let cases = [
            (about(ErrorCode::BadVersion, "/a", None), "leave out -v"),
            (about(ErrorCode::NoAuth, "/a", None), "addauth SCHEME AUTH"),
            (
                Failure::from_error(Error::Timeout(Duration::from_secs(3)), None),
                "--timeout MS",
            ),
            (
                Failure::from_error(Error::SessionExpired, None),
                "in the shell: connect",
            ),
            (
                Failure::from_error(Error::ReplyTooLarge { len: 9, max: 5 }, None),
                "--jute-maxbuffer",
            ),
            (
                Failure::from_error(Error::TooLarge { size: 9, max: 5 }, None),
                "--jute-maxbuffer",
            ),
            (Failure::from_error(Error::AuthFailed, None), "--auth"),
        ];
        for (failure, advice) in cases {
            let message = failure.message();
            assert!(message.contains(advice), "{message}");
            for rust_api in [
                "Version::Any",
                "add_auth",
                "Options",
                "`wait`",
                "new client",
                "state_reason",
                "TlsConfig",
            ] {
                assert!(!message.contains(rust_api), "{message}");
            }
        }
    }

    #[test]
    fn a_server_code_without_a_variant_keeps_the_clients_advice() {
        assert_eq!(
            about(ErrorCode::QuotaExceeded, "/q", None).message(),
            "zkcli: QuotaExceeded: /q: the server refused the request with QUOTAEXCEEDED \
             (-125): quota exceeded; a hard quota on this node or an ancestor (setquota) \
             limits its node count or bytes: delete data, or raise the quota"
        );
        let message = about(ErrorCode::BadArguments, "/zookeeper/quota", None).message();
        assert!(message.contains("refuses to delete `/`"), "{message}");
        let message = about(ErrorCode::Unknown(-999), "/a", None).message();
        assert!(!message.contains(";"), "{message}");
    }

    #[test]
    fn the_code_is_not_repeated_after_its_name() {
        for error in [
            Error::ConnectionLoss,
            Error::SessionExpired,
            Error::AuthFailed,
            Error::RequestTimeout,
            Error::NotReadOnly,
            Error::Unimplemented,
        ] {
            let code = error.code().unwrap().name();
            let failure = Failure::from_error(error, None);
            let message = failure.message();
            assert!(message.starts_with(&format!("zkcli: {}: ", failure.name())));
            assert!(!message.contains(code), "{message}");
        }
    }

    #[test]
    fn several_failures_are_one_line_or_object_each() {
        let refused = |path: &str, chroot: Option<&str>| Failure::Refused {
            name: "NoAuth",
            path: path.into(),
            chroot: chroot.map(str::to_string),
            why: "may not".into(),
        };
        let several = Failure::Several(vec![refused("/a", None), refused("/b", Some("/c"))]);
        assert_eq!(several.exit_code(), EXIT_ZOOKEEPER);
        assert_eq!(
            several.message(),
            "zkcli: NoAuth: /a: may not\nzkcli: NoAuth: /b (under chroot /c): may not"
        );
        let objects: Vec<serde_json::Value> = several
            .json()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            (objects[0]["path"].as_str(), objects[1]["path"].as_str()),
            (Some("/a"), Some("/b"))
        );
    }

    #[test]
    fn the_json_object_keeps_name_path_and_message_apart() {
        let object: serde_json::Value =
            serde_json::from_str(&about(ErrorCode::BadVersion, "/a", None).json()).unwrap();
        assert_eq!(object["error"], "BadVersion");
        assert_eq!(object["path"], "/a");
        let message = object["message"].as_str().unwrap();
        assert!(message.starts_with("the node's version"), "{message}");
        assert_eq!(object["exit_code"], 1);

        let under_chroot = about(ErrorCode::NoNode, "/a", Some("/app"));
        let object: serde_json::Value = serde_json::from_str(&under_chroot.json()).unwrap();
        assert_eq!(object["path"], "/a", "the path alone, for scripts");
    }
}
