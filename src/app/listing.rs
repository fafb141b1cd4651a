//! What `list` prints: every role and its session state from an engine, as a table or as
//! JSON. One text for both ways `list` is answered: by the command itself, and by the agent
//! (whose client then parses neither the inventory nor the rows and only writes the text out;
//! thousands of roles are one reply and one write).

use std::collections::HashSet;
use std::rc::Rc;
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
    /// One string per distinct route: thousands of roles share a handful.
    #[serde(serialize_with = "as_str")]
    reached: Rc<str>,
    region: &'a str,
}

fn as_str<S: serde::Serializer>(text: &Rc<str>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(text)
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
    let mut rows = Vec::with_capacity(inventory.accounts().iter().map(|account| account.roles.len()).sum());
    let mut routes: HashSet<Rc<str>> = HashSet::new();
    let mut unplanned = None;
    engine.each_listed(|account, role, listed| {
        let Some((status, route)) = listed else {
            unplanned.get_or_insert_with(|| role.key.clone());
            return;
        };
        let reached = match routes.get(route) {
            Some(known) => known.clone(),
            None => {
                let new: Rc<str> = Rc::from(route);
                routes.insert(new.clone());
                new
            }
        };
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
    });
    match unplanned {
        Some(role) => Err(EngineError::UnknownRole(format!("no plan for {role} in the inventory"))),
        None => Ok(rows),
    }
}

/// Columns padded, two spaces apart, no trailing blanks.
fn table(rows: &[Row<'_>]) -> String {
    // Only rows with a session have a countdown to write.
    let left: Vec<Option<String>> =
        rows.iter().map(|row| row.seconds_left.map(|secs| format_countdown(Duration::from_secs(secs)))).collect();
    let cells = |index: usize| -> [&str; 7] {
        let row = &rows[index];
        let left = left[index].as_deref().unwrap_or("-");
        [row.account, row.account_id, row.role, row.state, left, &row.reached, row.region]
    };
    let mut widths = HEADER.map(width);
    for index in 0..rows.len() {
        for (column_width, value) in widths.iter_mut().zip(cells(index)) {
            *column_width = (*column_width).max(width(value));
        }
    }
    let mut table = String::with_capacity((rows.len() + 1) * (widths.iter().sum::<usize>() + 14));
    write_line(&mut table, HEADER, &widths);
    for index in 0..rows.len() {
        write_line(&mut table, cells(index), &widths);
    }
    table
}

/// Characters, as the table has always counted them; ASCII (nearly every cell) by its length.
fn width(value: &str) -> usize {
    if value.is_ascii() { value.len() } else { value.chars().count() }
}

fn write_line(table: &mut String, values: [&str; 7], widths: &[usize; 7]) {
    let start = table.len();
    for (column, (value, column_width)) in values.iter().zip(widths).enumerate() {
        if column > 0 {
            table.push_str("  ");
        }
        table.push_str(value);
        table.extend(std::iter::repeat_n(' ', column_width.saturating_sub(width(value))));
    }
    let kept = table[start..].trim_end().len();
    table.truncate(start + kept);
    table.push('\n');
}
