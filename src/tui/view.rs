//! What the list shows, derived from the state: filtered (fuzzy), sorted and grouped by
//! account. Shared by `update` (selection, paging, mouse) and the renderer.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::state::{RoleRow, SortOrder, State};

#[derive(Debug, Clone, Copy)]
pub enum Line<'a> {
    Account(&'a RoleRow),
    Role(&'a RoleRow),
}

/// Everything the filter looks through for a role, field by field: a word of the filter
/// must match within one field, so "prod" does not match letters scattered across several.
fn fields(row: &RoleRow) -> Vec<&str> {
    let mut fields = vec![row.key.account.as_str(), row.account_id.as_str(), row.key.role.as_str(), row.arn.as_str()];
    fields.extend(row.tags.iter().map(String::as_str));
    fields.extend(row.environment.as_deref());
    fields
}

pub fn matching(state: &State) -> Vec<&RoleRow> {
    if state.filter.text.trim().is_empty() {
        return state.rows.iter().collect();
    }
    let words: Vec<Atom> = state
        .filter
        .text
        .split_whitespace()
        .map(|word| Atom::new(word, CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy, false))
        .collect();
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buffer = Vec::new();
    state
        .rows
        .iter()
        .filter(|row| {
            let fields = fields(row);
            words.iter().all(|word| {
                fields.iter().any(|field| word.score(Utf32Str::new(field, &mut buffer), &mut matcher).is_some())
            })
        })
        .collect()
}

/// Account headers and role rows in display order.
pub fn lines(state: &State) -> Vec<Line<'_>> {
    let rows = matching(state);
    let mut accounts: Vec<&str> = Vec::new();
    for row in &rows {
        if !accounts.contains(&row.key.account.as_str()) {
            accounts.push(&row.key.account);
        }
    }
    let left = |row: &RoleRow| row.expires_at.map_or(i64::MAX, |until| until.as_second());
    let soonest = |account: &str| rows.iter().filter(|row| row.key.account == account).map(|row| left(row)).min();
    match state.sort {
        SortOrder::Name => accounts.sort_unstable(),
        SortOrder::TimeLeft => accounts.sort_by_key(|account| (soonest(account), *account)),
    }
    let mut lines = Vec::new();
    for account in accounts {
        let mut members: Vec<&RoleRow> = rows.iter().copied().filter(|row| row.key.account == account).collect();
        match state.sort {
            SortOrder::Name => members.sort_by(|a, b| a.key.role.cmp(&b.key.role)),
            SortOrder::TimeLeft => members.sort_by_key(|row| (left(row), row.key.role.clone())),
        }
        if let Some(first) = members.first() {
            lines.push(Line::Account(first));
        }
        lines.extend(members.into_iter().map(Line::Role));
    }
    lines
}

/// The roles in display order (what the selection moves over).
pub fn roles(state: &State) -> Vec<&RoleRow> {
    lines(state)
        .into_iter()
        .filter_map(|line| match line {
            Line::Role(row) => Some(row),
            Line::Account(_) => None,
        })
        .collect()
}
