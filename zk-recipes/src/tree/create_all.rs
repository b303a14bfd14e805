//! `mkdir -p`: create a path and its missing parents (persistent, open ACL, no data),
//! tolerant of others creating them at the same time: the step the recipes embed
//! ([`EnsurePath`]), as a machine of its own.

use zk_blocking::{Error, KeeperState};

use crate::ensure::{EnsurePath, Ensured};
use crate::machine::{Outbox, Recipe, Reply, Submit, Token};

/// Creates every missing node of a path; outputs once.
#[derive(Debug)]
pub struct CreateAllMachine {
    ensure: EnsurePath,
    outbox: Outbox,
    output: Option<Result<(), Error>>,
}

impl CreateAllMachine {
    /// Starts creating `path` (absolute; `/` alone is done at once).
    pub fn new(path: &str) -> CreateAllMachine {
        let mut ensure = EnsurePath::new(path);
        let first = ensure.start();
        let mut machine = CreateAllMachine {
            ensure,
            outbox: Outbox::default(),
            output: None,
        };
        machine.step(first);
        machine
    }

    fn step(&mut self, next: Ensured) {
        match next {
            Ensured::Next(request) => self.outbox.send_awaited(request),
            Ensured::Done => self.output = Some(Ok(())),
            Ensured::Failed(e) => self.output = Some(Err(e)),
        }
    }
}

impl Recipe for CreateAllMachine {
    type Output = Result<(), Error>;

    fn poll_submit(&mut self) -> Option<Submit> {
        self.outbox.poll()
    }

    fn handle_reply(&mut self, token: Token, reply: Reply) {
        if !self.outbox.answered(token) {
            return;
        }
        let next = self.ensure.on_reply(reply);
        self.step(next);
    }

    fn handle_session(&mut self, state: KeeperState) {
        if let Some(e) = crate::machine::session_end(state) {
            self.handle_session_end(e);
        }
    }

    fn handle_session_end(&mut self, error: Error) {
        self.output.get_or_insert(Err(error));
        self.outbox.forget_awaited();
    }

    fn poll_output(&mut self) -> Option<Self::Output> {
        self.output.take()
    }

    fn awaiting_replies(&self) -> bool {
        self.outbox.awaiting()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use zk_blocking::{CreateMode, Request, Response};

    use super::*;

    #[test]
    fn the_root_exists_already_so_nothing_is_sent() {
        let mut machine = CreateAllMachine::new("/");
        assert_eq!(machine.poll_submit(), None);
        assert_eq!(machine.poll_output(), Some(Ok(())));
    }

    #[test]
    fn a_valid_path_is_created_whole_first() {
        let mut machine = CreateAllMachine::new("/a/b");
        let submit = machine.poll_submit().expect("a create");
        assert_eq!(
            submit.request,
            Request::create("/a/b", Bytes::new(), CreateMode::Persistent)
        );
        let created = Response::Create {
            path: "/a/b".to_string(),
            stat: None,
        };
        machine.handle_reply(submit.token, Ok((created, None)));
        assert_eq!(machine.poll_output(), Some(Ok(())));
    }
}
