//! The chroot suffix of a connect string: prepended to every request path and stripped
//! from paths the server sends back (protocol.md §8.4).

use crate::error::ConfigError;

/// How a request uses its path, where that changes the chroot mapping of `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathUse {
    /// A create with a sequential mode (the server appends the sequence number).
    SequentialCreate,
    /// A delete.
    Delete,
    /// Anything else.
    Other,
}

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

    /// The chroot as errors name it (copied: errors own their fields).
    pub(crate) fn for_error(&self) -> Option<String> {
        self.0.clone()
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

    /// Whether [`Chroot::prepend`] makes `server_path` of `client_path` (checked
    /// without building it).
    pub(crate) fn leads_to(&self, client_path: &str, server_path: &str) -> bool {
        match &self.0 {
            None => client_path == server_path,
            Some(root) if client_path == "/" => server_path == root,
            Some(root) => server_path.strip_prefix(root.as_str()) == Some(client_path),
        }
    }

    /// [`Chroot::prepend`], reusing `client_path` when there is no chroot.
    pub(crate) fn prepend_owned(&self, client_path: String) -> String {
        match &self.0 {
            None => client_path,
            Some(_) => self.prepend(&client_path),
        }
    }

    /// [`Chroot::server_path`], reusing `client_path` when there is no chroot.
    pub(crate) fn server_path_owned(&self, client_path: String, op: PathUse) -> String {
        match &self.0 {
            None => client_path,
            Some(_) => self.server_path(&client_path, op),
        }
    }

    /// The server path a request on `client_path` goes to, the same rule for a
    /// request on its own and inside a multi: a sequential create at `/` names the
    /// chroot's children (`/app/`, so the server creates `/app/0000000001`); a
    /// delete of `/` goes out unchrooted, so the server refuses it instead of
    /// deleting the chroot node; every other path is [`Chroot::prepend`]ed.
    pub(crate) fn server_path(&self, client_path: &str, op: PathUse) -> String {
        match (&self.0, op, client_path) {
            (Some(root), PathUse::SequentialCreate, "/") => format!("{root}/"),
            (Some(_), PathUse::Delete, "/") => "/".to_string(),
            _ => self.prepend(client_path),
        }
    }

    /// The client path of a server path (a notification's, a created node's;
    /// protocol.md §8.4 table): the chroot itself becomes `/`, a path under it loses
    /// the prefix, anything else (such as `/zookeeper/config`) is unchanged.
    pub(crate) fn strip(&self, server_path: String) -> String {
        let client = self.strip_str(&server_path);
        if client.len() == server_path.len() {
            server_path
        } else {
            client.to_string()
        }
    }

    /// [`Chroot::strip`] without a copy: the client path inside `server_path` (or `/`).
    pub(crate) fn strip_str<'a>(&self, server_path: &'a str) -> &'a str {
        let Some(root) = &self.0 else {
            return server_path;
        };
        if server_path == *root {
            return "/";
        }
        match server_path.strip_prefix(root.as_str()) {
            Some(rest) if rest.starts_with('/') => rest,
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
    fn root_maps_alike_on_its_own_and_in_a_multi() {
        let c = Chroot::new("/app").unwrap();
        assert_eq!(c.server_path("/", PathUse::SequentialCreate), "/app/");
        assert_eq!(c.server_path("/", PathUse::Delete), "/");
        assert_eq!(c.server_path("/", PathUse::Other), "/app");
        assert_eq!(c.server_path("/x", PathUse::Delete), "/app/x");
        assert_eq!(c.server_path("/x", PathUse::SequentialCreate), "/app/x");
        let none = Chroot::none();
        assert_eq!(none.server_path("/", PathUse::SequentialCreate), "/");
        assert_eq!(none.server_path("/", PathUse::Delete), "/");
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
