//! The ZooKeeper session as a pure state machine.
//!
//! No IO, no clock reads, no threads: time is a parameter of every call that needs it.
