//! Debug and Display output without secrets: what the types that carry a password,
//! credentials or an auth token print in their place. Logs, panics and error
//! reports print types with `{:?}`, so a secret must never be one of their fields'
//! output.

use std::fmt;

/// What is printed in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// A secret value in `Debug` or `Display` output: prints `<redacted>`, whatever it
/// holds.
#[derive(Clone, Copy, Default)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Credentials for an auth scheme as they may be shown: the scheme, and for `digest`
/// (whose credentials are `user:password`) the user, with the rest redacted:
/// `digest:alice:<redacted>`, `ip:<redacted>`.
#[derive(Clone, Copy)]
pub struct RedactedAuth<'a> {
    scheme: &'a str,
    auth: &'a [u8],
}

impl<'a> RedactedAuth<'a> {
    /// The credentials `auth` of `scheme`, to print.
    pub fn new(scheme: &'a str, auth: &'a [u8]) -> Self {
        RedactedAuth { scheme, auth }
    }

    /// The digest user: the text before the first `:`, if there is one and it is UTF-8.
    fn user(&self) -> Option<&'a str> {
        if self.scheme != "digest" {
            return None;
        }
        let colon = self.auth.iter().position(|&b| b == b':')?;
        std::str::from_utf8(&self.auth[..colon]).ok()
    }
}

impl fmt::Display for RedactedAuth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.user() {
            Some(user) => write!(f, "{}:{user}:{REDACTED}", self.scheme),
            None => write!(f, "{}:{REDACTED}", self.scheme),
        }
    }
}

impl fmt::Debug for RedactedAuth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::RedactedAuth;

    #[test]
    fn digest_credentials_keep_scheme_and_user() {
        let shown = RedactedAuth::new("digest", b"alice:s3cret").to_string();
        assert_eq!(shown, "digest:alice:<redacted>");
    }

    #[test]
    fn digest_credentials_without_a_user_show_only_the_scheme() {
        let shown = RedactedAuth::new("digest", b"s3cret").to_string();
        assert_eq!(shown, "digest:<redacted>");
    }

    #[test]
    fn other_schemes_show_only_the_scheme() {
        let shown = RedactedAuth::new("ip", b"10.0.0.1").to_string();
        assert_eq!(shown, "ip:<redacted>");
    }
}
