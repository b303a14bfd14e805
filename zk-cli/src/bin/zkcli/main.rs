//! `zkcli`: a non-interactive ZooKeeper command line with zkCli.sh's commands and
//! output, plus `--json` for scripts. See `zkcli --help`.

mod acl_syntax;
mod args;
mod commands;
mod failure;
mod four_letter;
mod json;
mod nodes;
mod output;
mod text_format;
mod watching;

use std::io::ErrorKind;
use std::process::ExitCode;

use zk_blocking::{Client, Options};

use crate::args::{CommandLine, Global};
use crate::commands::Runner;
use crate::failure::Failure;
use crate::output::Output;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // A closed pipe (`zkcli ls -R / | head`) is not worth a message.
            if !matches!(&failure, Failure::Io(e) if e.kind() == ErrorKind::BrokenPipe) {
                eprintln!("{}", failure.message());
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

fn run() -> Result<(), Failure> {
    let args = std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| Failure::Usage(format!("argument {arg:?} is not UTF-8")))
        })
        .collect::<Result<Vec<String>, Failure>>()?;
    let global = args::parse_global(&args, std::env::var("ZK_HOSTS").ok())?;
    let mut out = Output::new(global.json);
    let Some((name, command_args)) = global.command.split_first() else {
        if global.help {
            out.data(commands::usage().as_bytes())?;
            return Ok(());
        }
        return Err(Failure::Usage("no command given".into()));
    };
    let command =
        commands::find(name).ok_or_else(|| Failure::Usage(format!("unknown command {name:?}")))?;
    let line = CommandLine::parse(command_args, &command.flags)
        .map_err(|why| Failure::Usage(format!("{name}: {why}")))?;
    if line.help || global.help {
        out.data(command.help().as_bytes())?;
        return Ok(());
    }
    let (min, max) = command.arity;
    if !(min..=max).contains(&line.positional.len()) {
        return Err(Failure::Usage(format!("usage: zkcli {}", command.synopsis)));
    }
    match command.runner {
        Runner::FourLetter => four_letter::run(name, &global.hosts, global.timeout, &mut out),
        Runner::Session(run_command) => {
            let mut zk = connect(&global)?;
            let outcome = run_command(&mut zk, &line, &mut out);
            zk.close();
            outcome
        }
    }
}

fn connect(global: &Global) -> Result<Client, Failure> {
    let mut options = Options::default()
        .session_timeout(global.timeout)
        .connect_timeout(global.timeout)
        .call_timeout(global.timeout)
        .read_only(global.read_only);
    for (scheme, credentials) in &global.auth {
        options = options.auth(scheme.as_str(), credentials.clone().into_bytes());
    }
    Client::connect(&global.hosts, options).map_err(|e| Failure::from_error(e, None))
}
