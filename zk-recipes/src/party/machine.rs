//! A party member as a state machine: join (an ephemeral node with a unique name,
//! its parents made when missing), leave (delete it) and list the members' nodes.
//!
//! The member's node name is unique and not sequential, so a create whose reply is
//! lost (ConnectionLoss) is simply sent again: NodeExists then says the lost create
//! made it, and no second node is ever made. A delete whose reply is lost is sent
//! again the same way (NoNode: it is gone).

use std::collections::VecDeque;

use bytes::Bytes;
use zk_blocking::{CreateMode, Error, KeeperState, Request, Response, Version};

use super::layout::Layout;
use crate::ensure::{EnsurePath, Ensured, check_path, check_recipe_path};
use crate::machine::{Abandon, Outbox, Recipe, Reply, Submit, Token};

/// What a [`PartyMachine`] tells.
#[derive(Debug, Clone, PartialEq)]
pub enum PartyEvent {
    /// The member's node is there (made now, or found made).
    Joined,
    /// The member's node is gone (deleted now, or found gone).
    Left,
    /// The names of the party's member nodes, sorted (none when the party's node is
    /// missing).
    Listed(Vec<String>),
    /// The operation failed.
    Failed(Error),
}

/// Where the machine is.
#[derive(Debug, Clone)]
enum Phase {
    Idle,
    /// The member's create is out.
    Joining,
    /// Creating the party's node (and its parents), then the member's again.
    CreatingParents(EnsurePath),
    /// The member's delete is out.
    Leaving,
    /// getChildren of the party's node is out.
    Listing,
}

/// One member of a party (kazoo's `Party` or `ShallowParty`, as its layout says) as
/// a machine: each [`PartyMachine::join`], [`PartyMachine::leave`] or
/// [`PartyMachine::list`] ends with one [`PartyEvent`].
#[derive(Debug)]
pub struct PartyMachine {
    path: String,
    layout: Layout,
    /// The member's node, `<path>/<name>`.
    node: String,
    identifier: Bytes,
    /// The last join or leave told: joined (a join given up half-way then leaves the
    /// membership as it was).
    joined: bool,
    phase: Phase,
    outbox: Outbox,
    outputs: VecDeque<PartyEvent>,
}

impl PartyMachine {
    /// A member of kazoo's `Party` at `path`: node `<32 hex>__party__` holding
    /// `identifier`.
    pub fn party(path: &str, identifier: &str) -> PartyMachine {
        PartyMachine::new(path, Layout::Party, identifier)
    }

    /// A member of kazoo's `ShallowParty` at `path`: node `<32 hex>-<identifier>`
    /// (holding the identifier too, as kazoo's do).
    pub fn shallow(path: &str, identifier: &str) -> PartyMachine {
        PartyMachine::new(path, Layout::Shallow, identifier)
    }

    fn new(path: &str, layout: Layout, identifier: &str) -> PartyMachine {
        PartyMachine {
            path: path.to_string(),
            node: format!("{path}/{}", layout.new_node_name(identifier)),
            layout,
            identifier: Bytes::copy_from_slice(identifier.as_bytes()),
            joined: false,
            phase: Phase::Idle,
            outbox: Outbox::default(),
            outputs: VecDeque::new(),
        }
    }

    /// The party's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of this member's node (the same for every join).
    pub fn node_path(&self) -> &str {
        &self.node
    }

    /// Starts joining: creates the member's ephemeral node (and the party's node when
    /// missing); joining while a member is no error. Ignored while another operation
    /// is under way. A path the client would refuse (or the root), or a shallow
    /// member's identifier with a `/`, fails with [`Error::InvalidPath`] or
    /// [`Error::InvalidArgument`], sending nothing.
    pub fn join(&mut self) {
        self.start(Self::check, Self::create);
    }

    /// Starts leaving: deletes the member's node (leaving while not a member is no
    /// error). Ignored while another operation is under way.
    pub fn leave(&mut self) {
        self.start(Self::check, Self::delete);
    }

    /// Starts listing the member nodes of the party (kazoo's members: for a `Party`
    /// the children named `...__party__`, for a `ShallowParty` every child). Ignored
    /// while another operation is under way.
    pub fn list(&mut self) {
        self.start(|m| check_recipe_path(&m.path), Self::request_children);
    }

    /// Starts an operation, when none is under way: its first request, unless `check`
    /// finds that none can be made.
    fn start(&mut self, check: fn(&Self) -> Result<(), Error>, first: fn(&mut Self)) {
        if !matches!(self.phase, Phase::Idle) {
            return;
        }
        match check(self) {
            Ok(()) => first(self),
            Err(invalid) => self.finish(PartyEvent::Failed(invalid)),
        }
    }

    fn check(&self) -> Result<(), Error> {
        check_recipe_path(&self.path)?;
        self.layout.check_identifier(&self.identifier)?;
        check_path(&self.node)
    }

    fn send(&mut self, phase: Phase, request: Request) {
        self.phase = phase;
        self.outbox.send_awaited(request);
    }

    fn finish(&mut self, event: PartyEvent) {
        match event {
            PartyEvent::Joined => self.joined = true,
            PartyEvent::Left => self.joined = false,
            _ => {}
        }
        self.phase = Phase::Idle;
        self.outbox.forget_awaited();
        self.outputs.push_back(event);
    }

    fn create(&mut self) {
        let request = Request::create(&self.node, self.identifier.clone(), CreateMode::Ephemeral);
        self.send(Phase::Joining, request);
    }

    fn request_children(&mut self) {
        self.send(Phase::Listing, Request::get_children(&self.path, false));
    }

    fn delete(&mut self) {
        self.send(Phase::Leaving, Request::delete(&self.node, Version::Any));
    }

    fn on_created(&mut self, reply: Reply) {
        match reply {
            // NodeExists: a lost create made it, or an earlier join did.
            Ok(_) | Err(Error::NodeExists { .. }) => self.finish(PartyEvent::Joined),
            Err(Error::ConnectionLoss) => self.create(),
            Err(Error::NoNode { .. }) => {
                let mut ensure = EnsurePath::new(&self.path);
                self.ensure_step(&mut ensure, None);
            }
            Err(e) => self.finish(PartyEvent::Failed(e)),
        }
    }

    fn ensure_step(&mut self, ensure: &mut EnsurePath, reply: Option<Reply>) {
        let step = match reply {
            None => ensure.start(),
            Some(reply) => ensure.on_reply(reply),
        };
        match step {
            Ensured::Next(request) => self.send(Phase::CreatingParents(ensure.clone()), request),
            Ensured::Done => self.create(),
            Ensured::Failed(e) => self.finish(PartyEvent::Failed(e)),
        }
    }

    fn on_deleted(&mut self, reply: Reply) {
        match reply {
            Ok(_) | Err(Error::NoNode { .. }) => self.finish(PartyEvent::Left),
            Err(Error::ConnectionLoss) => self.delete(),
            Err(e) => self.finish(PartyEvent::Failed(e)),
        }
    }

    fn on_listed(&mut self, reply: Reply) {
        match reply {
            Ok((Response::GetChildren { children, .. }, _)) => {
                let mut members: Vec<String> = children
                    .into_iter()
                    .filter(|name| self.layout.is_member(name))
                    .collect();
                members.sort();
                self.finish(PartyEvent::Listed(members));
            }
            Err(Error::NoNode { .. }) => self.finish(PartyEvent::Listed(Vec::new())),
            Err(Error::ConnectionLoss) => self.request_children(),
            Err(e) => self.finish(PartyEvent::Failed(e)),
            Ok((other, _)) => self.finish(PartyEvent::Failed(Error::InvalidArgument(format!(
                "getChildren answered with {other:?}"
            )))),
        }
    }
}

impl Abandon for PartyMachine {
    /// A join given up half-way by a member not yet joined deletes the member's node
    /// its create may make (the delete goes out behind the create, so it deletes what
    /// that makes, and before any later join's create); a member that had joined stays
    /// one. The next operation starts afresh.
    fn abandon(&mut self) -> Vec<Request> {
        let joining = matches!(self.phase, Phase::Joining | Phase::CreatingParents(_));
        self.phase = Phase::Idle;
        self.outbox.clear();
        self.outputs.clear();
        if joining && !self.joined {
            vec![Request::delete(&self.node, Version::Any)]
        } else {
            Vec::new()
        }
    }
}

impl Recipe for PartyMachine {
    type Output = PartyEvent;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Joining => self.on_created(reply),
            Phase::CreatingParents(mut ensure) => self.ensure_step(&mut ensure, Some(reply)),
            Phase::Leaving => self.on_deleted(reply),
            Phase::Listing => self.on_listed(reply),
            Phase::Idle => {}
        }
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(error) = crate::machine::session_end(state) {
            self.handle_session_end(error);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        if !matches!(self.phase, Phase::Idle) {
            self.finish(PartyEvent::Failed(error));
        }
    }

    fn poll_output(&mut self) -> Option<PartyEvent> {
        self.outputs.pop_front()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(m: &mut PartyMachine) {
        m.join();
        let create = m.poll_submit().expect("the member's create");
        let node = m.node_path().to_string();
        m.handle_reply(
            create.token,
            Ok((
                Response::Create {
                    path: node,
                    stat: None,
                },
                None,
            )),
        );
        assert_eq!(m.poll_output(), Some(PartyEvent::Joined));
    }

    #[test]
    fn a_join_given_up_half_way_deletes_the_node_its_create_may_make() {
        let mut m = PartyMachine::party("/party", "me");
        m.join();
        assert!(m.poll_submit().is_some(), "the create is out");
        assert_eq!(
            m.abandon(),
            [Request::delete(m.node_path(), Version::Any)],
            "queued behind the create, before any later join's"
        );
    }

    #[test]
    fn a_join_given_up_by_a_member_leaves_it_a_member() {
        let mut m = PartyMachine::party("/party", "me");
        joined(&mut m);
        m.join();
        assert!(m.poll_submit().is_some());
        assert!(m.abandon().is_empty());
    }
}
