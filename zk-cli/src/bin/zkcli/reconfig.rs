//! `reconfig`: changes the ensemble's membership through the leader, as zkCli.sh
//! does, and prints the configuration the ensemble committed.

use std::io::Read;
use std::path::Path;

use zk_blocking::Client;

use crate::cli::MembershipChange;
use crate::failure::Failure;
use crate::nodes::print_config;
use crate::output::Output;

/// A dynamic config file is a few lines per server; this bounds what zkcli reads.
const MAX_CONFIG_FILE: u64 = 1 << 20;

const CONFIG_NODE: &str = "/zookeeper/config";

pub fn reconfig(
    zk: &mut Client,
    change: &MembershipChange,
    from_config: Option<i64>,
    show_stat: bool,
    out: &mut Output,
) -> Result<(), Failure> {
    // zkCli.sh sends the servers' specs in lower case.
    let lower = |text: &Option<String>| text.as_deref().map(str::to_lowercase);
    let members = match &change.file {
        Some(file) => Some(members_of_file(file)?),
        None => lower(&change.members),
    };
    let (data, stat) = zk
        .reconfig(
            lower(&change.add).as_deref(),
            lower(&change.remove).as_deref(),
            members.as_deref(),
            from_config.filter(|version| *version != -1),
        )
        .map_err(Failure::at(CONFIG_NODE))?;
    print_config(
        out,
        &data,
        show_stat.then_some(&stat),
        Some("Committed new configuration:"),
    )
}

/// The membership a dynamic config file lists, one `key=value` a line, as the
/// server reads it; the keys are those zkCli.sh accepts in it.
fn members_of_file(file: &Path) -> Result<String, Failure> {
    let what = format!("-file {}", file.display());
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|opened| opened.take(MAX_CONFIG_FILE + 1).read_to_string(&mut text))
        .map_err(Failure::local(&what))?;
    if text.len() as u64 > MAX_CONFIG_FILE {
        return Err(Failure::Usage(format!(
            "{what}: over {} MiB, too large for a dynamic config file",
            MAX_CONFIG_FILE >> 20
        )));
    }
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let key = line.split('=').next().unwrap_or_default().trim();
        let known = ["server.", "group.", "weight."]
            .iter()
            .any(|prefix| key.starts_with(prefix))
            || key == "version";
        if !known || !line.contains('=') {
            return Err(Failure::Usage(format!(
                "{what}: unrecognised line {line:?}: a dynamic config file holds \
                 server.ID=..., group.N=..., weight.ID=... and version=... lines"
            )));
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(Failure::Usage(format!("{what}: no server.ID=... line")));
    }
    Ok(lines.join("\n"))
}
