//! The list's keys, mouse and paste: moving the selection (kept visible), the filter, the
//! sort, marks, and the commands that act on the selected role.

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::RoleKey;

use super::SortOrder;
use super::marks;
use super::shown::LineAt;
use crate::tui::base::keys::Command;
use crate::tui::base::layout::{list_capacity, list_line_at};
use crate::tui::base::row::RowState;
use crate::tui::effect::{Effect, RenewMode};
use crate::tui::exports::ExportPopup;
use crate::tui::overlays::Overlay;
use crate::tui::state::State;

/// Keys while the list has the focus: the filter takes them while it is edited; Esc undoes
/// the narrowest thing first (the filter, then the marks); the rest are the list's commands.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if state.list.filter.editing {
        on_filter_key(state, key);
        return Vec::new();
    }
    if key.code == KeyCode::Esc && !state.list.filter.text.is_empty() {
        state.list.filter.text.clear();
        keep_selection_visible(state);
        return Vec::new();
    }
    if key.code == KeyCode::Esc && !state.list.marks.is_empty() {
        marks::clear(state);
        return Vec::new();
    }
    match state.keymaps.list.command_for(&key) {
        Some(command) => on_command(state, command),
        None => Vec::new(),
    }
}

/// A paste goes into the filter while it is edited.
pub fn on_paste(state: &mut State, text: &str) {
    if state.list.filter.editing {
        state.list.filter.text.push_str(text.trim());
        keep_selection_visible(state);
    }
}

fn on_filter_key(state: &mut State, key: KeyEvent) {
    match key.code {
        KeyCode::Char(c) => state.list.filter.text.push(c),
        KeyCode::Backspace => {
            state.list.filter.text.pop();
        }
        KeyCode::Enter => state.list.filter.editing = false,
        KeyCode::Esc => {
            state.list.filter.text.clear();
            state.list.filter.editing = false;
        }
        KeyCode::Down => move_selection(state, 1),
        KeyCode::Up => move_selection(state, -1),
        _ => {}
    }
    keep_selection_visible(state);
}

fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    let page = list_capacity(state.size.0, state.size.1, state.list.show_chain) as isize;
    match command {
        Command::Open if !state.list.marks.is_empty() => return crate::tui::fleet::update::open(state),
        Command::Open => return crate::tui::account::update::open(state),
        Command::Mark => marks::toggle(state),
        Command::MarkAll => marks::mark_shown(state),
        Command::ClearMarks => marks::clear(state),
        Command::Refresh if !state.list.marks.is_empty() => return marks::refresh_marked(state),
        Command::Up => move_selection(state, -1),
        Command::Down => move_selection(state, 1),
        Command::PageUp => move_selection(state, -page),
        Command::PageDown => move_selection(state, page),
        Command::Top => move_selection(state, isize::MIN / 2),
        Command::Bottom => move_selection(state, isize::MAX / 2),
        Command::Refresh => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                state.set_status(format!("refreshing {role}…"), false);
                return vec![state.renew(role, RenewMode::Force)];
            }
        }
        Command::RefreshExpiring => {
            let now = state.now;
            let due: Vec<RoleKey> = state
                .rows
                .iter()
                .filter(|row| {
                    matches!(
                        row.state(now, state.refresh_before),
                        RowState::Expiring | RowState::Expired | RowState::NeedsMfa | RowState::NeedsSignIn
                    )
                })
                .map(|row| row.key.clone())
                .collect();
            state.set_status(
                if due.is_empty() {
                    "no session is expiring or expired".to_owned()
                } else {
                    format!("refreshing {} roles…", due.len())
                },
                false,
            );
            return due.into_iter().map(|role| state.renew(role, RenewMode::IfNeeded)).collect();
        }
        Command::Copy => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                let format = state.export_format;
                return crate::tui::exports::update::prepare(state, role, format);
            }
        }
        Command::Console => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                state.set_status(format!("opening the console of {role}…"), false);
                return vec![Effect::OpenConsole { role }];
            }
        }
        Command::Exports => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                let selected =
                    ExportFormat::all().iter().position(|format| *format == state.export_format).unwrap_or(0);
                state.overlay = Overlay::Exports(ExportPopup { role, selected });
            }
        }
        Command::Filter => state.list.filter.editing = true,
        Command::Sort => {
            state.list.sort = match state.list.sort {
                SortOrder::Name => SortOrder::TimeLeft,
                SortOrder::TimeLeft => SortOrder::Name,
            };
            keep_selection_visible(state);
        }
        Command::Chain => {
            state.list.show_chain = !state.list.show_chain;
            keep_selection_visible(state);
        }
        Command::Log => state.overlay = if state.overlay == Overlay::Log { Overlay::None } else { Overlay::Log },
        Command::Help => state.overlay = if state.overlay == Overlay::Help { Overlay::None } else { Overlay::Help },
        Command::Quit => return state.quit(),
    }
    Vec::new()
}

pub fn move_selection(state: &mut State, by: isize) {
    let list = state.list.shown(&state.rows);
    let roles = list.roles();
    if roles.is_empty() {
        return;
    }
    let current =
        state.list.selected.as_ref().and_then(|key| state.row_position(key)).and_then(|row| list.place_of_row(row));
    let target = (current.unwrap_or(0) as isize).saturating_add(by).clamp(0, roles.len() as isize - 1) as usize;
    state.list.selected = Some(state.rows[roles[target]].key.clone());
    keep_selection_visible(state);
}

/// Keeps a visible role selected and scrolls the list so it is on screen.
pub fn keep_selection_visible(state: &mut State) {
    let list = state.list.shown(&state.rows);
    let selected =
        state.list.selected.as_ref().and_then(|key| state.row_position(key)).and_then(|row| list.line_of_row(row));
    let selected_line = match (selected, list.first_role_line()) {
        (Some(index), _) => index,
        (None, Some((index, row))) => {
            state.list.selected = Some(state.rows[row].key.clone());
            index
        }
        (None, None) => {
            state.list.scroll = 0;
            return;
        }
    };
    let total = list.len();
    let capacity = list_capacity(state.size.0, state.size.1, state.list.show_chain);
    // Show the account header above the first role of the list when scrolled to the top.
    let top = if selected_line == 1 { 0 } else { selected_line };
    if top < state.list.scroll {
        state.list.scroll = top;
    } else if selected_line >= state.list.scroll + capacity {
        state.list.scroll = selected_line + 1 - capacity;
    }
    // A taller screen shows from the top again rather than leaving empty rows below.
    state.list.scroll = state.list.scroll.min(total.saturating_sub(capacity));
}

/// The wheel moves the selection; a click selects the role under it.
pub fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    match mouse.kind {
        MouseEventKind::ScrollDown => move_selection(state, 1),
        MouseEventKind::ScrollUp => move_selection(state, -1),
        MouseEventKind::Down(_) => {
            let (width, height) = state.size;
            if let Some(offset) = list_line_at(width, height, state.list.show_chain, mouse.column, mouse.row) {
                let clicked = match state.list.shown(&state.rows).line(state.list.scroll + offset) {
                    Some(LineAt::Role(row)) => Some(state.rows[row].key.clone()),
                    _ => None,
                };
                if clicked.is_some() {
                    state.list.selected = clicked;
                }
            }
        }
        _ => {}
    }
    Vec::new()
}
