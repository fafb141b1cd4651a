//! The agent's server: its socket, its connections and its answers, hosted either by
//! `switchboard agent` (headless: codes for callers without a terminal wait for
//! `switchboard mfa`) or by the screen while it runs (codes are asked in its modal). Both
//! front ends reach it through here, so neither names the other.

mod asks;
mod notify;
mod serve;
mod served;
mod sign_ins;
mod socket;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

pub use asks::{AgentPrompt, PendingAsks};
pub use serve::accept_forever;
pub use socket::{AgentSocket, bind};

use super::client as agent_client;
use super::protocol::{AgentStatus, ServedRole};
use crate::app::build_engine_signing_in;
use crate::domain::engine::Engine;
use crate::domain::inventory::Inventory;
use crate::domain::mfa::MfaPrompt;
use crate::domain::store::SecretStore;

/// How a headless agent builds a new engine when the inventory file changes.
struct Reload {
    store: Arc<dyn SecretStore>,
    prompt: Arc<dyn MfaPrompt>,
}

impl Reload {
    fn engine(&self, inventory: Inventory) -> Arc<Engine> {
        let sign_in = Arc::new(sign_ins::HeadlessSignIn);
        Arc::new(build_engine_signing_in(Arc::new(inventory), self.store.clone(), self.prompt.clone(), sign_in))
    }
}

pub struct AgentServer {
    engine: RwLock<Arc<Engine>>,
    inventory_stamp: RwLock<Option<SystemTime>>,
    reload: Option<Reload>,
    status: AgentStatus,
    /// Requests for codes waiting for `switchboard mfa` (headless only: the screen asks in its modal).
    pending: Option<Arc<PendingAsks>>,
    served: served::Served,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|meta| meta.modified()).ok()
}

fn status_of(inventory: &Inventory, host: &str) -> AgentStatus {
    AgentStatus {
        pid: std::process::id(),
        since: jiff::Timestamp::now(),
        inventory: agent_client::inventory_identity(&inventory.path),
        version: super::protocol::BUILD.to_owned(),
        host: host.to_owned(),
        served: Vec::new(),
    }
}

impl AgentServer {
    /// `switchboard agent`: its own engine; codes for callers without a terminal are pending
    /// requests, sign-ins for them are started and notified (`sign_ins`); a changed
    /// inventory file is read again.
    pub fn headless(inventory: Inventory, store: Arc<dyn SecretStore>) -> Self {
        let pending = Arc::new(PendingAsks::default());
        let prompt: Arc<dyn MfaPrompt> = Arc::new(AgentPrompt::new(pending.clone()));
        let status = status_of(&inventory, "agent");
        let stamp = modified(&inventory.path);
        let reload = Reload { store, prompt };
        let engine = reload.engine(inventory);
        Self {
            engine: RwLock::new(engine),
            inventory_stamp: RwLock::new(stamp),
            reload: Some(reload),
            status,
            pending: Some(pending),
            served: Default::default(),
        }
    }

    /// The screen's agent: the screen's engine, whose prompt must be an `AgentPrompt` over
    /// the modal so a caller's request names the caller.
    pub fn for_screen(engine: Arc<Engine>) -> Self {
        let status = status_of(engine.inventory(), "screen");
        let stamp = modified(&engine.inventory().path);
        Self {
            engine: RwLock::new(engine),
            inventory_stamp: RwLock::new(stamp),
            reload: None,
            status,
            pending: None,
            served: Default::default(),
        }
    }

    pub fn status(&self) -> AgentStatus {
        AgentStatus { served: self.served.counts(), ..self.status.clone() }
    }

    pub fn served(&self) -> Vec<ServedRole> {
        self.served.counts()
    }

    fn engine(&self) -> Arc<Engine> {
        self.engine.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The engine for the inventory as it is on disk now: a headless agent reads a changed
    /// file again (a stat per request); `Err` says why the agent cannot answer for it.
    fn current_engine(&self) -> Result<Arc<Engine>, String> {
        let engine = self.engine();
        let path = engine.inventory().path.clone();
        let now = modified(&path);
        if now == *self.inventory_stamp.read().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            return Ok(engine);
        }
        let Some(reload) = &self.reload else {
            return Err(format!("{} changed since the screen read it", path.display()));
        };
        let inventory = Inventory::load(&path).map_err(|error| error.to_string())?;
        tracing::info!("agent: {} changed; read again", path.display());
        let fresh = reload.engine(inventory);
        *self.engine.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh.clone();
        *self.inventory_stamp.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
        Ok(fresh)
    }
}

/// What the screen found when it tried to host the agent.
pub enum ScreenAgent {
    /// This screen serves; dropping it stops serving and removes the socket.
    Hosting(AgentHost),
    /// Another agent (or screen) serves already.
    Elsewhere {
        pid: u32,
        host: String,
    },
    Unavailable(String),
}

pub struct AgentHost {
    pub server: Arc<AgentServer>,
    pub socket: PathBuf,
    serving: tokio::task::JoinHandle<()>,
}

impl Drop for AgentHost {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// Hosts the agent in the screen when no other agent listens.
pub async fn host_in_screen(engine: Arc<Engine>) -> ScreenAgent {
    if agent_client::switched_off() {
        return ScreenAgent::Unavailable(format!("{}=off", agent_client::SWITCH_VARIABLE));
    }
    if let Ok((_, status)) = agent_client::status().await {
        return ScreenAgent::Elsewhere { pid: status.pid, host: status.host };
    }
    let Some(path) = agent_client::socket_path() else {
        return ScreenAgent::Unavailable(agent_client::AgentUnavailable::NoSocketPath.to_string());
    };
    let socket = match bind(&path) {
        Ok(socket) => socket,
        Err(error) => return ScreenAgent::Unavailable(error.to_string()),
    };
    let server = Arc::new(AgentServer::for_screen(engine));
    let serving = tokio::spawn(serve::serve(socket, server.clone()));
    ScreenAgent::Hosting(AgentHost { server, socket: path, serving })
}
