//! The shell's numbered commands, as zkCli.sh keeps them: every non-empty line gets
//! the number its prompt showed, failed ones too; `history` lists the last ten and the
//! current one; `redo N` runs line N again and is recorded as that command.

use super::input::{HASH_PASSWORD, hashes_passwords, holds_credentials};

/// How many lines before the current one `history` lists, as in zkCli.sh.
const SHOWN_BEFORE: usize = 10;

#[derive(Default)]
pub struct History {
    lines: Vec<String>,
}

impl History {
    /// The number the next line gets, which the prompt shows.
    pub fn next_number(&self) -> usize {
        self.lines.len()
    }

    pub fn record(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }

    /// The command of line `number`, for `redo`, the current line: it becomes the
    /// current line's command too. A redo that failed stays a redo, and is not redone.
    pub fn redo(&mut self, number: usize) -> Result<String, String> {
        let current = self.lines.len().saturating_sub(1);
        if number >= current {
            return Err(format!(
                "redo {number}: there is no command {number} before this one; `history` lists them"
            ));
        }
        let line = self.lines[number].clone();
        if is_redo(&line) {
            return Err(format!(
                "redo {number}: line {number} is a redo that failed; redo the command it named"
            ));
        }
        self.lines[current] = line.clone();
        Ok(line)
    }

    /// `N - line` for the last ten lines and the current one, credentials hidden.
    pub fn recent(&self) -> Vec<String> {
        let first = self.lines.len().saturating_sub(SHOWN_BEFORE + 1);
        (first..)
            .zip(&self.lines[first..])
            .map(|(number, line)| format!("{number} - {}", shown(line)))
            .collect()
    }
}

fn is_redo(line: &str) -> bool {
    line.split_whitespace().next() == Some("redo")
}

/// `line`, but `addauth SCHEME ***` or `setAcl --hash-password ***` for one that
/// carries credentials: `history` is read over shoulders and pasted into tickets.
fn shown(line: &str) -> String {
    if !holds_credentials(line) {
        return line.to_string();
    }
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    if hashes_passwords(line) {
        return format!("{command} {HASH_PASSWORD} ***");
    }
    let scheme = words.next().unwrap_or_default();
    format!("addauth {scheme} ***")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(lines: &[&str]) -> History {
        let mut history = History::default();
        lines.iter().for_each(|line| history.record(line));
        history
    }

    #[test]
    fn history_lists_the_last_ten_lines_and_the_current_one_by_prompt_number() {
        let lines: Vec<String> = (0..14).map(|n| format!("ls /{n}")).collect();
        let history = history(&lines.iter().map(String::as_str).collect::<Vec<_>>());
        let recent = history.recent();
        assert_eq!(recent.len(), 11);
        assert_eq!(recent[0], "3 - ls /3");
        assert_eq!(recent[10], "13 - ls /13");
        assert_eq!(history.next_number(), 14);
    }

    #[test]
    fn a_redo_is_recorded_as_the_command_it_ran() {
        let mut history = history(&["ls /", "redo 0"]);
        assert_eq!(history.redo(0).unwrap(), "ls /");
        assert_eq!(history.recent(), ["0 - ls /", "1 - ls /"]);
    }

    #[test]
    fn a_redo_of_itself_a_later_line_or_a_failed_redo_is_refused() {
        let mut history = history(&["ls /", "redo 1"]);
        assert!(history.redo(1).is_err());
        history.record("redo 1");
        assert!(history.redo(1).unwrap_err().contains("a redo that failed"));
        assert!(history.redo(7).is_err());
    }

    #[test]
    fn credentials_are_hidden_from_the_listing_but_kept_for_redo() {
        let mut history = history(&["addauth digest bob:secret", "redo 0"]);
        assert_eq!(history.recent()[0], "0 - addauth digest ***");
        assert_eq!(history.redo(0).unwrap(), "addauth digest bob:secret");
    }
}
