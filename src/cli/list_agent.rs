//! `list` answered by the agent when one listens: the agent holds the parsed inventory (read
//! again when the file changes) and the sessions and sends `list`'s output, so this process
//! parses nothing and only writes it out. With no agent, `list` builds the rows itself.

use std::process::ExitCode;
use std::time::Duration;

use crate::app::agent::client as agent_client;
use crate::app::agent::protocol::{AgentReply, AgentRequest};

use super::{AppError, GlobalOptions};

/// The agent answers from memory; anything slower means it is busy, and our own is as good.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// `None`: no agent answered for this inventory; list locally.
pub async fn run(options: &GlobalOptions, json: bool) -> Option<Result<ExitCode, AppError>> {
    let inventory = crate::domain::inventory::locate(options.inventory.as_deref()).ok()?;
    let request = AgentRequest::List { inventory: agent_client::inventory_identity(&inventory), json };
    let text = match agent_client::ask_agent(&request, REPLY_TIMEOUT).await {
        Ok(AgentReply::Listed { text }) => text,
        Ok(other) => {
            tracing::debug!("agent: {other:?}; listing here");
            return None;
        }
        Err(unavailable) => {
            tracing::debug!("agent: {unavailable}; listing here");
            return None;
        }
    };
    tracing::debug!("agent: list served by the agent");
    // Printed as a local list prints it: names from the inventory are made terminal-safe.
    let printed = if json { super::output::print_json(&text) } else { super::output::print(&text) };
    Some(printed.map(|()| ExitCode::SUCCESS))
}
