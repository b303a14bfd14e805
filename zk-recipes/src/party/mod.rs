//! The party recipes: [`Party`] and [`ShallowParty`] (kazoo's), a group of members
//! each present while its session lives; [`PartyMachine`] is a member as a sans-IO
//! machine.
//!
//! Members of ours and kazoo's on the same path list each other. Each member is an
//! ephemeral node: a session's end (expiry, close) makes its members leave, and
//! nobody lists them then; a `join` on a new session joins again (the same node name,
//! made anew).

mod layout;
mod machine;
mod member;
mod members;

use std::time::Duration;

use zk_blocking::Result;

pub use machine::{PartyEvent, PartyMachine};

use layout::Layout;
use member::Member;

use crate::run::Driver;

/// The members of a group (kazoo's `Party`), interoperable with kazoo's on the same
/// path: each member an ephemeral node `<path>/<32 hex>__party__` holding its
/// identifier, so that identifiers may hold anything, and listing them reads each
/// member's node (see [`ShallowParty`] for one read).
///
/// [`Party::join`] makes the member's node (and the party's node when missing); it is
/// idempotent, and a create whose reply was lost is found made (its name is unique),
/// never made twice. [`Party::wait_members_change`] waits for the next change of the
/// members, which kazoo lacks.
///
/// ```no_run
/// # fn f(zk: &zk_blocking::SharedClient) -> zk_blocking::Result<()> {
/// use std::time::Duration;
/// let mut me = zk_recipes::Party::new("/services/workers", "worker-1");
/// let mut driver = zk.clone();
/// me.join(&mut driver)?;
/// println!("members: {:?}", me.members(&mut driver)?);
/// if let Some(now) = me.wait_members_change(&mut driver, Some(Duration::from_secs(5)))? {
///     println!("members changed: {now:?}");
/// }
/// me.leave(&mut driver)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Party {
    member: Member,
}

impl Party {
    /// A member, `identifier`, of the party at `path`.
    pub fn new(path: &str, identifier: &str) -> Party {
        Party {
            member: Member::new(path, Layout::Party, identifier),
        }
    }

    /// Joins the party (a member already is no error; after its session ended, joins
    /// again). Fails with [`zk_blocking::Error::InvalidPath`] for a path the client
    /// refuses, or the root.
    pub fn join<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.member.join(driver)
    }

    /// Leaves the party (a member that is not in it is no error).
    pub fn leave<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.member.leave(driver)
    }

    /// The members' identifiers, sorted; a member that leaves while they are read is
    /// left out. An empty list when the party's node is missing.
    pub fn members<D: Driver>(&mut self, driver: &mut D) -> Result<Vec<String>> {
        self.member.members(driver)
    }

    /// How many members there are.
    pub fn len<D: Driver>(&mut self, driver: &mut D) -> Result<usize> {
        self.member.len(driver)
    }

    /// Waits for the members to change from those last told (by
    /// [`Party::members`] or a wait; at the first wait, from those it reads) and
    /// returns them, sorted; `None` when `timeout` passed with no change. It keeps a
    /// children watch on the party's node between calls, and reads the members again
    /// after a reconnect (a change made meanwhile is told). Fails once the session
    /// ends; a wait on a new session watches afresh.
    pub fn wait_members_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<String>>> {
        self.member.wait_members_change(driver, timeout)
    }

    /// The party's path.
    pub fn path(&self) -> &str {
        self.member.path()
    }

    /// This member's node.
    pub fn node_path(&self) -> &str {
        self.member.node_path()
    }
}

#[cfg(feature = "tokio")]
impl Party {
    /// Like [`Party::join`], on zk-tokio's client. A future dropped before it
    /// finishes leaves a member that had not joined out (the node its create may make
    /// is deleted right behind it) and one that had joined in.
    pub async fn join_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.member.join_async(client).await
    }

    /// Like [`Party::leave`], on zk-tokio's client.
    pub async fn leave_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.member.leave_async(client).await
    }

    /// Like [`Party::members`], on zk-tokio's client.
    pub async fn members_async(&mut self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        self.member.members_async(client).await
    }

    /// Like [`Party::len`], on zk-tokio's client.
    pub async fn len_async(&mut self, client: &zk_tokio::Client) -> Result<usize> {
        self.member.len_async(client).await
    }

    /// Like [`Party::wait_members_change`], on zk-tokio's client; safe to drop (in
    /// `select!`, say): a later wait loses no change.
    pub async fn wait_members_change_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<String>>> {
        self.member.wait_members_change_async(client, timeout).await
    }
}

/// A [`Party`] whose identifiers are in the member nodes' names (kazoo's
/// `ShallowParty`), interoperable with kazoo's on the same path: each member an
/// ephemeral node `<path>/<32 hex>-<identifier>` (holding the identifier too), so
/// that listing the members is one read; an identifier cannot hold `/`.
#[derive(Debug)]
pub struct ShallowParty {
    member: Member,
}

impl ShallowParty {
    /// A member, `identifier`, of the shallow party at `path`.
    pub fn new(path: &str, identifier: &str) -> ShallowParty {
        ShallowParty {
            member: Member::new(path, Layout::Shallow, identifier),
        }
    }

    /// See [`Party::join`]; an identifier with a `/` fails with
    /// [`zk_blocking::Error::InvalidArgument`].
    pub fn join<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.member.join(driver)
    }

    /// See [`Party::leave`].
    pub fn leave<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.member.leave(driver)
    }

    /// The members' identifiers, sorted, from their nodes' names.
    pub fn members<D: Driver>(&mut self, driver: &mut D) -> Result<Vec<String>> {
        self.member.members(driver)
    }

    /// How many members there are.
    pub fn len<D: Driver>(&mut self, driver: &mut D) -> Result<usize> {
        self.member.len(driver)
    }

    /// See [`Party::wait_members_change`].
    pub fn wait_members_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<String>>> {
        self.member.wait_members_change(driver, timeout)
    }

    /// The party's path.
    pub fn path(&self) -> &str {
        self.member.path()
    }

    /// This member's node.
    pub fn node_path(&self) -> &str {
        self.member.node_path()
    }
}

#[cfg(feature = "tokio")]
impl ShallowParty {
    /// See [`Party::join_async`].
    pub async fn join_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.member.join_async(client).await
    }

    /// See [`Party::leave_async`].
    pub async fn leave_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.member.leave_async(client).await
    }

    /// See [`Party::members_async`].
    pub async fn members_async(&mut self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        self.member.members_async(client).await
    }

    /// See [`Party::len_async`].
    pub async fn len_async(&mut self, client: &zk_tokio::Client) -> Result<usize> {
        self.member.len_async(client).await
    }

    /// See [`Party::wait_members_change_async`].
    pub async fn wait_members_change_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<String>>> {
        self.member.wait_members_change_async(client, timeout).await
    }
}
