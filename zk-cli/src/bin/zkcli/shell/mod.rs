//! The interactive shell, started when no command is given (as `zkCli.sh -server
//! HOSTS` does): zkcli's commands with the same output, plus `addauth`,
//! `removewatches`, `printwatches`, `connect`, `close`, `history`, `redo`, `quit` and
//! `help`.
//! Watch events are printed as they arrive, while a command runs or at the prompt. A
//! failed command prints its error and the shell goes on; the exit status is that of
//! the last failed command, 0 if none failed. On a terminal, Ctrl-C stops the running
//! command (see `interrupt`) and Ctrl-D at the prompt ends the shell. With stdin not a terminal, the shell
//! runs it as a script, one command per line.

mod completion;
mod history;
mod input;
mod line;
mod session;
mod words;

use std::io::{self, IsTerminal};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{self, Global, ZkCommand};
use crate::commands;
use crate::connection::Settings;
use crate::failure::Failure;
use crate::interrupt;
use crate::output::{DataNewline, Output};
use crate::watching::{self, Waiting};
use completion::ShellHelper;
use history::History;
use input::{LineSource, Read, Script, Terminal};
use line::{ShellCommand, ShellLine, Switch};
use session::{EventPrinter, PrintSwitch, SessionSlot};
use zk_blocking::{Error, SessionState, WatcherType};

/// What the loop does after a line.
enum Flow {
    Continue,
    Quit,
}

struct Shell {
    hosts: String,
    settings: Settings,
    session: SessionSlot,
    printing: PrintSwitch,
    out: Output,
    json: bool,
    history: History,
}

/// Runs the shell to its end; its exit status, every failure being reported already.
pub fn run(global: &Global, settings: Settings) -> Result<u8, Failure> {
    let session = SessionSlot::default();
    let mut source: Box<dyn LineSource> = if io::stdin().is_terminal() {
        // A script on stdin stops at Ctrl-C as a whole, as a shell script does.
        interrupt::catch()?;
        Box::new(Terminal::new(ShellHelper::new(session.clone()))?)
    } else {
        Box::new(Script::new())
    };
    let mut shell = Shell {
        hosts: global.hosts(),
        settings,
        session: session.clone(),
        printing: PrintSwitch::on(),
        out: Output::new(global.json, DataNewline::Always),
        json: global.json,
        history: History::default(),
    };
    let mut exit_code = 0;
    if let Err(failure) = shell.connect(global.hosts()) {
        failure.report(shell.json);
        exit_code = failure.exit_code();
    }
    let printer = EventPrinter::start(
        session,
        source.event_sink(),
        global.json,
        shell.printing.clone(),
    );
    loop {
        let prompt = shell.prompt();
        let line = match source.read(&prompt)? {
            Read::Line(line) => line,
            Read::Interrupted => continue,
            Read::End => break,
        };
        if line.trim().is_empty() {
            continue;
        }
        shell.history.record(&line);
        match shell.execute(&line) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => break,
            // Nobody reads the output any more (`zkcli < script | head`).
            Err(failure) if failure.is_broken_pipe() => break,
            Err(failure) => {
                failure.report(shell.json);
                exit_code = failure.exit_code();
            }
        }
        // The events the command brought (its own change firing a watch), after its
        // output.
        printer.drain();
    }
    // And those of the last one, before its session closes.
    printer.drain();
    shell.session.replace(None);
    Ok(exit_code)
}

impl Shell {
    /// zkCli.sh's prompt: `[zk: HOSTS(STATE) N] `.
    fn prompt(&self) -> String {
        let state = match self.session.lock().as_ref() {
            Some(zk) => format!("{:?}", zk.state()).to_uppercase(),
            None => "CLOSED".into(),
        };
        format!(
            "[zk: {}({state}) {}] ",
            self.hosts,
            self.history.next_number()
        )
    }

    /// Opens a session on `hosts`, then closes the current one: a failure leaves the
    /// current one as it was. Without one, unreachable `hosts` are tried again in the
    /// background (the event printer pumps the session), as zkCli.sh does.
    fn connect(&mut self, hosts: String) -> Result<(), Failure> {
        match self.settings.connect(&hosts) {
            Ok(mut client) => {
                // Once connected, "SyncConnected" would only be noise.
                watching::skip_connect_events(&mut client, Waiting::InCommand)?;
                self.session.replace(Some(client));
                self.hosts = hosts;
                Ok(())
            }
            Err(Failure::Unreachable(why)) if self.session.lock().is_none() => {
                self.session.replace(Some(self.settings.start(&hosts)?));
                self.hosts = hosts;
                Err(Failure::Unreachable(format!(
                    "{why}; zkcli keeps trying (commands wait up to --timeout; an event \
                     says when connected)"
                )))
            }
            Err(failure) => Err(failure),
        }
    }

    fn not_connected(&self) -> Failure {
        Failure::NotConnected {
            hosts: self.hosts.clone(),
        }
    }

    fn add_auth(&mut self, scheme: &str, auth: &str) -> Result<(), Failure> {
        let mut current = self.session.lock();
        let zk = current.as_mut().ok_or_else(|| self.not_connected())?;
        zk.add_auth(scheme, auth.as_bytes().to_vec())
            .map_err(|error| {
                // Rejected credentials end the session: said once, here.
                if error.is_session_over() {
                    *current = None;
                }
                Failure::from_error(error, None)
            })
    }

    fn remove_watches(
        &mut self,
        path: &str,
        watcher_type: WatcherType,
        locally: bool,
    ) -> Result<(), Failure> {
        let mut current = self.session.lock();
        let zk = current.as_mut().ok_or_else(|| self.not_connected())?;
        watching::remove_watches(zk, path, watcher_type, locally, &mut self.out)
    }

    fn execute(&mut self, text: &str) -> Result<Flow, Failure> {
        interrupt::clear();
        let words = words::split(text).map_err(|why| Failure::Usage(why.to_string()))?;
        if words
            .iter()
            .take_while(|word| *word != "--")
            .any(|word| word == "--json")
        {
            return Err(Failure::Usage(
                "in the shell, --json is for the whole session: start it with zkcli --json \
                 -server HOSTS"
                    .into(),
            ));
        }
        let parsed = line::parser()
            .try_get_matches_from(cli::with_double_dash_reconfig_options(words))
            .and_then(|matches| ShellLine::from_arg_matches(&matches));
        let command = match parsed {
            Ok(parsed) => parsed.command,
            Err(error) if !error.use_stderr() => {
                self.out.line(error.render().to_string().trim_end())?;
                return Ok(Flow::Continue);
            }
            Err(error) => return Err(error.into()),
        };
        match command {
            ShellCommand::Quit => return Ok(Flow::Quit),
            ShellCommand::AddAuth { scheme, auth } => self.add_auth(&scheme, &auth)?,
            ShellCommand::RemoveWatches {
                path,
                children,
                data,
                // -a is the default; clap keeps it apart from -c and -d.
                any: _,
                locally,
            } => {
                let watcher_type = match (children, data) {
                    (true, _) => WatcherType::Children,
                    (_, true) => WatcherType::Data,
                    _ => WatcherType::Any,
                };
                self.remove_watches(&path, watcher_type, locally)?
            }
            ShellCommand::PrintWatches { switch } => match switch {
                Some(switch) => self.printing.set(matches!(switch, Switch::On)),
                None => {
                    let state = if self.printing.is_on() { "on" } else { "off" };
                    self.out.line(&format!("printwatches is {state}"))?;
                }
            },
            ShellCommand::Connect { hosts } => {
                let hosts = hosts.unwrap_or_else(|| self.hosts.clone());
                self.connect(hosts)?
            }
            ShellCommand::Close => self.session.replace(None),
            ShellCommand::History => {
                for line in self.history.recent() {
                    self.out.line(&line)?;
                }
            }
            ShellCommand::Redo { number } => {
                let line = self.history.redo(number).map_err(Failure::Usage)?;
                return self.execute(&line);
            }
            ShellCommand::Zk(command) => self.run(&command)?,
        }
        Ok(Flow::Continue)
    }

    fn run(&mut self, command: &ZkCommand) -> Result<(), Failure> {
        if let Some(outcome) = commands::run_without_session(
            command,
            &self.hosts,
            self.settings.timeout,
            &mut self.out,
        ) {
            return outcome;
        }
        if reads_stdin(command) {
            return Err(Failure::Usage(
                "in the shell, stdin holds the commands: give DATA on the line, quoted if need be"
                    .into(),
            ));
        }
        let mut current = self.session.lock();
        let zk = current.as_mut().ok_or_else(|| self.not_connected())?;
        let outcome = commands::run_in_session(zk, command, Waiting::InBackground, &mut self.out);
        match outcome {
            // The session is still looking for a server: say so, not that a reply is
            // late (the call's timeout or the session's wait for a first server ended
            // it, whichever came first).
            Err(Failure::ZooKeeper {
                error: Error::Timeout(_),
                ..
            })
            | Err(Failure::Unreachable(_))
                if zk.state() == SessionState::Connecting =>
            {
                Err(Failure::Unreachable(format!(
                    "no server of {} answered within --timeout; zkcli keeps trying (an event \
                     says when connected)",
                    self.hosts
                )))
            }
            outcome => outcome,
        }
    }
}

/// A shell command given to one-shot zkcli (`zkcli -server h addauth ...`), which clap
/// found no command of: that it is the shell's, and what to do instead. `None` for
/// any other failure to parse `args`.
pub fn not_one_shot(error: &clap::Error, args: &[std::ffi::OsString]) -> Option<Failure> {
    if error.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(given)) = error.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let shells = line::parser();
    let command = shells
        .get_subcommands()
        .find(|command| {
            command.get_name() == given || command.get_all_aliases().any(|a| a == given)
        })?
        .get_name();
    if cli::Cli::command().find_subcommand(command).is_some() {
        return None;
    }
    // The hosts one-shot zkcli would have used (--server however spelled, else
    // $ZK_HOSTS, else the default), for a command line to copy.
    let hosts = cli::globals_before_command(args).map_or("HOSTS".into(), |global| global.hosts());
    let shell =
        format!("start the shell with `zkcli -server {hosts}` (no command) and type it there");
    let instead = match command {
        "addauth" => {
            return Some(Failure::Usage(format!(
                "addauth is a command of zkcli's shell; one-shot, give the credentials \
                 before the command: --auth-file PATH (one SCHEME:CREDENTIALS a line), \
                 $ZKCLI_AUTH, or --auth SCHEME:CREDENTIALS (seen in the process list), \
                 e.g. zkcli -server {hosts} --auth-file creds get /a; or {shell}"
            )));
        }
        "connect" => "one-shot, -server HOSTS says where to connect",
        "close" | "quit" => "one-shot zkcli closes its session and exits when its command is done",
        "printwatches" => "one-shot, get -w, ls -w, stat -w, addWatch and watch print their events",
        "removewatches" => "a one-shot session has no watches before its command",
        "history" | "redo" => "one-shot commands are numbered in the shell only",
        _ => "",
    };
    let instead = if instead.is_empty() {
        String::new()
    } else {
        format!(" ({instead})")
    };
    Some(Failure::Usage(format!(
        "{given} is a command of zkcli's shell, not a one-shot one: {shell}{instead}"
    )))
}

/// DATA `-`, which one-shot zkcli reads from stdin.
fn reads_stdin(command: &ZkCommand) -> bool {
    match command {
        ZkCommand::Set { data, .. } => data == "-",
        ZkCommand::Create { data, .. } => data.as_deref() == Some("-"),
        _ => false,
    }
}
