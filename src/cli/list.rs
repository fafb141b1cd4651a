//! `switchboard list`: every role and its session state, from the cache only.

use std::process::ExitCode;

use serde::Serialize;

use crate::domain::exports::rfc3339;
use crate::domain::time::{format_countdown, time_left};

use super::AppError;
use super::GlobalOptions;
use super::context::Context;

#[derive(Serialize)]
struct Row {
    account: String,
    account_id: String,
    environment: Option<String>,
    role: String,
    state: &'static str,
    seconds_left: Option<u64>,
    expires: Option<String>,
    reached: String,
    region: String,
}

pub async fn run(options: &GlobalOptions, json: bool) -> Result<ExitCode, AppError> {
    let context = Context::open(options, false, true).await?;
    let engine = &context.engine;
    let now = engine.now();
    let mut rows = Vec::new();
    for (account, role) in engine.inventory().roles() {
        let status = engine.status(&role.key).await?;
        let left = status.expires_at.map(|until| time_left(now, until));
        rows.push(Row {
            account: account.name.clone(),
            account_id: account.id.clone(),
            environment: account.environment.clone(),
            role: role.key.role.clone(),
            state: status.state.as_str(),
            seconds_left: left.map(|left| left.as_secs()),
            expires: status.expires_at.map(rfc3339),
            reached: engine.plan(&role.key).map(|plan| plan.route()).unwrap_or_default(),
            region: role.region.clone(),
        });
    }
    if json {
        let text = serde_json::to_string_pretty(&rows).map_err(|error| AppError::Failed(error.to_string()))?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let header = ["ACCOUNT", "ID", "ROLE", "STATE", "LEFT", "REACHED", "REGION"];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            [
                row.account.clone(),
                row.account_id.clone(),
                row.role.clone(),
                row.state.to_owned(),
                row.seconds_left
                    .map(|secs| format_countdown(std::time::Duration::from_secs(secs)))
                    .unwrap_or_else(|| "-".into()),
                row.reached.clone(),
                row.region.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            cells.iter().map(|row| row[column].chars().count()).chain([header[column].len()]).max().unwrap_or(0)
        })
        .collect();
    let line = |values: Vec<&str>| {
        values
            .iter()
            .zip(&widths)
            .map(|(value, width)| format!("{value:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!("{}", line(header.to_vec()));
    for row in &cells {
        println!("{}", line(row.iter().map(String::as_str).collect()));
    }
    Ok(ExitCode::SUCCESS)
}
