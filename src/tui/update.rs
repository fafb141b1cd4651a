//! `update(state, action) -> effects`: every change of the screen's state happens here, with
//! no I/O and no awaiting, so it is tested with plain values and a fixed clock.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent};
use jiff::Timestamp;

use crate::domain::duration::format_countdown;
use crate::domain::inventory::RoleKey;

use super::action::{Action, RenewFailure, Snapshot};
use super::base::row::{Activity, RoleRow, RowState};
use super::effect::{Effect, RenewMode};
use super::mfa::MfaAsk;
use super::state::{Focus, State};
use super::{account, fleet, list, mfa, overlays, sign_in};

/// The cache is re-read this often, to show sessions another switchboard process obtained.
const STATUS_RELOAD: Duration = Duration::from_secs(10);
const LOG_LINES_KEPT: usize = 500;

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut effects = dispatch(state, action);
    if let Some(role) = layers_to_load(state) {
        effects.push(Effect::LoadLayers(role));
    }
    effects
}

/// The selected row, when its layers are not there yet and were never asked for: the chain
/// pane shows them once `Effect::LoadLayers` brings them.
fn layers_to_load(state: &mut State) -> Option<RoleKey> {
    let key = state.list.selected.clone()?;
    let row = state.row_mut(&key)?;
    if !row.layers.is_empty() || row.layers_asked {
        return None;
    }
    row.layers_asked = true;
    Some(key)
}

fn dispatch(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key),
        Action::Key(_) => Vec::new(),
        Action::Paste(text) => on_paste(state, &text),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.size = (width, height);
            list::update::keep_selection_visible(state);
            Vec::new()
        }
        Action::Tick(now) => on_tick(state, now),
        Action::AwsClock(ahead) => {
            // `now` is AWS time as of the last tick: moved by the change in the offset at
            // once, so no countdown is shown in the old time beside the new notice.
            let (before, after) = (state.clock_ahead.unwrap_or_default(), ahead.unwrap_or_default());
            state.now = state.now.checked_add(before - after).unwrap_or(state.now);
            state.clock_ahead = ahead;
            Vec::new()
        }
        Action::Quit => state.quit(),
        Action::StatusLoaded(snapshots) => {
            // Snapshots come in the inventory's order, as the rows are: each row is where the
            // previous one ended, looked up by key only when not (50,000 lookups cost more).
            let mut next = 0;
            for (role, snapshot) in snapshots {
                let position = match state.rows.get(next) {
                    Some(row) if row.key == role => Some(next),
                    _ => state.row_position(&role),
                };
                let Some(position) = position else { continue };
                next = position + 1;
                let row = &mut state.rows[position];
                if !matches!(row.activity, Activity::Refreshing { .. }) {
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
        Action::SignInShown { shown, cancel } => sign_in::update::on_shown(state, shown, cancel),
        Action::SignInEnded { start_url, outcome } => sign_in::update::on_ended(state, &start_url, outcome),
        Action::ConsoleOpened { role, result } => {
            match result {
                Ok(()) => state.set_status(format!("opened the console of {role} in the browser"), false),
                Err(reason) => state.set_status(format!("console of {role}: {reason}"), true),
            }
            Vec::new()
        }
        Action::MfaCodeFilled { device, result } => mfa::update::on_filled(state, &device, result),
        Action::MfaNotNeeded { role, device } => mfa::update::on_not_needed(state, role, &device),
        Action::AgentServed(counts) => mfa::update::on_agent_served(state, counts),
        Action::ExportsReady { role, request, format_name, result } => {
            crate::tui::exports::update::on_ready(state, role, request, format_name, result)
        }
        Action::Copied(result) => {
            match result {
                Ok(_) => {}
                Err(message) => state.set_status(format!("copy failed: {message}"), true),
            }
            Vec::new()
        }
        Action::FleetResult { view, role, message } => fleet::update::on_result(state, view, role, message),
        Action::PanelResult { view, message } => {
            let mut effects = account::update::on_result(state, view, message);
            // A panel job may have renewed the role's session: show it in the header too.
            let now = state.now;
            let stale = state
                .account()
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

/// A status older than this gives the line back to the key hints.
const STATUS_SHOWN_FOR: i64 = 20;

fn merge_snapshot(row: &mut RoleRow, snapshot: Snapshot) {
    // Sessions only move forward: a reload that started before a renewal must not undo it.
    if snapshot.expires_at.is_some() && snapshot.expires_at >= row.expires_at {
        row.expires_at = snapshot.expires_at;
    }
    if row.layers.is_empty() {
        // The row's first snapshot: its layers arrive with it.
        row.layers = snapshot
            .layers
            .into_iter()
            .map(|(layer, expires_at)| super::base::row::LayerView { layer, expires_at })
            .collect();
        return;
    }
    for (shown, expires_at) in snapshot.layers {
        if let Some(layer) = row.layers.iter_mut().find(|layer| layer.id() == shown.id)
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
            let before = state.mfa.not_needed.len();
            state.mfa.not_needed.retain(|done| *done != role);
            if state.mfa.not_needed.len() < before {
                (mfa::update::not_needed_text(&role, Some(&left)), false)
            } else {
                (format!("{role}: session renewed, {left} left"), false)
            }
        }
        Err(RenewFailure::NeedsSignIn { start_url }) => {
            let text = format!("{role} needs a sign-in to {start_url}: press r to sign in");
            row.activity = Activity::NeedsSignIn { start_url };
            (text, false)
        }
        Err(RenewFailure::NeedsMfa { device }) => {
            let text = format!("{role} needs an MFA code for {device}: press r to enter it");
            row.activity = Activity::NeedsMfa { device };
            (text, false)
        }
        Err(RenewFailure::Cancelled) => {
            row.activity = Activity::Idle;
            (format!("{role}: cancelled, nothing renewed"), false)
        }
        Err(RenewFailure::Failed(message)) => {
            row.activity = Activity::Failed { message: message.clone() };
            (message, true)
        }
    };
    let renewed = !error && matches!(state.row(&role).map(|row| &row.activity), Some(Activity::Idle));
    state.set_status(text, error);
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
    effects.extend(account::update::on_tick(state));
    effects.extend(fleet::update::on_tick(state));
    effects
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return state.quit();
    }
    match state.focus() {
        Focus::SignIn => sign_in::update::on_key(state, key),
        Focus::Mfa => mfa::update::on_key(state, key),
        Focus::Overlay => overlays::update::on_key(state, key),
        Focus::Account => account::update::on_key(state, key),
        Focus::Fleet => fleet::update::on_key(state, key),
        Focus::List => list::update::on_key(state, key),
    }
}

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    match state.focus() {
        Focus::Mfa => mfa::update::on_paste(state, text),
        // A paste reaches the panel under the help or the log, as it always did.
        Focus::Overlay | Focus::Account if state.screen_focus() == Focus::Account => {
            account::update::on_paste(state, text);
        }
        Focus::List => list::update::on_paste(state, text),
        Focus::SignIn | Focus::Overlay | Focus::Account | Focus::Fleet => {}
    }
    Vec::new()
}

fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if state.focus() == Focus::List { list::update::on_mouse(state, mouse) } else { Vec::new() }
}
