//! The `digest` scheme's ids (Java's `DigestAuthenticationProvider.generateDigest`):
//! a credential `user:password` authenticates as `user:` and the base64 of the
//! SHA-1 of the whole credential. ACLs name that id; clients send the credential.

use sha1::{Digest, Sha1};

/// The id the credential `user:password` authenticates as under the `digest` scheme.
pub(crate) fn digest_id(user: &str, password: &str) -> String {
    let credential = format!("{user}:{password}");
    let hash = Sha1::digest(credential.as_bytes());
    format!("{user}:{}", base64(&hash))
}

/// Standard base64 with padding (RFC 4648), as Java's `Base64.getEncoder()` writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_id_is_the_user_and_the_base64_sha1_of_the_credential() {
        // Computed with Python's hashlib and base64, as Java's generateDigest does.
        assert_eq!(
            digest_id("super", "super"),
            "super:gG7s8t3oDEtIqF6DM9LlI/R+9Ss="
        );
        assert_eq!(
            digest_id("bob", "secret"),
            "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="
        );
        assert_eq!(digest_id("alice", ""), "alice:VvKt9/iw7kxS1milYay2cPWBnRo=");
    }

    #[test]
    fn base64_pads_as_rfc_4648_says() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
