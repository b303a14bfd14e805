//! Client-side path validation (protocol.md §8.5), applied before anything is queued.

/// Checks a client path. `sequential` allows a trailing `/` (sequential creates append
/// the counter). Returns what is wrong.
pub(crate) fn validate(path: &str, sequential: bool) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("path is empty");
    }
    if !path.starts_with('/') {
        return Err("path must start with `/`");
    }
    if path.len() > 1 && path.ends_with('/') && !sequential {
        return Err("path must not end with `/`");
    }
    for c in path.chars() {
        let bad = matches!(c,
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{e000}'..='\u{f8ff}' | '\u{fff0}'..='\u{ffff}')
            || u32::from(c) > 0xffff;
        if bad {
            return Err("path contains a control, private-use or non-BMP character");
        }
    }
    let body = &path[1..];
    if body.is_empty() {
        return Ok(());
    }
    let body = if sequential {
        body.strip_suffix('/').unwrap_or(body)
    } else {
        body
    };
    for seg in body.split('/') {
        match seg {
            "" => return Err("path contains an empty segment (`//`)"),
            "." | ".." => return Err("path contains a `.` or `..` segment"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn rules() {
        for ok in ["/", "/a", "/a/b", "/.a", "/a..", "/zookeeper/config", "/é"] {
            assert!(validate(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "/a/",
            "//",
            "/a//b",
            "/.",
            "/a/..",
            "/a\0",
            "/\u{e000}",
            "/\u{1F600}",
        ] {
            assert!(validate(bad, false).is_err(), "{bad:?}");
        }
        assert!(validate("/p/", true).is_ok());
        assert!(validate("/p//", true).is_err());
        assert!(validate("/", true).is_ok());
    }
}
