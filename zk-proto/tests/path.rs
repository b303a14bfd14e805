//! Path validation matches Java's `PathUtils.validatePath`.

use zk_proto::{PathError, validate_path};

#[test]
fn accepted_paths() {
    for p in [
        "/",
        "/a",
        "/a/b/c",
        "/.a",
        "/a.",
        "/a..",
        "/...",
        "/a/.b/..c/d..",
        "/zookeeper/config",
        "/with space",
        "/ü/日本",
        "/\u{a0}",
        "/\u{d7ff}",
        "/\u{f900}",
        "/\u{ffef}",
    ] {
        assert_eq!(validate_path(p, false), Ok(()), "{p:?}");
        assert_eq!(validate_path(p, true), Ok(()), "{p:?} sequential");
    }
}

#[test]
fn rejected_paths() {
    use PathError::*;
    let cases: &[(&str, PathError)] = &[
        ("", Empty),
        ("a", NoLeadingSlash),
        ("a/b", NoLeadingSlash),
        ("/a/", TrailingSlash),
        ("//", TrailingSlash),
        ("/a//", TrailingSlash),
        ("/a//b", EmptySegment { position: 3 }),
        ("//a", EmptySegment { position: 1 }),
        ("/.", RelativeSegment { position: 1 }),
        ("/..", RelativeSegment { position: 1 }),
        ("/a/./b", RelativeSegment { position: 3 }),
        ("/a/../b", RelativeSegment { position: 3 }),
        ("/a/..", RelativeSegment { position: 3 }),
        (
            "/a\0",
            InvalidChar {
                position: 2,
                ch: '\0',
            },
        ),
        (
            "/\u{1}",
            InvalidChar {
                position: 1,
                ch: '\u{1}',
            },
        ),
        (
            "/a\u{1f}",
            InvalidChar {
                position: 2,
                ch: '\u{1f}',
            },
        ),
        (
            "/\u{7f}",
            InvalidChar {
                position: 1,
                ch: '\u{7f}',
            },
        ),
        (
            "/\u{9f}",
            InvalidChar {
                position: 1,
                ch: '\u{9f}',
            },
        ),
        (
            "/\u{e000}",
            InvalidChar {
                position: 1,
                ch: '\u{e000}',
            },
        ),
        (
            "/\u{f000}",
            InvalidChar {
                position: 1,
                ch: '\u{f000}',
            },
        ),
        (
            "/\u{f8ff}",
            InvalidChar {
                position: 1,
                ch: '\u{f8ff}',
            },
        ),
        (
            "/\u{fff0}",
            InvalidChar {
                position: 1,
                ch: '\u{fff0}',
            },
        ),
        (
            "/\u{ffff}",
            InvalidChar {
                position: 1,
                ch: '\u{ffff}',
            },
        ),
        (
            "/ab/😀",
            InvalidChar {
                position: 4,
                ch: '😀',
            },
        ),
        (
            "/\u{10000}",
            InvalidChar {
                position: 1,
                ch: '\u{10000}',
            },
        ),
        // The first problem by position wins, as in Java's single left-to-right scan.
        ("/\u{1}//", TrailingSlash),
        (
            "/\u{1}//a",
            InvalidChar {
                position: 1,
                ch: '\u{1}',
            },
        ),
        ("/a//\u{1}", EmptySegment { position: 3 }),
    ];
    for (p, e) in cases {
        assert_eq!(validate_path(p, false), Err(*e), "{p:?}");
    }
}

#[test]
fn sequential_paths_are_checked_with_a_suffix() {
    use PathError::*;
    // Java validates path + "1".
    assert_eq!(validate_path("/a/", true), Ok(()));
    assert_eq!(validate_path("/", true), Ok(()));
    assert_eq!(validate_path("/a/.", true), Ok(()));
    assert_eq!(validate_path("/a/..", true), Ok(()));
    assert_eq!(
        validate_path("/a//", true),
        Err(EmptySegment { position: 3 })
    );
    assert_eq!(
        validate_path("/./", true),
        Err(RelativeSegment { position: 1 })
    );
    assert_eq!(validate_path("a", true), Err(NoLeadingSlash));
    assert_eq!(validate_path("", true), Err(Empty));
}

/// The implementation `validate_path` had before it stopped allocating (it built
/// `path + "1"` and collected the characters), kept as the oracle: the allocation-free
/// one must give exactly the same result, error positions included.
fn validate_path_oracle(path: &str, sequential: bool) -> Result<(), PathError> {
    use std::borrow::Cow;
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
        } else if zk_proto::is_forbidden_char(c) {
            return Err(PathError::InvalidChar { position, ch: c });
        }
        last = c;
    }
    Ok(())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

    /// Paths built from the characters that matter (slashes, dots, the sequential
    /// suffix's digit, a forbidden control, private-use and non-BMP character, and
    /// ordinary ones of 1 to 3 bytes).
    #[test]
    fn same_result_as_the_allocating_version(
        chars in proptest::collection::vec(
            proptest::sample::select(vec![
                '/', '/', '/', '.', '.', '.', 'a', '1', '\0', '\u{1f}', '\u{e9}',
                '\u{e000}', '\u{fff0}', '日', '😀',
            ]),
            0..10,
        ),
        sequential: bool,
    ) {
        let path: String = chars.into_iter().collect();
        proptest::prop_assert_eq!(
            validate_path(&path, sequential),
            validate_path_oracle(&path, sequential),
            "{:?} sequential={}", path, sequential
        );
    }
}

#[test]
fn same_result_as_the_allocating_version_on_every_short_path() {
    // Exhaustive over short paths of the characters that drive the segment rules.
    let alphabet = ['/', '.', 'a', '\0', '😀'];
    let mut paths = vec![String::new()];
    for _ in 0..6 {
        let mut next = Vec::new();
        for p in &paths {
            for c in alphabet {
                next.push(format!("{p}{c}"));
            }
        }
        for p in &paths {
            for seq in [false, true] {
                assert_eq!(
                    validate_path(p, seq),
                    validate_path_oracle(p, seq),
                    "{p:?} sequential={seq}"
                );
            }
        }
        paths = next;
    }
}
