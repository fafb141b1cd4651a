//! The modal's state changes: a sign-in shown (merged per start URL), ended (closed, and the
//! status says how), Esc (cancelled).

use crossterm::event::{KeyCode, KeyEvent};

use super::OpenSignIn;
use crate::domain::sso::signin::SignInShown;
use crate::tui::effect::Effect;
use crate::tui::state::State;

pub fn on_shown(state: &mut State, shown: SignInShown, cancel: super::Cancel) -> Vec<Effect> {
    let open = &mut state.sign_in.open;
    match open.iter_mut().find(|existing| existing.shown.start_url == shown.start_url) {
        // A second caller of the same start URL: the same modal, with what it unlocks now.
        Some(existing) => {
            let mut roles = std::mem::take(&mut existing.shown.roles);
            roles.extend(shown.roles.iter().cloned());
            roles.sort();
            roles.dedup();
            existing.shown = SignInShown { roles, ..shown };
            existing.cancel = cancel;
        }
        None => open.push(OpenSignIn { shown, cancel }),
    }
    Vec::new()
}

pub fn on_ended(state: &mut State, start_url: &str, outcome: Result<(), String>) -> Vec<Effect> {
    let was_open = state.sign_in.open.iter().any(|open| open.shown.start_url == start_url);
    state.sign_in.open.retain(|open| open.shown.start_url != start_url);
    match outcome {
        Ok(()) => state.set_status(format!("signed in to {start_url}"), false),
        Err(reason) if was_open => state.set_status(format!("sign-in to {start_url}: {reason}"), true),
        Err(_) => {}
    }
    vec![Effect::LoadStatus]
}

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Esc && !state.sign_in.open.is_empty() {
        let mut open = state.sign_in.open.remove(0);
        open.cancel.send();
        state.set_status(format!("sign-in to {} cancelled", open.shown.start_url), false);
    }
    Vec::new()
}
