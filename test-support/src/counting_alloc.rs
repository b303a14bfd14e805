//! A global allocator that passes every call on to [`System`] and counts: the live heap
//! bytes (the sizes requested, so the allocator's own per-block overhead comes on top),
//! the live blocks, and the peak of the live bytes. A reallocation counts toward the
//! peak as if the old and the new block were live at once, as they are when it moves.
//!
//! A test or bench binary installs it as its global allocator; a test that measures is
//! best the only test of its binary, so that no other test allocates meanwhile:
//!
//! ```
//! use zk_test_support::counting_alloc::{CountingAllocator, live, peak_bytes_of};
//!
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator;
//!
//! fn main() {
//!     let before = live();
//!     let kept = vec![0u8; 1000];
//!     assert_eq!(live().blocks, before.blocks + 1);
//!     assert!(peak_bytes_of(|| vec![0u8; 4000]) >= 4000);
//!     drop(kept);
//! }
//! ```

// Implementing `GlobalAlloc` needs `unsafe`; every call is passed on to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// The counting allocator; see the [module docs](self).
pub struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_BLOCKS: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);
/// Set by the first allocation through [`CountingAllocator`]: without it every count
/// would read zero and every bound would hold.
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn allocated(size: usize) {
    INSTALLED.store(true, Relaxed);
    PEAK_BYTES.fetch_max(LIVE_BYTES.fetch_add(size, Relaxed) + size, Relaxed);
    LIVE_BLOCKS.fetch_add(1, Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            allocated(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            allocated(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract, which we pass on.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Both blocks may be live while the contents move.
        PEAK_BYTES.fetch_max(LIVE_BYTES.load(Relaxed) + new_size, Relaxed);
        // SAFETY: the caller upholds `realloc`'s contract, which we pass on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(new_size, Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

/// Heap in use at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    /// Bytes requested and not yet freed.
    pub bytes: usize,
    /// Blocks allocated and not yet freed.
    pub blocks: usize,
}

/// The heap in use now. Panics unless [`CountingAllocator`] is this binary's global
/// allocator.
pub fn live() -> Live {
    assert!(
        INSTALLED.load(Relaxed),
        "CountingAllocator is not the #[global_allocator] of this binary"
    );
    Live {
        bytes: LIVE_BYTES.load(Relaxed),
        blocks: LIVE_BLOCKS.load(Relaxed),
    }
}

/// The most heap bytes live at once while `f` ran, above what was live when it began
/// (its result included, then dropped).
pub fn peak_bytes_of<T>(f: impl FnOnce() -> T) -> usize {
    let base = live().bytes;
    PEAK_BYTES.store(base, Relaxed);
    let out = f();
    let peak = PEAK_BYTES.load(Relaxed) - base;
    drop(out);
    peak
}
