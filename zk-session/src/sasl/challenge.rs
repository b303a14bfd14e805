//! The directive lists of DIGEST-MD5 tokens (RFC 2831 §7.1 `#rule`):
//! `key=value` or `key="quoted \"value\""`, separated by commas and optional
//! whitespace. Strict: anything else is an error, never a guess; and bounded: a
//! token over [`MAX_TOKEN`] bytes is refused before it is read.

use super::SaslError;

/// The largest server token accepted: RFC 2831 caps a challenge at 2048 bytes.
pub(super) const MAX_TOKEN: usize = 2048;

/// One `key=value` directive; the key is lowercased (keys are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Directive {
    pub(super) key: String,
    pub(super) value: String,
}

/// Splits `token` into its directives, in order.
pub(super) fn parse(token: &[u8]) -> Result<Vec<Directive>, SaslError> {
    if token.len() > MAX_TOKEN {
        return Err(SaslError::new(format!(
            "server token of {} bytes exceeds {MAX_TOKEN}",
            token.len()
        )));
    }
    let text =
        std::str::from_utf8(token).map_err(|_| SaslError::new("server token is not UTF-8"))?;
    let mut rest = text;
    let mut directives = Vec::new();
    loop {
        rest = skip_space(rest);
        // The #rule allows empty elements: `a=b,,c=d`.
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
            continue;
        }
        if rest.is_empty() {
            return Ok(directives);
        }
        let (key, after) = split_token(rest)?;
        rest = skip_space(after);
        rest = rest
            .strip_prefix('=')
            .ok_or_else(|| SaslError::new(format!("directive {key:?} has no '='")))?;
        rest = skip_space(rest);
        let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
            split_quoted(quoted)?
        } else {
            let (value, after) = split_token(rest)?;
            (value.to_string(), after)
        };
        directives.push(Directive {
            key: key.to_ascii_lowercase(),
            value,
        });
        rest = skip_space(after);
        if !rest.is_empty() {
            rest = rest.strip_prefix(',').ok_or_else(|| {
                SaslError::new(format!("directive {key:?} is not followed by ','"))
            })?;
        }
    }
}

fn skip_space(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\r', '\n'])
}

/// A token (RFC 2616: no separators or control characters), and what follows it.
fn split_token(s: &str) -> Result<(&str, &str), SaslError> {
    let end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
    if end == 0 {
        return Err(SaslError::new("server token has a malformed directive"));
    }
    Ok(s.split_at(end))
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c)
}

/// The body of a quoted string (after its opening quote), unescaped, and what
/// follows the closing quote.
fn split_quoted(s: &str) -> Result<(String, &str), SaslError> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            c if c.is_control() && !matches!(c, ' ' | '\t' | '\r' | '\n') => {
                return Err(SaslError::new("control character in a quoted string"));
            }
            c => value.push(c),
        }
    }
    Err(SaslError::new("unterminated quoted string"))
}

/// `value` as a quoted string, escaping `"` and `\`.
pub(super) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(token: &str) -> Vec<(String, String)> {
        parse(token.as_bytes())
            .unwrap()
            .into_iter()
            .map(|d| (d.key, d.value))
            .collect()
    }

    #[test]
    fn tokens_and_quoted_strings_with_escapes() {
        let got = pairs(r#" Realm="a \"b\" \\c" , nonce=xyz,,qop="auth,auth-int" "#);
        let want = [
            ("realm", r#"a "b" \c"#),
            ("nonce", "xyz"),
            ("qop", "auth,auth-int"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn quote_round_trips_through_parse() {
        let value = r#"we"ird\name"#;
        let token = format!("k={}", quote(value));
        assert_eq!(pairs(&token), [("k".to_string(), value.to_string())]);
    }

    #[test]
    fn malformed_tokens_are_errors() {
        for bad in [
            "nonce",
            "nonce=",
            "=x",
            "a=\"unterminated",
            "a=\"dangling\\",
            "a=b c=d",
            "a=\"x\"y",
            "a=\"\u{1}\"",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?} should be refused");
        }
        assert!(parse(&[0xff, b'=', b'1']).is_err());
    }

    #[test]
    fn oversize_token_is_refused_unread() {
        let token = format!("a=\"{}\"", "x".repeat(MAX_TOKEN));
        let err = parse(token.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("exceeds"), "{err}");
    }
}
