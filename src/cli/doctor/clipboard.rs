//! The clipboard route of the screen's copies: OSC 52 to the terminal (through SSH), wrapped
//! for tmux's passthrough inside tmux, and the system clipboard where a display exists. Inside
//! tmux, an application's OSC 52 reaches the clipboard only with `set-clipboard on` (`external`
//! lets tmux's own copy mode set it but ignores applications), or through the passthrough with
//! `allow-passthrough on`.

use std::time::Duration;

use super::{Finding, timed_out};

const CHECK: &str = "clipboard";
/// tmux answers at once; a hung server must not hold the doctor.
const TMUX_TIMEOUT: Duration = Duration::from_secs(2);
const TURN_IT_ON: &str = "`tmux set -g set-clipboard on`, and `set -g set-clipboard on` in ~/.tmux.conf to keep it";

pub async fn check() -> Vec<Finding> {
    let display = has_display();
    let system = if display { " and the system clipboard" } else { "" };
    if std::env::var_os("TMUX").is_none_or(|value| value.is_empty()) {
        return vec![Finding::ok(
            CHECK,
            format!("not inside tmux: copies go to the terminal by OSC 52{system} (over SSH, OSC 52 only)"),
        )];
    }
    let set_clipboard = match tmux_option("set-clipboard").await {
        Ok(value) => value,
        Err(why) => {
            return vec![Finding::warning(
                CHECK,
                format!("inside tmux ($TMUX is set), but `tmux show -gv set-clipboard` failed: {why}"),
                format!("check that tmux runs, then {TURN_IT_ON}"),
            )];
        }
    };
    if set_clipboard == "on" {
        return vec![Finding::ok(
            CHECK,
            format!("inside tmux with set-clipboard on: copies reach the terminal by OSC 52{system}"),
        )];
    }
    // The screen also sends its copy wrapped for the passthrough, which tmux 3.3+ lets through
    // with allow-passthrough (older ones always did, and have no such option).
    if matches!(tmux_option("allow-passthrough").await.as_deref(), Ok("on" | "all")) {
        return vec![Finding::ok(
            CHECK,
            format!(
                "inside tmux with set-clipboard {set_clipboard} and allow-passthrough on: copies pass through to the terminal"
            ),
        )];
    }
    let summary = format!(
        "inside tmux with set-clipboard {set_clipboard}: tmux drops the screen's OSC 52, so `c` and the exports popup copy{}",
        if display { " to the system clipboard only" } else { " nowhere" }
    );
    // `external` is a deliberate setting and a display still gets the copy: a warning.
    if set_clipboard == "external" || display {
        vec![Finding::warning(CHECK, summary, TURN_IT_ON)]
    } else {
        vec![Finding::problem(CHECK, summary, TURN_IT_ON)]
    }
}

fn has_display() -> bool {
    !cfg!(target_os = "linux")
        || std::env::var_os("DISPLAY").is_some_and(|value| !value.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|value| !value.is_empty())
}

/// `tmux show -gv OPTION`, trimmed; why not, when tmux is missing, fails or hangs.
async fn tmux_option(option: &str) -> Result<String, String> {
    let mut command = tokio::process::Command::new("tmux");
    command
        .args(["show", "-gv", option])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|error| format!("cannot run tmux: {error}"))?;
    let output = match tokio::time::timeout(TMUX_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => return Err(error.to_string()),
        Err(_) => return Err(timed_out(TMUX_TIMEOUT)),
    };
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(format!("{} ({said})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
