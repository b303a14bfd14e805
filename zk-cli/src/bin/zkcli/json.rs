//! A minimal JSON writer: zkcli prints flat objects of strings, numbers and arrays,
//! which does not justify a serialization dependency.

use std::fmt::{Display, Write};

use zk_blocking::Stat;

/// Builds one JSON object, field by field, in insertion order.
pub struct JsonObject {
    text: String,
}

impl JsonObject {
    pub fn new() -> JsonObject {
        JsonObject {
            text: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        self.text.push_str(&quote(key));
        self.text.push(':');
    }

    pub fn string(mut self, key: &str, value: &str) -> JsonObject {
        self.key(key);
        self.text.push_str(&quote(value));
        self
    }

    pub fn number(mut self, key: &str, value: impl Display) -> JsonObject {
        self.key(key);
        let _ = write!(self.text, "{value}");
        self
    }

    /// Adds an already encoded JSON value (an object, an array, `null`).
    pub fn raw(mut self, key: &str, json: &str) -> JsonObject {
        self.key(key);
        self.text.push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// A JSON string literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn string_array<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", quoted.join(","))
}

/// The Stat with the field names ZooKeeper's own Stat record uses.
pub fn stat(stat: &Stat) -> String {
    JsonObject::new()
        .number("czxid", stat.czxid)
        .number("mzxid", stat.mzxid)
        .number("ctime", stat.ctime)
        .number("mtime", stat.mtime)
        .number("version", stat.version)
        .number("cversion", stat.cversion)
        .number("aversion", stat.aversion)
        .number("ephemeralOwner", stat.ephemeral_owner)
        .number("dataLength", stat.data_length)
        .number("numChildren", stat.num_children)
        .number("pzxid", stat.pzxid)
        .finish()
}

/// Znode data as `"data"` when it is UTF-8 text, else as `"data_base64"`, so that JSON
/// output never loses bytes.
pub fn with_data(object: JsonObject, data: &[u8]) -> JsonObject {
    match std::str::from_utf8(data) {
        Ok(text) => object.string("data", text),
        Err(_) => object.string("data_base64", &base64(data)),
    }
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
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
    fn escapes_control_characters() {
        assert_eq!(quote("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }
}
