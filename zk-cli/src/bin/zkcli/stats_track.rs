//! The text of the quota nodes, in the format of Java's `StatsTrack`, which the server
//! and zkCli.sh read and write: `count=N,bytes=N`, then, when there are other fields,
//! `=` and `;name=N` for each, in name order. That extra `=` makes parsers older than
//! ZooKeeper 3.5 read count and bytes and skip the rest. An absent field means -1,
//! no limit.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The soft limit, or the usage, of the number of nodes (the quota's root included).
pub const COUNT: &str = "count";
/// The soft limit, or the usage, of the bytes of data.
pub const BYTES: &str = "bytes";
/// The number of nodes the server refuses to exceed (3.7+, where enforced).
pub const COUNT_HARD_LIMIT: &str = "countHardLimit";
/// The bytes of data the server refuses to exceed (3.7+, where enforced).
pub const BYTE_HARD_LIMIT: &str = "byteHardLimit";

/// What a quota node says: a value per field, -1 for none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsTrack {
    fields: BTreeMap<String, i64>,
}

impl StatsTrack {
    /// Reads a node's data; fields zkcli does not know are kept as they are.
    pub fn parse(data: &[u8]) -> Result<StatsTrack, String> {
        let text = std::str::from_utf8(data)
            .map_err(|_| "the quota node's data is not text".to_string())?;
        let mut track = StatsTrack::default();
        for pair in text.split([',', ';']).filter(|pair| !pair.is_empty()) {
            let mut parts = pair.split('=');
            let name = parts.next().unwrap_or_default();
            let value = match parts.next().unwrap_or_default() {
                "" => -1,
                number => number.parse().map_err(|_| {
                    format!("the quota node's {text:?} has {pair:?}, not name=number")
                })?,
            };
            track.set(name, value);
        }
        Ok(track)
    }

    pub fn get(&self, name: &str) -> i64 {
        self.fields.get(name).copied().unwrap_or(-1)
    }

    pub fn set(&mut self, name: &str, value: i64) {
        self.fields.insert(name.to_string(), value);
    }

    /// Every field as a JSON number, count and bytes always.
    pub fn json(&self) -> Value {
        let mut object = serde_json::Map::new();
        object.insert(COUNT.into(), self.get(COUNT).into());
        object.insert(BYTES.into(), self.get(BYTES).into());
        for (name, value) in &self.fields {
            object.insert(name.clone(), (*value).into());
        }
        Value::Object(object)
    }
}

impl fmt::Display for StatsTrack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{COUNT}={},{BYTES}={}", self.get(COUNT), self.get(BYTES))?;
        let mut others = self
            .fields
            .iter()
            .filter(|(name, _)| *name != COUNT && *name != BYTES)
            .peekable();
        if others.peek().is_some() {
            f.write_str("=")?;
        }
        for (name, value) in others {
            write!(f, ";{name}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_bytes_lead_and_the_hard_limits_follow_in_name_order() {
        let mut limits = StatsTrack::default();
        for (name, value) in [
            (COUNT_HARD_LIMIT, 7),
            (BYTE_HARD_LIMIT, -1),
            (BYTES, -1),
            (COUNT, 5),
        ] {
            limits.set(name, value);
        }
        assert_eq!(
            limits.to_string(),
            "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=7"
        );
    }

    #[test]
    fn usage_alone_has_no_trailing_equals_sign() {
        let mut stats = StatsTrack::default();
        stats.set(COUNT, 3);
        stats.set(BYTES, 12);
        assert_eq!(stats.to_string(), "count=3,bytes=12");
    }

    #[test]
    fn text_written_by_any_version_reads_back_the_same() {
        for text in [
            "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=7",
            "count=3,bytes=12",
        ] {
            let track = StatsTrack::parse(text.as_bytes()).unwrap();
            assert_eq!(track.to_string(), text);
        }
        let old = StatsTrack::parse(b"count=2,bytes=").unwrap();
        assert_eq!((old.get(COUNT), old.get(BYTES)), (2, -1));
        assert_eq!(old.get(COUNT_HARD_LIMIT), -1, "absent means no limit");
    }

    #[test]
    fn malformed_text_is_an_error_not_a_panic() {
        assert!(StatsTrack::parse(b"count=many").is_err());
        assert!(StatsTrack::parse(&[0xff]).is_err());
        assert_eq!(StatsTrack::parse(b"").unwrap(), StatsTrack::default());
    }
}
