//! The interactive screen: Elm-like. Keys, ticks and task results become `Action`s;
//! `update` changes the `State` and returns `Effect`s; `ui::render` draws the state.

// The flat shell: the event loop, what flows through it, and what runs its effects.
pub mod action;
mod clipboard;
pub mod effect;
mod event_loop;
mod executor;
#[cfg(unix)]
mod hosted_agent;
pub mod logging;
mod store_status;
mod terminal;

// The floor, the panels, and one folder per feature (its state, update and render).
pub mod account;
pub mod base;
pub mod exports;
pub mod fleet;
pub mod list;
pub mod mfa;
pub mod overlays;
pub mod panels;
pub mod sign_in;

// The composition: the state of every feature, and dispatch by focus.
pub mod render;
pub mod state;
pub mod update;
#[cfg(test)]
mod update_tests;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::app::{
    AppError, GlobalOptions, LoadedInventory, build_engine_signing_in, load_inventory, shell_export_format,
};

use crate::domain::mfa::MfaCode;
use crate::domain::store::{MemoryStore, SecretStore, StoreChoice, open_store};

pub use base::row::rows;
use base::row::rows_with;
use executor::Executor;
use state::State;

pub async fn run(options: &GlobalOptions) -> Result<ExitCode, AppError> {
    crate::app::hardening::keep_out_of_core_dumps();
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
    let prompt = Arc::new(mfa::prompt::ModalPrompt::new(actions.clone(), first_code).with_commands(commands));
    // Codes the hosted agent asks for callers without a terminal name the caller in the modal.
    #[cfg(unix)]
    let prompt = Arc::new(crate::app::agent::server::AgentPrompt::new(prompt));
    let sign_in = Arc::new(sign_in::prompt::ModalSignIn::new(actions.clone()));
    let engine = Arc::new(build_engine_signing_in(inventory.clone(), store.clone(), prompt, sign_in));
    let rows = rows_with(&inventory, |role, route| engine.route_into(role, route).then(Vec::new));
    let mut state = State::new(rows, jiff::Timestamp::now(), inventory.defaults.refresh_before);
    state.list.selected = state.list.roles(&state.rows).first().map(|row| row.key.clone());
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
        let agent = crate::app::agent::server::host_in_screen(engine.clone()).await;
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
        endpoints: {
            let inventory = inventory.clone();
            crate::domain::aws::Endpoints::new(move |variable| inventory.endpoint_for(variable))
        },
        slots: Arc::new(tokio::sync::Semaphore::new(16)),
        clients: Default::default(),
        store_watch: Default::default(),
    };
    event_loop::run(state, executor, receiver, log_lines)
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
