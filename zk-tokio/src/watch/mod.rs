//! What a watch gives its holder: a one-shot watch is a future of its event, a
//! persistent one a stream of them; the session's state changes are a stream too.
//! Each keeps its events in its own queue ([`queues`]) from the moment the watch is
//! set, so nothing is missed between a reply and the first poll.

pub(crate) mod queues;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use zk_blocking::{Error, Event, KeeperState, Result, StateReason, WatchHandle, WatchedEvent};

use crate::core::Shared;

/// A one-shot watch (from `get_data_watch`, `exists_watch`, `get_children_watch`,
/// `get_config_watch`): a future of the event that fires it. It resolves to
/// * `Ok(event)` when the watch fires, or when it is removed (`remove_watch`: then
///   the event type is `DataWatchRemoved` / `ChildWatchRemoved`);
/// * `Err(SessionExpired | Closed | AuthFailed)` when the session ends first.
///
/// Disconnects do not resolve it: the session sets the watch again on the next
/// connection (if the node changed meanwhile, the server fires it at once).
///
/// Dropping it removes the watch: the server is asked to remove it too when it is this
/// client's last watch on the path (the registration alone otherwise; see
/// [`crate::Client`]'s "Watches").
pub struct OneShotWatch {
    watch: Held,
}

impl OneShotWatch {
    pub(crate) fn new(shared: Arc<Shared>, handle: WatchHandle) -> OneShotWatch {
        OneShotWatch {
            watch: Held::new(shared, handle),
        }
    }

    /// The watch's handle (for `remove_watch`, `check_watches`).
    pub fn handle(&self) -> WatchHandle {
        self.watch.handle
    }
}

impl Future for OneShotWatch {
    type Output = Result<WatchedEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<WatchedEvent>> {
        let this = self.get_mut();
        match this.watch.poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Event::Watch(event))) => Poll::Ready(Ok(event)),
            Poll::Ready(Some(Event::Session { state, .. })) => Poll::Ready(Err(match state {
                KeeperState::Expired => Error::SessionExpired,
                KeeperState::AuthFailed => Error::AuthFailed,
                _ => Error::Closed,
            })),
            // A one-shot watch gets one notification; an overflow or an early end
            // only happen once the client is closing.
            Poll::Ready(_) => Poll::Ready(Err(Error::Closed)),
        }
    }
}

impl fmt::Debug for OneShotWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneShotWatch")
            .field("handle", &self.watch.handle)
            .finish()
    }
}

/// A persistent watch (from `add_watch`): a stream of its events, in wire order:
/// * `Event::Watch` for each notification, and for its removal
///   (`PersistentWatchRemoved`, after `remove_watch`), which ends the stream;
/// * `Event::Overflow` in the place of notifications dropped because more than
///   `max_queued_events` were left unread: re-read what the watch covers;
/// * `Event::Session` with `Expired`, `Closed` or `AuthFailed` (and why) when the
///   session ends, which ends the stream.
///
/// Disconnects are not in it (see [`crate::Client::state_changes`]): the session sets
/// the watch again on the next connection, but the server does not replay the changes
/// made meanwhile, so re-read what the watch covers after each reconnect (see the
/// [crate docs](crate#disconnects-expiry-and-calls-cut-short)). Dropping the stream
/// removes the watch (see [`OneShotWatch`]); dropping the last clone of the client
/// ends it with `Closed`. Besides [`Stream`], [`WatchStream::next`] needs no extra
/// crate.
///
/// On servers before 3.9, a [`OneShotWatch`] and a `WatchStream` of the same client
/// on the same path interfere (ZOOKEEPER-4466: the server keeps one watch mode per
/// session and path, so the later replaces the earlier), as in Java: keep them on
/// different paths or clients.
pub struct WatchStream {
    watch: Held,
}

impl WatchStream {
    pub(crate) fn new(shared: Arc<Shared>, handle: WatchHandle) -> WatchStream {
        WatchStream {
            watch: Held::new(shared, handle),
        }
    }

    /// The watch's handle (for `remove_watch`, `check_watches`).
    pub fn handle(&self) -> WatchHandle {
        self.watch.handle
    }

    /// The next event; `None` once the watch was removed or the session ended.
    pub async fn next(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.watch.poll_next(cx)).await
    }
}

impl Stream for WatchStream {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().watch.poll_next(cx)
    }
}

impl fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchStream")
            .field("handle", &self.watch.handle)
            .finish()
    }
}

/// A watch someone holds: its queue lives while this does.
struct Held {
    /// `None` once its last event was taken: nothing is left to remove.
    shared: Option<Arc<Shared>>,
    handle: WatchHandle,
}

impl Held {
    fn new(shared: Arc<Shared>, handle: WatchHandle) -> Held {
        Held {
            shared: Some(shared),
            handle,
        }
    }

    fn poll_next(&mut self, cx: &Context<'_>) -> Poll<Option<Event>> {
        let Some(shared) = &self.shared else {
            return Poll::Ready(None);
        };
        let mut core = shared.lock();
        let next = core.watches.poll_next(self.handle.id(), cx);
        let last = match &next {
            Poll::Ready(None | Some(Event::Session { .. })) => true,
            Poll::Ready(Some(_)) => self.handle.kind().is_one_shot(),
            Poll::Pending => false,
        };
        if last {
            // Its registration went when it fired or ended; its queue goes now.
            core.watches.close(self.handle.id());
            drop(core);
            self.shared = None;
        }
        next
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let handle = self.handle;
        if let Some(shared) = self.shared.take() {
            shared.with(|core, wakeups| {
                core.drop_watch(handle, wakeups);
            });
        }
    }
}

/// The session's state changes, from the moment the stream was made: `SyncConnected`,
/// `ConnectedReadOnly`, `Disconnected`, and last `Expired`, `AuthFailed` or `Closed`,
/// after which the stream ends. If more than `max_queued_events` are left unread the
/// oldest are dropped (the latest state is what counts). Besides [`Stream`],
/// [`StateChanges::next`] needs no extra crate.
pub struct StateChanges {
    shared: Arc<Shared>,
    id: u64,
}

impl StateChanges {
    pub(crate) fn new(shared: Arc<Shared>) -> StateChanges {
        let id = {
            let mut core = shared.lock();
            let ended = core.session.state().is_terminal();
            core.listeners.add(ended)
        };
        StateChanges { shared, id }
    }

    /// The next state change; `None` once the session is over and its last change
    /// was taken.
    pub async fn next(&mut self) -> Option<KeeperState> {
        Some(self.next_with_reason().await?.0)
    }

    /// The next state change with its reason: why the session became
    /// `Disconnected`, `Expired`, `AuthFailed` or `Closed` (its `Display` is a
    /// sentence such as "server 127.0.0.1:2181 closed the connection"); `None` for
    /// the connected states.
    pub async fn next_with_reason(&mut self) -> Option<(KeeperState, Option<StateReason>)> {
        std::future::poll_fn(|cx| self.shared.lock().listeners.poll_next(self.id, cx)).await
    }
}

impl Stream for StateChanges {
    type Item = KeeperState;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<KeeperState>> {
        let next = self.shared.lock().listeners.poll_next(self.id, cx);
        next.map(|change| change.map(|(state, _)| state))
    }
}

impl Drop for StateChanges {
    fn drop(&mut self) {
        self.shared.lock().listeners.remove(self.id);
    }
}

impl fmt::Debug for StateChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateChanges").finish_non_exhaustive()
    }
}
