//! Plain-text output in zkCli.sh's formats, so that its users (and their scripts) read
//! zkcli's output the same way.

use zk_blocking::{Acl, EventType, KeeperState, Stat};

/// The Stat as zkCli.sh prints it: one `name = value` line per field, zxids and the
/// owner in hex, times like Java's `Date.toString()`.
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

/// `Date.toString()` of a JVM whose zone is UTC (`Thu Jan 01 00:00:00 UTC 1970`).
/// zkcli always prints UTC: std has no time-zone database, and a fixed zone keeps the
/// output comparable between machines.
pub fn java_date(epoch_ms: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = epoch_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        year
    )
}

/// Proleptic Gregorian (year, month 1..=12, day 1..=31) of a day count since
/// 1970-01-01, by counting 400-year eras from 0000-03-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_java() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(java_date(1_763_772_013_000), "Sat Nov 22 00:40:13 UTC 2025");
        assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(java_date(-1), "Wed Dec 31 23:59:59 UTC 1969");
    }
}
