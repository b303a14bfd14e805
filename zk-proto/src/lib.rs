//! The ZooKeeper client wire protocol: framing and the jute records of every client op.
//!
//! No IO, no clock, no session state.
