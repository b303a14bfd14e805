//! The commands that read or change znodes, one function per zkCli.sh command.

use std::collections::VecDeque;
use std::io::Read;
use std::time::Duration;
use zk_blocking::ErrorCode;

use serde_json::json;
use zk_blocking::{
    Client, CreateMode, CreateOptions, Error, Stat, Transaction, Version, WatchHandle,
};

use crate::acl_syntax::{DigestIds, parse_acl_list};
use crate::cli::{EventLimits, ExpectedVersion};
use crate::failure::Failure;
use crate::interrupt;
use crate::json::{self, object, with_stat};
use crate::output::Output;
use crate::text_format;
use crate::watching::{self, Waiting};

type Outcome = Result<(), Failure>;

/// More than any server accepts by default (jute.maxbuffer is 1 MiB), and a bound on
/// what zkcli holds in memory from stdin.
const MAX_STDIN_DATA: u64 = 16 << 20;

/// `-v N`: the expected version; absent (or Java's -1) means any.
fn version(expected: &ExpectedVersion) -> Version {
    match expected.version {
        None | Some(-1) => Version::Any,
        Some(v) => Version::Exact(v),
    }
}

/// DATA as given, or stdin's bytes for `-` (the only way to pass arbitrary bytes).
fn data_argument(value: Option<&str>) -> Result<Vec<u8>, Failure> {
    match value {
        Some("-") => {
            let mut data = Vec::new();
            std::io::stdin()
                .take(MAX_STDIN_DATA + 1)
                .read_to_end(&mut data)
                .map_err(Failure::local("reading DATA from stdin"))?;
            if data.len() as u64 > MAX_STDIN_DATA {
                return Err(Failure::Usage(format!(
                    "data on stdin exceeds {} MiB; no ZooKeeper server takes that much by default",
                    MAX_STDIN_DATA >> 20
                )));
            }
            Ok(data)
        }
        Some(text) => Ok(text.as_bytes().to_vec()),
        None => Ok(Vec::new()),
    }
}

pub fn child_path(parent: &str, child: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// `path` and its descendants, parents before children; nodes that vanish meanwhile
/// are skipped.
pub fn subtree(zk: &mut Client, path: &str) -> Result<Vec<String>, Failure> {
    walk(zk, path, Unreadable::Fail).map(|walked| walked.nodes)
}

/// What a walk does with a node below its start whose children this session may not
/// list (NoAuth).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unreadable {
    /// The walk fails: a change of the whole subtree needs all of it.
    Fail,
    /// The node is listed, its subtree left out, and the node noted.
    Skip,
}

/// A subtree as far as this session could list it.
struct Walked {
    /// Parents before children, each node's children sorted (breadth first).
    nodes: Vec<String>,
    /// Nodes whose children could not be listed, in the same order, each with its
    /// error (NoAuth).
    unreadable: Vec<(String, Error)>,
}

fn walk(zk: &mut Client, path: &str, unreadable: Unreadable) -> Result<Walked, Failure> {
    let mut walked = Walked {
        nodes: vec![path.to_string()],
        unreadable: Vec::new(),
    };
    let mut queue = VecDeque::from([path.to_string()]);
    while let Some(parent) = queue.pop_front() {
        interrupt::check()?;
        let mut children = match zk.get_children(&parent) {
            Ok(children) => children,
            Err(Error::NoNode { .. }) if parent != path => continue,
            Err(e @ Error::NoAuth { .. }) if parent != path && unreadable == Unreadable::Skip => {
                walked.unreadable.push((parent, e));
                continue;
            }
            Err(e) => return Err(Failure::at(&parent)(e)),
        };
        children.sort();
        for child in children {
            let full = child_path(&parent, &child);
            walked.nodes.push(full.clone());
            queue.push_back(full);
        }
    }
    Ok(walked)
}

/// `ls -R`'s report of the nodes it could not list below, one stderr line each,
/// which names the session's chroot as other errors do.
fn unlisted(nodes: Vec<(String, Error)>) -> Failure {
    Failure::Several(
        nodes
            .into_iter()
            .map(|(path, error)| {
                let why = "this session may not read the node, so nothing under it is \
                           listed; authenticate as an identity its ACL lets read (--auth \
                           SCHEME:CREDENTIALS, or addauth SCHEME AUTH in the shell) and list \
                           it again"
                    .into();
                Failure::Refused {
                    name: "NoAuth",
                    path,
                    chroot: error.chroot().map(str::to_string),
                    why,
                }
            })
            .collect(),
    )
}

/// What `ls` was asked for besides the children.
pub struct LsRequest<'a> {
    pub path: &'a str,
    pub show_stat: bool,
    pub watch: bool,
    pub limits: &'a EventLimits,
    pub recursive: bool,
}

pub fn ls(zk: &mut Client, request: &LsRequest, waiting: Waiting, out: &mut Output) -> Outcome {
    let path = request.path;
    if request.recursive {
        // Every node this session may read; those it may not list below are
        // reported after them (zkCli.sh stops at the first).
        let walked = walk(zk, path, Unreadable::Skip)?;
        for node in walked.nodes {
            if out.is_json() {
                out.object(object(json!({ "path": node })))?;
            } else {
                out.line(&node)?;
            }
        }
        if walked.unreadable.is_empty() {
            return Ok(());
        }
        return Err(unlisted(walked.unreadable));
    }
    if request.watch {
        watching::skip_connect_events(zk, waiting)?;
    }
    let Listing {
        mut children,
        stat,
        watch,
    } = list(zk, path, request.show_stat, request.watch).map_err(Failure::at(path))?;
    children.sort();
    if out.is_json() {
        let listing = object(json!({ "path": path, "children": children }));
        out.object(with_stat(listing, stat.as_ref()))?;
    } else {
        for child in &children {
            out.line(child)?;
        }
        if let Some(stat) = stat {
            out.stat(&stat)?;
        }
    }
    await_event(zk, watch, request.limits, waiting, out)
}

/// A node's children, with what else `ls` asked for.
struct Listing {
    children: Vec<String>,
    stat: Option<Stat>,
    watch: Option<WatchHandle>,
}

/// `path`'s children, with its Stat and a child watch if asked for, from one reply.
fn list(zk: &mut Client, path: &str, with_stat: bool, watch: bool) -> Result<Listing, Error> {
    let listing = |children, stat, watch| Listing {
        children,
        stat,
        watch,
    };
    Ok(match (with_stat, watch) {
        (false, false) => listing(zk.get_children(path)?, None, None),
        (true, false) => {
            let (children, stat) = zk.get_children_with_stat(path)?;
            listing(children, Some(stat), None)
        }
        (false, true) => {
            let (children, watch) = zk.get_children_watch(path)?;
            listing(children, None, Some(watch))
        }
        (true, true) => {
            let (children, stat, watch) = zk.get_children_with_stat_watch(path)?;
            listing(children, Some(stat), Some(watch))
        }
    })
}

/// After a watching command's result: its watch's event, when this command is the
/// one to wait for it (see `Waiting`).
fn await_event(
    zk: &mut Client,
    watch: Option<WatchHandle>,
    limits: &EventLimits,
    waiting: Waiting,
    out: &mut Output,
) -> Outcome {
    match watch {
        Some(watch) if waiting.waits_for(limits) => watching::await_one(zk, watch, limits, out),
        _ => Ok(()),
    }
}

/// What `get` was asked for besides the data.
pub struct GetRequest<'a> {
    pub path: &'a str,
    pub show_stat: bool,
    pub watch: bool,
    pub limits: &'a EventLimits,
}

pub fn get(zk: &mut Client, request: &GetRequest, waiting: Waiting, out: &mut Output) -> Outcome {
    let path = request.path;
    let (data, stat, watch) = if request.watch {
        watching::skip_connect_events(zk, waiting)?;
        let (data, stat, watch) = zk.get_data_watch(path).map_err(Failure::at(path))?;
        (data, stat, Some(watch))
    } else {
        let (data, stat) = zk.get_data(path).map_err(Failure::at(path))?;
        (data, stat, None)
    };
    let show_stat = request.show_stat.then_some(&stat);
    if out.is_json() {
        let result = json::with_data(object(json!({ "path": path })), &data);
        out.object(with_stat(result, show_stat))?;
    } else {
        out.data(&data)?;
        if let Some(stat) = show_stat {
            out.stat(stat)?;
        }
    }
    await_event(zk, watch, request.limits, waiting, out)
}

/// `stat`, and `stat -w` with `watch`.
pub fn stat(
    zk: &mut Client,
    path: &str,
    watch: bool,
    limits: &EventLimits,
    waiting: Waiting,
    out: &mut Output,
) -> Outcome {
    let (stat, watch) = if watch {
        watching::skip_connect_events(zk, waiting)?;
        let (stat, watch) = zk.exists_watch(path).map_err(Failure::at(path))?;
        (stat, Some(watch))
    } else {
        (zk.exists(path).map_err(Failure::at(path))?, None)
    };
    let stat = stat.ok_or_else(|| Failure::at(path)(Error::from_code(ErrorCode::NoNode)))?;
    print_stat_result(out, path, &stat)?;
    await_event(zk, watch, limits, waiting, out)
}

fn print_stat_result(out: &mut Output, path: &str, stat: &Stat) -> Outcome {
    if out.is_json() {
        out.object(with_stat(object(json!({ "path": path })), Some(stat)))?;
    } else {
        out.stat(stat)?;
    }
    Ok(())
}

pub fn set(
    zk: &mut Client,
    path: &str,
    data: &str,
    expected: &ExpectedVersion,
    show_stat: bool,
    out: &mut Output,
) -> Outcome {
    let data = data_argument(Some(data))?;
    let stat = zk
        .set_data(path, data, version(expected))
        .map_err(Failure::at(path))?;
    if show_stat || out.is_json() {
        print_stat_result(out, path, &stat)?;
    }
    Ok(())
}

/// What `create` was asked to make.
pub struct CreateRequest<'a> {
    pub path: &'a str,
    pub data: Option<&'a str>,
    pub acl: Option<&'a str>,
    pub digest_ids: DigestIds,
    pub sequential: bool,
    pub ephemeral: bool,
    pub container: bool,
    pub ttl: Option<u64>,
}

impl CreateRequest<'_> {
    /// The flags' combinations clap has not already refused (-c alone, -t without -e).
    fn mode(&self) -> CreateMode {
        match (
            self.sequential,
            self.ephemeral,
            self.container,
            self.ttl.is_some(),
        ) {
            (_, _, true, _) => CreateMode::Container,
            (true, _, _, true) => CreateMode::PersistentSequentialWithTtl,
            (false, _, _, true) => CreateMode::PersistentWithTtl,
            (true, true, _, _) => CreateMode::EphemeralSequential,
            (false, true, _, _) => CreateMode::Ephemeral,
            (true, false, _, _) => CreateMode::PersistentSequential,
            (false, false, _, _) => CreateMode::Persistent,
        }
    }
}

pub fn create(zk: &mut Client, request: &CreateRequest, out: &mut Output) -> Outcome {
    let path = request.path;
    let mut options = CreateOptions::new(request.mode());
    if let Some(ttl) = request.ttl {
        options = options.ttl(Duration::from_millis(ttl));
    }
    if let Some(acl) = request.acl {
        options = options.acl(parse_acl_list(acl, request.digest_ids).map_err(Failure::Usage)?);
    }
    let data = data_argument(request.data)?;
    let created = zk
        .create_with(path, data, &options)
        .map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(object(json!({ "path": created })))?;
    } else {
        // zkCli.sh's line, which scripts look for.
        out.line(&format!("Created {created}"))?;
    }
    Ok(())
}

pub fn delete(
    zk: &mut Client,
    path: &str,
    expected: &ExpectedVersion,
    out: &mut Output,
) -> Outcome {
    zk.delete(path, version(expected))
        .map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(object(json!({ "deleted": path })))?;
    }
    Ok(())
}

/// Deletes the subtree leaves first, `batch` nodes a request (a multi; one if not
/// given). Not atomic, as in zkCli.sh: a node created meanwhile makes its parent's
/// delete fail with NotEmpty.
pub fn deleteall(zk: &mut Client, path: &str, batch: Option<usize>, out: &mut Output) -> Outcome {
    let nodes = subtree(zk, path)?;
    let leaves_first: Vec<&str> = nodes.iter().rev().map(String::as_str).collect();
    for chunk in leaves_first.chunks(batch.unwrap_or(1)) {
        interrupt::check()?;
        delete_batch(zk, path, chunk)?;
    }
    if out.is_json() {
        out.object(object(json!({ "deleted": path, "nodes": nodes.len() })))?;
    }
    Ok(())
}

/// Deletes `nodes`, in order, in one multi when there are several. A batch whose
/// request exceeds the frame limit (--jute-maxbuffer; long paths) is split in
/// halves, each tried the same way. A failed batch (a node refused, gone or given a
/// child meanwhile) is deleted again one by one, which skips a node already gone and
/// stops at the first one refused, naming it. So is a batch whose connection was
/// lost (a server with a smaller jute.maxbuffer drops the connection): a node it did
/// delete is gone, and skipped. Any other error (the session over, a timeout) fails
/// the command at `root`.
fn delete_batch(zk: &mut Client, root: &str, nodes: &[&str]) -> Outcome {
    if nodes.len() > 1 {
        let deletes = nodes.iter().fold(Transaction::new(), |deletes, node| {
            deletes.delete(*node, Version::Any)
        });
        match zk.multi(deletes) {
            Ok(_) => return Ok(()),
            Err(Error::TooLarge { .. }) => {
                let (first, second) = nodes.split_at(nodes.len() / 2);
                delete_batch(zk, root, first)?;
                interrupt::check()?;
                return delete_batch(zk, root, second);
            }
            // One by one below.
            Err(Error::TransactionFailed { .. } | Error::ConnectionLoss) => {}
            Err(e) => return Err(Failure::at(root)(e)),
        }
    }
    for node in nodes {
        match zk.delete(node, Version::Any) {
            Ok(()) | Err(Error::NoNode { .. }) => {}
            Err(e) => return Err(Failure::at(node)(e)),
        }
    }
    Ok(())
}

pub fn get_acl(zk: &mut Client, path: &str, show_stat: bool, out: &mut Output) -> Outcome {
    let (acl, stat) = zk.get_acl(path).map_err(Failure::at(path))?;
    let show_stat = show_stat.then_some(&stat);
    if out.is_json() {
        let result = object(json!({ "path": path, "acl": json::acl(&acl) }));
        out.object(with_stat(result, show_stat))?;
        return Ok(());
    }
    // zkCli.sh's order: the ACL, then the Stat.
    out.data(text_format::acl(&acl).as_bytes())?;
    if let Some(stat) = show_stat {
        out.stat(stat)?;
    }
    Ok(())
}

/// What `setAcl` was asked to change.
pub struct SetAclRequest<'a> {
    pub path: &'a str,
    pub acl: &'a str,
    pub digest_ids: DigestIds,
    pub expected: &'a ExpectedVersion,
    pub recursive: bool,
    pub show_stat: bool,
}

pub fn set_acl(zk: &mut Client, request: &SetAclRequest, out: &mut Output) -> Outcome {
    let path = request.path;
    let acl = parse_acl_list(request.acl, request.digest_ids).map_err(Failure::Usage)?;
    // Listed before any change: the new ACL may deny this session reading children.
    let descendants = if request.recursive {
        subtree(zk, path)?.split_off(1)
    } else {
        Vec::new()
    };
    // The root first, with -v's version: a mismatch must leave the subtree as it was.
    let stat = zk
        .set_acl(path, acl.clone(), version(request.expected))
        .map_err(Failure::at(path))?;
    for node in &descendants {
        interrupt::check()?;
        match zk.set_acl(node, acl.clone(), Version::Any) {
            Ok(_) | Err(Error::NoNode { .. }) => {}
            Err(e) => return Err(Failure::at(node)(e)),
        }
    }
    if request.show_stat || out.is_json() {
        print_stat_result(out, path, &stat)?;
    }
    Ok(())
}

pub fn sync(zk: &mut Client, path: &str, out: &mut Output) -> Outcome {
    zk.sync(path).map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(object(json!({ "synced": path })))?;
    } else {
        out.line("Sync is OK")?;
    }
    Ok(())
}

pub fn whoami(zk: &mut Client, out: &mut Output) -> Outcome {
    let identities = zk.who_am_i().map_err(|e| Failure::from_error(e, None))?;
    if !out.is_json() {
        out.line("Auth scheme: User")?;
    }
    for identity in identities {
        if out.is_json() {
            out.object(object(
                json!({ "scheme": identity.auth_scheme, "user": identity.user }),
            ))?;
        } else {
            out.line(&format!("{}: {}", identity.auth_scheme, identity.user))?;
        }
    }
    Ok(())
}

pub fn get_ephemerals(zk: &mut Client, prefix: Option<&str>, out: &mut Output) -> Outcome {
    let prefix = prefix.unwrap_or("/");
    let mut paths = zk.get_ephemerals(prefix).map_err(Failure::at(prefix))?;
    paths.sort();
    if out.is_json() {
        out.object(object(json!({ "prefix": prefix, "ephemerals": paths })))?;
    } else {
        for path in &paths {
            out.line(path)?;
        }
    }
    Ok(())
}

pub fn get_all_children_number(zk: &mut Client, path: &str, out: &mut Output) -> Outcome {
    let count = zk
        .get_all_children_number(path)
        .map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(object(json!({ "path": path, "count": count })))?;
    } else {
        out.line(&count.to_string())?;
    }
    Ok(())
}

/// What `config` was asked for.
pub struct ConfigRequest<'a> {
    pub show_stat: bool,
    /// `-c`: the version and the client addresses only.
    pub connect_string: bool,
    pub watch: bool,
    pub limits: &'a EventLimits,
}

pub fn config(
    zk: &mut Client,
    request: &ConfigRequest,
    waiting: Waiting,
    out: &mut Output,
) -> Outcome {
    let at = |e| Failure::from_error(e, Some(CONFIG_NODE.into()));
    let (data, stat, watch) = if request.watch {
        watching::skip_connect_events(zk, waiting)?;
        let (data, stat, watch) = zk.get_config_watch().map_err(at)?;
        (data, stat, Some(watch))
    } else {
        let (data, stat) = zk.get_config().map_err(at)?;
        (data, stat, None)
    };
    let show_stat = request.show_stat.then_some(&stat);
    if !request.connect_string {
        print_config(out, &data, show_stat, None)?;
    } else {
        let (version, hosts) = client_connect_string(&String::from_utf8_lossy(&data));
        if out.is_json() {
            let result = object(json!({ "version": version, "connect_string": hosts }));
            out.object(with_stat(result, show_stat))?;
        } else {
            out.line(&format!("{version} {hosts}"))?;
            if let Some(stat) = show_stat {
                out.stat(stat)?;
            }
        }
    }
    await_event(zk, watch, request.limits, waiting, out)
}

const CONFIG_NODE: &str = "/zookeeper/config";

/// `config -c`'s version and connect string, as zkCli.sh derives them from the
/// configuration (ZooKeeper's `ConfigUtils.getClientConfigStr`): the client address
/// after each server line's `;`, a bare port on 0.0.0.0. Unlike it, a server line
/// without a client address is left out (it leaves an empty entry, `,,`), an IPv6
/// host keeps its brackets, and the servers come in the config's order.
fn client_connect_string(config: &str) -> (String, String) {
    let mut version = String::new();
    let mut hosts = Vec::new();
    for line in config.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "version" {
            version = value.to_string();
        } else if key.starts_with("server.") {
            match value.split_once(';').map(|(_, client)| client.trim()) {
                None | Some("") => {}
                Some(port) if port.bytes().all(|byte| byte.is_ascii_digit()) => {
                    hosts.push(format!("0.0.0.0:{port}"))
                }
                Some(address) => hosts.push(address.to_string()),
            }
        }
    }
    (version, hosts.join(","))
}

/// An ensemble configuration, in text after `lead`'s line when given (`reconfig`'s,
/// as zkCli.sh prints it), else as the node's bytes; then the Stat, if shown.
pub fn print_config(
    out: &mut Output,
    data: &[u8],
    show_stat: Option<&Stat>,
    lead: Option<&str>,
) -> Outcome {
    if out.is_json() {
        out.object(with_stat(
            json::with_data(serde_json::Map::new(), data),
            show_stat,
        ))?;
        return Ok(());
    }
    match lead {
        Some(lead) => out.line(&format!("{lead}\n{}", String::from_utf8_lossy(data)))?,
        None => out.data(data)?,
    }
    if let Some(stat) = show_stat {
        out.stat(stat)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_c_gives_the_version_and_the_client_addresses_in_order() {
        let config = "server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181\n\
                      server.2=10.0.0.2:2888:3888:observer;2182\n\
                      server.3=10.0.0.3:2888:3888:participant\n\
                      server.4=[::1]:2888:3888;[::1]:2184\n\
                      version=100000000";
        assert_eq!(
            client_connect_string(config),
            (
                "100000000".to_string(),
                "10.0.0.1:2181,0.0.0.0:2182,[::1]:2184".to_string()
            )
        );
        assert_eq!(client_connect_string(""), (String::new(), String::new()));
    }
}
