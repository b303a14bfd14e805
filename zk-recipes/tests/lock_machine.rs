//! The lock machine and the contenders machine, driven by scripts: each test takes the
//! machine's requests one at a time, checks what each one asks, and answers it with a
//! reply (or a failure) a server could give. No server, no clock, no threads.

use bytes::Bytes;
use zk_blocking::ErrorCode;
use zk_blocking::for_drivers::watch_handle;
use zk_blocking::{
    CreateMode, Error, EventType, KeeperState, Request, RequestId, Response, Stat, Version,
    WatchHandle, WatchKind, WatchedEvent,
};
use zk_recipes::lock::names::Kind;
use zk_recipes::{ContendersMachine, LockEvent, LockMachine, Recipe, Reply, Token};
use zk_session::Registration;
use zk_test_support::assert_matches;

/// The lock's path in every scenario.
const LOCK: &str = "/locks/report";
/// This contender's identifier (its node's data).
const ME: &str = "worker-1";

// ----- the script ---------------------------------------------------------------------

/// A machine and the script that drives it.
struct Script<M> {
    machine: M,
    /// Watch handles handed out so far (each watched exists gets a new one).
    watches: u64,
}

impl<M: Recipe> Script<M> {
    fn new(machine: M) -> Script<M> {
        Script {
            machine,
            watches: 0,
        }
    }

    /// The machine's next request; the script fails if there is none.
    fn next(&mut self) -> (Token, Request) {
        let submit = self
            .machine
            .poll_submit()
            .expect("the machine to submit a request");
        (submit.token, submit.request)
    }

    /// The next request is a create in `mode`: its token, path and data.
    fn expect_create(&mut self, mode: CreateMode) -> (Token, String, Bytes) {
        match self.next() {
            (
                token,
                Request::Create {
                    path,
                    data,
                    mode: m,
                    ..
                },
            ) if m == mode => (token, path, data),
            (_, other) => panic!("expected a {mode:?} create, got {other:?}"),
        }
    }

    /// The next request is a plain create of the (parent) node `path`.
    fn expect_create_parent(&mut self, path: &str) -> Token {
        self.expect(Request::create(path, Bytes::new(), CreateMode::Persistent))
    }

    /// The next request lists the children of `path`, without a watch.
    fn expect_children(&mut self, path: &str) -> Token {
        self.expect(Request::get_children(path, false))
    }

    /// The next request is exists on `path`, leaving a watch.
    fn expect_exists_watch(&mut self, path: &str) -> Token {
        self.expect(Request::exists(path, true))
    }

    /// The next request deletes `path`, whatever its version.
    fn expect_delete(&mut self, path: &str) -> Token {
        self.expect(Request::delete(path, Version::Any))
    }

    /// The next request reads `path`'s data, without a watch.
    fn expect_get_data(&mut self, path: &str) -> Token {
        self.expect(Request::get_data(path, false))
    }

    fn expect(&mut self, wanted: Request) -> Token {
        let (token, request) = self.next();
        assert_eq!(request, wanted);
        token
    }

    /// The machine submits nothing more now.
    fn expect_no_request(&mut self) {
        if let Some(submit) = self.machine.poll_submit() {
            panic!("expected no request, got {:?}", submit.request);
        }
    }

    fn answer(&mut self, token: Token, reply: Reply) {
        self.machine.handle_reply(token, reply);
    }

    /// A fresh watch on `path`, as a session reports it on an exists reply.
    fn new_watch(&mut self, path: &str) -> WatchHandle {
        self.watches += 1;
        watch_handle(&Registration {
            id: RequestId::from_u64(self.watches),
            kind: WatchKind::Data,
            path: path.into(),
        })
    }

    /// The node `path` is deleted, firing `watch`.
    fn fire(&mut self, watch: WatchHandle, path: &str) {
        self.machine.handle_watch(&WatchedEvent {
            event_type: EventType::NodeDeleted,
            path: path.to_string(),
            zxid: -1,
            watches: vec![watch],
        });
    }

    fn output(&mut self) -> Option<M::Output> {
        self.machine.poll_output()
    }
}

/// The lock's steps, each checked and answered the way it goes when nothing fails.
impl Script<LockMachine> {
    fn exclusive() -> Script<LockMachine> {
        Script::new(LockMachine::exclusive(
            LOCK,
            Bytes::from_static(ME.as_bytes()),
        ))
    }

    fn reader() -> Script<LockMachine> {
        Script::new(LockMachine::read_write(
            LOCK,
            Bytes::from_static(ME.as_bytes()),
            false,
        ))
    }

    fn writer() -> Script<LockMachine> {
        Script::new(LockMachine::read_write(
            LOCK,
            Bytes::from_static(ME.as_bytes()),
            true,
        ))
    }

    /// The contender's create: an ephemeral sequential `<lock>/<32 hex><marker>` with
    /// the identifier as data. Its token and path.
    fn expect_node_create(&mut self) -> (Token, String) {
        let (token, path, data) = self.expect_create(CreateMode::EphemeralSequential);
        let name = path
            .strip_prefix(&format!("{LOCK}/"))
            .expect("the node under the lock");
        let marker = name.get(32..).unwrap_or_default();
        assert!(
            name.get(..32)
                .is_some_and(|id| id.bytes().all(|b| b.is_ascii_hexdigit())),
            "{name} starts with 32 hex digits"
        );
        assert!(
            marker == "__lock__" || marker == "__rlock__",
            "{name} ends in a kazoo marker"
        );
        assert_eq!(data, ME.as_bytes());
        (token, path)
    }

    /// The contender's create, answered with sequence `seq`: the node's name.
    fn create_node(&mut self, seq: u32) -> String {
        let (token, path) = self.expect_node_create();
        let own = sequenced(&path, seq);
        self.answer(token, created(&at(&own)));
        own
    }

    /// The contender list, answered with `children`.
    fn list(&mut self, children: &[&str]) {
        let token = self.expect_children(LOCK);
        self.answer(token, listed(children));
    }

    /// exists(watch) on the contender `ahead`, answered "there" with a new watch,
    /// which the machine then names as the one it waits for.
    fn watch_ahead(&mut self, ahead: &str) -> WatchHandle {
        let path = at(ahead);
        let token = self.expect_exists_watch(&path);
        let watch = self.new_watch(&path);
        self.answer(
            token,
            Ok((Response::Exists(Some(Stat::default())), Some(watch))),
        );
        assert_eq!(self.machine.watch(), Some(watch));
        watch
    }

    /// Creates its node again (sequence `seq`), alone in line: the lock is acquired.
    /// The name is new, not `first`'s: every create asks for a name of its own, so a
    /// node the session deletes for a given-up create is never a later one's.
    fn creates_again_and_acquires(&mut self, first: &str, seq: u32) {
        let (token, again) = self.expect_node_create();
        assert_ne!(again, first, "a new prefix");
        let own = sequenced(&again, seq);
        self.answer(token, created(&at(&own)));
        self.list(&[&own]);
        assert_eq!(self.output(), Some(LockEvent::Acquired));
    }

    /// Acquires with nobody ahead: the node's name.
    fn hold(&mut self) -> String {
        self.machine.acquire(true);
        let own = self.create_node(1);
        self.list(&[&own]);
        assert_eq!(self.output(), Some(LockEvent::Acquired));
        own
    }

    /// Contends behind `ahead` (sequence 1) and waits for it: own name and the watch.
    fn wait_behind(&mut self, ahead: &str) -> (String, WatchHandle) {
        self.machine.acquire(true);
        let own = self.create_node(2);
        self.list(&[ahead, &own]);
        let watch = self.watch_ahead(ahead);
        assert_eq!(self.output(), None);
        (own, watch)
    }

    /// The node `own` is deleted, answered Ok.
    fn delete(&mut self, own: &str) {
        let token = self.expect_delete(&at(own));
        self.answer(token, Ok((Response::Delete, None)));
    }
}

// ----- names and replies ---------------------------------------------------------------

/// Another contender's exclusive (or write) node with sequence `seq`.
fn other(seq: u32) -> String {
    format!("{:032x}__lock__{seq:010}", 0xfeed_u32 + seq)
}

/// Another contender's read node with sequence `seq`.
fn other_reader(seq: u32) -> String {
    format!("{:032x}__rlock__{seq:010}", 0xbeef_u32 + seq)
}

/// A child's full path.
fn at(child: &str) -> String {
    format!("{LOCK}/{child}")
}

/// The name the server gives the node created at `path` with sequence `seq`.
fn sequenced(path: &str, seq: u32) -> String {
    let name = path.rsplit('/').next().unwrap_or_default();
    format!("{name}{seq:010}")
}

fn created(path: &str) -> Reply {
    Ok((
        Response::Create {
            path: path.to_string(),
            stat: None,
        },
        None,
    ))
}

fn listed(children: &[&str]) -> Reply {
    Ok((
        Response::GetChildren {
            children: children.iter().map(|c| c.to_string()).collect(),
            stat: None,
        },
        None,
    ))
}

fn data(identifier: &str) -> Reply {
    Ok((
        Response::GetData {
            data: Bytes::copy_from_slice(identifier.as_bytes()),
            stat: Stat::default(),
        },
        None,
    ))
}

fn lost() -> Reply {
    Err(Error::ConnectionLoss)
}

// ----- acquiring ------------------------------------------------------------------------

#[test]
fn the_first_contender_creates_its_node_lists_and_acquires() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    assert!(path.ends_with("__lock__"));
    let own = sequenced(&path, 0);
    lock.answer(token, created(&at(&own)));
    lock.list(&[&own]);

    assert_eq!(lock.output(), Some(LockEvent::Acquired));
    assert!(lock.machine.is_held());
    assert_eq!(lock.machine.node_path(), Some(at(&own)));
    assert_eq!(lock.machine.watch(), None);
    lock.expect_no_request();
}

#[test]
fn a_contender_behind_others_watches_only_the_closest_lower_sequence() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(5);
    lock.list(&[&other(7), &other(1), &own, &other(3)]);

    lock.watch_ahead(&other(3));
    lock.expect_no_request();
    assert_eq!(lock.output(), None);
    assert!(!lock.machine.is_held());
}

#[test]
fn a_waiting_contender_acquires_after_its_predecessors_watch_fires_and_a_relist() {
    let mut lock = Script::exclusive();
    let (own, watch) = lock.wait_behind(&other(1));

    lock.fire(watch, &at(&other(1)));
    lock.list(&[&own]);

    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn an_event_of_another_watch_does_not_wake_a_waiting_contender() {
    let mut lock = Script::exclusive();
    lock.wait_behind(&other(1));

    let stranger = lock.new_watch("/elsewhere");
    lock.fire(stranger, "/elsewhere");

    lock.expect_no_request();
}

#[test]
fn a_predecessor_gone_before_its_exists_means_a_relist() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(2);
    lock.list(&[&other(1), &own]);
    let token = lock.expect_exists_watch(&at(&other(1)));
    lock.answer(token, Ok((Response::Exists(None), None)));

    lock.list(&[&own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_contender_whose_node_vanished_from_the_list_contends_again() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    lock.create_node(2);
    lock.list(&[&other(1)]);

    let own = lock.create_node(3);
    lock.list(&[&own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn foreign_children_of_the_lock_are_ignored() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(4);
    lock.list(&["lease", &own, "lease_holder__lock__", "config"]);

    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_lock_path_with_a_trailing_slash_is_the_same_lock() {
    let mut lock = Script::new(LockMachine::exclusive(
        &format!("{LOCK}/"),
        Bytes::from_static(ME.as_bytes()),
    ));
    lock.hold();
    assert_eq!(lock.machine.path(), LOCK);
}

#[test]
fn missing_parents_are_created_one_component_at_a_time_then_the_node() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));

    let token = lock.expect_create_parent("/locks");
    lock.answer(token, Err(Error::from_code(ErrorCode::NodeExists)));
    let token = lock.expect_create_parent(LOCK);
    lock.answer(token, created(LOCK));

    lock.creates_again_and_acquires(&path, 0);
}

#[test]
fn a_refused_create_fails_the_acquire_with_the_servers_error() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.answer(token, Err(Error::from_code(ErrorCode::NoAuth)));

    assert_matches!(lock.output(), Some(LockEvent::Failed(Error::NoAuth { .. })));
    lock.expect_no_request();
    assert_eq!(lock.machine.node_path(), None);
}

// ----- connection loss at every step ----------------------------------------------------

#[test]
fn a_create_lost_whose_node_exists_finds_it_by_prefix_and_does_not_create_again() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    lock.answer(token, lost());

    let own = sequenced(&path, 2);
    let token = lock.expect_children(LOCK);
    lock.answer(token, listed(&[&other(1), &own]));

    // Straight on to the contender list: no second create.
    lock.list(&[&other(1), &own]);
    lock.watch_ahead(&other(1));
    assert_eq!(lock.machine.node_path(), Some(at(&own)));
}

#[test]
fn a_create_lost_whose_node_is_not_there_creates_again() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    lock.answer(token, lost());
    let token = lock.expect_children(LOCK);
    lock.answer(token, listed(&[&other(1)]));

    lock.creates_again_and_acquires(&path, 2);
}

#[test]
fn a_create_lost_under_a_missing_parent_creates_the_parents_instead_of_failing() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    // The server answered NoNode (no lock node yet), and the answer was lost.
    lock.answer(token, lost());
    let token = lock.expect_children(LOCK);
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));

    let token = lock.expect_create_parent("/locks");
    lock.answer(token, created("/locks"));
    let token = lock.expect_create_parent(LOCK);
    lock.answer(token, created(LOCK));
    lock.creates_again_and_acquires(&path, 0);
}

#[test]
fn a_cancelled_create_lost_under_a_missing_parent_is_cancelled_without_parents() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.machine.cancel();
    lock.answer(token, lost());
    let token = lock.expect_children(LOCK);
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
    lock.expect_no_request();
}

#[test]
fn a_lost_search_for_the_created_node_is_retried() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    lock.answer(token, lost());
    let token = lock.expect_children(LOCK);
    lock.answer(token, lost());

    let own = sequenced(&path, 1);
    let token = lock.expect_children(LOCK);
    lock.answer(token, listed(&[&own]));
    lock.list(&[&own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_lost_contender_list_is_retried() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(1);
    let token = lock.expect_children(LOCK);
    lock.answer(token, lost());

    lock.list(&[&own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_lost_exists_means_a_relist() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(2);
    lock.list(&[&other(1), &own]);
    let token = lock.expect_exists_watch(&at(&other(1)));
    lock.answer(token, lost());

    lock.list(&[&other(1), &own]);
    lock.watch_ahead(&other(1));
}

#[test]
fn a_lost_parent_create_starts_the_parents_over() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));
    let token = lock.expect_create_parent("/locks");
    lock.answer(token, created("/locks"));
    let token = lock.expect_create_parent(LOCK);
    lock.answer(token, lost());

    let token = lock.expect_create_parent("/locks");
    lock.answer(token, Err(Error::from_code(ErrorCode::NodeExists)));
    let token = lock.expect_create_parent(LOCK);
    lock.answer(token, Err(Error::from_code(ErrorCode::NodeExists)));
    lock.expect_node_create();
}

#[test]
fn a_lost_delete_on_release_is_retried() {
    let mut lock = Script::exclusive();
    let own = lock.hold();
    lock.machine.release();
    let token = lock.expect_delete(&at(&own));
    lock.answer(token, lost());

    // It may have been applied: NoNode on the retry is as good as Ok.
    let token = lock.expect_delete(&at(&own));
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));
    assert_eq!(lock.output(), Some(LockEvent::Released));
}

#[test]
fn a_lost_delete_on_cancel_is_retried() {
    let mut lock = Script::exclusive();
    let (own, _) = lock.wait_behind(&other(1));
    lock.machine.cancel();
    let token = lock.expect_delete(&at(&own));
    lock.answer(token, lost());

    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
}

// ----- try_acquire, cancel, release ------------------------------------------------------

#[test]
fn try_acquire_with_nobody_ahead_acquires() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(false);
    let own = lock.create_node(1);
    lock.list(&[&own]);

    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn try_acquire_behind_another_deletes_its_node_and_is_not_acquired() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(false);
    let own = lock.create_node(2);
    lock.list(&[&other(1), &own]);

    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::NotAcquired));
    assert_eq!(lock.machine.node_path(), None);
}

#[test]
fn cancel_while_waiting_deletes_the_node_and_is_cancelled() {
    let mut lock = Script::exclusive();
    let (own, _) = lock.wait_behind(&other(1));
    lock.machine.cancel();

    assert_eq!(lock.machine.watch(), None);
    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
    lock.expect_no_request();
}

#[test]
fn cancel_while_the_create_is_out_deletes_the_node_once_created() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    lock.machine.cancel();
    let own = sequenced(&path, 1);
    lock.answer(token, created(&at(&own)));

    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
}

#[test]
fn cancel_while_a_lost_create_is_out_deletes_the_node_found_by_prefix() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_node_create();
    lock.machine.cancel();
    lock.answer(token, lost());
    let own = sequenced(&path, 1);
    let token = lock.expect_children(LOCK);
    lock.answer(token, listed(&[&own]));

    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
}

#[test]
fn cancel_while_a_lost_create_is_out_without_a_node_is_cancelled_without_a_delete() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.machine.cancel();
    lock.answer(token, lost());
    let token = lock.expect_children(LOCK);
    lock.answer(token, listed(&[&other(1)]));

    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
    lock.expect_no_request();
}

#[test]
fn cancel_while_the_list_is_out_deletes_the_node_when_it_answers() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(1);
    let token = lock.expect_children(LOCK);
    lock.machine.cancel();
    lock.answer(token, listed(&[&own]));

    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
}

#[test]
fn cancel_while_parents_are_created_creates_no_contender_node() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));
    let token = lock.expect_create_parent("/locks");
    lock.machine.cancel();
    lock.answer(token, created("/locks"));

    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
    lock.expect_no_request();
}

#[test]
fn cancel_while_a_create_under_missing_parents_is_out_creates_no_parents() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.machine.cancel();
    lock.answer(token, Err(Error::from_code(ErrorCode::NoNode)));

    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
    lock.expect_no_request();
}

#[test]
fn release_deletes_the_node_and_is_released() {
    let mut lock = Script::exclusive();
    let own = lock.hold();
    lock.machine.release();

    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Released));
    assert!(!lock.machine.is_held());
    assert_eq!(lock.machine.node_path(), None);
}

#[test]
fn a_released_lock_can_be_acquired_again() {
    let mut lock = Script::exclusive();
    let own = lock.hold();
    lock.machine.release();
    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Released));

    lock.machine.acquire(true);
    let again = lock.create_node(2);
    lock.list(&[&again]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

// ----- the session ends --------------------------------------------------------------------

#[test]
fn session_expiry_while_waiting_fails_the_acquire() {
    let mut lock = Script::exclusive();
    lock.wait_behind(&other(1));
    lock.machine.handle_session(KeeperState::Expired);

    assert_eq!(
        lock.output(),
        Some(LockEvent::Failed(Error::SessionExpired))
    );
    assert_eq!(lock.machine.watch(), None);
    lock.expect_no_request();
}

#[test]
fn session_expiry_while_holding_loses_the_lock() {
    let mut lock = Script::exclusive();
    lock.hold();
    lock.machine.handle_session(KeeperState::Expired);

    assert_eq!(lock.output(), Some(LockEvent::Lost(Error::SessionExpired)));
    assert!(!lock.machine.is_held());
    lock.expect_no_request();
}

#[test]
fn a_closed_session_while_waiting_fails_the_acquire() {
    let mut lock = Script::exclusive();
    lock.wait_behind(&other(1));
    lock.machine.handle_session(KeeperState::Closed);

    assert_eq!(lock.output(), Some(LockEvent::Failed(Error::Closed)));
}

#[test]
fn a_closed_session_while_holding_loses_the_lock() {
    let mut lock = Script::exclusive();
    lock.hold();
    lock.machine.handle_session(KeeperState::Closed);

    assert_eq!(lock.output(), Some(LockEvent::Lost(Error::Closed)));
}

#[test]
fn releasing_a_lock_whose_session_ended_unheard_lets_it_go_without_an_error() {
    let mut lock = Script::exclusive();
    let own = lock.hold();
    lock.machine.release();
    let token = lock.expect_delete(&at(&own));
    lock.answer(token, Err(Error::SessionExpired));
    assert_eq!(lock.output(), Some(LockEvent::Released));
    lock.expect_no_request();
}

#[test]
fn a_release_the_server_refuses_still_fails() {
    let mut lock = Script::exclusive();
    let own = lock.hold();
    lock.machine.release();
    let token = lock.expect_delete(&at(&own));
    let refused = Error::NoAuth {
        path: Some(at(&own)),
        chroot: None,
    };
    lock.answer(token, Err(refused.clone()));
    assert_eq!(lock.output(), Some(LockEvent::Failed(refused)));
}

#[test]
fn a_disconnect_while_holding_keeps_the_lock() {
    let mut lock = Script::exclusive();
    lock.hold();
    lock.machine.handle_session(KeeperState::Disconnected);
    lock.machine.handle_session(KeeperState::SyncConnected);

    assert_eq!(lock.output(), None);
    assert!(lock.machine.is_held());
}

#[test]
fn a_reply_after_the_session_ended_is_ignored() {
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let (token, _) = lock.expect_node_create();
    lock.machine.handle_session(KeeperState::Expired);
    assert_eq!(
        lock.output(),
        Some(LockEvent::Failed(Error::SessionExpired))
    );

    lock.answer(token, Err(Error::SessionExpired));
    assert_eq!(lock.output(), None);
    lock.expect_no_request();
    assert!(!lock.machine.awaiting_replies());
}

// ----- read-write locks ---------------------------------------------------------------------

#[test]
fn a_reader_is_not_blocked_by_an_earlier_reader() {
    let mut lock = Script::reader();
    lock.machine.acquire(true);
    let own = lock.create_node(2);
    assert!(own.contains("__rlock__"));
    lock.list(&[&other_reader(1), &own]);

    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_reader_waits_for_the_closest_earlier_writer_skipping_readers() {
    let mut lock = Script::reader();
    lock.machine.acquire(true);
    let own = lock.create_node(3);
    lock.list(&[&other(1), &other_reader(2), &own]);

    lock.watch_ahead(&other(1));
}

#[test]
fn a_writer_waits_for_an_earlier_reader() {
    let mut lock = Script::writer();
    lock.machine.acquire(true);
    let own = lock.create_node(3);
    assert!(own.contains("__lock__"));
    lock.list(&[&other(1), &other_reader(2), &own]);

    lock.watch_ahead(&other_reader(2));
}

#[test]
fn a_writer_waits_for_an_earlier_writer() {
    let mut lock = Script::writer();
    lock.machine.acquire(true);
    let own = lock.create_node(2);
    lock.list(&[&other(1), &own, &other_reader(3)]);

    lock.watch_ahead(&other(1));
}

// ----- contenders -----------------------------------------------------------------------------

#[test]
fn contenders_are_the_identifiers_in_sequence_order() {
    let mut reading = Script::new(ContendersMachine::new(LOCK));
    let token = reading.expect_children(LOCK);
    reading.answer(
        token,
        listed(&[&other(3), "lease", &other_reader(2), &other(1)]),
    );
    let first = reading.expect_get_data(&at(&other(1)));
    let second = reading.expect_get_data(&at(&other_reader(2)));
    let third = reading.expect_get_data(&at(&other(3)));
    reading.expect_no_request();

    reading.answer(third, data("c"));
    reading.answer(first, data("a"));
    assert_eq!(reading.output(), None);
    reading.answer(second, data("b"));
    assert_eq!(
        reading.output(),
        Some(Ok(vec!["a".into(), "b".into(), "c".into()]))
    );
}

#[test]
fn a_contender_deleted_between_list_and_read_is_left_out() {
    let mut reading = Script::new(ContendersMachine::new(LOCK));
    let token = reading.expect_children(LOCK);
    reading.answer(token, listed(&[&other(1), &other(2)]));
    let first = reading.expect_get_data(&at(&other(1)));
    let second = reading.expect_get_data(&at(&other(2)));

    reading.answer(first, Err(Error::from_code(ErrorCode::NoNode)));
    reading.answer(second, data("b"));
    assert_eq!(reading.output(), Some(Ok(vec!["b".into()])));
}

#[test]
fn a_lost_contender_list_starts_over() {
    let mut reading = Script::new(ContendersMachine::new(LOCK));
    let token = reading.expect_children(LOCK);
    reading.answer(token, lost());

    let token = reading.expect_children(LOCK);
    reading.answer(token, listed(&[&other(1)]));
    let read = reading.expect_get_data(&at(&other(1)));
    reading.answer(read, data("a"));
    assert_eq!(reading.output(), Some(Ok(vec!["a".into()])));
}

#[test]
fn a_lost_contender_read_starts_over_from_the_list() {
    let mut reading = Script::new(ContendersMachine::new(LOCK));
    let token = reading.expect_children(LOCK);
    reading.answer(token, listed(&[&other(1), &other(2)]));
    let first = reading.expect_get_data(&at(&other(1)));
    let second = reading.expect_get_data(&at(&other(2)));

    reading.answer(first, lost());
    reading.answer(second, lost());
    let token = reading.expect_children(LOCK);
    reading.expect_no_request();
    reading.answer(token, listed(&[&other(2)]));
    let read = reading.expect_get_data(&at(&other(2)));
    reading.answer(read, data("b"));
    assert_eq!(reading.output(), Some(Ok(vec!["b".into()])));
}

#[test]
fn a_lock_path_that_does_not_exist_has_no_contenders() {
    let mut reading = Script::new(ContendersMachine::new(LOCK));
    let token = reading.expect_children(LOCK);
    reading.answer(token, Err(Error::from_code(ErrorCode::NoNode)));

    assert_eq!(reading.output(), Some(Ok(vec![])));
    reading.expect_no_request();
}

#[test]
fn contenders_are_read_once_even_when_late_replies_follow_the_answer() {
    let mut reading = Script::new(ContendersMachine::new(LOCK));
    let token = reading.expect_children(LOCK);
    reading.answer(token, listed(&[&other(1), &other(2)]));
    let first = reading.expect_get_data(&at(&other(1)));
    let second = reading.expect_get_data(&at(&other(2)));
    reading.machine.handle_session(KeeperState::Expired);
    assert_eq!(reading.output(), Some(Err(Error::SessionExpired)));

    reading.answer(first, Err(Error::SessionExpired));
    reading.answer(second, Err(Error::SessionExpired));
    assert_eq!(reading.output(), None);
    assert!(!reading.machine.awaiting_replies());
}

// ----- Curator's names (Lock::curator, LeaderElection::curator) -------------------------

impl Script<LockMachine> {
    fn curator() -> Script<LockMachine> {
        Script::new(LockMachine::curator(
            LOCK,
            Bytes::from_static(ME.as_bytes()),
        ))
    }

    fn curator_latch() -> Script<LockMachine> {
        Script::new(LockMachine::curator_latch(
            LOCK,
            Bytes::from_static(ME.as_bytes()),
        ))
    }

    /// The contender's create as Curator's protected create names it: an ephemeral
    /// sequential `<lock>/_c_<uuid>-<lock name>` with the identifier as data. Its token
    /// and path.
    fn expect_curator_create(&mut self, lock_name: &str) -> (Token, String) {
        let (token, path, data) = self.expect_create(CreateMode::EphemeralSequential);
        let name = path
            .strip_prefix(&format!("{LOCK}/"))
            .expect("the node under the lock");
        let uuid = name
            .strip_prefix("_c_")
            .and_then(|rest| rest.strip_suffix(&format!("-{lock_name}")))
            .unwrap_or_else(|| panic!("{name} is _c_<uuid>-{lock_name}"));
        assert_eq!(uuid.len(), 36, "{uuid} in a uuid's text form");
        assert_eq!(
            uuid.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{uuid}"
        );
        assert!(uuid.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
        assert_eq!(data, ME.as_bytes());
        (token, path)
    }
}

/// A Curator `InterProcessMutex`'s node with sequence `seq` (its uuid sorts after
/// every other's, so that name order is not sequence order).
fn curators(seq: u32) -> String {
    format!("_c_ffffffff-ffff-4fff-bfff-{seq:012x}-lock-{seq:010}")
}

/// A Curator `LeaderLatch`'s node with sequence `seq`.
fn latch(seq: u32) -> String {
    format!("_c_00000000-0000-4000-8000-{seq:012x}-latch-{seq:010}")
}

#[test]
fn a_curator_lock_names_its_node_as_curator_does_and_acquires_alone() {
    let mut lock = Script::curator();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_curator_create("lock-");
    let own = sequenced(&path, 0);
    lock.answer(token, created(&at(&own)));
    lock.list(&[&own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));

    // Every create asks for a protected name of its own.
    lock.machine.release();
    lock.delete(&own);
    assert_eq!(lock.output(), Some(LockEvent::Released));
    lock.machine.acquire(true);
    let (_, again) = lock.expect_curator_create("lock-");
    assert_ne!(again, path);
}

#[test]
fn a_curator_lock_waits_behind_a_curator_node_with_a_lower_sequence() {
    let mut lock = Script::curator();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_curator_create("lock-");
    let own = sequenced(&path, 5);
    lock.answer(token, created(&at(&own)));
    // Name order puts ours before every `_c_ffff...` node; the sequence does not.
    lock.list(&[&curators(7), &own, &curators(3), &curators(1)]);

    let watch = lock.watch_ahead(&curators(3));
    assert_eq!(lock.output(), None);
    lock.fire(watch, &at(&curators(3)));
    lock.list(&[&curators(7), &own, &curators(1)]);
    let watch = lock.watch_ahead(&curators(1));
    lock.fire(watch, &at(&curators(1)));
    lock.list(&[&curators(7), &own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_curator_lock_counts_only_lock_nodes_of_curators_form() {
    let mut lock = Script::curator();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_curator_create("lock-");
    let own = sequenced(&path, 4);
    lock.answer(token, created(&at(&own)));
    // kazoo's lock nodes, a latch's, and other children do not block it.
    lock.list(&[&other(1), &latch(2), "leases", &own, &other_reader(3)]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));

    // A try_acquire behind Curator's holder gives up.
    let mut second = Script::curator();
    second.machine.acquire(false);
    let (token, path) = second.expect_curator_create("lock-");
    let behind = sequenced(&path, 6);
    second.answer(token, created(&at(&behind)));
    second.list(&[&own, &curators(2), &behind]);
    second.delete(&behind);
    assert_eq!(second.output(), Some(LockEvent::NotAcquired));
}

#[test]
fn a_kazoo_named_lock_does_not_count_curators_nodes() {
    // Why Lock::curator exists: the default lock takes the lock past Curator's holder.
    let mut lock = Script::exclusive();
    lock.machine.acquire(true);
    let own = lock.create_node(2);
    lock.list(&[&curators(1), &own]);
    assert_eq!(lock.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_lost_curator_create_finds_its_node_by_the_protected_prefix() {
    let mut lock = Script::curator();
    lock.machine.acquire(true);
    let (token, path) = lock.expect_curator_create("lock-");
    lock.answer(token, lost());

    let own = sequenced(&path, 2);
    let token = lock.expect_children(LOCK);
    lock.answer(token, listed(&[&curators(1), &own, &curators(3)]));

    // No second create: straight on to the list, behind Curator's sequence 1.
    lock.list(&[&curators(1), &own, &curators(3)]);
    lock.watch_ahead(&curators(1));
    assert_eq!(lock.machine.node_path(), Some(at(&own)));
    lock.machine.cancel();
    let token = lock.expect_delete(&at(&own));
    lock.answer(token, Ok((Response::Delete, None)));
    assert_eq!(lock.output(), Some(LockEvent::Cancelled));
}

#[test]
fn a_curator_latch_candidate_leads_by_the_lowest_latch_sequence() {
    let mut candidate = Script::curator_latch();
    candidate.machine.acquire(true);
    let (token, path) = candidate.expect_curator_create("latch-");
    let own = sequenced(&path, 3);
    candidate.answer(token, created(&at(&own)));
    candidate.list(&[&curators(1), &own, &latch(2), &latch(4)]);

    let watch = candidate.watch_ahead(&latch(2));
    candidate.fire(watch, &at(&latch(2)));
    candidate.list(&[&curators(1), &own, &latch(4)]);
    assert_eq!(candidate.output(), Some(LockEvent::Acquired));
}

#[test]
fn a_curator_lock_lists_curators_contenders_in_sequence_order() {
    let mut reading = Script::new(ContendersMachine::of_kinds(LOCK, &[Kind::CuratorLock]));
    let token = reading.expect_children(LOCK);
    reading.answer(
        token,
        listed(&[&curators(3), &other(1), "lock-0000000002", &latch(0)]),
    );
    let first = reading.expect_get_data(&at("lock-0000000002"));
    let second = reading.expect_get_data(&at(&curators(3)));
    reading.expect_no_request();
    reading.answer(second, data("10.0.0.7"));
    reading.answer(first, data("bare"));
    assert_eq!(
        reading.output(),
        Some(Ok(vec!["bare".into(), "10.0.0.7".into()]))
    );
}
