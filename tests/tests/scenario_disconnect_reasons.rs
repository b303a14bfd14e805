//! Scenarios: when the connection to a real server is cut, the application learns
//! why from the state change itself, without logs: the blocking client's
//! `state_reason()` and the async client's `StateChanges::next_with_reason`.

mod common;
#[macro_use]
#[path = "common/tokio.rs"]
mod on_tokio;

use std::time::Duration;

use common::{connect, options, until_state};
use zk_blocking::{CloseReason, DisconnectCause, HostAddr, KeeperState, StateReason};
use zk_tests::proxy::{Fault, FaultProxy};
use zk_tests::shared_standalone;

/// Long enough that no read timeout fires unless a scenario silences the server.
const LONG: Duration = Duration::from_secs(10);
/// The shortest session timeout the shared server grants (2 × its 2 s tick): its read
/// timeout, 2/3 of it, passes in under 3 s.
const SHORT: Duration = Duration::from_secs(4);

/// The proxy's address as the session names the host it dialled.
fn host_of(proxy: &FaultProxy) -> HostAddr {
    let address = proxy.address();
    HostAddr {
        host: address.ip().to_string(),
        port: address.port(),
    }
}

#[test]
fn a_connection_closed_by_the_server_side_is_reported_on_the_disconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(LONG));
    proxy.close_all();
    until_state(&mut zk, KeeperState::Disconnected);
    let reason = zk.state_reason().expect("a disconnect has a reason");
    assert_eq!(
        reason,
        StateReason::Lost {
            host: host_of(&proxy),
            cause: DisconnectCause::Eof,
        }
    );
    assert_eq!(
        reason.to_string(),
        format!("server {} closed the connection", proxy.address())
    );
    until_state(&mut zk, KeeperState::SyncConnected);
}

#[test]
fn a_silent_server_is_reported_as_a_read_timeout_on_the_disconnect() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(SHORT));
    proxy.set_faults(Fault::Blackhole);
    until_state(&mut zk, KeeperState::Disconnected);
    proxy.set_faults(Fault::Pass);
    let reason = zk.state_reason().expect("a disconnect has a reason");
    assert_eq!(
        reason,
        StateReason::Dropped {
            host: host_of(&proxy),
            reason: CloseReason::ReadTimeout,
        }
    );
    assert_eq!(
        reason.to_string(),
        format!(
            "no reply from {} within the read timeout (ping)",
            proxy.address()
        )
    );
    until_state(&mut zk, KeeperState::SyncConnected);
}

async fn the_async_client_hears_why_it_was_disconnected(_root: &str) {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let zk = on_tokio::connect(&proxy.connect_string(), on_tokio::options(LONG)).await;
    let mut changes = zk.state_changes();
    proxy.close_all();
    let change = on_tokio::within("the disconnect", changes.next_with_reason()).await;
    assert_eq!(
        change,
        Some((
            KeeperState::Disconnected,
            Some(StateReason::Lost {
                host: host_of(&proxy),
                cause: DisconnectCause::Eof,
            })
        ))
    );
    let change = on_tokio::within("the reconnect", changes.next_with_reason()).await;
    assert_eq!(change, Some((KeeperState::SyncConnected, None)));
}

on_both_runtimes!(the_async_client_hears_why_it_was_disconnected);
