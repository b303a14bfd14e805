//! Runs one parsed command, in one-shot mode or in the shell alike: on a session, or
//! without one for the four-letter words and `version`.

use std::time::Duration;

use zk_blocking::Client;

use crate::cli::ZkCommand;
use crate::failure::Failure;
use crate::four_letter;
use crate::nodes::{self, ConfigRequest, CreateRequest, GetRequest, LsRequest, SetAclRequest};
use crate::output::Output;
use crate::quota;
use crate::reconfig;
use crate::version;
use crate::watching::{self, AddWatchRequest, Waiting};

/// A command that needs no session (a four-letter word, sent to the first of `hosts`
/// within `timeout`, or `version`); `None` for the others.
pub fn run_without_session(
    command: &ZkCommand,
    hosts: &str,
    timeout: Duration,
    out: &mut Output,
) -> Option<Result<(), Failure>> {
    if let Some(word) = command.four_letter_word() {
        return Some(four_letter::run(word, hosts, timeout, out));
    }
    match command {
        ZkCommand::Version => Some(version::version(out)),
        _ => None,
    }
}

/// A command that needs a session, on `zk`.
pub fn run_in_session(
    zk: &mut Client,
    command: &ZkCommand,
    waiting: Waiting,
    out: &mut Output,
) -> Result<(), Failure> {
    match command {
        ZkCommand::Ls {
            stat,
            watch,
            limits,
            recursive,
            path,
        } => {
            let request = LsRequest {
                path,
                show_stat: *stat,
                watch: *watch,
                limits,
                recursive: *recursive,
            };
            nodes::ls(zk, &request, waiting, out)
        }
        ZkCommand::Get {
            stat,
            watch,
            limits,
            path,
        } => {
            let request = GetRequest {
                path,
                show_stat: *stat,
                watch: *watch,
                limits,
            };
            nodes::get(zk, &request, waiting, out)
        }
        ZkCommand::Stat {
            watch,
            limits,
            path,
        } => nodes::stat(zk, path, *watch, limits, waiting, out),
        ZkCommand::Set {
            stat,
            version,
            path,
            data,
        } => nodes::set(zk, path, data, version, *stat, out),
        ZkCommand::Create {
            sequential,
            ephemeral,
            container,
            ttl,
            digest,
            path,
            data,
            acl,
        } => {
            let request = CreateRequest {
                path,
                data: data.as_deref(),
                acl: acl.as_deref(),
                digest_ids: digest.ids(),
                sequential: *sequential,
                ephemeral: *ephemeral,
                container: *container,
                ttl: *ttl,
            };
            nodes::create(zk, &request, out)
        }
        ZkCommand::Delete { version, path } => nodes::delete(zk, path, version, out),
        ZkCommand::DeleteAll { path, batch } => nodes::deleteall(zk, path, *batch, out),
        ZkCommand::GetAcl { stat, path } => nodes::get_acl(zk, path, *stat, out),
        ZkCommand::SetAcl {
            stat,
            recursive,
            digest,
            version,
            path,
            acl,
        } => {
            let request = SetAclRequest {
                path,
                acl,
                digest_ids: digest.ids(),
                expected: version,
                recursive: *recursive,
                show_stat: *stat,
            };
            nodes::set_acl(zk, &request, out)
        }
        ZkCommand::Sync { path } => nodes::sync(zk, path, out),
        ZkCommand::WhoAmI => nodes::whoami(zk, out),
        ZkCommand::GetEphemerals { path } => nodes::get_ephemerals(zk, path.as_deref(), out),
        ZkCommand::GetAllChildrenNumber { path } => nodes::get_all_children_number(zk, path, out),
        ZkCommand::Config {
            stat,
            connect_string,
            watch,
            limits,
        } => {
            let request = ConfigRequest {
                show_stat: *stat,
                connect_string: *connect_string,
                watch: *watch,
                limits,
            };
            nodes::config(zk, &request, waiting, out)
        }
        ZkCommand::AddWatch { mode, limits, path } => {
            let request = AddWatchRequest {
                path,
                mode: *mode,
                limits,
            };
            watching::add_watch(zk, &request, waiting, out)
        }
        ZkCommand::Watch { limits, path } => watching::watch(zk, path, limits, waiting, out),
        ZkCommand::SetQuota { limit, path } => quota::set_quota(zk, path, limit.field(), out),
        ZkCommand::ListQuota { path } => quota::list_quota(zk, path, out),
        ZkCommand::DelQuota { which, path } => quota::del_quota(zk, path, which.field(), out),
        ZkCommand::Reconfig {
            stat,
            from_config,
            change,
        } => reconfig::reconfig(zk, change, *from_config, *stat, out),
        ZkCommand::Srvr | ZkCommand::Ruok | ZkCommand::Mntr | ZkCommand::Version => {
            Err(Failure::Usage(
                "srvr, ruok, mntr and version need no session (run_without_session)".into(),
            ))
        }
    }
}
