//! Member node names as kazoo's parties write them, so that members of both list
//! each other: `<32 hex>__party__` (kazoo's `Party`, identifier in the data) and
//! `<32 hex>-<identifier>` (kazoo's `ShallowParty`, identifier in the name).

use zk_blocking::Error;

use crate::lock::names::unique_id;

/// Kazoo's `Party._NODE_NAME`: a child whose name holds it is a member.
pub(crate) const PARTY_MARKER: &str = "__party__";

/// Which of kazoo's parties the nodes are laid out as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `Party`: `<32 hex>__party__`, the identifier in the data.
    Party,
    /// `ShallowParty`: `<32 hex>-<identifier>`.
    Shallow,
}

impl Layout {
    /// A fresh, unique name for a member with `identifier`.
    pub(crate) fn new_node_name(self, identifier: &str) -> String {
        match self {
            Layout::Party => format!("{}{PARTY_MARKER}", unique_id()),
            Layout::Shallow => format!("{}-{identifier}", unique_id()),
        }
    }

    /// Whether the child `name` is a member's node (kazoo's test: a `Party` counts
    /// only the children with its marker, a `ShallowParty` every child).
    pub(crate) fn is_member(self, name: &str) -> bool {
        match self {
            Layout::Party => name.contains(PARTY_MARKER),
            Layout::Shallow => true,
        }
    }

    /// Refuses an identifier that cannot be part of a node name.
    pub(crate) fn check_identifier(self, identifier: &[u8]) -> Result<(), Error> {
        if self == Layout::Shallow && identifier.contains(&b'/') {
            return Err(Error::InvalidArgument(format!(
                "a ShallowParty identifier is part of a node name and cannot hold '/': {:?}; \
                 use a Party (identifier in the node's data) instead",
                String::from_utf8_lossy(identifier)
            )));
        }
        Ok(())
    }
}

/// A shallow member's identifier, from its node name (what follows the first `-`,
/// as kazoo reads it; the whole name when there is none).
pub(crate) fn shallow_identifier(name: &str) -> &str {
    name.split_once('-')
        .map_or(name, |(_, identifier)| identifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_node_is_32_hex_digits_and_the_marker_and_each_is_new() {
        let name = Layout::Party.new_node_name("worker-1");
        assert_eq!(name.len(), 32 + PARTY_MARKER.len());
        assert!(name[..32].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(name.ends_with(PARTY_MARKER));
        assert_ne!(name, Layout::Party.new_node_name("worker-1"));
    }

    #[test]
    fn a_shallow_node_names_its_identifier_after_the_first_dash() {
        let name = Layout::Shallow.new_node_name("worker-1");
        assert_eq!(&name[32..], "-worker-1");
        assert_eq!(shallow_identifier(&name), "worker-1");
        assert_eq!(shallow_identifier("nodash"), "nodash");
    }

    #[test]
    fn a_party_lists_only_its_marked_children_and_a_shallow_party_every_child() {
        assert!(Layout::Party.is_member("abc__party__"));
        assert!(!Layout::Party.is_member("lease"));
        assert!(Layout::Shallow.is_member("lease"));
    }
}
