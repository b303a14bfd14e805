//! Test code that more than one crate of the workspace needs (`publish = false`): a
//! dev-dependency of zk-proto and zk-session.
//!
//! - [`counting_alloc`]: a global allocator that counts live heap bytes and blocks and
//!   the peak, for the tests and benches that bound memory.

pub mod counting_alloc;
