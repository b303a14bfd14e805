//! Test code that more than one crate of the workspace needs (`publish = false`): a
//! dev-dependency of zk-proto, zk-session, zk-blocking and zk-recipes, and a
//! dependency of zk-tests (whose fuzz seeds are built from the golden frames). It depends on zk-proto only, so zk-proto's
//! own tests can use it.
//!
//! - [`assert_matches!`]: a value fits a pattern.
//! - [`counting_alloc`]: a global allocator that counts live heap bytes and blocks and
//!   the peak, for the tests and benches that bound memory.
//! - [`golden`]: the scripted exchange behind the golden frames in
//!   `zk-proto/tests/golden/`, and reading those files.

mod assert_matches;
pub mod counting_alloc;
pub mod golden;
