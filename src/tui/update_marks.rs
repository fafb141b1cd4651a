//! Marks: the roles the operator picked to act on together. `r` refreshes every marked role
//! (the engine merges their MFA requests per device, so one code serves them all) and Enter
//! opens the fleet view of the marked roles.

use super::effect::{Effect, RenewMode};
use super::state::State;
use super::update::{renew, set_status};
use super::view;

/// Space: marks the selected role, or unmarks it.
pub fn toggle(state: &mut State) {
    let Some(role) = state.selected_row().map(|row| row.key.clone()) else { return };
    if !state.marks.remove(&role) {
        state.marks.insert(role);
    }
}

/// `*`: marks every role the filter shows; when all of them are marked already, unmarks them.
pub fn mark_shown(state: &mut State) {
    let list = view::list(state);
    let shown: Vec<_> = list.roles().iter().map(|&index| state.rows[index].key.clone()).collect();
    if shown.is_empty() {
        return;
    }
    if shown.iter().all(|role| state.marks.contains(role)) {
        for role in &shown {
            state.marks.remove(role);
        }
        set_status(state, format!("unmarked {} roles", shown.len()), false);
    } else {
        let count = shown.len();
        state.marks.extend(shown);
        set_status(state, format!("marked {count} roles ({} in all)", state.marks.len()), false);
    }
}

pub fn clear(state: &mut State) {
    if !state.marks.is_empty() {
        set_status(state, format!("cleared {} marks", state.marks.len()), false);
        state.marks.clear();
    }
}

/// `r` with marks: every marked role, forced; each asks through the shared MFA modal.
pub fn refresh_marked(state: &mut State) -> Vec<Effect> {
    let marked: Vec<_> = state.marks.iter().filter(|role| state.row(role).is_some()).cloned().collect();
    set_status(state, format!("refreshing {} marked roles…", marked.len()), false);
    marked.into_iter().map(|role| renew(state, role, RenewMode::Force)).collect()
}
