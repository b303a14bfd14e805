//! `assert_matches!`: a value fits a pattern, for errors whose fields (the path an
//! error names) a test does not spell out.

/// Asserts that `value` matches `pattern` (with an optional `if` guard); on failure
/// panics showing the value.
#[macro_export]
macro_rules! assert_matches {
    ($value:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $value {
            $pattern $(if $guard)? => {}
            ref other => panic!("expected {}, got {:?}", stringify!($pattern), other),
        }
    };
}
