//! Hand-written argument parsing: zkCli.sh's single-dash global options (`-server`,
//! `-timeout`) plus zkcli's own (`--auth`, `--json`), then one command with its flags.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::failure::Failure;

pub const DEFAULT_HOSTS: &str = "127.0.0.1:2181";
/// zkCli.sh's default session timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(30_000);

/// Everything before the command.
#[derive(Debug)]
pub struct Global {
    pub hosts: String,
    pub timeout: Duration,
    pub auth: Vec<(String, String)>,
    pub json: bool,
    pub read_only: bool,
    /// `--help` before any command.
    pub help: bool,
    /// The command and its arguments.
    pub command: Vec<String>,
}

pub fn parse_global(args: &[String], env_hosts: Option<String>) -> Result<Global, Failure> {
    let mut global = Global {
        hosts: env_hosts
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| DEFAULT_HOSTS.to_string()),
        timeout: DEFAULT_TIMEOUT,
        auth: Vec::new(),
        json: false,
        read_only: false,
        help: false,
        command: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "-server" | "--server" => global.hosts = value(arg)?,
            "-timeout" | "--timeout" => {
                let ms = value(arg)?;
                global.timeout = match ms.parse::<u64>() {
                    // The session timeout is an int of milliseconds on the wire.
                    Ok(ms) if (1..=i32::MAX as u64).contains(&ms) => Duration::from_millis(ms),
                    _ => {
                        return Err(Failure::Usage(format!(
                            "bad -timeout {ms:?}: milliseconds, 1 ..= 2147483647"
                        )));
                    }
                };
            }
            "--auth" | "-auth" => {
                let auth = value(arg)?;
                let (scheme, credentials) = auth.split_once(':').ok_or_else(|| {
                    Failure::Usage(format!("bad --auth {auth:?}: expected SCHEME:CREDENTIALS"))
                })?;
                global
                    .auth
                    .push((scheme.to_string(), credentials.to_string()));
            }
            "--json" => global.json = true,
            "-r" => global.read_only = true,
            "--help" | "-help" | "-h" => global.help = true,
            "--" => {
                global.command = rest.cloned().collect();
                break;
            }
            other if other.starts_with('-') && other.len() > 1 => {
                return Err(Failure::Usage(format!("unknown option {other}")));
            }
            _ => {
                global.command = std::iter::once(arg).chain(rest).cloned().collect();
                break;
            }
        }
    }
    Ok(global)
}

/// The flags a command accepts: boolean ones (`-s`) and ones taking a value (`-v 3`).
pub struct FlagSpec {
    pub switches: &'static [&'static str],
    pub valued: &'static [&'static str],
}

/// A command's arguments once its flags are taken out.
#[derive(Debug, Default)]
pub struct CommandLine {
    switches: HashSet<String>,
    values: HashMap<String, String>,
    pub positional: Vec<String>,
    pub help: bool,
}

impl CommandLine {
    /// Flags may come anywhere (as with zkCli.sh); `--` ends them, and a lone `-` is a
    /// positional (stdin). Single-letter switches combine (`-se`).
    pub fn parse(args: &[String], spec: &FlagSpec) -> Result<CommandLine, String> {
        let mut line = CommandLine::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--" {
                line.positional.extend(rest.cloned());
                break;
            }
            if arg == "--help" || arg == "-h" {
                line.help = true;
            } else if spec.switches.contains(&arg.as_str()) {
                line.switches.insert(arg.clone());
            } else if spec.valued.contains(&arg.as_str()) {
                let value = rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
                line.values.insert(arg.clone(), value.clone());
            } else if arg.starts_with('-') && arg.len() > 1 {
                let letters: Vec<String> = arg[1..].chars().map(|c| format!("-{c}")).collect();
                if arg.starts_with("--")
                    || !letters.iter().all(|l| spec.switches.contains(&l.as_str()))
                {
                    return Err(format!("unknown flag {arg}"));
                }
                line.switches.extend(letters);
            } else {
                line.positional.push(arg.clone());
            }
        }
        Ok(line)
    }

    pub fn has(&self, switch: &str) -> bool {
        self.switches.contains(switch)
    }

    pub fn value(&self, flag: &str) -> Option<&str> {
        self.values.get(flag).map(String::as_str)
    }

    /// A numeric flag value, if given.
    pub fn number<T: std::str::FromStr>(&self, flag: &str) -> Result<Option<T>, String> {
        self.value(flag)
            .map(|v| v.parse().map_err(|_| format!("bad {flag} value {v:?}")))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn global_options_stop_at_the_command() {
        let g = parse_global(
            &strings(&["-server", "h:1", "--json", "ls", "-s", "/"]),
            Some("env:2".into()),
        )
        .unwrap();
        assert_eq!(g.hosts, "h:1");
        assert!(g.json);
        assert_eq!(g.command, strings(&["ls", "-s", "/"]));
    }

    #[test]
    fn hosts_fall_back_to_the_environment_then_the_default() {
        assert_eq!(
            parse_global(&[], Some("env:2".into())).unwrap().hosts,
            "env:2"
        );
        assert_eq!(parse_global(&[], None).unwrap().hosts, DEFAULT_HOSTS);
    }

    #[test]
    fn flags_combine_and_dash_is_positional() {
        let spec = FlagSpec {
            switches: &["-s", "-e"],
            valued: &["-v"],
        };
        let line = CommandLine::parse(&strings(&["-se", "/a", "-", "-v", "3"]), &spec).unwrap();
        assert!(line.has("-s") && line.has("-e"));
        assert_eq!(line.positional, strings(&["/a", "-"]));
        assert_eq!(line.number::<i32>("-v").unwrap(), Some(3));
        assert!(CommandLine::parse(&strings(&["-x"]), &spec).is_err());
        assert!(CommandLine::parse(&strings(&["-v"]), &spec).is_err());
    }
}
