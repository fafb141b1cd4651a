//! The interactive screen: Elm-like. Keys, ticks and task results become `Action`s;
//! `update` changes the `State` and returns `Effect`s; `ui::render` draws the state.

pub mod action;
mod app;
mod clipboard;
pub mod effect;
mod executor;
pub mod fleet;
#[cfg(test)]
mod fleet_tests;
#[cfg(unix)]
mod hosted_agent;
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
mod update_exports;
mod update_fleet;
mod update_marks;
mod update_mfa;
mod update_panels;
#[cfg(test)]
mod update_tests;
pub mod view;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::app::{AppError, GlobalOptions, LoadedInventory, build_engine, load_inventory, shell_export_format};
use crate::domain::inventory::{Inventory, RoleKey};
use crate::domain::mfa::MfaCode;
use crate::domain::plan::{Plan, plan_for};
use crate::domain::store::{MemoryStore, SecretStore, StoreChoice, open_store};

use executor::Executor;
use state::{Activity, LayerView, RoleRow, State};

/// The rows of the screen, one per role, in inventory order, with no session known yet.
pub fn rows(inventory: &Inventory) -> Vec<RoleRow> {
    let plans: Vec<Option<Plan>> = inventory.roles().map(|(_, role)| plan_for(inventory, role)).collect();
    rows_with(inventory, |index, _| plans[index].as_ref())
}

/// The rows from plans made already (the engine's), so the first frame does not plan twice.
fn rows_with<'p>(inventory: &Inventory, plan_of: impl Fn(usize, &RoleKey) -> Option<&'p Plan>) -> Vec<RoleRow> {
    // Walks the accounts and their roles once: looking each role's account up by name would
    // scan every account per role (quadratic at thousands of roles).
    inventory
        .roles()
        .enumerate()
        .filter_map(|(index, (account, role))| {
            let plan = plan_of(index, &role.key)?;
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
                layers: plan.layers.iter().map(|layer| LayerView { layer: layer.clone(), expires_at: None }).collect(),
                auto_tried: None,
            })
        })
        .collect()
}

pub async fn run(options: &GlobalOptions) -> Result<ExitCode, AppError> {
    // The keyring answers (a D-Bus round trip or more) while the inventory is parsed.
    let opening = tokio::spawn(open_store(StoreChoice::from_env()));
    let LoadedInventory { inventory, keymaps } = load_inventory(options)?;
    let first_code = first_mfa_code(options)?;
    let inventory = Arc::new(inventory);
    let (log_lines, log_path) = logging::init(options.verbose);
    let store: Arc<dyn SecretStore> = match opening.await {
        Ok(store) => store,
        Err(error) => Arc::new(MemoryStore::new(format!("the session store could not be opened: {error}"))),
    };
    let (actions, receiver) = mpsc::unbounded_channel();
    let commands = crate::domain::mfa_command::MfaCommands::from_inventory(&inventory);
    let prompt = Arc::new(prompt::ModalPrompt::new(actions.clone(), first_code).with_commands(commands));
    // Codes the hosted agent asks for callers without a terminal name the caller in the modal.
    #[cfg(unix)]
    let prompt = Arc::new(crate::app::agent_server::AgentPrompt::new(prompt));
    let engine = Arc::new(build_engine(inventory.clone(), store.clone(), prompt));
    let rows = rows_with(&inventory, |_, key| engine.plan(key));
    let mut state = State::new(rows, jiff::Timestamp::now(), inventory.defaults.refresh_before);
    state.selected = view::roles(&state).first().map(|row| row.key.clone());
    state.keymaps = keymaps;
    state.backend = store.backend().short_label().to_owned();
    state.no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    state.endpoint_url = inventory.defaults.endpoint_url.clone();
    if let Some(every) = inventory.ui.panel_refresh {
        state.panel_refresh = every;
    }
    state.export_format = shell_export_format(Some(&inventory));
    // Held until the screen closes: dropping it stops serving and removes the socket.
    #[cfg(unix)]
    let _agent = {
        let agent = crate::app::agent_server::host_in_screen(engine.clone()).await;
        hosted_agent::log(&agent);
        state.agent = Some(hosted_agent::describe(&agent));
        hosted_agent::watch_served(&agent, actions.clone());
        agent
    };
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
        clients: Default::default(),
        store_watch: Default::default(),
    };
    app::run(state, executor, receiver, log_lines)
        .await
        .map_err(|error| AppError::Failed(format!("terminal: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

/// `--mfa-code CODE` answers the screen's first MFA request without the modal; codes from
/// stdin (`-`) cannot be read by a screen that owns the terminal.
fn first_mfa_code(options: &GlobalOptions) -> Result<Option<MfaCode>, AppError> {
    match options.mfa_code.as_deref() {
        None => Ok(None),
        Some("-") => Err(AppError::Usage(
            "--mfa-code - reads codes from stdin, which the screen uses for keys; give the code itself, or type it in the screen's modal".into(),
        )),
        Some(text) => MfaCode::parse(text)
            .map(Some)
            .map_err(|error| AppError::Usage(format!("--mfa-code: {error}"))),
    }
}
