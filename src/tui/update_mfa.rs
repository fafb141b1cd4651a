//! Keys while the MFA modal is up: digits, Backspace, Enter sends the code, Esc cancels
//! every request for the shown device.

use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::mfa::{MfaCode, MfaError};

use super::effect::Effect;
use super::state::{MfaAsk, State};
use super::update::set_status;

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if matches!(key.code, KeyCode::Char(_) | KeyCode::Backspace) {
        drop_filled_code(state);
    }
    match key.code {
        KeyCode::Char(digit) if digit.is_ascii_digit() && state.mfa.input.len() < 6 => {
            state.mfa.input.push(digit);
            clear_input_problem(state);
        }
        KeyCode::Backspace => {
            state.mfa.input.pop();
        }
        KeyCode::Esc => {
            let Some(device) = state.mfa.device().map(str::to_owned) else { return Vec::new() };
            state.mfa.input.clear();
            state.mfa.filled = false;
            let (cancelled, kept): (Vec<MfaAsk>, Vec<MfaAsk>) =
                state.mfa.asks.drain(..).partition(|ask| ask.device == device);
            state.mfa.asks = kept;
            set_status(state, format!("MFA for {device} cancelled"), false);
            return cancelled
                .into_iter()
                .map(|ask| Effect::AnswerMfa { reply: ask.reply, answer: Err(MfaError::Cancelled) })
                .collect();
        }
        KeyCode::Enter => match MfaCode::parse(&state.mfa.input) {
            Ok(code) => {
                state.mfa.input.clear();
                state.mfa.filled = false;
                let ask = state.mfa.asks.remove(0);
                set_status(state, format!("MFA code sent for {}", ask.device), false);
                return vec![Effect::AnswerMfa { reply: ask.reply, answer: Ok(code) }];
            }
            Err(_) => {
                if let Some(ask) = state.mfa.asks.first_mut() {
                    ask.problem = Some(SIX_DIGITS.to_owned());
                    ask.reused = false;
                }
            }
        },
        _ => {}
    }
    Vec::new()
}

const SIX_DIGITS: &str = "an MFA code is 6 digits";

/// The modal's own complaint about the typed code goes once the code changes.
pub fn clear_input_problem(state: &mut State) {
    if let Some(ask) = state.mfa.asks.first_mut()
        && ask.problem.as_deref() == Some(SIX_DIGITS)
    {
        ask.problem = None;
    }
}

/// The code of the device's `mfa_command` goes into the modal if it still asks for that device
/// and nothing was typed; a failure is shown where the modal shows problems.
pub fn on_filled(state: &mut State, device: &str, result: Result<MfaCode, String>) -> Vec<Effect> {
    if state.mfa.device() != Some(device) {
        return Vec::new();
    }
    match result {
        Ok(code) if state.mfa.input.is_empty() => {
            state.mfa.input = code.as_str().to_owned();
            state.mfa.filled = true;
        }
        Ok(_) => {}
        Err(reason) => {
            if let Some(ask) = state.mfa.asks.first_mut() {
                ask.problem = Some(format!("mfa_command failed ({reason}): type the code"));
            }
        }
    }
    Vec::new()
}

/// Typing over a filled-in code starts from empty.
pub fn drop_filled_code(state: &mut State) {
    if state.mfa.filled {
        state.mfa.input.clear();
        state.mfa.filled = false;
    }
}
