//! The list of roles: grouped by account, filtered, sorted, marked, with the chain of the
//! selected role beside it. `shown` derives what is shown (memoised); `update` moves the
//! selection and edits the filter; `marks` keeps the marked roles; `render`, `chain` and
//! `header` draw.

pub mod chain;
pub mod header;
pub mod marks;
pub mod render;
pub mod shown;
pub mod update;

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::domain::inventory::RoleKey;

use super::base::row::RoleRow;
pub use shown::{Filter, SortOrder};
use shown::{ListMemo, ListView};

/// The list's own state: what is selected, how it is narrowed and ordered, what is marked.
#[derive(Debug)]
pub struct ListState {
    /// The selected role (by key, so filtering and sorting keep it).
    pub selected: Option<RoleKey>,
    pub sort: SortOrder,
    pub filter: Filter,
    pub show_chain: bool,
    pub scroll: usize,
    /// Marked roles: `r` refreshes them all and Enter opens their fleet view.
    pub marks: BTreeSet<RoleKey>,
    /// The filtered, sorted list, kept between key presses (see `shown`).
    pub memo: ListMemo,
}

impl ListState {
    pub fn new(selected: Option<RoleKey>) -> ListState {
        ListState {
            selected,
            sort: SortOrder::Name,
            filter: Filter::default(),
            show_chain: true,
            scroll: 0,
            marks: BTreeSet::new(),
            memo: ListMemo::default(),
        }
    }

    /// The list as shown now (filtered, sorted, grouped), from the memo when it is current.
    pub fn shown(&self, rows: &[RoleRow]) -> Rc<ListView> {
        self.memo.list(rows, &self.filter.text, self.sort)
    }

    /// The shown roles in display order (what the selection moves over).
    pub fn roles<'r>(&self, rows: &'r [RoleRow]) -> Vec<&'r RoleRow> {
        self.shown(rows).roles().iter().map(|index| &rows[*index]).collect()
    }
}
