#![no_main]
//! See `zk_tests::fuzzing::decode` for the input layout and the invariants.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zk_tests::fuzzing::decode(data));
