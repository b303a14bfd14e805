//! Queueing events for the application: replies, state changes, removed watches.

use zk_proto::{EventType, KeeperState};

use crate::error::RequestError;
use crate::event::{Event, WatchEvent};
use crate::id::RequestId;
use crate::request::Response;
use crate::watch::{Registration, WatchKind};

use super::Session;

impl Session {
    pub(super) fn reply(&mut self, id: RequestId, result: Result<Response, RequestError>) {
        self.events.push_back(Event::Reply {
            id,
            result,
            registration: None,
        });
    }

    pub(super) fn state_event(&mut self, state: KeeperState) {
        let registrations = self.watches.all();
        self.events.push_back(Event::State {
            state,
            registrations,
        });
    }

    pub(super) fn removed_events(&mut self, path: &str, removed: Vec<Registration>) {
        let groups = [
            (
                EventType::DataWatchRemoved,
                [WatchKind::Data, WatchKind::Exist].as_slice(),
            ),
            (EventType::ChildWatchRemoved, &[WatchKind::Child]),
            (
                EventType::PersistentWatchRemoved,
                &[WatchKind::Persistent, WatchKind::PersistentRecursive],
            ),
        ];
        for (event_type, kinds) in groups {
            let regs: Vec<Registration> = removed
                .iter()
                .filter(|r| kinds.contains(&r.kind))
                .cloned()
                .collect();
            if !regs.is_empty() {
                self.events.push_back(Event::Watch(WatchEvent {
                    event_type,
                    path: path.to_string(),
                    zxid: -1,
                    registrations: regs,
                }));
            }
        }
    }
}
