//! The command table: names, usage, flags and arity, as zkCli.sh spells them.

use zk_blocking::Client;

use crate::args::{CommandLine, FlagSpec};
use crate::failure::Failure;
use crate::output::Output;
use crate::{nodes, watching};

type SessionCommand = fn(&mut Client, &CommandLine, &mut Output) -> Result<(), Failure>;

pub enum Runner {
    /// Needs a ZooKeeper session.
    Session(SessionCommand),
    /// A four-letter word: talks to the first host without a session.
    FourLetter,
}

pub struct Command {
    pub name: &'static str,
    pub synopsis: &'static str,
    pub about: &'static str,
    pub flags: FlagSpec,
    /// Allowed number of positional arguments.
    pub arity: (usize, usize),
    pub runner: Runner,
}

const NO_FLAGS: FlagSpec = FlagSpec {
    switches: &[],
    valued: &[],
};
const EVENT_LIMITS: &[&str] = &["--count", "--for"];

pub const COMMANDS: &[Command] = &[
    Command {
        name: "ls",
        synopsis: "ls [-s] [-R] PATH",
        about: "Children of PATH, sorted, one per line. -s adds PATH's Stat; -R lists the whole subtree as full paths.",
        flags: FlagSpec {
            switches: &["-s", "-R"],
            valued: &[],
        },
        arity: (1, 1),
        runner: Runner::Session(nodes::ls),
    },
    Command {
        name: "get",
        synopsis: "get [-s] [-w [--count 1] [--for SECONDS]] PATH",
        about: "PATH's data, written as-is. -s adds the Stat; -w then waits for the next change of PATH and prints the event.",
        flags: FlagSpec {
            switches: &["-s", "-w"],
            valued: EVENT_LIMITS,
        },
        arity: (1, 1),
        runner: Runner::Session(nodes::get),
    },
    Command {
        name: "stat",
        synopsis: "stat PATH",
        about: "PATH's Stat.",
        flags: NO_FLAGS,
        arity: (1, 1),
        runner: Runner::Session(nodes::stat),
    },
    Command {
        name: "set",
        synopsis: "set [-s] [-v VERSION] PATH DATA",
        about: "Sets PATH's data (DATA `-` reads it from stdin). -v only if PATH is at VERSION; -s prints the new Stat.",
        flags: FlagSpec {
            switches: &["-s"],
            valued: &["-v"],
        },
        arity: (2, 2),
        runner: Runner::Session(nodes::set),
    },
    Command {
        name: "create",
        synopsis: "create [-s] [-e] [-c] [-t TTL] PATH [DATA] [ACL]",
        about: "Creates PATH and prints the created path. -s sequential, -e ephemeral (gone when zkcli exits), -c container, -t TTL in ms (server needs extendedTypesEnabled). DATA `-` reads stdin; ACL as in setAcl, default world:anyone:cdrwa.",
        flags: FlagSpec {
            switches: &["-s", "-e", "-c"],
            valued: &["-t"],
        },
        arity: (1, 3),
        runner: Runner::Session(nodes::create),
    },
    Command {
        name: "delete",
        synopsis: "delete [-v VERSION] PATH",
        about: "Deletes PATH, which must have no children; -v only if it is at VERSION.",
        flags: FlagSpec {
            switches: &[],
            valued: &["-v"],
        },
        arity: (1, 1),
        runner: Runner::Session(nodes::delete),
    },
    Command {
        name: "deleteall",
        synopsis: "deleteall PATH",
        about: "Deletes PATH and everything under it (not atomically).",
        flags: NO_FLAGS,
        arity: (1, 1),
        runner: Runner::Session(nodes::deleteall),
    },
    Command {
        name: "getAcl",
        synopsis: "getAcl [-s] PATH",
        about: "PATH's ACL; -s adds the Stat.",
        flags: FlagSpec {
            switches: &["-s"],
            valued: &[],
        },
        arity: (1, 1),
        runner: Runner::Session(nodes::get_acl),
    },
    Command {
        name: "setAcl",
        synopsis: "setAcl [-s] [-v VERSION] [-R] PATH ACL",
        about: "Sets PATH's ACL, e.g. world:anyone:cdrwa,digest:user:hash:r (scheme:id:perms, comma-separated). -v only at that ACL version; -R also every descendant; -s prints the Stat.",
        flags: FlagSpec {
            switches: &["-s", "-R"],
            valued: &["-v"],
        },
        arity: (2, 2),
        runner: Runner::Session(nodes::set_acl),
    },
    Command {
        name: "sync",
        synopsis: "sync PATH",
        about: "Waits until the connected server has caught up with the leader.",
        flags: NO_FLAGS,
        arity: (1, 1),
        runner: Runner::Session(nodes::sync),
    },
    Command {
        name: "whoami",
        synopsis: "whoami",
        about: "The identities this session is authenticated as.",
        flags: NO_FLAGS,
        arity: (0, 0),
        runner: Runner::Session(nodes::whoami),
    },
    Command {
        name: "getEphemerals",
        synopsis: "getEphemerals [PATH]",
        about: "This session's ephemeral nodes under PATH (default /). A fresh zkcli session has none of its own.",
        flags: NO_FLAGS,
        arity: (0, 1),
        runner: Runner::Session(nodes::get_ephemerals),
    },
    Command {
        name: "getAllChildrenNumber",
        synopsis: "getAllChildrenNumber PATH",
        about: "The number of descendants of PATH.",
        flags: NO_FLAGS,
        arity: (1, 1),
        runner: Runner::Session(nodes::get_all_children_number),
    },
    Command {
        name: "config",
        synopsis: "config [-s]",
        about: "The ensemble configuration (/zookeeper/config); -s adds the Stat.",
        flags: FlagSpec {
            switches: &["-s"],
            valued: &[],
        },
        arity: (0, 0),
        runner: Runner::Session(nodes::config),
    },
    Command {
        name: "addWatch",
        synopsis: "addWatch [-m persistent|persistent_recursive] [--count N] [--for SECONDS] PATH",
        about: "Adds a persistent watch (default persistent_recursive) and prints one event per line until N events or SECONDS.",
        flags: FlagSpec {
            switches: &[],
            valued: &["-m", "--count", "--for"],
        },
        arity: (1, 1),
        runner: Runner::Session(watching::add_watch),
    },
    Command {
        name: "watch",
        synopsis: "watch [--count N] [--for SECONDS] PATH",
        about: "Prints one event per line for PATH (created, deleted, data or children changed) until N events or SECONDS, re-arming one-shot watches (any server version).",
        flags: FlagSpec {
            switches: &[],
            valued: EVENT_LIMITS,
        },
        arity: (1, 1),
        runner: Runner::Session(watching::watch),
    },
    Command {
        name: "srvr",
        synopsis: "srvr",
        about: "The first host's `srvr` four-letter word.",
        flags: NO_FLAGS,
        arity: (0, 0),
        runner: Runner::FourLetter,
    },
    Command {
        name: "ruok",
        synopsis: "ruok",
        about: "The first host's `ruok` four-letter word (imok).",
        flags: NO_FLAGS,
        arity: (0, 0),
        runner: Runner::FourLetter,
    },
    Command {
        name: "mntr",
        synopsis: "mntr",
        about: "The first host's `mntr` four-letter word.",
        flags: NO_FLAGS,
        arity: (0, 0),
        runner: Runner::FourLetter,
    },
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

pub fn usage() -> String {
    let mut text = String::from(
        "usage: zkcli [-server HOSTS] [-timeout MS] [-r] [--auth SCHEME:CREDENTIALS] [--json] COMMAND ARGS...\n\
         \n\
         HOSTS: host:port[,host:port...][/chroot], default $ZK_HOSTS, then 127.0.0.1:2181.\n\
         -timeout: session timeout, also the bound on connecting and on each call (default 30000).\n\
         -r: accept a read-only server. --auth: add credentials (repeatable), e.g. digest:user:password.\n\
         --json: one JSON object per result or event.\n\
         Exit status: 0 ok, 1 ZooKeeper error (name and path on stderr), 2 usage, 3 no server reachable.\n\
         \n\
         commands (COMMAND --help for details):\n",
    );
    for command in COMMANDS {
        text.push_str("  ");
        text.push_str(command.synopsis);
        text.push('\n');
    }
    text
}

impl Command {
    pub fn help(&self) -> String {
        format!(
            "usage: zkcli [GLOBAL OPTIONS] {}\n\n{}\n",
            self.synopsis, self.about
        )
    }
}
