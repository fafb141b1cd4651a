//! Progress of long work on stderr (indicatif): `refresh --all`, `import organizations`,
//! `run`, `sqs redrive`. Drawn only on a terminal: nothing when stderr is piped or with
//! `--quiet`. A person being asked something (an MFA code, a sign-in) pauses every bar, so
//! the question is never drawn over.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);
/// The bars being drawn (each with its id), for `pause` and `above`.
static ACTIVE: Mutex<Vec<(u64, ProgressBar)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// How many pauses are held: the bars are hidden while any is.
static PAUSES: Mutex<usize> = Mutex::new(0);

/// `--quiet`: no progress at all.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn active() -> std::sync::MutexGuard<'static, Vec<(u64, ProgressBar)>> {
    ACTIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn drawn() -> bool {
    !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

fn target() -> ProgressDrawTarget {
    let paused = *PAUSES.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) > 0;
    if paused { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() }
}

/// One bar (or counter) of long work; cleared when dropped.
pub struct Progress {
    bar: ProgressBar,
    id: u64,
}

impl Progress {
    /// `what` done of `total`, with the time left estimated.
    pub fn bar(what: &str, total: u64) -> Progress {
        let style = ProgressStyle::with_template("{prefix} [{wide_bar}] {pos}/{len} {msg} ({elapsed}, ~{eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        Progress::start(ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden()), style, what)
    }

    /// A count of `what` without a known total (pages being listed).
    pub fn counter(what: &str) -> Progress {
        let style = ProgressStyle::with_template("{prefix} {spinner} {pos} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        Progress::start(ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()), style, what)
    }

    fn start(bar: ProgressBar, style: ProgressStyle, what: &str) -> Progress {
        bar.set_style(style);
        bar.set_prefix(what.to_owned());
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        if drawn() {
            bar.set_draw_target(target());
            bar.enable_steady_tick(Duration::from_millis(200));
            active().push((id, bar.clone()));
        }
        Progress { bar, id }
    }

    pub fn advance(&self, by: u64) {
        self.bar.inc(by);
    }

    pub fn set_position(&self, position: u64) {
        self.bar.set_position(position);
    }

    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    /// The counts beside the bar (`3 failed`, `2 running`).
    pub fn say(&self, message: String) {
        self.bar.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        active().retain(|(id, _)| *id != self.id);
        self.bar.finish_and_clear();
    }
}

/// Runs `write` (lines to stdout or stderr) with the bar cleared first and drawn again
/// after, so a line is never written into the bar.
pub fn above<R>(write: impl FnOnce() -> R) -> R {
    let bar = active().first().map(|(_, bar)| bar.clone());
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Whether a bar would be drawn (else a command prints its progress as lines, if at all).
pub fn is_drawn() -> bool {
    drawn()
}

/// While this lives every bar is hidden (and cleared from the terminal): a person is asked
/// something on it.
pub struct Paused(());

pub fn pause() -> Paused {
    let mut pauses = PAUSES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    *pauses += 1;
    if *pauses == 1 {
        for (_, bar) in active().iter() {
            // Replacing a terminal target clears what it drew.
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
    }
    Paused(())
}

impl Drop for Paused {
    fn drop(&mut self) {
        let mut pauses = PAUSES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *pauses = pauses.saturating_sub(1);
        if *pauses == 0 {
            for (_, bar) in active().iter() {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_terminal_nothing_is_drawn_and_nothing_is_kept() {
        // The test harness's stderr is captured, not a terminal.
        let progress = Progress::bar("refreshing", 10);
        progress.advance(3);
        assert!(progress.bar.is_hidden());
        assert!(active().is_empty());
        let _paused = pause();
        drop(progress);
    }
}
