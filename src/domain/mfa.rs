//! MFA codes: how they are asked for (a trait the CLI and the screen implement), checked
//! (six digits) and remembered, so a code already sent for a device is never sent again.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use super::inventory::RoleKey;

/// TOTP devices show a new code every 30 s, aligned to the Unix epoch.
const CODE_PERIOD_SECS: i64 = 30;
/// AWS accepts a code a little past its period; remembering longer keeps a reuse from slipping through.
pub const REMEMBER_FOR: Duration = Duration::from_secs(5 * 60);

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MfaCode(String);

impl MfaCode {
    pub fn parse(text: &str) -> Result<Self, MfaError> {
        let code = text.trim();
        if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(MfaError::Malformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MfaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaCode(******)")
    }
}

/// What the operator is asked: which device, which roles the code unlocks, what went
/// wrong with the previous code, if anything, and for whom (a process without a terminal
/// that asked the agent; `None` when the asking front end is the operator's own).
#[derive(Debug, Clone, PartialEq)]
pub struct MfaRequest {
    pub device: String,
    pub roles: Vec<RoleKey>,
    pub problem: Option<String>,
    pub caller: Option<MfaCaller>,
}

/// The process a code is asked for on behalf of: the one that ran switchboard (e.g. an SDK
/// running `credential-process`), so the operator knows what they unlock a session for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MfaCaller {
    pub pid: u32,
    pub command: String,
    /// The switchboard process that asked on its behalf.
    pub client_pid: Option<u32>,
}

impl fmt::Display for MfaCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} `{}`", self.pid, self.command)?;
        if let Some(client) = self.client_pid {
            write!(f, " (through switchboard pid {client})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MfaError {
    #[error("an MFA code is 6 digits")]
    Malformed,
    #[error("the MFA prompt was cancelled")]
    Cancelled,
    #[error("there is no terminal to ask on")]
    NoTerminal { device: String },
    /// Asked on behalf of a caller without a terminal; nobody answered in time.
    #[error("nobody answered within {seconds} s")]
    TimedOut { seconds: u64 },
    /// The prompt had one code to give (e.g. `--mfa-code`) and it is spent.
    #[error("no further MFA code was given{}", .problem.as_ref().map(|p| format!(": {p}")).unwrap_or_default())]
    NoMoreCodes { problem: Option<String> },
}

#[async_trait]
pub trait MfaPrompt: Send + Sync {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError>;

    /// Whether `ask` would wait for a person (a terminal, a modal, `switchboard mfa`). A
    /// prompt that answers at once without one (the agent refusing a caller that asks on
    /// its own terminal) says false, and its caller is not queued behind another caller's
    /// prompt for the same device.
    fn waits_for_a_person(&self) -> bool {
        true
    }

    /// The code given for `role` on `device` was not needed after all: another process renewed
    /// the layer while the person typed, so its session is used and the code was neither sent
    /// nor marked used. `message` says so in one line; a front end shows it where the person
    /// looks (stderr, the screen's status line).
    fn not_needed(&self, role: &RoleKey, device: &str, message: &str) {
        let _ = (role, device);
        tracing::warn!("{message}");
    }
}

/// Seconds until a TOTP device shows its next code.
pub fn seconds_to_next_code(now: Timestamp) -> i64 {
    CODE_PERIOD_SECS - now.as_second().rem_euclid(CODE_PERIOD_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_exactly_six_digits() {
        assert!(MfaCode::parse("123456").is_ok());
        assert!(MfaCode::parse(" 123456\n").is_ok(), "pasted codes carry whitespace");
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert_eq!(MfaCode::parse(bad), Err(MfaError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn debug_hides_the_code() {
        assert!(!format!("{:?}", MfaCode::parse("123456").unwrap()).contains("123456"));
    }

    #[test]
    fn next_code_countdown_follows_the_30_second_period() {
        assert_eq!(seconds_to_next_code("2026-01-01T00:00:00Z".parse().unwrap()), 30);
        assert_eq!(seconds_to_next_code("2026-01-01T00:00:29Z".parse().unwrap()), 1);
        assert_eq!(seconds_to_next_code("2026-01-01T00:00:40Z".parse().unwrap()), 20);
    }
}
