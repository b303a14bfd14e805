//! The `--json` shapes: ZooKeeper's own field names for the Stat, and znode data as
//! text when it is UTF-8, else base64, so that JSON output never loses bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::{Map, Value, json};
use zk_blocking::{Acl, Stat};

/// The Stat with the field names of ZooKeeper's Stat record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatJson {
    czxid: i64,
    mzxid: i64,
    ctime: i64,
    mtime: i64,
    version: i32,
    cversion: i32,
    aversion: i32,
    ephemeral_owner: i64,
    data_length: i32,
    num_children: i32,
    pzxid: i64,
}

pub fn stat(stat: &Stat) -> Value {
    json!(StatJson {
        czxid: stat.czxid,
        mzxid: stat.mzxid,
        ctime: stat.ctime,
        mtime: stat.mtime,
        version: stat.version,
        cversion: stat.cversion,
        aversion: stat.aversion,
        ephemeral_owner: stat.ephemeral_owner,
        data_length: stat.data_length,
        num_children: stat.num_children,
        pzxid: stat.pzxid,
    })
}

/// Adds `"stat"` when the caller asked for it.
pub fn with_stat(mut object: Map<String, Value>, shown: Option<&Stat>) -> Map<String, Value> {
    if let Some(shown) = shown {
        object.insert("stat".into(), stat(shown));
    }
    object
}

/// Adds the data as `"data"` when it is UTF-8 text, else as `"data_base64"`.
pub fn with_data(mut object: Map<String, Value>, data: &[u8]) -> Map<String, Value> {
    match std::str::from_utf8(data) {
        Ok(text) => object.insert("data".into(), text.into()),
        Err(_) => object.insert("data_base64".into(), STANDARD.encode(data).into()),
    };
    object
}

pub fn acl(acl: &[Acl]) -> Value {
    acl.iter()
        .map(|entry| {
            json!({
                "scheme": entry.id.scheme,
                "id": entry.id.id,
                "perms": entry.perms.to_string(),
            })
        })
        .collect()
}

/// `json!` of an object literal, as the map the helpers above extend.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_string(), other)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_data_is_base64_and_text_stays_text() {
        let binary = with_data(Map::new(), &[0xff, 0xfe]);
        assert_eq!(binary["data_base64"], "//4=");
        let text = with_data(Map::new(), "é\n".as_bytes());
        assert_eq!(text["data"], "é\n");
    }
}
