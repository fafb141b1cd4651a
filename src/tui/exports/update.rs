//! The exports: the popup's keys, asking for a role's exports, and copying the answer. An
//! answer to a request that a later one superseded is dropped, so a slow renewal never puts
//! an older role's exports on the clipboard after a newer ask.

use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::duration::{format_countdown, time_left};
use crate::domain::exports::ExportFormat;
use crate::domain::inventory::RoleKey;

use crate::tui::action::{ExportsText, RenewFailure};
use crate::tui::effect::Effect;
use crate::tui::overlays::Overlay;
use crate::tui::state::State;

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Exports(popup) = &mut state.overlay else { return Vec::new() };
    let formats = ExportFormat::all();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => state.overlay = Overlay::None,
        KeyCode::Down | KeyCode::Char('j') => popup.selected = (popup.selected + 1) % formats.len(),
        KeyCode::Up | KeyCode::Char('k') => popup.selected = (popup.selected + formats.len() - 1) % formats.len(),
        KeyCode::Enter | KeyCode::Char('c') => {
            let role = popup.role.clone();
            let format = formats[popup.selected];
            state.overlay = Overlay::None;
            return prepare(state, role, format);
        }
        _ => {}
    }
    Vec::new()
}

/// Asks for a role's exports; only the answer to the newest request is copied.
pub fn prepare(state: &mut State, role: RoleKey, format: ExportFormat) -> Vec<Effect> {
    let request = state.request_id();
    state.export_request = Some(request);
    state.set_status(format!("getting the {} exports of {role}…", format.name()), false);
    vec![Effect::PrepareExports { role, request, format }]
}

pub fn on_ready(
    state: &mut State,
    role: RoleKey,
    request: u64,
    format_name: &str,
    result: Result<ExportsText, RenewFailure>,
) -> Vec<Effect> {
    if state.export_request != Some(request) {
        tracing::debug!(%role, request, "exports superseded by a later request; not copied");
        return Vec::new();
    }
    state.export_request = None;
    match result {
        Ok(exports) => {
            let left = exports.expires_at.map(|until| format_countdown(time_left(state.now, until)));
            let valid = left.unwrap_or_else(|| "-".into());
            state.set_status(format!("copied the {format_name} exports of {role} (valid {valid})"), false);
            vec![Effect::Copy(exports)]
        }
        Err(failure) => {
            let reason = failure.describe();
            state.set_status(format!("did not copy {role}: {reason}"), true);
            Vec::new()
        }
    }
}
