//! A source's `mfa_command` (for example `ykman oath accounts code -s NAME`): run with a
//! timeout, its output trimmed and accepted only as six digits. The front ends use it before
//! asking the operator, and ask as before when it fails.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use super::inventory::Inventory;
use super::mfa::MfaCode;

/// Long enough for a YubiKey that waits for a touch, short enough not to hang a command.
pub const MFA_COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// Which command gives the codes of which device, from the inventory's sources.
#[derive(Debug, Clone, Default)]
pub struct MfaCommands {
    by_device: HashMap<String, String>,
}

impl MfaCommands {
    pub fn from_inventory(inventory: &Inventory) -> Self {
        let mut by_device = HashMap::new();
        for source in inventory.sources.values() {
            if let (Some(device), Some(command)) = (&source.mfa_serial, &source.mfa_command) {
                // Sources are in name order: the first to name a command for a device wins.
                by_device.entry(device.clone()).or_insert_with(|| command.clone());
            }
        }
        Self { by_device }
    }

    pub fn command_for(&self, device: &str) -> Option<&str> {
        self.by_device.get(device).map(String::as_str)
    }
}

/// Runs `command` through the shell and takes its output as the code. The error says what
/// went wrong without the output itself (it could be a code).
pub async fn run(command: &str, timeout: Duration) -> Result<MfaCode, String> {
    let mut shell = if cfg!(windows) {
        let mut shell = tokio::process::Command::new("cmd");
        shell.arg("/C");
        shell
    } else {
        let mut shell = tokio::process::Command::new("sh");
        shell.arg("-c");
        shell
    };
    shell.arg(command).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let child = shell.spawn().map_err(|error| format!("cannot run it: {error}"))?;
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| format!("no answer within {timeout:?}"))?
        .map_err(|error| format!("cannot run it: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first: String = stderr.lines().next().unwrap_or_default().chars().take(200).collect();
        return Err(match output.status.code() {
            Some(code) if first.is_empty() => format!("it exited with {code}"),
            Some(code) => format!("it exited with {code}: {first}"),
            None => "it was killed by a signal".to_owned(),
        });
    }
    MfaCode::parse(&String::from_utf8_lossy(&output.stdout)).map_err(|_| "its output is not a 6-digit code".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_output_trimmed_is_the_code() {
        assert_eq!(run("printf '  123456\\n'", MFA_COMMAND_TIMEOUT).await.unwrap().as_str(), "123456");
    }

    #[tokio::test]
    async fn failures_say_why_without_the_output() {
        assert_eq!(run("echo 12345x", MFA_COMMAND_TIMEOUT).await.unwrap_err(), "its output is not a 6-digit code");
        let failed = run("echo 'no YubiKey found' >&2; exit 3", MFA_COMMAND_TIMEOUT).await.unwrap_err();
        assert_eq!(failed, "it exited with 3: no YubiKey found");
        let slow = run("sleep 5", Duration::from_millis(200)).await.unwrap_err();
        assert!(slow.starts_with("no answer within"), "{slow}");
    }
}
