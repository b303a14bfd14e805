//! Durations as messages print them: rounded to what a reader cares about (`30 s`,
//! `250 ms`, `2 min 5 s`), never the nanoseconds `{:?}` shows (`30.000083584s`).

use std::fmt;
use std::time::Duration;

/// Formats a duration for people: `Display` rounds it to a unit that fits its size.
/// Every error message of the workspace prints durations through this.
///
/// ```
/// use std::time::Duration;
/// use zk_session::Rounded;
/// assert_eq!(Rounded(Duration::from_nanos(30_000_083_584)).to_string(), "30 s");
/// assert_eq!(Rounded(Duration::from_micros(250_400)).to_string(), "250 ms");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounded(pub Duration);

impl fmt::Display for Rounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let millis = d.as_millis();
        if d.is_zero() {
            return f.write_str("0 s");
        }
        if millis == 0 {
            return write!(f, "{} µs", d.as_micros().max(1));
        }
        if d < Duration::from_micros(999_500) {
            // Under a second (rounded): whole milliseconds.
            return write!(f, "{} ms", (d.as_micros() + 500) / 1000);
        }
        // From here on, whole seconds for a while, then minutes and hours.
        let tenths = (millis + 50) / 100;
        if tenths < 100 {
            return match tenths % 10 {
                0 => write!(f, "{} s", tenths / 10),
                t => write!(f, "{}.{t} s", tenths / 10),
            };
        }
        let secs = (millis + 500) / 1000;
        match (secs / 3600, secs % 3600 / 60, secs % 60) {
            (0, 0, s) => write!(f, "{s} s"),
            (0, m, 0) => write!(f, "{m} min"),
            (0, m, s) => write!(f, "{m} min {s} s"),
            (h, 0, _) => write!(f, "{h} h"),
            (h, m, _) => write!(f, "{h} h {m} min"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(d: Duration) -> String {
        Rounded(d).to_string()
    }

    #[test]
    fn seconds_lose_their_nanoseconds() {
        assert_eq!(show(Duration::from_nanos(30_000_083_584)), "30 s");
        assert_eq!(show(Duration::from_secs(59)), "59 s");
    }

    #[test]
    fn a_few_seconds_keep_one_decimal() {
        assert_eq!(show(Duration::from_millis(1_500)), "1.5 s");
        assert_eq!(show(Duration::from_millis(2_049)), "2 s");
        assert_eq!(show(Duration::from_millis(9_960)), "10 s");
    }

    #[test]
    fn under_a_second_is_whole_milliseconds() {
        assert_eq!(show(Duration::from_millis(250)), "250 ms");
        assert_eq!(show(Duration::from_micros(250_400)), "250 ms");
        assert_eq!(show(Duration::from_micros(1_499)), "1 ms");
        assert_eq!(show(Duration::from_micros(999_700)), "1 s");
    }

    #[test]
    fn under_a_millisecond_is_microseconds() {
        assert_eq!(show(Duration::from_micros(20)), "20 µs");
        assert_eq!(show(Duration::from_nanos(10)), "1 µs");
        assert_eq!(show(Duration::ZERO), "0 s");
    }

    #[test]
    fn long_durations_are_minutes_and_hours() {
        assert_eq!(show(Duration::from_secs(60)), "1 min");
        assert_eq!(show(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(show(Duration::from_secs(7_200)), "2 h");
        assert_eq!(
            show(Duration::from_secs(3_600 * 596 + 1_860)),
            "596 h 31 min"
        );
    }
}
