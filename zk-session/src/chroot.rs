//! The chroot suffix of a connect string: prepended to every request path and stripped
//! from paths the server sends back (protocol.md §8.4).

use crate::error::ConfigError;

/// A validated chroot, or none. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chroot(Option<String>);

impl Chroot {
    /// No chroot: paths go to the server unchanged.
    pub fn none() -> Chroot {
        Chroot(None)
    }

    /// A chroot from the suffix of a connect string. It must be a valid absolute path;
    /// a bare `/` means none.
    pub fn new(path: &str) -> Result<Chroot, ConfigError> {
        if path == "/" {
            return Ok(Chroot(None));
        }
        zk_proto::validate_path(path, false).map_err(|e| ConfigError::BadChroot {
            chroot: path.to_string(),
            why: e.to_string(),
        })?;
        Ok(Chroot(Some(path.to_string())))
    }

    /// The chroot path, if there is one.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The server path for a (validated) client path: the chroot for `/`, otherwise
    /// chroot + path.
    pub(crate) fn prepend(&self, client_path: &str) -> String {
        match &self.0 {
            None => client_path.to_string(),
            Some(root) if client_path == "/" => root.clone(),
            Some(root) => {
                let mut s = String::with_capacity(root.len() + client_path.len());
                s.push_str(root);
                s.push_str(client_path);
                s
            }
        }
    }

    /// The client path of a server path (a notification's, a created node's;
    /// protocol.md §8.4 table): the chroot itself becomes `/`, a path under it loses
    /// the prefix, anything else (such as `/zookeeper/config`) is unchanged.
    pub(crate) fn strip(&self, server_path: String) -> String {
        let Some(root) = &self.0 else {
            return server_path;
        };
        if server_path == *root {
            return "/".to_string();
        }
        match server_path.strip_prefix(root.as_str()) {
            Some(rest) if rest.starts_with('/') => rest.to_string(),
            _ => server_path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_rules() {
        let c = Chroot::new("/app").unwrap();
        assert_eq!(c.prepend("/"), "/app");
        assert_eq!(c.prepend("/a/b"), "/app/a/b");
        assert_eq!(Chroot::none().prepend("/a"), "/a");
        assert_eq!(Chroot::new("/").unwrap(), Chroot::none());
    }

    #[test]
    fn strip_rules() {
        let c = Chroot::new("/app").unwrap();
        assert_eq!(c.strip("/app".into()), "/");
        assert_eq!(c.strip("/app/x/y".into()), "/x/y");
        assert_eq!(c.strip("/zookeeper/config".into()), "/zookeeper/config");
        assert_eq!(c.strip("/other".into()), "/other");
        // a sibling sharing the prefix as text is not under the chroot
        assert_eq!(c.strip("/application".into()), "/application");
        assert_eq!(c.strip("/app/seq0000000001".into()), "/seq0000000001");
        assert_eq!(Chroot::none().strip("/x".into()), "/x");
    }

    #[test]
    fn invalid_chroot_is_rejected() {
        assert!(Chroot::new("app").is_err());
        assert!(Chroot::new("/app/").is_err());
        assert!(Chroot::new("/a/../b").is_err());
    }
}
