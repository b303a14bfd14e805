//! How an error names the node it is about: the client path, and the chroot it lies
//! under.

use std::fmt;

/// Displays `": /x (under chroot /app)"` (or `" on /x (under chroot /app)"`), `": /x"`
/// without a chroot, or nothing when there is no path.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    lead: &'static str,
    path: Option<&'a str>,
    chroot: Option<&'a str>,
}

impl<'a> About<'a> {
    /// The subject of an error about `path` in a session rooted at `chroot`, after a
    /// colon: `NoNode: /x (under chroot /app)`.
    pub fn new(path: &'a Option<String>, chroot: &'a Option<String>) -> About<'a> {
        About {
            lead: ": ",
            path: path.as_deref(),
            chroot: chroot.as_deref(),
        }
    }

    /// The same inside a sentence: `sub-op 1 on /x (under chroot /app) failed`.
    pub fn on(path: &'a Option<String>, chroot: &'a Option<String>) -> About<'a> {
        About {
            lead: " on ",
            ..About::new(path, chroot)
        }
    }

    /// [`About::on`] a path there always is: ` on /x (under chroot /app)`.
    pub fn on_path(path: &'a str, chroot: &'a Option<String>) -> About<'a> {
        About {
            lead: " on ",
            path: Some(path),
            chroot: chroot.as_deref(),
        }
    }
}

impl fmt::Display for About<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(path) = self.path else {
            return Ok(());
        };
        write!(f, "{}{path}", self.lead)?;
        match self.chroot {
            Some(chroot) => write!(f, " (under chroot {chroot})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_path_and_its_chroot() {
        let (path, chroot) = (Some("/x".to_string()), Some("/app".to_string()));
        assert_eq!(
            About::new(&path, &chroot).to_string(),
            ": /x (under chroot /app)"
        );
        assert_eq!(About::new(&path, &None).to_string(), ": /x");
        assert_eq!(About::new(&None, &chroot).to_string(), "");
        assert_eq!(About::on(&path, &None).to_string(), " on /x");
        assert_eq!(
            About::on_path("/x", &chroot).to_string(),
            " on /x (under chroot /app)"
        );
    }
}
