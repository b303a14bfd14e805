//! Client-side path validation, matching Java's `PathUtils.validatePath`.
//!
//! The server does not fully validate paths (a bad path often just gives NONODE), so a
//! client validates before sending.

/// Why a path is invalid. Positions are byte offsets into the path as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty.
    #[error("path must not be empty")]
    Empty,
    /// The path does not start with `/`.
    #[error("path must start with /")]
    NoLeadingSlash,
    /// The path ends with `/` (allowed only for the root and for sequential creates).
    #[error("path must not end with /")]
    TrailingSlash,
    /// Two slashes in a row (an empty node name).
    #[error("empty node name at byte {position}")]
    EmptySegment {
        /// Offset of the second `/`.
        position: usize,
    },
    /// A node name that is exactly `.` or `..`.
    #[error("relative node name (. or ..) at byte {position}")]
    RelativeSegment {
        /// Offset of the segment's first byte.
        position: usize,
    },
    /// A character Java rejects: U+0000, U+0001–U+001F, U+007F–U+009F, U+E000–U+F8FF
    /// (with surrogates, U+D800–U+F8FF in Java), U+FFF0–U+FFFF, or any character outside
    /// the BMP (a surrogate pair in Java).
    #[error("invalid character {ch:?} at byte {position}")]
    InvalidChar {
        /// Offset of the character.
        position: usize,
        /// The character.
        ch: char,
    },
}

/// Whether Java's `validatePath` rejects `c` anywhere in a path.
pub const fn is_forbidden_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{e000}'..='\u{f8ff}'
        | '\u{fff0}'..='\u{10ffff}')
}

/// Validates a client path exactly as Java's `PathUtils.validatePath(path, sequential)`
/// accepts or rejects it.
///
/// For sequential creates (`sequential = true`), like Java, the path is checked as if a
/// `1` were appended, so a trailing `/` (and a trailing `.` or `..` name) is allowed: the
/// server appends the sequence number.
///
/// ```
/// use zk_proto::{validate_path, PathError};
/// assert!(validate_path("/", false).is_ok());
/// assert!(validate_path("/a/.b/c..", false).is_ok());
/// assert_eq!(validate_path("/a/", false), Err(PathError::TrailingSlash));
/// assert!(validate_path("/a/", true).is_ok());
/// assert_eq!(validate_path("/a//b", false), Err(PathError::EmptySegment { position: 3 }));
/// assert_eq!(validate_path("/a/..", false), Err(PathError::RelativeSegment { position: 3 }));
/// ```
pub fn validate_path(path: &str, sequential: bool) -> Result<(), PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if !path.starts_with('/') {
        return Err(PathError::NoLeadingSlash);
    }
    if !sequential {
        if path.len() == 1 {
            return Ok(());
        }
        if path.ends_with('/') {
            return Err(PathError::TrailingSlash);
        }
    }
    if plain_ascii_and_valid(path) {
        return Ok(());
    }
    check_characters(path, sequential)
}

/// The rules a character at a time, after the checks of the ends (any path).
fn check_characters(path: &str, sequential: bool) -> Result<(), PathError> {
    // A sequential path is checked with a virtual "1" after it, as Java appends one; no
    // string is built for it. The leading '/' is skipped: it is the first `last`.
    let suffix = sequential.then_some((path.len(), '1'));
    let mut chars = path.char_indices().chain(suffix).skip(1).peekable();
    // The two characters before `c`, and where the first of them starts.
    let (mut last, mut last_position, mut before_last) = ('/', 0, '/');
    while let Some((position, c)) = chars.next() {
        let at_end_of_segment = matches!(chars.peek(), None | Some((_, '/')));
        if c == '/' && last == '/' {
            return Err(PathError::EmptySegment { position });
        } else if c == '.' && last == '.' {
            if before_last == '/' && at_end_of_segment {
                return Err(PathError::RelativeSegment {
                    position: last_position,
                });
            }
        } else if c == '.' {
            if last == '/' && at_end_of_segment {
                return Err(PathError::RelativeSegment { position });
            }
        } else if is_forbidden_char(c) {
            return Err(PathError::InvalidChar { position, ch: c });
        }
        (before_last, last, last_position) = (last, c, position);
    }
    Ok(())
}

/// The common case, in two passes over the bytes: a path of printable ASCII
/// only (none of it forbidden) in which no `/` is followed by another `/` or a `.` (so
/// no node name is empty, `.` or `..`; the ends were checked before). False also for
/// valid paths it does not cover (non-ASCII, a name starting with `.`, the empty or
/// dotted last name a sequential create may have): `validate_path` then looks closer,
/// and finds exactly what is wrong with an invalid one.
fn plain_ascii_and_valid(path: &str) -> bool {
    // Folds without early exits, so that both passes vectorize: paths are short.
    let bytes = path.as_bytes();
    let unprintable = bytes
        .iter()
        .fold(false, |any, b| any | !(b' '..=b'~').contains(b));
    let odd_name = bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .fold(false, |any, (&a, &b)| {
            any | ((a == b'/') & ((b == b'/') | (b == b'.')))
        });
    !unprintable & !odd_name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of up to 6 characters after the leading '/' over `alphabet`, without
    /// the cases `validate_path` settles before the shortcut (a trailing '/' outside
    /// sequential creates, the root alone).
    fn short_paths(alphabet: &[char]) -> Vec<(String, bool)> {
        let mut paths = vec![String::from("/")];
        let mut frontier = paths.clone();
        for _ in 0..6 {
            frontier = frontier
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            paths.extend(frontier.iter().cloned());
        }
        paths
            .into_iter()
            .flat_map(|p| [(p.clone(), false), (p, true)])
            .filter(|(p, sequential)| *sequential || (p.len() > 1 && !p.ends_with('/')))
            .collect()
    }

    #[test]
    fn the_ascii_shortcut_accepts_only_what_the_character_rules_accept() {
        for (path, sequential) in short_paths(&['/', '.', 'a', ' ', '\u{7f}', 'é']) {
            if plain_ascii_and_valid(&path) {
                assert!(
                    check_characters(&path, sequential).is_ok(),
                    "{path:?} (sequential: {sequential})"
                );
            }
        }
    }

    #[test]
    fn the_ascii_shortcut_takes_every_valid_path_without_dotted_or_empty_names() {
        for (path, sequential) in short_paths(&['/', 'a', ' ', '-', '.']) {
            let plain = !path.contains("/.") && !path.contains("//") && !path.ends_with('/');
            if plain && check_characters(&path, sequential).is_ok() {
                assert!(plain_ascii_and_valid(&path), "{path:?}");
            }
        }
    }
}
