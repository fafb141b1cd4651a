//! What the list shows, derived from the state: filtered (fuzzy), sorted and grouped by
//! account. Shared by `update` (selection, paging, mouse) and the renderer.
//!
//! Deriving it costs a sort of every role (and a fuzzy match of every role while a filter
//! is typed), so it is computed once and kept in the state's [`ListMemo`] until what it
//! depends on changes: the filter, the sort, the list of rows, and (sorted by time left)
//! the expiries. Key presses and ticks reuse it; nothing else touches every row per key.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::tui::base::row::RoleRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Name,
    TimeLeft,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    /// Typing goes into the filter while this is true.
    pub editing: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Line<'a> {
    Account(&'a RoleRow),
    Role(&'a RoleRow),
}

/// A line of the list by the index of its row in `State::rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineAt {
    Account(usize),
    Role(usize),
}

/// Marks a row that the filter hides.
const HIDDEN: u32 = u32::MAX;

/// The list in display order, as indices into `State::rows`.
#[derive(Debug)]
pub struct ListView {
    lines: Vec<LineAt>,
    roles: Vec<usize>,
    /// For each row: its line, or `HIDDEN`.
    line_of_row: Vec<u32>,
    /// For each row: its place among the shown roles, or `HIDDEN`.
    place_of_row: Vec<u32>,
    /// The widest shown role name, in characters.
    widest_role: usize,
}

impl ListView {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn line(&self, index: usize) -> Option<LineAt> {
        self.lines.get(index).copied()
    }

    pub fn lines(&self) -> &[LineAt] {
        &self.lines
    }

    /// The shown roles, in display order (what the selection moves over).
    pub fn roles(&self) -> &[usize] {
        &self.roles
    }

    pub fn line_of_row(&self, row: usize) -> Option<usize> {
        self.line_of_row.get(row).filter(|line| **line != HIDDEN).map(|line| *line as usize)
    }

    pub fn place_of_row(&self, row: usize) -> Option<usize> {
        self.place_of_row.get(row).filter(|place| **place != HIDDEN).map(|place| *place as usize)
    }

    /// The line of the first role (the list opens with its account's line).
    pub fn first_role_line(&self) -> Option<(usize, usize)> {
        self.lines.iter().enumerate().find_map(|(index, line)| match line {
            LineAt::Role(row) => Some((index, *row)),
            LineAt::Account(_) => None,
        })
    }

    pub fn widest_role(&self) -> usize {
        self.widest_role
    }
}

/// What the derived list depends on; a change of any part rebuilds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListKey {
    /// The row list itself: rows are built once from the inventory and only their sessions
    /// change, so its address and length tell a replaced list apart.
    rows_at: usize,
    rows_len: usize,
    filter: String,
    sort: SortOrder,
    /// A hash of every expiry, when the order depends on them (sorted by time left).
    expiries: u64,
}

impl ListKey {
    fn of(rows: &[RoleRow], filter: &str, sort: SortOrder) -> ListKey {
        let expiries = match sort {
            SortOrder::Name => 0,
            SortOrder::TimeLeft => {
                let mut hasher = DefaultHasher::new();
                for row in rows {
                    row.expires_at.map(|until| until.as_second()).hash(&mut hasher);
                }
                hasher.finish()
            }
        };
        ListKey { rows_at: rows.as_ptr() as usize, rows_len: rows.len(), filter: filter.to_owned(), sort, expiries }
    }
}

/// The filter's memory between keys: the last filter and what it matched, so typing on only
/// looks through what still matched. Fields are matched where they are (ASCII, nearly all of
/// them, without a copy; case ignored by the matcher): no index of 50,000 rows to build on the
/// first key or to keep.
struct Search {
    matcher: Matcher,
    rows_at: usize,
    rows: usize,
    /// Room for a non-ASCII field's characters while it is matched.
    chars: Vec<char>,
    last_filter: String,
    last_matches: Vec<usize>,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search").field("rows", &self.rows).finish_non_exhaustive()
    }
}

/// Everything the filter looks through for a role, field by field: a word of the filter
/// must match within one field, so "prod" does not match letters scattered across several.
/// These are the account's, shared by its roles…
fn account_fields(row: &RoleRow) -> impl Iterator<Item = &str> {
    [row.key.account.as_str(), &*row.account_id]
        .into_iter()
        .chain(row.tags.iter().map(String::as_str))
        .chain(row.environment.as_deref())
}

/// …and these the role's own.
fn row_fields(row: &RoleRow) -> [&str; 2] {
    [row.key.role.as_str(), row.arn.as_str()]
}

/// Whether `word` matches within one of `fields`.
fn any_field<'a>(
    word: &Atom,
    mut fields: impl Iterator<Item = &'a str>,
    matcher: &mut Matcher,
    chars: &mut Vec<char>,
) -> bool {
    fields.any(|field| word.score(Utf32Str::new(field, chars), matcher).is_some())
}

/// Rows of one account share their account-wide fields (one `Arc`).
fn same_account(one: &RoleRow, other: &RoleRow) -> bool {
    one.key.account == other.key.account
        && std::sync::Arc::ptr_eq(&one.account_id, &other.account_id)
        && std::sync::Arc::ptr_eq(&one.tags, &other.tags)
        && one.environment == other.environment
}

impl Search {
    fn new(rows: &[RoleRow]) -> Search {
        Search {
            matcher: Matcher::new(Config::DEFAULT),
            rows_at: rows.as_ptr() as usize,
            rows: rows.len(),
            chars: Vec::new(),
            last_filter: String::new(),
            last_matches: Vec::new(),
        }
    }

    fn matching(&mut self, rows: &[RoleRow], filter: &str) -> Vec<usize> {
        let words: Vec<Atom> = filter
            .split_whitespace()
            .map(|word| Atom::new(word, CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy, false))
            .collect();
        // Typing on extends the filter, and a longer filter only keeps roles it kept before.
        let narrowing = !self.last_filter.trim().is_empty() && filter.starts_with(self.last_filter.as_str());
        let candidates: Vec<usize> =
            if narrowing { std::mem::take(&mut self.last_matches) } else { (0..rows.len()).collect() };
        let Search { matcher, chars, .. } = self;
        // Which words the account's fields match, worked out once per run of its rows.
        let mut account: Option<(usize, Vec<bool>)> = None;
        let matches: Vec<usize> = candidates
            .into_iter()
            .filter(|&index| {
                let row = &rows[index];
                let known = account.as_ref().is_some_and(|(first, _)| same_account(&rows[*first], row));
                if !known {
                    let by_account =
                        words.iter().map(|word| any_field(word, account_fields(row), matcher, chars)).collect();
                    account = Some((index, by_account));
                }
                let by_account = account.as_ref().map(|(_, by_account)| by_account.as_slice()).unwrap_or_default();
                words
                    .iter()
                    .zip(by_account)
                    .all(|(word, &matched)| matched || any_field(word, row_fields(row).into_iter(), matcher, chars))
            })
            .collect();
        self.last_filter = filter.to_owned();
        self.last_matches = matches.clone();
        matches
    }
}

/// The derived list, kept between key presses. Lives in the state so `render`, which only
/// reads the state, shares it with `update`.
#[derive(Debug, Default)]
pub struct ListMemo {
    list: RefCell<Option<(ListKey, Rc<ListView>)>>,
    search: RefCell<Option<Search>>,
}

impl ListMemo {
    /// The list as shown now: from the memo when nothing it depends on has changed.
    pub fn list(&self, rows: &[RoleRow], filter: &str, sort: SortOrder) -> Rc<ListView> {
        let key = ListKey::of(rows, filter, sort);
        if let Some((kept_key, kept)) = self.list.borrow().as_ref()
            && *kept_key == key
        {
            return kept.clone();
        }
        let built = Rc::new(self.build(rows, filter, sort));
        *self.list.borrow_mut() = Some((key, built.clone()));
        built
    }

    fn matching(&self, rows: &[RoleRow], filter: &str) -> Vec<usize> {
        if filter.trim().is_empty() {
            return (0..rows.len()).collect();
        }
        let mut search = self.search.borrow_mut();
        let rows_at = rows.as_ptr() as usize;
        let fresh = match search.as_mut() {
            Some(kept) if kept.rows_at == rows_at && kept.rows == rows.len() => kept,
            _ => search.insert(Search::new(rows)),
        };
        fresh.matching(rows, filter)
    }

    fn build(&self, rows: &[RoleRow], filter: &str, sort: SortOrder) -> ListView {
        let shown = self.matching(rows, filter);
        // Accounts in order of first appearance, each with its shown roles.
        let mut group_of: HashMap<&str, usize> = HashMap::new();
        let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
        for &index in &shown {
            let account = rows[index].key.account.as_str();
            // An account's rows follow each other: most rows join the group before them.
            if let Some((last, members)) = groups.last_mut()
                && *last == account
            {
                members.push(index);
                continue;
            }
            let group = *group_of.entry(account).or_insert_with(|| {
                groups.push((account, Vec::new()));
                groups.len() - 1
            });
            groups[group].1.push(index);
        }
        let left = |index: usize| rows[index].expires_at.map_or(i64::MAX, |until| until.as_second());
        match sort {
            SortOrder::Name => {
                for (_, members) in &mut groups {
                    members.sort_by(|a, b| rows[*a].key.role.cmp(&rows[*b].key.role));
                }
                groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
            }
            SortOrder::TimeLeft => {
                for (_, members) in &mut groups {
                    members.sort_by(|a, b| (left(*a), &rows[*a].key.role).cmp(&(left(*b), &rows[*b].key.role)));
                }
                // Members are sorted, so each account's soonest expiry is its first member's.
                groups.sort_by(|a, b| (a.1.first().map(|m| left(*m)), a.0).cmp(&(b.1.first().map(|m| left(*m)), b.0)));
            }
        }
        let mut view = ListView {
            lines: Vec::with_capacity(shown.len() + groups.len()),
            roles: Vec::with_capacity(shown.len()),
            line_of_row: vec![HIDDEN; rows.len()],
            place_of_row: vec![HIDDEN; rows.len()],
            widest_role: 0,
        };
        for (_, members) in groups {
            if let Some(first) = members.first() {
                view.lines.push(LineAt::Account(*first));
            }
            for index in members {
                view.line_of_row[index] = view.lines.len() as u32;
                view.place_of_row[index] = view.roles.len() as u32;
                view.lines.push(LineAt::Role(index));
                view.roles.push(index);
                view.widest_role = view.widest_role.max(rows[index].key.role.chars().count());
            }
        }
        view
    }
}

/// Account headers and role rows in display order.
pub fn lines<'r>(rows: &'r [RoleRow], list: &ListView) -> Vec<Line<'r>> {
    list.lines()
        .iter()
        .map(|line| match *line {
            LineAt::Account(index) => Line::Account(&rows[index]),
            LineAt::Role(index) => Line::Role(&rows[index]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;
    use std::time::Duration;

    use jiff::{SignedDuration, Timestamp};

    use super::*;
    use crate::domain::inventory::Inventory;
    use crate::tui::state::State;

    fn state(accounts: usize) -> State {
        let mut text = String::from("[sources.hub]\nprofile = \"hub\"\n");
        for account in 0..accounts {
            let _ = write!(
                text,
                "[[accounts]]\nname = \"acct-{account:02}\"\nid = \"{:012}\"\ntags = [\"team-{}\"]\n",
                100_000_000_000u64 + account as u64,
                account % 3
            );
            for role in ["admin", "deploy", "viewer"] {
                let _ = write!(
                    text,
                    "  [[accounts.roles]]\n  name = \"{role}\"\n  role_name = \"R\"\n  source = \"hub\"\n"
                );
            }
        }
        let inventory = Inventory::parse(Path::new("accounts.toml"), &text).unwrap();
        let now: Timestamp = "2026-11-21T09:00:00Z".parse().unwrap();
        State::new(crate::tui::rows(&inventory), now, Duration::from_secs(300))
    }

    /// The same list, derived from scratch with nothing kept.
    fn fresh_order(state: &State) -> Vec<String> {
        let mut fresh = State::new(state.rows.clone(), state.now, state.refresh_before);
        fresh.list.filter.text = state.list.filter.text.clone();
        fresh.list.sort = state.list.sort;
        order(&fresh)
    }

    fn order(state: &State) -> Vec<String> {
        lines(&state.rows, &state.list.shown(&state.rows))
            .iter()
            .map(|line| match line {
                Line::Account(row) => format!("# {}", row.key.account),
                Line::Role(row) => row.key.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_kept_list_follows_every_edit_of_the_filter() {
        let mut state = state(12);
        for typed in
            ["a", "ac", "acct-1", "acct-1 ", "acct-1 d", "acct-1 de", "acct-1 d", "acct-", "", "te", "team-2 v"]
        {
            state.list.filter.text = typed.to_owned();
            assert_eq!(order(&state), fresh_order(&state), "after typing {typed:?}");
        }
        state.list.filter.text = "acct-1 de".to_owned();
        let shown = order(&state);
        assert!(shown.contains(&"acct-10/deploy".to_owned()) && !shown.iter().any(|line| line.ends_with("/viewer")));
    }

    #[test]
    fn case_is_ignored_and_each_word_matches_the_accounts_fields_or_the_roles_own() {
        let mut state = state(12);
        state.list.filter.text = "team-2 viewer".to_owned();
        let lower = order(&state);
        assert!(lower.iter().filter(|line| !line.starts_with('#')).all(|line| line.ends_with("/viewer")));
        assert!(lower.iter().any(|line| line.ends_with("/viewer")), "{lower:?}");
        state.list.filter.text = "TEAM-2 Viewer".to_owned();
        assert_eq!(order(&state), lower, "case does not matter");
        // The ARN (`…:role/R`, upper case) is one of the role's own fields.
        state.list.filter.text = "role/r".to_owned();
        assert_eq!(order(&state).len(), 12 * 4, "every account and role");
        // A word matched by nothing of a row hides it, even when another word matched its account.
        state.list.filter.text = "team-2 nothing-like-this".to_owned();
        assert!(order(&state).is_empty());
    }

    #[test]
    fn the_kept_list_follows_expiries_when_sorted_by_time_left() {
        let mut state = state(4);
        state.list.sort = SortOrder::TimeLeft;
        let before = order(&state);
        let soon = state.now.checked_add(SignedDuration::from_secs(60)).unwrap();
        let last = state.rows.len() - 1;
        state.rows[last].expires_at = Some(soon);
        let after = order(&state);
        assert_ne!(before, after);
        assert_eq!(after[1], state.rows[last].key.to_string(), "the soonest expiry comes first");
        assert_eq!(after, fresh_order(&state));
    }

    #[test]
    fn lines_and_rows_map_both_ways() {
        let mut state = state(5);
        state.list.filter.text = "deploy".to_owned();
        let list = state.list.shown(&state.rows);
        assert_eq!(list.roles().len(), 5);
        for (place, row) in list.roles().iter().enumerate() {
            assert_eq!(list.place_of_row(*row), Some(place));
            assert_eq!(list.line(list.line_of_row(*row).unwrap()), Some(LineAt::Role(*row)));
        }
        let hidden = state.row_position(&"acct-00/admin".parse().unwrap()).unwrap();
        assert_eq!(list.line_of_row(hidden), None);
        assert_eq!(list.widest_role(), "deploy".len());
    }
}
