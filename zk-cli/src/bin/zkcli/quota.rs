//! `setquota`, `listquota` and `delquota`, as zkCli.sh does them: a subtree's limits
//! live in `/zookeeper/quota<PATH>/zookeeper_limits`, which the server reads, beside
//! `zookeeper_stats`, the subtree's usage, which the server keeps up to date.

use serde_json::{Value, json};
use zk_blocking::{Client, CreateMode, Error, ErrorCode, Version};

use crate::failure::Failure;
use crate::json::object;
use crate::nodes::subtree;
use crate::output::Output;
use crate::stats_track::{BYTE_HARD_LIMIT, BYTES, COUNT, COUNT_HARD_LIMIT, StatsTrack};

type Outcome = Result<(), Failure>;

const QUOTA_ROOT: &str = "/zookeeper/quota";
const LIMITS_NODE: &str = "zookeeper_limits";
const STATS_NODE: &str = "zookeeper_stats";

/// Where `path`'s quota nodes live.
fn quota_dir(path: &str) -> String {
    format!("{QUOTA_ROOT}{path}")
}

fn limits_path(path: &str) -> String {
    format!("{}/{LIMITS_NODE}", quota_dir(path))
}

fn stats_path(path: &str) -> String {
    format!("{}/{STATS_NODE}", quota_dir(path))
}

fn no_quota(path: &str) -> Failure {
    Failure::Refused {
        name: "NoQuota",
        path: path.to_string(),
        chroot: None,
        why: format!("quota for {path} does not exist; setquota -n|-b|-N|-B VALUE {path} sets one"),
    }
}

/// A quota node's text, read.
fn read_track(zk: &mut Client, node: &str) -> Result<StatsTrack, Failure> {
    let (data, _) = zk.get_data(node).map_err(Failure::at(node))?;
    StatsTrack::parse(&data).map_err(|why| Failure::Refused {
        name: "BadQuota",
        path: node.to_string(),
        chroot: None,
        why: format!("{why}; delquota PATH removes it, setquota sets it anew"),
    })
}

/// Creates `node` empty, unless it exists already (asked first, as zkCli.sh does:
/// that needs no permission on the parent).
fn ensure_node(zk: &mut Client, node: &str) -> Outcome {
    if zk.exists(node).map_err(Failure::at(node))?.is_some() {
        return Ok(());
    }
    match zk.create(node, Vec::new(), CreateMode::Persistent) {
        Ok(_) | Err(Error::NodeExists { .. }) => Ok(()),
        Err(e) => Err(Failure::at(node)(e)),
    }
}

pub fn set_quota(zk: &mut Client, path: &str, limit: (&str, i64), out: &mut Output) -> Outcome {
    if path.starts_with(QUOTA_ROOT) {
        return Err(Failure::Usage(format!(
            "cannot set a quota under the path: {QUOTA_ROOT}"
        )));
    }
    if path == "/" {
        return Err(Failure::Usage(
            "cannot set a quota on /: give a node below it".into(),
        ));
    }
    if zk.exists(path).map_err(Failure::at(path))?.is_none() {
        return Err(Failure::at(path)(Error::from_code(ErrorCode::NoNode)));
    }
    refuse_quota_on_descendant(zk, path)?;
    refuse_quota_on_ancestor(zk, path)?;
    let mut dir = QUOTA_ROOT.to_string();
    ensure_node(zk, &dir)?;
    for component in path.split('/').skip(1) {
        dir = format!("{dir}/{component}");
        ensure_node(zk, &dir)?;
    }
    let (name, value) = limit;
    let limits_node = limits_path(path);
    let limits = match zk.exists(&limits_node).map_err(Failure::at(&limits_node))? {
        Some(_) => {
            let mut limits = read_track(zk, &limits_node)?;
            limits.set(name, value);
            zk.set_data(&limits_node, limits.to_string(), Version::Any)
                .map_err(Failure::at(&limits_node))?;
            limits
        }
        None => {
            let mut limits = StatsTrack::default();
            for field in [COUNT, BYTES, COUNT_HARD_LIMIT, BYTE_HARD_LIMIT] {
                limits.set(field, -1);
            }
            limits.set(name, value);
            zk.create(&limits_node, limits.to_string(), CreateMode::Persistent)
                .map_err(Failure::at(&limits_node))?;
            // The server replaces this with the subtree's usage as it creates the node.
            let mut zero = StatsTrack::default();
            zero.set(COUNT, 0);
            zero.set(BYTES, 0);
            let stats_node = stats_path(path);
            zk.create(&stats_node, zero.to_string(), CreateMode::Persistent)
                .map_err(Failure::at(&stats_node))?;
            limits
        }
    };
    let stats = read_track(zk, &stats_path(path))?;
    let warnings = over_limit_warnings(&limits, &stats);
    if out.is_json() {
        out.object(object(json!({
            "path": path,
            "quota": limits.json(),
            "stats": stats.json(),
            "warnings": warnings,
        })))?;
    } else {
        for warning in &warnings {
            out.line(warning)?;
        }
    }
    Ok(())
}

/// zkCli.sh's warnings for limits the subtree exceeds already.
fn over_limit_warnings(limits: &StatsTrack, stats: &StatsTrack) -> Vec<String> {
    let exceeded = |soft: &str, hard: &str, used: i64| {
        [soft, hard].iter().any(|field| {
            let limit = limits.get(field);
            limit > -1 && limit < used
        })
    };
    let (count, bytes) = (stats.get(COUNT), stats.get(BYTES));
    let mut warnings = Vec::new();
    if exceeded(COUNT, COUNT_HARD_LIMIT, count) {
        warnings.push(format!(
            "[Warning]: the count quota you create is less than the existing count:{count}"
        ));
    }
    if exceeded(BYTES, BYTE_HARD_LIMIT, bytes) {
        warnings.push(format!(
            "[Warning]: the bytes quota you create is less than the existing bytes:{bytes}"
        ));
    }
    warnings
}

fn quota_exists(path: &str, why: String) -> Failure {
    Failure::Refused {
        name: "QuotaExists",
        path: path.to_string(),
        chroot: None,
        why: format!("{why}; a subtree has at most one quota: delquota that one first"),
    }
}

/// A quota on a node below `path` rules one on `path` out.
fn refuse_quota_on_descendant(zk: &mut Client, path: &str) -> Outcome {
    let dir = quota_dir(path);
    let nodes = match subtree(zk, &dir) {
        Ok(nodes) => nodes,
        Err(Failure::ZooKeeper {
            error: Error::NoNode { .. },
            ..
        }) => return Ok(()),
        Err(failure) => return Err(failure),
    };
    let below = nodes
        .iter()
        .filter_map(|node| node.strip_suffix(&format!("/{LIMITS_NODE}")))
        .find(|owner| *owner != dir);
    match below {
        Some(owner) => Err(quota_exists(
            path,
            format!(
                "{path} has a child {} which has a quota",
                &owner[QUOTA_ROOT.len()..]
            ),
        )),
        None => Ok(()),
    }
}

/// So does a quota on an ancestor of `path`.
fn refuse_quota_on_ancestor(zk: &mut Client, path: &str) -> Outcome {
    let components: Vec<&str> = path.split('/').skip(1).collect();
    let mut ancestor = String::new();
    for component in &components[..components.len().saturating_sub(1)] {
        ancestor = format!("{ancestor}/{component}");
        let dir = quota_dir(&ancestor);
        let children = match zk.get_children(&dir) {
            Ok(children) => children,
            Err(Error::NoNode { .. }) => return Ok(()),
            Err(e) => return Err(Failure::at(&dir)(e)),
        };
        if children.iter().any(|child| child == LIMITS_NODE) {
            return Err(quota_exists(
                path,
                format!("{path} has a parent {ancestor} which has a quota"),
            ));
        }
    }
    Ok(())
}

pub fn list_quota(zk: &mut Client, path: &str, out: &mut Output) -> Outcome {
    let read = |zk: &mut Client, node: &str| match read_track(zk, node) {
        Err(Failure::ZooKeeper {
            error: Error::NoNode { .. },
            ..
        }) => Err(no_quota(path)),
        other => other,
    };
    let limits = read(zk, &limits_path(path))?;
    let stats = read(zk, &stats_path(path))?;
    if out.is_json() {
        out.object(object(json!({
            "path": path,
            "quota": limits.json(),
            "stats": stats.json(),
        })))?;
    } else {
        out.line(&format!("Output quota for {path} {limits}"))?;
        out.line(&format!("Output stat for {path} {stats}"))?;
    }
    Ok(())
}

/// Deletes `field` of `path`'s quota, or without one the whole quota and the
/// directories under /zookeeper/quota that only held it.
pub fn del_quota(zk: &mut Client, path: &str, field: Option<&str>, out: &mut Output) -> Outcome {
    let limits_node = limits_path(path);
    if zk
        .exists(&limits_node)
        .map_err(Failure::at(&limits_node))?
        .is_none()
    {
        return Err(no_quota(path));
    }
    let remaining = match field {
        Some(field) => {
            let mut limits = read_track(zk, &limits_node)?;
            limits.set(field, -1);
            zk.set_data(&limits_node, limits.to_string(), Version::Any)
                .map_err(Failure::at(&limits_node))?;
            limits.json()
        }
        None => {
            delete_quota_nodes(zk, path)?;
            Value::Null
        }
    };
    if out.is_json() {
        out.object(object(json!({ "path": path, "quota": remaining })))?;
    }
    Ok(())
}

fn delete_quota_nodes(zk: &mut Client, path: &str) -> Outcome {
    let dir = quota_dir(path);
    for child in zk.get_children(&dir).map_err(Failure::at(&dir))? {
        let node = format!("{dir}/{child}");
        zk.delete(&node, Version::Any).map_err(Failure::at(&node))?;
    }
    // Up to /zookeeper/quota, each directory left empty goes.
    let mut dir = dir.as_str();
    while dir != QUOTA_ROOT {
        let children = match zk.get_children(dir) {
            Ok(children) => children,
            Err(Error::NoNode { .. }) => Vec::new(),
            Err(e) => return Err(Failure::at(dir)(e)),
        };
        if !children.is_empty() {
            break;
        }
        match zk.delete(dir, Version::Any) {
            Ok(()) | Err(Error::NoNode { .. }) => {}
            Err(e) => return Err(Failure::at(dir)(e)),
        }
        dir = dir
            .rsplit_once('/')
            .map_or(QUOTA_ROOT, |(parent, _)| parent);
    }
    Ok(())
}
