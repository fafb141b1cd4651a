//! Durations as operators write and read them: AWS-style parsing ("15m", "1h30m") and the
//! countdown text shared by the CLI and the screen.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// Parses "15m", "1h", "1h30m", "36h" (jiff's friendly format, ISO 8601 too).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed: SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration; write it like \"15m\", \"1h\" or \"1h30m\""))?;
    if parsed.is_negative() || parsed.is_zero() {
        return Err(format!("\"{text}\" must be longer than zero"));
    }
    Duration::try_from(parsed).map_err(|_| format!("\"{text}\" is out of range"))
}

/// "1h", "15m", "1h30m", "45s": the inverse of `parse_duration` for whole units.
pub fn format_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60);
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || text.is_empty() {
        text.push_str(&format!("{seconds}s"));
    }
    text
}

/// A countdown as operators read it: "59:12" under an hour, "11:58:03" above.
pub fn format_countdown(left: Duration) -> String {
    let total = left.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60);
    if hours > 0 { format!("{hours}:{minutes:02}:{seconds:02}") } else { format!("{minutes}:{seconds:02}") }
}

/// Time from `now` until `until`, zero once it has passed.
pub fn time_left(now: Timestamp, until: Timestamp) -> Duration {
    let left = until.duration_since(now);
    Duration::try_from(left).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_operators_write() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("36h"), Ok(Duration::from_secs(36 * 3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("-5m").is_err());
    }

    #[test]
    fn formats_durations_and_countdowns() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
        assert_eq!(format_countdown(Duration::from_secs(59 * 60 + 12)), "59:12");
        assert_eq!(format_countdown(Duration::from_secs(11 * 3600 + 58 * 60 + 3)), "11:58:03");
        assert_eq!(format_countdown(Duration::ZERO), "0:00");
    }
}
