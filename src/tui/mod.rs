//! The interactive screen: Elm-like. Keys, ticks and task results become `Action`s;
//! `update` changes the `State` and returns `Effect`s; `ui::render` draws the state.

pub mod action;
mod app;
mod clipboard;
pub mod effect;
mod executor;
pub mod keymap;
pub mod layout;
pub mod logging;
pub mod panels;
mod prompt;
pub mod state;
mod status;
mod terminal;
pub mod ui;
pub mod update;
mod update_panels;
#[cfg(test)]
mod update_tests;
pub mod view;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::cli::CliError;
use crate::cli::context::{Globals, load_inventory};
use crate::domain::cache::SessionCache;
use crate::domain::engine::{Engine, EngineParts};
use crate::domain::exports::ExportFormat;
use crate::domain::inventory::{Inventory, Problem};
use crate::domain::plan::{LayerKind, plan_for};
use crate::domain::sources::LocalSourceKeys;
use crate::domain::store::{StoreChoice, open_store};
use crate::domain::sts::AwsSts;
use crate::domain::time::SystemClock;

use executor::Executor;
use keymap::Keymap;
use state::{Activity, LayerView, RoleRow, State};

/// The rows of the screen, one per role, in inventory order, with no session known yet.
pub fn rows(inventory: &Inventory) -> Vec<RoleRow> {
    // Walks the accounts and their roles once: looking each role's account up by name would
    // scan every account per role (quadratic at thousands of roles).
    inventory
        .roles()
        .filter_map(|(account, role)| {
            let plan = plan_for(inventory, role)?;
            Some(RoleRow {
                key: plan.role.clone(),
                read_only: role.read_only,
                account_id: account.id.clone(),
                environment: account.environment.clone(),
                production: account.is_production(),
                tags: account.tags.clone(),
                arn: role.arn.clone(),
                region: role.region.clone(),
                route: plan.route(),
                expires_at: None,
                activity: Activity::Idle,
                layers: plan
                    .layers
                    .iter()
                    .map(|layer| LayerView {
                        id: layer.id.clone(),
                        label: layer.label(),
                        why: layer.why.clone(),
                        expires_at: None,
                        is_source: matches!(layer.kind, LayerKind::SourceKeys { .. }),
                    })
                    .collect(),
                auto_tried: None,
            })
        })
        .collect()
}

fn keymap(inventory: &Inventory) -> Result<Keymap, CliError> {
    let overrides = inventory.ui.keys.iter().map(|key| (key.command.as_str(), key.keys.as_slice()));
    Keymap::with_overrides(overrides).map_err(|problems| {
        let found = problems
            .into_iter()
            .filter_map(|problem| {
                let written = inventory.ui.keys.iter().find(|key| key.command == problem.command)?;
                Some(Problem {
                    file: inventory.path.clone(),
                    line: written.line,
                    column: written.column,
                    key: format!("ui.keys.{}", problem.command),
                    message: problem.message,
                })
            })
            .collect();
        CliError::Inventory(crate::domain::inventory::InventoryError::Invalid(found))
    })
}

pub async fn run(globals: &Globals, verbose: u8) -> Result<ExitCode, CliError> {
    let inventory = Arc::new(load_inventory(globals)?);
    let keymap = keymap(&inventory)?;
    let (log_lines, log_path) = logging::init(verbose);
    let store = open_store(StoreChoice::from_env()).await;
    let (actions, receiver) = mpsc::unbounded_channel();
    let parts = EngineParts {
        sts: Arc::new(AwsSts::new(inventory.endpoint_for("AWS_ENDPOINT_URL_STS"))),
        sources: Arc::new(LocalSourceKeys::new(store.clone())),
        cache: SessionCache::new(store.clone()),
        mfa: Arc::new(prompt::ModalPrompt::new(actions.clone())),
        clock: Arc::new(SystemClock),
    };
    let engine = Arc::new(Engine::new(inventory.clone(), parts));
    let mut state = State::new(rows(&inventory), jiff::Timestamp::now(), inventory.defaults.refresh_before);
    state.selected = view::roles(&state).first().map(|row| row.key.clone());
    state.keymap = keymap;
    state.backend = store.backend().short_label().to_owned();
    state.no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    state.endpoint_url = inventory.defaults.endpoint_url.clone();
    if let Some(every) = inventory.ui.panel_refresh {
        state.panel_refresh = every;
    }
    state.export_format = inventory.ui.export_format.unwrap_or_else(|| {
        std::env::var("SHELL").map(|shell| ExportFormat::from_shell_path(&shell)).unwrap_or(ExportFormat::Bash)
    });
    tracing::info!(
        "inventory {} · session cache: {} · log file {}",
        inventory.path.display(),
        store.backend(),
        log_path.map(|path| path.display().to_string()).unwrap_or_else(|| "none".into())
    );
    let executor = Executor {
        engine,
        actions,
        sts_endpoint: inventory.endpoint_for("AWS_ENDPOINT_URL_STS"),
        sqs_endpoint: inventory.endpoint_for("AWS_ENDPOINT_URL_SQS"),
        slots: Arc::new(tokio::sync::Semaphore::new(16)),
    };
    app::run(state, executor, receiver, log_lines)
        .await
        .map_err(|error| CliError::Failed(format!("terminal: {error}")))?;
    Ok(ExitCode::SUCCESS)
}
