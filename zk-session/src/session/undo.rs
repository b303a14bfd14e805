//! Undoing what a given-up sequential create may have made
//! ([`super::Session::abandon_and_delete`]): a recipe dropped while its create is out
//! must not leave the node behind, holding others up (a lock's contender node) until
//! the session ends. The requests that undo it are the session's own: abandoned from
//! their submit, their results come back here and decide the next step.
//!
//! Only sequential creates: the server picks their names, so the node one made is
//! nobody else's, whatever is created after it. (A fixed name may be created again
//! meanwhile, by a retry or by another session, and a delete would take that node:
//! only the caller can order a delete after its create.)
//!
//! A create answered with its node: that node is deleted. A create whose answer was
//! lost (the connection dropped, or its time ran out) may or may not have been
//! applied: an ephemeral node says whose it is, so the parent's children named like
//! it are looked at (after a sync: the server may lag behind the one that applied
//! it) and deleted when this session owns them. A lost persistent create is left
//! alone: nothing tells this session's node from another's.
//!
//! A driver may have taken a lost create's answer (ConnectionLoss, RequestTimeout)
//! before its caller gave the create up: the session no longer holds the request.
//! The most recent such ephemeral sequential creates not given up are remembered
//! ([`LOST_CREATES_KEPT`] of them, until the session ends), so that giving one up
//! then still looks for its node.

use std::collections::VecDeque;
use std::mem;

use zk_proto::{CreateMode, ErrorCode, WireRequest};

use crate::chroot::Chroot;
use crate::error::RequestError;
use crate::id::RequestId;
use crate::request::{Prepared, Request, Response};
use crate::version::Version;

/// Digits the server appends to a sequential node's name (`%010d`; a counter that
/// wrapped is negative, and `i32::MIN` takes one character more).
const SEQUENCE_LEN: usize = 10;

/// Lost ephemeral sequential creates remembered in case their caller gives them up
/// after their answer was taken (the most recent; an older one is forgotten, its node
/// then left until the session ends, as before any was remembered).
pub(super) const LOST_CREATES_KEPT: usize = 64;

/// What a given-up request's result decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// A sequential create of `path` (the client path asked for: the name's prefix).
    Create { path: String, ephemeral: bool },
    /// A sync before a look at `path` (the server catches up with the one that may
    /// have applied a lost create); its result decides nothing.
    Sync { path: String },
    /// The listing of a sequential create's parent: its children named `prefix` and a
    /// sequence number may be the node.
    List { parent: String, prefix: String },
    /// The stat of a node that may be this session's: deleted if it is.
    Stat { path: String },
    /// The delete itself.
    Delete { path: String, version: Version },
}

impl Step {
    /// The step a given-up `request` decides, if it is a sequential create.
    pub(super) fn for_create(request: &Prepared, chroot: &Chroot) -> Option<Step> {
        let mode = create_mode(request)?;
        mode.is_sequential().then(|| Step::Create {
            path: request.client_path(chroot).to_string(),
            ephemeral: mode.is_ephemeral(),
        })
    }

    /// The step of `request`, if it is an ephemeral sequential create: one whose
    /// node can be looked for when its answer was lost.
    pub(super) fn for_lost_create(request: &Prepared, chroot: &Chroot) -> Option<Step> {
        let mode = create_mode(request)?;
        (mode.is_sequential() && mode.is_ephemeral()).then(|| Step::Create {
            path: request.client_path(chroot).to_string(),
            ephemeral: true,
        })
    }

    /// The request that carries this step out (a create is never asked again).
    fn request(&self) -> Option<Request> {
        match self {
            Step::Create { .. } => None,
            Step::Sync { path } => Some(Request::Sync { path: path.clone() }),
            Step::List { parent, .. } => Some(Request::GetChildren {
                path: parent.clone(),
                watch: false,
                with_stat: false,
            }),
            Step::Stat { path } => Some(Request::Exists {
                path: path.clone(),
                watch: false,
            }),
            Step::Delete { path, version } => Some(Request::Delete {
                path: path.clone(),
                version: *version,
            }),
        }
    }
}

/// The mode of a create.
fn create_mode(request: &Prepared) -> Option<CreateMode> {
    match &request.wire {
        WireRequest::Create(c) | WireRequest::Create2(c) | WireRequest::CreateContainer(c) => {
            Some(c.flags)
        }
        WireRequest::CreateTtl(c) => Some(c.flags),
        _ => None,
    }
}

/// A step to submit, and its request.
#[derive(Debug)]
pub(super) struct FollowUp {
    pub(super) request: Request,
    pub(super) step: Step,
}

/// The given-up requests whose results decide a step, and the steps ready to submit.
#[derive(Debug, Default)]
pub(super) struct Undos {
    /// Abandoned requests, with what their result decides.
    waiting: Vec<(RequestId, Step)>,
    /// Requests to submit at the session's next chance.
    ready: Vec<FollowUp>,
    /// Deletes a read-only server refused: asked again on the next read-write
    /// connection (asking the same server again would only be refused again).
    parked: Vec<Step>,
    /// Ephemeral sequential creates not given up whose answer was lost (its reply the
    /// program's), oldest first, at most [`LOST_CREATES_KEPT`]: looked for if given
    /// up after all (see [`Undos::look_for_lost`]).
    lost: VecDeque<(RequestId, Step)>,
}

impl Undos {
    /// Nothing waits and nothing is ready: the common case, one check. (Lost creates
    /// remembered wait for nothing: only a give-up looks at them.)
    pub(super) fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.ready.is_empty() && self.parked.is_empty()
    }

    /// The session is connected to a read-write server: the deletes a read-only one
    /// refused are ready again.
    pub(super) fn unpark(&mut self) {
        for step in std::mem::take(&mut self.parked) {
            self.queue(step);
        }
    }

    /// Whether steps wait to be submitted.
    #[inline]
    pub(super) fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// `id` (abandoned) decides `step` when its result comes.
    pub(super) fn wait_for(&mut self, id: RequestId, step: Step) {
        self.waiting.push((id, step));
    }

    /// A given-up create's reply, taken back before anyone read it, named `path`:
    /// deleted when the name ends with a sequence number (a sequential create's, which
    /// nobody else's create can have made). Whether it was.
    pub(super) fn delete_created(&mut self, path: String) -> bool {
        if !ends_with_sequence(&path) {
            return false;
        }
        self.queue(Step::Delete {
            path,
            version: Version::Any,
        });
        true
    }

    /// `id`, an ephemeral sequential create not given up (`step`), failed with a lost
    /// answer (ConnectionLoss, RequestTimeout): remembered, the most recent
    /// [`LOST_CREATES_KEPT`] only, in case it is given up once its reply was taken.
    pub(super) fn remember_lost(&mut self, id: RequestId, step: Step) {
        if self.lost.len() == LOST_CREATES_KEPT {
            self.lost.pop_front();
        }
        self.lost.push_back((id, step));
    }

    /// `id` is given up after its lost answer came: if it is a lost create remembered,
    /// its node is looked for (and forgotten here). Whether it is.
    pub(super) fn look_for_lost(&mut self, id: RequestId) -> bool {
        let Some(i) = self.lost.iter().position(|(l, _)| *l == id) else {
            return false;
        };
        let (_, step) = self.lost.remove(i).expect("the position was found");
        self.look_for(step);
        true
    }

    /// The result of `id`, an abandoned request, came: queues what it decides.
    /// `session_id` tells this session's ephemeral nodes.
    pub(super) fn settle(
        &mut self,
        id: RequestId,
        result: &Result<Response, RequestError>,
        session_id: i64,
    ) {
        let Some(i) = self.waiting.iter().position(|(w, _)| *w == id) else {
            return;
        };
        let (_, step) = self.waiting.swap_remove(i);
        self.follow(step, result, session_id);
    }

    /// `id` never reached the server (dropped with its connection, unsent): a
    /// create made nothing; a step of the session's own is asked again.
    pub(super) fn unsent(&mut self, id: RequestId) {
        let Some(i) = self.waiting.iter().position(|(w, _)| *w == id) else {
            return;
        };
        let (_, step) = self.waiting.swap_remove(i);
        self.queue(step);
    }

    /// The steps to submit now.
    pub(super) fn take_ready(&mut self) -> Vec<FollowUp> {
        mem::take(&mut self.ready)
    }

    /// The session ended: its ephemeral nodes went with it, and nothing can be asked.
    pub(super) fn clear(&mut self) {
        self.waiting.clear();
        self.ready.clear();
        self.parked.clear();
        self.lost.clear();
    }

    /// A step whose answer was lost is asked again, as often as that happens: each
    /// time takes a lost connection or a request timeout, and the session's end stops
    /// it. (A create is never asked again: its node is looked for instead.)
    fn follow(&mut self, step: Step, result: &Result<Response, RequestError>, session_id: i64) {
        // SessionMoved: the session went on on another server meanwhile.
        let lost = matches!(
            result,
            Err(RequestError::ConnectionLoss
                | RequestError::RequestTimeout
                | RequestError::Server {
                    code: ErrorCode::SessionMoved,
                    ..
                })
        );
        match (step, result) {
            (Step::Create { .. }, Ok(Response::Create { path, .. })) => {
                self.queue(Step::Delete {
                    path: path.clone(),
                    version: Version::Any,
                });
            }
            (
                step @ Step::Create {
                    ephemeral: true, ..
                },
                _,
            ) if lost => self.look_for(step),
            // Answered otherwise, or lost and persistent: nothing to undo.
            (Step::Create { .. }, _) => {}
            (Step::List { parent, prefix }, Ok(Response::GetChildren { children, .. })) => {
                for child in children.iter().filter(|c| is_sequence_of(c, &prefix)) {
                    self.queue(Step::Stat {
                        path: join(&parent, child),
                    });
                }
            }
            (Step::Stat { path }, Ok(Response::Exists(Some(stat))))
                if stat.ephemeral_owner == session_id =>
            {
                self.queue(Step::Delete {
                    path,
                    version: Version::Exact(stat.version),
                });
            }
            (
                step @ Step::Delete { .. },
                Err(RequestError::Server {
                    code: ErrorCode::NotReadOnly,
                    ..
                }),
            ) => self.parked.push(step),
            // The look it comes before is asked again with a sync of its own.
            (Step::Sync { .. }, _) => {}
            (step @ (Step::List { .. } | Step::Stat { .. }), _) if lost => self.queue_synced(step),
            (step, _) if lost => self.queue(step),
            _ => {}
        }
    }

    /// A lost ephemeral create's node is looked for: its parent's children named like
    /// it, listed after a sync.
    fn look_for(&mut self, create: Step) {
        if let Step::Create {
            path,
            ephemeral: true,
        } = create
        {
            let (parent, prefix) = split_parent(&path);
            self.queue_synced(Step::List { parent, prefix });
        }
    }

    fn queue(&mut self, step: Step) {
        if let Some(request) = step.request() {
            self.ready.push(FollowUp { request, step });
        }
    }

    /// Queues a look (a listing or a stat) behind a sync of its path: on a connection
    /// other than the lost one, the server may lag behind the one that applied the
    /// create, and requests are carried out in order.
    fn queue_synced(&mut self, look: Step) {
        let path = match &look {
            Step::List { parent, .. } => parent.clone(),
            Step::Stat { path } => path.clone(),
            _ => return self.queue(look),
        };
        self.queue(Step::Sync { path });
        self.queue(look);
    }
}

/// A sequential create's client path split into its parent and the name's prefix.
fn split_parent(path: &str) -> (String, String) {
    match path.rfind('/') {
        Some(0) => ("/".to_string(), path[1..].to_string()),
        Some(i) => (path[..i].to_string(), path[i + 1..].to_string()),
        None => ("/".to_string(), path.to_string()),
    }
}

fn join(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// Whether the node `path` names ends with a sequence number.
fn ends_with_sequence(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    [SEQUENCE_LEN, SEQUENCE_LEN + 1].into_iter().any(|len| {
        name.len() >= len
            && name.is_char_boundary(name.len() - len)
            && is_sequence_of(name, &name[..name.len() - len])
    })
}

/// Whether `name` is `prefix` followed by a sequence number (negative once the
/// parent's counter wrapped).
fn is_sequence_of(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|rest| {
        let digits = rest.strip_prefix('-').unwrap_or(rest);
        let len = if digits.len() < rest.len() {
            // `-` and nine digits, or `-2147483648`.
            SEQUENCE_LEN - 1..=SEQUENCE_LEN
        } else {
            SEQUENCE_LEN..=SEQUENCE_LEN
        };
        len.contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_proto::Stat;

    const SESSION: i64 = 0x1234;

    fn id(n: u64) -> RequestId {
        RequestId::from_u64(n)
    }

    fn ephemeral_create(path: &str) -> Step {
        Step::Create {
            path: path.to_string(),
            ephemeral: true,
        }
    }

    fn sync(path: &str) -> Step {
        Step::Sync {
            path: path.to_string(),
        }
    }

    fn stat(path: &str) -> Step {
        Step::Stat {
            path: path.to_string(),
        }
    }

    fn settled(step: Step, result: Result<Response, RequestError>) -> Vec<Step> {
        let mut undos = Undos::default();
        undos.wait_for(id(1), step);
        undos.settle(id(1), &result, SESSION);
        undos.take_ready().into_iter().map(|f| f.step).collect()
    }

    fn stat_owned_by(owner: i64, version: i32) -> Stat {
        Stat {
            ephemeral_owner: owner,
            version,
            ..Stat::default()
        }
    }

    #[test]
    fn a_create_answered_with_its_node_is_followed_by_its_delete() {
        let created = Ok(Response::Create {
            path: "/locks/_c_ab-lock-0000000007".to_string(),
            stat: None,
        });
        assert_eq!(
            settled(ephemeral_create("/locks/_c_ab-lock-"), created),
            [Step::Delete {
                path: "/locks/_c_ab-lock-0000000007".to_string(),
                version: Version::Any,
            }]
        );
    }

    #[test]
    fn a_create_the_server_refused_needs_nothing_undone() {
        let refused = Err(RequestError::Server {
            code: zk_proto::ErrorCode::NodeExists,
            path: Some("/a".to_string()),
            chroot: None,
        });
        assert!(settled(ephemeral_create("/a-"), refused).is_empty());
    }

    #[test]
    fn a_lost_sequential_ephemeral_create_lists_its_parent_after_a_sync() {
        for lost in [RequestError::ConnectionLoss, RequestError::RequestTimeout] {
            assert_eq!(
                settled(ephemeral_create("/locks/_c_ab-lock-"), Err(lost)),
                [
                    sync("/locks"),
                    Step::List {
                        parent: "/locks".to_string(),
                        prefix: "_c_ab-lock-".to_string(),
                    }
                ]
            );
        }
    }

    #[test]
    fn a_lost_look_is_asked_again_after_a_sync() {
        assert_eq!(
            settled(
                stat("/locks/n-0000000001"),
                Err(RequestError::ConnectionLoss)
            ),
            [sync("/locks/n-0000000001"), stat("/locks/n-0000000001")]
        );
    }

    #[test]
    fn a_delete_a_read_only_server_refused_waits_for_a_read_write_one() {
        let mut undos = Undos::default();
        let delete = Step::Delete {
            path: "/a-0000000001".to_string(),
            version: Version::Any,
        };
        undos.wait_for(id(1), delete.clone());
        let refused = Err(RequestError::Server {
            code: ErrorCode::NotReadOnly,
            path: None,
            chroot: None,
        });
        undos.settle(id(1), &refused, SESSION);
        assert!(undos.take_ready().is_empty() && !undos.is_idle());
        undos.unpark();
        let ready = undos.take_ready();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].step, delete);
    }

    #[test]
    fn a_lost_sync_is_not_asked_again_on_its_own() {
        assert!(settled(sync("/locks"), Err(RequestError::ConnectionLoss)).is_empty());
    }

    #[test]
    fn a_lost_persistent_create_is_left_alone() {
        let persistent = Step::Create {
            path: "/queue/item-".to_string(),
            ephemeral: false,
        };
        assert!(settled(persistent, Err(RequestError::ConnectionLoss)).is_empty());
    }

    #[test]
    fn the_listing_stats_only_the_children_named_like_the_create() {
        let listing = Ok(Response::GetChildren {
            children: vec![
                "_c_ab-lock-0000000007".to_string(),
                "_c_cd-lock-0000000008".to_string(),
                "_c_ab-lock-".to_string(),
                "_c_ab-lock-00000000091".to_string(),
                "_c_ab-lock--000000009".to_string(),
                "_c_ab-lock--2147483648".to_string(),
                "_c_ab-lock--21474836480".to_string(),
            ],
            stat: None,
        });
        let step = Step::List {
            parent: "/locks".to_string(),
            prefix: "_c_ab-lock-".to_string(),
        };
        assert_eq!(
            settled(step, listing),
            [
                stat("/locks/_c_ab-lock-0000000007"),
                stat("/locks/_c_ab-lock--000000009"),
                stat("/locks/_c_ab-lock--2147483648"),
            ]
        );
    }

    #[test]
    fn a_node_this_session_owns_is_deleted_at_the_version_seen() {
        let step = Step::Stat {
            path: "/a".to_string(),
        };
        assert_eq!(
            settled(step, Ok(Response::Exists(Some(stat_owned_by(SESSION, 4))))),
            [Step::Delete {
                path: "/a".to_string(),
                version: Version::Exact(4),
            }]
        );
    }

    #[test]
    fn a_node_another_session_owns_is_left_alone() {
        let step = Step::Stat {
            path: "/a".to_string(),
        };
        assert!(
            settled(
                step.clone(),
                Ok(Response::Exists(Some(stat_owned_by(99, 0))))
            )
            .is_empty()
        );
        assert!(settled(step, Ok(Response::Exists(None))).is_empty());
    }

    #[test]
    fn a_lost_delete_is_asked_again() {
        let delete = Step::Delete {
            path: "/a".to_string(),
            version: Version::Any,
        };
        for lost in [RequestError::ConnectionLoss, RequestError::RequestTimeout] {
            assert_eq!(settled(delete.clone(), Err(lost)), vec![delete.clone()]);
        }
    }

    #[test]
    fn a_create_that_never_reached_the_server_is_forgotten() {
        let mut undos = Undos::default();
        undos.wait_for(id(1), ephemeral_create("/a-"));
        undos.unsent(id(1));
        assert!(undos.is_idle());
    }

    #[test]
    fn a_step_that_never_reached_the_server_is_asked_again() {
        let mut undos = Undos::default();
        let delete = Step::Delete {
            path: "/a".to_string(),
            version: Version::Any,
        };
        undos.wait_for(id(1), delete.clone());
        undos.unsent(id(1));
        let ready = undos.take_ready();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].step, delete);
    }

    #[test]
    fn a_reply_taken_back_is_deleted_only_when_it_names_a_sequential_node() {
        let mut undos = Undos::default();
        assert!(undos.delete_created("/locks/x-0000000012".to_string()));
        assert!(undos.delete_created("/locks/x--000000001".to_string()));
        assert!(undos.delete_created("/locks/x--2147483648".to_string()));
        assert!(!undos.delete_created("/leader".to_string()));
        assert!(!undos.delete_created("/a/b-123".to_string()));
        assert_eq!(undos.take_ready().len(), 3);
    }

    #[test]
    fn parents_split_at_the_last_slash() {
        assert_eq!(split_parent("/x-"), ("/".to_string(), "x-".to_string()));
        assert_eq!(split_parent("/a/b/"), ("/a/b".to_string(), String::new()));
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("/a", "x"), "/a/x");
    }
}
