//! Whole-path utilities: [`create_all`] (`mkdir -p`) and [`delete_all`] (`rm -r`),
//! each a machine run on any client.

mod create_all;
mod delete_all;

use zk_blocking::Result;

pub use create_all::CreateAllMachine;
pub use delete_all::DeleteAllMachine;

use crate::run::Driver;

/// Creates `path` and its missing parents (persistent, open ACL, no data); nodes that
/// exist already, or that others create meanwhile, are fine.
pub fn create_all<D: Driver>(driver: &mut D, path: &str) -> Result<()> {
    let mut machine = CreateAllMachine::new(path);
    driver.run(&mut machine, None)?.unwrap_or(Ok(()))
}

/// Deletes `path` and everything below it; nodes others delete meanwhile are fine,
/// and nodes they add meanwhile are deleted too. `Ok` also when `path` is missing.
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
