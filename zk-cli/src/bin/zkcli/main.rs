//! `zkcli`: a ZooKeeper command line with zkCli.sh's commands and output, plus
//! `--json` for scripts; without a command, an interactive shell. See `zkcli --help`.

mod acl_syntax;
mod cli;
mod commands;
mod connection;
mod credentials;
mod failure;
mod four_letter;
mod interrupt;
mod json;
mod logging;
mod nodes;
mod output;
mod quota;
mod reconfig;
mod shell;
mod stats_track;
mod text_format;
mod version;
mod watching;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{COMMAND_HELP_TEMPLATE, Cli};
use crate::connection::Settings;
use crate::failure::Failure;
use crate::output::{DataNewline, Output};
use crate::watching::Waiting;

fn main() -> ExitCode {
    let raw = cli::with_double_dash_globals(std::env::args_os().collect());
    match run(raw.args) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            failure.report(raw.json);
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The exit status of a run that did not fail as a whole.
fn run(args: Vec<std::ffi::OsString>) -> Result<u8, Failure> {
    let matches = Cli::command()
        .mut_subcommands(|command| command.help_template(COMMAND_HELP_TEMPLATE))
        .try_get_matches_from(&args);
    let cli = match matches.and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(cli) => cli,
        // --help and --version: clap prints them on stdout.
        Err(error) if !error.use_stderr() => {
            error.print()?;
            return Ok(0);
        }
        Err(error) => return Err(shell::not_one_shot(&error, &args).unwrap_or(error.into())),
    };
    logging::install(cli.global.verbose);
    let global = &cli.global;
    let settings = Settings {
        timeout: global.timeout,
        max_frame_size: global.jute_maxbuffer,
        read_only: global.read_only,
        credentials: credentials::gather(
            &global.auth,
            global.auth_file.as_deref(),
            std::env::var(credentials::AUTH_VARIABLE).ok(),
        )?,
        tls: global.tls()?,
        sasl: credentials::sasl(
            global.sasl_user.as_deref(),
            global.sasl_password_file.as_deref(),
            std::env::var(credentials::SASL_PASSWORD_VARIABLE).ok(),
        )?,
    };
    let Some(command) = &cli.command else {
        return shell::run(global, settings);
    };
    let mut out = Output::new(global.json, DataNewline::OnTerminal);
    if let Some(outcome) =
        commands::run_without_session(command, &global.hosts(), global.timeout, &mut out)
    {
        return outcome.map(|()| 0);
    }
    let mut zk = settings.connect(&global.hosts())?;
    let outcome = commands::run_in_session(&mut zk, command, Waiting::InCommand, &mut out);
    zk.close();
    outcome.map(|()| 0)
}
