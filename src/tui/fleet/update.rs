//! The part of `update` for the fleet view: opening it for the marked roles, its keys (the
//! SQS panel's, so it sorts and moves like the account panel), turns of the accounts on
//! ticks and results, and Enter on a queue, which opens that queue's detail in its own
//! account's panels (with that role's rails). Esc there comes back to the fleet.

use crossterm::event::{KeyCode, KeyEvent};

use super::view::{ACCOUNTS_AT_ONCE, FleetRow, FleetSort, FleetView};
use crate::domain::inventory::RoleKey;
use crate::tui::account::AccountView;
use crate::tui::base::keys::Command;
use crate::tui::base::row::RoleRow;
use crate::tui::effect::{Effect, PanelView};
use crate::tui::overlays::Overlay;
use crate::tui::panels::sqs::{self, SqsCommand, SqsPanel};
use crate::tui::panels::{PanelContext, PanelId, PanelJob, PanelMessage, Panels};
use crate::tui::state::{Screen, State};

/// Rows a page key moves.
const PAGE: usize = 20;

fn context<'r>(
    rows: &'r [RoleRow],
    state_now: jiff::Timestamp,
    every: std::time::Duration,
    role: &RoleKey,
) -> Option<PanelContext<'r>> {
    let row = rows.iter().find(|row| &row.key == role)?;
    Some(PanelContext { row, read_only: row.read_only, now: state_now, refresh_every: every })
}

/// Jobs of `role`'s panels as effects; their answers come back as `Action::FleetResult`.
fn effects(view: u64, role: &RoleKey, jobs: Vec<PanelJob>) -> Vec<Effect> {
    jobs.into_iter().map(|job| Effect::Panel { role: role.clone(), view: PanelView::Fleet(view), job }).collect()
}

/// What the fleet's jobs found goes to the log with the role that found it.
fn log(role: &RoleKey, message: &PanelMessage) {
    match message {
        PanelMessage::Sqs(Ok(sqs::Message::Listed { result: Ok(queues), .. })) => {
            tracing::info!(role = %role, "fleet: listed {} queues", queues.len())
        }
        PanelMessage::Sqs(Ok(sqs::Message::Listed { result: Err(error), .. })) => {
            tracing::warn!(role = %role, "fleet: listing failed: {error}")
        }
        // Counts refresh every few seconds: only failures are worth a line each time.
        PanelMessage::Sqs(Ok(sqs::Message::Counted { counts, .. })) => {
            let failed = counts.iter().filter(|(_, result)| result.is_err()).count();
            if failed > 0 {
                tracing::warn!(role = %role, "fleet: {failed} of {} queues could not be counted", counts.len())
            } else {
                tracing::debug!(role = %role, "fleet: counted {} queues", counts.len())
            }
        }
        _ => {}
    }
    if let Some(why) = message.no_session() {
        tracing::warn!(role = %role, "fleet: {why}");
    }
}

/// Gives waiting accounts their turn.
fn fill(state: &mut State) -> Vec<Effect> {
    let State { rows, screens, now, panel_refresh, .. } = state;
    let Some(fleet) = fleet_in(screens) else { return Vec::new() };
    let (now, every) = (*now, *panel_refresh);
    let started = fleet.fill(|role| context(rows, now, every, role));
    started.into_iter().flat_map(|(role, jobs)| effects(fleet.id, &role, jobs)).collect()
}

/// The fleet view in the screen stack (under an account view opened from it, too).
fn fleet_in(screens: &mut [Screen]) -> Option<&mut FleetView> {
    screens.iter_mut().find_map(|screen| match screen {
        Screen::Fleet(fleet) => Some(fleet),
        Screen::Account(_) => None,
    })
}

pub fn open(state: &mut State) -> Vec<Effect> {
    let id = state.request_id();
    let roles: Vec<RoleKey> = state.list.marks.iter().filter(|role| state.row(role).is_some()).cloned().collect();
    tracing::info!("fleet: opened for {} roles", roles.len());
    state.set_status(
        format!("fleet of {} roles: listing queues, {ACCOUNTS_AT_ONCE} accounts at a time", roles.len()),
        false,
    );
    let fleet = FleetView::new(id, roles, &state.keymaps);
    state.screens.push(Screen::Fleet(fleet));
    fill(state)
}

pub fn on_tick(state: &mut State) -> Vec<Effect> {
    fill(state)
}

/// A fleet job's answer (or "no session" for its role), when its view is still open.
pub fn on_result(state: &mut State, view: u64, role: RoleKey, message: PanelMessage) -> Vec<Effect> {
    log(&role, &message);
    let State { rows, screens, now, panel_refresh, .. } = state;
    let Some(fleet) = fleet_in(screens).filter(|fleet| fleet.id == view) else { return Vec::new() };
    let Some(context) = context(rows, *now, *panel_refresh, &role) else { return Vec::new() };
    let jobs = fleet.on_result(&role, message, &context);
    let mut effects = effects(fleet.id, &role, jobs);
    effects.extend(fill(state));
    effects
}

fn sort_of(command: SqsCommand) -> Option<FleetSort> {
    Some(match command {
        SqsCommand::SortByDeadLetter => FleetSort::OnFire,
        SqsCommand::SortByType => FleetSort::Account,
        SqsCommand::SortByName => FleetSort::Name,
        SqsCommand::SortByVisible => FleetSort::Visible,
        SqsCommand::SortByInFlight => FleetSort::InFlight,
        SqsCommand::SortByDelayed => FleetSort::Delayed,
        _ => return None,
    })
}

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let list_command = state.keymaps.list.command_for(&key);
    let sqs_keys = state.keymaps.panel::<SqsCommand>();
    let Some(fleet) = state.fleet_mut() else { return Vec::new() };
    let command = sqs::command_for(&sqs_keys, &key);
    let current = fleet.place(&fleet.rows());
    if let Some(sort) = command.and_then(sort_of) {
        fleet.sort_by(sort);
        return Vec::new();
    }
    match (key.code, command, list_command) {
        (_, Some(SqsCommand::Down), _) => fleet.select(current + 1),
        (_, Some(SqsCommand::Up), _) => fleet.select(current.saturating_sub(1)),
        (_, Some(SqsCommand::PageDown), _) => fleet.select(current + PAGE),
        (_, Some(SqsCommand::PageUp), _) => fleet.select(current.saturating_sub(PAGE)),
        (_, Some(SqsCommand::Top), _) => fleet.select(0),
        (_, Some(SqsCommand::Bottom), _) => fleet.select(usize::MAX),
        (_, Some(SqsCommand::Refresh), _) => {
            fleet.refresh();
            return fill(state);
        }
        (_, Some(SqsCommand::Open), _) => return open_selected(state),
        (KeyCode::Esc, _, _) | (_, Some(SqsCommand::Back), _) | (_, _, Some(Command::Quit)) => state.close_screen(),
        (_, _, Some(Command::Help)) => state.overlay = Overlay::Help,
        (_, _, Some(Command::Log)) => state.overlay = Overlay::Log,
        _ => {}
    }
    Vec::new()
}

/// Enter on a row: a queue's detail in its own account's panels, worked through that role;
/// something on fire opens the account on the panel that found it.
fn open_selected(state: &mut State) -> Vec<Effect> {
    let Some(fleet) = state.fleet() else { return Vec::new() };
    let rows = fleet.rows();
    let (account, opened) = match rows.get(fleet.place(&rows)).cloned() {
        Some(FleetRow::Queue { account, queue, .. }) => (account, Opened::Queue(queue.summary.url.clone())),
        Some(FleetRow::Fire { account, panel, fire }) => (account, Opened::Panel(panel, fire.name)),
        Some(FleetRow::Failed { .. }) | None => return Vec::new(),
    };
    let Some(account) = fleet.accounts.get(account) else { return Vec::new() };
    let role = account.role.clone();
    let mut panels = Panels::new(&state.keymaps);
    let (active, jobs) = match opened {
        Opened::Queue(url) => {
            let mut panel = SqsPanel::with_queues(account.panels.sqs.queues.clone());
            panel.keys = state.keymaps.panel();
            let jobs = crate::tui::panels::lift(panel.open_queue(url.clone()), PanelMessage::Sqs);
            tracing::info!(role = %role, "fleet: opened {url}");
            panels.sqs = panel;
            (PanelId::Sqs, jobs)
        }
        Opened::Panel(panel, name) => {
            tracing::info!(role = %role, "fleet: opened {name}");
            (panel, Vec::new())
        }
    };
    let mut view = AccountView { id: state.request_id(), role, panels, active };
    let mut effects = view.effects(jobs);
    if active != PanelId::Sqs {
        effects.extend(open_active(state, &mut view));
    }
    state.screens.push(Screen::Account(Box::new(view)));
    effects
}

/// What Enter on a fleet row opens.
enum Opened {
    Queue(String),
    Panel(PanelId, String),
}

/// The active panel's first jobs, as when an account is opened from the list.
fn open_active(state: &State, view: &mut AccountView) -> Vec<Effect> {
    let Some(row) = state.rows.iter().find(|row| row.key == view.role) else { return Vec::new() };
    let context = PanelContext { row, read_only: row.read_only, now: state.now, refresh_every: state.panel_refresh };
    let answer = view.panels.ask(view.active, crate::tui::panels::Request::Open, &context);
    view.effects(answer.jobs)
}
