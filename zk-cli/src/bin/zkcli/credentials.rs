//! Where credentials come from: `--auth` (argv, visible to other local users), an
//! `--auth-file`, or `$ZKCLI_AUTH`. Each is `SCHEME:CREDENTIALS`. Error messages name
//! the source, never the credentials.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::failure::Failure;

/// The environment variable holding credentials, one `SCHEME:CREDENTIALS` per line.
pub const AUTH_VARIABLE: &str = "ZKCLI_AUTH";
/// The environment variable holding the `--sasl-user`'s password.
pub const SASL_PASSWORD_VARIABLE: &str = "ZKCLI_SASL_PASSWORD";
/// A credentials file is a few lines; a bigger one is the wrong file.
const MAX_AUTH_FILE: u64 = 64 << 10;

/// One scheme and its credentials, e.g. `digest` and `user:password`.
pub struct Credential {
    pub scheme: String,
    pub secret: Vec<u8>,
}

/// All credentials, in the order: `$ZKCLI_AUTH`, `--auth-file`, `--auth`.
pub fn gather(
    from_args: &[String],
    file: Option<&Path>,
    from_env: Option<String>,
) -> Result<Vec<Credential>, Failure> {
    let mut credentials = Vec::new();
    if let Some(text) = from_env {
        credentials.extend(parse_lines(&text, AUTH_VARIABLE)?);
    }
    if let Some(path) = file {
        let source = format!("--auth-file {}", path.display());
        credentials.extend(parse_lines(&read_auth_file(path, &source)?, &source)?);
    }
    for (index, entry) in from_args.iter().enumerate() {
        credentials.push(parse_one(entry, &format!("--auth #{}", index + 1))?);
    }
    Ok(credentials)
}

/// The SASL user and password: `--sasl-user`, with the password from
/// `--sasl-password-file` (its first line) or else `$ZKCLI_SASL_PASSWORD`.
pub fn sasl(
    user: Option<&str>,
    password_file: Option<&Path>,
    from_env: Option<String>,
) -> Result<Option<(String, String)>, Failure> {
    let Some(user) = user else {
        return Ok(None);
    };
    let password = match password_file {
        Some(path) => {
            let source = format!("--sasl-password-file {}", path.display());
            let text = read_auth_file(path, &source)?;
            text.lines().next().unwrap_or_default().to_string()
        }
        None => from_env.ok_or_else(|| {
            Failure::Usage(format!(
                "--sasl-user {user} needs a password: --sasl-password-file PATH or ${SASL_PASSWORD_VARIABLE}"
            ))
        })?,
    };
    if password.is_empty() {
        return Err(Failure::Usage(format!(
            "the SASL password of {user} is empty"
        )));
    }
    Ok(Some((user.to_string(), password)))
}

fn read_auth_file(path: &Path, source: &str) -> Result<String, Failure> {
    let mut text = String::new();
    File::open(path)
        .and_then(|file| file.take(MAX_AUTH_FILE + 1).read_to_string(&mut text))
        .map_err(Failure::local(source))?;
    if text.len() as u64 > MAX_AUTH_FILE {
        return Err(Failure::Usage(format!(
            "{source}: larger than {} KiB; expected a few SCHEME:CREDENTIALS lines",
            MAX_AUTH_FILE >> 10
        )));
    }
    Ok(text)
}

/// One credential per line; blank lines and `#` comments are skipped.
fn parse_lines(text: &str, source: &str) -> Result<Vec<Credential>, Failure> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(number, line)| {
            parse_one(
                line.trim_end_matches('\r'),
                &format!("{source} line {}", number + 1),
            )
        })
        .collect()
}

fn parse_one(entry: &str, source: &str) -> Result<Credential, Failure> {
    match entry.split_once(':') {
        Some((scheme, secret)) if !scheme.is_empty() => Ok(Credential {
            scheme: scheme.to_string(),
            secret: secret.as_bytes().to_vec(),
        }),
        _ => Err(Failure::Usage(format!(
            "{source}: expected SCHEME:CREDENTIALS, e.g. digest:user:password"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_adds_its_credentials() {
        let credentials = gather(
            &["digest:carol:pw".into()],
            None,
            Some("digest:alice:a\n# a comment\n\nip:127.0.0.1".into()),
        )
        .unwrap();
        let pairs: Vec<(&str, &[u8])> = credentials
            .iter()
            .map(|c| (c.scheme.as_str(), c.secret.as_slice()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("digest", &b"alice:a"[..]),
                ("ip", &b"127.0.0.1"[..]),
                ("digest", &b"carol:pw"[..])
            ]
        );
    }

    #[test]
    fn a_malformed_entry_is_named_by_source_not_content() {
        let Err(Failure::Usage(why)) =
            gather(&[], None, Some("digest:ok\nsecret-without-scheme".into()))
        else {
            panic!("accepted a line without a scheme");
        };
        assert!(why.contains("ZKCLI_AUTH line 2"), "{why}");
        assert!(!why.contains("secret"), "{why}");
    }
}
