//! Progress of long work (`run` here; `refresh --all`, `import organizations` and
//! `sqs redrive` share the same bar): drawn on a terminal, redrawn to fit when the window is
//! resized, cleared at the end; never drawn when stderr is not a terminal or with `--quiet`.

use std::process::Stdio;

use crate::support::pty::Tui;
use crate::support::{Sandbox, assert_success, stderr};

/// The three readonly roles of the fleet (no code needed), one at a time.
const RUN: [&str; 7] = ["run", "*/readonly", "--parallel", "1", "--", "sh", "-c"];
const SLOW: &str = "sleep 1; echo done";

fn bar_lines(screen: &str) -> Vec<&str> {
    screen.lines().filter(|line| line.contains("/3 ")).collect()
}

#[test]
fn run_draws_a_bar_on_a_terminal_that_fits_a_resized_window_and_is_cleared_at_the_end() {
    let sandbox = Sandbox::with_fixture("fleet.toml");
    let mut args = RUN.to_vec();
    args.push(SLOW);
    let mut tui = Tui::command(&sandbox, &args, &[]);
    let screen = tui.wait_for("the bar with one command running", |screen| {
        screen.contains("running [") && screen.contains("1 running, 0 failed")
    });
    assert_eq!(bar_lines(&screen).len(), 1, "{screen}");
    tui.resize(20, 60);
    let screen = tui.wait_for("the bar redrawn at 60 columns", |screen| {
        bar_lines(screen).iter().any(|line| line.contains("running [") && line.trim_end().ends_with("left)"))
    });
    assert_eq!(bar_lines(&screen).len(), 1, "one bar, no stale copy: {screen}");
    let status = tui.wait_for_exit();
    assert!(status.success(), "{status:?}");
    let screen = tui.screen_text();
    assert!(!screen.contains("running ["), "the bar is cleared at the end: {screen}");
    assert!(screen.contains("ROLE") && screen.contains("gamma/readonly"), "the summary: {screen}");
}

#[test]
fn no_bar_is_drawn_when_stderr_is_not_a_terminal_or_with_quiet() {
    let sandbox = Sandbox::with_fixture("fleet.toml");
    let mut args = RUN.to_vec();
    args.push("echo done");
    let output = sandbox.command(&args).stdin(Stdio::null()).output().unwrap();
    assert_success(&output);
    let log = stderr(&output);
    assert!(!log.contains("running [") && !log.contains('\u{1b}'), "{log:?}");

    let mut quiet = vec!["--quiet"];
    quiet.extend(RUN);
    quiet.push(SLOW);
    let mut tui = Tui::command(&sandbox, &quiet, &[]);
    let status = tui.wait_for_exit();
    assert!(status.success(), "{status:?}");
    let raw = String::from_utf8_lossy(&tui.raw);
    assert!(raw.contains("done"), "the commands ran: {raw}");
    assert!(!raw.contains("running ["), "--quiet draws no bar: {raw}");
}
