//! `switchboard doctor`: checks the setup and prints one line per check (ok, warning or
//! problem, and what to do). One file per group of checks: `inventory`, `stores` (the keyring
//! and the session file), `agent`, `clock` (and STS with `--online`), `clipboard`,
//! `aws_config` (the `credential_process` profiles) and `completions`.
//!
//! Every check has a time limit, and those that may hang (the keyring, the agent, tmux, STS,
//! files) run side by side: a hung keyring costs its own 5 s and is named as timed out, and
//! the whole run ends within 10 s. What blocks runs on a plain thread that is abandoned when
//! its time is up, so it never keeps the process from exiting. No secret is printed: the
//! keyring's item is read to know it is there, never shown.

#[cfg(unix)]
mod agent;
mod aws_config;
mod clipboard;
mod clock;
mod completions;
mod inventory;
mod stores;

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::{AppError, output};
use crate::app::GlobalOptions;

/// Loading the inventory: the checks that need it wait for it.
const INVENTORY_TIMEOUT: Duration = Duration::from_secs(2);
/// The keyring: the session store gives it up to 8 s under load; the doctor is one process.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);
/// Reading files, asking the agent or tmux.
const CHECK_TIMEOUT: Duration = Duration::from_secs(4);
/// `--online`: one STS call (after the inventory's 2 s at most, so within 10 s in all).
const STS_TIMEOUT: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Problem,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Problem => "problem",
        }
    }
}

/// One line of the report: what was checked, how it stands, and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub summary: String,
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(check: &'static str, summary: impl Into<String>) -> Finding {
        Finding { check, status: Status::Ok, summary: summary.into(), fix: None }
    }

    pub fn warning(check: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { check, status: Status::Warning, summary: summary.into(), fix: Some(fix.into()) }
    }

    pub fn problem(check: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { check, status: Status::Problem, summary: summary.into(), fix: Some(fix.into()) }
    }
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    problems: usize,
    warnings: usize,
    checks: &'a [Finding],
}

pub async fn run(options: &GlobalOptions, online: bool, json: bool) -> Result<ExitCode, AppError> {
    // What needs no inventory starts at once, beside loading it.
    let keyring = tokio::spawn(stores::keyring());
    let session_store = tokio::spawn(stores::session_store());
    let clipboard = tokio::spawn(clipboard::check());
    let completions = tokio::spawn(completions::check());
    let inventory_path = crate::domain::inventory::locate(options.inventory.as_deref()).ok();
    #[cfg(unix)]
    let agent = tokio::spawn(agent::check(inventory_path));
    #[cfg(not(unix))]
    let agent = tokio::spawn(async move {
        drop(inventory_path);
        vec![Finding::ok("agent", "the agent runs on Unix only")]
    });
    let (inventory_findings, inventory) = inventory::check(options).await;
    let clock = tokio::spawn(clock::check(inventory.clone(), online));
    let aws_config = tokio::spawn(aws_config::check(inventory));

    let mut findings = inventory_findings;
    for (check, task) in [
        ("keyring", keyring),
        ("session store", session_store),
        ("agent", agent),
        ("clock", clock),
        ("clipboard", clipboard),
        ("aws config", aws_config),
        ("completions", completions),
    ] {
        match task.await {
            Ok(found) => findings.extend(found),
            Err(error) => findings.push(Finding::problem(
                check,
                format!("the check stopped: {error}"),
                "a bug in switchboard doctor: please report it with this line",
            )),
        }
    }
    report(&findings, json)
}

fn report(findings: &[Finding], json: bool) -> Result<ExitCode, AppError> {
    let count = |status: Status| findings.iter().filter(|finding| finding.status == status).count();
    let (problems, warnings) = (count(Status::Problem), count(Status::Warning));
    if json {
        let report = Report { ok: problems == 0, problems, warnings, checks: findings };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|error| AppError::Failed(format!("cannot write the report: {error}")))?;
        output::print_json(&text)?;
    } else {
        let mut text = String::new();
        for finding in findings {
            text += &format!("{:<8} {:<14} {}", finding.status.label(), finding.check, finding.summary);
            if let Some(fix) = &finding.fix {
                text += &format!(" → {fix}");
            }
            text.push('\n');
        }
        let plural = |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
        text += &match (problems, warnings) {
            (0, 0) => "\nall good\n".to_owned(),
            _ => format!("\n{}, {}\n", plural(problems, "problem"), plural(warnings, "warning")),
        };
        output::print(&text)?;
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs blocking `work` on a plain thread for at most `limit`: `None` when it did not finish
/// (the thread is left to end on its own; it never holds the process at exit).
pub async fn on_thread<T: Send + 'static>(limit: Duration, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new().name("doctor".into()).spawn(move || {
        let _ = sender.send(work());
    });
    if started.is_err() {
        return None;
    }
    tokio::time::timeout(limit, receiver).await.ok().and_then(Result::ok)
}

/// "timed out: no answer within 5s" for a check that did not finish.
pub fn timed_out(limit: Duration) -> String {
    format!("timed out: no answer within {}s", limit.as_secs())
}

/// `1.2 KiB`, `3.4 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} bytes") } else { format!("{size:.1} {}", UNITS[unit]) }
}

/// The home directory, as the shells and the AWS CLI find it.
pub fn home_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }

    #[tokio::test]
    async fn a_blocking_check_past_its_limit_is_abandoned() {
        let started = std::time::Instant::now();
        let answer = on_thread(Duration::from_millis(100), || std::thread::sleep(Duration::from_secs(5))).await;
        assert!(answer.is_none());
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(on_thread(Duration::from_secs(1), || 7).await, Some(7));
    }
}
