//! Tab completion in the shell: the first word from the command names, a word that
//! starts with `/` from the server (`/a/b<TAB>` lists `/a`'s children that start
//! with `b`).

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use zk_blocking::SessionState;

use super::line::command_names;
use super::session::SessionSlot;
use crate::nodes::child_path;

pub struct ShellHelper {
    session: SessionSlot,
    commands: Vec<String>,
}

impl ShellHelper {
    pub fn new(session: SessionSlot) -> ShellHelper {
        ShellHelper {
            session,
            commands: command_names(),
        }
    }

    /// Children of the path's parent whose names start with its last component, as
    /// full paths; none when not connected or when the server says no.
    fn znode_candidates(&self, word: &str) -> Vec<String> {
        let Some(slash) = word.rfind('/') else {
            return Vec::new();
        };
        let (parent, prefix) = (
            if slash == 0 { "/" } else { &word[..slash] },
            &word[slash + 1..],
        );
        let mut current = self.session.lock();
        // While disconnected a call would wait for a reconnection, up to the call
        // timeout: a Tab must not freeze the line.
        let Some(zk) = current.as_mut().filter(|zk| {
            matches!(
                zk.state(),
                SessionState::Connected | SessionState::ConnectedReadOnly
            )
        }) else {
            return Vec::new();
        };
        let Ok(children) = zk.get_children(parent) else {
            return Vec::new();
        };
        let mut candidates: Vec<String> = children
            .iter()
            .filter(|child| child.starts_with(prefix))
            .map(|child| child_path(parent, child))
            .collect();
        candidates.sort();
        candidates
    }
}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .rfind(char::is_whitespace)
            .map_or(0, |blank| blank + 1);
        let word = &before[start..];
        let candidates = if before[..start].trim().is_empty() {
            // The blank after a command name lets the next word start at once.
            self.commands
                .iter()
                .filter(|name| name.starts_with(word))
                .map(|name| format!("{name} "))
                .collect()
        } else if word.starts_with('/') {
            self.znode_candidates(word)
        } else {
            Vec::new()
        };
        Ok((start, candidates))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use rustyline::history::DefaultHistory;
    use zk_blocking::{Client, CreateMode, Options};
    use zk_tests::shared_standalone;

    use super::*;

    fn complete(helper: &ShellHelper, line: &str) -> (usize, Vec<String>) {
        let history = DefaultHistory::new();
        helper
            .complete(line, line.len(), &Context::new(&history))
            .expect("completion")
    }

    fn connected_helper() -> ShellHelper {
        let client = Client::connect(&shared_standalone().connect_string(), Options::default())
            .expect("connecting to the test server");
        let slot = SessionSlot::default();
        slot.replace(Some(client));
        ShellHelper::new(slot)
    }

    #[test]
    fn the_first_word_completes_to_command_names() {
        let helper = ShellHelper::new(SessionSlot::default());
        assert_eq!(
            complete(&helper, "getA"),
            (0, vec!["getAcl ".into(), "getAllChildrenNumber ".into()])
        );
        assert_eq!(complete(&helper, "  con").1, ["config ", "connect "]);
    }

    #[test]
    fn a_path_completes_to_the_children_of_its_parent_on_the_server() {
        let helper = connected_helper();
        {
            let mut slot = helper.session.lock();
            let zk = slot.as_mut().unwrap();
            for path in [
                "/completion",
                "/completion/alpha",
                "/completion/alpine",
                "/completion/beta",
            ] {
                match zk.create(path, "", CreateMode::Persistent) {
                    Ok(_) | Err(zk_blocking::Error::NodeExists { .. }) => {}
                    Err(e) => panic!("creating {path}: {e}"),
                }
            }
        }
        assert_eq!(
            complete(&helper, "get -s /completion/al"),
            (
                7,
                vec!["/completion/alpha".into(), "/completion/alpine".into()]
            )
        );
        assert_eq!(complete(&helper, "ls /completion/").1.len(), 3);
        assert!(
            complete(&helper, "ls /")
                .1
                .contains(&"/completion".to_string())
        );
        assert!(complete(&helper, "ls /no-such-parent/x").1.is_empty());
    }

    #[test]
    fn paths_complete_to_nothing_without_a_session() {
        let helper = ShellHelper::new(SessionSlot::default());
        assert!(complete(&helper, "ls /").1.is_empty());
    }
}
