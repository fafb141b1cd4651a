//! Desktop notifications of the headless agent: how a person learns that a caller without a
//! terminal waits for them (an MFA code, a sign-in). Best effort: no notifier, no notification.

use std::time::Duration;

/// Shows `summary` and `body` with `notify-send` when it is on the PATH (and
/// `SWITCHBOARD_NOTIFY` is not `off`); never waited for long.
pub(super) fn send(summary: &str, body: &str) {
    if std::env::var("SWITCHBOARD_NOTIFY").is_ok_and(|value| value.eq_ignore_ascii_case("off")) {
        return;
    }
    let Some(program) = on_path("notify-send") else { return };
    let spawned = tokio::process::Command::new(program)
        .args(["--app-name=switchboard", summary, body])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    match spawned {
        Ok(mut child) => {
            tokio::spawn(async move {
                // A notification daemon that hangs must not leave processes behind.
                if tokio::time::timeout(Duration::from_secs(5), child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            });
        }
        Err(error) => tracing::debug!("notify-send: {error}"),
    }
}

fn on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}
