//! ZooKeeper recipes, each written once as a sans-IO state machine ([`Recipe`]) and
//! run on any client by a thin adapter: the blocking `Client` ([`run::Blocking`]), the
//! [`zk_blocking::SharedClient`] (both through [`run::Driver`]) and, with the `tokio`
//! feature (on by default), zk-tokio's async client.
//!
//! A machine emits the requests to submit and consumes their replies, the events of
//! the watch it names and the session's state changes (its end as the client's error,
//! [`Recipe::handle_session_end`]: a recipe fails as the client's calls do, with
//! `SaslRequired` when a server ended the session for want of SASL); it never blocks, reads a clock
//! or touches a socket, so its tests script every reply, failure and race. A running
//! recipe takes nothing from the program: it gets its own replies and copies of its
//! own watch's events, and every event still reaches the program where it reads them
//! (the blocking client's `next_event`, the shared client's channel, the async
//! client's streams).
//!
//! # Recipes
//! * [`Lock`]: an exclusive lock, or either side of a read-write lock, interoperable
//!   with kazoo's `Lock`, `ReadLock` and `WriteLock` on the same path: contender nodes
//!   `<32 hex>__lock__<sequence>` (`__rlock__` for readers) holding the contender's
//!   identifier, ordered by sequence; each contender watches only the one just ahead
//!   of it (no herd effect). A create whose reply is lost (ConnectionLoss) is found
//!   again by its unique prefix instead of leaving an orphan node; a timed-out or
//!   cancelled acquire deletes its node (on zk-tokio's client also one whose future
//!   is dropped); missing parents are created. An acquire on a lock held already asks
//!   the server whether its node is still there: a lock lost with its session is
//!   never reported held.
//!   [`Lock::contenders`] lists the contenders' identifiers in order. [`Lock::lock`]
//!   (shared client), [`Lock::lock_blocking`] and `Lock::lock_async` give a guard that
//!   releases on drop and tells when the lock is lost with the session (`is_lost`),
//!   when it is uncertain while the connection is lost (`is_uncertain`), and, keeping
//!   watch on its node, the whole [`Hold`] (`hold`, `wait_hold_change`, and
//!   `hold_changed` on zk-tokio's client); a plain [`Lock`] tells it through
//!   [`Lock::hold`] and [`Lock::wait_hold_change`] (a node deleted by someone else is
//!   no [`LockEvent`]). A hold is uncertain, not held, on a read-only server.
//! * [`LeaderElection`]: kazoo's `Election` (a lock whose holder leads), with the
//!   candidates listed in order. A leader learns promptly that it may no longer lead
//!   ([`Leadership`]): `Uncertain` when the connection is lost (the session may live
//!   on; Curator's LeaderLatch stops leading here, and kazoo advises the same for
//!   SUSPENDED), `Leading` again once a reconnect finds its node still there, `Lost`
//!   when the session ends or someone deletes its node (an operator, a `deleteall`),
//!   with a [`LostReason`] that says which.
//!   [`LeaderElection::join`] takes a place in line without waiting for the turn
//!   (candidates lead in the order they joined).
//!   [`LeaderElection::wait_leadership_change`] waits for the next change (with a
//!   timeout: `None` when it ran out with no change), `leadership_changed_async` is
//!   its future on zk-tokio's client, and
//!   [`LeaderElection::check_leadership`] looks without waiting.
//! * [`Semaphore`]: N leases, interoperable with kazoo's `Semaphore` on the same path
//!   and limit (kazoo's holders and ours never hold more than N together): the limit
//!   is the semaphore node's data (another limit fails with
//!   [`SemaphoreError::MaxLeasesMismatch`], which says what to do); a guarding lock at
//!   `<path>-__lock__` (the lock above, composed) lets one acquirer at a time count the
//!   lease nodes and, below the limit, create its ephemeral `<path>/<32 hex>`; while
//!   all are taken it waits holding that lock, watching the leases, and the others
//!   wait in line for the lock. A lease create whose reply is lost is looked for before
//!   anything else is done; a timed-out or cancelled acquire releases the lock and
//!   leaves no lease node (on a server slower than the timeout it returns in time,
//!   and the next call on the value finishes that). [`Semaphore::try_acquire`]
//!   takes a lease only if one is free now (kazoo's `acquire(blocking=False)`).
//!   [`Semaphore::lease_holders`] lists the holders' identifiers;
//!   [`Semaphore::lease`] (shared client), [`Semaphore::lease_blocking`] and
//!   `Semaphore::lease_async` give a guard that releases on drop (or the `Semaphore`
//!   back when time ran out) and, keeping watch on its lease node as the lock's
//!   guards do on theirs, tells the same [`Hold`]: `is_lost`, `is_uncertain`,
//!   `hold`, `wait_hold_change` (`hold_changed` and `lost` on zk-tokio's client); a
//!   lease node an operator deleted is `Lost` with [`LostReason::NodeDeleted`].
//! * [`NodeWatch`]: kazoo's `DataWatch` / `ChildrenWatch`: the current value, then
//!   every change, with a persistent watch that reads again after each reconnect
//!   (one-shot watches, re-armed, on servers before 3.6).
//! * [`TreeCache`]: Curator's `CuratorCache` / kazoo's `TreeCache`: an in-memory copy
//!   of the subtree at a path (the whole subtree: it must fit in memory), kept current
//!   on one persistent recursive watch (servers 3.6+) instead of a watch per node,
//!   while [`TreeCache::next_event`] is called (the events of the watch wait for it
//!   meanwhile; call it in a loop, or a task of its own). It tells each node of the first load, then
//!   [`TreeEvent::Initialized`], then each creation, data change and deletion;
//!   [`TreeCache::get`], [`TreeCache::children`] and [`TreeCache::iter`] read the
//!   cache. A reconnect reads the subtree again and tells what changed meanwhile; reads
//!   overtaken by events never leave older data (nor bring a deleted node back).
//! * [`Counter`]: kazoo's `Counter` (ASCII decimal), or Curator's `SharedCount`
//!   encoding: add by versioned writes, retried on conflict, never applied twice.
//! * [`Barrier`] and [`DoubleBarrier`]: kazoo's `Barrier` (wait until the node is
//!   gone, watching it) and `DoubleBarrier` (enter and leave with N participants). On
//!   zk-tokio's client the waits take no timeout: wrap them in `tokio::time::timeout`,
//!   which gives them up cleanly (a later call starts afresh).
//! * [`Queue`]: kazoo's `Queue` with priorities (`put` uses kazoo's default,
//!   `put_with_priority` another, on every client); each item taken by one consumer.
//! * [`Party`] and [`ShallowParty`]: kazoo's, interoperable on the same path: a
//!   group whose members are ephemeral nodes (`<32 hex>__party__` holding the
//!   identifier; `<32 hex>-<identifier>` for the shallow one), so a session's end makes
//!   its members leave; `join` on a new session joins again. A join is idempotent and a
//!   lost create is found made, never made twice. `members` lists the identifiers, and
//!   `wait_members_change` (which kazoo lacks) waits for them to change, with a
//!   timeout (`None` when it ran out), reading them again after a reconnect.
//! * [`tree::create_all`] (`mkdir -p`) and [`tree::delete_all`] (`rm -r`), tolerant of
//!   others creating and deleting nodes at the same time.
//! * [`retry::retry`]: retries an idempotent operation after ConnectionLoss or a
//!   server timeout, with a backoff; says what it never retries.
//!
//! # Paths
//! A recipe's path must be one the client itself accepts (absolute, no trailing `/`, no
//! empty, `.` or `..` names: Java's rules); otherwise it fails with
//! [`zk_blocking::Error::InvalidPath`] naming the path as given, and nothing is sent:
//! `rel/x` is not taken to mean `/rel/x`, nor `/q/` to mean `/q`. The recipes that
//! keep their state at the path (locks, elections, semaphores, counters, barriers,
//! queues) refuse the root `/` the same way: it is everyone's, and can never be
//! deleted.
//! [`NodeWatch`] and [`TreeCache`] may watch `/`, [`tree::create_all`] of `/` succeeds (it exists), and
//! [`tree::delete_all`] of `/` is refused, as its docs explain.
//!
//! # Compatibility
//! Each recipe keeps its nodes as kazoo's does (tested beside kazoo 2.8 on the same
//! paths): its `Lock`, `ReadLock`, `WriteLock`, `Election`, `Semaphore`, `Barrier`,
//! `DoubleBarrier`, `Counter` (integer values: a float counter's data is refused, and
//! empty data is 0 here, not a kazoo `default` of another value), `Queue`, `Party`,
//! `ShallowParty` and `TreeCache` take turns, count and list with ours. Not kazoo's
//! `LockingQueue`: its items are under `<path>/entries`, which a [`Queue`] on `<path>`
//! neither takes nor fills.
//!
//! With Curator: [`Counter::curator`] is its `SharedCount`, [`Barrier`] its
//! `DistributedBarrier` (the node's being there is the barrier), and [`TreeCache`] reads
//! any tree. Its lock recipes name and order their nodes otherwise than kazoo's: a
//! [`Lock`] or [`LeaderElection`] made with `new` does not count their nodes as
//! contenders, and they put its nodes after their own, so on one path each side would
//! take the lock while the other holds it. Made for Curator, ours take part:
//!
//! - [`Lock::curator`] takes turns with `InterProcessMutex` (tested beside Curator 5.4
//!   on the same paths: either side waits while the other holds, and both take turns
//!   in the order they queued), and so with `LeaderSelector`, an `InterProcessMutex`
//!   whose holder leads (not tested beside it).
//! - [`LeaderElection::curator`] stands in the election of `LeaderLatch`: the candidate
//!   with the lowest sequence leads, on either side (tested beside Curator 5.4 too).
//!
//! Their nodes are named as Curator's protected creates name its own,
//! `_c_<uuid>-lock-<sequence>` (`-latch-` for the election; the uuid is random, in its
//! 36-character form), and a create whose answer was lost finds its node again by that
//! protected prefix, as Curator does. The contenders are the children with `lock-`
//! (`latch-`) in their names, ordered by the text after its last occurrence, as
//! Curator's `StandardLockInternalsDriver.fixForSorting` orders them (equal texts,
//! which sequential creates never make, by name). Curator counts every child of the
//! path as a contender, ordering one without the marker by its whole name; ours leave
//! such children out, which cannot let both sides hold at once (they order the nodes
//! with the marker alike) but lets ours go ahead where Curator would still wait for
//! a foreign child that sorts first: keep other nodes off a lock's path. A node's data
//! is the identifier given, which [`Lock::contenders`] lists and `LeaderLatch` reads as
//! its participants' ids; an `InterProcessMutex` writes its client's `defaultData`
//! there, its host's IP address unless set otherwise. Such a lock or election does not
//! take turns with kazoo's on the same path, nor with ours made with `new`. Curator's
//! `InterProcessReadWriteLock` (`__READ__`, `__WRIT__`), `InterProcessSemaphoreV2`
//! (leases under `<path>/leases`, its lock under `<path>/locks`: two children a
//! [`Semaphore`] counts as leases) and its queues (their own item format) are not
//! compatible; its `DistributedDoubleBarrier` is untested beside ours. A service moving
//! from Curator to this crate needs new paths for these while both run.
//!
//! # What it does not do (yet)
//! No `LockingQueue` (kazoo's take-then-consume queue). A plain [`Semaphore`] (no
//! guard) tells no [`Hold`], unlike a plain [`Lock`]: its guards do.
//!
//! # Quick start
//!
//! A lock on the shared client, against a local server (`127.0.0.1:2181`, or the
//! connect string given as the first argument); the example `recipes_quick_start`, run
//! against a real server by the tests.
//!
//! ```no_run
//! use zk_blocking::{Options, SharedClient};
//! use zk_recipes::{Lock, tree};
//!
//! fn main() -> Result<(), zk_blocking::Error> {
//!     let hosts = std::env::args().nth(1);
//!     let zk = SharedClient::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
//!     // Kazoo's Lock on the same path takes turns with this one; missing parents are made.
//!     let lock = Lock::new("/quick-start/locks/report", "worker-1");
//!     let guard = lock.lock(&zk, None)?.expect("no timeout: waits until held");
//!     println!("holding the lock");
//!     // ... the work only one holder at a time may do; the guard says if the session ends ...
//!     assert!(!guard.is_lost());
//!     guard.release()?;
//!     tree::delete_all(&mut zk.clone(), "/quick-start")?;
//!     zk.close();
//!     Ok(())
//! }
//! ```

pub mod barrier;
pub mod counter;
mod election;
mod ensure;
mod hold;
pub mod lock;
mod machine;
mod node_watch;
pub mod party;
pub mod queue;
pub mod retry;
pub mod run;
pub mod semaphore;
pub mod tree;
mod tree_cache;

pub use barrier::{
    Barrier, BarrierEvent, BarrierMachine, DoubleBarrier, DoubleBarrierEvent, DoubleBarrierMachine,
};
pub use counter::{Counter, CounterEncoding, CounterMachine};
pub use election::{LeaderElection, Leadership};
pub use hold::{Hold, HoldMachine, LostReason};
#[cfg(feature = "tokio")]
pub use lock::AsyncLockGuard;
#[cfg(unix)]
pub use lock::LockGuard;
pub use lock::{BlockingLockGuard, ContendersMachine, Lock, LockEvent, LockMachine};
pub use machine::{Recipe, Reply, Submit, Token};
pub use node_watch::{NodeValue, NodeWatch, NodeWatchMachine};
pub use party::{Party, PartyEvent, PartyMachine, ShallowParty};
pub use queue::{Queue, QueueEvent, QueueMachine};
#[cfg(feature = "tokio")]
pub use semaphore::AsyncSemaphoreGuard;
#[cfg(unix)]
pub use semaphore::SemaphoreGuard;
pub use semaphore::{
    BlockingSemaphoreGuard, Semaphore, SemaphoreError, SemaphoreEvent, SemaphoreMachine,
};
pub use tree_cache::{CachedNode, TreeCache, TreeCacheMachine, TreeEvent};

/// The README's examples, compiled (and run, where not `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
