//! Reading a party's members' identifiers, as one machine for either layout: a
//! `Party`'s from its member nodes' data (a member that left meanwhile is left out),
//! a `ShallowParty`'s from the member nodes' names.

use zk_blocking::{Error, KeeperState};

use super::layout::{Layout, PARTY_MARKER, shallow_identifier};
use super::machine::{PartyEvent, PartyMachine};
use crate::lock::ContendersMachine;
use crate::machine::{Recipe, Reply, Submit, Token};

/// Reads the members once; outputs their identifiers, sorted.
#[derive(Debug)]
pub(crate) enum MembersMachine {
    /// A `Party`'s: each member node's data.
    Data(ContendersMachine),
    /// A `ShallowParty`'s: the member nodes' names.
    Names(PartyMachine),
}

impl MembersMachine {
    /// Starts reading the members of the party at `path`, laid out as `layout`.
    pub(crate) fn new(path: &str, layout: Layout) -> MembersMachine {
        match layout {
            Layout::Party => {
                MembersMachine::Data(ContendersMachine::children_containing(path, PARTY_MARKER))
            }
            Layout::Shallow => {
                let mut lister = PartyMachine::shallow(path, "");
                lister.list();
                MembersMachine::Names(lister)
            }
        }
    }
}

fn identifiers(event: PartyEvent) -> Result<Vec<String>, Error> {
    match event {
        PartyEvent::Listed(names) => Ok(names
            .iter()
            .map(|name| shallow_identifier(name).to_string())
            .collect()),
        PartyEvent::Failed(e) => Err(e),
        other => Err(Error::InvalidArgument(format!(
            "listing a party ended with {other:?}"
        ))),
    }
}

impl Recipe for MembersMachine {
    type Output = Result<Vec<String>, Error>;

    fn poll_submit(&mut self) -> Option<Submit> {
        match self {
            MembersMachine::Data(m) => m.poll_submit(),
            MembersMachine::Names(m) => m.poll_submit(),
        }
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        match self {
            MembersMachine::Data(m) => m.handle_reply(token, reply),
            MembersMachine::Names(m) => m.handle_reply(token, reply),
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        match self {
            MembersMachine::Data(m) => m.handle_session(state),
            MembersMachine::Names(m) => m.handle_session(state),
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        match self {
            MembersMachine::Data(m) => m.handle_session_end(error),
            MembersMachine::Names(m) => m.handle_session_end(error),
        }
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        let mut members = match self {
            MembersMachine::Data(m) => m.poll_output()?,
            MembersMachine::Names(m) => identifiers(m.poll_output()?),
        };
        if let Ok(list) = &mut members {
            list.sort();
        }
        Some(members)
    }

    fn awaiting_replies(&self) -> bool {
        match self {
            MembersMachine::Data(m) => m.awaiting_replies(),
            MembersMachine::Names(m) => m.awaiting_replies(),
        }
    }
}
