//! `list` answered by the agent when one listens: the agent holds the parsed inventory (read
//! again when the file changes) and the sessions, so this process parses nothing and only
//! prints. With no agent, `list` builds the rows itself.

use std::process::ExitCode;
use std::time::Duration;

use crate::app::agent_client;
use crate::app::agent_protocol::{AgentReply, AgentRequest, ListRow};
use crate::domain::time::format_countdown;

use super::{AppError, GlobalOptions};

/// The agent answers from memory; anything slower means it is busy, and our own is as good.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// `None`: no agent answered for this inventory; list locally.
pub async fn run(options: &GlobalOptions, json: bool) -> Option<Result<ExitCode, AppError>> {
    let inventory = crate::domain::inventory::locate(options.inventory.as_deref()).ok()?;
    let request = AgentRequest::List { inventory: agent_client::inventory_identity(&inventory) };
    let rows = match agent_client::ask_agent(&request, REPLY_TIMEOUT).await {
        Ok(AgentReply::List { rows }) => rows,
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
    Some(print(&rows, json))
}

fn print(rows: &[ListRow], json: bool) -> Result<ExitCode, AppError> {
    let text = if json {
        let mut text = serde_json::to_string_pretty(rows).map_err(|error| AppError::Failed(error.to_string()))?;
        text.push('\n');
        text
    } else {
        table(rows)
    };
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|error| AppError::Failed(error.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

/// The same table as a local `list`: columns padded, two spaces apart, no trailing blanks.
fn table(rows: &[ListRow]) -> String {
    let header = ["ACCOUNT", "ID", "ROLE", "STATE", "LEFT", "REACHED", "REGION"].map(str::to_owned);
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            let left = row.seconds_left.map(|secs| format_countdown(Duration::from_secs(secs)));
            [
                row.account.clone(),
                row.account_id.clone(),
                row.role.clone(),
                row.state.clone(),
                left.unwrap_or_else(|| "-".into()),
                row.reached.clone(),
                row.region.clone(),
            ]
        })
        .collect();
    let mut widths = [0usize; 7];
    for line in std::iter::once(&header).chain(&cells) {
        for (width, value) in widths.iter_mut().zip(line) {
            *width = (*width).max(value.chars().count());
        }
    }
    let mut table = String::new();
    for line in std::iter::once(&header).chain(&cells) {
        let start = table.len();
        for (column, (value, width)) in line.iter().zip(widths).enumerate() {
            if column > 0 {
                table.push_str("  ");
            }
            table.push_str(value);
            table.extend(std::iter::repeat_n(' ', width.saturating_sub(value.chars().count())));
        }
        let kept = table[start..].trim_end().len();
        table.truncate(start + kept);
        table.push('\n');
    }
    table
}
