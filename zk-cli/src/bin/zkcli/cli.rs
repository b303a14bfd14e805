//! The command line, declared with clap: zkcli's global options, then one of
//! zkCli.sh's commands with its flags. The same command types are parsed from the
//! shell's lines (see `shell::line`).

use std::ffi::OsString;
use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use zk_blocking::TlsConfig;

use crate::acl_syntax::DigestIds;
use crate::failure::Failure;
use crate::stats_track::{BYTE_HARD_LIMIT, BYTES, COUNT, COUNT_HARD_LIMIT};

const DEFAULT_HOSTS: &str = "127.0.0.1:2181";
/// zkCli.sh's default session timeout, in milliseconds.
const DEFAULT_TIMEOUT_MS: &str = "30000";
/// Java's default jute.maxbuffer, 1 MiB - 1, which the servers share.
const DEFAULT_JUTE_MAXBUFFER: &str = "1048575";
/// What zkCli.sh users give the JVM as -Djute.maxbuffer.
pub const JUTE_MAXBUFFER_VARIABLE: &str = "ZKCLI_JUTE_MAXBUFFER";

/// Every command's help starts with its zkCli.sh-style usage line.
pub const COMMAND_HELP_TEMPLATE: &str = "usage: {usage}\n\n{about}\n\n{all-args}";

#[derive(Parser)]
#[command(
    name = "zkcli",
    version,
    about = "A ZooKeeper command line with zkCli.sh's commands and output, plus --json for scripts. \
             Without a command, an interactive shell.",
    after_help = "HOSTS: host:port[,host:port...][/chroot], default $ZK_HOSTS, then 127.0.0.1:2181.\n\
                  zkCli.sh's spellings -server, -timeout and -auth are accepted too.\n\
                  Credentials: --auth (repeatable), --auth-file, or $ZKCLI_AUTH; each SCHEME:CREDENTIALS.\n\
                  Exit status: 0 ok; 1 ZooKeeper error (name and path on stderr; in the shell, also no session); \
                  2 usage; 3 no server reachable; 4 local I/O (reading stdin or a file given by a flag, \
                  writing stdout); 130 a shell command stopped by Ctrl-C."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<ZkCommand>,
}

/// Everything before the command.
#[derive(Args, Clone)]
pub struct Global {
    /// Connect string: host:port[,host:port...], then an optional /chroot [default:
    /// $ZK_HOSTS, then 127.0.0.1:2181].
    #[arg(long, value_name = "HOSTS")]
    server: Option<String>,
    /// Session timeout in ms, also the bound on connecting and on each call.
    #[arg(long, value_name = "MS", default_value = DEFAULT_TIMEOUT_MS, value_parser = parse_timeout)]
    pub timeout: Duration,
    /// The largest request or reply in bytes, as Java's -Djute.maxbuffer: raise it to
    /// read or write nodes over 1 MiB (the server's jute.maxbuffer must allow them
    /// too). Decoding a reply may take about 6 times this much memory.
    #[arg(
        long,
        value_name = "BYTES",
        env = JUTE_MAXBUFFER_VARIABLE,
        default_value = DEFAULT_JUTE_MAXBUFFER,
        value_parser = parse_frame_size
    )]
    pub jute_maxbuffer: usize,
    /// Credentials to add, e.g. digest:user:password (repeatable). Visible to other
    /// local users in the process list: prefer --auth-file or $ZKCLI_AUTH.
    #[arg(long, value_name = "SCHEME:CREDENTIALS")]
    pub auth: Vec<String>,
    /// A file of credentials, one SCHEME:CREDENTIALS per line (# comments, blank lines skipped).
    #[arg(long, value_name = "PATH")]
    pub auth_file: Option<PathBuf>,
    /// Authenticate with SASL DIGEST-MD5 as this user (a server with DigestLoginModule
    /// users); the password comes from --sasl-password-file or $ZKCLI_SASL_PASSWORD,
    /// never from the command line.
    #[arg(long, value_name = "USER")]
    pub sasl_user: Option<String>,
    /// A file whose first line is the --sasl-user's password.
    #[arg(long, value_name = "PATH", requires = "sasl_user")]
    pub sasl_password_file: Option<PathBuf>,
    /// Speak TLS, trusting the CA certificates of this PEM file (the servers' secure
    /// client ports: their certificates must name the hosts as given).
    #[arg(long, value_name = "PATH")]
    pub tls_ca: Option<PathBuf>,
    /// With TLS, present this client certificate chain (PEM) to servers that ask for
    /// one (mutual TLS); needs --tls-key. Without --tls-ca, the system's CAs are trusted.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// One JSON object per result or event; on failure one JSON object on stderr.
    /// Before or after the command (`zkcli ls / --json`); in the shell, only when
    /// starting it.
    #[arg(long, global = true)]
    pub json: bool,
    /// Accept a read-only server.
    #[arg(short = 'r')]
    pub read_only: bool,
    /// Logs on stderr: -v info, -vv debug (RUST_LOG, if set, decides instead).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Global {
    /// The TLS settings the flags ask for: none without --tls-ca or --tls-cert. A file
    /// that cannot be read is a local I/O failure; one that holds no usable PEM, a
    /// usage error.
    pub fn tls(&self) -> Result<Option<TlsConfig>, Failure> {
        let files = [
            ("--tls-ca", &self.tls_ca),
            ("--tls-cert", &self.tls_cert),
            ("--tls-key", &self.tls_key),
        ];
        for (flag, path) in files {
            if let Some(path) = path {
                let what = format!("{flag} {}", path.display());
                File::open(path).map_err(Failure::local(&what))?;
            }
        }
        let unusable = |error: zk_blocking::Error| Failure::Usage(error.to_string());
        let trust = match (&self.tls_ca, &self.tls_cert) {
            (None, None) => return Ok(None),
            (Some(ca), _) => TlsConfig::from_ca_file(ca).map_err(unusable)?,
            (None, Some(_)) => TlsConfig::system_roots().map_err(unusable)?,
        };
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => trust
                .client_cert_files(cert, key)
                .map(Some)
                .map_err(unusable),
            _ => Ok(Some(trust)),
        }
    }

    /// `--server`, else a non-empty `$ZK_HOSTS`, else the local default.
    pub fn hosts(&self) -> String {
        self.server
            .clone()
            .or_else(|| {
                std::env::var("ZK_HOSTS")
                    .ok()
                    .filter(|hosts| !hosts.is_empty())
            })
            .unwrap_or_else(|| DEFAULT_HOSTS.to_string())
    }
}

fn parse_frame_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        // Frame lengths are an int on the wire; the client needs room for a header.
        Ok(bytes) if (64..=i32::MAX as usize).contains(&bytes) => Ok(bytes),
        _ => Err("bytes, 64 ..= 2147483647".into()),
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        // The session timeout is an int of milliseconds on the wire.
        Ok(ms) if (1..=i32::MAX as u64).contains(&ms) => Ok(Duration::from_millis(ms)),
        _ => Err("milliseconds, 1 ..= 2147483647".into()),
    }
}

/// The arguments as clap should see them, and what a failure to parse them needs.
pub struct RawArgs {
    pub args: Vec<OsString>,
    /// `--json` anywhere before a `--`: a bad command line is reported as JSON too.
    pub json: bool,
}

/// zkCli.sh writes its long global options with one dash (`-server h:1`); clap wants
/// two. Rewrites them among the options before the command, and nowhere else, so that
/// a command's own arguments reach clap untouched.
pub fn with_double_dash_globals(args: Vec<OsString>) -> RawArgs {
    const SINGLE_DASH: [&str; 5] = ["-server", "-timeout", "-auth", "-auth-file", "-help"];
    let takes_values = global_options_with_values();
    let json = args
        .iter()
        .skip(1)
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "--json");
    let mut rewritten = Vec::with_capacity(args.len());
    let mut rest = args.into_iter();
    rewritten.extend(rest.next());
    while let Some(arg) = rest.next() {
        let text = arg.to_str().unwrap_or_default();
        if !text.starts_with('-') || text == "--" {
            let command: Vec<OsString> = std::iter::once(arg).chain(rest.by_ref()).collect();
            rewritten.extend(with_double_dash_reconfig_options(command));
            break;
        }
        let arg = if SINGLE_DASH.contains(&text) {
            format!("-{text}").into()
        } else {
            arg
        };
        let takes_value = takes_values.iter().any(|name| arg == name.as_str());
        rewritten.push(arg);
        if takes_value {
            rewritten.extend(rest.next());
        }
    }
    rewritten.extend(rest);
    RawArgs {
        args: rewritten,
        json,
    }
}

/// The global options that take a value (`--server`, ...), as `--NAME`: from the
/// declaration, so that a new one cannot be left out.
fn global_options_with_values() -> Vec<String> {
    Cli::command()
        .get_arguments()
        .filter(|arg| arg.get_action().takes_values())
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect()
}

/// The global options of `args` (as `with_double_dash_globals` rewrote them), parsed
/// without what follows them: for a command line whose command clap refused. `None`
/// if they do not parse either.
pub fn globals_before_command(args: &[OsString]) -> Option<Global> {
    let takes_values = global_options_with_values();
    let mut end = args.len().min(1);
    while let Some(arg) = args.get(end) {
        let text = arg.to_str().unwrap_or_default();
        if !text.starts_with('-') || text == "--" {
            break;
        }
        end += if takes_values.iter().any(|name| text == name) {
            2
        } else {
            1
        };
    }
    let globals = &args[..end.min(args.len())];
    Cli::try_parse_from(globals).ok().map(|cli| cli.global)
}

/// zkCli.sh's reconfig spells its long options with one dash (`-add`, `-members`).
/// `words` is a command line from the command's name on: when that is `reconfig`,
/// they are rewritten for clap up to a `--`; any other command's words are returned
/// as they are.
pub fn with_double_dash_reconfig_options<W>(words: Vec<W>) -> Vec<W>
where
    W: AsRef<std::ffi::OsStr> + From<String>,
{
    const SINGLE_DASH: [&str; 4] = ["-add", "-remove", "-members", "-file"];
    if words.first().is_none_or(|name| name.as_ref() != "reconfig") {
        return words;
    }
    let mut options = true;
    words
        .into_iter()
        .map(|word| {
            let text = word.as_ref().to_str().unwrap_or_default();
            options &= text != "--";
            match SINGLE_DASH.contains(&text) && options {
                true => W::from(format!("-{text}")),
                false => word,
            }
        })
        .collect()
}

/// zkCli.sh's commands, plus `watch` and the four-letter words.
#[derive(Subcommand, Clone)]
pub enum ZkCommand {
    /// Children of PATH, sorted, one per line.
    ///
    /// -s adds PATH's Stat; -R lists the whole subtree as full paths (with -R, -s is
    /// ignored, as in zkCli.sh); -w then waits for the next change of PATH's children
    /// and prints the event, as get -w does.
    #[command(
        override_usage = "zkcli [GLOBAL OPTIONS] ls [-s] [-w [--count 1] [--for SECONDS]] [-R] PATH"
    )]
    Ls {
        /// Add PATH's Stat.
        #[arg(short = 's')]
        stat: bool,
        /// Watch PATH's children and print their next change.
        #[arg(short = 'w', conflicts_with = "recursive")]
        watch: bool,
        #[command(flatten)]
        limits: EventLimits,
        /// The whole subtree, as full paths.
        #[arg(short = 'R')]
        recursive: bool,
        path: String,
    },
    /// PATH's data, written as-is.
    ///
    /// On a terminal a newline follows data that does not
    /// end with one; piped or redirected, the bytes are exactly the node's (so output
    /// round-trips); in the shell a newline always follows. -s adds the Stat; -w then
    /// waits for the next change of PATH and prints the event (in the shell, without
    /// --count or --for, the event is printed when it arrives).
    #[command(
        override_usage = "zkcli [GLOBAL OPTIONS] get [-s] [-w [--count 1] [--for SECONDS]] PATH"
    )]
    Get {
        /// Add the Stat.
        #[arg(short = 's')]
        stat: bool,
        /// Watch PATH and print its next change.
        #[arg(short = 'w')]
        watch: bool,
        #[command(flatten)]
        limits: EventLimits,
        path: String,
    },
    /// PATH's Stat.
    ///
    /// -w then waits for PATH's next change (data, deletion) and prints the event, as
    /// get -w does. A missing PATH is a NoNode error; in the shell, -w's watch on it
    /// still reports its creation.
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] stat [-w [--count 1] [--for SECONDS]] PATH")]
    Stat {
        /// Watch PATH and print its next change.
        #[arg(short = 'w')]
        watch: bool,
        #[command(flatten)]
        limits: EventLimits,
        path: String,
    },
    /// Sets PATH's data.
    ///
    /// DATA `-` reads it from stdin. -v only if PATH is at VERSION;
    /// -s prints the new Stat. Data that starts with `-` goes after `--`.
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] set [-s] [-v VERSION] PATH DATA")]
    Set {
        /// Print the new Stat.
        #[arg(short = 's')]
        stat: bool,
        #[command(flatten)]
        version: ExpectedVersion,
        path: String,
        data: String,
    },
    /// Creates PATH and prints `Created PATH`, as zkCli.sh does.
    ///
    /// The path printed has its sequence number with -s; --json prints {"path": ...}.
    /// -s sequential, -e ephemeral (gone when
    /// the session ends), -c container, -t TTL in ms (server needs
    /// extendedTypesEnabled). DATA `-` reads stdin; ACL as in setAcl (--hash-password
    /// too), default world:anyone:cdrwa.
    #[command(
        override_usage = "zkcli [GLOBAL OPTIONS] create [-s] [-e] [-c] [-t TTL] [--hash-password] PATH [DATA] [ACL]"
    )]
    Create {
        /// Sequential.
        #[arg(short = 's')]
        sequential: bool,
        /// Ephemeral.
        #[arg(short = 'e', conflicts_with = "ttl")]
        ephemeral: bool,
        /// Container.
        #[arg(short = 'c', conflicts_with_all = ["sequential", "ephemeral", "ttl"])]
        container: bool,
        /// Time to live in milliseconds.
        #[arg(short = 't', value_name = "TTL")]
        ttl: Option<u64>,
        #[command(flatten)]
        digest: DigestPasswords,
        path: String,
        data: Option<String>,
        acl: Option<String>,
    },
    /// Deletes PATH, which must have no children.
    ///
    /// -v only if it is at VERSION.
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] delete [-v VERSION] PATH")]
    Delete {
        #[command(flatten)]
        version: ExpectedVersion,
        path: String,
    },
    /// Deletes PATH and everything under it (not atomically).
    ///
    /// -b N deletes N nodes a request (a multi), as zkCli.sh 3.8 does (its default is
    /// 1000); without it, one a request. A batch that fails as a whole (a node refused,
    /// gone or given a child meanwhile) is deleted again one by one, up to the first
    /// node refused; one too large for --jute-maxbuffer is split.
    #[command(
        name = "deleteall",
        override_usage = "zkcli [GLOBAL OPTIONS] deleteall PATH [-b N]"
    )]
    DeleteAll {
        path: String,
        /// Nodes deleted a request.
        #[arg(short = 'b', value_name = "N", value_parser = parse_batch_size)]
        batch: Option<usize>,
    },
    /// PATH's ACL; -s adds the Stat.
    #[command(
        name = "getAcl",
        override_usage = "zkcli [GLOBAL OPTIONS] getAcl [-s] PATH"
    )]
    GetAcl {
        /// Add the Stat.
        #[arg(short = 's')]
        stat: bool,
        path: String,
    },
    /// Sets PATH's ACL.
    ///
    /// ACL: scheme:id:perms, comma-separated, e.g. world:anyone:cdrwa,digest:user:HASH:r,
    /// where a digest id is USER:base64(sha1(USER:PASSWORD)) (28 characters ending in =),
    /// never the password: --hash-password takes digest:USER:PASSWORD:PERMS and hashes
    /// it; or authenticate as the user and give auth::PERMS. -v only at that ACL
    /// version; -R also every descendant; -s prints the Stat.
    #[command(
        name = "setAcl",
        override_usage = "zkcli [GLOBAL OPTIONS] setAcl [-s] [-v VERSION] [-R] [--hash-password] PATH ACL"
    )]
    SetAcl {
        /// Print the Stat.
        #[arg(short = 's')]
        stat: bool,
        /// Every descendant too.
        #[arg(short = 'R')]
        recursive: bool,
        #[command(flatten)]
        digest: DigestPasswords,
        #[command(flatten)]
        version: ExpectedVersion,
        path: String,
        acl: String,
    },
    /// Waits until the connected server has caught up with the leader.
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] sync PATH")]
    Sync { path: String },
    /// The identities this session is authenticated as.
    #[command(name = "whoami", override_usage = "zkcli [GLOBAL OPTIONS] whoami")]
    WhoAmI,
    /// This session's ephemeral nodes under PATH (default /).
    ///
    /// A fresh zkcli session has none of its own.
    #[command(
        name = "getEphemerals",
        override_usage = "zkcli [GLOBAL OPTIONS] getEphemerals [PATH]"
    )]
    GetEphemerals { path: Option<String> },
    /// The number of descendants of PATH.
    #[command(
        name = "getAllChildrenNumber",
        override_usage = "zkcli [GLOBAL OPTIONS] getAllChildrenNumber PATH"
    )]
    GetAllChildrenNumber { path: String },
    /// The ensemble configuration (/zookeeper/config); -s adds the Stat.
    ///
    /// -c prints it as zkCli.sh does, as a connect string: the version, a space, then
    /// the servers' client addresses, host:port comma-separated, in the config's order
    /// (a server line without a client address is left out). -w then waits for the
    /// configuration's next change and prints the event, as get -w does.
    #[command(
        override_usage = "zkcli [GLOBAL OPTIONS] config [-c] [-s] [-w [--count 1] [--for SECONDS]]"
    )]
    Config {
        /// Add the Stat.
        #[arg(short = 's')]
        stat: bool,
        /// Only the version and the client addresses.
        #[arg(short = 'c')]
        connect_string: bool,
        /// Watch the configuration and print its next change.
        #[arg(short = 'w')]
        watch: bool,
        #[command(flatten)]
        limits: EventLimits,
    },
    /// Sets one quota of PATH's subtree (PATH and its descendants).
    ///
    /// -n the number of nodes, -b the bytes of data: soft limits, which the server
    /// only logs when exceeded; -N and -B: hard limits, which a server with
    /// zookeeper.enforceQuota=true enforces. The quota is kept in
    /// /zookeeper/quota/PATH/zookeeper_limits, the subtree's usage in zookeeper_stats
    /// beside it. PATH must exist, and no quota may be set on an ancestor or
    /// descendant of it already. A warning says when the subtree is over the limit
    /// already.
    #[command(
        name = "setquota",
        override_usage = "zkcli [GLOBAL OPTIONS] setquota -n|-b|-N|-B VALUE PATH"
    )]
    SetQuota {
        #[command(flatten)]
        limit: QuotaLimit,
        path: String,
    },
    /// PATH's quota and its subtree's usage, as zkCli.sh prints them.
    #[command(
        name = "listquota",
        override_usage = "zkcli [GLOBAL OPTIONS] listquota PATH"
    )]
    ListQuota { path: String },
    /// Deletes PATH's quota, or with -n, -b, -N or -B only that limit.
    #[command(
        name = "delquota",
        override_usage = "zkcli [GLOBAL OPTIONS] delquota [-n|-b|-N|-B] PATH"
    )]
    DelQuota {
        #[command(flatten)]
        which: QuotaField,
        path: String,
    },
    /// Changes the ensemble's membership and prints the new configuration.
    ///
    /// -add and -remove change it (SERVERS as in the server's dynamic config,
    /// comma-separated: server.ID=HOST:QUORUM_PORT:ELECTION_PORT:ROLE;CLIENT_HOST:CLIENT_PORT,
    /// where :ROLE, participant or observer, and CLIENT_HOST: may be left out; IDS
    /// comma-separated), -members or -file (a dynamic config file)
    /// replace it. -v only from that configuration version (the hex number in its
    /// version= line); -s adds the Stat. The server needs reconfigEnabled=true, and the
    /// session a superuser's credentials (or the server skipACL).
    #[command(
        override_usage = "zkcli [GLOBAL OPTIONS] reconfig [-s] [-v CONFIG_VERSION] \
                          [-add SERVERS] [-remove IDS] | -members SERVERS | -file PATH"
    )]
    Reconfig {
        /// Add the Stat.
        #[arg(short = 's')]
        stat: bool,
        /// Only from this configuration version (hex; -1: any).
        #[arg(
            short = 'v',
            value_name = "CONFIG_VERSION",
            allow_negative_numbers = true,
            value_parser = parse_config_version
        )]
        from_config: Option<i64>,
        #[command(flatten)]
        change: MembershipChange,
    },
    /// zkcli's version (zkCli.sh's `version` prints its Java client's).
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] version")]
    Version,
    /// Adds a persistent watch and prints its events.
    ///
    /// The mode defaults to persistent_recursive. One event per line until N events or SECONDS (in the shell, without either, events are printed
    /// as they arrive).
    #[command(
        name = "addWatch",
        override_usage = "zkcli [GLOBAL OPTIONS] addWatch [-m persistent|persistent_recursive] [--count N] [--for SECONDS] PATH"
    )]
    AddWatch {
        /// The watch's mode.
        #[arg(
            short = 'm',
            value_enum,
            ignore_case = true,
            default_value = "persistent_recursive"
        )]
        mode: WatchMode,
        #[command(flatten)]
        limits: EventLimits,
        path: String,
    },
    /// Prints the changes of PATH, one event per line.
    ///
    /// Created, deleted, data or children changed, until N events or SECONDS, re-arming one-shot watches (any server version).
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] watch [--count N] [--for SECONDS] PATH")]
    Watch {
        #[command(flatten)]
        limits: EventLimits,
        path: String,
    },
    /// The first host's `srvr` four-letter word.
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] srvr")]
    Srvr,
    /// The first host's `ruok` four-letter word (imok).
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] ruok")]
    Ruok,
    /// The first host's `mntr` four-letter word.
    #[command(override_usage = "zkcli [GLOBAL OPTIONS] mntr")]
    Mntr,
}

/// `-v VERSION`: absent, or Java's -1, means any version.
#[derive(Args, Clone)]
pub struct ExpectedVersion {
    /// Only if the node is at this version.
    #[arg(short = 'v', value_name = "VERSION", allow_negative_numbers = true)]
    pub version: Option<i32>,
}

/// `--hash-password`: how the ACL's digest entries give their ids.
#[derive(Args, Clone)]
pub struct DigestPasswords {
    /// The ACL's digest entries are digest:USER:PASSWORD:PERMS, and zkcli hashes each
    /// password into the id the server wants (USER:base64(sha1(USER:PASSWORD)), as
    /// kazoo's make_digest_acl does); the password shows in the process list (in the
    /// shell, such a line is kept out of the history).
    #[arg(long = "hash-password")]
    pub hash_password: bool,
}

impl DigestPasswords {
    pub fn ids(&self) -> DigestIds {
        if self.hash_password {
            DigestIds::Plaintext
        } else {
            DigestIds::Hashed
        }
    }
}

/// setquota's limit: one of -n, -b, -N and -B, with its value.
#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct QuotaLimit {
    /// Soft limit of the number of nodes (more than 0).
    #[arg(short = 'n', value_name = "COUNT", allow_negative_numbers = true, value_parser = parse_count_limit)]
    count: Option<i64>,
    /// Soft limit of the bytes of data (0 or more).
    #[arg(short = 'b', value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_bytes_limit)]
    bytes: Option<i64>,
    /// Hard limit of the number of nodes (more than 0).
    #[arg(short = 'N', value_name = "COUNT", allow_negative_numbers = true, value_parser = parse_count_limit)]
    count_hard: Option<i64>,
    /// Hard limit of the bytes of data (0 or more).
    #[arg(short = 'B', value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_bytes_limit)]
    bytes_hard: Option<i64>,
}

impl QuotaLimit {
    /// The quota node's field this limit sets, and its value.
    pub fn field(&self) -> (&'static str, i64) {
        let given = [
            (COUNT, self.count),
            (BYTES, self.bytes),
            (COUNT_HARD_LIMIT, self.count_hard),
            (BYTE_HARD_LIMIT, self.bytes_hard),
        ];
        given
            .into_iter()
            .find_map(|(name, value)| value.map(|value| (name, value)))
            // clap requires one of them.
            .unwrap_or((COUNT, -1))
    }
}

/// zkCli.sh's wording, as its users know it.
fn parse_count_limit(text: &str) -> Result<i64, String> {
    match text.parse::<i32>() {
        Ok(count) if count > 0 => Ok(count.into()),
        Ok(_) => Err("the num quota must be greater than zero".into()),
        Err(_) => Err("a number of nodes, 1 ..= 2147483647".into()),
    }
}

fn parse_bytes_limit(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(bytes) if bytes >= 0 => Ok(bytes),
        Ok(_) => Err("the bytes quota must be greater than or equal to zero".into()),
        Err(_) => Err("a number of bytes, 0 ..= 9223372036854775807".into()),
    }
}

/// delquota's one limit to delete: -n, -b, -N or -B; none deletes the whole quota.
#[derive(Args, Clone)]
#[group(multiple = false)]
pub struct QuotaField {
    /// Only the soft limit of the number of nodes.
    #[arg(short = 'n')]
    count: bool,
    /// Only the soft limit of the bytes.
    #[arg(short = 'b')]
    bytes: bool,
    /// Only the hard limit of the number of nodes.
    #[arg(short = 'N')]
    count_hard: bool,
    /// Only the hard limit of the bytes.
    #[arg(short = 'B')]
    bytes_hard: bool,
}

impl QuotaField {
    /// The quota node's field to clear; `None` for the whole quota.
    pub fn field(&self) -> Option<&'static str> {
        [
            (COUNT, self.count),
            (BYTES, self.bytes),
            (COUNT_HARD_LIMIT, self.count_hard),
            (BYTE_HARD_LIMIT, self.bytes_hard),
        ]
        .into_iter()
        .find_map(|(name, given)| given.then_some(name))
    }
}

/// reconfig's change: incremental (-add, -remove) or a whole new membership
/// (-members, -file), never both.
#[derive(Args, Clone)]
#[group(required = true, multiple = true)]
pub struct MembershipChange {
    /// Servers to add, comma-separated.
    #[arg(long = "add", value_name = "SERVERS", conflicts_with_all = ["members", "file"])]
    pub add: Option<String>,
    /// Server ids to remove, comma-separated.
    #[arg(long = "remove", value_name = "IDS", conflicts_with_all = ["members", "file"])]
    pub remove: Option<String>,
    /// The whole new membership, comma-separated.
    #[arg(long = "members", value_name = "SERVERS", conflicts_with = "file")]
    pub members: Option<String>,
    /// A dynamic config file (server.ID=... lines) holding the new membership.
    #[arg(long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

fn parse_batch_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(size) if size > 0 => Ok(size),
        _ => Err("-b argument must be a number of nodes, 1 or more".into()),
    }
}

/// The configuration version as /zookeeper/config writes it: hex, as zkCli.sh reads it.
fn parse_config_version(text: &str) -> Result<i64, String> {
    i64::from_str_radix(text, 16)
        .map_err(|_| "a configuration version in hex, as in config's version= line".into())
}

/// How long an event-printing command keeps waiting; unlimited without either.
#[derive(Args, Clone, Default)]
pub struct EventLimits {
    /// Stop after N events.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after SECONDS.
    #[arg(long = "for", value_name = "SECONDS", value_parser = parse_seconds)]
    pub duration: Option<Duration>,
}

impl EventLimits {
    pub fn is_unlimited(&self) -> bool {
        self.count.is_none() && self.duration.is_none()
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.0..1e9).contains(&seconds) => Ok(Duration::from_secs_f64(seconds)),
        _ => Err("seconds, 0 up to 1e9".into()),
    }
}

#[derive(ValueEnum, Clone, Copy)]
pub enum WatchMode {
    Persistent,
    #[value(name = "persistent_recursive")]
    PersistentRecursive,
}

impl ZkCommand {
    /// The four-letter word, for the commands that talk to a server outside any
    /// session.
    pub fn four_letter_word(&self) -> Option<&'static str> {
        match self {
            ZkCommand::Srvr => Some("srvr"),
            ZkCommand::Ruok => Some("ruok"),
            ZkCommand::Mntr => Some("mntr"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(Into::into).collect()
    }

    #[test]
    fn the_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn single_dash_globals_are_rewritten_before_the_command_only() {
        let raw = with_double_dash_globals(os(&[
            "zkcli", "-server", "-x", "-timeout", "5", "set", "-server", "d",
        ]));
        assert_eq!(
            raw.args,
            os(&[
                "zkcli",
                "--server",
                "-x",
                "--timeout",
                "5",
                "set",
                "-server",
                "d"
            ])
        );
    }

    #[test]
    fn single_dash_globals_after_any_option_with_a_value_are_rewritten() {
        let raw = with_double_dash_globals(os(&[
            "zkcli", "--tls-ca", "ca.pem", "-server", "h:1", "ls", "/",
        ]));
        assert_eq!(
            raw.args,
            os(&["zkcli", "--tls-ca", "ca.pem", "--server", "h:1", "ls", "/"])
        );
    }

    #[test]
    fn the_globals_before_a_refused_command_are_read_however_spelled() {
        let server = |args: &[&str]| {
            let raw = with_double_dash_globals(os(args));
            globals_before_command(&raw.args).and_then(|global| global.server)
        };
        for args in [
            &["zkcli", "-server", "h:1", "quit"][..],
            &["zkcli", "--server=h:1", "quit", "--server", "x"][..],
            &[
                "zkcli",
                "--auth-file",
                "quit",
                "--server",
                "h:1",
                "-r",
                "quit",
            ][..],
        ] {
            assert_eq!(server(args).as_deref(), Some("h:1"), "{args:?}");
        }
        assert_eq!(server(&["zkcli", "quit"]), None);
        assert_eq!(server(&["zkcli", "--server"]), None);
    }

    #[test]
    fn reconfigs_single_dash_options_are_rewritten_after_reconfig_only() {
        let raw = with_double_dash_globals(os(&[
            "zkcli",
            "-server",
            "h:1",
            "reconfig",
            "-s",
            "-add",
            "server.4=a:1:2;3",
            "-remove",
            "5",
            "--",
            "-file",
        ]));
        assert_eq!(
            raw.args,
            os(&[
                "zkcli",
                "--server",
                "h:1",
                "reconfig",
                "-s",
                "--add",
                "server.4=a:1:2;3",
                "--remove",
                "5",
                "--",
                "-file"
            ])
        );
        let words = vec!["set".to_string(), "/a".into(), "-add".into()];
        assert_eq!(with_double_dash_reconfig_options(words.clone()), words);
    }

    #[test]
    fn json_is_noticed_before_or_after_the_command_but_not_after_a_double_dash() {
        assert!(with_double_dash_globals(os(&["zkcli", "--server", "h", "--json", "lss"])).json);
        assert!(with_double_dash_globals(os(&["zkcli", "set", "/a", "--json"])).json);
        assert!(!with_double_dash_globals(os(&["zkcli", "set", "/a", "--", "--json"])).json);
    }

    #[test]
    fn json_after_the_command_is_the_global_flag() {
        let cli = Cli::try_parse_from(["zkcli", "get", "/a", "--json"]).unwrap();
        assert!(cli.global.json);
        let cli = Cli::try_parse_from(["zkcli", "set", "/a", "--", "--json"]).unwrap();
        assert!(!cli.global.json, "after --, --json is data");
    }

    #[test]
    fn flags_combine_and_dash_is_data() {
        let cli = Cli::try_parse_from(["zkcli", "create", "-se", "/a", "-"]).unwrap();
        let Some(ZkCommand::Create {
            sequential,
            ephemeral,
            data,
            ..
        }) = cli.command
        else {
            panic!("not a create");
        };
        assert!(sequential && ephemeral);
        assert_eq!(data.as_deref(), Some("-"));
    }

    #[test]
    fn version_minus_one_is_accepted() {
        let cli = Cli::try_parse_from(["zkcli", "delete", "-v", "-1", "/a"]).unwrap();
        let Some(ZkCommand::Delete { version, .. }) = cli.command else {
            panic!("not a delete");
        };
        assert_eq!(version.version, Some(-1));
    }
}
