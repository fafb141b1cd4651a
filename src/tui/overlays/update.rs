//! Keys while an overlay covers the screen: the exports popup has its own; the help and the
//! log scroll or close with the list's keys, and never act behind them.

use crossterm::event::{KeyCode, KeyEvent};

use super::Overlay;
use crate::tui::base::keys::Command;
use crate::tui::effect::Effect;
use crate::tui::state::{Focus, State};

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if matches!(state.overlay, Overlay::Exports(_)) {
        return crate::tui::exports::update::on_key(state, key);
    }
    let over_list = state.screen_focus() == Focus::List;
    let command = state.keymaps.list.command_for(&key);
    let scroll = &mut state.overlay_scroll;
    match (key.code, command) {
        (KeyCode::Esc, _) | (_, Some(Command::Help | Command::Log)) => {
            state.overlay = Overlay::None;
            *scroll = 0;
        }
        // Over the list, the quit key quits; over a screen above it, Esc is the way back.
        (_, Some(Command::Quit)) if over_list => state.should_quit = true,
        (_, Some(Command::Down)) => *scroll = scroll.saturating_add(1),
        (_, Some(Command::Up)) => *scroll = scroll.saturating_sub(1),
        (_, Some(Command::PageDown)) => *scroll = scroll.saturating_add(10),
        (_, Some(Command::PageUp)) => *scroll = scroll.saturating_sub(10),
        (_, Some(Command::Top)) => *scroll = 0,
        _ => {}
    }
    Vec::new()
}
