//! Traffic counters, shared by a connection and its proxy.

use std::sync::atomic::{AtomicU64, Ordering};

use super::frames::FramesSeen;

/// What went one way through the proxy (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// Bytes read from the sending side, including any the proxy then dropped.
    pub bytes_read: u64,
    /// Bytes written to the receiving side.
    pub bytes_written: u64,
    /// Complete frames read from the sending side, the connect handshake included.
    pub frames: u64,
    /// Of those, frames after the handshake whose xid is -2: ping requests towards the
    /// server, ping replies towards the client.
    pub pings: u64,
}

/// The live counters behind a [`TrafficStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
    frames: AtomicU64,
    pings: AtomicU64,
}

impl Counters {
    pub(crate) fn add_read(&self, bytes: usize, seen: &FramesSeen) {
        self.bytes_read.fetch_add(bytes as u64, Ordering::Relaxed);
        self.frames.fetch_add(seen.frames, Ordering::Relaxed);
        self.pings.fetch_add(seen.pings, Ordering::Relaxed);
    }

    pub(crate) fn add_written(&self, bytes: usize) {
        self.bytes_written
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> TrafficStats {
        TrafficStats {
            bytes_read: self.bytes_read.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            pings: self.pings.load(Ordering::Relaxed),
        }
    }
}
