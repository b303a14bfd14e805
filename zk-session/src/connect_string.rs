//! Parsing of `host:port,host:port/chroot` connect strings.

use std::fmt;

use crate::chroot::Chroot;
use crate::error::ConfigError;

/// The port used when a host entry names none.
pub const DEFAULT_PORT: u16 = 2181;

/// One server address from the connect string. DNS is resolved by the driver, each
/// time the host is dialled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostAddr {
    /// Host name or IP literal, without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl fmt::Display for HostAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A parsed connect string: at least one host, and an optional chroot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    /// The hosts in the order written (the session shuffles its own copy).
    pub hosts: Vec<HostAddr>,
    /// The chroot; [`Chroot::none`] for no suffix or a bare `/`.
    pub chroot: Chroot,
}

impl ConnectString {
    /// Parses `host[:port][,host[:port]...][/chroot]`. IPv6 literals go in brackets
    /// (`[::1]:2181`); the port defaults to 2181; everything from the first `/` is the
    /// chroot, validated as a ZooKeeper path, and a bare `/` means no chroot.
    pub fn parse(s: &str) -> Result<ConnectString, ConfigError> {
        let s = s.trim();
        let (host_part, chroot) = match s.find('/') {
            Some(i) => (&s[..i], Chroot::new(&s[i..])?),
            None => (s, Chroot::none()),
        };
        if host_part.is_empty() {
            return Err(ConfigError::NoHosts);
        }
        let hosts = host_part
            .split(',')
            .map(|e| parse_host(e.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ConnectString { hosts, chroot })
    }
}

fn parse_host(entry: &str) -> Result<HostAddr, ConfigError> {
    let bad = |why: &'static str| ConfigError::BadHost {
        entry: entry.to_string(),
        why,
    };
    if entry.is_empty() {
        return Err(bad(
            "empty host entry (two commas in a row, or a trailing comma)",
        ));
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| bad("IPv6 literal is missing its closing `]`"))?;
        let host = &rest[..close];
        let after = &rest[close + 1..];
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("expected `:port` after `]`"))?,
            ),
        };
        (host, port)
    } else {
        match entry.matches(':').count() {
            0 => (entry, None),
            1 => {
                let (h, p) = entry.split_once(':').expect("one colon");
                (h, Some(p))
            }
            _ => {
                return Err(bad(
                    "IPv6 literals must be written in brackets, e.g. `[::1]:2181`",
                ));
            }
        }
    };
    if host.is_empty() {
        return Err(bad("host name is empty"));
    }
    if host.chars().any(|c| c.is_whitespace()) {
        return Err(bad("host name contains whitespace"));
    }
    if host.chars().any(char::is_control) {
        return Err(bad("host name contains a control character"));
    }
    if host.contains(['[', ']']) {
        return Err(bad(
            "host name contains a bracket: only an IPv6 literal is written in brackets, e.g. `[::1]:2181`",
        ));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad("port must be a number from 1 to 65535")),
            Ok(n) => n,
        },
    };
    Ok(HostAddr {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(host: &str, port: u16) -> HostAddr {
        HostAddr {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn hosts_ports_and_chroot() {
        let c = ConnectString::parse("a:1,b,[::1]:3,[fe80::1]/app/x").unwrap();
        assert_eq!(
            c.hosts,
            vec![h("a", 1), h("b", 2181), h("::1", 3), h("fe80::1", 2181)]
        );
        assert_eq!(c.chroot.as_str(), Some("/app/x"));
        assert_eq!(c.hosts[2].to_string(), "[::1]:3");
        assert_eq!(c.hosts[0].to_string(), "a:1");
    }

    #[test]
    fn bare_slash_is_no_chroot() {
        let c = ConnectString::parse("localhost:2181/").unwrap();
        assert_eq!(c.chroot.as_str(), None);
        let c = ConnectString::parse(" localhost ").unwrap();
        assert_eq!(c.chroot.as_str(), None);
        assert_eq!(c.hosts, vec![h("localhost", 2181)]);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        for (input, needle) in [
            ("", "no host"),
            ("/app", "no host"),
            ("a,,b", "empty host entry"),
            ("a:", "port"),
            ("a:0", "port"),
            ("a:70000", "port"),
            ("a:b", "port"),
            ("::1", "brackets"),
            ("[::1", "closing"),
            ("[::1]x", "`:port`"),
            ("[]:1", "empty"),
            ("a\u{0}b:1", "control character"),
            ("[[::1]:1", "bracket"),
            ("a]:1", "bracket"),
            ("[::1\u{7f}]:1", "control character"),
            ("a/app/", "chroot"),
            ("a/app//x", "chroot"),
        ] {
            let err = ConnectString::parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err}");
        }
    }

    #[test]
    fn no_short_string_of_its_syntax_panics() {
        // Every string of up to 5 characters over the syntax's own characters and a
        // few others: parsing returns, and what parses prints back as it was read.
        const ALPHABET: [char; 12] = ['[', ']', ':', '/', ',', 'a', '1', '0', ' ', '%', '.', 'é'];
        let mut input = String::new();
        fn each(input: &mut String, left: usize) {
            if let Ok(c) = ConnectString::parse(input) {
                for host in &c.hosts {
                    let shown = host.to_string();
                    let again = ConnectString::parse(&shown).unwrap();
                    assert_eq!(again.hosts, vec![host.clone()], "{input:?} -> {shown:?}");
                }
            }
            if left == 0 {
                return;
            }
            for c in ALPHABET {
                input.push(c);
                each(input, left - 1);
                input.pop();
            }
        }
        each(&mut input, 5);
    }
}
