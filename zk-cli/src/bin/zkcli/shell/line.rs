//! What one shell line may say: any zkcli command, or one of the shell's own.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::cli::{COMMAND_HELP_TEMPLATE, ZkCommand};

#[derive(Parser)]
#[command(
    name = "zkcli",
    no_binary_name = true,
    disable_version_flag = true,
    override_usage = "COMMAND [ARGS...]",
    help_template = "{about}\n\nCommands:\n{subcommands}\n\nCOMMAND --help or help COMMAND for details.",
    about = "The zkcli shell: zkcli's commands, plus addauth, removewatches, printwatches, connect, \
             close, history, redo and quit."
)]
pub struct ShellLine {
    #[command(subcommand)]
    pub command: ShellCommand,
}

#[derive(Subcommand)]
pub enum ShellCommand {
    /// Opens a session on HOSTS (host:port[,host:port...], then an optional /chroot),
    /// by default the current ones, then closes this one.
    ///
    /// If no server of HOSTS can be reached, this session stays as it was; without
    /// one, zkcli keeps trying HOSTS in the background, as zkCli.sh does.
    #[command(override_usage = "connect [HOSTS]")]
    Connect { hosts: Option<String> },
    /// Adds credentials to this session, e.g. `addauth digest user:password`.
    ///
    /// The server checks them at once (wrong ones end the session) and they are sent
    /// again after every reconnection, until the session ends; `connect` starts a
    /// session with the global --auth credentials only. The line is kept out of the
    /// history file.
    #[command(name = "addauth", override_usage = "addauth SCHEME AUTH")]
    AddAuth { scheme: String, auth: String },
    /// Removes this session's watches on PATH: -a every kind (the default, persistent
    /// ones from addWatch included), -c child watches, -d data and exists watches.
    ///
    /// -l removes them here at once and succeeds whatever the server answers (for
    /// when it cannot be reached); while connected the server is still told. Each
    /// removed watch prints its *WatchRemoved event; NoWatcher if the session holds
    /// none of that kind on PATH.
    #[command(
        name = "removewatches",
        override_usage = "removewatches PATH [-c|-d|-a] [-l]"
    )]
    RemoveWatches {
        path: String,
        /// Child watches.
        #[arg(short = 'c', group = "kind")]
        children: bool,
        /// Data and exists watches.
        #[arg(short = 'd', group = "kind")]
        data: bool,
        /// Every kind (the default).
        #[arg(short = 'a', group = "kind")]
        any: bool,
        /// Here at once, whatever the server answers.
        #[arg(short = 'l')]
        locally: bool,
    },
    /// Whether watch and session events are printed as they arrive; without on|off,
    /// says which.
    #[command(name = "printwatches", override_usage = "printwatches [on|off]")]
    PrintWatches {
        #[arg(value_enum)]
        switch: Option<Switch>,
    },
    /// Closes this session (ephemeral nodes go, watches end).
    #[command(override_usage = "close")]
    Close,
    /// Leaves the shell.
    #[command(override_usage = "quit", visible_alias = "exit")]
    Quit,
    /// The last ten lines and this one, numbered as their prompts were (as in
    /// zkCli.sh); addauth's credentials are hidden.
    #[command(override_usage = "history")]
    History,
    /// Runs the line numbered N (see history) again; it is recorded as that command.
    #[command(override_usage = "redo N")]
    Redo { number: usize },
    #[command(flatten)]
    Zk(ZkCommand),
}

#[derive(ValueEnum, Clone, Copy)]
pub enum Switch {
    On,
    Off,
}

/// The parser, with every command's help in zkcli's own layout.
pub fn parser() -> clap::Command {
    ShellLine::command().mut_subcommands(|command| command.help_template(COMMAND_HELP_TEMPLATE))
}

/// Every command name, for completion (clap's own `help` included).
pub fn command_names() -> Vec<String> {
    let mut names: Vec<String> = parser()
        .get_subcommands()
        .flat_map(|command| {
            std::iter::once(command.get_name().to_string())
                .chain(command.get_visible_aliases().map(str::to_string))
        })
        .collect();
    names.push("help".into());
    names.sort();
    names
}
