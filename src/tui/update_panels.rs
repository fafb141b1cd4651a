//! The part of `update` for an account's panels: opening them, routing keys, ticks, pastes
//! and job results to the panels, and turning their jobs into effects.

use crossterm::event::{KeyCode, KeyEvent};

use super::effect::{Effect, RenewMode};
use super::keymap::Command;
use super::panels::{PanelContext, PanelJob, PanelMessage, Panels, Request};
use super::state::{AccountView, Overlay, State};

pub(super) fn effects(view: &AccountView, jobs: Vec<PanelJob>) -> Vec<Effect> {
    jobs.into_iter().map(|job| Effect::Panel { role: view.role.clone(), view: view.id, job }).collect()
}

/// Asks the active panel, with its context; returns the effects of its jobs and whether it
/// used the key or paste.
fn ask_active(state: &mut State, request: Request) -> (Vec<Effect>, bool) {
    let State { rows, account, now, panel_refresh, .. } = state;
    let Some(view) = account.as_mut() else { return (Vec::new(), false) };
    let Some(row) = rows.iter().find(|row| row.key == view.role) else { return (Vec::new(), false) };
    let context = PanelContext { row, read_only: row.read_only, now: *now, refresh_every: *panel_refresh };
    let answer = view.panels.ask(view.active, request, &context);
    (effects(view, answer.jobs), answer.used)
}

pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(role) = state.selected_row().map(|row| row.key.clone()) else { return Vec::new() };
    let id = state.request_id();
    state.account = Some(AccountView { id, role, panels: Panels::new(&state.keymaps), active: 0 });
    ask_active(state, Request::Open).0
}

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let command = state.keymaps.list.command_for(&key);
    if matches!(state.overlay, Overlay::Help | Overlay::Log) {
        on_overlay_key(state, key.code, command);
        return Vec::new();
    }
    let (effects, used) = ask_active(state, Request::Key(key));
    if used {
        return effects;
    }
    if command == Some(Command::Refresh)
        && let Some(role) = state.account.as_ref().map(|view| view.role.clone())
    {
        // A panel lets r through when its jobs need an MFA code: the operator asked for the
        // renewal, so it may ask.
        return vec![super::update::renew(state, role, RenewMode::Force)];
    }
    let Some(view) = state.account.as_mut() else { return Vec::new() };
    let count = view.panels.len();
    match (key.code, command) {
        (KeyCode::Tab, _) => view.active = (view.active + 1) % count,
        (KeyCode::BackTab, _) => view.active = (view.active + count - 1) % count,
        // Esc (and the quit key) leave the panels for the roles list; Ctrl-C quit before this.
        (KeyCode::Esc, _) | (_, Some(Command::Quit)) => {
            state.account = None;
            return Vec::new();
        }
        (_, Some(Command::Help)) => {
            state.overlay = Overlay::Help;
            return Vec::new();
        }
        (_, Some(Command::Log)) => {
            state.overlay = Overlay::Log;
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    ask_active(state, Request::Open).0
}

/// Over the panels, the help and the log close and scroll with the keys they have over the
/// roles list (the help's title offers j/k when it does not fit).
pub(super) fn on_overlay_key(state: &mut State, code: KeyCode, command: Option<Command>) {
    let scroll = &mut state.overlay_scroll;
    match (code, command) {
        (KeyCode::Esc, _) | (_, Some(Command::Help | Command::Log)) => {
            state.overlay = Overlay::None;
            *scroll = 0;
        }
        (_, Some(Command::Down)) => *scroll = scroll.saturating_add(1),
        (_, Some(Command::Up)) => *scroll = scroll.saturating_sub(1),
        (_, Some(Command::PageDown)) => *scroll = scroll.saturating_add(10),
        (_, Some(Command::PageUp)) => *scroll = scroll.saturating_sub(10),
        (_, Some(Command::Top)) => *scroll = 0,
        _ => {}
    }
}

pub fn on_paste(state: &mut State, text: &str) -> bool {
    ask_active(state, Request::Paste(text)).1
}

pub fn on_tick(state: &mut State) -> Vec<Effect> {
    ask_active(state, Request::Tick).0
}

/// A job's result (or progress) for the view `view`; dropped when that view was closed.
pub fn on_result(state: &mut State, view: u64, message: PanelMessage) -> Vec<Effect> {
    let State { rows, account, now, panel_refresh, .. } = state;
    let Some(open) = account.as_mut().filter(|open| open.id == view) else { return Vec::new() };
    let Some(row) = rows.iter().find(|row| row.key == open.role) else { return Vec::new() };
    let context = PanelContext { row, read_only: row.read_only, now: *now, refresh_every: *panel_refresh };
    let jobs = open.panels.on_result(message, &context);
    effects(open, jobs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crossterm::event::{KeyEvent, KeyModifiers};

    use super::super::action::Action;
    use super::super::update::update;
    use super::*;
    use crate::domain::inventory::Inventory;

    const INVENTORY: &str = include_str!("../../tests/fixtures/update.toml");

    fn key(code: KeyCode) -> Action {
        Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn a_panel_that_needs_an_mfa_code_lets_r_renew_the_role_and_the_next_r_reloads_it() {
        let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
        let now = "2026-11-21T09:00:00Z".parse().unwrap();
        let mut state = State::new(super::super::rows(&inventory), now, Duration::from_secs(300));
        let admin: crate::domain::inventory::RoleKey = "prod/admin".parse().unwrap();
        state.selected = Some(admin.clone());
        let opened = update(&mut state, key(KeyCode::Enter));
        assert!(opened.iter().all(|effect| matches!(effect, Effect::Panel { .. })), "the panels' first jobs");
        let view = state.account.as_ref().unwrap().id;

        // The listing job was refused: no session without a code. Nothing asked for it.
        let why = format!(
            "prod/admin: the session {} (device): press r to enter it",
            super::super::panels::clients::NEEDS_MFA
        );
        let message = PanelMessage::Sqs(Err(why));
        let effects = update(&mut state, Action::PanelResult { view, message });
        let asks = |effect: &Effect| matches!(effect, Effect::Renew { .. } | Effect::Panel { .. });
        assert!(!effects.iter().any(asks), "no renewal, no job: {effects:?}");

        let renew = update(&mut state, key(KeyCode::Char('r')));
        assert!(
            matches!(&renew[..], [Effect::Renew { role, mode: RenewMode::Force, .. }] if *role == admin),
            "r renews the role, asked for by the operator: {renew:?}"
        );
        let reload = update(&mut state, key(KeyCode::Char('r')));
        assert!(!reload.is_empty() && reload.iter().all(|effect| matches!(effect, Effect::Panel { .. })), "{reload:?}");
    }
}
