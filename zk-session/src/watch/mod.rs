//! Client-side watch registrations and the routing of notifications (protocol.md §7).

mod ids;
mod kinds;
mod table;

pub use kinds::{Registration, WatchKind, WatcherType};
pub(crate) use table::{NodeEvent, WatchTables};
