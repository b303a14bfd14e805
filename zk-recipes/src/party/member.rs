//! What `Party` and `ShallowParty` share: a member's machine, the reading of the
//! members, and the wait for their next change (a children watch on the party's node,
//! each change read into identifiers and told when they differ from the last told).

use std::time::{Duration, Instant};

use zk_blocking::{Error, Result};

use super::layout::Layout;
use super::machine::{PartyEvent, PartyMachine};
use super::members::MembersMachine;
use crate::NodeWatch;
use crate::run::{Driver, InFlight};

#[derive(Debug)]
pub(crate) struct Member {
    machine: PartyMachine,
    layout: Layout,
    /// The children watch of the waits, made on the first; dropped when the session
    /// ends, so that a wait on a new session watches afresh.
    watch: Option<NodeWatch>,
    /// The members last told (by `members` or a wait): a wait tells a change from them.
    seen: Option<Vec<String>>,
    /// The watch told a change whose members are not read yet (a wait cut short, by
    /// an error or a dropped future, reads them first next time).
    stale: bool,
    /// A wait's reading of the members that its timeout cut short, and its request
    /// still out: the next wait goes on with it (asking nothing twice).
    reading: Option<(MembersMachine, InFlight)>,
}

impl Member {
    pub(crate) fn new(path: &str, layout: Layout, identifier: &str) -> Member {
        let machine = match layout {
            Layout::Party => PartyMachine::party(path, identifier),
            Layout::Shallow => PartyMachine::shallow(path, identifier),
        };
        Member {
            machine,
            layout,
            watch: None,
            seen: None,
            stale: false,
            reading: None,
        }
    }

    pub(crate) fn path(&self) -> &str {
        self.machine.path()
    }

    pub(crate) fn node_path(&self) -> &str {
        self.machine.node_path()
    }

    pub(crate) fn join<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.machine.join();
        expect(driver.run(&mut self.machine, None)?, PartyEvent::Joined)
    }

    pub(crate) fn leave<D: Driver>(&mut self, driver: &mut D) -> Result<()> {
        self.machine.leave();
        expect(driver.run(&mut self.machine, None)?, PartyEvent::Left)
    }

    pub(crate) fn members<D: Driver>(&mut self, driver: &mut D) -> Result<Vec<String>> {
        let mut reading = MembersMachine::new(self.path(), self.layout);
        let members = answer(driver.run(&mut reading, None)?)?;
        self.seen = Some(members.clone());
        Ok(members)
    }

    pub(crate) fn len<D: Driver>(&mut self, driver: &mut D) -> Result<usize> {
        self.machine.list();
        listed(driver.run(&mut self.machine, None)?)
    }

    pub(crate) fn wait_members_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<String>>> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            if self.stale {
                let (path, layout) = (self.path().to_string(), self.layout);
                let (reading, in_flight) = self.reading.get_or_insert_with(|| {
                    (MembersMachine::new(&path, layout), InFlight::default())
                });
                // A slow server's answer may take longer than the wait: it is heard by
                // the next wait.
                let Some(members) = driver.run_keeping(reading, deadline, in_flight)? else {
                    return Ok(None);
                };
                self.reading = None;
                if let Some(changed) = self.compare(members)? {
                    return Ok(Some(changed));
                }
            }
            let left = deadline.map(|at| at.saturating_duration_since(Instant::now()));
            let path = self.machine.path();
            let watch = self.watch.get_or_insert_with(|| NodeWatch::children(path));
            match watch.next(driver, left) {
                Ok(Some(_)) => self.stale = true,
                Ok(None) => return Ok(None),
                Err(e) => return Err(self.watch_failed(e)),
            }
        }
    }

    /// The members just read, against those last told: the new ones when they
    /// differ (none were told yet: they are the ones a change is told from).
    fn compare(&mut self, read: Result<Vec<String>>) -> Result<Option<Vec<String>>> {
        let members = read?;
        self.stale = false;
        let changed = self.seen.as_ref().is_some_and(|seen| *seen != members);
        self.seen = Some(members.clone());
        Ok(changed.then_some(members))
    }

    /// A watch that failed with `e`: gone with the session, so that a later wait (on
    /// a new session) watches afresh.
    fn watch_failed(&mut self, e: Error) -> Error {
        if e.is_session_over() {
            self.watch = None;
        }
        e
    }
}

#[cfg(feature = "tokio")]
impl Member {
    pub(crate) async fn join_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.machine.join();
        let outcome = crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?;
        expect(outcome, PartyEvent::Joined)
    }

    pub(crate) async fn leave_async(&mut self, client: &zk_tokio::Client) -> Result<()> {
        self.machine.leave();
        let outcome = crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?;
        expect(outcome, PartyEvent::Left)
    }

    pub(crate) async fn members_async(&mut self, client: &zk_tokio::Client) -> Result<Vec<String>> {
        let mut reading = MembersMachine::new(self.path(), self.layout);
        let members = answer(crate::run::tokio::run_once(client, &mut reading, None).await?)?;
        self.seen = Some(members.clone());
        Ok(members)
    }

    pub(crate) async fn len_async(&mut self, client: &zk_tokio::Client) -> Result<usize> {
        self.machine.list();
        listed(crate::run::tokio::run_abandoning(client, &mut self.machine, None).await?)
    }

    pub(crate) async fn wait_members_change_async(
        &mut self,
        client: &zk_tokio::Client,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<String>>> {
        let changed = self.members_changed_async(client);
        match timeout {
            Some(timeout) => tokio::time::timeout(timeout, changed)
                .await
                .unwrap_or(Ok(None)),
            None => changed.await,
        }
    }

    /// Waits for the next change; safe to drop (a change the watch told and whose
    /// members were not read yet is read by the next wait).
    async fn members_changed_async(
        &mut self,
        client: &zk_tokio::Client,
    ) -> Result<Option<Vec<String>>> {
        loop {
            if self.stale {
                let mut reading = MembersMachine::new(self.path(), self.layout);
                let members =
                    answer(crate::run::tokio::run_once(client, &mut reading, None).await?);
                if let Some(changed) = self.compare(members)? {
                    return Ok(Some(changed));
                }
            }
            let path = self.machine.path();
            let watch = self.watch.get_or_insert_with(|| NodeWatch::children(path));
            match watch.next_async(client).await {
                Ok(Some(_)) => self.stale = true,
                Ok(None) => return Ok(None),
                Err(e) => return Err(self.watch_failed(e)),
            }
        }
    }
}

/// The one outcome an operation ends with, as the caller's result.
fn expect(event: Option<PartyEvent>, wanted: PartyEvent) -> Result<()> {
    match event {
        Some(event) if event == wanted => Ok(()),
        Some(PartyEvent::Failed(e)) => Err(e),
        other => Err(Error::InvalidArgument(format!(
            "a party operation waiting for {wanted:?} ended with {other:?}"
        ))),
    }
}

fn listed(event: Option<PartyEvent>) -> Result<usize> {
    match event {
        Some(PartyEvent::Listed(names)) => Ok(names.len()),
        Some(PartyEvent::Failed(e)) => Err(e),
        other => Err(Error::InvalidArgument(format!(
            "listing a party ended with {other:?}"
        ))),
    }
}

fn answer(read: Option<Result<Vec<String>>>) -> Result<Vec<String>> {
    read.unwrap_or_else(|| {
        Err(Error::InvalidArgument(
            "reading a party's members stopped without an answer".to_string(),
        ))
    })
}
