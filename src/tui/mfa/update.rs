//! Keys while the MFA modal is up: digits, Backspace, Enter sends the code, Esc cancels
//! every request for the shown device.

use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCode, MfaError};

use super::MfaAsk;
use crate::tui::effect::Effect;
use crate::tui::state::State;

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
            state.set_status(format!("MFA for {device} cancelled"), false);
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
                state.set_status(format!("MFA code sent for {}", ask.device), false);
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

/// The agent's count of who is served; asks whose caller stopped waiting (its time ran
/// out) leave the modal at the same beat.
pub fn on_agent_served(state: &mut State, counts: Vec<(RoleKey, usize)>) -> Vec<Effect> {
    state.served = counts.into_iter().collect();
    let before = state.mfa.asks.len();
    state.mfa.asks.retain(|ask| !ask.reply.is_closed());
    if state.mfa.asks.len() < before {
        state.set_status("an MFA request's caller stopped waiting".to_owned(), true);
        if state.mfa.asks.is_empty() {
            state.mfa.input.clear();
        }
    }
    Vec::new()
}

/// The code entered for `role` was not needed: the modal's asks for its device whose caller
/// stopped waiting go, and the status line says so now and again when the renewal's result
/// comes (which would otherwise say only "session renewed").
pub fn on_not_needed(state: &mut State, role: RoleKey, device: &str) -> Vec<Effect> {
    state.mfa.asks.retain(|ask| ask.device != device || !ask.reply.is_closed());
    state.set_status(not_needed_text(&role, None), false);
    if !state.mfa.not_needed.contains(&role) {
        state.mfa.not_needed.push(role);
    }
    Vec::new()
}

/// The status line of a renewal whose code was not needed.
pub fn not_needed_text(role: &RoleKey, left: Option<&str>) -> String {
    let left = left.map(|left| format!(", {left} left")).unwrap_or_default();
    format!("{role}: renewed meanwhile by another process{left}; MFA code not needed, not sent")
}

/// The modal's own complaint about the typed code goes once the code changes.
pub fn clear_input_problem(state: &mut State) {
    if let Some(ask) = state.mfa.asks.first_mut()
        && matches!(ask.problem.as_deref(), Some(SIX_DIGITS | PASTE_NOT_A_CODE))
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

/// A pasted code replaces what was typed when it is a code: six digits, spaces allowed
/// between them (`123 456`). Anything else (an account id, seven digits, a page of text) is
/// refused whole, as the CLI refuses it, rather than cut to its first six digits.
pub fn on_paste(state: &mut State, text: &str) {
    drop_filled_code(state);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
        state.mfa.input = compact;
        clear_input_problem(state);
    } else if let Some(ask) = state.mfa.asks.first_mut() {
        ask.problem = Some(PASTE_NOT_A_CODE.to_owned());
        ask.reused = false;
    }
}

const PASTE_NOT_A_CODE: &str = "that paste is not a 6-digit code: nothing was taken from it";

/// Typing over a filled-in code starts from empty.
pub fn drop_filled_code(state: &mut State) {
    if state.mfa.filled {
        state.mfa.input.clear();
        state.mfa.filled = false;
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::oneshot;

    use super::*;
    use crate::domain::mfa::MfaCaller;
    use crate::tui::base::mfa_reply::MfaReply;

    fn ask(reply: MfaReply) -> MfaAsk {
        MfaAsk {
            device: "arn:aws:iam::1:mfa/a".into(),
            roles: Vec::new(),
            problem: None,
            reused: false,
            caller: Some(MfaCaller { pid: 7, command: "terraform plan".into(), client_pid: Some(8) }),
            reply,
        }
    }

    #[test]
    fn the_served_count_is_kept_and_an_ask_whose_caller_gave_up_leaves_the_modal() {
        let mut state = State::new(Vec::new(), jiff::Timestamp::UNIX_EPOCH, std::time::Duration::from_secs(300));
        let (waiting, _kept) = oneshot::channel();
        let (gone, answer) = oneshot::channel();
        drop(answer);
        state.mfa.asks = vec![ask(MfaReply::new(gone)), ask(MfaReply::new(waiting))];
        state.mfa.input = "12".into();
        let role: RoleKey = "prod/viewer".parse().unwrap();
        on_agent_served(&mut state, vec![(role.clone(), 3)]);
        assert_eq!(state.served.get(&role), Some(&3));
        assert_eq!(state.mfa.asks.len(), 1, "only the ask still waited for stays");
        assert_eq!(state.mfa.callers().len(), 1);
        assert_eq!(state.mfa.input, "12", "typing goes on for the ask that stays");
    }
}
