//! Marks: the roles the operator picked to act on together. `r` refreshes every marked role
//! (the engine merges their MFA requests per device, so one code serves them all) and Enter
//! opens the fleet view of the marked roles.

use crate::tui::effect::{Effect, RenewMode};
use crate::tui::state::State;

/// Space: marks the selected role, or unmarks it.
pub fn toggle(state: &mut State) {
    let Some(role) = state.selected_row().map(|row| row.key.clone()) else { return };
    if !state.list.marks.remove(&role) {
        state.list.marks.insert(role);
    }
}

/// `*`: marks every role the filter shows; when all of them are marked already, unmarks them.
pub fn mark_shown(state: &mut State) {
    let list = state.list.shown(&state.rows);
    let shown: Vec<_> = list.roles().iter().map(|&index| state.rows[index].key.clone()).collect();
    if shown.is_empty() {
        return;
    }
    if shown.iter().all(|role| state.list.marks.contains(role)) {
        for role in &shown {
            state.list.marks.remove(role);
        }
        state.set_status(format!("unmarked {} roles", shown.len()), false);
    } else {
        let count = shown.len();
        state.list.marks.extend(shown);
        state.set_status(format!("marked {count} roles ({} in all)", state.list.marks.len()), false);
    }
}

pub fn clear(state: &mut State) {
    if !state.list.marks.is_empty() {
        state.set_status(format!("cleared {} marks", state.list.marks.len()), false);
        state.list.marks.clear();
    }
}

/// `r` with marks: every marked role, forced; each asks through the shared MFA modal.
pub fn refresh_marked(state: &mut State) -> Vec<Effect> {
    let marked: Vec<_> = state.list.marks.iter().filter(|role| state.row(role).is_some()).cloned().collect();
    state.set_status(format!("refreshing {} marked roles…", marked.len()), false);
    marked.into_iter().map(|role| state.renew(role, RenewMode::Force)).collect()
}
