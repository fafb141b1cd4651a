//! `switchboard credential-process ROLE`: the JSON of AWS's credential_process protocol,
//! so any SDK or the AWS CLI can use switchboard's sessions through a profile.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use crate::domain::engine::{Renewal, Session};
use crate::domain::exports::rfc3339;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

/// botocore asks again 15 minutes before expiry and fails if what it gets back is not
/// fresher than 10 minutes, so sessions are renewed from 15 minutes left. A session no longer
/// than that is inside this window from the start: the engine hands it out as it is until
/// renewing gains time (`engine::renewal::MIN_GAIN`), not renewing it on every call.
const CLIENT_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessCredentials<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

fn has_terminal() -> bool {
    std::io::stdin().is_terminal() || std::fs::File::open(tty_path()).is_ok()
}

fn tty_path() -> &'static str {
    if cfg!(windows) { "CONIN$" } else { "/dev/tty" }
}

pub async fn run(options: &GlobalOptions, address: &str) -> Result<ExitCode, AppError> {
    // SDKs run this often and wait for it: an agent that listens answers before the
    // inventory is parsed or the store (and the keyring behind it) is even opened.
    #[cfg(unix)]
    {
        use crate::app::agent::client::{self as agent_client, AgentSession, SessionAsk};
        use crate::app::agent::protocol::WireRenewal;
        let inventory = crate::domain::inventory::locate(options.inventory.as_deref())?;
        let ask = SessionAsk {
            inventory: &inventory,
            role: address,
            renewal: WireRenewal::AtLeastSeconds(CLIENT_REFRESH_WINDOW.as_secs()),
            // Without a terminal (an SDK, Terraform, an IDE), the agent asks for a code on our behalf.
            caller: agent_client::headless_caller(options.mfa_code.is_some()),
            // The SDK process that ran us holds the session.
            served_pid: Some(agent_client::parent_pid()),
        };
        match agent_client::ask_session(ask).await {
            AgentSession::Served(session) => return print_credentials(&session),
            AgentSession::Refused(line) => return Err(AppError::Failed(line)),
            AgentSession::NotServed => {}
        }
    }
    let context = Context::open(options, has_terminal(), false).await?;
    let role = context.role(address)?;
    let engine = &context.engine;
    let window = engine.inventory().defaults.refresh_before.max(CLIENT_REFRESH_WINDOW);
    // The agent was asked above already.
    let session = match engine.session(&role, Renewal::Within(window)).await {
        Ok(session) => session,
        Err(error) => match (error.mfa_device(), engine.cached_session(&role).await) {
            // Renewing early needed a code nobody can type here; the session still works.
            (Some(_), Some(cached)) => {
                output::warn(&format!("{error}; handing out the current session until it expires"));
                cached
            }
            (Some(device), None) => {
                return Err(AppError::Failed(format!(
                    "{role} needs an MFA code for {device} and there is no terminal to ask on.\n\
                     Get a session first in a terminal: `switchboard refresh {role}` (or keep the switchboard screen open), then retry."
                )));
            }
            _ => return Err(error.into()),
        },
    };
    print_credentials(&session)
}

fn print_credentials(session: &Session) -> Result<ExitCode, AppError> {
    let credentials = &session.credentials;
    let output = ProcessCredentials {
        version: 1,
        access_key_id: &credentials.access_key_id,
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
        expiration: credentials.expiration.map(rfc3339),
    };
    let json = serde_json::to_string(&output).map_err(|error| AppError::Failed(error.to_string()))?;
    output::print_raw(&(json + "\n"))?;
    Ok(ExitCode::SUCCESS)
}
