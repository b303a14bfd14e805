//! Client-side path validation, matching Java's `PathUtils.validatePath`.
//!
//! The server does not fully validate paths (a bad path often just gives NONODE), so a
//! client validates before sending.

use std::borrow::Cow;

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
    let s: Cow<'_, str> = if sequential {
        Cow::Owned(format!("{path}1"))
    } else {
        Cow::Borrowed(path)
    };
    if !s.starts_with('/') {
        return Err(PathError::NoLeadingSlash);
    }
    if s.len() == 1 {
        return Ok(());
    }
    if s.ends_with('/') {
        return Err(PathError::TrailingSlash);
    }
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at_end_of_segment = |i: usize| i + 1 == chars.len() || chars[i + 1].1 == '/';
    let mut last = '/';
    for i in 1..chars.len() {
        let (position, c) = chars[i];
        if c == '/' && last == '/' {
            return Err(PathError::EmptySegment { position });
        } else if c == '.' && last == '.' {
            if chars[i - 2].1 == '/' && at_end_of_segment(i) {
                return Err(PathError::RelativeSegment {
                    position: chars[i - 1].0,
                });
            }
        } else if c == '.' {
            if last == '/' && at_end_of_segment(i) {
                return Err(PathError::RelativeSegment { position });
            }
        } else if is_forbidden_char(c) {
            return Err(PathError::InvalidChar { position, ch: c });
        }
        last = c;
    }
    Ok(())
}
