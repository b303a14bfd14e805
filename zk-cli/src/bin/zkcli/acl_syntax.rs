//! zkCli.sh's ACL syntax: `scheme:id:perms[,scheme:id:perms...]`, e.g.
//! `world:anyone:cdrwa,digest:user:hash:r`. The id may itself contain colons (digest
//! ids are `user:hash`), so the scheme ends at the first colon and the permissions
//! start after the last one.

use zk_blocking::{Acl, Id, Perms};

pub fn parse_acl_list(text: &str) -> Result<Vec<Acl>, String> {
    let acl: Vec<Acl> = text
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_entry)
        .collect::<Result<_, _>>()?;
    if acl.is_empty() {
        return Err(format!("empty ACL {text:?}: expected scheme:id:perms"));
    }
    Ok(acl)
}

fn parse_entry(entry: &str) -> Result<Acl, String> {
    let malformed = || format!("malformed ACL entry {entry:?}: expected scheme:id:perms");
    let (scheme, rest) = entry.split_once(':').ok_or_else(malformed)?;
    let (id, perms) = rest.rsplit_once(':').ok_or_else(malformed)?;
    if scheme.is_empty() {
        return Err(malformed());
    }
    Ok(Acl::new(parse_perms(perms)?, Id::new(scheme, id)))
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
        let acl = parse_acl_list("world:anyone:cdrwa,digest:user:hash=:r").unwrap();
        assert_eq!(acl[0], Acl::new(Perms::ALL, Id::anyone()));
        assert_eq!(
            acl[1],
            Acl::new(Perms::READ, Id::new("digest", "user:hash="))
        );
    }

    #[test]
    fn auth_scheme_has_an_empty_id() {
        let acl = parse_acl_list("auth::cdrwa").unwrap();
        assert_eq!(acl[0].id, Id::new("auth", ""));
    }

    #[test]
    fn rejects_malformed_entries() {
        assert!(parse_acl_list("world:anyone").is_err());
        assert!(parse_acl_list("world:anyone:rx").is_err());
        assert!(parse_acl_list("").is_err());
        assert!(parse_acl_list(":x:r").is_err());
    }
}
