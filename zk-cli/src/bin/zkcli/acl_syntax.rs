//! zkCli.sh's ACL syntax: `scheme:id:perms[,scheme:id:perms...]`, e.g.
//! `world:anyone:cdrwa,digest:user:hash:r`. The id may itself contain colons (digest
//! ids are `user:hash`), so the scheme ends at the first colon and the permissions
//! start after the last one.
//!
//! A digest id names the user and the hash of the credential, never the password:
//! `user:base64(sha1(user:password))`. A plaintext password in its place makes an
//! ACL that no credential matches, so it is refused; with `--hash-password`,
//! `digest:user:password:perms` is hashed here, as kazoo's `make_digest_acl` does.

use zk_blocking::{Acl, Id, Perms};

/// How the `digest:` entries of an ACL give their ids.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DigestIds {
    /// `user:HASH`, as the server keeps them: anything else is refused.
    Hashed,
    /// `user:password`, which zkcli hashes (`--hash-password`).
    Plaintext,
}

/// The base64 digests the servers' digest algorithms make
/// (`zookeeper.DigestAuthenticationProvider.digestAlg`), as (length, padding): SHA-1
/// (the default), then the 256, 384 and 512-bit ones.
const DIGEST_FORMS: [(usize, usize); 4] = [(28, 1), (44, 1), (64, 0), (88, 2)];

pub fn parse_acl_list(text: &str, digest: DigestIds) -> Result<Vec<Acl>, String> {
    let acl: Vec<Acl> = text
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| parse_entry(entry, digest))
        .collect::<Result<_, _>>()?;
    if acl.is_empty() {
        return Err(format!("empty ACL {text:?}: expected scheme:id:perms"));
    }
    Ok(acl)
}

fn parse_entry(entry: &str, digest: DigestIds) -> Result<Acl, String> {
    let malformed = || {
        // A digest entry may hold a password: not echoed.
        let shown = if entry.starts_with("digest:") {
            "digest:..."
        } else {
            entry
        };
        format!("malformed ACL entry {shown:?}: expected scheme:id:perms")
    };
    let (scheme, rest) = entry.split_once(':').ok_or_else(malformed)?;
    let (id, perms) = rest.rsplit_once(':').ok_or_else(malformed)?;
    if scheme.is_empty() {
        return Err(malformed());
    }
    let perms = parse_perms(perms)?;
    let id = match scheme {
        "digest" => digest_id(id, digest)?,
        _ => Id::new(scheme, id),
    };
    Ok(Acl::new(perms, id))
}

/// A digest entry's id, `user:HASH`, checked or made from `user:password`.
fn digest_id(id: &str, written: DigestIds) -> Result<Id, String> {
    let (user, rest) = id.split_once(':').unwrap_or((id, ""));
    match written {
        DigestIds::Plaintext if !user.is_empty() && id.contains(':') => Ok(Id::digest(user, rest)),
        DigestIds::Plaintext => Err(format!(
            "with --hash-password, a digest entry is digest:USER:PASSWORD:PERMS; the one of \
             user {user:?} has no password"
        )),
        DigestIds::Hashed if !user.is_empty() && is_base64_digest(rest) => {
            Ok(Id::new("digest", id))
        }
        DigestIds::Hashed => Err(format!(
            "the digest id of user {user:?} is not USER:HASH, HASH being \
             base64(sha1(USER:PASSWORD)): 28 characters ending in = with the \
             servers' default SHA-1, as --hash-password makes it; a plaintext password there would \
             shut everyone out of the node. Give --hash-password to have zkcli hash \
             digest:USER:PASSWORD:PERMS entries, or authenticate as the user (--auth \
             digest:USER:PASSWORD, or addauth digest USER:PASSWORD in the shell) and give \
             auth::PERMS"
        )),
    }
}

/// Whether `text` is standard padded base64 of a digest the servers make.
fn is_base64_digest(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    DIGEST_FORMS.contains(&(text.len(), text.len() - body.len()))
        && body
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/')
}

pub fn parse_perms(letters: &str) -> Result<Perms, String> {
    let mut perms = Perms::NONE;
    for letter in letters.chars() {
        perms |= match letter {
            'c' => Perms::CREATE,
            'd' => Perms::DELETE,
            'r' => Perms::READ,
            'w' => Perms::WRITE,
            'a' => Perms::ADMIN,
            other => {
                return Err(format!(
                    "unknown permission {other:?} in {letters:?}: use letters of cdrwa"
                ));
            }
        };
    }
    Ok(perms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ids_keep_their_colon() {
        let hashed = "user:fyVmFCwVbTJYrznoSu1koqYEYF0=";
        let text = format!("world:anyone:cdrwa,digest:{hashed}:r");
        let acl = parse_acl_list(&text, DigestIds::Hashed).unwrap();
        assert_eq!(acl[0], Acl::new(Perms::ALL, Id::anyone()));
        assert_eq!(acl[1], Acl::new(Perms::READ, Id::new("digest", hashed)));
    }

    #[test]
    fn auth_scheme_has_an_empty_id() {
        let acl = parse_acl_list("auth::cdrwa", DigestIds::Hashed).unwrap();
        assert_eq!(acl[0].id, Id::new("auth", ""));
    }

    #[test]
    fn rejects_malformed_entries() {
        for text in ["world:anyone", "world:anyone:rx", "", ":x:r"] {
            assert!(parse_acl_list(text, DigestIds::Hashed).is_err(), "{text}");
        }
    }

    #[test]
    fn a_digest_id_must_be_a_user_and_a_base64_digest() {
        let sha256 = "u:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        for id in ["u:fyVmFCwVbTJYrznoSu1koqYEYF0=", sha256] {
            let text = format!("digest:{id}:r");
            assert!(parse_acl_list(&text, DigestIds::Hashed).is_ok(), "{text}");
        }
        for id in [
            "alice:pw",
            "alice",
            ":fyVmFCwVbTJYrznoSu1koqYEYF0=",
            "u:fyVmFCwVbTJYrznoSu1koqYEYF0",
            "u:fyVmFCwVbTJYrznoSu1k qYEYF0=",
            "u:fyVmFCwVbTJYrznoSu1koqYEYF0==",
        ] {
            let error =
                parse_acl_list(&format!("digest:{id}:cdrwa"), DigestIds::Hashed).expect_err(id);
            assert!(
                error.contains("--hash-password") && error.contains("auth::PERMS"),
                "{error}"
            );
        }
        let error = parse_acl_list("digest:alice:secret-pw:cdrwa", DigestIds::Hashed).unwrap_err();
        assert!(
            !error.contains("secret-pw"),
            "the password is not echoed: {error}"
        );
    }

    #[test]
    fn hash_password_hashes_each_digest_entry_as_the_server_does() {
        let acl = parse_acl_list(
            "digest:bob:secret:cdrwa,world:anyone:r,digest:eve:a:b:r",
            DigestIds::Plaintext,
        )
        .unwrap();
        assert_eq!(acl[0].id, Id::digest("bob", "secret"));
        assert_eq!(acl[0].id.id, "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
        assert_eq!(acl[1].id, Id::anyone());
        assert_eq!(
            acl[2].id,
            Id::digest("eve", "a:b"),
            "a password may hold colons"
        );
        assert!(parse_acl_list("digest:bob:r", DigestIds::Plaintext).is_err());
    }
}
