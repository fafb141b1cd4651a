//! AWS time: the local clock corrected by how far it is off STS's, as measured from the
//! `Date` header of STS's answers. Sessions expire in AWS time, so freshness and countdowns
//! are judged in it; a laptop ten minutes fast would otherwise renew late and hand out a
//! session AWS already considers expired. The offset lives in this process only (the
//! engine's clock). The last offset measured against an endpoint is also kept in a small
//! file of the state directory (`remembered`), so the next process judges cached sessions in
//! AWS time before it has talked to STS itself, and `list`, which never does, can say so.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::Clock;
use crate::domain::duration::format_duration;

/// `Date` has one-second precision and is stamped before the answer travels back: offsets
/// this small are that, not a wrong clock, and are not applied.
const MEASUREMENT_NOISE: SignedDuration = SignedDuration::from_secs(2);
/// Past this the operator is told (the screen's header, the commands' stderr).
pub const NOTICE_THRESHOLD: Duration = Duration::from_secs(60);
/// A remembered offset older than this is not trusted (the clock may have been set since).
const REMEMBERED_FOR: SignedDuration = SignedDuration::from_hours(24);

/// The system clock shifted to AWS time once an STS answer has been seen. Clones share the
/// measurement (the STS client records, the engine reads).
#[derive(Debug, Clone, Default)]
pub struct AwsClock {
    /// Local time minus AWS time, in milliseconds.
    ahead_millis: Arc<AtomicI64>,
    measured: Arc<AtomicBool>,
    /// Where the offset is kept for the next process (none in tests and without a state dir).
    memory: Option<Arc<PathBuf>>,
}

impl AwsClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from the offset kept in `file` by an earlier process (if under a day old), and
    /// keeps what this one measures there. The file is a cache: unreadable means unknown.
    pub fn remembered(file: PathBuf) -> Self {
        let clock = Self { memory: Some(Arc::new(file)), ..Self::default() };
        if let Some(ahead) = clock.memory.as_deref().and_then(|file| read_remembered(file, Timestamp::now())) {
            clock.store(ahead);
        }
        clock
    }

    /// Records an answer stamped `aws_date` that arrived at local time `arrived`.
    pub fn record(&self, aws_date: Timestamp, arrived: Timestamp) {
        let ahead = arrived.duration_since(aws_date);
        let ahead = if ahead.abs() < MEASUREMENT_NOISE { SignedDuration::ZERO } else { ahead };
        let changed = self.ahead_of_aws().is_none_or(|before| (before - ahead).abs() >= MEASUREMENT_NOISE);
        self.store(ahead);
        if let (true, Some(file)) = (changed, self.memory.as_deref()) {
            remember(file, ahead, arrived);
        }
    }

    fn store(&self, ahead: SignedDuration) {
        let millis = i64::try_from(ahead.as_millis()).unwrap_or(if ahead.is_negative() { i64::MIN } else { i64::MAX });
        self.ahead_millis.store(millis, Ordering::Relaxed);
        self.measured.store(true, Ordering::Relaxed);
    }

    /// Records the `Date` header of an answer that arrived now; unreadable dates are ignored.
    pub fn record_http_date(&self, date: &str) {
        if let Ok(aws_date) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(date) {
            self.record(aws_date, Timestamp::now());
        }
    }

    fn ahead(&self) -> SignedDuration {
        SignedDuration::from_millis(self.ahead_millis.load(Ordering::Relaxed))
    }
}

impl Clock for AwsClock {
    fn now(&self) -> Timestamp {
        let local = Timestamp::now();
        local.checked_sub(self.ahead()).unwrap_or(local)
    }

    fn ahead_of_aws(&self) -> Option<SignedDuration> {
        self.measured.load(Ordering::Relaxed).then(|| self.ahead())
    }
}

/// `AHEAD_MILLIS MEASURED_AT_SECONDS`, one line.
fn read_remembered(file: &std::path::Path, now: Timestamp) -> Option<SignedDuration> {
    let text = std::fs::read_to_string(file).ok()?;
    let (ahead, at) = text.trim().split_once(' ')?;
    let at = Timestamp::from_second(at.parse().ok()?).ok()?;
    let age = now.duration_since(at);
    (age >= SignedDuration::ZERO - REMEMBERED_FOR && age <= REMEMBERED_FOR)
        .then(|| SignedDuration::from_millis(ahead.parse().unwrap_or(0)))
}

/// Best effort, written whole (a reader never sees half a line).
fn remember(file: &std::path::Path, ahead: SignedDuration, at: Timestamp) {
    let Some(dir) = file.parent() else { return };
    let temporary = dir.join(format!(".clock.{}.tmp", std::process::id()));
    let line = format!("{} {}\n", ahead.as_millis(), at.as_second());
    // Private like the rest of the state directory: the offset says when this user last ran.
    let mut private = std::fs::DirBuilder::new();
    private.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut private, 0o700);
    // A new file, never through a symlink planted under its name (nor a leftover: it is
    // removed, and a symlink removed is not followed).
    let create = || {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
        options.open(&temporary)
    };
    let written = private
        .create(dir)
        .and_then(|()| {
            let _ = std::fs::remove_file(&temporary);
            create()
        })
        .and_then(|mut created| std::io::Write::write_all(&mut created, line.as_bytes()))
        .and_then(|()| std::fs::rename(&temporary, file));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        tracing::debug!("clock offset not kept at {}: {error}", file.display());
    }
}

/// "clock 10m ahead of AWS" / "clock 3m behind AWS" once the offset is worth telling.
pub fn skew_notice(ahead: Option<SignedDuration>) -> Option<String> {
    let ahead = ahead?;
    let size = Duration::try_from(ahead.abs()).ok()?;
    if size <= NOTICE_THRESHOLD {
        return None;
    }
    // Whole minutes: the Date header's second and the answer's travel make the rest noise.
    let rounded = Duration::from_secs((size.as_secs() + 30) / 60 * 60);
    let side = if ahead.is_negative() { "behind" } else { "ahead of" };
    Some(format!("clock {} {side} AWS", format_duration(rounded)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_measured_by_one_process_is_known_to_the_next_for_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clock").join("aws.offset");
        let first = AwsClock::remembered(file.clone());
        assert_eq!(first.ahead_of_aws(), None, "nothing kept yet");
        first.record(Timestamp::now() - SignedDuration::from_mins(10), Timestamp::now());
        let next = AwsClock::remembered(file.clone());
        let ahead = next.ahead_of_aws().expect("the next process starts from the kept offset");
        assert!((SignedDuration::from_secs(599)..=SignedDuration::from_secs(601)).contains(&ahead), "{ahead:?}");

        let two_days_ago = Timestamp::now() - SignedDuration::from_hours(48);
        std::fs::write(&file, format!("600000 {}\n", two_days_ago.as_second())).unwrap();
        assert_eq!(AwsClock::remembered(file.clone()).ahead_of_aws(), None, "a stale offset is not trusted");
        std::fs::write(&file, "not an offset").unwrap();
        assert_eq!(AwsClock::remembered(file).ahead_of_aws(), None, "an unreadable file means unknown");
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_as_the_temporary_file_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clock").join("aws.offset");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        let temporary = file.parent().unwrap().join(format!(".clock.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&target, &temporary).unwrap();
        remember(&file, SignedDuration::from_mins(10), Timestamp::now());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert!(std::fs::read_to_string(&file).unwrap().starts_with("600000 "), "kept all the same");
    }

    #[test]
    fn a_fast_local_clock_is_corrected_back_to_aws_time() {
        let clock = AwsClock::new();
        assert_eq!(clock.ahead_of_aws(), None, "nothing measured yet");
        clock.record(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:10:00Z"));
        assert_eq!(clock.ahead_of_aws(), Some(SignedDuration::from_mins(10)));
        let corrected = clock.now();
        let local = Timestamp::now();
        let behind = local.duration_since(corrected);
        assert!(
            (SignedDuration::from_secs(599)..=SignedDuration::from_secs(601)).contains(&behind),
            "AWS time is ten minutes behind the local clock: {behind:?}"
        );
    }

    #[test]
    fn a_slow_local_clock_is_corrected_forward() {
        let clock = AwsClock::new();
        clock.record(at("2026-01-01T10:10:00Z"), at("2026-01-01T10:00:00Z"));
        assert_eq!(clock.ahead_of_aws(), Some(SignedDuration::from_mins(-10)));
        assert!(clock.now() > Timestamp::now().checked_add(SignedDuration::from_secs(599)).unwrap());
    }

    #[test]
    fn a_second_of_difference_is_measurement_noise() {
        let clock = AwsClock::new();
        clock.record(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:01.400Z"));
        assert_eq!(clock.ahead_of_aws(), Some(SignedDuration::ZERO));
    }

    #[test]
    fn reads_the_http_date_header() {
        let clock = AwsClock::new();
        let an_hour_ago = Timestamp::now().checked_sub(SignedDuration::from_hours(1)).unwrap();
        let header = jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&an_hour_ago).unwrap();
        clock.record_http_date(&header);
        let ahead = clock.ahead_of_aws().unwrap();
        assert!((SignedDuration::from_secs(3599)..=SignedDuration::from_secs(3602)).contains(&ahead), "{ahead:?}");
        clock.record_http_date("not a date");
        assert_eq!(clock.ahead_of_aws(), Some(ahead), "an unreadable header changes nothing");
    }

    #[test]
    fn a_session_aws_sees_expiring_is_renewed_though_the_local_clock_says_valid() {
        use crate::domain::credentials::{Credentials, Freshness};
        let clock = AwsClock::new();
        let local = Timestamp::now();
        // The local clock is ten minutes behind AWS's.
        clock.record(local.checked_add(SignedDuration::from_mins(10)).unwrap(), local);
        // AWS gave the session three more minutes: by the local clock it has thirteen.
        let expiry = local.checked_add(SignedDuration::from_mins(13)).unwrap();
        let session = Credentials::new("ASIAEXAMPLE", "secret", Some("token".into()), Some(expiry));
        let window = Duration::from_secs(5 * 60);
        assert_eq!(session.freshness(Timestamp::now(), window), Freshness::Valid, "the local clock is fooled");
        assert_eq!(session.freshness(clock.now(), window), Freshness::Expiring, "in AWS time it is renewed");
    }

    #[test]
    fn the_notice_names_side_and_size_past_a_minute() {
        assert_eq!(skew_notice(None), None);
        assert_eq!(skew_notice(Some(SignedDuration::from_secs(60))), None);
        assert_eq!(skew_notice(Some(SignedDuration::from_mins(10))).as_deref(), Some("clock 10m ahead of AWS"));
        assert_eq!(skew_notice(Some(SignedDuration::from_secs(-599))).as_deref(), Some("clock 10m behind AWS"));
        assert_eq!(skew_notice(Some(SignedDuration::from_secs(61))).as_deref(), Some("clock 1m ahead of AWS"));
    }
}
