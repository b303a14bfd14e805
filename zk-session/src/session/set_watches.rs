//! Re-registering watches after a reconnect: every watched path, batched into
//! SetWatches / SetWatches2 frames that each fit the frame limits.

use zk_proto::{SetWatches, SetWatches2, WireRequest};

use crate::watch::WatchKind;

/// Most bytes of one SetWatches frame, length prefix included: Java's
/// `SET_WATCHES_MAX_LENGTH` (128 KiB), which Java counts in path characters only; we
/// count the whole frame, so no batch exceeds it.
const SET_WATCHES_MAX_LEN: usize = 128 * 1024;
/// A SetWatches/SetWatches2 frame without paths: length prefix, request header,
/// relativeZxid and five list counts (SetWatches has three; counting five only
/// overestimates).
const SET_WATCHES_BASE_LEN: usize =
    zk_proto::LENGTH_PREFIX_LEN + zk_proto::RequestHeader::LEN + 8 + 5 * 4;
/// The watch kinds in the order of the SetWatches lists.
pub(super) const KINDS_IN_SET_WATCHES_ORDER: [WatchKind; 5] = [
    WatchKind::Data,
    WatchKind::Exist,
    WatchKind::Child,
    WatchKind::Persistent,
    WatchKind::PersistentRecursive,
];

/// The frames that re-register `paths` (server paths per kind, in
/// [`KINDS_IN_SET_WATCHES_ORDER`]), and the paths too long to fit any frame.
#[derive(Debug, Default)]
pub(super) struct Batches {
    pub(super) frames: Vec<WireRequest>,
    /// Paths so long that a SetWatches frame holding only them exceeds `max_frame`:
    /// they cannot be re-registered.
    pub(super) too_long: Vec<(WatchKind, String)>,
}

/// Batches `paths` into frames that each fit `max_frame` and 128 KiB (counted as
/// encoded; a single path longer than 128 KiB goes alone in a frame up to
/// `max_frame`).
pub(super) fn batches(paths: [Vec<String>; 5], relative_zxid: i64, max_frame: usize) -> Batches {
    let mut out = Batches::default();
    let mut batch: [Vec<String>; 5] = Default::default();
    // The frame limit counts the body without the prefix.
    let largest = max_frame + zk_proto::LENGTH_PREFIX_LEN;
    let budget = largest.min(SET_WATCHES_MAX_LEN);
    let mut frame_len = SET_WATCHES_BASE_LEN;
    let mut in_batch = 0usize;
    for (i, list) in paths.into_iter().enumerate() {
        for server in list {
            let entry = 4 + server.len();
            if SET_WATCHES_BASE_LEN + entry > largest {
                out.too_long.push((KINDS_IN_SET_WATCHES_ORDER[i], server));
                continue;
            }
            if in_batch > 0 && frame_len + entry > budget {
                let full = std::mem::take(&mut batch);
                out.frames.push(frame(full, relative_zxid));
                frame_len = SET_WATCHES_BASE_LEN;
                in_batch = 0;
            }
            frame_len += entry;
            in_batch += 1;
            batch[i].push(server);
        }
    }
    if in_batch > 0 {
        out.frames.push(frame(batch, relative_zxid));
    }
    debug_assert!(
        out.frames.iter().all(|f| {
            zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(f) <= max_frame
        })
    );
    out
}

/// SetWatches when only one-shot kinds are present (every server knows it), else
/// SetWatches2.
fn frame(batch: [Vec<String>; 5], relative_zxid: i64) -> WireRequest {
    let [data, exist, child, persistent, recursive] = batch;
    if persistent.is_empty() && recursive.is_empty() {
        WireRequest::SetWatches(Box::new(SetWatches {
            relative_zxid,
            data_watches: data,
            exist_watches: exist,
            child_watches: child,
        }))
    } else {
        WireRequest::SetWatches2(Box::new(SetWatches2 {
            relative_zxid,
            data_watches: data,
            exist_watches: exist,
            child_watches: child,
            persistent_watches: persistent,
            persistent_recursive_watches: recursive,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_paths(n: usize, len: usize) -> [Vec<String>; 5] {
        let mut p: [Vec<String>; 5] = Default::default();
        p[0] = (0..n)
            .map(|i| format!("/{i:0>width$}", width = len - 1))
            .collect();
        p
    }

    #[test]
    fn one_shot_watches_only_go_as_set_watches() {
        let b = batches(data_paths(3, 10), 7, 1 << 20);
        assert_eq!(b.frames.len(), 1);
        assert!(matches!(&b.frames[0], WireRequest::SetWatches(s) if s.relative_zxid == 7));
    }

    #[test]
    fn batches_stay_under_128_kib() {
        // 300 paths of 1,000 bytes: about 300 KB in all.
        let b = batches(data_paths(300, 1000), 0, 1 << 20);
        assert_eq!(b.frames.len(), 3);
        for f in &b.frames {
            assert!(f.frame_len() <= SET_WATCHES_MAX_LEN);
        }
    }

    #[test]
    fn a_path_longer_than_any_frame_is_reported() {
        let b = batches(data_paths(1, 2000), 0, 1024);
        assert!(b.frames.is_empty());
        assert_eq!(b.too_long.len(), 1);
        assert_eq!(b.too_long[0].0, WatchKind::Data);
    }
}
