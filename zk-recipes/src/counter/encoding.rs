//! How a counter's value is stored in its node: kazoo's ASCII decimal or Curator's
//! `SharedCount` (a 4-byte big-endian signed integer). Empty data is 0 in both.

use bytes::Bytes;
use zk_blocking::Error;

/// The counter node's data format, chosen when the counter is made; every client of
/// one counter must use the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterEncoding {
    /// kazoo's `Counter`: the value in ASCII decimal (`b"42"`, `b"-3"`).
    #[default]
    Ascii,
    /// Curator's `SharedCount` (kazoo's `support_curator=True`): 4 bytes, big-endian
    /// `i32`; values outside `i32` are refused.
    Curator,
}

impl CounterEncoding {
    /// The value held in `data` (empty: 0).
    pub fn decode(self, data: &[u8]) -> Result<i64, Error> {
        if data.is_empty() {
            return Ok(0);
        }
        match self {
            CounterEncoding::Ascii => std::str::from_utf8(data)
                .ok()
                .and_then(|text| text.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "counter data {:?} is not an ASCII decimal integer",
                        String::from_utf8_lossy(data)
                    ))
                }),
            CounterEncoding::Curator => match <[u8; 4]>::try_from(data) {
                Ok(bytes) => Ok(i64::from(i32::from_be_bytes(bytes))),
                Err(_) => Err(Error::InvalidArgument(format!(
                    "counter data has {} bytes, not the 4 of a SharedCount",
                    data.len()
                ))),
            },
        }
    }

    /// The data that holds `value`; fails when the format cannot hold it.
    pub fn encode(self, value: i64) -> Result<Bytes, Error> {
        match self {
            CounterEncoding::Ascii => Ok(Bytes::from(value.to_string())),
            CounterEncoding::Curator => i32::try_from(value)
                .map(|v| Bytes::copy_from_slice(&v.to_be_bytes()))
                .map_err(|_| {
                    Error::InvalidArgument(format!(
                        "{value} does not fit a SharedCount (a 32-bit signed integer)"
                    ))
                }),
        }
    }
}
