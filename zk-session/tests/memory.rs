//! Memory: the heap a session holds per in-flight request, per queued request and per
//! watch registration stays under fixed bounds. The measurements are the memory bench's
//! (`benches/memory.rs`, which explains them); this runs them as a test so they cannot
//! rot. The only test in this binary, so no other test allocates meanwhile.
//!
//! The bounds are about twice what was measured when they were set (10,000 getData
//! of paths like `/app/service/node-00001`): they catch a regression that doubles the
//! cost, not noise.

#[path = "../benches/memory.rs"]
#[allow(dead_code)] // its `main` is the bench's entry point
mod bench;

use bench::{Figure, PATH_LEN};

/// Most heap bytes per getData written and awaiting its reply, each written as it was
/// submitted (measured: 439).
const IN_FLIGHT_MAX: f64 = 880.0;
/// The same when all were submitted before any was written: the queue's grown
/// capacity stays with the session (measured: 803).
const IN_FLIGHT_BURST_MAX: f64 = 1600.0;
/// Most heap bytes per getData queued while no connection is up (measured: 400).
const QUEUED_MAX: f64 = 800.0;
/// Most heap bytes per watch registration besides the path's own bytes, which the
/// session keeps twice: the server path as the table key, the client path in the
/// registration (measured: 239 for a data watch, 251 for a persistent-recursive one,
/// with 23-byte paths, so 193 and 205 beyond them).
const WATCH_MAX_BEYOND_PATH: f64 = 464.0;
/// Most heap blocks per request (measured: 2, the client and the server path).
const REQUEST_BLOCKS_MAX: f64 = 4.0;
/// Most heap blocks per watch (measured: 3, the two paths and the table's id list).
const WATCH_BLOCKS_MAX: f64 = 6.0;

fn check(f: Figure, max: f64, max_blocks: f64) {
    assert!(
        f.bytes <= max,
        "{}: {:.1} bytes per item, over the bound of {max}",
        f.what,
        f.bytes
    );
    assert!(
        f.blocks <= max_blocks,
        "{}: {:.2} heap blocks per item, over the bound of {max_blocks}",
        f.what,
        f.blocks
    );
}

#[test]
fn session_memory_per_request_and_per_watch_is_bounded() {
    let f = bench::measure();
    bench::print(&f);
    check(f.in_flight, IN_FLIGHT_MAX, REQUEST_BLOCKS_MAX);
    check(f.in_flight_burst, IN_FLIGHT_BURST_MAX, REQUEST_BLOCKS_MAX);
    check(f.queued, QUEUED_MAX, REQUEST_BLOCKS_MAX);
    let watch_max = WATCH_MAX_BEYOND_PATH + 2.0 * PATH_LEN as f64;
    check(f.data_watch, watch_max, WATCH_BLOCKS_MAX);
    check(f.recursive_watch, watch_max, WATCH_BLOCKS_MAX);
}
