//! `update(state, action) -> effects`: every change of the screen's state happens here, with
//! no I/O and no awaiting, so it is tested with plain values and a fixed clock.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use jiff::Timestamp;

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaError;
use crate::domain::time::format_countdown;

use super::action::{Action, RenewFailure, Snapshot};
use super::effect::{Effect, RenewMode};
use super::keymap::Command;
use super::layout::{list_capacity, list_line_at};
use super::panels::PanelMessage;
use super::state::{Activity, ExportPopup, MfaAsk, Overlay, RowState, SortOrder, State, StatusLine};
use super::update_marks as marks;
use super::view::{self, LineAt};

/// The cache is re-read this often, to show sessions another switchboard process obtained.
const STATUS_RELOAD: Duration = Duration::from_secs(10);
const LOG_LINES_KEPT: usize = 500;

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key),
        Action::Key(_) => Vec::new(),
        Action::Paste(text) => on_paste(state, &text),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.size = (width, height);
            keep_selection_visible(state);
            Vec::new()
        }
        Action::Tick(now) => on_tick(state, now),
        Action::AwsClock(ahead) => {
            state.clock_ahead = ahead;
            Vec::new()
        }
        Action::Quit => quit(state),
        Action::StatusLoaded(snapshots) => {
            for (role, snapshot) in snapshots {
                if let Some(row) = state.row_mut(&role)
                    && !matches!(row.activity, Activity::Refreshing { .. })
                {
                    merge_snapshot(row, snapshot);
                }
            }
            Vec::new()
        }
        Action::Renewed { role, request, result } => on_renewed(state, role, request, result),
        Action::MfaRequested { device, roles, problem, caller, reply } => {
            if state.mfa.asks.is_empty() {
                state.mfa.input.clear();
            }
            let reused = problem.as_deref().is_some_and(|problem| problem.contains("already used"));
            state.mfa.asks.push(MfaAsk { device, roles, problem, reused, caller, reply });
            Vec::new()
        }
        Action::ConsoleOpened { role, result } => {
            match result {
                Ok(()) => set_status(state, format!("opened the console of {role} in the browser"), false),
                Err(reason) => set_status(state, format!("console of {role}: {reason}"), true),
            }
            Vec::new()
        }
        Action::MfaCodeFilled { device, result } => super::update_mfa::on_filled(state, &device, result),
        Action::AgentServed(counts) => super::update_mfa::on_agent_served(state, counts),
        Action::ExportsReady { role, request, format_name, result } => {
            super::update_exports::on_ready(state, role, request, format_name, result)
        }
        Action::Copied(result) => {
            match result {
                Ok(_) => {}
                Err(message) => set_status(state, format!("copy failed: {message}"), true),
            }
            Vec::new()
        }
        Action::PanelResult { view, message: message @ PanelMessage::Fleet { .. } } => {
            super::update_fleet::on_result(state, view, message)
        }
        Action::PanelResult { view, message } => {
            let mut effects = super::update_panels::on_result(state, view, message);
            // A panel job may have renewed the role's session: show it in the header too.
            let now = state.now;
            let stale = state
                .account
                .as_ref()
                .and_then(|open| state.row(&open.role))
                .is_some_and(|row| row.expires_at.is_none_or(|until| until <= now));
            if stale {
                effects.push(Effect::LoadStatus);
            }
            effects
        }
        Action::Log(lines) => {
            state.log.extend(lines);
            let excess = state.log.len().saturating_sub(LOG_LINES_KEPT);
            state.log.drain(..excess);
            Vec::new()
        }
    }
}

pub(super) fn describe_failure(failure: &RenewFailure) -> String {
    match failure {
        RenewFailure::NeedsMfa { device } => format!("needs an MFA code for {device}"),
        RenewFailure::Cancelled => "the MFA prompt was cancelled".to_owned(),
        RenewFailure::Failed(message) => message.clone(),
    }
}

pub(super) fn set_status(state: &mut State, text: String, error: bool) {
    state.status = Some(StatusLine { text, error, at: state.now });
}

/// A status older than this gives the line back to the key hints.
const STATUS_SHOWN_FOR: i64 = 20;

fn merge_snapshot(row: &mut super::state::RoleRow, snapshot: Snapshot) {
    // Sessions only move forward: a reload that started before a renewal must not undo it.
    if snapshot.expires_at.is_some() && snapshot.expires_at >= row.expires_at {
        row.expires_at = snapshot.expires_at;
    }
    for (id, expires_at) in snapshot.layers {
        if let Some(layer) = row.layers.iter_mut().find(|layer| layer.id() == id)
            && expires_at.is_some()
            && expires_at >= layer.expires_at
        {
            layer.expires_at = expires_at;
        }
    }
}

fn on_renewed(state: &mut State, role: RoleKey, request: u64, result: Result<Snapshot, RenewFailure>) -> Vec<Effect> {
    let now = state.now;
    let Some(row) = state.row_mut(&role) else { return Vec::new() };
    if !matches!(row.activity, Activity::Refreshing { request: current, .. } if current == request) {
        return Vec::new(); // superseded by a later request for the same role
    }
    let (text, error) = match result {
        Ok(snapshot) => {
            merge_snapshot(row, snapshot);
            row.activity = Activity::Idle;
            let left = row.time_left(now).map(format_countdown).unwrap_or_else(|| "-".into());
            (format!("{role}: session renewed, {left} left"), false)
        }
        Err(RenewFailure::NeedsMfa { device }) => {
            let text = format!("{role} needs an MFA code for {device}: press r to enter it");
            row.activity = Activity::NeedsMfa { device };
            (text, false)
        }
        Err(RenewFailure::Cancelled) => {
            row.activity = Activity::Idle;
            (format!("{role}: MFA cancelled, nothing renewed"), false)
        }
        Err(RenewFailure::Failed(message)) => {
            row.activity = Activity::Failed { message: message.clone() };
            (message, true)
        }
    };
    let renewed = !error && matches!(state.row(&role).map(|row| &row.activity), Some(Activity::Idle));
    set_status(state, text, error);
    // A renewal may have renewed shared layers (an MFA session) of other roles too.
    if renewed { vec![Effect::LoadStatus] } else { Vec::new() }
}

fn on_tick(state: &mut State, now: Timestamp) -> Vec<Effect> {
    state.now = now;
    if state.status.as_ref().is_some_and(|status| now.duration_since(status.at).as_secs() >= STATUS_SHOWN_FOR) {
        state.status = None;
    }
    let mut effects = Vec::new();
    let reload_due =
        state.last_status_load.is_none_or(|last| now.duration_since(last).as_secs() >= STATUS_RELOAD.as_secs() as i64);
    if reload_due {
        state.last_status_load = Some(now);
        effects.push(Effect::LoadStatus);
    }
    // Sessions that had been valid renew themselves once they enter `refresh_before`;
    // the engine reports "needs MFA" instead of asking when a code would be needed.
    let due: Vec<RoleKey> = state
        .rows
        .iter()
        .filter(|row| row.activity == Activity::Idle)
        .filter(|row| matches!(row.state(now, state.refresh_before), RowState::Expiring | RowState::Expired))
        .filter(|row| row.auto_tried != row.expires_at)
        .map(|row| row.key.clone())
        .collect();
    for role in due {
        let request = state.request_id();
        if let Some(row) = state.row_mut(&role) {
            row.auto_tried = row.expires_at;
            row.activity = Activity::Refreshing { request, since: now };
        }
        effects.push(Effect::Renew { role, request, mode: RenewMode::Automatic });
    }
    effects.extend(super::update_panels::on_tick(state));
    effects.extend(super::update_fleet::on_tick(state));
    effects
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.should_quit = true;
    state.mfa.input.clear();
    state
        .mfa
        .asks
        .drain(..)
        .map(|ask| Effect::AnswerMfa { reply: ask.reply, answer: Err(MfaError::Cancelled) })
        .collect()
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return quit(state);
    }
    if !state.mfa.asks.is_empty() {
        return super::update_mfa::on_key(state, key);
    }
    if state.account.is_some() {
        return super::update_panels::on_key(state, key);
    }
    if state.fleet.is_some() {
        return super::update_fleet::on_key(state, key);
    }
    if state.filter.editing {
        on_filter_key(state, key);
        return Vec::new();
    }
    match &state.overlay {
        Overlay::Exports(_) => return super::update_exports::on_key(state, key),
        Overlay::Help | Overlay::Log => {
            on_overlay_key(state, key);
            return Vec::new();
        }
        Overlay::None => {}
    }
    if key.code == KeyCode::Esc && !state.filter.text.is_empty() {
        state.filter.text.clear();
        keep_selection_visible(state);
        return Vec::new();
    }
    // Esc undoes the narrowest thing first: the filter above, then the marks.
    if key.code == KeyCode::Esc && !state.marks.is_empty() {
        marks::clear(state);
        return Vec::new();
    }
    match state.keymaps.list.command_for(&key) {
        Some(command) => on_command(state, command),
        None => Vec::new(),
    }
}

/// Help and log cover the list: keys scroll them or close them, never act behind them.
fn on_overlay_key(state: &mut State, key: KeyEvent) {
    match (key.code, state.keymaps.list.command_for(&key)) {
        (KeyCode::Esc, _) | (_, Some(Command::Help | Command::Log)) => {
            state.overlay = Overlay::None;
            state.overlay_scroll = 0;
        }
        (_, Some(Command::Quit)) => state.should_quit = true,
        (_, Some(Command::Down)) => state.overlay_scroll = state.overlay_scroll.saturating_add(1),
        (_, Some(Command::Up)) => state.overlay_scroll = state.overlay_scroll.saturating_sub(1),
        (_, Some(Command::PageDown)) => state.overlay_scroll = state.overlay_scroll.saturating_add(10),
        (_, Some(Command::PageUp)) => state.overlay_scroll = state.overlay_scroll.saturating_sub(10),
        (_, Some(Command::Top)) => state.overlay_scroll = 0,
        _ => {}
    }
}

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    if state.mfa.asks.is_empty() && state.account.is_some() {
        super::update_panels::on_paste(state, text);
    } else if !state.mfa.asks.is_empty() {
        super::update_mfa::drop_filled_code(state);
        for digit in text.chars().filter(char::is_ascii_digit) {
            if state.mfa.input.len() < 6 {
                state.mfa.input.push(digit);
            }
        }
        super::update_mfa::clear_input_problem(state);
    } else if state.filter.editing {
        state.filter.text.push_str(text.trim());
        keep_selection_visible(state);
    }
    Vec::new()
}

fn on_filter_key(state: &mut State, key: KeyEvent) {
    match key.code {
        KeyCode::Char(c) => state.filter.text.push(c),
        KeyCode::Backspace => {
            state.filter.text.pop();
        }
        KeyCode::Enter => state.filter.editing = false,
        KeyCode::Esc => {
            state.filter.text.clear();
            state.filter.editing = false;
        }
        KeyCode::Down => move_selection(state, 1),
        KeyCode::Up => move_selection(state, -1),
        _ => {}
    }
    keep_selection_visible(state);
}

pub(super) fn renew(state: &mut State, role: RoleKey, mode: RenewMode) -> Effect {
    let request = state.request_id();
    let since = state.now;
    if let Some(row) = state.row_mut(&role) {
        row.activity = Activity::Refreshing { request, since };
    }
    Effect::Renew { role, request, mode }
}

fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    let page = list_capacity(state.size.0, state.size.1, state.show_chain) as isize;
    match command {
        Command::Open if !state.marks.is_empty() => return super::update_fleet::open(state),
        Command::Open => return super::update_panels::open(state),
        Command::Mark => marks::toggle(state),
        Command::MarkAll => marks::mark_shown(state),
        Command::ClearMarks => marks::clear(state),
        Command::Refresh if !state.marks.is_empty() => return marks::refresh_marked(state),
        Command::Up => move_selection(state, -1),
        Command::Down => move_selection(state, 1),
        Command::PageUp => move_selection(state, -page),
        Command::PageDown => move_selection(state, page),
        Command::Top => move_selection(state, isize::MIN / 2),
        Command::Bottom => move_selection(state, isize::MAX / 2),
        Command::Refresh => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                set_status(state, format!("refreshing {role}…"), false);
                return vec![renew(state, role, RenewMode::Force)];
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
                        RowState::Expiring | RowState::Expired | RowState::NeedsMfa
                    )
                })
                .map(|row| row.key.clone())
                .collect();
            set_status(
                state,
                if due.is_empty() {
                    "no session is expiring or expired".to_owned()
                } else {
                    format!("refreshing {} roles…", due.len())
                },
                false,
            );
            return due.into_iter().map(|role| renew(state, role, RenewMode::IfNeeded)).collect();
        }
        Command::Copy => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                let format = state.export_format;
                return super::update_exports::prepare(state, role, format);
            }
        }
        Command::Console => {
            if let Some(role) = state.selected_row().map(|row| row.key.clone()) {
                set_status(state, format!("opening the console of {role}…"), false);
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
        Command::Filter => state.filter.editing = true,
        Command::Sort => {
            state.sort = match state.sort {
                SortOrder::Name => SortOrder::TimeLeft,
                SortOrder::TimeLeft => SortOrder::Name,
            };
            keep_selection_visible(state);
        }
        Command::Chain => {
            state.show_chain = !state.show_chain;
            keep_selection_visible(state);
        }
        Command::Log => state.overlay = if state.overlay == Overlay::Log { Overlay::None } else { Overlay::Log },
        Command::Help => state.overlay = if state.overlay == Overlay::Help { Overlay::None } else { Overlay::Help },
        Command::Quit => return quit(state),
    }
    Vec::new()
}

fn move_selection(state: &mut State, by: isize) {
    let list = view::list(state);
    let roles = list.roles();
    if roles.is_empty() {
        return;
    }
    let current =
        state.selected.as_ref().and_then(|key| state.row_position(key)).and_then(|row| list.place_of_row(row));
    let target = (current.unwrap_or(0) as isize).saturating_add(by).clamp(0, roles.len() as isize - 1) as usize;
    state.selected = Some(state.rows[roles[target]].key.clone());
    keep_selection_visible(state);
}

/// Keeps a visible role selected and scrolls the list so it is on screen.
fn keep_selection_visible(state: &mut State) {
    let list = view::list(state);
    let selected =
        state.selected.as_ref().and_then(|key| state.row_position(key)).and_then(|row| list.line_of_row(row));
    let selected_line = match (selected, list.first_role_line()) {
        (Some(index), _) => index,
        (None, Some((index, row))) => {
            state.selected = Some(state.rows[row].key.clone());
            index
        }
        (None, None) => {
            state.list_scroll = 0;
            return;
        }
    };
    let total = list.len();
    let capacity = list_capacity(state.size.0, state.size.1, state.show_chain);
    // Show the account header above the first role of the list when scrolled to the top.
    let top = if selected_line == 1 { 0 } else { selected_line };
    if top < state.list_scroll {
        state.list_scroll = top;
    } else if selected_line >= state.list_scroll + capacity {
        state.list_scroll = selected_line + 1 - capacity;
    }
    // A taller screen shows from the top again rather than leaving empty rows below.
    state.list_scroll = state.list_scroll.min(total.saturating_sub(capacity));
}

fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if !state.mfa.asks.is_empty() || state.overlay != Overlay::None || state.account.is_some() || state.fleet.is_some()
    {
        return Vec::new();
    }
    match mouse.kind {
        MouseEventKind::ScrollDown => move_selection(state, 1),
        MouseEventKind::ScrollUp => move_selection(state, -1),
        MouseEventKind::Down(_) => {
            let (width, height) = state.size;
            if let Some(offset) = list_line_at(width, height, state.show_chain, mouse.column, mouse.row) {
                let clicked = match view::list(state).line(state.list_scroll + offset) {
                    Some(LineAt::Role(row)) => Some(state.rows[row].key.clone()),
                    _ => None,
                };
                if clicked.is_some() {
                    state.selected = clicked;
                }
            }
        }
        _ => {}
    }
    Vec::new()
}
