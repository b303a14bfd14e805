//! Fuzz target bodies, shared by the cargo-fuzz binaries in `fuzz/` and by the stable
//! replay test `tests/tests/fuzz_corpus.rs`.
//!
//! Each function takes the raw fuzzer input, interprets it (structure-aware, through
//! [`arbitrary::Unstructured`]) and **panics when an invariant breaks**. Inputs that do
//! not make sense (too short, an invalid config) simply return.
//!
//! | target | what it drives | invariants |
//! |---|---|---|
//! | [`frame`] | [`zk_proto::FrameDecoder`], input split into arbitrary chunks | same frames and error as the unsplit input and as a reference parser; buffer bounded by the maximum |
//! | [`decode`] | every response decoder (by op), the reply and connect decoders | no panic; accepts exactly what a reference walker accepts; re-encodes to the consumed bytes when canonical, to their canonical form otherwise |
//! | [`session`] | a [`zk_session::Session`] fed arbitrary inputs and raw server bytes | see [`session`] |
//! | [`session_server`] | the same, against a scripted server replying arbitrarily | see [`session_server`] |
//!
//! The input layouts are documented on each function; [`seeds`] builds inputs from
//! readable descriptions, for the committed seed corpora.

mod decode;
mod driver;
mod frame;
mod input;
mod sasl_mechanism;
pub mod seeds;
mod session;
mod session_server;

pub use decode::decode;
pub use frame::frame;
pub use session::session;
pub use session_server::session_server;

/// A target body: panics when an invariant breaks.
pub type TargetFn = fn(&[u8]);

/// The targets, by name (the names of the cargo-fuzz binaries and of the seed dirs).
pub const TARGETS: &[(&str, TargetFn)] = &[
    ("frame", frame),
    ("decode", decode),
    ("session", session),
    ("session_server", session_server),
];
