//! Splits a shell line into words as a Unix shell would for simple cases: blanks
//! separate words; '…' keeps everything literally; "…" keeps blanks and lets `\`
//! escape `"` and `\`; outside quotes `\` escapes the next character.

/// Why a line could not be split.
#[derive(Debug, PartialEq, Eq)]
pub enum WordsError {
    UnclosedQuote(char),
    TrailingBackslash,
}

impl std::fmt::Display for WordsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WordsError::UnclosedQuote(quote) => write!(f, "unclosed {quote} quote"),
            WordsError::TrailingBackslash => write!(f, "a backslash ends the line"),
        }
    }
}

pub fn split(line: &str) -> Result<Vec<String>, WordsError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(WordsError::UnclosedQuote('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(WordsError::UnclosedQuote('"')),
                        },
                        Some(c) => word.push(c),
                        None => return Err(WordsError::UnclosedQuote('"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or(WordsError::TrailingBackslash)?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_separate_and_quotes_keep_them() {
        assert_eq!(
            split(r#"  set /a "two words" 'it''s' a\ b "" "#).unwrap(),
            ["set", "/a", "two words", "its", "a b", ""]
        );
    }

    #[test]
    fn double_quotes_escape_only_quote_and_backslash() {
        assert_eq!(split(r#""a\"b\\c\n""#).unwrap(), [r#"a"b\c\n"#]);
    }

    #[test]
    fn unclosed_quotes_are_errors() {
        assert_eq!(split("get '/a"), Err(WordsError::UnclosedQuote('\'')));
        assert_eq!(split("get \"/a"), Err(WordsError::UnclosedQuote('"')));
        assert_eq!(split("get /a\\"), Err(WordsError::TrailingBackslash));
    }
}
