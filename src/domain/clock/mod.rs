//! Time as the engine sees it: an injectable clock (the system's, or a fixed one for tests),
//! and AWS's time (`aws`): how far this machine's clock is off, measured from STS's answers.

pub mod aws;

pub use aws::{AwsClock, skew_notice};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// The engine asks this for "now" so tests can freeze and move time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// How far the local clock is ahead of AWS's (negative: behind), once measured; clocks
    /// that do not measure it (the system's, tests') say `None`.
    fn ahead_of_aws(&self) -> Option<SignedDuration> {
        None
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<Timestamp>>);

impl FixedClock {
    pub fn at(now: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(now)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.saturating_add(SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX)).unwrap_or(*now);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::duration::time_left;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let clock = FixedClock::at(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(time_left(start, clock.now()), Duration::from_secs(90));
        assert_eq!(time_left(clock.now(), start), Duration::ZERO);
    }
}
