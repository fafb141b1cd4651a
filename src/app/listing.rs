//! What `list` prints: every role and its session state from an engine, as a table or as
//! JSON. One text for both ways `list` is answered: by the command itself, and by the agent
//! (whose client then parses neither the inventory nor the rows and only writes the text out;
//! thousands of roles are one reply and one write).

use std::time::Duration;

use serde::Serialize;

use crate::domain::duration::{format_countdown, time_left};
use crate::domain::engine::{Engine, EngineError};
use crate::domain::exports::rfc3339;

const HEADER: [&str; 7] = ["ACCOUNT", "ID", "ROLE", "STATE", "LEFT", "REACHED", "REGION"];

/// One role, borrowed from the engine's inventory: at thousands of roles, copying each name
/// costs more than printing it.
#[derive(Serialize)]
struct Row<'a> {
    account: &'a str,
    account_id: &'a str,
    environment: Option<&'a str>,
    role: &'a str,
    state: &'static str,
    seconds_left: Option<u64>,
    /// Only `--json` shows it; the table leaves it unwritten.
    expires: Option<String>,
    reached: String,
    region: &'a str,
}

/// The table (`json` false, newline-terminated) or the pretty JSON array of `list --json`.
pub fn render(engine: &Engine, json: bool) -> Result<String, String> {
    let rows = rows(engine, json).map_err(|problem| problem.to_string())?;
    if json {
        return serde_json::to_string_pretty(&rows).map_err(|problem| problem.to_string());
    }
    Ok(table(&rows))
}

fn rows(engine: &Engine, json: bool) -> Result<Vec<Row<'_>>, EngineError> {
    let now = engine.now();
    let inventory = engine.inventory();
    let mut rows = Vec::new();
    for (account, role) in inventory.roles() {
        let (status, reached) = engine.listed_now(&role.key)?;
        rows.push(Row {
            account: &account.name,
            account_id: &account.id,
            environment: account.environment.as_deref(),
            role: &role.key.role,
            state: status.state.as_str(),
            seconds_left: status.expires_at.map(|until| time_left(now, until).as_secs()),
            expires: if json { status.expires_at.map(rfc3339) } else { None },
            reached,
            region: &role.region,
        });
    }
    Ok(rows)
}

/// Columns padded, two spaces apart, no trailing blanks.
fn table(rows: &[Row<'_>]) -> String {
    let left: Vec<String> = rows
        .iter()
        .map(|row| row.seconds_left.map(|secs| format_countdown(Duration::from_secs(secs))).unwrap_or("-".into()))
        .collect();
    let cells = |index: usize| -> [&str; 7] {
        let row = &rows[index];
        [row.account, row.account_id, row.role, row.state, &left[index], &row.reached, row.region]
    };
    let mut widths = HEADER.map(|title| title.chars().count());
    for index in 0..rows.len() {
        for (width, value) in widths.iter_mut().zip(cells(index)) {
            *width = (*width).max(value.chars().count());
        }
    }
    let mut table = String::with_capacity((rows.len() + 1) * (widths.iter().sum::<usize>() + 14));
    write_line(&mut table, HEADER, &widths);
    for index in 0..rows.len() {
        write_line(&mut table, cells(index), &widths);
    }
    table
}

fn write_line(table: &mut String, values: [&str; 7], widths: &[usize; 7]) {
    let start = table.len();
    for (column, (value, width)) in values.iter().zip(widths).enumerate() {
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
