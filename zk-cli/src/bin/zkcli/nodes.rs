//! The commands that read or change znodes, one function per zkCli.sh command.

use std::collections::VecDeque;
use std::io::Read;
use std::time::Duration;
use zk_blocking::ErrorCode;
use zk_blocking::Version;

use zk_blocking::{Acl, Client, CreateMode, CreateOptions, Error, Stat};

use crate::acl_syntax::parse_acl_list;
use crate::args::CommandLine;
use crate::failure::Failure;
use crate::json::{self, JsonObject};
use crate::output::{Output, with_stat};
use crate::text_format;
use crate::watching;

type Outcome = Result<(), Failure>;

fn arg(line: &CommandLine, index: usize) -> &str {
    line.positional.get(index).map_or("", String::as_str)
}

/// `-v N`: the expected version; absent (or Java's -1) means any.
fn version(line: &CommandLine) -> Result<Version, Failure> {
    Ok(match line.number("-v").map_err(Failure::Usage)? {
        None | Some(-1) => Version::Any,
        Some(v) => Version::Exact(v),
    })
}

/// DATA as given, or stdin's bytes for `-` (the only way to pass arbitrary bytes).
fn data_argument(value: Option<&String>) -> Result<Vec<u8>, Failure> {
    match value.map(String::as_str) {
        Some("-") => {
            let mut data = Vec::new();
            std::io::stdin().read_to_end(&mut data)?;
            Ok(data)
        }
        Some(text) => Ok(text.as_bytes().to_vec()),
        None => Ok(Vec::new()),
    }
}

fn child_path(parent: &str, child: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// `path` and its descendants, parents before children; nodes that vanish meanwhile
/// are skipped.
fn subtree(zk: &mut Client, path: &str) -> Result<Vec<String>, Failure> {
    let mut found = vec![path.to_string()];
    let mut queue = VecDeque::from([path.to_string()]);
    while let Some(parent) = queue.pop_front() {
        let mut children = match zk.get_children(&parent) {
            Ok(children) => children,
            Err(Error::NoNode { .. }) if parent != path => continue,
            Err(e) => return Err(Failure::at(&parent)(e)),
        };
        children.sort();
        for child in children {
            let full = child_path(&parent, &child);
            found.push(full.clone());
            queue.push_back(full);
        }
    }
    Ok(found)
}

pub fn ls(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    if line.has("-R") {
        if line.has("-s") {
            return Err(Failure::Usage("ls: -R and -s cannot be combined".into()));
        }
        for node in subtree(zk, path)? {
            if out.is_json() {
                out.object(JsonObject::new().string("path", &node))?;
            } else {
                out.line(&node)?;
            }
        }
        return Ok(());
    }
    let (mut children, stat) = if line.has("-s") {
        let (children, stat) = zk.get_children_with_stat(path).map_err(Failure::at(path))?;
        (children, Some(stat))
    } else {
        (zk.get_children(path).map_err(Failure::at(path))?, None)
    };
    children.sort();
    if out.is_json() {
        let object = JsonObject::new()
            .string("path", path)
            .raw("children", &json::string_array(&children));
        return Ok(out.object(with_stat(object, stat.as_ref()))?);
    }
    for child in &children {
        out.line(child)?;
    }
    if let Some(stat) = stat {
        out.stat(&stat)?;
    }
    Ok(())
}

pub fn get(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let limits = watching::Limits::from_line(line)?;
    let (data, stat, watch) = if line.has("-w") {
        watching::skip_connect_events(zk)?;
        let (data, stat, watch) = zk.get_data_watch(path).map_err(Failure::at(path))?;
        (data, stat, Some(watch))
    } else {
        let (data, stat) = zk.get_data(path).map_err(Failure::at(path))?;
        (data, stat, None)
    };
    let show_stat = line.has("-s").then_some(&stat);
    if out.is_json() {
        let object = json::with_data(JsonObject::new().string("path", path), &data);
        out.object(with_stat(object, show_stat))?;
    } else {
        out.data(&data)?;
        if let Some(stat) = show_stat {
            out.stat_after(&data, stat)?;
        }
    }
    match watch {
        Some(watch) => watching::await_one(zk, watch, &limits, out),
        None => Ok(()),
    }
}

pub fn stat(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let stat = zk
        .exists(path)
        .map_err(Failure::at(path))?
        .ok_or_else(|| Failure::at(path)(Error::from_code(ErrorCode::NoNode)))?;
    print_stat_result(out, path, &stat)
}

fn print_stat_result(out: &mut Output, path: &str, stat: &Stat) -> Outcome {
    if out.is_json() {
        out.object(with_stat(
            JsonObject::new().string("path", path),
            Some(stat),
        ))?;
    } else {
        out.stat(stat)?;
    }
    Ok(())
}

pub fn set(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let data = data_argument(line.positional.get(1))?;
    let stat = zk
        .set_data(path, data, version(line)?)
        .map_err(Failure::at(path))?;
    if line.has("-s") || out.is_json() {
        print_stat_result(out, path, &stat)?;
    }
    Ok(())
}

fn create_mode(line: &CommandLine) -> Result<CreateMode, Failure> {
    let (sequential, ephemeral, container, ttl) = (
        line.has("-s"),
        line.has("-e"),
        line.has("-c"),
        line.value("-t").is_some(),
    );
    let usage = |why: &str| Err(Failure::Usage(format!("create: {why}")));
    Ok(match (sequential, ephemeral, container, ttl) {
        (_, _, true, _) if sequential || ephemeral || ttl => {
            return usage("-c cannot be combined with -s, -e or -t");
        }
        (_, true, _, true) => return usage("-t cannot be combined with -e"),
        (_, _, true, _) => CreateMode::Container,
        (true, _, _, true) => CreateMode::PersistentSequentialWithTtl,
        (false, _, _, true) => CreateMode::PersistentWithTtl,
        (true, true, _, _) => CreateMode::EphemeralSequential,
        (false, true, _, _) => CreateMode::Ephemeral,
        (true, false, _, _) => CreateMode::PersistentSequential,
        (false, false, _, _) => CreateMode::Persistent,
    })
}

pub fn create(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let mut options = CreateOptions::new(create_mode(line)?);
    if let Some(ttl) = line.number::<u64>("-t").map_err(Failure::Usage)? {
        options = options.ttl(Duration::from_millis(ttl));
    }
    if let Some(acl) = line.positional.get(2) {
        options = options.acl(parse_acl_list(acl).map_err(Failure::Usage)?);
    }
    let data = data_argument(line.positional.get(1))?;
    let created = zk
        .create_with(path, data, &options)
        .map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(JsonObject::new().string("path", &created))?;
    } else {
        out.line(&created)?;
    }
    Ok(())
}

pub fn delete(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    zk.delete(path, version(line)?).map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(JsonObject::new().string("deleted", path))?;
    }
    Ok(())
}

/// Deletes the subtree leaves first. Not atomic, as in zkCli.sh: a node created
/// meanwhile makes its parent's delete fail with NotEmpty.
pub fn deleteall(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let nodes = subtree(zk, path)?;
    for node in nodes.iter().rev() {
        match zk.delete(node, Version::Any) {
            Ok(()) | Err(Error::NoNode { .. }) => {}
            Err(e) => return Err(Failure::at(node)(e)),
        }
    }
    if out.is_json() {
        out.object(
            JsonObject::new()
                .string("deleted", path)
                .number("nodes", nodes.len()),
        )?;
    }
    Ok(())
}

fn acl_json(acl: &[Acl]) -> String {
    let entries: Vec<String> = acl
        .iter()
        .map(|entry| {
            JsonObject::new()
                .string("scheme", &entry.id.scheme)
                .string("id", &entry.id.id)
                .string("perms", &entry.perms.to_string())
                .finish()
        })
        .collect();
    format!("[{}]", entries.join(","))
}

pub fn get_acl(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let (acl, stat) = zk.get_acl(path).map_err(Failure::at(path))?;
    let show_stat = line.has("-s").then_some(&stat);
    if out.is_json() {
        let object = JsonObject::new()
            .string("path", path)
            .raw("acl", &acl_json(&acl));
        out.object(with_stat(object, show_stat))?;
        return Ok(());
    }
    if let Some(stat) = show_stat {
        out.stat(stat)?;
    }
    out.data(text_format::acl(&acl).as_bytes())?;
    Ok(())
}

pub fn set_acl(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let acl = parse_acl_list(arg(line, 1)).map_err(Failure::Usage)?;
    let version = version(line)?;
    if line.has("-R") {
        // Children first would not matter: an ACL change never blocks another one.
        for node in subtree(zk, path)?.iter().skip(1) {
            match zk.set_acl(node, acl.clone(), Version::Any) {
                Ok(_) | Err(Error::NoNode { .. }) => {}
                Err(e) => return Err(Failure::at(node)(e)),
            }
        }
    }
    let stat = zk.set_acl(path, acl, version).map_err(Failure::at(path))?;
    if line.has("-s") || out.is_json() {
        print_stat_result(out, path, &stat)?;
    }
    Ok(())
}

pub fn sync(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    zk.sync(path).map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(JsonObject::new().string("synced", path))?;
    } else {
        out.line("Sync is OK")?;
    }
    Ok(())
}

pub fn whoami(zk: &mut Client, _line: &CommandLine, out: &mut Output) -> Outcome {
    let identities = zk.who_am_i().map_err(|e| Failure::from_error(e, None))?;
    if !out.is_json() {
        out.line("Auth scheme: User")?;
    }
    for identity in identities {
        if out.is_json() {
            out.object(
                JsonObject::new()
                    .string("scheme", &identity.auth_scheme)
                    .string("user", &identity.user),
            )?;
        } else {
            out.line(&format!("{}: {}", identity.auth_scheme, identity.user))?;
        }
    }
    Ok(())
}

pub fn get_ephemerals(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let prefix = line.positional.first().map_or("/", String::as_str);
    let mut paths = zk.get_ephemerals(prefix).map_err(Failure::at(prefix))?;
    paths.sort();
    if out.is_json() {
        out.object(
            JsonObject::new()
                .string("prefix", prefix)
                .raw("ephemerals", &json::string_array(&paths)),
        )?;
    } else {
        for path in &paths {
            out.line(path)?;
        }
    }
    Ok(())
}

pub fn get_all_children_number(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let path = arg(line, 0);
    let count = zk
        .get_all_children_number(path)
        .map_err(Failure::at(path))?;
    if out.is_json() {
        out.object(
            JsonObject::new()
                .string("path", path)
                .number("count", count),
        )?;
    } else {
        out.line(&count.to_string())?;
    }
    Ok(())
}

pub fn config(zk: &mut Client, line: &CommandLine, out: &mut Output) -> Outcome {
    let (data, stat) = zk
        .get_config()
        .map_err(|e| Failure::from_error(e, Some("/zookeeper/config".into())))?;
    let show_stat = line.has("-s").then_some(&stat);
    if out.is_json() {
        out.object(with_stat(
            json::with_data(JsonObject::new(), &data),
            show_stat,
        ))?;
    } else {
        out.data(&data)?;
        if let Some(stat) = show_stat {
            out.stat_after(&data, stat)?;
        }
    }
    Ok(())
}
