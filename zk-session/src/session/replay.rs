//! After a reconnect: the credentials again, then every watch re-registered in
//! SetWatches batches.

use std::time::Instant;

use zk_proto::{AuthPacket, SetWatches, SetWatches2, xid};

use crate::pending::{InFlight, InFlightKind};
use crate::watch::WatchKind;

use super::Session;
use super::connection::write_frame;

/// Most bytes of one SetWatches frame, length prefix included: Java's
/// `SET_WATCHES_MAX_LENGTH` (128 KiB), which Java counts in path characters only; we
/// count the whole frame, so no batch exceeds it.
const SET_WATCHES_MAX_LEN: usize = 128 * 1024;
/// A SetWatches/SetWatches2 frame without paths: length prefix, request header,
/// relativeZxid and five list counts (SetWatches has three; counting five only
/// overestimates).
const SET_WATCHES_BASE_LEN: usize =
    zk_proto::LENGTH_PREFIX_LEN + zk_proto::RequestHeader::LEN + 8 + 5 * 4;
/// The watch tables in the order of [`WatchTables::paths`] and the SetWatches lists.
const KINDS_IN_SET_WATCHES_ORDER: [WatchKind; 5] = [
    WatchKind::Data,
    WatchKind::Exist,
    WatchKind::Child,
    WatchKind::Persistent,
    WatchKind::PersistentRecursive,
];

impl Session {
    /// Sends every credential again, in the order added.
    pub(super) fn replay_auths(&mut self, now: Instant) {
        let c = self.conn.as_mut().expect("established");
        for (scheme, auth) in &self.auths {
            let req = zk_proto::WireRequest::Auth(AuthPacket::new(scheme.clone(), auth.clone()));
            write_frame(c, &req, xid::AUTH, now);
        }
    }

    /// Re-registers every watch after a reconnect, in batches whose frames each fit
    /// `max_frame` and 128 KiB (counted as encoded; a single path longer than that
    /// goes alone in a frame up to `max_frame`). A path so
    /// long that a SetWatches frame holding only it exceeds `max_frame` cannot be
    /// re-registered: its registrations are dropped, each with its watch-removed
    /// event (zxid −1), as if removed locally.
    pub(super) fn send_set_watches(&mut self, now: Instant) {
        if self.watches.len() == 0 {
            return;
        }
        let lists = self.watches.paths();
        let mut batch: [Vec<String>; 5] = Default::default();
        // The frame limit counts the body without the prefix.
        let budget = (self.max_frame + zk_proto::LENGTH_PREFIX_LEN).min(SET_WATCHES_MAX_LEN);
        let mut frame_len = SET_WATCHES_BASE_LEN;
        let mut in_batch = 0usize;
        let mut too_long = Vec::new();
        for (i, list) in lists.into_iter().enumerate() {
            for server in list {
                let entry = 4 + server.len();
                // A path longer than the batch budget still goes alone in its frame,
                // if the server can take that frame.
                if SET_WATCHES_BASE_LEN + entry > self.max_frame + zk_proto::LENGTH_PREFIX_LEN {
                    too_long.push((KINDS_IN_SET_WATCHES_ORDER[i], server));
                    continue;
                }
                if in_batch > 0 && frame_len + entry > budget {
                    let full = std::mem::take(&mut batch);
                    self.write_set_watches(full, now);
                    frame_len = SET_WATCHES_BASE_LEN;
                    in_batch = 0;
                }
                frame_len += entry;
                in_batch += 1;
                batch[i].push(server);
            }
        }
        if in_batch > 0 {
            self.write_set_watches(batch, now);
        }
        for (kind, server) in too_long {
            let removed = self.watches.take_all(kind, &server);
            if let Some(client) = removed.first().map(|r| r.path.clone()) {
                self.removed_events(&client, removed);
            }
        }
    }

    fn write_set_watches(&mut self, batch: [Vec<String>; 5], now: Instant) {
        let [data, exist, child, persistent, recursive] = batch;
        let relative_zxid = self.last_zxid;
        let req = if persistent.is_empty() && recursive.is_empty() {
            zk_proto::WireRequest::SetWatches(SetWatches {
                relative_zxid,
                data_watches: data,
                exist_watches: exist,
                child_watches: child,
            })
        } else {
            zk_proto::WireRequest::SetWatches2(SetWatches2 {
                relative_zxid,
                data_watches: data,
                exist_watches: exist,
                child_watches: child,
                persistent_watches: persistent,
                persistent_recursive_watches: recursive,
            })
        };
        debug_assert!(
            zk_proto::RequestHeader::LEN + zk_proto::Encode::encoded_len(&req) <= self.max_frame
        );
        let xid = self.xids.next_xid();
        let c = self.conn.as_mut().expect("established");
        write_frame(c, &req, xid, now);
        let end = c.queued;
        self.in_flight.push(InFlight {
            xid,
            op: req.op_code(),
            end,
            kind: InFlightKind::SetWatches,
        });
    }
}
