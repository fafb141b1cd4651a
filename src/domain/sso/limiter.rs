//! One adaptive rate for every portal call of a start URL (discovery, role credentials of
//! `refresh --all`, the screen): the portal's limit is not documented, and 20 calls/s, the
//! figure people quote, still throttles. A token bucket that starts at a safe rate, halves on a
//! 429 and remembers where it was; it climbs back fast to just under that ceiling, then
//! probes above it slowly. So a long run spends most of its time near the portal's real
//! limit instead of in a saw-tooth at half of it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Where a start URL's rate starts (calls per second).
pub const START_RATE: f64 = 10.0;
const LOWEST_RATE: f64 = 1.0;
const HIGHEST_RATE: f64 = 500.0;
/// Past the last ceiling, each call that goes through raises the rate this much: at 40 calls
/// a second, by under one call a second each second.
const PROBE_STEP: f64 = 0.02;
/// Calls that may go at once after a quiet spell.
const BURST: f64 = 10.0;

#[derive(Debug)]
pub struct Limiter {
    state: Mutex<Bucket>,
    throttled: AtomicU64,
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    /// The rate at the last 429: climbed back to fast, passed slowly.
    ceiling: Option<f64>,
    tokens: f64,
    at: Instant,
    /// When the rate was last halved: the calls already in flight then come back 429 too,
    /// and halving again for each of them would take the rate to the floor for one burst.
    cut_at: Option<Instant>,
    /// When the calls of the last second went through: what the portal really let pass,
    /// which is where the ceiling is set at a 429 (the rate asked for may be far above it).
    passed: std::collections::VecDeque<Instant>,
}

/// 429s this soon after a halving belong to the same burst.
const ONE_BURST: Duration = Duration::from_secs(1);

impl Limiter {
    pub fn new(rate: f64) -> Self {
        let bucket = Bucket {
            rate,
            ceiling: None,
            tokens: BURST.min(rate),
            at: Instant::now(),
            cut_at: None,
            passed: std::collections::VecDeque::new(),
        };
        Self { state: Mutex::new(bucket), throttled: AtomicU64::new(0) }
    }

    /// Waits for the next call's turn.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut bucket = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let now = Instant::now();
                let elapsed = now.duration_since(bucket.at).as_secs_f64();
                bucket.tokens = (bucket.tokens + elapsed * bucket.rate).min(BURST.min(bucket.rate).max(1.0));
                bucket.at = now;
                if bucket.tokens >= 1.0 {
                    bucket.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - bucket.tokens) / bucket.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// A 429: half the rate, and no tokens in hand.
    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let mut bucket = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bucket.tokens = 0.0;
        if bucket.cut_at.is_some_and(|at| at.elapsed() < ONE_BURST) {
            return;
        }
        bucket.cut_at = Some(Instant::now());
        let passed = bucket.passed_last_second() as f64;
        bucket.ceiling = Some(if passed >= LOWEST_RATE { passed.min(bucket.rate) } else { bucket.rate });
        bucket.rate = (bucket.rate / 2.0).max(LOWEST_RATE);
    }

    /// A call that went through: a step back up.
    pub fn succeeded(&self) {
        let mut bucket = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bucket.passed.push_back(Instant::now());
        bucket.passed_last_second();
        let near = bucket.ceiling.map_or(f64::INFINITY, |ceiling| ceiling * 0.9);
        // Below the last ceiling: back up within about a second. Past it: a slow probe.
        // Before any 429, double within about a second of calls (a slow start, as TCP's);
        // below the last ceiling, back up as fast; past it, a slow probe.
        let step = match bucket.ceiling {
            None => bucket.rate * 0.1,
            Some(_) if bucket.rate < near => bucket.rate * 0.05,
            Some(_) => PROBE_STEP,
        };
        bucket.rate = (bucket.rate + step).min(HIGHEST_RATE);
    }

    /// 429s seen since the limiter was made.
    pub fn throttles(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    pub fn rate(&self) -> f64 {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).rate
    }
}

impl Bucket {
    /// Calls that went through in the last second (older ones are forgotten here).
    fn passed_last_second(&mut self) -> usize {
        while self.passed.front().is_some_and(|at| at.elapsed() > Duration::from_secs(1)) {
            self.passed.pop_front();
        }
        self.passed.len()
    }
}

static LIMITERS: LazyLock<Mutex<HashMap<String, Arc<Limiter>>>> = LazyLock::new(Mutex::default);

/// The limiter of a start URL, shared by every call of this process.
pub fn for_start_url(start_url: &str) -> Arc<Limiter> {
    let mut limiters = LIMITERS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    limiters.entry(start_url.to_owned()).or_insert_with(|| Arc::new(Limiter::new(start_rate()))).clone()
}

/// `SWITCHBOARD_SSO_RATE` (calls per second) sets where a start URL's rate starts.
fn start_rate() -> f64 {
    std::env::var("SWITCHBOARD_SSO_RATE")
        .ok()
        .and_then(|text| text.parse::<f64>().ok())
        .filter(|rate| rate.is_finite() && *rate >= LOWEST_RATE)
        .map_or(START_RATE, |rate| rate.min(HIGHEST_RATE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_halves_the_rate_and_successes_climb_back_near_the_ceiling_first() {
        let limiter = Limiter::new(20.0);
        limiter.throttled();
        assert_eq!(limiter.rate(), 10.0);
        assert_eq!(limiter.throttles(), 1);
        limiter.throttled();
        assert_eq!(limiter.rate(), 10.0, "the 429s of one burst halve the rate once");
        assert_eq!(limiter.throttles(), 2);
        let mut calls = 0;
        while limiter.rate() < 18.0 {
            limiter.succeeded();
            calls += 1;
        }
        assert!(calls < 20, "back near the ceiling within about a second of calls: {calls}");
        let before = limiter.rate();
        for _ in 0..10 {
            limiter.succeeded();
        }
        assert!(limiter.rate() - before < 1.0, "past 90% of the ceiling it only probes: {}", limiter.rate());
    }

    #[tokio::test]
    async fn calls_are_spaced_at_the_rate_after_the_burst() {
        let limiter = Limiter::new(50.0);
        let started = Instant::now();
        for _ in 0..30 {
            limiter.acquire().await;
        }
        // Ten at once, then twenty at 50/s: about 0.4 s.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(350), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }
}
