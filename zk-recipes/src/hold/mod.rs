//! Whether a lock, a semaphore's lease (or a leadership) is still held, kept up to
//! date while it is: [`Hold`], the machine that tells its changes ([`HoldMachine`]),
//! the runner the guards and the election share on every client, and what the lock's
//! and the semaphore's guards share besides ([`uncertain`], and `session_lost` on
//! zk-tokio's client).

mod lost;
mod machine;

use std::time::{Duration, Instant};

use zk_blocking::{Result, SessionState};

pub use lost::LostReason;
pub use machine::HoldMachine;

use crate::run::{Driver, InFlight};

/// Whether a lock, a semaphore's lease, or a leadership is still held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Held: the server said its node is there, and the connection stayed up since.
    Held,
    /// The connection is lost: the session, and the node with it, may live on (a
    /// reconnect within the session timeout makes it [`Hold::Held`] again) or expire
    /// meanwhile ([`Hold::Lost`]); nobody can tell until the client reaches a server.
    /// Stop what only a holder may do, as kazoo advises for SUSPENDED and Curator's
    /// LeaderLatch does on a lost connection.
    Uncertain,
    /// Lost for good: someone deleted the node ([`LostReason::NodeDeleted`]), or the
    /// session ended ([`LostReason::Error`], the client's error for it:
    /// `SessionExpired`, `Closed`, `AuthFailed`, or `SaslRequired` when a server
    /// required SASL). Acquire (or run for leadership) again to hold it again.
    Lost(LostReason),
}

impl Hold {
    /// Whether it is [`Hold::Held`].
    pub fn is_held(&self) -> bool {
        *self == Hold::Held
    }

    /// Whether it is [`Hold::Lost`].
    pub fn is_lost(&self) -> bool {
        matches!(self, Hold::Lost(_))
    }
}

/// A [`HoldMachine`] with what its runs on a client must remember in between: the
/// standing last handed to the caller and, on zk-tokio's client, the watch's stream
/// and the state changes. Each run first tells the machine whether the client is
/// connected now (it may have changed between two calls).
#[derive(Debug)]
pub(crate) struct Holding {
    machine: HoldMachine,
    now: Hold,
    /// A check of the node still out when a wait's time ran out, for the next wait
    /// to hear the answer of (asking anew at each wait would never hear one from a
    /// server slower than the waits).
    in_flight: InFlight,
    #[cfg(feature = "tokio")]
    held: crate::run::tokio::Held,
}

impl Holding {
    /// Keeps watch on `node`, held now.
    pub(crate) fn new(node: &str) -> Holding {
        Holding {
            machine: HoldMachine::new(node),
            now: Hold::Held,
            in_flight: InFlight::default(),
            #[cfg(feature = "tokio")]
            held: crate::run::tokio::Held::keeping(),
        }
    }

    /// The standing last handed out.
    pub(crate) fn now(&self) -> &Hold {
        &self.now
    }

    /// Waits at most `timeout` (`None`: as long as it takes) for the next change, and
    /// returns it (`None`: time ran out with no change). Each change is handed out
    /// once, in order; a hold lost stays lost, and is returned at once. A check of
    /// the node unanswered by then stays out, for a later call to hear.
    pub(crate) fn wait_change<D: Driver>(
        &mut self,
        driver: &mut D,
        timeout: Option<Duration>,
    ) -> Result<Option<Hold>> {
        if self.now.is_lost() {
            return Ok(Some(self.now.clone()));
        }
        self.machine
            .handle_connected(driver.connection().is_some() && !driver.is_read_only());
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let Some(hold) = driver.run_keeping(&mut self.machine, deadline, &mut self.in_flight)?
        else {
            return Ok(None);
        };
        if hold.is_lost() {
            // No later run hears the answer of a check still out.
            driver.abandon(&mut self.in_flight);
        }
        self.now = hold.clone();
        Ok(Some(hold))
    }

    /// Stops keeping watch: a check still out is given up now (dropping the value
    /// gives it up too, on the blocking client at its next pump or wait).
    pub(crate) fn give_up<D: Driver>(&mut self, driver: &mut D) {
        driver.abandon(&mut self.in_flight);
    }

    /// Like [`Holding::give_up`], on zk-tokio's client: the check still out is given
    /// up and the watch's stream dropped (which removes the watch).
    #[cfg(feature = "tokio")]
    pub(crate) fn give_up_async(&mut self) {
        self.held = crate::run::tokio::Held::keeping();
    }

    /// The standing now, after every change that came already (it does not wait: a
    /// check of the node after a reconnect is heard by a later call if its answer is
    /// not in yet).
    pub(crate) fn check<D: Driver>(&mut self, driver: &mut D) -> Result<Hold> {
        while let Some(hold) = self.wait_change(driver, Some(Duration::ZERO))? {
            if hold.is_lost() {
                break;
            }
        }
        Ok(self.now.clone())
    }

    /// Like [`Holding::wait_change`] on zk-tokio's client, until `deadline`.
    /// Dropping the future loses nothing (a check it left unanswered stays out, for
    /// the next call to hear).
    #[cfg(feature = "tokio")]
    pub(crate) async fn changed_async(
        &mut self,
        client: &zk_tokio::Client,
        deadline: Option<Instant>,
    ) -> Result<Option<Hold>> {
        if self.now.is_lost() {
            return Ok(Some(self.now.clone()));
        }
        let state = client.state();
        self.machine.handle_connected(
            state.is_connected() && state != zk_blocking::SessionState::ConnectedReadOnly,
        );
        let run = crate::run::tokio::run(client, &mut self.machine, deadline, &mut self.held);
        let changed = run.await?;
        if let Some(hold) = &changed {
            self.now = hold.clone();
        }
        Ok(changed)
    }

    /// The next change on zk-tokio's client, however long it takes (the standing now
    /// if nothing can change it: no watch and no question out).
    #[cfg(feature = "tokio")]
    pub(crate) async fn next_change_async(&mut self, client: &zk_tokio::Client) -> Result<Hold> {
        let changed = self.changed_async(client, None).await?;
        Ok(changed.unwrap_or_else(|| self.now.clone()))
    }

    /// Like [`Holding::check`], on zk-tokio's client.
    #[cfg(feature = "tokio")]
    pub(crate) async fn check_async(&mut self, client: &zk_tokio::Client) -> Result<Hold> {
        while let Some(hold) = self.changed_async(client, Some(Instant::now())).await? {
            if hold.is_lost() {
                break;
            }
        }
        Ok(self.now.clone())
    }
}

/// Whether a session in `state` leaves a hold uncertain: it looks for a server, or
/// is on a read-only one (which cannot vouch for the session). A guard's
/// `is_uncertain`.
pub(crate) fn uncertain(state: SessionState) -> bool {
    matches!(
        state,
        SessionState::Connecting | SessionState::ConnectedReadOnly
    )
}

/// Resolves when the session of `client` ends, with its error (the client's own:
/// `SaslRequired` when a server required SASL), at once if it is over: an async
/// guard's `lost`. `states` are the client's state changes since before the node was
/// held, so that an end meanwhile is not missed.
#[cfg(feature = "tokio")]
pub(crate) async fn session_lost(
    client: &zk_tokio::Client,
    states: &mut zk_tokio::StateChanges,
) -> zk_blocking::Error {
    if let Some(error) = crate::run::tokio::session_error(client) {
        return error;
    }
    while let Some(state) = states.next().await {
        if let Some(error) = crate::machine::session_end(state) {
            return crate::run::tokio::session_error(client).unwrap_or(error);
        }
    }
    // The stream ended with the client: its state says how.
    zk_blocking::for_drivers::error_for_state(client.state(), client.state_reason().as_ref())
}
