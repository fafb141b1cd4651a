//! `update`: actions in, state and effects out, with a fixed clock and no terminal.

use std::path::Path;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::oneshot;

use crate::domain::exports::ExportFormat;
use crate::domain::inventory::{Inventory, RoleKey};
use crate::domain::mfa::{MfaCode, MfaError};

use super::action::{Action, ExportsText, RenewFailure, Snapshot};
use super::base::mfa_reply::MfaReply;
use super::base::row::{Activity, RowState};
use super::effect::{Effect, RenewMode};
use super::list::SortOrder;
use super::overlays::Overlay;
use super::state::State;
use super::update::update;

const INVENTORY: &str = include_str!("../../tests/fixtures/update.toml");

fn now() -> Timestamp {
    "2026-11-21T09:00:00Z".parse().unwrap()
}

fn at(offset_secs: i64) -> Timestamp {
    now().checked_add(SignedDuration::from_secs(offset_secs)).unwrap()
}

fn state() -> State {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    let mut state = State::new(super::rows(&inventory), now(), Duration::from_secs(300));
    state.list.selected = Some(role("prod/admin"));
    state.last_status_load = Some(now());
    state
}

fn role(address: &str) -> RoleKey {
    address.parse().unwrap()
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(state: &mut State, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(state, key(KeyCode::Char(c)))).collect()
}

fn ask(
    state: &mut State,
    device: &str,
    roles: &[&str],
    problem: Option<&str>,
) -> oneshot::Receiver<Result<MfaCode, MfaError>> {
    let (reply, answer) = oneshot::channel();
    update(
        state,
        Action::MfaRequested {
            device: device.to_owned(),
            roles: roles.iter().map(|address| role(address)).collect(),
            problem: problem.map(str::to_owned),
            caller: None,
            reply: MfaReply::new(reply),
        },
    );
    answer
}

fn answer_mfa(effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::AnswerMfa { reply, answer } = effect {
            reply.send(answer);
        }
    }
}

fn renew_request(effects: &[Effect]) -> (RoleKey, u64, RenewMode) {
    match effects {
        [Effect::Renew { role, request, mode }] => (role.clone(), *request, *mode),
        other => panic!("expected one renewal, got {other:?}"),
    }
}

fn snapshot(expires_at: Timestamp) -> Snapshot {
    Snapshot { expires_at: Some(expires_at), layers: Vec::new() }
}

#[test]
fn requests_for_one_device_merge_into_one_modal_and_enter_answers_the_first() {
    let mut state = state();
    let mut first = ask(&mut state, "dev-a", &["prod/admin"], None);
    let mut second = ask(&mut state, "dev-a", &["staging/admin", "prod/admin"], None);
    assert_eq!(state.mfa.roles(), vec![&role("prod/admin"), &role("staging/admin")]);
    // Keys go to the modal: 'q' is not a quit here, letters are ignored, six digits at most.
    assert!(typed(&mut state, "q12345678").is_empty());
    assert!(!state.should_quit);
    assert_eq!(state.mfa.input, "123456");
    answer_mfa(update(&mut state, key(KeyCode::Enter)));
    assert_eq!(first.try_recv().unwrap().unwrap().as_str(), "123456");
    assert!(second.try_recv().is_err(), "the second request waits for the next code");
    assert_eq!(state.mfa.asks.len(), 1);
    assert!(state.mfa.input.is_empty());
}

#[test]
fn a_short_code_is_not_sent_and_esc_cancels_every_request_of_the_device() {
    let mut state = state();
    let mut first = ask(&mut state, "dev-a", &["prod/admin"], None);
    let mut second = ask(&mut state, "dev-a", &["staging/admin"], None);
    let mut other = ask(&mut state, "dev-b", &["prod/viewer"], None);
    typed(&mut state, "123");
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert_eq!(state.mfa.problem(), Some("an MFA code is 6 digits"));
    answer_mfa(update(&mut state, key(KeyCode::Esc)));
    assert_eq!(first.try_recv().unwrap(), Err(MfaError::Cancelled));
    assert_eq!(second.try_recv().unwrap(), Err(MfaError::Cancelled));
    assert!(other.try_recv().is_err(), "another device's request stays");
    assert_eq!(state.mfa.device(), Some("dev-b"));
}

#[test]
fn a_rejected_or_reused_code_is_shown_in_the_modal() {
    let mut state = state();
    let _rejected = ask(&mut state, "dev-a", &["prod/admin"], Some("AWS rejected the code: invalid"));
    assert_eq!(state.mfa.problem(), Some("AWS rejected the code: invalid"));
    assert!(!state.mfa.asks[0].reused);
    let _reused =
        ask(&mut state, "dev-b", &["prod/admin"], Some("that code was already used; enter the next one (in 12s)"));
    assert!(state.mfa.asks[1].reused);
}

#[test]
fn pasting_a_code_keeps_its_digits() {
    let mut state = state();
    let _answer = ask(&mut state, "dev-a", &["prod/admin"], None);
    update(&mut state, Action::Paste(" 123 456\n".to_owned()));
    assert_eq!(state.mfa.input, "123456");
}

#[test]
fn a_paste_that_is_not_a_code_is_refused_whole() {
    let mut state = state();
    let _answer = ask(&mut state, "dev-a", &["prod/admin"], None);
    update(&mut state, key(KeyCode::Char('1')));
    for pasted in ["1234567", "account 111111111111", &"9".repeat(10_000), "12345", "12a456"] {
        update(&mut state, Action::Paste(pasted.to_owned()));
        assert_eq!(state.mfa.input, "1", "{pasted:.20}: nothing taken from it");
        assert_eq!(state.mfa.problem(), Some("that paste is not a 6-digit code: nothing was taken from it"));
    }
    update(&mut state, Action::Paste("654321".to_owned()));
    assert_eq!(state.mfa.input, "654321", "a code replaces what was typed");
    assert_eq!(state.mfa.problem(), None);
}

#[test]
fn a_superseded_refresh_result_is_dropped() {
    let mut state = state();
    let (_, first, mode) = renew_request(&update(&mut state, key(KeyCode::Char('r'))));
    assert_eq!(mode, RenewMode::Force);
    let (_, second, _) = renew_request(&update(&mut state, key(KeyCode::Char('r'))));
    assert_ne!(first, second);
    let stale =
        update(&mut state, Action::Renewed { role: role("prod/admin"), request: first, result: Ok(snapshot(at(600))) });
    assert!(stale.is_empty());
    assert_eq!(
        state.row(&role("prod/admin")).unwrap().activity,
        Activity::Refreshing { request: second, since: now() }
    );
    assert_eq!(state.row(&role("prod/admin")).unwrap().expires_at, None);
    let fresh = update(
        &mut state,
        Action::Renewed { role: role("prod/admin"), request: second, result: Ok(snapshot(at(3600))) },
    );
    assert!(matches!(fresh.as_slice(), [Effect::LoadStatus]), "shared layers of other roles are re-read");
    let row = state.row(&role("prod/admin")).unwrap();
    assert_eq!(row.state(state.now, state.refresh_before), RowState::Valid);
    assert_eq!(row.expires_at, Some(at(3600)));
}

#[test]
fn expiring_sessions_renew_by_themselves_once_and_those_needing_a_code_wait_for_the_operator() {
    let mut state = state();
    state.row_mut(&role("prod/admin")).unwrap().expires_at = Some(at(400));
    state.row_mut(&role("prod/viewer")).unwrap().expires_at = Some(at(3600));
    let renewals = |effects: Vec<Effect>| {
        effects.into_iter().filter(|effect| matches!(effect, Effect::Renew { .. })).collect::<Vec<_>>()
    };
    assert!(renewals(update(&mut state, Action::Tick(at(60)))).is_empty(), "nothing is within refresh_before yet");
    let effects = renewals(update(&mut state, Action::Tick(at(101))));
    let (renewed, request, mode) = renew_request(&effects);
    assert_eq!((renewed.to_string(), mode), ("prod/admin".to_owned(), RenewMode::Automatic));
    update(
        &mut state,
        Action::Renewed {
            role: role("prod/admin"),
            request,
            result: Err(RenewFailure::NeedsMfa { device: "dev-a".into() }),
        },
    );
    assert_eq!(state.row(&role("prod/admin")).unwrap().state(state.now, state.refresh_before), RowState::NeedsMfa);
    assert!(
        renewals(update(&mut state, Action::Tick(at(102)))).is_empty(),
        "an automatic renewal is tried once per session"
    );
    // One action from the operator: R renews every expiring, expired or waiting role.
    let (renewed, _, mode) = renew_request(&update(&mut state, key(KeyCode::Char('R'))));
    assert_eq!((renewed.to_string(), mode), ("prod/admin".to_owned(), RenewMode::IfNeeded));
}

#[test]
fn the_cache_is_reread_every_ten_seconds_and_never_rolls_a_session_back() {
    let mut state = state();
    assert!(update(&mut state, Action::Tick(at(9))).is_empty());
    assert!(matches!(update(&mut state, Action::Tick(at(10))).as_slice(), [Effect::LoadStatus]));
    state.row_mut(&role("prod/viewer")).unwrap().expires_at = Some(at(3600));
    update(
        &mut state,
        Action::StatusLoaded(vec![
            (role("prod/viewer"), snapshot(at(1800))),
            (role("staging/admin"), snapshot(at(900))),
        ]),
    );
    assert_eq!(
        state.row(&role("prod/viewer")).unwrap().expires_at,
        Some(at(3600)),
        "an older read does not undo a renewal"
    );
    assert_eq!(
        state.row(&role("staging/admin")).unwrap().expires_at,
        Some(at(900)),
        "another process's session shows up"
    );
}

#[test]
fn the_filter_narrows_as_you_type_enter_keeps_it_and_esc_clears_it() {
    let mut state = state();
    update(&mut state, key(KeyCode::Char('/')));
    assert!(state.list.filter.editing);
    typed(&mut state, "stag");
    let shown: Vec<String> = state.list.roles(&state.rows).iter().map(|row| row.key.to_string()).collect();
    assert_eq!(shown, ["staging/admin"]);
    assert_eq!(state.list.selected, Some(role("staging/admin")), "the selection moves onto what is shown");
    update(&mut state, key(KeyCode::Enter));
    assert!(!state.list.filter.editing);
    assert_eq!(state.list.roles(&state.rows).len(), 1, "Enter keeps the filter");
    // Typing no longer filters: 'j' is a key again.
    update(&mut state, key(KeyCode::Esc));
    assert!(state.list.filter.text.is_empty());
    assert_eq!(state.list.roles(&state.rows).len(), 3);
    update(&mut state, key(KeyCode::Char('/')));
    typed(&mut state, "payments");
    let shown: Vec<String> = state.list.roles(&state.rows).iter().map(|row| row.key.to_string()).collect();
    assert_eq!(shown, ["prod/admin", "prod/viewer"], "tags are searched too");
}

#[test]
fn moving_and_sorting_keep_a_visible_role_selected() {
    let mut state = state();
    let order = |state: &State| state.list.roles(&state.rows).iter().map(|row| row.key.to_string()).collect::<Vec<_>>();
    assert_eq!(order(&state), ["prod/admin", "prod/viewer", "staging/admin"]);
    update(&mut state, key(KeyCode::Char('j')));
    assert_eq!(state.list.selected, Some(role("prod/viewer")));
    update(&mut state, key(KeyCode::End));
    assert_eq!(state.list.selected, Some(role("staging/admin")));
    update(&mut state, key(KeyCode::Char('j')));
    assert_eq!(state.list.selected, Some(role("staging/admin")), "stops at the end");
    state.row_mut(&role("staging/admin")).unwrap().expires_at = Some(at(120));
    update(&mut state, key(KeyCode::Char('s')));
    assert_eq!(state.list.sort, SortOrder::TimeLeft);
    assert_eq!(order(&state)[0], "staging/admin", "the soonest expiry first");
}

#[test]
fn copy_asks_for_exports_in_the_operators_format_and_hands_them_to_the_clipboard() {
    let mut state = state();
    state.export_format = ExportFormat::Fish;
    let effects = update(&mut state, key(KeyCode::Char('c')));
    let request = match effects.as_slice() {
        [Effect::PrepareExports { role: asked, request, format: ExportFormat::Fish }]
            if asked == &role("prod/admin") =>
        {
            *request
        }
        other => panic!("{other:?}"),
    };
    let ready = ExportsText { text: "set -gx AWS_ACCESS_KEY_ID x".into(), expires_at: Some(at(3540)) };
    let effects = update(
        &mut state,
        Action::ExportsReady { role: role("prod/admin"), request, format_name: "fish", result: Ok(ready) },
    );
    assert!(matches!(effects.as_slice(), [Effect::Copy(text)] if text.text.contains("AWS_ACCESS_KEY_ID")));
    assert!(state.status.as_ref().unwrap().text.contains("valid 59:00"), "{:?}", state.status);
    let again = update(&mut state, key(KeyCode::Char('c')));
    let [Effect::PrepareExports { request, .. }] = again.as_slice() else { panic!("{again:?}") };
    let refused = update(
        &mut state,
        Action::ExportsReady {
            role: role("prod/admin"),
            request: *request,
            format_name: "fish",
            result: Err(RenewFailure::Cancelled),
        },
    );
    assert!(refused.is_empty(), "nothing is copied without a valid session");
    assert!(state.status.as_ref().unwrap().error);
}

#[test]
fn exports_answered_after_a_newer_request_are_not_copied() {
    let mut state = state();
    let first = update(&mut state, key(KeyCode::Char('c')));
    let [Effect::PrepareExports { request: older, .. }] = first.as_slice() else { panic!("{first:?}") };
    let older = *older;
    update(&mut state, key(KeyCode::Char('j')));
    let second = update(&mut state, key(KeyCode::Char('c')));
    let [Effect::PrepareExports { role: newer_role, request: newer, .. }] = second.as_slice() else {
        panic!("{second:?}")
    };
    let (newer_role, newer) = (newer_role.clone(), *newer);
    assert_ne!(newer_role, role("prod/admin"), "the second ask is for the next role");
    let text = |what: &str| ExportsText { text: what.into(), expires_at: Some(at(3540)) };
    let late = update(
        &mut state,
        Action::ExportsReady { role: role("prod/admin"), request: older, format_name: "bash", result: Ok(text("old")) },
    );
    assert!(late.is_empty(), "the superseded answer is not copied: {late:?}");
    let current = update(
        &mut state,
        Action::ExportsReady { role: newer_role, request: newer, format_name: "bash", result: Ok(text("new")) },
    );
    assert!(matches!(current.as_slice(), [Effect::Copy(copied)] if copied.text == "new"), "{current:?}");
}

#[test]
fn the_export_popup_picks_a_format_and_copies_it() {
    let mut state = state();
    update(&mut state, key(KeyCode::Char('e')));
    assert!(matches!(state.overlay, Overlay::Exports(_)));
    update(&mut state, key(KeyCode::Down));
    update(&mut state, key(KeyCode::Down));
    let effects = update(&mut state, key(KeyCode::Enter));
    assert!(matches!(effects.as_slice(), [Effect::PrepareExports { format: ExportFormat::Fish, .. }]), "{effects:?}");
    assert_eq!(state.overlay, Overlay::None);
}

#[test]
fn a_click_selects_the_role_under_the_mouse_and_the_wheel_scrolls() {
    let mut state = state();
    update(&mut state, Action::Resize(120, 36));
    // Row 0 is the header, row 1 the list's border, row 2 its column titles: lines start at row 3.
    // Lines: prod (3), prod/admin (4), prod/viewer (5), staging (6), staging/admin (7).
    let click = |row| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 5,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut state, click(7));
    assert_eq!(state.list.selected, Some(role("staging/admin")));
    update(&mut state, click(6));
    assert_eq!(state.list.selected, Some(role("staging/admin")), "an account line is not selectable");
    let wheel =
        Action::Mouse(MouseEvent { kind: MouseEventKind::ScrollUp, column: 5, row: 5, modifiers: KeyModifiers::NONE });
    update(&mut state, wheel);
    assert_eq!(state.list.selected, Some(role("prod/viewer")));
}

#[test]
fn quitting_cancels_a_pending_mfa_request() {
    let mut state = state();
    let mut pending = ask(&mut state, "dev-a", &["prod/admin"], None);
    answer_mfa(update(&mut state, Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))));
    assert!(state.should_quit);
    assert_eq!(pending.try_recv().unwrap(), Err(MfaError::Cancelled));
}

#[test]
fn help_and_log_toggle_and_close_with_esc() {
    let mut state = state();
    update(&mut state, key(KeyCode::Char('?')));
    assert_eq!(state.overlay, Overlay::Help);
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.overlay, Overlay::None);
    update(&mut state, key(KeyCode::Char('L')));
    assert_eq!(state.overlay, Overlay::Log);
    update(&mut state, key(KeyCode::Char('L')));
    assert_eq!(state.overlay, Overlay::None);
    update(&mut state, Action::Log(vec!["one".into(), "two".into()]));
    assert_eq!(state.log, ["one", "two"]);
}

#[test]
fn a_failed_refresh_shows_on_the_row_and_in_the_status_line() {
    let mut state = state();
    let (_, request, _) = renew_request(&update(&mut state, key(KeyCode::Char('r'))));
    update(
        &mut state,
        Action::Renewed {
            role: role("prod/admin"),
            request,
            result: Err(RenewFailure::Failed("prod/admin: AssumeRole failed: access denied".into())),
        },
    );
    let row = state.row(&role("prod/admin")).unwrap();
    assert_eq!(row.state(state.now, state.refresh_before), RowState::Error);
    assert!(state.status.as_ref().is_some_and(|status| status.error && status.text.contains("access denied")));
}

#[test]
fn keys_under_the_help_scroll_it_and_never_move_the_list() {
    let mut state = state();
    update(&mut state, key(KeyCode::Char('?')));
    update(&mut state, key(KeyCode::Char('j')));
    update(&mut state, key(KeyCode::PageDown));
    assert_eq!(state.list.selected, Some(role("prod/admin")), "the list behind did not move");
    assert_eq!(state.overlay_scroll, 11);
    assert!(update(&mut state, key(KeyCode::Char('r'))).is_empty(), "no refresh from behind the help");
    update(&mut state, key(KeyCode::Esc));
    assert_eq!((state.overlay.clone(), state.overlay_scroll), (Overlay::None, 0));
}

#[test]
fn a_taller_screen_scrolls_the_list_back_to_the_top() {
    let mut state = state();
    update(&mut state, Action::Resize(60, 7));
    update(&mut state, key(KeyCode::End));
    assert!(state.list.scroll > 0, "a 7-row screen scrolls to show the last role");
    update(&mut state, Action::Resize(120, 36));
    assert_eq!(state.list.scroll, 0, "everything fits again");
}

#[test]
fn the_status_gives_way_to_the_hints_after_a_while() {
    let mut state = state();
    let (_, request, _) = renew_request(&update(&mut state, key(KeyCode::Char('r'))));
    update(&mut state, Action::Renewed { role: role("prod/admin"), request, result: Ok(snapshot(at(3600))) });
    assert!(state.status.is_some());
    update(&mut state, Action::Tick(at(19)));
    assert!(state.status.is_some());
    update(&mut state, Action::Tick(at(20)));
    assert!(state.status.is_none());
}

#[test]
fn each_word_of_the_filter_matches_within_one_field() {
    let mut state = state();
    update(&mut state, key(KeyCode::Char('/')));
    // "prad" is only in "prod" + "admin" taken together: no single field has it.
    typed(&mut state, "prad");
    assert!(state.list.roles(&state.rows).is_empty());
    update(&mut state, key(KeyCode::Esc));
    update(&mut state, key(KeyCode::Char('/')));
    typed(&mut state, "prod adm");
    let shown: Vec<String> = state.list.roles(&state.rows).iter().map(|row| row.key.to_string()).collect();
    assert_eq!(shown, ["prod/admin"]);
}

#[test]
fn mfa_command_fills_the_modal_typing_replaces_it_and_a_failure_is_shown() {
    let mut state = state();
    let mut answer = ask(&mut state, "dev-a", &["prod/admin"], None);
    let filled =
        |code: &str| Action::MfaCodeFilled { device: "dev-a".into(), result: Ok(MfaCode::parse(code).unwrap()) };
    update(&mut state, filled("246810"));
    assert_eq!((state.mfa.input.as_str(), state.mfa.filled), ("246810", true));
    typed(&mut state, "1");
    assert_eq!((state.mfa.input.as_str(), state.mfa.filled), ("1", false), "typing starts over");
    update(&mut state, filled("246810"));
    assert_eq!(state.mfa.input, "1", "a code arriving after typing does not replace it");
    update(&mut state, Action::MfaCodeFilled { device: "dev-a".into(), result: Err("it exited with 1".into()) });
    assert_eq!(state.mfa.problem(), Some("mfa_command failed (it exited with 1): type the code"));
    update(&mut state, Action::MfaCodeFilled { device: "other".into(), result: Ok(MfaCode::parse("999999").unwrap()) });
    assert_eq!(state.mfa.input, "1", "another device's code is not used");
    typed(&mut state, "11111");
    answer_mfa(update(&mut state, key(KeyCode::Enter)));
    assert_eq!(answer.try_recv().unwrap().unwrap().as_str(), "111111");
}

#[test]
fn a_row_without_layers_gets_them_asked_for_once_when_selected_and_a_snapshot_fills_them() {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    // As the screen starts: routes, no layers (no plan made for any row).
    let rows = super::base::row::rows_with(&inventory, |role, route| {
        *route = format!("route of {}", role.key);
        Some(Vec::new())
    });
    let mut state = State::new(rows, now(), Duration::from_secs(300));
    state.last_status_load = Some(now());
    let first = state.list.selected.clone().unwrap();
    let asked = |effects: &[Effect]| -> Vec<RoleKey> {
        effects
            .iter()
            .filter_map(|effect| if let Effect::LoadLayers(role) = effect { Some(role.clone()) } else { None })
            .collect()
    };
    assert_eq!(
        asked(&update(&mut state, Action::Resize(120, 40))),
        std::slice::from_ref(&first),
        "the first selected row"
    );
    assert!(asked(&update(&mut state, Action::Resize(120, 41))).is_empty(), "asked once, not per action");
    let next = asked(&update(&mut state, key(KeyCode::Char('j'))));
    assert_eq!(next.len(), 1, "the next row selected is asked for");
    assert_ne!(next[0], first);
    // Its snapshot brings the layers (the plan's), which the chain pane shows.
    let plan =
        crate::domain::plan::Planner::new(&inventory).plan(&inventory, inventory.role(&next[0]).unwrap()).unwrap();
    let layers: Vec<_> = plan.layers.iter().map(|layer| (layer.clone(), None)).collect();
    let count = layers.len();
    update(&mut state, Action::StatusLoaded(vec![(next[0].clone(), Snapshot { expires_at: None, layers })]));
    assert_eq!(state.row(&next[0]).unwrap().layers.len(), count);
    assert!(count >= 2);
}
