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
