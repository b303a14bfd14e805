//! Received frames: decoding them, matching replies to the in-flight FIFO, turning
//! notifications into watch events.

use std::time::Instant;

use bytes::Bytes;
use zk_proto::{Decode, ErrorCode, EventType, Reader, ReplyHeader, xid};

use crate::error::{CloseReason, RequestError};
use crate::event::{Event, WatchEvent};
use crate::id::ConnId;
use crate::pending::{InFlight, InFlightKind};
use crate::request::{self, Expect, Response};
use crate::state::SessionState;
use crate::watch::{NodeEvent, WatchKind};

use super::Session;
use super::connection::Phase;

impl Session {
    /// Decodes and handles every complete frame in `conn`'s receive buffer.
    pub(super) fn process_received(&mut self, conn: ConnId, now: Instant) {
        if self
            .conn_mut(conn)
            .is_some_and(|c| c.phase == Phase::Dialing)
        {
            // Bytes before `handle_connected`: treat the connection as up.
            self.handle_connected(conn, now);
        }
        while let Some(c) = self.conn.as_mut().filter(|c| c.id == conn) {
            let frame = match c.decoder.decode() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    // Drops the connection, or waits for the frame's xid.
                    self.frame_error(e, now);
                    break;
                }
            };
            c.last_recv = now;
            self.last_heard = now;
            if c.phase == Phase::Handshaking {
                self.on_handshake(frame, now);
            } else {
                self.on_frame(frame, now);
                self.answer_local_heads();
            }
            if self.state.is_terminal() {
                break;
            }
        }
        self.update_timers();
    }

    fn on_frame(&mut self, frame: Bytes, now: Instant) {
        let mut r = Reader::new(frame);
        let header = match ReplyHeader::decode(&mut r) {
            Ok(h) => h,
            Err(e) => {
                self.drop_conn(Some(CloseReason::Decode(e.to_string())), now);
                return;
            }
        };
        match header.xid {
            xid::NOTIFICATION => self.on_notification(&header, &mut r, now),
            xid::PING => {}
            xid::AUTH => {
                if header.err == zk_proto::ErrorCode::AuthFailed {
                    self.terminate(SessionState::AuthFailed, now);
                }
            }
            x => self.on_reply(x, &header, &mut r, now),
        }
    }

    fn on_notification(&mut self, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        let ev = match zk_proto::WatcherEvent::decode(r) {
            Ok(e) => e,
            Err(e) => {
                self.drop_conn(Some(CloseReason::Decode(e.to_string())), now);
                return;
            }
        };
        let node_event = match ev.event_type {
            EventType::NodeCreated => Some(NodeEvent::Created),
            EventType::NodeDeleted => Some(NodeEvent::Deleted),
            EventType::NodeDataChanged => Some(NodeEvent::DataChanged),
            EventType::NodeChildrenChanged => Some(NodeEvent::ChildrenChanged),
            _ => None,
        };
        let registrations = match node_event {
            Some(e) => self.watches.route(e, &ev.path),
            None => Vec::new(),
        };
        if registrations.is_empty() {
            // Nobody here watches it any more (removed or abandoned while the server
            // still held the watch, or the server's second NodeDeleted for a node
            // deleted while disconnected). Java hands such events to nobody either.
            self.stray_notifications += 1;
            return;
        }
        let path = self.chroot.strip(ev.path);
        // A notification may overflow the event queue (Config::max_queued_events).
        self.events.push(Event::Watch(WatchEvent {
            event_type: ev.event_type,
            path,
            zxid: header.zxid,
            registrations,
        }));
    }

    fn on_reply(&mut self, xid: i32, header: &ReplyHeader, r: &mut Reader, now: Instant) {
        let Some(head) = self.in_flight.front() else {
            let reason = if self.last_answered == Some(xid) {
                CloseReason::DuplicateReply(xid)
            } else {
                CloseReason::UnsolicitedReply(xid)
            };
            self.drop_conn(Some(reason), now);
            return;
        };
        if head.xid != xid {
            let reason = if self.last_answered == Some(xid) {
                CloseReason::DuplicateReply(xid)
            } else {
                CloseReason::XidOutOfOrder {
                    expected: head.xid,
                    got: xid,
                }
            };
            self.drop_conn(Some(reason), now);
            return;
        }
        let f = self.in_flight.pop().expect("head exists");
        if let Some(c) = self.conn.as_mut() {
            c.answered = c.answered.max(f.end);
        }
        self.last_answered = Some(xid);
        if header.zxid > 0 {
            self.last_zxid = header.zxid;
        }
        let u = match f.kind {
            InFlightKind::User(u) => u,
            InFlightKind::SetWatches => return,
            InFlightKind::Close => {
                self.terminate(SessionState::Closed, now);
                return;
            }
        };
        let p = &u.prepared;
        let err = header.err;
        if !err.is_ok() {
            // exists watches a missing node; addWatch registers on NoNode too (Java's
            // AddWatchRegistration), though servers answer it Ok on missing nodes.
            let on_no_node = match p.expect {
                Expect::Exists => Some((WatchKind::Exist, Response::Exists(None))),
                Expect::AddWatch => p.watch.map(|k| (k, Response::AddWatch)),
                _ => None,
            };
            if let (Some((kind, result)), zk_proto::ErrorCode::NoNode) = (on_no_node, err) {
                let registration = match p.watch {
                    Some(_) if !self.is_abandoned(u.id) => {
                        let server = self.server_path(p);
                        Some(self.watches.register(kind, &server, &p.client_path, u.id))
                    }
                    _ => None,
                };
                self.reply_with(u.id, Ok(result), registration);
            } else {
                self.reply(u.id, Err(RequestError::Server(err)));
            }
            return;
        }
        let body = match zk_proto::WireResponse::decode(f.op, r) {
            Ok(b) => b,
            Err(e) => {
                let reason = CloseReason::Decode(e.to_string());
                self.in_flight.push_front(InFlight {
                    kind: InFlightKind::User(u),
                    ..f
                });
                self.drop_conn(Some(reason), now);
                return;
            }
        };
        let Some(response) = request::finish(&p.expect, body, &self.chroot) else {
            self.in_flight.push_front(InFlight {
                kind: InFlightKind::User(u),
                ..f
            });
            self.drop_conn(
                Some(CloseReason::Decode(
                    "reply body does not fit the request".into(),
                )),
                now,
            );
            return;
        };
        let server = self.server_path(p);
        let registration = match p.watch {
            Some(kind) if !self.is_abandoned(u.id) => {
                Some(self.watches.register(kind, &server, &p.client_path, u.id))
            }
            _ => None,
        };
        if let Expect::RemoveWatches {
            registration: one,
            removes,
            ..
        } = p.expect
        {
            let removed = self.watches.remove(&server, removes, one);
            if removed.is_empty() {
                // It fired (or was removed) after the submit-time check: Java answers
                // NoWatcher here too.
                self.reply(u.id, Err(RequestError::Server(ErrorCode::NoWatcher)));
                return;
            }
            let path = p.client_path.clone();
            self.removed_events(&path, removed);
        }
        self.reply_with(u.id, Ok(response), registration);
    }
}
