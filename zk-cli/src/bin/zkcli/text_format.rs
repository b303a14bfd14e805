//! Plain-text output in zkCli.sh's formats, so that its users (and their scripts) read
//! zkcli's output the same way.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use zk_blocking::{Acl, EventType, KeeperState, Stat};

/// The Stat as zkCli.sh prints it: one `name = value` line per field, zxids and the
/// owner in hex, times like Java's `Date.toString()` in the local zone.
pub fn stat(stat: &Stat) -> String {
    format!(
        "cZxid = 0x{:x}\nctime = {}\nmZxid = 0x{:x}\nmtime = {}\npZxid = 0x{:x}\n\
         cversion = {}\ndataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{:x}\n\
         dataLength = {}\nnumChildren = {}\n",
        stat.czxid,
        java_date(stat.ctime),
        stat.mzxid,
        java_date(stat.mtime),
        stat.pzxid,
        stat.cversion,
        stat.version,
        stat.aversion,
        stat.ephemeral_owner,
        stat.data_length,
        stat.num_children,
    )
}

/// zkCli.sh's getAcl lines: `'scheme,'id` then `: perms`.
pub fn acl(acl: &[Acl]) -> String {
    acl.iter()
        .map(|entry| format!("'{},'{}\n: {}\n", entry.id.scheme, entry.id.id, entry.perms))
        .collect()
}

/// A watch or session event as Java's `WatchedEvent.toString()` prints it.
pub fn event(state: KeeperState, event_type: EventType, path: Option<&str>) -> String {
    format!(
        "WatchedEvent state:{state} type:{event_type} path:{}",
        path.unwrap_or("null")
    )
}

/// `Date.toString()` in the local time zone (`TZ` honoured), as zkCli.sh prints it on
/// the same machine: `Sat Dec 05 23:53:37 UTC 2026`. A time outside jiff's range (only
/// a corrupt Stat has one) prints as the raw milliseconds.
pub fn java_date(epoch_ms: i64) -> String {
    java_date_in(epoch_ms, &TimeZone::system())
}

fn java_date_in(epoch_ms: i64, zone: &TimeZone) -> String {
    match Timestamp::from_millisecond(epoch_ms) {
        Ok(instant) => instant
            .to_zoned_datetime(zone.clone())
            .strftime("%a %b %d %H:%M:%S %Z %Y")
            .to_string(),
        Err(_) => format!("{epoch_ms} ms since the epoch"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_java_in_utc() {
        let utc = TimeZone::UTC;
        assert_eq!(java_date_in(0, &utc), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            java_date_in(1_763_772_013_000, &utc),
            "Sat Nov 22 00:40:13 UTC 2025"
        );
        assert_eq!(
            java_date_in(951_782_400_000, &utc),
            "Tue Feb 29 00:00:00 UTC 2000"
        );
        assert_eq!(java_date_in(-1, &utc), "Wed Dec 31 23:59:59 UTC 1969");
    }

    #[test]
    fn dates_follow_the_zone_with_its_abbreviation() {
        let paris = TimeZone::get("Europe/Paris").expect("the system tz database");
        assert_eq!(
            java_date_in(1_763_772_013_000, &paris),
            "Sat Nov 22 01:40:13 CET 2025"
        );
        assert_eq!(
            java_date_in(1_751_328_000_000, &paris),
            "Tue Jul 01 02:00:00 CEST 2025"
        );
    }

    #[test]
    fn an_impossible_time_prints_its_number() {
        assert_eq!(
            java_date_in(i64::MAX, &TimeZone::UTC),
            format!("{} ms since the epoch", i64::MAX)
        );
    }
}
