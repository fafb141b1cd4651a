//! `switchboard list`: every role and its session state, from the cache only.

use std::process::ExitCode;

use serde::Serialize;

use crate::domain::exports::rfc3339;
use crate::domain::time::{format_countdown, time_left};

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

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
    #[cfg(unix)]
    if let Some(listed) = super::list_agent::run(options, json).await {
        return listed;
    }
    let context = Context::open_states_only(options)?;
    let engine = &context.engine;
    let now = engine.now();
    let roles: Vec<_> = engine.inventory().roles().collect();
    let mut rows = Vec::with_capacity(roles.len());
    // Metadata only: the store file is parsed once, nothing is decrypted.
    for (account, role) in &roles {
        let status = engine.status_now(&role.key)?;
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
        output::print_json(&text)?;
        context.say_clock_skew();
        std::mem::forget(context);
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
    let mut widths: Vec<usize> = header.iter().map(|title| title.len()).collect();
    for row in &cells {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    // The whole table is written at once: thousands of roles are one write, not one per line.
    let mut table = String::with_capacity((cells.len() + 1) * (widths.iter().sum::<usize>() + 2 * widths.len()));
    write_line(&mut table, header.iter().copied(), &widths);
    for row in &cells {
        write_line(&mut table, row.iter().map(String::as_str), &widths);
    }
    output::print(&table)?;
    // Freeing thousands of plans and stored states one by one takes longer than the rest of
    // the exit; the process ends now and the system takes the memory back at once.
    context.say_clock_skew();
    std::mem::forget(context);
    Ok(ExitCode::SUCCESS)
}

/// One table line: values padded to their column's width, two spaces apart, no trailing blanks.
fn write_line<'a>(table: &mut String, values: impl Iterator<Item = &'a str>, widths: &[usize]) {
    let start = table.len();
    for (column, (value, width)) in values.zip(widths).enumerate() {
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
