//! `switchboard mfa`: answers the MFA requests a headless agent holds for callers without a
//! terminal (an SDK running `credential-process`, Terraform, an IDE). Lists each with the
//! caller it is for and every role the code unlocks, and reads the code without echo on a
//! terminal, else one per line from stdin (or takes `--mfa-code`).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use crate::app::agent::client as agent_client;
use crate::app::agent::protocol::{AgentReply, AgentRequest, PendingMfa, WireCode};
use crate::domain::mfa::MfaCode;

use super::{AppError, GlobalOptions};

const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(options: &GlobalOptions) -> Result<ExitCode, AppError> {
    let pending = match agent_client::ask_agent(&AgentRequest::PendingMfa, REPLY_TIMEOUT).await {
        Ok(AgentReply::Pending { requests }) => requests,
        Ok(AgentReply::Error { message, .. }) => return Err(AppError::Failed(message)),
        Ok(other) => return Err(AppError::Failed(format!("unexpected reply from the agent: {other:?}"))),
        Err(unavailable) => {
            return Err(AppError::Failed(format!("{unavailable}: no agent holds MFA requests")));
        }
    };
    if pending.is_empty() {
        super::output::println("no MFA request is waiting")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut given = options.mfa_code.clone();
    for request in &pending {
        eprintln!("{}", describe(request));
        let code = read_code(&mut given)?;
        let answer = AgentRequest::AnswerMfa { id: request.id, code: WireCode(code.as_str().to_owned()) };
        match agent_client::ask_agent(&answer, REPLY_TIMEOUT).await {
            Ok(AgentReply::Answered) => eprintln!("switchboard: code sent for request {}", request.id),
            Ok(AgentReply::Error { message, .. }) => return Err(AppError::Failed(message)),
            Ok(other) => return Err(AppError::Failed(format!("unexpected reply from the agent: {other:?}"))),
            Err(unavailable) => return Err(AppError::Failed(unavailable.to_string())),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(request: &PendingMfa) -> String {
    let whom = request.caller.as_ref().map(|caller| format!(" for {caller}")).unwrap_or_default();
    let problem = request.problem.as_ref().map(|problem| format!("\n  {problem}")).unwrap_or_default();
    format!(
        "request {}: MFA code for {}{whom}, waiting {} s\n  unlocks {}{problem}",
        request.id,
        request.device,
        request.waiting_seconds,
        request.roles.join(", ")
    )
}

/// `--mfa-code CODE` once, `--mfa-code -` or a non-terminal stdin: a line of stdin; else a
/// no-echo prompt.
fn read_code(given: &mut Option<String>) -> Result<MfaCode, AppError> {
    let bad = |_| AppError::Usage("an MFA code is 6 digits".into());
    match given.take() {
        Some(text) if text != "-" => return MfaCode::parse(&text).map_err(bad),
        Some(_) => *given = Some("-".into()),
        None => {}
    }
    if given.is_none() && std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password("code: ").map_err(|error| AppError::Failed(error.to_string()))?;
        return MfaCode::parse(&typed).map_err(bad);
    }
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err(AppError::Usage("no MFA code on stdin".into())),
        Ok(_) => MfaCode::parse(&line).map_err(bad),
        Err(error) => Err(AppError::Failed(format!("cannot read stdin: {error}"))),
    }
}
