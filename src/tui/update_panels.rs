//! The part of `update` for an account's panels: opening them, routing keys, ticks, pastes
//! and job results to the active panel, and turning its jobs into effects.

use crossterm::event::{KeyCode, KeyEvent};

use super::effect::{Effect, PanelJob};
use super::panels::{Job, KeyOutcome, PanelContext, Payload, registry};
use super::state::{AccountView, Overlay, State};

fn effects(view: &AccountView, panel: usize, jobs: Vec<Job>) -> Vec<Effect> {
    jobs.into_iter()
        .map(|job| Effect::Panel { role: view.role.clone(), view: view.id, panel, job: PanelJob(job) })
        .collect()
}

/// Runs `act` on the active panel with its context, and returns the effects of its jobs.
fn with_active(
    state: &mut State,
    act: impl FnOnce(&mut dyn super::panels::Panel, &PanelContext) -> Vec<Job>,
) -> Vec<Effect> {
    let State { rows, account, now, panel_refresh, .. } = state;
    let Some(view) = account.as_mut() else { return Vec::new() };
    let Some(row) = rows.iter().find(|row| row.key == view.role) else { return Vec::new() };
    let context = PanelContext { row, read_only: row.read_only, now: *now, refresh_every: *panel_refresh };
    let active = view.active;
    let jobs = match view.panels.get_mut(active) {
        Some(panel) => act(panel.as_mut(), &context),
        None => Vec::new(),
    };
    effects(view, active, jobs)
}

pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(role) = state.selected_row().map(|row| row.key.clone()) else { return Vec::new() };
    let id = state.request_id();
    state.account = Some(AccountView { id, role, panels: registry(), active: 0 });
    with_active(state, |panel, context| panel.open(context))
}

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if matches!(state.overlay, Overlay::Help | Overlay::Log) {
        if matches!(key.code, KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('L')) {
            state.overlay = Overlay::None;
        }
        return Vec::new();
    }
    let mut ignored = false;
    let handled = with_active(state, |panel, context| match panel.on_key(key, context) {
        KeyOutcome::Handled(jobs) => jobs,
        KeyOutcome::Ignored => {
            ignored = true;
            Vec::new()
        }
    });
    if !ignored {
        return handled;
    }
    let Some(view) = state.account.as_mut() else { return Vec::new() };
    let count = view.panels.len();
    match key.code {
        KeyCode::Tab => view.active = (view.active + 1) % count,
        KeyCode::BackTab => view.active = (view.active + count - 1) % count,
        KeyCode::Esc | KeyCode::Char('q') => {
            state.account = None;
            return Vec::new();
        }
        KeyCode::Char('?') => {
            state.overlay = Overlay::Help;
            return Vec::new();
        }
        KeyCode::Char('L') => {
            state.overlay = Overlay::Log;
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    with_active(state, |panel, context| panel.open(context))
}

pub fn on_paste(state: &mut State, text: &str) -> bool {
    let mut used = false;
    with_active(state, |panel, _| {
        used = panel.on_paste(text);
        Vec::new()
    });
    used
}

pub fn on_tick(state: &mut State) -> Vec<Effect> {
    with_active(state, |panel, context| panel.on_tick(context))
}

pub fn on_result(state: &mut State, view: u64, panel: usize, result: Result<Payload, String>) -> Vec<Effect> {
    let State { rows, account, now, panel_refresh, .. } = state;
    let Some(open) = account.as_mut().filter(|open| open.id == view) else { return Vec::new() };
    let Some(row) = rows.iter().find(|row| row.key == open.role) else { return Vec::new() };
    let context = PanelContext { row, read_only: row.read_only, now: *now, refresh_every: *panel_refresh };
    let jobs = match open.panels.get_mut(panel) {
        Some(target) => target.on_result(result, &context),
        None => Vec::new(),
    };
    effects(open, panel, jobs)
}
