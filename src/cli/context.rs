//! What every subcommand starts from: the validated inventory and an engine over the real
//! STS, the OS keyring (or memory) and a terminal MFA prompt.

use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::cache::SessionCache;
use crate::domain::engine::{Engine, EngineParts};
use crate::domain::inventory::{self, Inventory, RoleKey};
use crate::domain::sources::LocalSourceKeys;
use crate::domain::store::{Backend, SecretStore, StoreChoice, open_store};
use crate::domain::sts::AwsSts;
use crate::domain::time::SystemClock;

use super::CliError;
use super::prompt::{CodeSource, TerminalPrompt};

pub struct Globals {
    pub inventory: Option<PathBuf>,
    pub mfa_code: Option<String>,
}

pub fn load_inventory(globals: &Globals) -> Result<Inventory, CliError> {
    let path = inventory::locate(globals.inventory.as_deref())?;
    Ok(Inventory::load(&path)?)
}

/// Opens the keyring (or memory) and says once which one is in use: always when sessions
/// will not outlive the command, and for the commands a person runs (`announce`) otherwise.
/// Script-facing commands stay quiet about the normal case.
pub async fn open_secret_store(announce: bool) -> Arc<dyn SecretStore> {
    let store = open_store(StoreChoice::from_env()).await;
    if announce || matches!(store.backend(), Backend::Memory { .. }) {
        eprintln!("switchboard: session cache: {}", store.backend());
    } else {
        tracing::info!("session cache: {}", store.backend());
    }
    store
}

pub struct Context {
    pub engine: Arc<Engine>,
}

impl Context {
    /// `can_prompt`: whether asking on the terminal is allowed; `announce`: see `open_secret_store`.
    pub async fn open(globals: &Globals, can_prompt: bool, announce: bool) -> Result<Self, CliError> {
        let inventory = Arc::new(load_inventory(globals)?);
        let codes = CodeSource::from_flag(globals.mfa_code.as_deref())?;
        let store = open_secret_store(announce).await;
        let parts = EngineParts {
            sts: Arc::new(AwsSts::new(inventory.endpoint_for("AWS_ENDPOINT_URL_STS"))),
            sources: Arc::new(LocalSourceKeys::new(store.clone(), &inventory)),
            cache: SessionCache::new(store),
            mfa: Arc::new(TerminalPrompt::new(codes, can_prompt)),
            clock: Arc::new(SystemClock),
        };
        Ok(Self { engine: Arc::new(Engine::new(inventory, parts)) })
    }

    pub fn role(&self, address: &str) -> Result<RoleKey, CliError> {
        Ok(self.engine.inventory().find_role(address)?.key.clone())
    }

    pub fn endpoint_url(&self) -> Option<String> {
        self.engine.inventory().defaults.endpoint_url.clone()
    }
}
