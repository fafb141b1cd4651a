//! The part of `update` for an account's panels: opening them, routing keys, ticks, pastes
//! and job results to the panels, and turning their jobs into effects.

use crossterm::event::{KeyCode, KeyEvent};

use super::AccountView;
use crate::tui::base::keys::Command;
use crate::tui::effect::{Effect, RenewMode};
use crate::tui::overlays::Overlay;
use crate::tui::panels::{PanelContext, PanelId, PanelMessage, Panels, Request};
use crate::tui::state::{Screen, State};

/// Asks the active panel, with its context; returns the effects of its jobs and whether it
/// used the key or paste.
fn ask_active(state: &mut State, request: Request) -> (Vec<Effect>, bool) {
    let State { rows, screens, now, panel_refresh, .. } = state;
    let Some(Screen::Account(view)) = screens.last_mut() else { return (Vec::new(), false) };
    let Some(row) = rows.iter().find(|row| row.key == view.role) else { return (Vec::new(), false) };
    let context = PanelContext { row, read_only: row.read_only, now: *now, refresh_every: *panel_refresh };
    let answer = view.panels.ask(view.active, request, &context);
    (view.effects(answer.jobs), answer.used)
}

pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(role) = state.selected_row().map(|row| row.key.clone()) else { return Vec::new() };
    let id = state.request_id();
    state.screens.push(Screen::Account(Box::new(AccountView {
        id,
        role,
        panels: Panels::new(&state.keymaps),
        active: PanelId::ALL[0],
    })));
    ask_active(state, Request::Open).0
}

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let command = state.keymaps.list.command_for(&key);
    let (effects, used) = ask_active(state, Request::Key(key));
    if used {
        return effects;
    }
    if command == Some(Command::Refresh)
        && let Some(role) = state.account().map(|view| view.role.clone())
    {
        // A panel lets r through when its jobs need an MFA code: the operator asked for the
        // renewal, so it may ask.
        return vec![state.renew(role, RenewMode::Force)];
    }
    let Some(view) = state.account_mut() else { return Vec::new() };
    match (key.code, command) {
        (KeyCode::Tab, _) => view.active = view.active.step(1),
        (KeyCode::BackTab, _) => view.active = view.active.step(-1),
        // Esc (and the quit key) leave the panels for the screen below; Ctrl-C quit before this.
        (KeyCode::Esc, _) | (_, Some(Command::Quit)) => {
            state.close_screen();
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

pub fn on_paste(state: &mut State, text: &str) -> bool {
    ask_active(state, Request::Paste(text)).1
}

pub fn on_tick(state: &mut State) -> Vec<Effect> {
    ask_active(state, Request::Tick).0
}

/// A job's result (or progress) for the view `view`; dropped when that view was closed.
pub fn on_result(state: &mut State, view: u64, message: PanelMessage) -> Vec<Effect> {
    let State { rows, screens, now, panel_refresh, .. } = state;
    let Some(Screen::Account(open)) =
        screens.last_mut().filter(|top| matches!(top, Screen::Account(open) if open.id == view))
    else {
        return Vec::new();
    };
    let Some(row) = rows.iter().find(|row| row.key == open.role) else { return Vec::new() };
    let context = PanelContext { row, read_only: row.read_only, now: *now, refresh_every: *panel_refresh };
    let jobs = open.panels.on_result(message, &context);
    open.effects(jobs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crossterm::event::{KeyEvent, KeyModifiers};

    use super::*;
    use crate::domain::inventory::Inventory;
    use crate::tui::action::Action;
    use crate::tui::panels::NoSession;
    use crate::tui::update::update;

    const INVENTORY: &str = include_str!("../../../tests/fixtures/update.toml");

    fn key(code: KeyCode) -> Action {
        Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn a_panel_that_needs_an_mfa_code_lets_r_renew_the_role_and_the_next_r_reloads_it() {
        let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
        let now = "2026-11-21T09:00:00Z".parse().unwrap();
        let mut state = State::new(crate::tui::rows(&inventory), now, Duration::from_secs(300));
        let admin: crate::domain::inventory::RoleKey = "prod/admin".parse().unwrap();
        state.list.selected = Some(admin.clone());
        let opened = update(&mut state, key(KeyCode::Enter));
        assert!(opened.iter().all(|effect| matches!(effect, Effect::Panel { .. })), "the panels' first jobs");
        let view = state.account().unwrap().id;

        // The listing job was refused: no session without a code. Nothing asked for it.
        let why = NoSession::NeedsMfa { role: admin.clone(), device: "device".to_owned() };
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
