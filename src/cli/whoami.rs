//! `switchboard whoami ROLE`: where the role's session lands, as STS sees it. The agent
//! answers when one listens (with its session, no inventory parsed here); else this process.

use std::process::ExitCode;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

pub async fn run(options: &GlobalOptions, address: &str) -> Result<ExitCode, AppError> {
    #[cfg(unix)]
    if let Some((account, arn, user_id)) = from_agent(options, address).await {
        print(&account, &arn, &user_id)?;
        return Ok(ExitCode::SUCCESS);
    }
    let context = Context::open(options, true, true).await?;
    let role = context.role(address)?;
    let identity = context.engine.identity(&role).await?;
    print(&identity.account, &identity.arn, &identity.user_id)?;
    Ok(ExitCode::SUCCESS)
}

/// All three come from the server: `output` escapes what could drive the terminal.
fn print(account: &str, arn: &str, user_id: &str) -> Result<(), AppError> {
    output::print(&format!("account  {account}\narn      {arn}\nuser id  {user_id}\n"))
}

/// The agent's answer; `None` (logged at debug level) when it cannot give one, e.g. a code is
/// needed: this process then asks on its terminal.
#[cfg(unix)]
async fn from_agent(options: &GlobalOptions, address: &str) -> Option<(String, String, String)> {
    use crate::app::agent::client as agent_client;
    use crate::app::agent::protocol::{AgentReply, AgentRequest};
    let inventory = crate::domain::inventory::locate(options.inventory.as_deref()).ok()?;
    let request =
        AgentRequest::Whoami { inventory: agent_client::inventory_identity(&inventory), role: address.into() };
    match agent_client::ask_agent(&request, std::time::Duration::from_secs(90)).await {
        Ok(AgentReply::Identity { account, arn, user_id }) => {
            tracing::debug!("agent: whoami served by the agent");
            Some((account, arn, user_id))
        }
        Ok(other) => {
            tracing::debug!("agent: {other:?}; asking here");
            None
        }
        Err(unavailable) => {
            tracing::debug!("agent: {unavailable}; asking here");
            None
        }
    }
}
