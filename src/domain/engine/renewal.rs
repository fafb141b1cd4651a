//! When a cached session is handed out as it is, and when it is renewed. One rule above all:
//! never renew for nothing. A session inside its renewal window is renewed only when a new
//! one would end meaningfully later than it does; one obtained moments ago, or one that
//! already runs as long as the layer asks for, is handed out as it is.
//!
//! Why it matters: `credential-process` wants 15 minutes left (botocore asks again from 15
//! minutes before expiry), so a session of 15 minutes is always inside that window. Renewing
//! it on every call would cost one STS call per SDK call and gain nothing.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::domain::duration::time_left;

/// A session used only as a stepping stone needs just this much life left to assume a role
/// with it; renewing it any earlier would cost an MFA code for nothing. Below this, any
/// session is renewed: it is about to stop working.
pub(crate) const STEPPING_STONE_MARGIN: Duration = Duration::from_secs(60);

/// A renewal inside the window is worth an STS call only if the new session would end at
/// least this much later than the current one. botocore asks again from 15 minutes left and
/// blocks (or fails) under 10: a 15-minute session is handed out as it is for its first 5
/// minutes, then renewed, so what it is given never has less than 10 minutes left, and a
/// role costs at most one STS call per 5 minutes however often it is asked for.
pub const MIN_GAIN: Duration = Duration::from_secs(5 * 60);

/// What the engine knows of a cached session when it judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub expires_at: Option<Timestamp>,
    /// When it was obtained (as the store recorded it); `None` when unknown.
    pub obtained_at: Option<Timestamp>,
}

/// How a session is judged: the time left the request wants, and the layer's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    /// The request wants more than this left (`refresh_before`, or a client's own window).
    pub window: Duration,
    /// The inventory's `refresh_before`.
    pub refresh_before: Duration,
    /// What a renewal would ask STS for (the layer's duration).
    pub asks_for: Option<Duration>,
}

/// Whether a session serves the request as it is:
///
/// - more than `window` left: served;
/// - a minute or less left: renewed, always;
/// - otherwise (inside the window): renewed only if the new session would end at least
///   `min_gain` later (see `gain`), else served as it is.
pub fn serves(held: Held, now: Timestamp, judged: Judged) -> bool {
    let Some(until) = held.expires_at else { return true };
    let left = time_left(now, until);
    if left > judged.window {
        return true;
    }
    if left <= STEPPING_STONE_MARGIN {
        return false;
    }
    gain(held, now, judged.asks_for) < min_gain(judged)
}

/// What a renewal must gain: `MIN_GAIN`, or less when `refresh_before` says so. A session of
/// `duration` renewed at `refresh_before`, as written, gains `duration - refresh_before`;
/// when that is less than `MIN_GAIN` it is enough (else a session inside `refresh_before`
/// would not be renewed there). A wider window (a client's) never lowers it.
pub fn min_gain(judged: Judged) -> Duration {
    judged
        .asks_for
        .and_then(|asks_for| asks_for.checked_sub(judged.refresh_before))
        .filter(|as_written| !as_written.is_zero())
        .map_or(MIN_GAIN, |as_written| as_written.min(MIN_GAIN))
}

/// Whether a session still serves as a stepping stone to the layer above it.
pub fn serves_as_stepping_stone(held: Held, now: Timestamp) -> bool {
    held.expires_at.is_none_or(|until| time_left(now, until) > STEPPING_STONE_MARGIN)
}

/// How much later than `held` a session obtained now would end. It would last what the
/// layer asks for, or what STS granted last time if that was less (STS may grant less than
/// asked): so a session obtained moments ago gains nothing by renewal, nor does one that
/// already runs as long as the layer asks for. A session that does not expire gains nothing.
pub fn gain(held: Held, now: Timestamp, asks_for: Option<Duration>) -> Duration {
    let Some(until) = held.expires_at else { return Duration::ZERO };
    let granted = held.obtained_at.map(|obtained| time_left(obtained, until)).filter(|granted| !granted.is_zero());
    let length = match (asks_for, granted) {
        (Some(asked), Some(granted)) => asked.min(granted),
        (Some(length), None) | (None, Some(length)) => length,
        (None, None) => return Duration::ZERO,
    };
    let Ok(length) = SignedDuration::try_from(length) else { return Duration::ZERO };
    match now.checked_add(length) {
        Ok(new_end) => time_left(until, new_end),
        Err(_) => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn mins(minutes: u64) -> Duration {
        Duration::from_secs(minutes * 60)
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// Obtained at `obtained` (minutes after 09:00) for `length` minutes.
    fn held(obtained: u64, length: u64) -> Held {
        let start = at("2026-03-02T09:00:00Z");
        let obtained = start.checked_add(mins(obtained)).unwrap();
        Held { expires_at: Some(obtained.checked_add(mins(length)).unwrap()), obtained_at: Some(obtained) }
    }

    /// `minutes` (and `seconds`) after 09:00.
    fn clock(minutes: u64, seconds: u64) -> Timestamp {
        at("2026-03-02T09:00:00Z").checked_add(mins(minutes) + Duration::from_secs(seconds)).unwrap()
    }

    fn judged(window: u64, refresh_before: u64, asks_for: u64) -> Judged {
        Judged { window: mins(window), refresh_before: mins(refresh_before), asks_for: Some(mins(asks_for)) }
    }

    #[test]
    fn a_session_is_renewed_only_when_the_renewal_gains_time() {
        struct Case {
            name: &'static str,
            held: Held,
            now: Timestamp,
            /// window, refresh_before, duration asked for (minutes)
            judged: Judged,
            serves: bool,
        }
        let cases = [
            Case {
                name: "1h session, half-way, refresh_before 5m",
                held: held(0, 60),
                now: clock(30, 0),
                judged: judged(5, 5, 60),
                serves: true,
            },
            Case {
                name: "1h session inside refresh_before: gains 55m",
                held: held(0, 60),
                now: clock(55, 0),
                judged: judged(5, 5, 60),
                serves: false,
            },
            Case {
                name: "1h session, credential-process's 15m: gains 45m",
                held: held(0, 60),
                now: clock(45, 0),
                judged: judged(15, 5, 60),
                serves: false,
            },
            Case {
                name: "15m session just obtained, credential-process's 15m",
                held: held(0, 15),
                now: clock(0, 0),
                judged: judged(15, 5, 15),
                serves: true,
            },
            Case {
                name: "15m session run for 4m59s: would gain 4m59s",
                held: held(0, 15),
                now: clock(4, 59),
                judged: judged(15, 5, 15),
                serves: true,
            },
            Case {
                name: "15m session run for 5m: gains 5m",
                held: held(0, 15),
                now: clock(5, 0),
                judged: judged(15, 5, 15),
                serves: false,
            },
            Case {
                name: "15m session, refresh_before 12m: at 12m left it gains 3m, as written",
                held: held(0, 15),
                now: clock(3, 0),
                judged: judged(12, 12, 15),
                serves: false,
            },
            Case {
                name: "15m session, refresh_before 12m, credential-process: not before 12m left either",
                held: held(0, 15),
                now: clock(2, 59),
                judged: judged(15, 12, 15),
                serves: true,
            },
            Case {
                name: "a 1h session when the role now asks 15m: renewing would shorten it",
                held: held(0, 60),
                now: clock(46, 0),
                judged: judged(15, 5, 15),
                serves: true,
            },
            Case {
                name: "STS granted 1h of the 12h asked, moments ago",
                held: held(0, 60),
                now: clock(1, 0),
                judged: judged(65, 5, 12 * 60),
                serves: true,
            },
            Case {
                name: "STS granted 1h of the 12h asked, 10m ago",
                held: held(0, 60),
                now: clock(10, 0),
                judged: judged(65, 5, 12 * 60),
                serves: false,
            },
            Case {
                name: "a minute left is renewed whatever it gains",
                held: held(0, 3),
                now: clock(2, 0),
                judged: judged(15, 5, 3),
                serves: false,
            },
        ];
        for case in cases {
            assert_eq!(serves(case.held, case.now, case.judged), case.serves, "{}", case.name);
        }
    }

    #[test]
    fn a_15_minute_session_asked_for_every_second_is_renewed_every_5_minutes() {
        let mut current = held(0, 15);
        let mut renewals = Vec::new();
        for second in 0..=30 * 60 {
            let now = clock(0, second);
            if !serves(current, now, judged(15, 5, 15)) {
                renewals.push(second / 60);
                current = Held { expires_at: Some(now.checked_add(mins(15)).unwrap()), obtained_at: Some(now) };
            }
            let left = time_left(now, current.expires_at.unwrap());
            assert!(left > mins(10), "handed out with {left:?} left at {second}s");
        }
        assert_eq!(renewals, [5, 10, 15, 20, 25, 30]);
    }

    #[test]
    fn refresh_before_lowers_the_gain_wanted_and_a_wider_window_never_does() {
        assert_eq!(min_gain(judged(5, 5, 60)), MIN_GAIN);
        assert_eq!(min_gain(judged(15, 12, 15)), mins(3), "renewed at refresh_before, as written");
        assert_eq!(min_gain(judged(15, 5, 15)), MIN_GAIN, "credential-process's 15m do not lower it");
        let without_duration = Judged { asks_for: None, ..judged(15, 5, 15) };
        assert_eq!(min_gain(without_duration), MIN_GAIN);
        assert_eq!(min_gain(judged(15, 20, 15)), MIN_GAIN, "a refresh_before beyond the duration (refused by check)");
    }

    #[test]
    fn the_gain_is_what_a_new_session_adds_to_the_current_one() {
        assert_eq!(gain(held(0, 15), clock(0, 0), Some(mins(15))), Duration::ZERO, "obtained just now");
        assert_eq!(gain(held(0, 15), clock(7, 0), Some(mins(15))), mins(7));
        assert_eq!(gain(held(0, 60), clock(50, 0), Some(mins(15))), mins(5), "the role asks less than it has");
        assert_eq!(gain(held(0, 60), clock(30, 0), Some(mins(15))), Duration::ZERO, "renewing would shorten it");
        let unknown_start = Held { obtained_at: None, ..held(0, 15) };
        assert_eq!(gain(unknown_start, clock(6, 0), Some(mins(15))), mins(6), "judged by the duration asked");
        let long_term = Held { expires_at: None, obtained_at: None };
        assert_eq!(gain(long_term, clock(6, 0), Some(mins(15))), Duration::ZERO);
        assert!(serves(long_term, clock(6, 0), judged(15, 5, 15)), "keys without expiry always serve");
    }

    #[test]
    fn a_stepping_stone_serves_until_its_last_minute() {
        let session = held(0, 60);
        assert!(serves_as_stepping_stone(session, clock(58, 59)));
        assert!(!serves_as_stepping_stone(session, clock(59, 0)));
        assert!(serves_as_stepping_stone(Held { expires_at: None, obtained_at: None }, clock(59, 0)));
    }
}
