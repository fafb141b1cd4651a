//! The part of `update` for the fleet view: opening it for the marked roles, its keys (the
//! SQS panel's, so it sorts and moves like the account panel), turns of the accounts on
//! ticks and results, and Enter on a queue, which opens that queue's detail in its own
//! account's panels (with that role's rails). Esc there comes back to the fleet.

use crossterm::event::{KeyCode, KeyEvent};

use super::effect::Effect;
use super::fleet::{FleetRow, FleetSort, FleetView};
use super::keymap::Command;
use super::panels::sqs::{self, SqsCommand, SqsPanel};
use super::panels::{Job, PanelContext, PanelJob, PanelMessage, Panels};
use super::state::{AccountView, Overlay, RoleRow, State};
use super::update::set_status;
use crate::domain::inventory::RoleKey;

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

/// Jobs of `role`'s panel as effects; their answers come back as `PanelMessage::Fleet`.
fn effects(view: u64, role: &RoleKey, jobs: Vec<Job<sqs::Message>>) -> Vec<Effect> {
    jobs.into_iter()
        .map(|job| {
            let answering = role.clone();
            let job = PanelJob::of(logged(job), move |reply| PanelMessage::Fleet { role: answering.clone(), reply });
            Effect::Panel { role: role.clone(), view, job }
        })
        .collect()
}

/// What the fleet's jobs found goes to the log with the role that found it.
fn logged(inner: Job<sqs::Message>) -> Job<sqs::Message> {
    super::panels::job(move |services, progress| async move {
        let role = services.role.clone();
        let message = inner.run(services, progress).await;
        match &message {
            sqs::Message::Listed { result: Ok(queues), .. } => {
                tracing::info!(role = %role, "fleet: listed {} queues", queues.len())
            }
            sqs::Message::Listed { result: Err(error), .. } => {
                tracing::warn!(role = %role, "fleet: listing failed: {error}")
            }
            // Counts refresh every few seconds: only failures are worth a line each time.
            sqs::Message::Counted { counts, .. } => {
                let failed = counts.iter().filter(|(_, result)| result.is_err()).count();
                if failed > 0 {
                    tracing::warn!(role = %role, "fleet: {failed} of {} queues could not be counted", counts.len())
                } else {
                    tracing::debug!(role = %role, "fleet: counted {} queues", counts.len())
                }
            }
            _ => {}
        }
        message
    })
}

/// Gives waiting accounts their turn.
fn fill(state: &mut State) -> Vec<Effect> {
    let State { rows, fleet, now, panel_refresh, .. } = state;
    let Some(fleet) = fleet.as_mut() else { return Vec::new() };
    let (now, every) = (*now, *panel_refresh);
    let started = fleet.fill(|role| context(rows, now, every, role));
    started.into_iter().flat_map(|(role, jobs)| effects(fleet.id, &role, jobs)).collect()
}

pub fn open(state: &mut State) -> Vec<Effect> {
    let id = state.request_id();
    let roles: Vec<RoleKey> = state.marks.iter().filter(|role| state.row(role).is_some()).cloned().collect();
    tracing::info!("fleet: opened for {} roles", roles.len());
    set_status(
        state,
        format!(
            "fleet of {} roles: listing queues, {} accounts at a time",
            roles.len(),
            super::fleet::ACCOUNTS_AT_ONCE
        ),
        false,
    );
    state.fleet = Some(FleetView::new(id, roles));
    fill(state)
}

pub fn on_tick(state: &mut State) -> Vec<Effect> {
    fill(state)
}

/// A fleet job's answer (or "no session" for its role), when its view is still open.
pub fn on_result(state: &mut State, view: u64, message: PanelMessage) -> Vec<Effect> {
    let PanelMessage::Fleet { role, reply } = message else { return Vec::new() };
    if let Err(why) = &reply {
        tracing::warn!(role = %role, "fleet: {why}");
    }
    let State { rows, fleet, now, panel_refresh, .. } = state;
    let Some(fleet) = fleet.as_mut().filter(|fleet| fleet.id == view) else { return Vec::new() };
    let Some(context) = context(rows, *now, *panel_refresh, &role) else { return Vec::new() };
    let jobs = fleet.on_result(&role, reply, &context);
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
    if matches!(state.overlay, Overlay::Help | Overlay::Log) {
        super::update_panels::on_overlay_key(state, key.code, list_command);
        return Vec::new();
    }
    let Some(fleet) = state.fleet.as_mut() else { return Vec::new() };
    let command = sqs::command_for(&state.keymaps.sqs, &key);
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
        (KeyCode::Esc, _, _) | (_, Some(SqsCommand::Back), _) | (_, _, Some(Command::Quit)) => state.fleet = None,
        (_, _, Some(Command::Help)) => state.overlay = Overlay::Help,
        (_, _, Some(Command::Log)) => state.overlay = Overlay::Log,
        _ => {}
    }
    Vec::new()
}

/// Enter on a queue: its detail in its own account's panels, worked through that role.
fn open_selected(state: &mut State) -> Vec<Effect> {
    let Some(fleet) = state.fleet.as_ref() else { return Vec::new() };
    let rows = fleet.rows();
    let Some(FleetRow::Queue { account, queue, .. }) = rows.get(fleet.place(&rows)).copied() else {
        return Vec::new();
    };
    let Some(account) = fleet.accounts.get(account) else { return Vec::new() };
    let (role, url) = (account.role.clone(), queue.summary.url.clone());
    let mut panel = SqsPanel::with_queues(account.panel.queues.clone());
    panel.keys = state.keymaps.sqs.clone();
    let jobs = panel.open_queue(url.clone());
    tracing::info!(role = %role, "fleet: opened {url}");
    let mut panels = Panels::new(&state.keymaps);
    panels.sqs = panel;
    let view = AccountView { id: state.request_id(), role, panels, active: 0 };
    let effects = super::update_panels::effects(&view, super::panels::lift(jobs, PanelMessage::Sqs));
    state.account = Some(view);
    effects
}
