//! A model-based test of giving creates up with their nodes
//! (`Session::abandon_and_delete`): random creates (ephemeral or persistent,
//! sequential or not, each under a name of its own), random give-ups (of creates in
//! flight, and of creates whose ConnectionLoss the program took already, as a driver
//! holding replies for its callers does), replies and lost connections, against a
//! scripted server that keeps a tree. Once everything settles: every request not
//! given up got exactly one reply, those given up in flight none;
//! no node of a given-up sequential create is left (but a persistent one whose answer
//! was lost, which nothing can tell from another's; a fixed name is its caller's);
//! every node of a create not given up is still there; and nothing is left
//! outstanding.

mod common;

use bytes::Bytes;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use zk_proto::{
    CreateMode, CreateResponse, ErrorCode, ExistsResponse, GetChildrenResponse, Stat, WireRequest,
    WireResponse,
};
use zk_session::testing::{ClientFrame, FakeServer, Harness};
use zk_session::{Event, Request, RequestError, RequestId};

use common::{SID, T, config, stat};

#[derive(Debug, Clone)]
enum Action {
    Create {
        ephemeral: bool,
        sequential: bool,
    },
    GiveUp {
        pick: usize,
    },
    Flush,
    Reply {
        count: usize,
    },
    /// The connection drops; the server applied the first `applied` requests it read
    /// (their answers are lost), the rest never.
    Drop {
        applied: usize,
    },
    Reconnect,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (any::<bool>(), any::<bool>())
            .prop_map(|(ephemeral, sequential)| Action::Create { ephemeral, sequential }),
        3 => any::<usize>().prop_map(|pick| Action::GiveUp { pick }),
        3 => Just(Action::Flush),
        3 => (1usize..4).prop_map(|count| Action::Reply { count }),
        1 => (0usize..4).prop_map(|applied| Action::Drop { applied }),
        2 => Just(Action::Reconnect),
    ]
}

/// A node of the scripted server: whose it is (0: persistent) and its version.
struct Node {
    owner: i64,
}

struct Model {
    h: Harness,
    /// The server's tree under `/p`, by full path.
    tree: BTreeMap<String, Node>,
    next_sequence: i32,
    /// Read by the server, not yet answered.
    fifo: Vec<(i32, WireRequest)>,
    /// User creates: id → (the name's prefix, ephemeral, sequential).
    creates: HashMap<RequestId, (String, bool, bool)>,
    given_up: HashSet<RequestId>,
    /// Those of `given_up` given up after their ConnectionLoss was polled.
    given_up_late: HashSet<RequestId>,
    /// What the session remembers: the ephemeral sequential creates whose
    /// ConnectionLoss was polled and that are not given up, the last 64.
    remembered: VecDeque<RequestId>,
    /// Those of `given_up_late` the session no longer remembered: their node may stay.
    forgotten: HashSet<RequestId>,
    /// Events of `h.events` looked at for ConnectionLoss replies.
    seen: usize,
    /// The prefixes of creates the server applied whose answer was lost with a
    /// connection.
    lost: HashSet<String>,
    next_name: usize,
}

impl Model {
    fn new() -> Model {
        let mut h = Harness::new(config("a"));
        h.establish(T, SID);
        Model {
            h,
            tree: BTreeMap::new(),
            next_sequence: 0,
            fifo: Vec::new(),
            creates: HashMap::new(),
            given_up: HashSet::new(),
            given_up_late: HashSet::new(),
            remembered: VecDeque::new(),
            forgotten: HashSet::new(),
            seen: 0,
            lost: HashSet::new(),
            next_name: 0,
        }
    }

    fn step(&mut self, a: &Action) {
        match a {
            Action::Create {
                ephemeral,
                sequential,
            } => {
                let prefix = format!("/p/c{}-", self.next_name);
                self.next_name += 1;
                let mode = match (ephemeral, sequential) {
                    (true, true) => CreateMode::EphemeralSequential,
                    (true, false) => CreateMode::Ephemeral,
                    (false, true) => CreateMode::PersistentSequential,
                    (false, false) => CreateMode::Persistent,
                };
                let id = self
                    .h
                    .session
                    .submit(
                        Request::create(prefix.clone(), Bytes::new(), mode),
                        self.h.now,
                    )
                    .expect("accepted");
                self.creates.insert(id, (prefix, *ephemeral, *sequential));
                self.h.pump();
            }
            Action::GiveUp { pick } => {
                let replied = self.replied();
                let lost = self.lost_replies();
                let open: Vec<RequestId> = self
                    .creates
                    .keys()
                    .filter(|id| {
                        !self.given_up.contains(id) && (!replied.contains(id) || lost.contains(id))
                    })
                    .copied()
                    .collect();
                if let Some(&id) = open.iter().min_by_key(|id| id.as_u64() as usize ^ pick) {
                    self.note_lost();
                    let looked_for = self.h.session.abandon_and_delete(id, self.h.now);
                    if lost.contains(&id) {
                        let remembered = self.remembered.iter().position(|r| *r == id);
                        assert_eq!(looked_for, remembered.is_some(), "{id}");
                        match remembered {
                            Some(i) => drop(self.remembered.remove(i)),
                            None => drop(self.forgotten.insert(id)),
                        }
                        self.given_up_late.insert(id);
                    } else {
                        assert!(looked_for, "{id} was outstanding");
                    }
                    self.given_up.insert(id);
                    self.h.pump();
                }
            }
            Action::Flush => self.flush(),
            Action::Reply { count } => {
                for _ in 0..*count {
                    self.reply_one();
                }
            }
            Action::Drop { applied } => {
                if self.h.conn.is_some() {
                    let read = std::mem::take(&mut self.fifo);
                    for (_, request) in read.into_iter().take(*applied) {
                        if let WireRequest::Create(c) = &request {
                            self.lost.insert(prefix_of(&c.path));
                        }
                        // The answer is lost with the connection.
                        let _ = self.apply(&request);
                    }
                    self.h.server_close();
                }
            }
            Action::Reconnect => {
                if self.h.conn.is_none() {
                    self.h.establish(T, SID);
                }
            }
        }
    }

    fn replied(&self) -> HashSet<RequestId> {
        self.h
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Reply { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// Follows the session's table of lost creates through the replies polled since
    /// the last look.
    fn note_lost(&mut self) {
        let lost = self.h.events[self.seen..].iter().filter_map(|e| match e {
            Event::Reply {
                id,
                result: Err(RequestError::ConnectionLoss),
                ..
            } => Some(*id),
            _ => None,
        });
        for id in lost {
            if matches!(self.creates.get(&id), Some((_, true, true))) {
                if self.remembered.len() == 64 {
                    let oldest = self.remembered.pop_front();
                    self.forgotten.extend(oldest);
                }
                self.remembered.push_back(id);
            }
        }
        self.seen = self.h.events.len();
    }

    /// The creates whose reply the program polled is ConnectionLoss.
    fn lost_replies(&self) -> HashSet<RequestId> {
        self.h
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Reply {
                    id,
                    result: Err(RequestError::ConnectionLoss),
                    ..
                } => Some(*id),
                _ => None,
            })
            .collect()
    }

    fn flush(&mut self) {
        if self.h.conn.is_none() {
            return;
        }
        for f in self.h.flush() {
            if let ClientFrame::Request { xid, request } = f {
                match request {
                    WireRequest::Ping => {
                        self.h
                            .deliver(&FakeServer::reply(-2, 1, ErrorCode::Ok, None))
                    }
                    other => self.fifo.push((xid, other)),
                }
            }
        }
    }

    fn reply_one(&mut self) {
        if self.h.conn.is_none() || self.fifo.is_empty() {
            return;
        }
        let (xid, request) = self.fifo.remove(0);
        let frame = match self.apply(&request) {
            Ok(Some(body)) => FakeServer::ok(xid, 5, &body),
            Ok(None) => FakeServer::reply(xid, 5, ErrorCode::Ok, None),
            Err(code) => FakeServer::reply(xid, 5, code, None),
        };
        self.h.deliver(&frame);
    }

    /// What the server does with `request`: its answer's body, or its error.
    fn apply(&mut self, request: &WireRequest) -> Result<Option<WireResponse>, ErrorCode> {
        match request {
            WireRequest::Create(c) => {
                let path = if c.flags.is_sequential() {
                    self.next_sequence += 1;
                    format!("{}{:010}", c.path, self.next_sequence)
                } else {
                    c.path.clone()
                };
                if self.tree.contains_key(&path) {
                    return Err(ErrorCode::NodeExists);
                }
                let owner = if c.flags.is_ephemeral() { SID } else { 0 };
                self.tree.insert(path.clone(), Node { owner });
                Ok(Some(WireResponse::Create(CreateResponse { path })))
            }
            WireRequest::Delete(d) => match self.tree.remove(&d.path) {
                Some(_) => Ok(None),
                None => Err(ErrorCode::NoNode),
            },
            WireRequest::Exists(e) => match self.tree.get(&e.path) {
                Some(node) => Ok(Some(WireResponse::Exists(ExistsResponse {
                    stat: Stat {
                        ephemeral_owner: node.owner,
                        ..stat(0)
                    },
                }))),
                None => Err(ErrorCode::NoNode),
            },
            WireRequest::GetChildren(g) => {
                let under = format!("{}/", g.path);
                let children = self
                    .tree
                    .keys()
                    .filter_map(|p| p.strip_prefix(&under))
                    .map(str::to_string)
                    .collect();
                Ok(Some(WireResponse::GetChildren(GetChildrenResponse {
                    children,
                })))
            }
            WireRequest::Sync(s) => Ok(Some(WireResponse::Sync(zk_proto::SyncResponse {
                path: s.path.clone(),
            }))),
            WireRequest::SetWatches(_) | WireRequest::SetWatches2(_) => Ok(None),
            other => panic!("the session sent {other:?}"),
        }
    }

    /// Runs until nothing is left to write or answer, then checks the invariants.
    fn settle_and_check(mut self) {
        if self.h.conn.is_none() {
            self.h.establish(T, SID);
        }
        for _ in 0..200 {
            self.flush();
            if self.fifo.is_empty() && self.h.session.send_buf().is_empty() {
                break;
            }
            while !self.fifo.is_empty() {
                self.reply_one();
            }
        }
        assert_eq!(self.h.session.outstanding(), 0, "{:?}", self.fifo);
        let mut replies: HashMap<RequestId, usize> = HashMap::new();
        for e in &self.h.events {
            if let Event::Reply { id, .. } = e {
                *replies.entry(*id).or_default() += 1;
            }
        }
        for id in self.creates.keys() {
            let expected =
                usize::from(!self.given_up.contains(id) || self.given_up_late.contains(id));
            assert_eq!(replies.get(id).copied().unwrap_or(0), expected, "{id}");
        }
        assert!(
            replies.keys().all(|id| self.creates.contains_key(id)),
            "a reply for a request of the session's own: {replies:?}"
        );
        for (id, (prefix, ephemeral, sequential)) in &self.creates {
            let made: Vec<&String> = self
                .tree
                .keys()
                .filter(|p| prefix_of(p) == *prefix)
                .collect();
            if !self.given_up.contains(id) {
                continue;
            }
            // A fixed name is its caller's to delete; a lost persistent create's
            // node cannot be told from another's.
            // A create given up after its ConnectionLoss was polled, when the session no
            // longer remembered it, leaves its node until the session ends.
            let may_stay = !sequential
                || (!ephemeral && self.lost.contains(prefix))
                || self.forgotten.contains(id);
            assert!(
                made.is_empty() || may_stay,
                "{id} given up left {made:?} (ephemeral: {ephemeral})"
            );
        }
        let kept: usize = self
            .creates
            .iter()
            .filter(|(id, _)| !self.given_up.contains(id))
            .map(|(_, (prefix, ..))| self.tree.keys().filter(|p| prefix_of(p) == *prefix).count())
            .sum();
        let applied_kept = self
            .h
            .events
            .iter()
            .filter(|e| matches!(e, Event::Reply { result: Ok(_), .. }))
            .count();
        assert!(
            kept >= applied_kept,
            "a node of a create not given up was deleted: {kept} left, {applied_kept} made"
        );
    }
}

/// The prefix a create asked for, from the path of the node it made.
fn prefix_of(path: &str) -> String {
    let end = path.find('-').map_or(path.len(), |i| i + 1);
    path[..end].to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn given_up_creates_leave_no_node_and_the_others_are_untouched(
        actions in proptest::collection::vec(action(), 1..80),
    ) {
        let mut m = Model::new();
        for a in &actions {
            m.step(a);
        }
        m.settle_and_check();
    }
}
