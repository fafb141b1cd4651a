//! The CLI's MFA prompt: a code from `--mfa-code`, codes from stdin (`--mfa-code -`), or a
//! no-echo prompt on the controlling terminal.

use std::io::BufRead;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};
use crate::domain::mfa_command::{self, MFA_COMMAND_TIMEOUT, MfaCommands};

use super::AppError;

const MALFORMED_RETRIES: usize = 3;

pub enum CodeSource {
    /// `--mfa-code 123456`: used once.
    Given(Option<MfaCode>),
    /// `--mfa-code -`: one code per line of stdin.
    Stdin,
    Terminal,
}

impl CodeSource {
    pub fn from_flag(flag: Option<&str>) -> Result<Self, AppError> {
        match flag {
            None => Ok(CodeSource::Terminal),
            Some("-") => Ok(CodeSource::Stdin),
            Some(text) => MfaCode::parse(text)
                .map(|code| CodeSource::Given(Some(code)))
                .map_err(|_| AppError::Usage(format!("--mfa-code: \"{text}\" is not an MFA code; a code is 6 digits"))),
        }
    }
}

pub struct TerminalPrompt {
    codes: Mutex<CodeSource>,
    /// False where asking would block a tool that cannot answer (credential_process without a terminal).
    can_prompt: bool,
    /// Sources' `mfa_command`s, tried before asking.
    commands: MfaCommands,
}

impl TerminalPrompt {
    pub fn new(codes: CodeSource, can_prompt: bool) -> Self {
        Self { codes: Mutex::new(codes), can_prompt, commands: MfaCommands::default() }
    }

    pub fn with_commands(mut self, commands: MfaCommands) -> Self {
        self.commands = commands;
        self
    }

    /// The device's `mfa_command`, for a first request (after a rejected code, the operator
    /// is asked: the command would give the same code again).
    async fn code_from_command(&self, request: &MfaRequest) -> Option<MfaCode> {
        let command = self.commands.command_for(&request.device).filter(|_| request.problem.is_none())?;
        match mfa_command::run(command, MFA_COMMAND_TIMEOUT).await {
            Ok(code) => {
                super::output::warn(&format!("MFA code for {} from mfa_command", request.device));
                Some(code)
            }
            Err(reason) => {
                super::output::warn(&format!("mfa_command for {} failed ({reason}); asking instead", request.device));
                None
            }
        }
    }
}

fn describe(request: &MfaRequest) -> String {
    let roles: Vec<String> = request.roles.iter().map(ToString::to_string).collect();
    format!("MFA code for {} (unlocks {})", request.device, roles.join(", "))
}

#[async_trait]
impl MfaPrompt for TerminalPrompt {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        let from_stdin = {
            let mut codes = self.codes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match &mut *codes {
                CodeSource::Given(code) => {
                    return code.take().ok_or_else(|| MfaError::NoMoreCodes { problem: request.problem.clone() });
                }
                CodeSource::Stdin => true,
                CodeSource::Terminal => false,
            }
        };
        if let Some(code) = self.code_from_command(request).await {
            return Ok(code);
        }
        let request = request.clone();
        let can_prompt = self.can_prompt;
        // A bar of long work would be drawn over the question.
        let _paused = (!from_stdin && can_prompt).then(crate::app::progress::pause);
        let asked = tokio::task::spawn_blocking(move || {
            if from_stdin {
                read_stdin_code(&request)
            } else if can_prompt {
                read_terminal_code(&request)
            } else {
                Err(MfaError::NoTerminal { device: request.device.clone() })
            }
        });
        asked.await.unwrap_or(Err(MfaError::Cancelled))
    }

    /// On stderr, where the code was asked for.
    fn not_needed(&self, _role: &RoleKey, _device: &str, message: &str) {
        super::output::warn(message);
    }
}

fn read_stdin_code(request: &MfaRequest) -> Result<MfaCode, MfaError> {
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => Err(MfaError::NoMoreCodes { problem: request.problem.clone() }),
        Ok(_) => MfaCode::parse(&line),
    }
}

fn read_terminal_code(request: &MfaRequest) -> Result<MfaCode, MfaError> {
    let problem = request.problem.as_ref().map(|problem| format!("switchboard: {problem}\n")).unwrap_or_default();
    for attempt in 0..MALFORMED_RETRIES {
        let note = if attempt == 0 {
            problem.as_str()
        } else {
            "switchboard: an MFA code is 6 digits; try again (empty line cancels)\n"
        };
        let typed = rpassword::prompt_password(format!("{note}{}: ", describe(request)))
            .map_err(|_| MfaError::NoTerminal { device: request.device.clone() })?;
        if typed.trim().is_empty() {
            return Err(MfaError::Cancelled);
        }
        if let Ok(code) = MfaCode::parse(&typed) {
            return Ok(code);
        }
    }
    Err(MfaError::Malformed)
}
