//! Whole-path utilities: [`create_all`] (`mkdir -p`) and [`delete_all`] (`rm -r`),
//! each a machine run on any client.

mod create_all;
mod delete_all;

use zk_blocking::Result;

pub use create_all::CreateAllMachine;
pub use delete_all::DeleteAllMachine;

use crate::run::Driver;

/// Creates `path` and its missing parents (persistent, open ACL, no data); nodes that
/// exist already, or that others create meanwhile, are fine; `/` exists already.
///
/// `path` must be one the client accepts (absolute, no trailing `/`, no empty, `.` or
/// `..` names): otherwise it fails with [`zk_blocking::Error::InvalidPath`] naming
/// `path`, and nothing is sent (`rel/x` is not taken to mean `/rel/x`).
pub fn create_all<D: Driver>(driver: &mut D, path: &str) -> Result<()> {
    let mut machine = CreateAllMachine::new(path);
    driver.run(&mut machine, None)?.unwrap_or(Ok(()))
}

/// Deletes `path` and everything below it; nodes others delete meanwhile are fine,
/// and nodes they add meanwhile are deleted too. `Ok` also when `path` is missing.
///
/// `path` must be one the client accepts (absolute, no trailing `/`, no empty, `.` or
/// `..` names), and not `/`: otherwise it fails with
/// [`zk_blocking::Error::InvalidPath`] naming `path`, and nothing is sent.
///
/// The root is refused rather than emptied. The server never deletes `/`, nor
/// `/zookeeper`, `/zookeeper/config` and `/zookeeper/quota` (BadArguments); kazoo's
/// `delete("/", recursive=True)` ends with that error, after deleting whichever
/// nodes it reached first. A call that takes the whole tree, when a computed path
/// comes out as `/`, would be too costly a surprise, and with a chroot `/` is the
/// chroot's node, which the server would delete. To empty a tree, list the root's
/// children and `delete_all` each one but `zookeeper` (under a chroot, every one).
pub fn delete_all<D: Driver>(driver: &mut D, path: &str) -> Result<()> {
    let mut machine = DeleteAllMachine::new(path);
    driver.run(&mut machine, None)?.unwrap_or(Ok(()))
}

/// [`create_all`] on zk-tokio's client.
#[cfg(feature = "tokio")]
pub async fn create_all_async(client: &zk_tokio::Client, path: &str) -> Result<()> {
    let mut machine = CreateAllMachine::new(path);
    crate::run::tokio::run_once(client, &mut machine, None)
        .await?
        .unwrap_or(Ok(()))
}

/// [`delete_all`] on zk-tokio's client.
#[cfg(feature = "tokio")]
pub async fn delete_all_async(client: &zk_tokio::Client, path: &str) -> Result<()> {
    let mut machine = DeleteAllMachine::new(path);
    crate::run::tokio::run_once(client, &mut machine, None)
        .await?
        .unwrap_or(Ok(()))
}
